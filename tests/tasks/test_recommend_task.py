import json
from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest
import torch
from threadpoolctl import threadpool_limits

from longtail import strategies
from longtail.data import Dataset
from longtail.data import columns as C
from longtail.data.splits import COLD_ITEM, Split
from longtail.data.synthetic import make_marketplace
from longtail.errors import LongtailError
from longtail.models.recommend import TwoTower
from longtail.tasks import TrialContext, get
from longtail.tasks.recommend import (
    K,
    evaluate,
    exposure_lorenz,
    hold_out_last_item,
    index_split,
    item_text_vectors,
    popularity_groups,
)

TASK = get("recommend")
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
SMALL = {
    "two-tower": {"dim": 16, "epochs": 2, "batch_size": 256},
    "bpr": {"dim": 16, "epochs": 2, "batch_size": 256},
    "itemknn": {"n_neighbors": 20},
    "most-popular": {},
}


@pytest.fixture(autouse=True, scope="module")
def single_thread():
    # One thread each for torch and BLAS: tiny problems only lose time to thread hand-offs.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def market():
    return make_marketplace(0, n_users=300, n_items=200, n_events=8000, n_queries=1)


@pytest.fixture(scope="module")
def market_split(market):
    return TASK.split(market, 0)


def log(rows, items=(1, 2, 3, 4), event_order=C.DEFAULT_EVENT_ORDER):
    """A Dataset from (user, item, minute, event) rows."""
    frame = pl.DataFrame(
        {
            C.USER_ID: [r[0] for r in rows],
            C.ITEM_ID: [r[1] for r in rows],
            C.TIMESTAMP: [START + timedelta(minutes=r[2]) for r in rows],
            C.EVENT: [r[3] for r in rows],
        }
    )
    catalogue = pl.DataFrame({C.ITEM_ID: list(items), C.TITLE: [f"item {i}" for i in items]})
    return Dataset(frame, catalogue, event_order=event_order)


ROWS = [
    (1, 1, 0, "view"),
    (1, 2, 1, "view"),
    (1, 1, 2, "purchase"),  # a later event of an item met before: not a new item
    (1, 3, 3, "view"),
    (1, 3, 4, "cart"),
    (2, 1, 0, "view"),
    (2, 1, 5, "purchase"),  # one distinct item: stays in training
    (3, 2, 6, "view"),
    (3, 4, 6, "purchase"),  # same minute as item 2: row order breaks the tie
]


def pairs(df):
    return sorted(zip(df[C.USER_ID].to_list(), df[C.ITEM_ID].to_list()))


def test_hold_out_last_item_holds_out_the_last_new_item_with_all_its_rows():
    split = hold_out_last_item(log(ROWS))
    assert pairs(split.test.interactions) == [(1, 3), (1, 3), (3, 4)]
    assert split.train.interactions.height == len(ROWS) - 3
    assert split.test.interactions[COLD_ITEM].to_list() == [True, True, True]
    assert split.test.meta["split"] == {
        "method": "hold_out_last_item", "users_held_out": 2, "users_kept_in_train": 1, "part": "test", "interactions": 3,
    }
    assert TASK.split(log(ROWS), seed=5).test.interactions.equals(split.test.interactions)


def test_positive_event_redoes_the_split_on_positive_interactions():
    split = hold_out_last_item(log(ROWS))
    assert TASK_positive(split, "all") is split
    purchases = TASK_positive(split, "highest")
    assert set(purchases.train.interactions[C.EVENT]) | set(purchases.test.interactions[C.EVENT]) == {"purchase"}
    carts = TASK_positive(split, "cart")
    assert pairs(carts.test.interactions) == [(1, 3)]  # user 1 bought item 1, then carted item 3
    with pytest.raises(LongtailError, match="not an event"):
        TASK_positive(split, "wishlist")
    only_views = hold_out_last_item(log([(1, 1, 0, "view"), (1, 2, 1, "view")]))
    with pytest.raises(LongtailError, match="no 'purchase' interactions"):
        TASK_positive(only_views, "highest")


def TASK_positive(split, value):
    from longtail.tasks.recommend import _positive_interactions

    return _positive_interactions(split, value)


