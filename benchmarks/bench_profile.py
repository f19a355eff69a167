"""Profile a large shop log from Parquet: wall time and peak memory of `longtail profile`.

Writes a random shop log of ``--rows`` interactions (users uniform, items
Zipf-distributed, a view < click < cart < purchase funnel, five regions
with one dominant, epoch-second timestamps over 90 days) and its catalogue
as Parquet, with column names of its own (``uid``, ``sku``, ``ts``,
``action``, ``country``; ``sku``, ``name``, ``dept``), then runs
``longtail profile --format json`` on them in a fresh process and reports
its wall time and peak resident memory. The profile's interaction count and
item Gini are checked against a direct computation on the same file, so a
fast wrong answer does not pass. Usage::

    python benchmarks/bench_profile.py                  # 50M rows
    python benchmarks/bench_profile.py --rows 5000000 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

EVENTS = ("view", "click", "cart", "purchase")
EVENT_SHARES = (0.90, 0.07, 0.02, 0.01)
REGIONS = ("DE", "FR", "IT", "ES", "PL")
REGION_SHARES = (0.55, 0.2, 0.12, 0.08, 0.05)
CHUNK = 5_000_000  # rows generated and written at a time, so the writer's own memory stays small
DAYS = 90


def write_log(folder: Path, rows: int, n_users: int, n_items: int, seed: int) -> tuple[Path, Path]:
    """The interactions (in Parquet row groups of CHUNK rows) and the catalogue; returns their paths."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, n_items + 1) ** 1.05
    item_p = weights / weights.sum()
    start = 1_700_000_000
    interactions = folder / "log.parquet"
    writer = None
    try:
        import pyarrow.parquet as pq

        for offset in range(0, rows, CHUNK):
            n = min(CHUNK, rows - offset)
            chunk = pl.DataFrame({
                "uid": rng.integers(0, n_users, n, dtype=np.int64),
                "sku": rng.choice(n_items, n, p=item_p).astype(np.int64),
                "ts": start + rng.integers(0, DAYS * 86_400, n, dtype=np.int64),
                "action": pl.Series(np.asarray(EVENTS)[rng.choice(4, n, p=EVENT_SHARES)]),
                "country": pl.Series(np.asarray(REGIONS)[rng.choice(5, n, p=REGION_SHARES)]),
            }).to_arrow()
            writer = writer or pq.ParquetWriter(interactions, chunk.schema)
            writer.write_table(chunk)
    finally:
        if writer is not None:
            writer.close()
    catalogue = folder / "catalogue.parquet"
    depts = rng.choice(40, n_items, p=_zipf(40, 1.0))
    pl.DataFrame({
        "sku": np.arange(n_items, dtype=np.int64),
        "name": [f"product {i}" for i in range(n_items)],
        "dept": [f"Dept {d} > Aisle {d % 7}" for d in depts],
    }).write_parquet(catalogue)
    return interactions, catalogue


def _zipf(n: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


def direct_item_gini(interactions: Path, n_items: int) -> float:
    """Gini of per-item interaction counts over the whole catalogue, computed from sorted counts."""
    counts = pl.scan_parquet(interactions).group_by("sku").len().collect()
    x = np.zeros(n_items)
    x[counts["sku"].to_numpy()] = counts["len"].to_numpy()
    x = np.sort(x)
    n = x.size
    # sum_i sum_j |x_i - x_j| / (2 n^2 mean) from the sorted values: sum_i (2i - n - 1) x_(i) / (n^2 mean)
    return float(np.sum((2 * np.arange(1, n + 1) - n - 1) * x) / (n * n * x.mean()))


def profile(interactions: Path, catalogue: Path) -> tuple[dict, float, float]:
    """Run the CLI in a child process; (its JSON, wall seconds, the child's peak RSS in GiB)."""
    longtail = Path(sys.executable).with_name("longtail")
    command = [str(longtail), "profile", "--interactions", str(interactions), "--items", str(catalogue),
               "--columns", "user_id=uid,item_id=sku,timestamp=ts,event=action,region=country",
               "--item-columns", "item_id=sku,title=name,category=dept", "--format", "json"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"longtail profile failed ({done.returncode}): {done.stderr.strip()}")
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # Linux reports KiB
    return json.loads(done.stdout), wall, peak_gib


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--users", type=int, default=2_000_000)
    parser.add_argument("--items", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", type=Path, default=None, help="where the Parquet files go (default: a temporary folder)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        interactions, catalogue = write_log(folder, args.rows, args.users, args.items, args.seed)
        write_s = time.perf_counter() - start
        report, wall, peak = profile(interactions, catalogue)
        expected_gini = direct_item_gini(interactions, args.items)
        size_gib = interactions.stat().st_size / 2**30
    got_gini = report["dimensions"]["item"]["gini"]
    figures = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "rows": args.rows, "users": args.users, "items": args.items,
        "parquet_gib": round(size_gib, 2), "write_s": round(write_s, 1),
        "profile_wall_s": round(wall, 1), "profile_peak_rss_gib": round(peak, 2),
        "n_interactions_ok": report["n_interactions"] == args.rows,
        "item_gini": round(got_gini, 6), "item_gini_direct": round(expected_gini, 6),
        "item_gini_ok": abs(got_gini - expected_gini) < 1e-9,
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if not (figures["n_interactions_ok"] and figures["item_gini_ok"]):
        raise SystemExit("the profile disagrees with the direct computation")
    return figures


if __name__ == "__main__":
    main()
