"""Imbalance remedies against the plain model on real event logs, with the ``ctr`` task.

* ``taobao``: Taobao UserBehavior, will a page view end in a purchase of that
  item in the same session (sessions: 30-minute gaps; about 1% positive).
* ``online_retail``: UCI Online Retail re-framed as return prediction (task
  parameter ``event_order: [purchase, return]``): each (customer, item)
  purchase in a run of activity without a 30-day gap is an impression,
  positive when the customer returned that item in the run (sessions by gap:
  a return has its own invoice). A seeded sample of customers keeps it small.

Each model x strategy is run for every seed on the task's temporal split
(last 20% test, 10% before it validation) and the mean and standard
deviation over seeds are printed as a Markdown table::

    python examples/ctr_real.py taobao --seeds 0 1 2 --threads 1 --out taobao.json
    python examples/ctr_real.py online_retail --customers 1500 --seeds 0 1 2

Reads the datasets from LONGTAIL_DATA (default ../shared/datasets).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import polars as pl

from longtail import strategies
from longtail.data import columns as C
from longtail.data import load_dataset
from longtail.tasks import TrialContext, get

METRICS = ("roc_auc", "pr_auc", "log_loss", "ece", "f1", "recall", "tail_recall", "predicted_positive_rate")
GRID = (
    ("deepfm", ("baseline", "weighted-ce", "focal", "cb-focal", "logit-adjust", "ips", "random-under", "random-over",
                "threshold", "posthoc-logit-adjust", "cb-focal+threshold")),
    ("fm", ("baseline", "logit-adjust", "threshold")),
    ("gbm", ("baseline", "weighted-ce", "logit-adjust", "ips", "random-under", "threshold")),
    ("deepfm-ensemble", ("baseline", "threshold")),
)


def sample_customers(ds: Any, customers: int | None, seed: int) -> Any:
    """The log of a seeded sample of ``customers`` users (all of them when None)."""
    if not customers:
        return ds
    users = ds.interactions.get_column(C.USER_ID).unique().sort().to_numpy()
    chosen = np.random.default_rng(seed).choice(users, size=min(customers, users.size), replace=False)
    return ds.replace(interactions=ds.interactions.filter(pl.col(C.USER_ID).is_in(chosen.tolist())))


@dataclass(frozen=True)
class Setup:
    """A dataset, how to prepare it, and the task parameters."""

    dataset: str
    task_params: dict[str, Any]
    prepare: Callable[[Any, int | None, int], Any] | None = None


SETUPS = {
    "taobao": Setup("taobao_userbehavior", {"target": "purchase"}),
    "online_retail": Setup(
        "online_retail_uci",
        {"event_order": ["purchase", "return"], "target": "return", "sessions": "gap", "session_gap_minutes": 30 * 24 * 60},
        sample_customers,
    ),
}


def run_grid(ds: Any, setup: Setup, seeds: list[int], grid: tuple, embed: Any) -> list[dict[str, Any]]:
    """One record per (model, strategy, seed): the overall metrics and the wall time."""
    task = get("ctr")
    split = task.split(ds, seed=0)
    records = []
    for model, names in grid:
        for name in names:
            for seed in seeds:
                ctx = TrialContext(seed=seed, embed=embed, params=dict(setup.task_params))
                started = time.perf_counter()
                rows = task.run(split, model, strategies.get(name), ctx)
                values = {r.metric: r.value for r in rows if r.group_dim == "all"}
                values.update({f"{r.metric}[{r.group}]": r.value for r in rows if r.group_dim == "popularity"})
                records.append({"model": model, "strategy": name, "seed": seed, "seconds": time.perf_counter() - started, **values})
                print(f"{model:16s} {name:22s} seed {seed}: pr_auc {values['pr_auc']:.4f} "
                      f"tail_recall {values.get('tail_recall', float('nan')):.3f} ({records[-1]['seconds']:.1f}s)", flush=True)
    return records


def markdown(records: list[dict[str, Any]]) -> str:
    """Mean ± standard deviation over seeds per (model, strategy)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[(record["model"], record["strategy"])].append(record)
    lines = ["| model | strategy | " + " | ".join(METRICS) + " | s/run |", "|---|---|" + "---|" * (len(METRICS) + 1)]
    for (model, name), runs in groups.items():
        cells = []
        for metric in METRICS:
            values = np.array([r.get(metric, np.nan) for r in runs], dtype=float)
            cells.append("n/a" if np.isnan(values).all() else f"{np.nanmean(values):.4f} ± {np.nanstd(values):.4f}")
        seconds = np.mean([r["seconds"] for r in runs])
        lines.append(f"| {model} | {name} | " + " | ".join(cells) + f" | {seconds:.1f} |")
    return "\n".join(lines)


def text_encoder(kind: str) -> Any:
    """``ctx.embed``: the packaged sentence encoder, or None (the task then uses TF-IDF)."""
    if kind != "minilm":
        return None
    from longtail.encoders import TransformerEncoder

    return TransformerEncoder().encode


def main() -> None:
    """Parse the arguments, run the grid, print and optionally save the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("setup", choices=sorted(SETUPS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--customers", type=int, default=None, help="online_retail: seeded sample of customers")
    parser.add_argument("--models", nargs="+", default=None, help="only these models of the grid")
    parser.add_argument("--strategies", nargs="+", default=None, help="only these strategies of the grid")
    parser.add_argument("--text", choices=("tfidf", "minilm"), default="tfidf", help="item text vectors")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (1 is fastest for these small nets)")
    parser.add_argument("--out", default=None, help="write every run's metrics to this JSON file")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    setup = SETUPS[args.setup]
    ds = load_dataset(setup.dataset)
    if setup.prepare is not None:
        ds = setup.prepare(ds, args.customers, 0)
    grid = tuple(
        (model, tuple(s for s in names if args.strategies is None or s in args.strategies))
        for model, names in GRID
        if args.models is None or model in args.models
    )
    print(f"{ds!r}, task params {setup.task_params}, seeds {args.seeds}", flush=True)
    records = run_grid(ds, setup, args.seeds, grid, text_encoder(args.text))
    print(markdown(records))
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(records, fh, indent=1)


if __name__ == "__main__":
    main()
