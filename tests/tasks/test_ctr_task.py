import json
from datetime import datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import average_precision_score, f1_score, log_loss, precision_score, recall_score, roc_auc_score

from longtail import strategies
from longtail.data import Dataset
from longtail.data import columns as C
from longtail.data.synthetic import make_marketplace
from longtail.errors import LongtailError
from longtail.models.ctr import DeepFM
from longtail.tasks import TrialContext, get
from longtail.tasks.ctr import (
    all_parts,
    build_impressions,
    encode,
    evaluate,
    reorder_events,
    target_level,
    truth_propensity,
)

TASK = get("ctr")
SMALL = {"epochs": 2, "batch_size": 256, "hidden": (16,)}
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(autouse=True, scope="module")
def single_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def log(rows, with_sessions=True, event_order=C.DEFAULT_EVENT_ORDER):
    """A Dataset from (user, item, minute, event[, session]) rows."""
    frame = pl.DataFrame(
        {
            C.USER_ID: [r[0] for r in rows],
            C.ITEM_ID: [r[1] for r in rows],
            C.TIMESTAMP: [START + timedelta(minutes=r[2]) for r in rows],
            C.EVENT: [r[3] for r in rows],
            **({C.SESSION_ID: [r[4] for r in rows]} if with_sessions else {}),
        }
    )
    items = pl.DataFrame({C.ITEM_ID: [1, 2, 3], C.TITLE: ["red dress", "blue shirt", "green hat"]})
    return Dataset(frame, items, event_order=event_order)


SESSIONS = [
    (1, 1, 0, "view", 1),
    (1, 1, 1, "view", 1),  # a repeated view of the same impression
    (1, 1, 2, "click", 1),
    (1, 2, 3, "view", 1),
    (1, 3, 4, "purchase", 1),  # bought without a view in the session: not an impression
    (1, 1, 100, "view", 2),
    (2, 1, 5, "view", 3),
    (2, 1, 6, "purchase", 3),
]


def impressions_of(ds, level, gap=30.0, parts=None):
    parts = pl.Series(np.zeros(ds.interactions.height, dtype=np.int8)) if parts is None else pl.Series(parts, dtype=pl.Int8)
    frame, counts = build_impressions(ds, parts, level, gap)
    labels = {(r[C.USER_ID], r[C.ITEM_ID], r[C.TIMESTAMP]): r["label"] for r in frame.iter_rows(named=True)}
    return frame, labels, counts


def at(minute):
    return START + timedelta(minutes=minute)


def test_one_impression_per_viewed_session_item_labelled_by_its_highest_event():
    ds = log(SESSIONS)
    _, clicks, counts = impressions_of(ds, target_level(ds, "click"))
    assert clicks == {(1, 1, at(0)): 1, (1, 2, at(3)): 0, (1, 1, at(100)): 0, (2, 1, at(5)): 1}
    assert counts == {"n_repeat_views": 1, "n_target_events_without_view": 1}
    _, purchases, _ = impressions_of(ds, target_level(ds, "purchase"))
    assert purchases == {(1, 1, at(0)): 0, (1, 2, at(3)): 0, (1, 1, at(100)): 0, (2, 1, at(5)): 1}


def test_without_session_ids_sessions_break_at_long_gaps():
    rows = [(1, 1, 0, "view"), (1, 1, 40, "click")]
    ds = log(rows, with_sessions=False)
    _, labels, counts = impressions_of(ds, 1, gap=30.0)
    assert labels == {(1, 1, at(0)): 0} and counts["n_target_events_without_view"] == 1
    _, labels, _ = impressions_of(ds, 1, gap=60.0)
    assert labels == {(1, 1, at(0)): 1}


def test_sessions_by_gap_even_with_session_ids():
    rows = [(1, 1, 0, "view", 1), (1, 1, 10, "click", 2)]
    ds = log(rows)
    assert impressions_of(ds, 1)[1] == {(1, 1, at(0)): 0}
    frame, _ = build_impressions(ds, pl.Series(np.zeros(2, dtype=np.int8)), 1, 30.0, sessions="gap")
    assert frame.get_column("label").to_list() == [1]
    with pytest.raises(LongtailError, match="sessions 'daily'"):
        build_impressions(ds, pl.Series(np.zeros(2, dtype=np.int8)), 1, 30.0, sessions="daily")


