"""Direct, loop-per-user float64 implementations of the metric definitions, used as references."""

from __future__ import annotations

import math

import numpy as np


def gini_pairs(x) -> float:
    """``sum_i sum_j |x_i - x_j| / (2 n^2 mean(x))`` by the double sum."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.abs(x[:, None] - x[None, :]).sum() / (2 * x.size**2 * x.mean()))


def user_metrics(ranked_row, relevant, k, gains=None) -> dict[str, float]:
    """Every ranking metric of one user, straight from the definitions."""
    relevant = set(int(i) for i in relevant)
    gains = gains or {i: 1.0 for i in relevant}
    top = [int(i) for i in ranked_row[:k]]
    hits = [i in relevant for i in top]
    dcg = sum(gains[i] / math.log2(r + 2) for r, i in enumerate(top) if i in relevant)
    best = sorted(gains.values(), reverse=True)[: min(len(relevant), k)]
    idcg = sum(g / math.log2(r + 2) for r, g in enumerate(best))
    first = next((r for r, h in enumerate(hits) if h), None)
    ap = sum(sum(hits[: r + 1]) / (r + 1) for r, h in enumerate(hits) if h) / min(len(relevant), k)
    return {
        "ndcg": dcg / idcg if idcg > 0 else 0.0,
        "recall": sum(hits) / len(relevant),
        "precision": sum(hits) / k,
        "hit_rate": float(any(hits)),
        "mrr": 0.0 if first is None else 1.0 / (first + 1),
        "map": ap,
    }


def mean_metrics(ranked, relevant, k, gains=None) -> dict[str, float]:
    """Mean of :func:`user_metrics` over users with at least one relevant item."""
    rows = [
        user_metrics(ranked[u], relevant[u], k, None if gains is None else gains[u])
        for u in range(len(relevant))
        if len(relevant[u])
    ]
    return {name: float(np.mean([row[name] for row in rows])) for name in rows[0]}


def pop_reo_sets(ranked, relevant, head: set, tail: set, k: int) -> float:
    """Elliot's PopREO: pooled hits / relevant items in the head and in the tail, then std / mean."""
    num = np.zeros(2)
    den = np.zeros(2)
    for row, rel in zip(ranked, relevant):
        rel = set(int(i) for i in rel)
        if not rel:
            continue
        found = {int(i) for i in row[:k]} & rel
        num += [len(found & head), len(found & tail)]
        den += [len(rel & head), len(rel & tail)]
    p = num / den
    return float(np.std(p) / np.mean(p))


def pop_rsp_sets(ranked, train, head: set, tail: set, k: int) -> float:
    """Elliot's PopRSP: pooled recommended / not-yet-seen items in the head and in the tail, then std / mean."""
    num = np.zeros(2)
    den = np.zeros(2)
    for row, seen in zip(ranked, train):
        shown = {int(i) for i in row[:k]}
        seen = set(int(i) for i in seen)
        num += [len(shown & head), len(shown & tail)]
        den += [len(head - seen), len(tail - seen)]
    p = num / den
    return float(np.std(p) / np.mean(p))


def ild_pairs(ranked, embeddings, k) -> float:
    """Mean over users of the mean of ``1 - cos`` over all pairs in the top-k list."""
    per_user = []
    for row in ranked:
        items = [int(i) for i in row[:k] if i >= 0]
        dists = []
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                u, v = embeddings[items[a]], embeddings[items[b]]
                dists.append(1 - float(u @ v) / (np.linalg.norm(u) * np.linalg.norm(v)))
        if dists:
            per_user.append(np.mean(dists))
    return float(np.mean(per_user))


def ece_loop(y_true, prob, n_bins) -> float:
    """Top-label ECE by looping over the bins ``((b-1)/B, b/B]``."""
    conf = prob.max(axis=1)
    correct = prob.argmax(axis=1) == y_true
    total = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        in_bin = (conf > lo) & (conf <= hi) if b else (conf <= hi)
        if in_bin.any():
            total += in_bin.mean() * abs(correct[in_bin].mean() - conf[in_bin].mean())
    return total
