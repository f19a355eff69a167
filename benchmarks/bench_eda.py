"""Speed of EDA text augmentation on real product titles.

Titles come from the Flipkart and Amazon UK catalogues under the data root
(``$LONGTAIL_DATA``), repeated up to ``--n`` rows. Measured: building the
catalogue neighbour table (and the language-model one, when the model package
is installed), EDA with all four operations (one version per
title, and ``n_aug=4`` versions per title), attribute shuffling, and random
swap / random deletion alone against nlpaug's ``RandomWordAug`` (the peer
library, when installed) on the same titles. Times are the best of
``--repeat`` runs. Usage:

    python benchmarks/bench_eda.py                  # 100k titles
    python benchmarks/bench_eda.py --n 20000 --repeat 1 --markdown out.md
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import random
import time
from pathlib import Path

import numpy as np
import polars as pl

from longtail.augment import EDA, AttributeShuffle, SynonymTable
from longtail.data.paths import data_root

SOURCES = {"flipkart_products/products.parquet": "product_name", "amazon_uk_products/products.parquet": "product_name"}


def load_titles(n: int) -> list[str]:
    """``n`` real titles (the catalogues repeated as needed)."""
    titles: list[str] = []
    for path, column in SOURCES.items():
        titles += pl.read_parquet(data_root() / path, columns=[column])[column].drop_nulls().to_list()
    return (titles * (n // len(titles) + 1))[:n]


def best_of(repeat: int, fn) -> float:
    """Fastest of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of titles")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best is kept)")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()

    titles = load_titles(args.n)
    distinct = sorted(set(titles))
    import sklearn.decomposition  # noqa: F401 - imported before timing: the import is not the work
    start = time.perf_counter()
    table = SynonymTable.from_texts(distinct)
    build_s = time.perf_counter() - start

    rows = [(f"neighbour table from {len(distinct):,} distinct titles (PPMI + SVD)", build_s, None)]
    if importlib.util.find_spec("all_minilm_l6_v2") is not None:
        start = time.perf_counter()
        lm_table = SynonymTable.from_language_model(words=table.words)
        rows.append((f"neighbour table from the language model ({len(lm_table):,} catalogue words)",
                     time.perf_counter() - start, None))
    steps = {
        f"EDA augment, {args.n:,} titles, 1 version each": EDA(table).augment,
        f"EDA expand, {args.n:,} titles, n_aug=4": EDA(table).expand,
        f"attribute shuffle, {args.n:,} titles": AttributeShuffle().augment,
    }
    for name, step in steps.items():
        rows.append((name, best_of(args.repeat, lambda: step(titles, 0)), None))

    try:
        import nlpaug.augmenter.word as naw
    except ImportError:
        naw = None
    zero = {"alpha_sr": 0.0, "alpha_ri": 0.0, "alpha_rs": 0.0, "p_rd": 0.0}
    for action, ours in (("swap", {"alpha_rs": 0.1}), ("delete", {"p_rd": 0.1})):
        eda = EDA(None, **{**zero, **ours})
        ours_s = best_of(args.repeat, lambda: eda.augment(titles, 0))
        peer_s = None
        if naw is not None:
            peer = naw.RandomWordAug(action=action, aug_p=0.1, aug_min=1)
            random.seed(0)
            peer_s = best_of(args.repeat, lambda: peer.augment(titles))
        rows.append((f"random {action} only, {args.n:,} titles (peer: nlpaug RandomWordAug)", ours_s, peer_s))

    lines = [
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}; best of {args.repeat}",
        "",
        "| step | longtail (s) | peer (s) | peer / longtail |",
        "|---|---:|---:|---:|",
    ]
    for name, ours_s, peer_s in rows:
        peer = "" if peer_s is None else f"{peer_s:.2f}"
        ratio = "" if peer_s is None else f"{peer_s / ours_s:.1f}x"
        lines.append(f"| {name} | {ours_s:.2f} | {peer} | {ratio} |")
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
