"""Exact-search candidates computed with torch, on a GPU (``device="cuda"``) or the CPU.

Blocks of query rows are multiplied against all references at once on the
device and ``torch.topk`` keeps each row's ``k + margin`` best; the caller then
refines and proves them exactly as for the numpy tiles.
"""

from __future__ import annotations

import numpy as np

from longtail.sampling.neighbor_space import Space, make_space, reference_columns

_BLOCK_BYTES = 256 << 20  # one block of the distance matrix on the device


def torch_device(device: str) -> "object":
    """``device`` as a ``torch.device``; ``ValueError`` naming the fix when it cannot be used."""
    try:
        import torch
    except ImportError as exc:
        raise ValueError(
            f"device={device!r} needs torch, which is not installed; install torch or use device=None (numpy search)"
        ) from exc
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device; use 'cuda', 'cuda:0', 'cpu' or None") from exc
    if dev.type == "cuda":
        available = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if available == 0 or (dev.index is not None and dev.index >= available):
            raise ValueError(
                f"device={device!r} asks for a GPU but torch sees {available} GPU(s); "
                "use device=None for the CPU search, or run where torch.cuda.is_available() is True"
            )
    return dev


def _unit_round_off(device: "object") -> float:
    """Round-off of a float32 matrix product under the current torch settings."""
    import torch

    precision = torch.get_float32_matmul_precision()
    tf32 = getattr(device, "type", None) == "cuda" and torch.backends.cuda.matmul.allow_tf32
    if precision == "highest" and not tf32:
        return 2.0**-24
    if precision == "high" or tf32:
        return 2.0**-11  # TensorFloat-32 keeps 10 mantissa bits
    return 2.0**-8  # bfloat16


def torch_candidates(
    queries: np.ndarray,
    references: np.ndarray | None,
    n_candidates: int,
    self_index: np.ndarray | None,
    device: str,
    block_bytes: int = _BLOCK_BYTES,
) -> tuple[Space, np.ndarray, np.ndarray]:
    """``(space, tau, candidates)`` for the exact search, computed on ``device``."""
    import torch

    dev = torch_device(device)
    space = make_space(queries, references, np.float32, unit=_unit_round_off(dev))
    n_q, n_r = space.queries.shape[0], space.references.shape[0]
    cols = torch.from_numpy(reference_columns(space.references, space.dim)).to(dev).T
    rows_per_block = max(1, block_bytes // (4 * n_r))
    tau = np.empty(n_q, dtype=np.float32)
    candidates = np.empty((n_q, n_candidates), dtype=np.int64)
    own = None if self_index is None else torch.from_numpy(self_index)
    with torch.no_grad():
        for lo in range(0, n_q, rows_per_block):
            hi = min(n_q, lo + rows_per_block)
            block = torch.from_numpy(space.queries[lo:hi]).to(dev) @ cols
            local = torch.arange(hi - lo, device=dev)
            if space.symmetric:
                block[local, local + lo] = float("inf")
            elif own is not None:
                skip = own[lo:hi].to(dev)
                keep = skip >= 0
                block[local[keep], skip[keep]] = float("inf")
            vals, idx = torch.topk(block, n_candidates, dim=1, largest=False, sorted=False)
            tau[lo:hi] = vals.max(dim=1).values.cpu().numpy()
            candidates[lo:hi] = idx.cpu().numpy()
    return space, tau, candidates