def test_event_order_turns_returns_of_purchases_into_the_target():
    rows = [(1, 1, 0, "purchase", 1), (1, 1, 5, "return", 2), (1, 2, 1, "purchase", 1), (2, 1, 3, "view", 3)]
    ds = log(rows, event_order=("view", "return", "purchase"))
    parts = pl.Series(np.zeros(4, dtype=np.int8))
    reordered, kept, dropped = reorder_events(ds, parts, ["purchase", "return"])
    assert reordered.event_order == ("purchase", "return") and dropped == 1 and kept.len() == 3
    frame, _ = build_impressions(reordered, kept, target_level(reordered, "return"), 30.0, sessions="gap")
    assert sorted(frame.select(C.ITEM_ID, "label").rows()) == [(1, 1), (2, 0)]
    with pytest.raises(LongtailError, match="event_order"):
        reorder_events(ds, parts, ["purchase", "refund"])


def test_an_impression_belongs_to_the_part_of_its_first_view():
    ds = log(SESSIONS)
    parts = [0, 2, 2, 0, 0, 2, 0, 2]
    frame, _, _ = impressions_of(ds, 1, parts=parts)
    assert dict(zip(frame.get_column(C.TIMESTAMP), frame.get_column("_part"))) == {at(0): 0, at(3): 0, at(100): 2, at(5): 0}


def test_target_names_and_aliases():
    ds = log(SESSIONS)
    assert target_level(ds, None) == target_level(ds, "click") == 1
    assert target_level(ds, "cart") == 2 and target_level(ds, "purchase") == 3
    taobao_like = log([(1, 1, 0, "pv", 1), (1, 1, 1, "buy", 1)], event_order=("pv", "fav", "cart", "buy"))
    assert target_level(taobao_like, "purchase") == 3 and target_level(taobao_like, "click") == 1
    with pytest.raises(LongtailError, match="impression event"):
        target_level(ds, "view")
    with pytest.raises(LongtailError, match="not an event"):
        target_level(ds, "refund")


def test_supports_logs_with_views_and_a_higher_event():
    assert TASK.supports(log(SESSIONS))
    assert not TASK.supports(log([(1, 1, 0, "view", 1), (1, 2, 1, "view", 1)]))
    assert not TASK.supports(log([(1, 1, 0, "purchase", 1), (1, 2, 1, "click", 1)]))


class Known:
    """A fitted model stand-in with given probabilities and threshold."""

    def __init__(self, proba, threshold):
        self.proba, self.threshold_ = proba, threshold

    def predict_proba(self, X):
        return np.column_stack([1 - self.proba, self.proba])

    def predict(self, X):
        return (self.proba >= self.threshold_).astype(int)


@pytest.fixture(scope="module")
def market():
    ds = make_marketplace(seed=0, n_users=300, n_items=200, n_events=8000, n_queries=5)
    return TASK.split(ds, seed=0)


@pytest.fixture(scope="module")
def encoded_market(market):
    whole, parts = all_parts(market)
    frame, _ = build_impressions(whole, parts, 1, 30.0)
    return whole, encode(frame, whole)


def test_ips_propensities_come_from_the_synthetic_truth(encoded_market):
    whole, encoded = encoded_market
    propensity = truth_propensity(whole, encoded)
    items = encoded.item_ids[encoded.item_codes["train"] - 1]
    most = whole.truth.exposure_propensity(encoded.item_ids[: encoded.n_catalogue]).max()
    np.testing.assert_allclose(propensity, whole.truth.exposure_propensity(items) / most)
    assert truth_propensity(whole.replace(truth=None), encoded) is None


