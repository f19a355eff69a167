"""Speed of the two-tower recommender: one training epoch and a full-catalogue top-K.

Generates a random interaction log (users uniform, items Zipf-distributed
like a real shop) and random item text embeddings with numpy, then times

* one epoch of in-batch sampled-softmax training with logQ correction over
  ``--interactions`` (user, item) pairs, and
* top-``--k`` over the whole catalogue for every user, each user's training
  items excluded.

Arrays only: neither polars nor the dataset layer is imported. Example::

    python benchmarks/bench_two_tower.py --device cuda --users 100000 --items 50000 --interactions 1000000

Targets on one H100: epoch < 5 s, top-100 < 5 s.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import numpy as np


def make_log(n_users: int, n_items: int, n_interactions: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random (user, item) pairs: users uniform, item popularity Zipf-like (exponent 1.1)."""
    rng = np.random.default_rng(seed)
    users = rng.integers(0, n_users, n_interactions)
    weights = 1.0 / np.arange(1, n_items + 1) ** 1.1
    items = rng.permutation(n_items)[rng.choice(n_items, n_interactions, p=weights / weights.sum())]
    return users, items


def synchronize(device: str) -> None:
    """Wait for queued GPU work so that wall-clock times are real."""
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def timed(device: str, fn):
    """(result, wall seconds, CPU seconds of this process) of ``fn()``, GPU work included.

    On a shared machine the CPU seconds of a single-threaded run are what the
    wall time would be on an idle core.
    """
    synchronize(device)
    start, cpu_start = time.perf_counter(), time.process_time()
    out = fn()
    synchronize(device)
    return out, time.perf_counter() - start, time.process_time() - cpu_start


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark and print (and optionally write) its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--text-dim", type=int, default=384, help="item text embedding width (0: no text)")
    parser.add_argument("--batch-size", type=int, default=4096, help="training batch (in-batch negatives)")
    parser.add_argument("--rank-batch", type=int, default=None, help="users scored at once for top-k (default: by memory)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)

    import torch

    from longtail import strategies
    from longtail.models.recommend import TwoTower
    from longtail.models.recommend.base import user_item_matrix

    if args.threads:
        torch.set_num_threads(args.threads)
    users, items = make_log(args.users, args.items, args.interactions, args.seed)
    text = None
    if args.text_dim:
        text = np.random.default_rng(args.seed + 1).normal(size=(args.items, args.text_dim)).astype(np.float32)
        text /= np.linalg.norm(text, axis=1, keepdims=True)
    logq = strategies.get("logq")

    def fit(n_rows: int) -> TwoTower:
        model = TwoTower(dim=args.dim, epochs=1, batch_size=args.batch_size, seed=args.seed, device=args.device)
        return model.fit(users[:n_rows], items[:n_rows], args.users, args.items, strategy=logq, item_text_emb=text)

    fit(min(args.interactions, 4 * args.batch_size))  # warm-up: CUDA context, kernels, lazy imports
    model, epoch_s, epoch_cpu_s = timed(args.device, lambda: fit(args.interactions))
    history = user_item_matrix(users, items, args.users, args.items)
    everyone = np.arange(args.users)
    ranked, topk_s, topk_cpu_s = timed(args.device, lambda: model.recommend(everyone, args.k, exclude=history, batch_size=args.rank_batch))
    leaked = int(history[np.arange(args.users)[:, None].repeat(args.k, 1)[ranked >= 0], ranked[ranked >= 0]].sum())

    figures = {
        "device": args.device if not args.device.startswith("cuda") else torch.cuda.get_device_name(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "users": args.users, "items": args.items, "interactions": args.interactions, "k": args.k,
        "dim": args.dim, "text_dim": args.text_dim, "batch_size": args.batch_size,
        "epoch_s": round(epoch_s, 3),
        "epoch_cpu_s": round(epoch_cpu_s, 3),
        "interactions_per_s": round(args.interactions / epoch_s),
        "topk_s": round(topk_s, 3),
        "topk_cpu_s": round(topk_cpu_s, 3),
        "users_per_s": round(args.users / topk_s),
        "excluded_items_returned": leaked,
        "polars_imported": "polars" in sys.modules,
    }
    for key, value in figures.items():
        print(f"{key:>24}: {value}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(figures, fh, indent=2)
    return figures


if __name__ == "__main__":
    main()
