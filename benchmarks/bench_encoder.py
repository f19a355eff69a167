"""Throughput of longtail's TransformerEncoder against sentence-transformers on product titles.

Both encoders load the same local model folder and encode the same titles in
the same process; runs alternate (peer, ours, peer, ours, ...) so background
load hits both alike, and the best run of each is compared. Every row of our
output is checked against the peer's fp32 embeddings (cosine >= 0.999).

    python benchmarks/bench_encoder.py --n 4000                      # CPU, packaged model
    python benchmarks/bench_encoder.py --device cuda --dtype fp16 --model /path/minilm-fp16 --n 200000

Needs numpy, torch, transformers, safetensors, tokenizers (and
sentence-transformers for the comparison); not polars.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

try:
    import longtail.encoders  # noqa: F401
except ImportError:  # run from a checkout that is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

BRANDS = "Acme Nordhaus Kestrel Lumina Veyra Orbis Tamarack Halden Quillon Brightway Zentro Mirava Coldstream Ferro".split()
ADJECTIVES = ("Lightweight Waterproof Adjustable Portable Foldable Ergonomic Premium Classic Slim Heavy-Duty Wireless "
              "Rechargeable Non-Slip Breathable Insulated Compact Vintage Modern Organic Reusable Quick-Dry").split()
MATERIALS = "Cotton Linen Leather Stainless-Steel Bamboo Ceramic Silicone Aluminium Merino Wool Glass Oak Nylon Recycled".split()
PRODUCTS = [
    "Running Shoes", "Hiking Boots", "Rain Jacket", "Hoodie", "Slim Fit Jeans", "Summer Dress", "Backpack",
    "Bluetooth Earbuds", "USB-C Charger", "Laptop Stand", "Phone Case", "Mechanical Keyboard", "Gaming Mouse",
    "4K Monitor", "Desk Lamp", "Office Chair", "Chef Knife", "Frying Pan", "Coffee Grinder", "Espresso Machine",
    "Cutting Board", "Water Bottle", "Yoga Mat", "Dumbbell Set", "Dog Bed", "Cat Scratching Post", "Garden Hose",
    "Throw Blanket", "Pillow Case", "Bath Towel Set", "Travel Mug", "Lunch Box", "Kids Bike Helmet", "Tent",
]
COLOURS = "Black White Navy Grey Red Olive Beige Charcoal Sky-Blue Forest-Green Burgundy Mustard".split()
DETAILS = ["for Men", "for Women", "for Kids", "Unisex", "with Carry Case", "Dishwasher Safe", "2-Pack", "Set of 3",
           "UK Size 8", "EU 42", "Size M", "XL", "500ml", "1L", "28cm", "65W", "10000mAh", "Pack of 6", "2024 Model",
           "with Lid", "Machine Washable", "BPA Free", "Gift Idea", "Easy Assembly", "Extra Large"]


def product_titles(n: int, seed: int = 0, dup_rate: float = 0.0) -> list[str]:
    """``n`` product titles of 8-15 words; a ``dup_rate`` share of rows repeat earlier titles (as in real catalogues)."""
    rng = np.random.default_rng(seed)
    n_unique = max(1, round(n * (1.0 - dup_rate)))
    titles: dict[str, None] = {}
    while len(titles) < n_unique:
        words = [rng.choice(BRANDS), rng.choice(ADJECTIVES), rng.choice(MATERIALS), rng.choice(PRODUCTS)]
        words += [rng.choice(COLOURS)] + list(rng.choice(DETAILS, size=rng.integers(1, 4), replace=False))
        words += list(rng.choice(ADJECTIVES, size=rng.integers(0, 3), replace=False))
        titles[" ".join(words)] = None
    unique = list(titles)
    repeats = [unique[i] for i in rng.integers(0, n_unique, size=n - n_unique)]
    rows = unique + repeats
    return [rows[i] for i in rng.permutation(len(rows))]


def timed(fn, sync) -> tuple[float, float, np.ndarray]:
    """(wall seconds, process CPU seconds, output) of ``fn()``."""
    sync()
    start, cpu_start = time.perf_counter(), time.process_time()
    out = fn()
    sync()
    return time.perf_counter() - start, time.process_time() - cpu_start, out


def load_peer(folder: str, device: str, dtype):
    """sentence-transformers on the same folder with fp32 (or ``dtype``) weights, or None when not installed."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    import torch

    try:
        peer = SentenceTransformer(folder, device=device, model_kwargs={"dtype": torch.float32})
    except TypeError:  # older transformers call it torch_dtype
        peer = SentenceTransformer(folder, device=device, model_kwargs={"torch_dtype": torch.float32})
    return peer.to(dtype) if dtype is not None else peer


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: best available)")
    parser.add_argument("--dtype", default=None, help="fp32, fp16, bf16 (default: fp16 on cuda, fp32 elsewhere)")
    parser.add_argument("--n", type=int, default=4000, help="number of titles")
    parser.add_argument("--batch-size", type=int, default=None, help="longtail batch size (default: per device)")
    parser.add_argument("--peer-batch-size", type=int, default=32, help="sentence-transformers batch size (its default: 32)")
    parser.add_argument("--model", default=None, help="local model folder (default: the packaged all-MiniLM-L6-v2)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads for both (default: torch's)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each, alternating")
    parser.add_argument("--dup-rate", type=float, default=0.0, help="share of titles that repeat earlier ones")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)

    import torch

    from longtail.encoders import TransformerEncoder, resolve_model

    if args.threads:
        torch.set_num_threads(args.threads)
    load_at_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    titles = product_titles(args.n, args.seed, args.dup_rate)
    folder = str(resolve_model(args.model).folder)
    ours = TransformerEncoder(folder, device=args.device, dtype=args.dtype, batch_size=args.batch_size,
                              cache_dir=False, progress=False)
    device = ours.device
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    peers = {"sentence-transformers fp32": load_peer(folder, str(device), None)}
    if peers["sentence-transformers fp32"] is None:
        print("sentence-transformers is not installed: timing longtail alone", file=sys.stderr)
        peers = {}
    elif ours.dtype != torch.float32:
        peers[f"sentence-transformers {args.dtype or str(ours.dtype).removeprefix('torch.')}"] = load_peer(folder, str(device), ours.dtype)

    def run_peer(peer):
        return lambda: peer.encode(titles, batch_size=args.peer_batch_size, normalize_embeddings=True,
                                   convert_to_numpy=True, show_progress_bar=False)

    warm = titles[: min(256, len(titles))]
    ours.encode(warm)
    for peer in peers.values():
        peer.encode(warm, batch_size=args.peer_batch_size)

    runners = {**{name: run_peer(peer) for name, peer in peers.items()}, "longtail": lambda: ours.encode(titles)}
    times: dict[str, list[float]] = {name: [] for name in runners}
    cpu_times: dict[str, list[float]] = {name: [] for name in runners}
    outputs: dict[str, np.ndarray] = {}
    for _ in range(args.repeat):
        for name, run in runners.items():
            seconds, cpu_seconds, outputs[name] = timed(run, sync)
            times[name].append(seconds)
            cpu_times[name].append(cpu_seconds)

    reference_name = "sentence-transformers fp32"
    if reference_name not in outputs:
        reference_name = "longtail fp32"
        outputs[reference_name] = TransformerEncoder(folder, device=device, dtype="fp32", cache_dir=False).encode(titles)
    cosine = (outputs["longtail"] * outputs[reference_name]).sum(axis=1)

    rates = {name: len(titles) / min(values) for name, values in times.items()}
    cpu_rates = {name: len(titles) / min(values) for name, values in cpu_times.items()}
    result = {
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "load_average": [load_at_start, os.getloadavg()[0] if hasattr(os, "getloadavg") else None],
        "dtype": str(ours.dtype).removeprefix("torch."),
        "n_titles": len(titles),
        "unique_titles": len(set(titles)),
        "mean_tokens": float(np.mean(ours.token_ids(list(dict.fromkeys(titles))).lengths)),
        "batch_size": ours.batch_size,
        "peer_batch_size": args.peer_batch_size,
        "repeat": args.repeat,
        "titles_per_s_best": rates,
        "titles_per_s_median": {name: len(titles) / statistics.median(v) for name, v in times.items()},
        "speedup_best": {name: rates["longtail"] / rate for name, rate in rates.items() if name != "longtail"},
        # Titles per CPU-second: steadier than wall time on a shared machine (exact with --threads 1).
        "titles_per_cpu_s_best": cpu_rates,
        "speedup_cpu_time": {name: cpu_rates["longtail"] / rate for name, rate in cpu_rates.items() if name != "longtail"},
        "reference": reference_name,
        "min_cosine": float(cosine.min()),
        "all_rows_match": bool(cosine.min() >= 0.999),
        "versions": {"torch": torch.__version__, "transformers": __import__("transformers").__version__},
    }
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    if not result["all_rows_match"]:
        print(f"error: min cosine {result['min_cosine']:.5f} < 0.999 against {reference_name}", file=sys.stderr)
        sys.exit(1)
    return result


if __name__ == "__main__":
    main()
