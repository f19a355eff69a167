"""Load test of `longtail serve`: /recommend over a 50k-item catalogue at a fixed request rate.

A real uvicorn process (``longtail serve``) on 127.0.0.1, pinned to two
cores where the machine has more, serves a MostPopular or TwoTower model
fitted on the synthetic marketplace (50,000 items). The client is open
loop: request ``i`` is sent at ``t0 + i / rate`` whether or not earlier
answers came back, and its latency counts from that planned time, so a
slow server cannot hide its queue. 90 % of requests are for known users,
10 % for new users with a region (cold start). Each phase is bounded by
``rate * duration`` requests and a wall-clock limit.

    .venv/bin/python benchmarks/bench_serve.py --rate 200 --duration 30 --model most-popular
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

HOST = "127.0.0.1"  # loopback only
SERVER_CORES = 2
CONNECTIONS = 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def build(folder: Path, model_name: str, n_items: int, seed: int) -> tuple[Path, list, list]:
    """Synthetic marketplace with ``n_items`` items, a fitted model, written as MODEL_DIR."""
    from longtail.data.synthetic import make_marketplace
    from longtail.models.recommend import MostPopular, TwoTower
    from longtail.serve.export import build_model_dir, index_interactions

    started = time.perf_counter()
    ds = make_marketplace(seed, n_users=20_000, n_items=n_items, n_events=200_000, n_queries=10)
    ix = index_interactions(ds)
    if model_name == "two-tower":
        model = TwoTower(dim=32, epochs=1, batch_size=2048, seed=seed, device="cpu")
    else:
        model = MostPopular()
    model.fit(ix.users, ix.items, ix.n_users, ix.n_items)
    folder = build_model_dir(folder, ds, model, overwrite=True)
    regions = sorted(set(ds.users["region"].to_list()))
    print(f"built {model_name} over {ix.n_items} items, {ix.n_users} users in {time.perf_counter() - started:.1f} s",
          flush=True)
    return folder, ix.user_ids.tolist(), regions


def start_server(folder: Path, journal: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "longtail.cli.main", "serve", str(folder), "--host", HOST, "--port", str(port),
               "--journal", str(journal), "--log-level", "warning"]
    cores = sorted(os.sched_getaffinity(0))[:SERVER_CORES] if hasattr(os, "sched_getaffinity") else None
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None)
    url = f"http://{HOST}:{port}"
    import httpx

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("server did not start within 180 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (Linux /proc); NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def payloads(users: list, regions: list, n: int, k: int, lam: float, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        if rng.random() < 0.9:
            out.append({"user_id": users[int(rng.integers(len(users)))], "k": k, "rerank_lambda": lam})
        else:
            out.append({"user_id": f"new-{i}", "k": k, "region": regions[int(rng.integers(len(regions)))],
                        "rerank_lambda": lam})
    return out


def event_payloads(users: list, n: int, batch: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    kinds = ["impression", "click", "purchase"]
    return [{"events": [{"type": kinds[int(rng.choice(3, p=[0.85, 0.12, 0.03]))], "user_id": users[int(rng.integers(len(users)))],
                         "item_id": int(rng.integers(1, 50_000))} for _ in range(batch)]} for _ in range(n)]


def open_loop(url: str, bodies: list[dict], rate: float, limit_s: float) -> dict:
    """Send ``bodies`` at ``rate`` per second regardless of answers; latency counts from each planned send time.

    A scheduler thread releases request ``i`` at ``t0 + i / rate`` into a FIFO
    queue; CONNECTIONS worker threads, each with one keep-alive
    ``http.client`` connection, send them. A request waiting for a free
    worker is late, and the wait counts in its latency. ``http.client``
    costs the client a fraction of httpx's CPU per request, which leaves
    the two cores to the server being measured.
    """
    target = urlsplit(url)
    latencies = np.full(len(bodies), np.nan)
    errors: dict[str, int] = {}
    lock = threading.Lock()
    jobs: queue.Queue = queue.Queue()
    payloads = [json.dumps(body).encode() for body in bodies]

    def fail(kind: str) -> None:
        with lock:
            errors[kind] = errors.get(kind, 0) + 1

    def worker() -> None:
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        while (job := jobs.get()) is not None:
            i, planned = job
            try:
                connection.request("POST", target.path, payloads[i], {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    latencies[i] = time.perf_counter() - planned
                else:
                    fail(str(response.status))
            except (OSError, http.client.HTTPException) as exc:
                fail(type(exc).__name__)
                connection.close()
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        connection.close()

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(CONNECTIONS)]
    for thread in workers:
        thread.start()
    client_cpu = time.process_time()
    start = time.perf_counter()
    sent = 0
    for i in range(len(bodies)):
        planned = start + i / rate
        if planned - start > limit_s:
            break
        delay = planned - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        jobs.put((i, planned))
        sent += 1
    for _ in workers:
        jobs.put(None)
    deadline = time.perf_counter() + 30  # answers still missing 30 s after the last send are lost
    for thread in workers:
        thread.join(timeout=max(deadline - time.perf_counter(), 0))
    elapsed = time.perf_counter() - start
    client_cpu = time.process_time() - client_cpu
    done = latencies[~np.isnan(latencies)] * 1000
    missing = sent - done.size - sum(errors.values())
    if missing > 0:
        errors["no answer within 30 s"] = missing
    return {
        "sent": sent, "ok": int(done.size), "errors": errors, "seconds": round(elapsed, 2),
        "throughput_rps": round(done.size / elapsed, 1),
        "p50_ms": round(float(np.percentile(done, 50)), 2) if done.size else None,
        "p90_ms": round(float(np.percentile(done, 90)), 2) if done.size else None,
        "p99_ms": round(float(np.percentile(done, 99)), 2) if done.size else None,
        "max_ms": round(float(done.max()), 2) if done.size else None,
        "client_cpu_ms_per_request": round(1000 * client_cpu / max(sent, 1), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=("most-popular", "two-tower"), default="most-popular")
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase (bounds the requests too)")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--lambdas", default="0,0.3", help="re-rank lambdas, one phase each")
    parser.add_argument("--events-rate", type=float, default=50.0, help="POST /events per second (0: skip), 20 events each")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args()
    if args.rate <= 0 or args.duration <= 0 or args.duration > 600:
        raise SystemExit("--rate must be > 0 and --duration in (0, 600]")

    import httpx

    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    folder, users, regions = build(work / "model", args.model, args.items, args.seed)
    process, url = start_server(folder, work / "events.sqlite", work / "server.log")
    results = {"model": args.model, "items": args.items, "rate": args.rate, "duration_s": args.duration, "k": args.k,
               "server_cores": SERVER_CORES, "cpu_count": os.cpu_count(), "python": platform.python_version(),
               "load_average_before": os.getloadavg(), "phases": []}
    try:
        for body in payloads(users, regions, 200, args.k, 0.0, args.seed + 99):  # warm-up, not measured
            httpx.post(url + "/recommend", json=body, timeout=10)
        n = int(args.rate * args.duration)
        for phase, lam in enumerate(float(v) for v in args.lambdas.split(",")):
            bodies = payloads(users, regions, n, args.k, lam, args.seed + phase)
            cpu = cpu_seconds(process.pid)
            figures = (open_loop(url + "/recommend", bodies, args.rate, args.duration))
            figures["server_cpu_ms_per_request"] = round(1000 * (cpu_seconds(process.pid) - cpu) / max(figures["ok"], 1), 3)
            # one Python process answers on one core: its CPU time per request bounds its rate
            figures["one_core_capacity_rps"] = round(1000 / figures["server_cpu_ms_per_request"], 1)
            results["phases"].append({"endpoint": "/recommend", "rerank_lambda": lam, **figures})
            print(json.dumps(results["phases"][-1]), flush=True)
        if args.events_rate > 0:
            bodies = event_payloads(users, int(args.events_rate * args.duration), 20, args.seed)
            cpu = cpu_seconds(process.pid)
            figures = (open_loop(url + "/events", bodies, args.events_rate, args.duration))
            figures["server_cpu_ms_per_request"] = round(1000 * (cpu_seconds(process.pid) - cpu) / max(figures["ok"], 1), 3)
            results["phases"].append({"endpoint": "/events", "batch": 20, "rate": args.events_rate, **figures})
            print(json.dumps(results["phases"][-1]), flush=True)
        results["load_average_after"] = os.getloadavg()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
