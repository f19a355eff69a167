"""Query-product relevance on the real ESCI sample: plain models against imbalance remedies, over seeds.

Runs the ``relevance`` task (20 % of the queries held out, seeded) for each
seed, model and strategy, appends every trial's metric rows to a JSON-lines
file as it finishes (a re-run skips trials already there), and prints mean
± standard deviation over seeds of the headline metrics.

    python examples/relevance_real.py                       # bi-encoder and cross-encoder, CPU
    python examples/relevance_real.py --device cuda --epochs 3
    python examples/relevance_real.py --models biencoder --strategies baseline logit-adjust threshold
    python examples/relevance_real.py --threads 1 --out esci.jsonl   # busy CPU: one thread per process

The data folder is ``$LONGTAIL_DATA/esci_sample`` (default ``../shared/datasets``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from longtail import strategies
from longtail.data import registry
from longtail.tasks import TrialContext
from longtail.tasks.relevance import TASK

SUMMARY_METRICS = ("accuracy", "macro_f1", "rare_label_recall", "balanced_accuracy", "weighted_f1")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="esci_sample", help="registry name of a dataset with judgments")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=["biencoder", "crossencoder"], choices=TASK.models)
    parser.add_argument("--strategies", nargs="+", default=["baseline", "logit-adjust"])
    parser.add_argument("--biencoder-strategies", nargs="+", default=None,
                        help="strategies for the bi-encoder (default: those of --strategies)")
    parser.add_argument("--epochs", type=int, default=2, help="cross-encoder fine-tuning epochs")
    parser.add_argument("--max-length", type=int, default=64, help="cross-encoder tokens per pair")
    parser.add_argument("--batch-size", type=int, default=32, help="cross-encoder batch size")
    parser.add_argument("--lr", type=float, default=5e-5, help="cross-encoder encoder learning rate")
    parser.add_argument("--out", type=Path, default=Path("relevance_results.jsonl"), help="JSON-lines trial log")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (1 is fastest on a machine busy with other work)")
    parser.add_argument("--progress", action="store_true", help="show training progress bars")
    return parser.parse_args(argv)


def model_params(model: str, args: argparse.Namespace) -> dict:
    """Per-model settings from the command line."""
    if model == "crossencoder":
        return {"epochs": args.epochs, "max_length": args.max_length, "batch_size": args.batch_size, "lr": args.lr}
    return {}


def finished(path: Path) -> dict[tuple, dict]:
    """Trials already in the log, by (model, strategy, seed)."""
    if not path.is_file():
        return {}
    done = {}
    for line in path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            done[(record["model"], record["strategy"], record["seed"])] = record
    return done


def make_embedder(device: str):
    """The packaged sentence encoder's cached ``embed(texts)``."""
    from longtail.encoders import TransformerEncoder

    encoder = TransformerEncoder(device=device, progress=False)
    return encoder.encode


def run_trials(args: argparse.Namespace) -> dict[tuple, dict]:
    """Every missing (model, strategy, seed) trial, logged as it finishes; returns all logged trials."""
    dataset = registry.load(args.dataset)
    done = finished(args.out)
    embed = make_embedder(args.device) if "biencoder" in args.models else None
    plan = [(model, name) for model in args.models
            for name in (args.biencoder_strategies or args.strategies if model == "biencoder" else args.strategies)]
    for seed in args.seeds:
        split = TASK.split(dataset, seed)
        for model, name in plan:
            if (model, name, seed) in done:
                continue
            ctx = TrialContext(seed=seed, device=args.device, embed=embed, progress=args.progress)
            started = time.perf_counter()
            rows = TASK.run(split, model, strategies.get(name), ctx, model_params(model, args))
            record = {
                "model": model, "strategy": name, "seed": seed, "seconds": round(time.perf_counter() - started, 1),
                "params": model_params(model, args), "device": args.device,
                "rows": [[r.metric, r.group_dim, r.group, r.value] for r in rows],
            }
            with args.out.open("a") as fh:
                fh.write(json.dumps(record) + "\n")
            done[(model, name, seed)] = record
            headline = {r.metric: r.value for r in rows if r.group_dim == "all"}
            print(f"{model:12s} {name:22s} seed {seed}: macro_f1 {headline['macro_f1']:.4f} "
                  f"accuracy {headline['accuracy']:.4f} ({record['seconds']:.0f} s)", flush=True)
    return done


def summarise(done: dict[tuple, dict], seeds: list[int]) -> str:
    """A markdown table: mean ± std over seeds per (model, strategy) of the summary metrics and label recalls."""
    values: dict[tuple, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for (model, name, seed), record in done.items():
        if seed not in seeds:
            continue
        for metric, dim, group, value in record["rows"]:
            key = metric if dim == "all" else f"{metric}[{group}]"
            values[(model, name)][key].append(value)
    columns = list(SUMMARY_METRICS) + sorted({k for v in values.values() for k in v if k.startswith("recall[")})
    columns += sorted({k for v in values.values() for k in v if k.startswith("macro_f1[")})
    lines = ["| model | strategy | seeds | " + " | ".join(columns) + " |", "|---" * (len(columns) + 3) + "|"]
    for (model, name), metrics in sorted(values.items()):
        cells = []
        for column in columns:
            xs = np.array(metrics.get(column, []), dtype=float)
            cells.append(f"{xs.mean():.4f} ± {xs.std(ddof=1) if xs.size > 1 else 0.0:.4f}" if xs.size else "-")
        n = len(metrics["accuracy"])
        lines.append(f"| {model} | {name} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the missing trials and print the summary."""
    args = parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    done = run_trials(args)
    print(summarise(done, args.seeds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