def test_index_split_maps_ids_and_skips_what_cannot_be_judged():
    ds = log(ROWS)
    train = ds.interactions.filter(pl.col(C.TIMESTAMP) < START + timedelta(minutes=3))
    test = pl.DataFrame(
        {
            C.USER_ID: [1, 1, 2, 9],  # user 2 only repeats a training item, user 9 has no training history
            C.ITEM_ID: [3, 7, 1, 2],  # item 7 is not in the catalogue
            C.TIMESTAMP: [START + timedelta(minutes=9)] * 4,
            C.EVENT: ["view"] * 4,
        }
    ).with_columns(pl.col(C.TIMESTAMP).dt.cast_time_unit("us"))
    ix = index_split(Split(train=ds.replace(interactions=train), test=ds.replace(interactions=test)))
    assert ix.item_ids.tolist() == [1, 2, 3, 4, 7] and ix.n_catalogue == 4
    assert ix.user_ids.tolist() == [1, 2]
    assert ix.user_ids[ix.test_users].tolist() == [1]
    assert ix.n_skipped_users == 2
    assert ix.item_ids[ix.relevant[0].indices].tolist() == [3, 7]
    assert ix.item_ids[ix.history[0].indices].tolist() == [1, 2]
    np.testing.assert_array_equal(ix.item_counts, [2, 1, 0, 0, 0])  # distinct (user, item) pairs


def reference_lorenz(exposure, points):
    values = np.sort(np.asarray(exposure, dtype=np.float64))
    out = []
    for x in np.arange(1, points + 1) / points:
        position = x * values.size
        whole = int(np.floor(position))
        held = values[:whole].sum() + (position - whole) * (values[whole] if whole < values.size else 0.0)
        out.append(held / values.sum())
    return np.array(out)


@pytest.mark.parametrize("n_items", [1, 7, 20, 333])
def test_exposure_lorenz_matches_reference(n_items):
    exposure = np.random.default_rng(n_items).poisson(3.0, n_items).astype(float) + (n_items == 1)
    shares, curve = exposure_lorenz(exposure)
    np.testing.assert_allclose(shares, np.arange(1, 21) / 20)
    np.testing.assert_allclose(curve, reference_lorenz(exposure, 20), atol=1e-12)
    assert curve[-1] == pytest.approx(1.0)
    assert np.all(np.diff(curve) >= -1e-12)
    assert np.all(curve <= shares + 1e-12)  # the least exposed never hold more than their share


def test_popularity_groups_split_interactions_in_thirds():
    counts = np.array([30, 0, 10, 10, 10, 5, 5, 0])
    groups = popularity_groups(counts)
    assert groups.tolist() == ["head", "cold", "torso", "torso", "tail", "tail", "tail", "cold"]


def fixed_case():
    """Three test users over six items, each with one relevant item."""
    ds = log([(u, i, m, "view") for m, (u, i) in enumerate([(1, 1), (1, 2), (2, 1), (2, 3), (3, 1), (3, 2), (1, 5), (2, 6), (3, 4)])],
             items=(1, 2, 3, 4, 5, 6))
    split = hold_out_last_item(ds)
    return index_split(split), split.train


def test_evaluate_against_direct_references():
    ix, ds = fixed_case()
    # test items: user 1 -> item 5, user 2 -> item 6, user 3 -> item 4 (indices 4, 5, 3)
    ranked = np.array([[4, 2, 3] + [-1] * 7, [2, 3, 5] + [-1] * 7, [2, 4, 5] + [-1] * 7])
    rows = {(r.metric, r.group_dim, r.group): r.value for r in evaluate(ranked, ix, ds)}
    ndcg = np.array([1.0, 1 / np.log2(4), 0.0])
    assert rows[("ndcg@10", "all", "all")] == pytest.approx(ndcg.mean())
    assert rows[("hit_rate@10", "all", "all")] == pytest.approx(2 / 3)
    assert rows[("mrr@10", "all", "all")] == pytest.approx((1 + 1 / 3) / 3)
    assert rows[("precision@10", "all", "all")] == pytest.approx(2 / 30)
    exposure = np.bincount(ranked[ranked >= 0], minlength=6).astype(float)
    assert rows[("item_coverage@10", "all", "all")] == pytest.approx(4 / 6)
    # training pairs: item 1 x3, item 2 x2, item 3 x1 -> the head (20% of 6 items, rounded up) is items 1 and 2
    assert rows[("tail_exposure", "all", "all")] == pytest.approx(1.0)
    n = exposure.size
    gini = np.abs(exposure[:, None] - exposure[None, :]).sum() / (2 * n * n * exposure.mean())
    assert rows[("exposure_gini@10", "all", "all")] == pytest.approx(gini)
    assert rows[("arp@10", "all", "all")] == pytest.approx(np.mean([(0 + 1 + 0) / 3, (1 + 0 + 0) / 3, (1 + 0 + 0) / 3]))
    lorenz = [v for (m, dim, _), v in rows.items() if m == "exposure_lorenz" and dim == "share_of_items"]
    np.testing.assert_allclose(lorenz, reference_lorenz(exposure, 20))
    assert rows[("recall@10", "popularity", "cold")] == pytest.approx(2 / 3)
    assert rows[("n_test_users", "all", "all")] == 3 and rows[("n_skipped_users", "all", "all")] == 0


