"""Categorise real catalogues: TF-IDF + logistic regression against encoder-based models and their remedies.

Runs the categorize task's models on amazon_uk_products (leaf categories)
and flipkart_products (first two levels) with the task's own split, labels
and metrics, over several seeds, and prints mean ± std per model and
strategy. Examples::

    python examples/categorize_real.py                      # CPU: baselines and remedies, 3 seeds, amazon
    python examples/categorize_real.py --finetune --finetune-train 2000 --finetune-epochs 1   # small CPU fine-tune
    python examples/categorize_real.py --device cuda --finetune --only-finetune                 # full fine-tune on a GPU

Data preparation (loading, splitting, labelling) needs polars and writes
``<cache>/categorize/<dataset>.json``; later runs read that file, so the
model part runs where polars is not installed (carry the file along).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

DATASETS = {"amazon_uk_products": None, "flipkart_products": 2}  # name -> category depth (None: leaf)
RUNS = (  # (model, strategy[:param=value]) pairs of the default grid
    ("tfidf-logreg", "baseline"),
    ("embedding-linear", "baseline"), ("embedding-linear", "logit-adjust"), ("embedding-linear", "logit-adjust:tau=0.5"),
    ("embedding-linear", "posthoc-logit-adjust"), ("embedding-linear", "posthoc-logit-adjust:tau=0.5"),
    ("embedding-linear", "ldam-drw"),
    ("embedding-mlp", "baseline"), ("embedding-mlp", "logit-adjust"), ("embedding-mlp", "logit-adjust:tau=0.5"),
    ("embedding-mlp", "posthoc-logit-adjust:tau=0.5"),
)
HEADLINE = ("accuracy", "macro_f1", "tail_recall", "head_recall", "balanced_accuracy", "ece")


def prepared(name: str, depth: int | None, seeds: list[int], cache: Path) -> dict:
    """Texts, labels and the task's split of each seed, from the cache file or freshly made (needs polars)."""
    path = cache / "categorize" / f"{name}.json"
    if path.is_file():
        data = json.loads(path.read_text())
        if data["depth"] == depth and all(str(seed) in data["splits"] for seed in seeds):
            return data
    from longtail.data import columns as C
    from longtail.data import registry
    from longtail.tasks import get

    task = get("categorize")
    dataset = registry.load(name)
    labelled = task._labelled(dataset)
    ids = labelled.items.get_column(C.ITEM_ID).to_list()
    position = {item: i for i, item in enumerate(ids)}
    splits = {}
    for seed in seeds:
        split = task.split(dataset, seed)
        splits[str(seed)] = {part: [position[i] for i in getattr(split, part).items.get_column(C.ITEM_ID).to_list()]
                             for part in ("train", "test")}
    data = {
        "dataset": name, "depth": depth, "sep": dataset.category_sep,
        "texts": task.embed_texts(dataset), "paths": labelled.items.get_column(C.CATEGORY).to_list(),
        "unlabelled": dataset.items.height - labelled.items.height, "splits": splits,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return data


def run_one(model: str, strategy_name: str, data: dict, seed: int, X: np.ndarray | None, args: argparse.Namespace) -> dict:
    """One (model, strategy, seed) trial; returns the headline metrics and the wall time."""
    from longtail import strategies
    from longtail.tasks import TrialContext
    from longtail.tasks.categorize import build_model, category_labels, evaluate

    split = data["splits"][str(seed)]
    train, test = np.asarray(split["train"]), np.asarray(split["test"])
    texts = data["texts"]
    labels = category_labels(data["paths"], data["sep"], data["depth"])
    params: dict = {}
    if model == "finetune":
        params = {"epochs": args.finetune_epochs, "batch_size": args.finetune_batch, "model": args.model}
        if args.finetune_train:  # a seeded subsample: full fine-tuning on a CPU takes hours
            keep = np.random.default_rng(seed).permutation(train.size)[: args.finetune_train]
            train = train[np.sort(keep)]
    ctx = TrialContext(seed=seed, device=args.device, progress=args.progress)
    classifier = build_model(model, ctx, params)
    # "name:param=value,..." overrides the strategy's piece parameters, e.g. logit-adjust:tau=0.5
    name, _, overrides = strategy_name.partition(":")
    strategy = strategies.get(name, **{k: float(v) for k, v in (o.split("=") for o in overrides.split(",") if o)})
    started = time.perf_counter()
    if X is not None:
        embed = _encoder(args).encode
        classifier.fit(X[train], labels[train], strategy, texts=[texts[i] for i in train], embed=embed, progress=args.progress)
        proba = classifier.predict_proba(X[test])
    else:
        classifier.fit([texts[i] for i in train], labels[train], strategy, progress=args.progress)
        proba = classifier.predict_proba([texts[i] for i in test])
    seconds = time.perf_counter() - started
    counts = np.asarray([np.count_nonzero(labels[train] == c) for c in classifier.classes_])
    rows = evaluate(labels[test], proba, classifier.classes_, counts, data["sep"])
    out = {row.metric: row.value for row in rows if row.group_dim == "all"}
    out.update({f"recall_{row.group}": row.value for row in rows if row.group_dim == "frequency"})
    out["seconds"] = seconds
    out["n_train"] = float(train.size)
    return out


_ENCODER = {}


def _encoder(args: argparse.Namespace):
    if "encoder" not in _ENCODER:
        from longtail.encoders import TransformerEncoder

        _ENCODER["encoder"] = TransformerEncoder(args.model, device=args.device, cache_dir=args.cache / "embeddings")
    return _ENCODER["encoder"]


def summarise(results: list[dict]) -> str:
    """A markdown table: mean ± std over seeds of the headline metrics per dataset, model and strategy."""
    keys = sorted({(r["dataset"], r["model"], r["strategy"]) for r in results}, key=lambda k: (k[0], _order(k)))
    columns = HEADLINE + ("recall_head", "recall_torso", "recall_tail", "seconds")
    lines = ["| dataset | model | strategy | seeds | " + " | ".join(columns) + " |", "|" + "---|" * (len(columns) + 4)]
    for dataset, model, strategy in keys:
        runs = [r for r in results if (r["dataset"], r["model"], r["strategy"]) == (dataset, model, strategy)]
        cells = []
        for column in columns:
            values = np.asarray([r["metrics"].get(column, np.nan) for r in runs], dtype=np.float64)
            digits = 1 if column == "seconds" else 3
            cells.append(f"{np.nanmean(values):.{digits}f} ± {np.nanstd(values):.{digits}f}")
        lines.append(f"| {dataset} | {model} | {strategy} | {len(runs)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _order(key: tuple) -> tuple:
    models = ["tfidf-logreg", "embedding-linear", "embedding-mlp", "finetune"]
    return (models.index(key[1]) if key[1] in models else 99, key[2] != "baseline", key[2])


def main(argv: list[str] | None = None) -> int:
    """Run the grid and print the table (and write JSON with every trial to --out)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["amazon_uk_products"], choices=list(DATASETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--runs", nargs="+", default=None,
                        help="model:strategy[:param=value,...] (default: the built-in grid)")
    parser.add_argument("--finetune", action="store_true", help="also fine-tune the encoder (baseline, post-hoc and trained logit adjustment)")
    parser.add_argument("--only-finetune", action="store_true", help="run only the fine-tuning trials")
    parser.add_argument("--finetune-train", type=int, default=None, help="subsample the training items to this many")
    parser.add_argument("--finetune-epochs", type=int, default=3)
    parser.add_argument("--finetune-batch", type=int, default=32)
    parser.add_argument("--model", default=None, help="encoder folder (default: the packaged all-MiniLM-L6-v2)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cache", type=Path, default=Path(".cache"))
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="write every trial's metrics here (JSON)")
    parser.add_argument("--tables", nargs="+", type=Path, default=None,
                        help="only print the table of earlier --out files (e.g. a CPU and a GPU run together)")
    args = parser.parse_args(argv)
    if args.tables:
        print(summarise([trial for path in args.tables for trial in json.loads(path.read_text())]))
        return 0
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    runs = [tuple(pair.split(":", 1)) for pair in args.runs] if args.runs else list(RUNS)
    if args.finetune or args.only_finetune:
        finetune = [("finetune", "baseline"), ("finetune", "posthoc-logit-adjust:tau=0.5"), ("finetune", "logit-adjust")]
        runs = finetune if args.only_finetune else runs + finetune
    results = []
    for name in args.datasets:
        data = prepared(name, DATASETS[name], args.seeds, args.cache)
        needs_embeddings = any(model.startswith("embedding") for model, _ in runs)
        X = np.asarray(_encoder(args).encode(data["texts"])) if needs_embeddings else None
        print(f"{name}: {len(data['texts'])} labelled items ({data['unlabelled']} without category), "
              f"{len(set(data['paths']))} category paths, depth {data['depth'] or 'leaf'}", file=sys.stderr)
        for seed in args.seeds:
            for model, strategy in runs:
                inputs = X if model.startswith("embedding") else None
                metrics = run_one(model, strategy, data, seed, inputs, args)
                results.append({"dataset": name, "model": model, "strategy": strategy, "seed": seed, "metrics": metrics})
                print(f"  seed {seed} {model:16s} {strategy:22s} macro_f1 {metrics['macro_f1']:.3f} "
                      f"tail_recall {metrics['tail_recall']:.3f} ({metrics['seconds']:.0f}s)", file=sys.stderr, flush=True)
                if args.out:
                    args.out.write_text(json.dumps(results, indent=1))
    print(summarise(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
