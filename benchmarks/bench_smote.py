"""SMOTE speed and memory: longtail against imbalanced-learn, same process, same data.

Usage::

    python benchmarks/bench_smote.py                     # 1M x 64 float32, 5 % minority, CPU
    python benchmarks/bench_smote.py --n 200000 --d 32   # smaller
    python benchmarks/bench_smote.py --device cuda       # torch neighbour search on a GPU
    python benchmarks/bench_smote.py --approximate       # also: recall and speed of the approximate search

Reports wall time and CPU time (all threads) of ``fit_resample`` for both
libraries and their ratio (imbalanced-learn / longtail: above 1 means
longtail is faster), the neighbour search alone (longtail's ``kneighbors``
against scikit-learn's ``NearestNeighbors``, the search imbalanced-learn
uses), and the peak memory allocated during ``fit_resample`` (tracemalloc,
which sees numpy's buffers) as a multiple of the input size. The output of
both libraries is checked to have the same class counts. Needs only numpy,
scikit-learn and longtail (imbalanced-learn for the comparison, torch for
``--device``); polars and pandas are not used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import tracemalloc
from importlib import metadata
from typing import Any, Callable

import numpy as np

from longtail.sampling import SMOTE, kneighbors
from longtail.sampling.approximate import ClusterSearch


def make_data(n: int, d: int, minority: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian rows, float32; the minority class is shifted by half a unit in every feature."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=np.float32)
    y = (rng.random(n) < minority).astype(np.int64)
    X[y == 1] += 0.5
    return X, y


def clustered(n: int, d: int, seed: int) -> np.ndarray:
    """Rows around 100 random centres: closer to real embeddings than isotropic noise."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((100, d)).astype(np.float32) * 3
    return centres[rng.integers(0, 100, n)] + rng.standard_normal((n, d), dtype=np.float32)