def test_metrics_match_scikit_learn(encoded_market):
    _, encoded = encoded_market
    y = encoded.y["test"]
    proba = np.random.default_rng(0).uniform(0.01, 0.99, y.size)
    rows = {(r.metric, r.group_dim, r.group): r.value for r in evaluate(Known(proba, 0.3), encoded)}
    decided = (proba >= 0.3).astype(int)
    assert rows[("roc_auc", "all", "all")] == pytest.approx(roc_auc_score(y, proba))
    assert rows[("pr_auc", "all", "all")] == pytest.approx(average_precision_score(y, proba))
    assert rows[("log_loss", "all", "all")] == pytest.approx(log_loss(y, proba))
    assert rows[("f1", "all", "all")] == pytest.approx(f1_score(y, decided))
    assert rows[("precision", "all", "all")] == pytest.approx(precision_score(y, decided))
    assert rows[("recall", "all", "all")] == pytest.approx(recall_score(y, decided))
    assert rows[("predicted_positive_rate", "all", "all")] == pytest.approx(decided.mean())
    # tail: items after the first two thirds of the training impressions, most popular first
    counts = np.bincount(encoded.item_codes["train"], minlength=encoded.item_ids.size + 1).astype(float)
    counts[0] = 0
    order = np.argsort(-counts, kind="stable")
    bucket = np.empty(counts.size, dtype=int)
    bucket[order] = np.minimum(((np.cumsum(counts[order]) - counts[order]) / counts.sum() * 3).astype(int), 2)
    tail = (bucket[encoded.item_codes["test"]] == 2) & (y == 1)
    assert rows[("tail_recall", "all", "all")] == rows[("recall", "popularity", "tail")] == pytest.approx(decided[tail].mean())
    assert (counts[encoded.item_codes["test"]] == 0).any()  # items new in test count as tail
    assert any(d == "region" for _, d, _ in rows) and any(d == "category_top" for _, d, _ in rows)


def run(split, model="deepfm", strategy="baseline", params=None, **ctx):
    context = TrialContext(seed=0, params=ctx.pop("task_params", {}), **ctx)
    return {(r.metric, r.group_dim, r.group): r.value for r in TASK.run(split, model, strategies.get(strategy), context, params)}


def test_deepfm_run_is_deterministic_and_beats_chance(market, tmp_path):
    first = run(market, params=SMALL, model_dir=tmp_path)
    assert first == run(market, params=SMALL)
    assert first[("roc_auc", "all", "all")] > 0.55
    assert first[("n_train_impressions", "all", "all")] > first[("n_test_impressions", "all", "all")] > 0
    assert isinstance(DeepFM.load(tmp_path), DeepFM)
    fields = json.loads((tmp_path / "fields.json").read_text())
    assert fields["fields"][:2] == ["user", "item"] and len(fields["vocabularies"]["hour"]) == 24


def test_purchase_target_is_rarer_than_click(market):
    clicks = run(market, "fm", params=SMALL)
    purchases = run(market, "fm", params=SMALL, task_params={"target": "purchase"})
    assert purchases[("positive_rate", "all", "all")] < clicks[("positive_rate", "all", "all")]


@pytest.mark.parametrize(
    ("model", "params"), [("gbm", {"n_estimators": 20, "n_jobs": 1}), ("deepfm-ensemble", {"n_estimators": 2, "epochs": 2})]
)
def test_other_models_run(market, model, params):
    rows = run(market, model, "threshold", params=params)
    assert rows[("threshold", "all", "all")] != 0.5
    assert 0 <= rows[("pr_auc", "all", "all")] <= 1


def test_errors_are_one_clear_line(market):
    with pytest.raises(LongtailError, match="does not apply"):
        run(market, strategy="balanced-softmax")
    with pytest.raises(LongtailError, match="unknown model"):
        run(market, "xgboost")
    with pytest.raises(LongtailError, match="takes no parameter 'depth'"):
        run(market, params={"depth": 3})
    with pytest.raises(LongtailError, match="ensemble: 'stacked' is unknown"):
        run(market, "deepfm-ensemble", params={"ensemble": "stacked"})


