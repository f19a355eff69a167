import numpy as np
import pytest
import torch
from scipy import sparse

from longtail.models.recommend.topk import EMPTY, batched_top_k, default_batch_size, exclusion_matrix, top_k_batch


def reference_top_k(scores, k, exclude_sets):
    """Direct float64 reference: sort each row, drop excluded and -inf items, pad with -1."""
    out = np.full((scores.shape[0], k), EMPTY, dtype=np.int64)
    for row, values in enumerate(scores.astype(np.float64)):
        order = [int(i) for i in np.argsort(-values, kind="stable") if i not in exclude_sets[row] and np.isfinite(values[i])]
        out[row, : min(k, len(order))] = order[:k]
    return out


def random_case(seed, n_users=7, n_items=30):
    rng = np.random.default_rng(seed)
    scores = rng.permutation(n_users * n_items).reshape(n_users, n_items).astype(np.float32)  # distinct: no ties
    exclude = [rng.choice(n_items, size=rng.integers(0, 6), replace=False) for _ in range(n_users)]
    return scores, exclude


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("as_tensor", [False, True])
def test_top_k_batch_matches_reference(seed, as_tensor):
    scores, exclude = random_case(seed)
    excluded = exclusion_matrix(exclude, *scores.shape)
    batch = torch.from_numpy(scores) if as_tensor else scores
    got = top_k_batch(batch, 5, excluded)
    np.testing.assert_array_equal(got, reference_top_k(scores, 5, [set(e.tolist()) for e in exclude]))


@pytest.mark.parametrize("as_tensor", [False, True])
def test_empty_slots_when_few_candidates(as_tensor):
    scores = np.array([[3.0, 2.0, 1.0, -np.inf], [1.0, 2.0, 3.0, 4.0]], dtype=np.float32)
    excluded = exclusion_matrix([np.array([0, 1]), np.array([], dtype=np.int64)], 2, 4)
    got = top_k_batch(torch.from_numpy(scores) if as_tensor else scores, 3, excluded)
    np.testing.assert_array_equal(got, [[2, EMPTY, EMPTY], [3, 2, 1]])


@pytest.mark.parametrize("batch_size", [1, 3, 100])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_batching_does_not_change_the_result(batch_size, as_tensor):
    scores, exclude = random_case(5, n_users=10)
    users = np.array([9, 0, 4, 4, 2])
    rows = [exclude[u] for u in users]

    def score_batch(batch_users):
        block = scores[batch_users]
        return torch.from_numpy(block) if as_tensor else block

    got = batched_top_k(score_batch, users, 4, scores.shape[1], exclusion_matrix(rows, users.size, scores.shape[1]),
                        batch_size=batch_size)
    np.testing.assert_array_equal(got, reference_top_k(scores[users], 4, [set(r.tolist()) for r in rows]))


def test_exclusion_formats_agree():
    lists = [np.array([1, 3]), np.array([0])]
    mask = np.zeros((2, 5), dtype=bool)
    mask[0, [1, 3]] = mask[1, 0] = True
    for form in (lists, mask, sparse.csr_matrix(mask)):
        np.testing.assert_array_equal(exclusion_matrix(form, 2, 5).toarray(), mask.astype(float))
    assert exclusion_matrix(None, 2, 5) is None
    with pytest.raises(ValueError, match="exclude"):
        exclusion_matrix([np.array([7]), np.array([0])], 2, 5)


def test_k_larger_than_catalogue_is_refused():
    with pytest.raises(ValueError, match="lower k"):
        top_k_batch(torch.zeros(2, 3), 4)


def test_default_batch_size_bounds_memory():
    assert default_batch_size(1000, "cpu") == (1 << 22) // 1000
    assert default_batch_size(1000, "cuda") > default_batch_size(1000, "cpu")
    assert default_batch_size(10**9) == 1