def timed(run: Callable[[], Any]) -> tuple[Any, float, float]:
    """Result, wall seconds and CPU seconds (every thread of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def peak_bytes(run: Callable[[], Any]) -> int:
    """Peak bytes allocated while ``run`` executes (its result is dropped before returning)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    result = run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return peak


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of the true k nearest neighbours that were found."""
    k = truth.shape[1]
    return float(np.mean([np.intersect1d(a, b).size / k for a, b in zip(found, truth)]))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="rows")
    parser.add_argument("--d", type=int, default=64, help="features")
    parser.add_argument("--minority", type=float, default=0.05, help="share of the minority class")
    parser.add_argument("--device", default=None, help="torch device for longtail's neighbour search, e.g. cuda")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-memory", action="store_true", help="skip the (second) runs that measure memory")
    parser.add_argument("--no-imblearn", action="store_true", help="measure longtail only")
    parser.add_argument("--approximate", action="store_true", help="also measure the approximate search")
    parser.add_argument("--json", default=None, help="write the figures to this file")
    args = parser.parse_args(argv)

    X, y = make_data(args.n, args.d, args.minority, args.seed)
    input_bytes = X.nbytes + y.nbytes
    minority = X[y == 1]
    report: dict[str, Any] = {
        "rows": args.n,
        "features": args.d,
        "minority_rows": int(minority.shape[0]),
        "device": args.device or "cpu (numpy)",
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "versions": {p: version(p) for p in ("imbalanced-learn", "scikit-learn", "numpy", "torch")},
        "load_before": os.getloadavg()[0],
    }
    print(f"data: {args.n:,} x {args.d} float32, minority {minority.shape[0]:,} rows; input {input_bytes / 2**20:.0f} MiB", flush=True)

    ours = SMOTE(random_state=0, device=args.device)
    (X_ours, y_ours), wall, cpu = timed(lambda: ours.fit_resample(X, y))
    report["longtail"] = {"wall_s": wall, "cpu_s": cpu}
    print(f"longtail SMOTE: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    ours_counts = np.bincount(y_ours).tolist()
    del X_ours, y_ours

    truth, wall, cpu = timed(lambda: kneighbors(minority, 5, device=args.device))
    report["longtail_knn"] = {"wall_s": wall, "cpu_s": cpu}
    print(f"longtail kneighbors (minority): {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)

    if not args.no_imblearn:
        from imblearn.over_sampling import SMOTE as ImbSMOTE
        from sklearn.neighbors import NearestNeighbors

        (X_imb, y_imb), wall, cpu = timed(lambda: ImbSMOTE(random_state=0).fit_resample(X, y))
        report["imblearn"] = {"wall_s": wall, "cpu_s": cpu}
        print(f"imbalanced-learn SMOTE: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
        if np.bincount(y_imb).tolist() != ours_counts or X_imb.dtype != X.dtype:
            raise SystemExit(f"outputs differ: imbalanced-learn {np.bincount(y_imb).tolist()} vs longtail {ours_counts}")
        del X_imb, y_imb

        nn = NearestNeighbors(n_neighbors=6).fit(minority)
        sk_idx, wall, cpu = timed(lambda: nn.kneighbors(minority, return_distance=False)[:, 1:])
        report["sklearn_knn"] = {"wall_s": wall, "cpu_s": cpu}
        report["knn_identical"] = bool(np.array_equal(sk_idx, truth))
        print(f"scikit-learn NearestNeighbors (minority): {wall:.1f} s wall, {cpu:.1f} s CPU; same neighbours: {report['knn_identical']}", flush=True)
        for key, ref, mine in (("smote", "imblearn", "longtail"), ("knn", "sklearn_knn", "longtail_knn")):
            report[f"speedup_{key}"] = {
                "wall": report[ref]["wall_s"] / report[mine]["wall_s"],
                "cpu": report[ref]["cpu_s"] / report[mine]["cpu_s"],
            }

    if not args.no_memory:
        report["longtail_peak_x_input"] = peak_bytes(lambda: SMOTE(random_state=0, device=args.device).fit_resample(X, y)) / input_bytes
        print(f"longtail peak memory: {report['longtail_peak_x_input']:.2f} x input", flush=True)
        if not args.no_imblearn:
            report["imblearn_peak_x_input"] = peak_bytes(lambda: ImbSMOTE(random_state=0).fit_resample(X, y)) / input_bytes
            print(f"imbalanced-learn peak memory: {report['imblearn_peak_x_input']:.2f} x input", flush=True)
        report["output_x_input"] = sum(ours_counts) * (args.d * X.itemsize + y.itemsize) / input_bytes

    if args.approximate:
        report["approximate"] = approximate_figures(minority, truth, args.seed)
    report["load_after"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2)
    return report


def approximate_figures(minority: np.ndarray, truth: np.ndarray, seed: int) -> list[dict[str, Any]]:
    """Recall and time of the cluster search on the benchmark minority and on clustered rows."""
    rows = []
    exact_clustered = None
    other = clustered(minority.shape[0], minority.shape[1], seed)
    for name, points in (("gaussian minority", minority), ("clustered", other)):
        if name == "clustered":
            exact_clustered, wall, cpu = timed(lambda: kneighbors(points, 5))
            rows.append({"data": name, "n_probe": "exact", "recall": 1.0, "wall_s": wall, "cpu_s": cpu})
        reference = truth if name != "clustered" else exact_clustered
        for n_probe in (8, 32):
            found, wall, cpu = timed(lambda: kneighbors(points, 5, search=ClusterSearch(n_probe=n_probe)))
            rows.append({"data": name, "n_probe": n_probe, "recall": recall(found, reference), "wall_s": wall, "cpu_s": cpu})
            print(f"approximate ({name}, n_probe={n_probe}): recall {rows[-1]['recall']:.3f}, {wall:.1f} s wall", flush=True)
    return rows


if __name__ == "__main__":
    main()
