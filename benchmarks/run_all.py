"""Run every speed benchmark of this folder one after the other and keep their figures.

Each benchmark runs in its own process with the sizes its target names (see
docs/performance.md); its figures (JSON or markdown) and its console output
go to ``--out`` (default ``runs/benchmarks/<time>/``). Runs that need a GPU
are added with ``--device cuda``. ``--only`` picks benchmarks by name::

    python benchmarks/run_all.py                          # everything on the CPU (about 30 minutes on 2 cores)
    python benchmarks/run_all.py --only smote encoder     # two of them
    python benchmarks/run_all.py --device cuda --model /path/minilm-fp16   # GPU figures too

The machine should be otherwise idle: wall-clock targets (generation,
latency) mean little on a loaded machine; the ratios against a peer library
are measured in the same process and suffer less.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def plan(out: Path, device: str | None, model: str | None) -> dict[str, list[str]]:
    """Benchmark name -> its command line (python script and arguments)."""
    runs = {
        "synthetic": ["bench_synthetic.py", "--markdown", str(out / "synthetic.md")],
        "profile": ["bench_profile.py", "--json", str(out / "profile.json")],
        "smote": ["bench_smote.py", "--approximate", "--json", str(out / "smote.json")],
        "smote384": ["bench_smote.py", "--d", "384", "--no-memory", "--json", str(out / "smote384.json")],
        "eda": ["bench_eda.py", "--markdown", str(out / "eda.md")],
        "encoder": ["bench_encoder.py", "--n", "4000", "--json", str(out / "encoder.json")],
        "two_tower": ["bench_two_tower.py", "--json", str(out / "two_tower.json")],
        "serve": ["bench_serve.py", "--rate", "200", "--duration", "30", "--out", str(out / "serve.json")],
    }
    if device and device != "cpu":
        runs["smote_gpu"] = ["bench_smote.py", "--device", device, "--json", str(out / "smote_gpu.json")]
        runs["smote384_gpu"] = ["bench_smote.py", "--d", "384", "--device", device, "--no-memory",
                                "--json", str(out / "smote384_gpu.json")]
        encoder = ["bench_encoder.py", "--device", device, "--n", "200000", "--json", str(out / "encoder_gpu.json")]
        runs["encoder_gpu"] = encoder + (["--model", model] if model else [])
        runs["two_tower_gpu"] = ["bench_two_tower.py", "--device", device, "--json", str(out / "two_tower_gpu.json")]
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the figures and logs")
    parser.add_argument("--only", nargs="+", default=None, help="benchmark names to run (default: all)")
    parser.add_argument("--device", default=None, help="also run the GPU benchmarks on this device, e.g. cuda")
    parser.add_argument("--model", default=None, help="local encoder folder for the GPU encoder run (e.g. an fp16 copy)")
    args = parser.parse_args(argv)

    out = args.out or Path("runs") / "benchmarks" / datetime.now().strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    runs = plan(out, args.device, args.model)
    unknown = sorted(set(args.only or ()) - set(runs))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(runs)}")
    failed = []
    for name, command in runs.items():
        if args.only and name not in args.only:
            continue
        print(f"== {name}: {' '.join(command)}", flush=True)
        start = time.perf_counter()
        with open(out / f"{name}.log", "w") as log:
            done = subprocess.run([sys.executable, str(HERE / command[0]), *command[1:]], stdout=log,
                                  stderr=subprocess.STDOUT, check=False, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        status = "ok" if done.returncode == 0 else f"FAILED (exit {done.returncode}, see {out / (name + '.log')})"
        print(f"   {status} in {time.perf_counter() - start:.0f} s", flush=True)
        if done.returncode:
            failed.append(name)
    print(f"figures and logs in {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