# ------------------------------------------------------------- split options and declared parameters
@pytest.fixture(scope="module")
def shop():
    return make_marketplace(seed=0, n_users=300, n_items=200, n_events=8000, n_queries=5)


def part_sizes(split):
    return {name: part.interactions.height for name, part in split.parts().items()}


def test_default_split_is_the_temporal_split_it_always_was(shop, market):
    from longtail.data.splits import temporal_split
    from longtail.tasks.base import split_options

    assert split_options(TASK) == {"test_size": None, "valid_size": 0.1, "cut": None}
    direct = temporal_split(shop, test_size=0.2, valid_size=0.1)
    for name, part in direct.parts().items():
        assert market.parts()[name].interactions.equals(part.interactions)


def test_split_options_move_the_cut_and_the_validation_part(shop, market):
    n = shop.interactions.height
    bigger = TASK.split(shop, seed=0, test_size=0.4, valid_size=0.0)
    assert bigger.valid is None and bigger.test.interactions.height == pytest.approx(0.4 * n, rel=0.01)
    assert TASK.split(shop, seed=3, test_size=0.4, valid_size=0.0).test.interactions.equals(bigger.test.interactions)
    wider = part_sizes(TASK.split(shop, seed=0, valid_size=0.25))
    assert wider["test"] == part_sizes(market)["test"] and wider["valid"] == pytest.approx(0.25 * n, rel=0.01)
    stamps = shop.interactions.get_column(C.TIMESTAMP).sort()
    cut = stamps[n // 2]
    halves = TASK.split(shop, seed=0, cut=cut.isoformat())
    assert halves.test.interactions.get_column(C.TIMESTAMP).min() == cut
    assert halves.valid.interactions.get_column(C.TIMESTAMP).max() < cut
    assert TASK.split(shop, seed=0, cut=cut).test.interactions.equals(halves.test.interactions)
    # a trial runs on the moved split as on the default one
    rows = run(halves, "gbm", params={"n_estimators": 10, "n_jobs": 1})
    assert rows[("n_test_impressions", "all", "all")] > 1.5 * run(market, "gbm", params={"n_estimators": 10, "n_jobs": 1})[
        ("n_test_impressions", "all", "all")]


def test_bad_split_options_are_option_errors_naming_the_key(shop):
    from longtail.tasks.base import OptionError

    with pytest.raises(OptionError, match="^cut: give test_size or cut, not both"):
        TASK.split(shop, seed=0, test_size=0.3, cut="2024-01-10")
    with pytest.raises(OptionError, match="^cut: 'soon' is not a date or datetime"):
        TASK.split(shop, seed=0, cut="soon")
    with pytest.raises(OptionError, match="^valid_size: test_size \\+ valid_size is 1; keep it below 1"):
        TASK.split(shop, seed=0, test_size=0.5, valid_size=0.5)
    with pytest.raises(OptionError, match=r"^test_size: 0 is outside \(0, 1\)"):
        TASK.split(shop, seed=0, test_size=0)


def test_the_task_reads_exactly_its_declared_params(market):
    from task_probes import ReadKeys

    params = ReadKeys()
    context = TrialContext(seed=0, params=params)
    TASK.run(market, "gbm", strategies.get("baseline"), context, {"n_estimators": 10, "n_jobs": 1})
    assert params.read == set(TASK.param_names) == {"target", "event_order", "sessions", "session_gap_minutes"}


def test_model_param_names_are_what_build_model_takes():
    from longtail.tasks.ctr import build_model

    assert "deep" not in TASK.model_param_names("fm") and "epochs" in TASK.model_param_names("fm")
    assert {"n_bins", "hardness"} <= TASK.model_param_names("deepfm-ensemble", {"ensemble": "self-paced"})
    assert "bootstrap" in TASK.model_param_names("deepfm-ensemble", {"ensemble": "bagging"})
    assert "hardness" not in TASK.model_param_names("deepfm-ensemble")  # the default ensemble is easy
    ensemble = build_model("deepfm-ensemble", TrialContext(seed=0), {"ensemble": "self-paced", "n_bins": 3, "epochs": 1})
    assert ensemble.n_bins == 3