class FakeTruth:
    """True preference = a fixed table; top_k ranks it like the simulator (ids in, ids out)."""

    def __init__(self, table, user_ids, item_ids):
        self.table, self.users, self.items = table, list(user_ids), list(item_ids)

    def score(self, user_ids, item_ids):
        u, i = np.broadcast_arrays(np.asarray(user_ids), np.asarray(item_ids))
        rows = np.vectorize(self.users.index)(u)
        cols = np.vectorize(self.items.index)(i)
        return self.table[rows, cols]

    def top_k(self, user_ids, k, exclude=None):
        out = []
        for user in user_ids:
            row = self.table[self.users.index(user)].astype(float)
            skip = {self.items.index(item) for item in (exclude or {}).get(int(user), [])}
            best = [self.items[j] for j in np.argsort(-row, kind="stable") if j not in skip][:k]
            if len(best) < k:
                raise ValueError(f"user {user} has fewer than k={k} items left")
            out.append(best)
        return np.array(out)


def test_true_metrics_against_direct_reference():
    ix, ds = fixed_case()
    rng = np.random.default_rng(0)
    table = rng.random((ix.n_users, ix.n_items))
    ds = ds.replace(truth=FakeTruth(table, ix.user_ids, ix.item_ids))
    ranked = np.array([[4, 2, 3] + [-1] * 7, [2, 3, 5] + [-1] * 7, [2, 4, 5] + [-1] * 7])
    rows = {r.metric: r.value for r in evaluate(ranked, ix, ds) if r.group_dim == "all"}
    disc = 1 / np.log2(np.arange(2, 12))
    ndcgs, precisions = [], []
    for row, user in enumerate(ix.test_users):
        top = ranked[row][ranked[row] >= 0]
        gains = table[user, top]
        seen = set(ix.history[row].indices)
        ideal = np.sort([table[user, j] for j in range(ix.n_items) if j not in seen])[::-1][:K]
        ndcgs.append((gains * disc[: gains.size]).sum() / (ideal * disc[: ideal.size]).sum())
        precisions.append(gains.mean())
    assert rows["true_ndcg@10"] == pytest.approx(np.mean(ndcgs))
    assert rows["true_precision@10"] == pytest.approx(np.mean(precisions))


def test_item_text_vectors_with_and_without_an_encoder():
    texts = ["red cotton dress", "blue cotton shirt", "", "red wool hat"]
    tfidf = item_text_vectors(texts, TrialContext(seed=0))
    assert tfidf.shape[0] == 4 and tfidf.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(tfidf[[0, 1, 3]], axis=1), 1.0, rtol=1e-5)
    assert not tfidf[2].any()
    embed = lambda batch: np.ones((len(batch), 3), dtype=np.float32)  # noqa: E731
    encoded = item_text_vectors(texts, TrialContext(seed=0, embed=embed))
    np.testing.assert_array_equal(encoded, [[1, 1, 1], [1, 1, 1], [0, 0, 0], [1, 1, 1]])
    assert item_text_vectors(["", " "], TrialContext(seed=0)) is None


def test_task_description():
    assert TASK.name == "recommend" and TASK.kind == "retrieval"
    assert TASK.models[0] == "two-tower" and set(TASK.models) == set(SMALL)
    assert TASK.headline == ("ndcg@10", "tail_exposure")
    assert TASK.lower_is_better == {"exposure_gini@10", "arp@10"}
    assert TASK.supports(log(ROWS))
    assert not TASK.supports(log([(1, 1, 0, "view"), (1, 2, 1, "view")]))


def random_ranking_ndcg(ix, ds, seed=0):
    rng = np.random.default_rng(seed)
    ranked = np.stack([rng.permutation(np.setdiff1d(np.arange(ix.n_items), h.indices))[:K] for h in ix.history])
    return {r.metric: r.value for r in evaluate(ranked, ix, ds) if r.group_dim == "all"}


@pytest.mark.parametrize("model, strategy", [("two-tower", "logq"), ("bpr", "baseline"), ("itemknn", "baseline"),
                                             ("most-popular", "baseline")])
