"""Top-K over the full catalogue, users in batches, each user's excluded items never returned.

A model scores a batch of users against every item; the batch is either a
torch tensor (ranked with ``torch.topk`` on the tensor's own device, a GPU
when the model lives there) or a numpy array (ranked with
:func:`longtail.metrics.top_k_excluding`, i.e. ``argpartition``). Either way
excluded items and ``-inf`` scores never come back, and a user with fewer
than ``k`` candidates gets ``-1`` in the empty slots.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import sparse

from longtail.adjust.rerank import per_user_items
from longtail.metrics import top_k_excluding

EMPTY = -1
#: scores held at once per batch: about 16 MB on the CPU, 1 GB on a GPU
_CPU_BUDGET = 1 << 22
_GPU_BUDGET = 1 << 28


def exclusion_matrix(exclude: Any, n_users: int, n_items: int) -> sparse.csr_matrix | None:
    """Per-user excluded items as a (n_users, n_items) CSR matrix (None stays None).

    ``exclude`` is a boolean mask, a sparse matrix or one array of item
    indices per user, in the order of the users being ranked.
    """
    if exclude is None:
        return None
    return per_user_items(exclude, n_users, n_items, "exclude").tocsr()


def default_batch_size(n_items: int, device: str = "cpu") -> int:
    """Users per batch so that one batch of scores stays within the memory budget of ``device``."""
    budget = _GPU_BUDGET if str(device).startswith("cuda") else _CPU_BUDGET
    return max(1, budget // max(n_items, 1))


def top_k_batch(scores: Any, k: int, exclude: sparse.csr_matrix | None = None) -> np.ndarray:
    """Best ``k`` item indices per row of one score batch, best first, as an int64 numpy array."""
    if isinstance(scores, np.ndarray):
        return top_k_excluding(scores, k, exclude)
    return _torch_top_k(scores, k, exclude)


def _torch_top_k(scores: Any, k: int, exclude: sparse.csr_matrix | None) -> np.ndarray:
    import torch

    n_rows, n_items = scores.shape
    if k > n_items:
        raise ValueError(f"k is {k} but the catalogue has only {n_items} items; lower k")
    scores = scores.detach().float().clone()
    if exclude is not None and exclude.nnz:
        rows = np.repeat(np.arange(n_rows), np.diff(exclude.indptr))
        scores[torch.from_numpy(rows).to(scores.device), torch.from_numpy(exclude.indices.astype(np.int64)).to(scores.device)] = -torch.inf
    values, index = torch.topk(scores, k, dim=1)
    index[values == -torch.inf] = EMPTY
    return index.cpu().numpy().astype(np.int64)


def batched_top_k(
    score_batch: Callable[[np.ndarray], Any],
    user_idx: np.ndarray,
    k: int,
    n_items: int,
    exclude: sparse.csr_matrix | None = None,
    *,
    batch_size: int | None = None,
    device: str = "cpu",
    rank: Callable[[Any, sparse.csr_matrix | None], np.ndarray] | None = None,
) -> np.ndarray:
    """Top-``k`` items for every user in ``user_idx``, scoring ``batch_size`` users at a time.

    ``score_batch(users)`` returns the (len(users), n_items) scores of a
    batch; ``exclude`` has one row per entry of ``user_idx``. ``rank(scores,
    exclude)`` replaces the plain top-k of a batch (e.g. a re-ranker).
    """
    user_idx = np.asarray(user_idx, dtype=np.int64)
    batch_size = batch_size or default_batch_size(n_items, device)
    rank = rank or (lambda scores, excluded: top_k_batch(scores, k, excluded))
    out = np.full((user_idx.size, k), EMPTY, dtype=np.int64)
    for start in range(0, user_idx.size, batch_size):
        stop = min(start + batch_size, user_idx.size)
        excluded = None if exclude is None else exclude[start:stop]
        out[start:stop] = rank(score_batch(user_idx[start:stop]), excluded)
    return out
