import numpy as np
import pytest
from scipy.special import expit

from longtail import strategies
from longtail.errors import LongtailError
from longtail.models.ctr import FieldCodes, PostHoc
from longtail.models.ctr.binary import fit_post_hoc, popularity_propensity, resampled_rows, validation_rows


@pytest.fixture
def scored():
    rng = np.random.default_rng(3)
    y = (rng.random(400) < 0.15).astype(np.int64)
    logits = 1.5 * y + rng.normal(size=400) - 2.0
    return logits, y


def test_threshold_is_the_best_f1_cut_of_the_validation_probabilities(scored):
    logits, y = scored
    post = fit_post_hoc(strategies.get("threshold"), np.bincount(y), logits, y)
    assert (post.scale, post.offset) == (1.0, 0.0)
    proba = expit(logits)

    def f1_at(t):
        decided = proba >= t
        tp = (decided & (y == 1)).sum()
        return 2 * tp / (decided.sum() + y.sum())

    best = max(f1_at(t) for t in np.unique(proba))
    assert f1_at(post.threshold) == pytest.approx(best)


def test_logit_adjuster_shifts_by_the_prior_log_odds(scored):
    logits, y = scored
    counts = np.array([900, 100])
    post = fit_post_hoc(strategies.get("posthoc-logit-adjust"), counts, logits, y)
    assert post.offset == pytest.approx(np.log(900 / 100), rel=1e-12)
    assert post.scale == 1.0 and post.threshold == 0.5


def test_temperature_minimises_the_validation_nll(scored):
    logits, y = scored
    post = fit_post_hoc(strategies.Strategy("t", adjust="temperature"), np.bincount(y), 3.0 * logits, y)

    def nll(scale):
        p = np.clip(expit(scale * 3.0 * logits), 1e-12, 1 - 1e-12)
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    grid = np.linspace(0.05, 1.5, 2901)
    assert post.scale == pytest.approx(grid[np.argmin([nll(s) for s in grid])], abs=1e-3)
    assert post.offset == 0.0


def test_no_adjuster_is_the_identity(scored):
    logits, y = scored
    post = fit_post_hoc(strategies.get("baseline"), np.bincount(y), logits, y)
    assert post == PostHoc()
    np.testing.assert_allclose(post.probabilities(logits), expit(logits))


def test_random_under_picks_whole_balanced_rows():
    y = np.array([0] * 90 + [1] * 10)
    rows = resampled_rows(strategies.get("random-under"), y, seed=0)
    assert np.bincount(y[rows]).tolist() == [10, 10]
    assert np.unique(rows).size == rows.size
    np.testing.assert_array_equal(rows, resampled_rows(strategies.get("random-under"), y, seed=0))


def test_random_over_with_shrinkage_is_refused():
    y = np.array([0] * 90 + [1] * 10)
    strategy = strategies.Strategy("smooth", sampler={"name": "random-over", "params": {"shrinkage": 1.0}})
    with pytest.raises(LongtailError, match="made up rows"):
        resampled_rows(strategy, y, seed=0)


@pytest.mark.parametrize("which", ["over", "under"])
def test_imblearn_row_samplers_pick_the_same_rows_as_imblearn(monkeypatch, which):
    from imblearn.over_sampling import RandomOverSampler as ImbOver
    from imblearn.under_sampling import RandomUnderSampler as ImbUnder
    from imblearn_pieces import imblearn_strategy

    y = np.array([0] * 90 + [1] * 10)
    sampler_cls = ImbOver if which == "over" else ImbUnder
    rows = resampled_rows(imblearn_strategy(monkeypatch, sampler_cls), y, seed=3)
    reference = sampler_cls(random_state=3)
    reference.fit_resample(np.arange(y.size)[:, None], y)
    np.testing.assert_array_equal(rows, reference.sample_indices_)
    assert np.bincount(y[rows]).tolist() == ([90, 90] if which == "over" else [10, 10])


@pytest.mark.parametrize(
    "sampler, params, message",
    [("SMOTE", {"k_neighbors": 3}, "made up rows"), ("TomekLinks", {}, "picks rows by their feature values")],
)
def test_imblearn_samplers_that_need_feature_vectors_are_refused(monkeypatch, sampler, params, message):
    import imblearn
    from imblearn_pieces import imblearn_strategy

    sampler_cls = getattr(imblearn.over_sampling if sampler == "SMOTE" else imblearn.under_sampling, sampler)
    y = np.array([0] * 90 + [1] * 10)
    with pytest.raises(strategies.StrategyError, match=f"{message}.*id features"):
        resampled_rows(imblearn_strategy(monkeypatch, sampler_cls, **params), y, seed=0)


def test_validation_rows_are_a_seeded_stratified_share():
    y = np.array([0] * 200 + [1] * 30)
    keep, held = validation_rows(y, seed=4)
    assert np.bincount(y[held]).tolist() == [20, 3]
    assert np.intersect1d(keep, held).size == 0 and keep.size + held.size == y.size
    np.testing.assert_array_equal(held, validation_rows(y, seed=4)[1])
    with pytest.raises(LongtailError, match="too few"):
        validation_rows(np.array([0] * 10 + [1]), seed=0)


def test_field_codes_send_rare_and_unseen_codes_to_row_zero():
    X = np.array([[1, 3], [1, 3], [2, 3], [5, 0]])
    codes = FieldCodes.fit(X, min_count=2)
    assert codes.sizes == [2, 2]
    np.testing.assert_array_equal(codes.transform(np.array([[1, 3], [2, 3], [9, 7], [0, 0]])), [[1, 1], [0, 1], [0, 0], [0, 0]])
    again = FieldCodes.from_tensors(codes.to_tensors(), 2)
    np.testing.assert_array_equal(again.transform(X), codes.transform(X))
    with pytest.raises(ValueError, match="fields"):
        codes.transform(np.zeros((1, 3), dtype=np.int64))


def test_popularity_propensity_is_relative_count_to_the_half():
    codes = np.array([1, 1, 1, 1, 2, 3, 3])
    np.testing.assert_allclose(popularity_propensity(codes), np.sqrt([1, 1, 1, 1, 0.25, 0.5, 0.5]))