def test_run_on_the_synthetic_marketplace(model, strategy, market_split, tmp_path):
    ctx = TrialContext(seed=0, model_dir=tmp_path / "model")
    rows = TASK.run(market_split, model, strategies.get(strategy), ctx, model_params=SMALL[model])
    overall = {r.metric: r.value for r in rows if r.group_dim == "all"}
    expected = {
        "ndcg@10", "recall@10", "precision@10", "hit_rate@10", "mrr@10", "map@10", "true_ndcg@10", "true_precision@10",
        "item_coverage@10", "exposure_gini@10", "exposure_entropy", "arp@10", "aplt@10", "tail_exposure",
        "pop_reo@10", "pop_rsp@10", "n_test_users", "n_skipped_users",
    }
    assert expected <= set(overall)
    assert {r.group_dim for r in rows} == {"all", "share_of_items", "popularity", "category_top", "region"}
    assert sum(r.metric == "exposure_lorenz" for r in rows) == 20
    random = random_ranking_ndcg(index_split(market_split), market_split.train)
    assert overall["ndcg@10"] > 2 * random["ndcg@10"]
    assert overall["true_ndcg@10"] > random["true_ndcg@10"]
    ids = json.loads((tmp_path / "model" / "ids.json").read_text())
    assert len(ids["item_ids"]) == 200 and (tmp_path / "model" / "model.safetensors").is_file()


def test_saved_model_reproduces_the_trial(market_split, tmp_path):
    ctx = TrialContext(seed=1, model_dir=tmp_path / "m")
    rows = TASK.run(market_split, "two-tower", strategies.get("logq+rerank"), ctx, model_params=SMALL["two-tower"])
    loaded = TwoTower.load(tmp_path / "m")
    ix = index_split(market_split)
    ids = json.loads((tmp_path / "m" / "ids.json").read_text())
    assert ids["item_ids"] == ix.item_ids.tolist() and ids["user_ids"] == ix.user_ids.tolist()
    again = evaluate(loaded.recommend(ix.test_users, K, exclude=ix.history), ix, market_split.train)
    assert again == rows


def test_strategies_change_the_two_tower_trial(market_split):
    def run(strategy):
        rows = TASK.run(market_split, "two-tower", strategies.get(strategy), TrialContext(seed=0), SMALL["two-tower"])
        return {r.metric: r.value for r in rows if r.group_dim == "all"}

    base, logq, rerank = run("baseline"), run("logq"), run("rerank")
    assert logq["arp@10"] > base["arp@10"]  # logQ stops penalising popular items as everyone's negative
    assert rerank["ndcg@10"] != base["ndcg@10"] or rerank["tail_exposure"] != base["tail_exposure"]


def test_run_refuses_what_does_not_fit(market_split):
    ctx = TrialContext(seed=0)
    with pytest.raises(LongtailError, match="does not apply to task recommend"):
        TASK.run(market_split, "two-tower", strategies.get("focal"), ctx)
    with pytest.raises(LongtailError, match="unknown model 'svd'"):
        TASK.run(market_split, "svd", strategies.get("baseline"), ctx)
    with pytest.raises(LongtailError, match="takes no parameter 'depth'"):
        TASK.run(market_split, "itemknn", strategies.get("baseline"), ctx, model_params={"depth": 3})
    with pytest.raises(LongtailError, match="cannot use"):
        TASK.run(market_split, "most-popular", strategies.get("logq"), ctx)


# ------------------------------------------------------------- split options and declared parameters
def test_default_split_is_the_hold_out_it_always_was(market, market_split):
    from longtail.tasks.base import split_options

    assert split_options(TASK) == {"method": "leave-last-out", "test_size": None}
    direct = hold_out_last_item(market)
    assert market_split.test.interactions.equals(direct.test.interactions)
    assert TASK.split(market, 0, method="leave-last-out").train.interactions.equals(direct.train.interactions)


