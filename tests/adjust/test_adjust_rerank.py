"""ExposureReranker: exact top-k at lam=0, tail share rising with lam, and the vectorised greedy
matching a per-user pure-Python reference of both formulas."""

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from longtail.adjust import ExposureReranker, NotFittedError
from longtail.adjust.rerank import js_divergence
from longtail.metrics import popularity_buckets


def _data(seed=0, n_users=60, n_items=200):
    rng = np.random.default_rng(seed)
    popularity = rng.pareto(1.0, n_items) + 1
    # scores lean towards popular items, as a model trained on logged clicks does
    scores = np.log(popularity)[None, :] + rng.normal(size=(n_users, n_items))
    history = [rng.choice(n_items, size=rng.integers(0, 8), replace=False, p=popularity / popularity.sum())
               for _ in range(n_users)]
    return popularity, scores, history


def _reference(scores, groups, lam, k, method, history, n_candidates):
    """One user at a time, one candidate at a time, straight from the formulas."""
    out = []
    for u in range(scores.shape[0]):
        seen = set(history[u].tolist())
        order = [i for i in np.argsort(-scores[u], kind="stable") if i not in seen][:n_candidates]
        s = {i: scores[u, i] for i in order}
        lo, hi = min(s.values()), max(s.values())
        rel = {i: (v - lo) / (hi - lo) for i, v in s.items()}
        counts = np.bincount(groups[list(seen)], minlength=2).astype(float) if seen else np.zeros(2)
        target = counts / counts.sum() if counts.sum() else np.full(2, 0.5)
        chosen = []
        for pos in range(k):
            best, best_value = None, -np.inf
            for i in order:
                if i in chosen:
                    continue
                g = groups[i]
                if method == "xquad":
                    share = sum(groups[j] == g for j in chosen) / pos if pos else 0.0
                    gain = target[g] * (1 - share)
                else:
                    mix = np.bincount([groups[j] for j in chosen] + [g], minlength=2) / (pos + 1)
                    gain = -jensenshannon(target, mix) ** 2
                value = (1 - lam) * rel[i] + lam * gain
                if value > best_value + 1e-12:
                    best, best_value = i, value
            chosen.append(best)
        out.append(chosen)
    return np.array(out)


@pytest.mark.parametrize("method", ["xquad", "calibrated"])
@pytest.mark.parametrize("lam", [0.3, 0.8])
def test_vectorised_greedy_matches_reference(method, lam):
    popularity, scores, history = _data(1, n_users=15, n_items=60)
    reranker = ExposureReranker(lam, 5, method=method, n_candidates=30).fit(popularity)
    got = reranker.rerank(scores, exclude=history)
    expected = _reference(scores, reranker.groups_, lam, 5, method, history, 30)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("method", ["xquad", "calibrated"])
def test_lam_zero_is_exact_top_k(method):
    popularity, scores, history = _data(2)
    reranker = ExposureReranker(0.0, 10, method=method).fit(popularity)
    masked = scores.copy()
    for u, items in enumerate(history):
        masked[u, items] = -np.inf
    expected = np.argsort(-masked, axis=1, kind="stable")[:, :10]
    np.testing.assert_array_equal(reranker.rerank(scores, exclude=history), expected)
    mask = np.isinf(masked)
    np.testing.assert_array_equal(reranker.rerank(scores, exclude=mask), expected)


@pytest.mark.parametrize("method", ["xquad", "calibrated"])
def test_larger_lam_raises_tail_share(method):
    popularity, scores, _ = _data(3)
    reranker = ExposureReranker(k=10, method=method, n_candidates=None).fit(popularity, head_share=0.2)
    shares = []
    for lam in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        reranker.lam = lam
        shares.append(reranker.groups_[reranker.rerank(scores)].mean())
    assert all(b > a for a, b in zip(shares, shares[1:])), shares
    assert shares[-1] == pytest.approx(0.5)  # a uniform target without history: half head, half tail


def test_excluded_items_never_shown_and_short_lists_padded():
    popularity, scores, history = _data(4, n_users=5, n_items=12)
    reranker = ExposureReranker(0.5, 10, n_candidates=None).fit(popularity)
    exclude = [np.arange(5)] * 5
    out = reranker.rerank(scores, exclude=exclude)
    assert out.shape == (5, 10) and np.all(out[:, 7:] == -1)
    assert not np.isin(out[:, :7], np.arange(5)).any()
    assert all(len(set(row)) == 7 for row in out[:, :7].tolist())


def test_head_is_the_popular_share():
    popularity = np.arange(1, 11, dtype=float)
    groups = ExposureReranker().fit(popularity, head_share=0.2).groups_
    np.testing.assert_array_equal(groups, popularity_buckets(popularity, head_share=0.2, by="items"))
    assert groups[-2:].tolist() == [0, 0] and groups[:-2].sum() == 8


def test_js_divergence_matches_scipy():
    rng = np.random.default_rng(5)
    p, q = rng.dirichlet(np.ones(3), size=20), rng.dirichlet(np.ones(3), size=20)
    q[0] = [1.0, 0.0, 0.0]
    np.testing.assert_allclose(js_divergence(p, q), jensenshannon(p, q, axis=1) ** 2, atol=1e-12)


def test_errors():
    with pytest.raises(ValueError, match="lam"):
        ExposureReranker(lam=1.5)
    with pytest.raises(ValueError, match="method"):
        ExposureReranker(method="mmr")
    with pytest.raises(ValueError, match="n_candidates"):
        ExposureReranker(k=10, n_candidates=5)
    with pytest.raises(NotFittedError, match="fit"):
        ExposureReranker().rerank(np.zeros((2, 3)))
    reranker = ExposureReranker(k=2).fit(np.arange(1, 5))
    with pytest.raises(ValueError, match="shape"):
        reranker.rerank(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="exclude"):
        reranker.rerank(np.zeros((2, 4)), exclude=[[9], []])
    with pytest.raises(ValueError, match="head_share"):
        reranker.fit(np.arange(4), head_share=1.0)


def test_per_user_items_forms_agree_and_leave_input_alone():
    from scipy import sparse

    from longtail.adjust.rerank import per_user_items

    lists = [[0, 2, 2], [], [3]]
    mask = np.zeros((3, 4), dtype=bool)
    mask[0, [0, 2]] = mask[2, 3] = True
    given = sparse.csr_matrix(([2.0, 5.0, 0.0, 7.0], ([0, 0, 1, 2], [0, 2, 1, 3])), shape=(3, 4))
    assert given.nnz == 4  # the stored zero at (1, 1) is not an item
    for form in (lists, mask, given):
        np.testing.assert_array_equal(per_user_items(form, 3, 4, "exclude").toarray(), mask)
    assert given[0, 2] == 5.0


def test_every_public_adjuster_has_fit_and_transform():
    import longtail.adjust as adjust

    for name in ("ThresholdMover", "LogitAdjuster", "TemperatureScaler", "ExposureReranker"):
        cls = getattr(adjust, name)
        assert name in adjust.__all__ and callable(cls.fit) and callable(cls.transform)
    popularity, scores, history = _data(3)
    reranker = ExposureReranker(lam=0.4, k=5).fit(popularity)
    np.testing.assert_array_equal(
        reranker.transform(scores, exclude=history), reranker.rerank(scores, exclude=history, history=history)
    )
