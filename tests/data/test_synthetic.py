"""The synthetic marketplace: determinism, realism targets, funnel, truth and search judgments."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest
from scipy.stats import chi2_contingency
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from longtail.data import columns as C
from longtail.data.synthetic import EVENT_ORDER, LABEL_ORDER, MarketplaceConfig, MarketplaceTruth, make_marketplace
from longtail.data.synthetic.tree import CategoryTree
from longtail.data.synthetic.vocab import COMPLEMENTS

SMALL = dict(n_users=300, n_items=200, n_events=3_000, n_queries=40)
MID = dict(n_users=2_000, n_items=400, n_events=30_000, n_queries=200)


def gini(values: np.ndarray) -> float:
    """Gini coefficient straight from its definition: mean absolute difference over twice the mean."""
    x = np.asarray(values, dtype=np.float64)
    return float(np.abs(x[:, None] - x[None, :]).mean() / (2.0 * x.mean()))


def per_item_counts(ds, events=None) -> np.ndarray:
    inter = ds.interactions if events is None else ds.interactions.filter(pl.col(C.EVENT).is_in(events))
    counts = ds.items.select(C.ITEM_ID).join(inter.group_by(C.ITEM_ID).len(), on=C.ITEM_ID, how="left")
    return counts.get_column("len").fill_null(0).to_numpy()


@pytest.fixture(scope="module")
def small():
    return make_marketplace(seed=3, **SMALL)


@pytest.fixture(scope="module")
def mid():
    return make_marketplace(seed=11, **MID)


@pytest.fixture(scope="module")
def default_shop():
    return make_marketplace(seed=0)


def test_gini_reference():
    assert gini(np.ones(10)) == pytest.approx(0.0)
    assert gini(np.array([0, 0, 0, 1.0])) == pytest.approx(0.75)


# ----------------------------------------------------------------- determinism
def test_same_seed_gives_identical_tables(small):
    again = make_marketplace(seed=3, **SMALL)
    for table in ("interactions", "items", "users", "judgments"):
        assert getattr(small, table).equals(getattr(again, table)), table
    users, items = small.users[C.USER_ID].to_numpy(), small.items[C.ITEM_ID].to_numpy()
    np.testing.assert_array_equal(small.truth.score(users[:, None], items[None, :]),
                                  again.truth.score(users[:, None], items[None, :]))


def test_different_seed_gives_different_tables(small):
    other = make_marketplace(seed=4, **SMALL)
    assert not small.interactions.equals(other.interactions)
    assert not small.items.get_column(C.TITLE).equals(other.items.get_column(C.TITLE))


# ---------------------------------------------------------------------- schema
def test_schema_and_meta(small):
    inter = small.interactions
    assert inter.columns == [C.USER_ID, C.ITEM_ID, C.TIMESTAMP, C.EVENT, C.REGION, C.SESSION_ID]
    assert inter.schema[C.USER_ID] == pl.Int64 and inter.schema[C.ITEM_ID] == pl.Int64
    assert inter.schema[C.TIMESTAMP] == pl.Datetime("us", "UTC")
    assert small.items.columns == [C.ITEM_ID, C.TITLE, C.DESCRIPTION, C.CATEGORY, C.BRAND, C.PRICE]
    assert small.items.schema[C.ITEM_ID] == pl.Int64
    assert small.users.columns == [C.USER_ID, C.REGION]
    assert small.judgments.columns == [C.QUERY, C.ITEM_ID, C.LABEL]
    assert small.name == "synthetic" and small.event_order == EVENT_ORDER == ("view", "click", "cart", "purchase")
    assert isinstance(small.truth, MarketplaceTruth)
    assert small.meta["generator"] == "synthetic" and small.meta["seed"] == 3
    assert small.meta["config"]["n_items"] == 200 and small.meta["config"]["start"].startswith("2024-01-01")
    assert tuple(small.meta["label_order"]) == LABEL_ORDER == ("irrelevant", "complement", "substitute", "exact")
    assert small.unknown_item_rows == 0
    assert small.items[C.ITEM_ID].is_unique().all() and small.users[C.USER_ID].is_unique().all()
    for col in (C.TITLE, C.DESCRIPTION, C.CATEGORY, C.BRAND, C.PRICE):
        assert small.items[col].null_count() == 0, col


def test_interactions_refer_to_known_users_items_and_their_region(small):
    joined = small.interactions.join(small.users, on=C.USER_ID, how="left", suffix="_user")
    assert joined["region_user"].null_count() == 0
    assert (joined[C.REGION] == joined["region_user"]).all()
    assert small.judgments[C.ITEM_ID].is_in(small.items[C.ITEM_ID].implode()).all()


def test_timestamps_inside_the_period_and_sorted(small):
    ts = small.interactions[C.TIMESTAMP]
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert ts.min() >= start and ts.max() < start + timedelta(days=60)
    assert ts.is_sorted()
    shifted = make_marketplace(seed=3, **{**SMALL, "start": "2023-06-01", "n_days": 10}).interactions[C.TIMESTAMP]
    assert shifted.min() >= datetime(2023, 6, 1, tzinfo=timezone.utc)
    assert shifted.max() < datetime(2023, 6, 11, tzinfo=timezone.utc)


def test_number_of_views_follows_n_events(mid):
    views = (mid.interactions[C.EVENT] == "view").sum()
    assert abs(views - MID["n_events"]) < 0.05 * MID["n_events"]


def test_sessions_belong_to_one_user(small):
    per_session = small.interactions.group_by(C.SESSION_ID).agg(pl.col(C.USER_ID).n_unique().alias("users"))
    assert (per_session["users"] == 1).all()


# -------------------------------------------------------------------- catalogue
def test_category_tree_size_and_names(small):
    tree = CategoryTree.build()
    assert tree.n_departments >= 8 and tree.n_leaves >= 30
    assert len(set(tree.paths)) == tree.n_leaves
    assert all(" > " in path for path in tree.paths)
    assert "Clothing > Women > Dresses" in tree.paths
    assert all(key in tree.paths and all(v in tree.paths for v in vals) for key, vals in COMPLEMENTS.items())
    # every leaf gets an item once the catalogue has one per leaf
    assert small.items[C.CATEGORY].n_unique() == tree.n_leaves
    departments = small.items[C.CATEGORY].str.split(" > ").list.first().n_unique()
    assert departments == tree.n_departments


def test_category_sizes_are_skewed_by_category_zipf():
    flat = make_marketplace(seed=1, n_users=50, n_items=1_000, n_events=200, category_zipf=0.0).items
    steep = make_marketplace(seed=1, n_users=50, n_items=1_000, n_events=200, category_zipf=1.2).items
    flat_sizes = flat[C.CATEGORY].value_counts()["count"].to_numpy()
    steep_sizes = steep[C.CATEGORY].value_counts()["count"].to_numpy()
    assert gini(steep_sizes) > gini(flat_sizes) + 0.3
    assert steep_sizes.max() > 5 * np.median(steep_sizes)


@pytest.mark.slow
def test_prices_are_lognormal_per_category(default_shop):
    items = default_shop.items.with_columns(pl.col(C.PRICE).log().alias("log_price"))
    stats = items.group_by(C.CATEGORY).agg(
        pl.col("log_price").median().alias("median"), pl.col("log_price").std().alias("sd"), pl.len().alias("n"))
    big = stats.filter(pl.col("n") >= 30)
    assert big.height >= 10
    assert big["sd"].is_between(0.15, 1.0).all()  # spread within a category, on a log scale
    medians = dict(zip(stats[C.CATEGORY], stats["median"]))
    assert medians["Electronics > Computers > Laptops"] > medians["Electronics > Phones > Phone Cases"] + 2.0
    assert (default_shop.items[C.PRICE] > 0).all()
    cents = (default_shop.items[C.PRICE] * 100).round().cast(pl.Int64) % 100
    assert cents.is_in([49, 99]).mean() > 0.95


def test_titles_carry_the_category_with_noise():
    items = make_marketplace(seed=2, n_users=50, n_items=1_500, n_events=500, n_queries=0).items
    x_train, x_test, y_train, y_test = train_test_split(
        items[C.TITLE].to_list(), items[C.CATEGORY].to_list(), test_size=0.3, random_state=0)
    vectorizer = TfidfVectorizer(sublinear_tf=True)
    model = LogisticRegression(solver="saga", max_iter=1_000, C=20.0).fit(vectorizer.fit_transform(x_train), y_train)
    accuracy = model.score(vectorizer.transform(x_test), y_test)
    majority = max(np.unique(y_test, return_counts=True)[1]) / len(y_test)
    assert accuracy > max(0.6, 3 * majority)
    assert accuracy < 0.98  # mislabelled listings and noun-less titles keep it imperfect


# -------------------------------------------------------------------- realism
@pytest.mark.slow
def test_item_popularity_gini_in_real_shop_range(default_shop):
    assert 0.75 <= gini(per_item_counts(default_shop)) <= 0.9


def test_popularity_exponent_controls_concentration():
    shops = [make_marketplace(seed=5, n_users=500, n_items=300, n_events=20_000, n_queries=0,
                              item_popularity_exponent=e) for e in (0.5, 1.3, 2.0)]
    ginis = [gini(per_item_counts(s)) for s in shops]
    assert ginis[0] < ginis[1] < ginis[2]


@pytest.mark.slow
def test_purchase_rate_of_a_real_shop(default_shop):
    events = default_shop.interactions[C.EVENT]
    rate = (events == "purchase").sum() / (events == "view").sum()
    assert 0.01 <= rate <= 0.03


def test_purchase_rate_knob(mid):
    shop = make_marketplace(seed=11, **{**MID, "purchase_rate": 0.05})
    for ds, target in ((mid, 0.02), (shop, 0.05)):
        events = ds.interactions[C.EVENT]
        assert (events == "purchase").sum() / (events == "view").sum() == pytest.approx(target, rel=0.2)


def test_regions_are_skewed(mid):
    shares = mid.users[C.REGION].value_counts(normalize=True).sort("proportion", descending=True)["proportion"]
    assert 0.4 < shares[0] < 0.7
    assert shares[0] > 2 * shares[1]
    even = make_marketplace(seed=11, **{**MID, "region_skew": 0.0})
    assert even.users[C.REGION].value_counts(normalize=True)["proportion"].max() < 0.2


def test_category_tastes_depend_on_region(mid):
    views = mid.interactions.filter(pl.col(C.EVENT) == "view").join(
        mid.items.select(C.ITEM_ID, pl.col(C.CATEGORY).str.split(" > ").list.first().alias("dept")), on=C.ITEM_ID)
    table = views.group_by(C.REGION, "dept").len().pivot(on="dept", index=C.REGION, values="len").fill_null(0)
    counts = table.drop(C.REGION).to_numpy()
    counts = counts[counts.sum(axis=1) > 500]
    assert chi2_contingency(counts).pvalue < 1e-6


def _views_per_weekday(ds) -> np.ndarray:
    views = ds.interactions.filter(pl.col(C.EVENT) == "view")
    per_day = views.group_by(pl.col(C.TIMESTAMP).dt.date().alias("day")).len()
    per_weekday = per_day.group_by(pl.col("day").dt.weekday().alias("wd")).agg(pl.col("len").mean()).sort("wd")
    return per_weekday["len"].to_numpy()  # Monday .. Sunday, mean views per day


def test_weekly_and_daily_pattern():
    knobs = dict(n_users=1_000, n_items=200, n_events=100_000, n_queries=0, n_promotions=0)
    shop = make_marketplace(seed=6, **knobs)
    weekly = _views_per_weekday(shop)
    flat = _views_per_weekday(make_marketplace(seed=6, **{**knobs, "weekly_amplitude": 0.0}))
    assert weekly[6] > 1.15 * weekly[5]  # Sunday busier than Saturday
    assert 0.9 < flat[6] / flat[5] < 1.1
    hours = shop.interactions[C.TIMESTAMP].dt.hour().to_numpy()
    assert np.isin(hours, [19, 20, 21]).sum() > 4 * np.isin(hours, [2, 3, 4]).sum()


def test_promotion_days_spike(mid):
    per_day = mid.interactions.group_by(pl.col(C.TIMESTAMP).dt.date().alias("day")).len()
    promo = [datetime.fromisoformat(d).date() for d in mid.meta["promotion_days"]]
    assert len(promo) == 3
    spikes = per_day.filter(pl.col("day").is_in(promo))["len"].to_numpy()
    assert (spikes > 1.8 * per_day["len"].median()).all()


# ---------------------------------------------------------------------- funnel
def test_funnel_counts_decrease(mid):
    counts = dict(mid.interactions.group_by(C.EVENT).len().iter_rows())
    assert counts["view"] > counts["click"] > counts["cart"] > counts["purchase"] > 0


@pytest.mark.parametrize(("later", "earlier"), [("click", "view"), ("cart", "click"), ("purchase", "click")])
def test_every_step_follows_an_earlier_step_of_the_same_view(mid, later, earlier):
    keys = [C.USER_ID, C.ITEM_ID, C.SESSION_ID]
    inter = mid.interactions.with_row_index("row")
    after = inter.filter(pl.col(C.EVENT) == later)
    before = inter.filter(pl.col(C.EVENT) == earlier).select(*keys, pl.col(C.TIMESTAMP).alias("before_ts"))
    matched = after.join(before, on=keys).filter(pl.col("before_ts") < pl.col(C.TIMESTAMP))
    assert matched["row"].n_unique() == after.height


# ----------------------------------------------------------------------- truth
def test_top_k_agrees_with_score(mid):
    truth = mid.truth
    users = mid.users[C.USER_ID].to_numpy()[:25]
    items = mid.items[C.ITEM_ID].to_numpy()
    top = truth.top_k(users, 10)
    assert top.shape == (25, 10)
    scores = truth.score(users[:, None], items[None, :])
    for row, user in enumerate(users):
        top_scores = truth.score(np.full(10, user), top[row])
        assert np.all(np.diff(top_scores) <= 0)  # best first
        rest = scores[row][~np.isin(items, top[row])]
        assert top_scores.min() >= rest.max()
    np.testing.assert_array_equal(truth.top_k(users, 10, batch_size=3), top)


def test_top_k_exclude(mid):
    truth = mid.truth
    users = mid.users[C.USER_ID].to_numpy()[:5]
    full = truth.top_k(users, 8)
    exclude = {int(users[0]): full[0, :3], int(users[2]): full[2, [1]]}
    top = truth.top_k(users, 5, exclude=exclude)
    np.testing.assert_array_equal(top[0], full[0, 3:8])
    np.testing.assert_array_equal(top[1], full[1, :5])
    np.testing.assert_array_equal(top[2], np.delete(full[2], 1)[:5])


def test_score_is_a_funnel_probability(mid):
    truth = mid.truth
    users = mid.users[C.USER_ID].to_numpy()[:50]
    items = mid.items[C.ITEM_ID].to_numpy()[:60]
    grid = truth.score(users[:, None], items[None, :])
    assert grid.shape == (50, 60) and np.all((grid > 0) & (grid < 1))
    pairs = truth.score(np.repeat(users, 60), np.tile(items, 50))
    np.testing.assert_allclose(pairs.reshape(50, 60), grid)
    steps = truth.event_probabilities(users[:, None], items[None, :])
    assert np.all(steps["click"] >= steps["cart"]) and np.all(steps["cart"] >= steps["purchase"])
    np.testing.assert_allclose(steps["purchase"], grid)


def test_logged_purchases_follow_true_score(mid):
    views = mid.interactions.filter(pl.col(C.EVENT) == "view").select(C.USER_ID, C.ITEM_ID, C.SESSION_ID)
    bought = mid.interactions.filter(pl.col(C.EVENT) == "purchase").select(C.USER_ID, C.ITEM_ID, C.SESSION_ID).unique()
    views = views.join(bought.with_columns(pl.lit(True).alias("bought")), on=[C.USER_ID, C.ITEM_ID, C.SESSION_ID],
                       how="left").with_columns(pl.col("bought").fill_null(False))
    score = mid.truth.score(views[C.USER_ID].to_numpy(), views[C.ITEM_ID].to_numpy())
    low, high = np.quantile(score, [0.25, 0.75])
    bought_flag = views["bought"].to_numpy()
    assert bought_flag[score >= high].mean() > 3 * bought_flag[score <= low].mean()
    # calibrated: the mean true purchase probability of the logged views is the target rate
    assert score.mean() == pytest.approx(0.02, rel=0.1)


def test_truth_rejects_bad_arguments(small):
    with pytest.raises(ValueError, match="item_ids"):
        small.truth.score([1], [10**9])
    with pytest.raises(ValueError, match="user_ids"):
        small.truth.top_k([10**9], 3)
    with pytest.raises(ValueError, match="k must"):
        small.truth.top_k([1], 0)
    with pytest.raises(ValueError, match="k must"):
        small.truth.top_k([1], small.items.height + 1)


def test_dataset_with_truth_survives_pickling(small):
    copy = pickle.loads(pickle.dumps(small))
    users = small.users[C.USER_ID].to_numpy()[:20]
    np.testing.assert_array_equal(copy.truth.top_k(users, 5), small.truth.top_k(users, 5))
    assert copy.interactions.equals(small.interactions)


def test_true_category_is_the_catalogue_category(small):
    ids = small.items[C.ITEM_ID].to_numpy()
    np.testing.assert_array_equal(small.truth.category(ids), small.items[C.CATEGORY].to_numpy())


# ------------------------------------------------------------ logging policy
def test_exposure_propensity_matches_logged_views(mid):
    items = np.sort(mid.items[C.ITEM_ID].to_numpy())
    propensity = mid.truth.exposure_propensity(items)
    assert propensity.sum() == pytest.approx(1.0)
    views = mid.interactions.filter(pl.col(C.EVENT) == "view")[C.ITEM_ID].to_numpy()
    observed = np.bincount(np.searchsorted(items, views), minlength=len(items)) / len(views)
    assert np.corrcoef(propensity, observed)[0, 1] > 0.97


def test_propensity_is_popularity_without_preference_browsing():
    shop = make_marketplace(seed=7, n_users=200, n_items=150, n_events=500, n_queries=0, preference_share=0.0)
    items = shop.items[C.ITEM_ID].to_numpy()
    np.testing.assert_allclose(shop.truth.exposure_propensity(items), shop.truth.logging_popularity(items))


def test_logged_clicks_under_expose_good_tail_items(mid):
    items = mid.items[C.ITEM_ID].to_numpy()
    head = items[np.argsort(-mid.truth.exposure_propensity(items))[: len(items) // 5]]
    true_best = mid.truth.top_k(mid.users[C.USER_ID].to_numpy()[:500], 10)
    clicks = mid.interactions.filter(pl.col(C.EVENT) == "click")[C.ITEM_ID].to_numpy()
    true_tail_share = 1 - np.isin(true_best, head).mean()
    logged_tail_share = 1 - np.isin(clicks, head).mean()
    assert logged_tail_share < 0.7 * true_tail_share


# ---------------------------------------------------------------------- search
def test_judgment_labels_are_imbalanced_like_esci(mid):
    shares = dict(mid.judgments[C.LABEL].value_counts(normalize=True).iter_rows())
    assert set(shares) == set(LABEL_ORDER)
    assert max(shares, key=shares.get) == "exact" and shares["exact"] > 0.45
    assert min(shares, key=shares.get) == "complement" and shares["complement"] < 0.1
    per_query = mid.judgments.group_by(C.QUERY).len()["len"]
    assert 5 <= per_query.mean() <= 20
    assert mid.judgments.select(C.QUERY, C.ITEM_ID).is_unique().all()


def test_judgments_follow_the_catalogue(mid):
    tree = CategoryTree.build()
    nouns = pl.DataFrame({C.CATEGORY: list(tree.paths), "nouns": [list(leaf.nouns) for leaf in tree.leaves]})
    judged = mid.judgments.join(mid.items.select(C.ITEM_ID, C.CATEGORY), on=C.ITEM_ID).join(nouns, on=C.CATEGORY)
    names_item = [any(n in q for n in ns) for q, ns in zip(judged[C.QUERY], judged["nouns"])]
    judged = judged.with_columns(pl.Series("names_item", names_item))
    share = dict(judged.group_by(C.LABEL).agg(pl.col("names_item").mean()).iter_rows())
    assert share["exact"] > 0.9
    assert share["irrelevant"] < 0.3
    assert (mid.judgments[C.QUERY] == mid.judgments[C.QUERY].str.to_lowercase()).all()


# ---------------------------------------------------------------------- config
@pytest.mark.parametrize(
    ("knobs", "name"),
    [
        ({"n_users": 0}, "n_users"),
        ({"n_items": 10}, "n_items"),
        ({"n_events": -5}, "n_events"),
        ({"n_days": 2.5}, "n_days"),
        ({"purchase_rate": 0.5}, "purchase_rate"),
        ({"region_skew": -1.0}, "region_skew"),
        ({"n_regions": 40}, "n_regions"),
        ({"preference_share": 1.5}, "preference_share"),
        ({"start": "not a date"}, "start"),
        ({"n_promotions": 100, "n_days": 10}, "n_promotions"),
        ({"colour_count": 3}, "colour_count"),
    ],
)
def test_bad_knobs_raise_value_error_naming_the_knob(knobs, name):
    with pytest.raises(ValueError, match=name):
        make_marketplace(seed=0, **knobs)


def test_config_object_and_seed_checks():
    cfg = MarketplaceConfig(n_users=50, n_items=100, n_events=300, n_queries=5, start="2024-03-01")
    assert cfg.start == datetime(2024, 3, 1, tzinfo=timezone.utc)
    assert make_marketplace(seed=1, config=cfg).meta["config"]["n_users"] == 50
    with pytest.raises(ValueError, match="seed"):
        make_marketplace(seed=-1, config=cfg)
    with pytest.raises(ValueError, match="not both"):
        make_marketplace(seed=1, config=cfg, n_users=5)