def test_temporal_method_holds_out_the_latest_interactions(market):
    split = TASK.split(market, 3, method="temporal", test_size=0.3)
    n = market.interactions.height
    assert split.test.interactions.height == pytest.approx(0.3 * n, rel=0.01)
    cut = split.test.interactions.get_column(C.TIMESTAMP).min()
    assert split.train.interactions.get_column(C.TIMESTAMP).max() < cut
    assert TASK.split(market, 4, method="temporal", test_size=0.3).test.interactions.equals(split.test.interactions)
    default_share = TASK.split(market, 0, method="temporal").test.interactions.height
    assert default_share == pytest.approx(0.2 * n, rel=0.01)
    # users may hold out several items, and users new after the cut are skipped
    ix = index_split(split)
    assert np.diff(ix.relevant.indptr).max() > 1 and ix.n_skipped_users > 0
    rows = TASK.run(split, "most-popular", strategies.get("baseline"), TrialContext(seed=0))
    overall = {r.metric: r.value for r in rows if r.group_dim == "all"}
    assert overall["n_test_users"] == ix.test_users.size and 0 < overall["recall@10"] < 1


def test_positive_event_keeps_the_time_cut_of_a_temporal_split():
    ds = log(ROWS + [(2, 3, 7, "view"), (2, 4, 8, "purchase"), (3, 1, 9, "purchase")])
    split = TASK.split(ds, 0, method="temporal", test_size=0.4)
    cut = split.test.interactions.get_column(C.TIMESTAMP).min()
    purchases = TASK_positive(split, "highest")
    assert set(purchases.test.interactions[C.EVENT]) == {"purchase"}
    assert purchases.test.interactions.get_column(C.TIMESTAMP).min() >= cut
    assert purchases.train.interactions.get_column(C.TIMESTAMP).max() < cut
    held = split.test.interactions.filter(pl.col(C.EVENT) == "purchase").select(C.USER_ID, C.ITEM_ID)
    assert pairs(purchases.test.interactions) == pairs(held)
    late_views = TASK.split(log([(1, 1, 0, "purchase"), (1, 2, 1, "view"), (2, 1, 2, "view")]), 0, method="temporal",
                            test_size=0.5)
    with pytest.raises(LongtailError, match="do not fill both sides of the time cut"):
        TASK_positive(late_views, "purchase")


def test_bad_split_options_are_option_errors_naming_the_key(market):
    from longtail.tasks.base import OptionError

    with pytest.raises(OptionError, match="^method: 'random' is not one of leave-last-out, temporal"):
        TASK.split(market, 0, method="random")
    with pytest.raises(OptionError, match="^test_size: the leave-last-out split holds out one item per user"):
        TASK.split(market, 0, test_size=0.3)
    with pytest.raises(OptionError, match=r"^test_size: 1.2 is outside \(0, 1\)"):
        TASK.split(market, 0, method="temporal", test_size=1.2)


def test_the_task_reads_exactly_its_declared_params(market_split):
    from task_probes import ReadKeys

    params = ReadKeys()
    TASK.run(market_split, "most-popular", strategies.get("baseline"), TrialContext(seed=0, params=params))
    assert params.read == set(TASK.param_names) == {"positive_event"}
    assert "n_neighbors" in TASK.model_param_names("itemknn") and "epochs" not in TASK.model_param_names("itemknn")


# ------------------------------------------------------------ retrieval remedies
def overall(rows):
    return {r.metric: r.value for r in rows if r.group_dim == "all"}


def trial(split, model, strategy, seed=0, **kwargs):
    return TASK.run(split, model, strategies.get(strategy), TrialContext(seed=seed, **kwargs), SMALL[model])


@pytest.fixture
def fitted_pairs(monkeypatch):
    """The (user index, item index) pairs each BPR fit of the task receives, in call order."""
    from longtail.models.recommend import BPRMF

    seen = []
    fit = BPRMF.fit

    def recording(self, user_idx, item_idx, *args, **kwargs):
        seen.append((np.asarray(user_idx).copy(), np.asarray(item_idx).copy()))
        return fit(self, user_idx, item_idx, *args, **kwargs)

    monkeypatch.setattr(BPRMF, "fit", recording)
    return seen


def pair_counts(users, items, n_items):
    return np.bincount(items, minlength=n_items), {(int(u), int(i)) for u, i in zip(users, items)}


