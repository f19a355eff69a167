"""Speed and peak memory of the synthetic marketplace, its truth and the splits.

Each size runs in a fresh process, so the peak resident memory reported is
that size's own. Usage:

    python benchmarks/bench_synthetic.py                 # default size and 10M views
    python benchmarks/bench_synthetic.py --skip-big      # default size only
    python benchmarks/bench_synthetic.py --markdown out.md
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import resource
import time
from pathlib import Path

SIZES = {
    "default (5k users, 2k items, 300k views)": {},
    "large (100k users, 20k items, 10M views)": dict(n_users=100_000, n_items=20_000, n_events=10_000_000),
}
TOP_K_USERS, TOP_K = 10_000, 100


def _timed(fn):
    """Result of ``fn()`` and its (wall, CPU) seconds; CPU time counts every thread of the process."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, (time.perf_counter() - wall, time.process_time() - cpu)


def _measure(knobs: dict, queue) -> None:
    """Child process: generate, split and query the truth, then report times and peak memory."""
    from longtail.data import splits
    from longtail.data.synthetic import make_marketplace

    ds, generate_s = _timed(lambda: make_marketplace(seed=0, **knobs))
    users = ds.users["user_id"].to_numpy()[:TOP_K_USERS]
    _, top_k_s = _timed(lambda: ds.truth.top_k(users, TOP_K))
    times = {
        "generate": generate_s,
        "random_split": _timed(lambda: splits.random_split(ds, 0.2, seed=0, stratify="event"))[1],
        "temporal_split": _timed(lambda: splits.temporal_split(ds, 0.2))[1],
        "leave_last_out": _timed(lambda: splits.leave_last_out(ds, 1))[1],
        f"truth.top_k ({len(users):,} users, k={TOP_K})": top_k_s,
    }
    queue.put({
        "rows": ds.interactions.height,
        "views": int((ds.interactions["event"] == "view").sum()),
        "times": times,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,  # Linux reports KiB
    })


def run(name: str, knobs: dict) -> dict:
    """Measure one size in a fresh process."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_measure, args=(knobs, queue))
    child.start()
    result = queue.get()
    child.join()
    return {"name": name, **result}


def table_rows(results: list[dict]) -> list[tuple[str, ...]]:
    """One row per (size, step): size, interaction rows and peak memory only on a size's first row."""
    rows = []
    for r in results:
        for i, (step, (wall, cpu)) in enumerate(r["times"].items()):
            first = i == 0
            rows.append((r["name"] if first else "", f"{r['rows']:,}" if first else "", step, f"{wall:.2f}",
                         f"{cpu:.2f}", f"{r['peak_rss_gib']:.2f}" if first else ""))
    return rows


def as_markdown(results: list[dict]) -> str:
    """The results as a markdown section."""
    cpu = f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    lines = [
        "## Synthetic marketplace",
        "",
        f"Measured with `python benchmarks/bench_synthetic.py` ({cpu}, load average {os.getloadavg()[0]:.1f} "
        "at the end); one run each. CPU seconds add up every thread.",
        "",
        "| size | interaction rows | step | wall s | CPU s | peak memory (GiB) |",
        "|---|---:|---|---:|---:|---:|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(results)]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the sizes, print a table, optionally write markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-big", action="store_true", help="only the default size")
    parser.add_argument("--markdown", type=Path, help="also write the table as markdown here")
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    sizes = list(SIZES.items())[:1] if args.skip_big else list(SIZES.items())
    results = []
    console = Console()
    for name, knobs in sizes:
        with console.status(f"measuring {name}"):
            results.append(run(name, knobs))
    table = Table(title="synthetic marketplace")
    for col in ("size", "rows", "step", "wall s", "CPU s", "peak GiB"):
        table.add_column(col, justify="left" if col in ("size", "step") else "right")
    for row in table_rows(results):
        table.add_row(*row)
    console.print(table)
    if args.markdown:
        args.markdown.write_text(as_markdown(results))
        console.print(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()