def test_samplers_resample_the_training_pairs_only(market_split, fitted_pairs, tmp_path):
    from longtail.models.recommend import BPRMF

    ix = index_split(market_split)
    counts, pairs = pair_counts(ix.train_users, ix.train_items, ix.n_items)
    cap = int(np.ceil(np.quantile(counts[counts > 0], 0.9)))
    floor = int(np.ceil(np.quantile(counts[counts > 0], 0.8)))
    expected = {"head-undersample": np.minimum(counts, cap), "tail-oversample": np.where(counts > 0, np.maximum(counts, floor), 0)}
    base = trial(market_split, "bpr", "baseline")
    for strategy, want in expected.items():
        rows = trial(market_split, "bpr", strategy, model_dir=tmp_path / strategy)
        users, items = fitted_pairs[-1]
        got, got_pairs = pair_counts(users, items, ix.n_items)
        np.testing.assert_array_equal(got, want)
        assert got_pairs <= pairs  # kept or repeated training pairs, never a held-out one
        if strategy == "head-undersample":
            assert users.size == len(got_pairs) < len(pairs) and (got < counts).sum() > 0
        else:
            assert got_pairs == pairs and users.size > len(pairs)
        # judged on the untouched split: same users, histories and held-out items as the baseline
        again = evaluate(BPRMF.load(tmp_path / strategy).recommend(ix.test_users, K, exclude=ix.history), ix,
                         market_split.train)
        assert again == rows
        assert overall(rows)["n_test_users"] == overall(base)["n_test_users"] == ix.test_users.size
    baseline_users, baseline_items = fitted_pairs[0]
    assert pair_counts(baseline_users, baseline_items, ix.n_items)[1] == pairs and baseline_users.size == len(pairs)


def test_sampler_trials_are_deterministic_for_a_seed(market_split, fitted_pairs):
    first, again, other = (trial(market_split, "bpr", "head-undersample", seed=s) for s in (0, 0, 1))
    assert first == again
    np.testing.assert_array_equal(fitted_pairs[0][1], fitted_pairs[1][1])
    # another seed thins other pairs of the same head items (the counts are the cap either way)
    assert not np.array_equal(fitted_pairs[0][0], fitted_pairs[2][0]) and first != other


@pytest.mark.parametrize(
    "model, strategy, reference",
    [
        ("bpr", "head-undersample", "baseline"),
        ("bpr", "tail-oversample", "baseline"),
        ("bpr", "ips", "baseline"),
        ("itemknn", "head-undersample", "baseline"),
        ("two-tower", "ips", "baseline"),
        ("two-tower", "logq+tail-oversample", "logq"),
    ],
)
def test_retrieval_remedies_move_exposure_to_the_tail(market_split, model, strategy, reference):
    remedied, plain = overall(trial(market_split, model, strategy)), overall(trial(market_split, model, reference))
    assert remedied["tail_exposure"] > plain["tail_exposure"] + 0.05


def test_models_that_cannot_use_a_remedy_refuse_it_as_a_strategy_error(market_split):
    from longtail.strategies import StrategyError

    ctx = TrialContext(seed=0)
    with pytest.raises(StrategyError, match="'most-popular' cannot use"):
        TASK.run(market_split, "most-popular", strategies.get("ips"), ctx)
    with pytest.raises(StrategyError, match="'itemknn' cannot use"):
        TASK.run(market_split, "itemknn", strategies.get("ips"), ctx)
    with pytest.raises(StrategyError, match="sampler slot"):
        TASK.run(market_split, "most-popular", strategies.get("head-undersample"), ctx)
    with pytest.raises(StrategyError, match="repeats training pairs, which model 'itemknn' counts once"):
        TASK.run(market_split, "itemknn", strategies.get("tail-oversample"), ctx, SMALL["itemknn"])
    with pytest.raises(StrategyError, match="does not apply to task recommend"):
        TASK.run(market_split, "bpr", strategies.get("random-over"), ctx)


def test_the_benchmark_skips_what_a_recommender_refuses(tmp_path):
    import yaml

    from longtail.bench.runner import run_bench
    from longtail.bench.spec import parse_spec

    spec = parse_spec(yaml.safe_dump({
        "datasets": [{"name": "synthetic", "params": {"n_users": 80, "n_items": 80, "n_events": 1500, "n_queries": 2}}],
        "tasks": [{"name": "recommend", "models": ["most-popular", "itemknn", "bpr"],
                   "model_params": {"itemknn": SMALL["itemknn"], "bpr": SMALL["bpr"]}}],
        "strategies": ["baseline", "ips", "head-undersample", "tail-oversample"],
        "seeds": [0], "encoder": {"enabled": False}, "device": "cpu",
    }, sort_keys=False))
    summary = run_bench(spec, tmp_path / "out", executor="inline", outputs=False)
    assert summary.failed == []
    skipped = {(s.model, s.strategy) for s in summary.skipped}
    assert skipped == {("most-popular", "ips"), ("most-popular", "head-undersample"), ("most-popular", "tail-oversample"),
                       ("itemknn", "ips"), ("itemknn", "tail-oversample")}
    assert summary.done == 3 * 4 - len(skipped)
