"""Every endpoint of the app through FastAPI's TestClient, answers checked against direct computations."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from serve_samples import CATEGORIES, ITEM_IDS, KeywordCategorizer, OverlapGrader, TableRecommender, preference_table

from longtail.adjust import ExposureReranker
from longtail.serve import ServeConfig, create_app
from longtail.serve.export import build_model_dir, index_interactions

HISTORY = {1: [10, 20, 70], 2: [10, 20, 80], 3: [10, 20, 40], 4: [10, 40, 50], 5: [10, 60], 6: [10, 60, 100]}
POPULARITY = np.asarray([6, 3, 0, 2, 1, 2, 1, 1, 0, 1], dtype=float)  # distinct users per item of ITEM_IDS


@pytest.fixture(scope="module")
def table(shop):
    ix = index_interactions(shop)
    return preference_table(ix.n_users, ix.n_items)


def expected_top(table, user, k, exclude=()):
    """Reference: best k items of the user's row, history and ``exclude`` removed."""
    scores = table[user - 1].astype(float).copy()
    for item in HISTORY[user] + list(exclude):
        scores[ITEM_IDS.index(item)] = -np.inf
    order = np.argsort(-scores, kind="stable")[:k]
    return [ITEM_IDS[i] for i in order]


def ids(response):
    return [item["item_id"] for item in response.json()["items"]]


# --------------------------------------------------------------- recommend
def test_recommend_known_user_is_model_top_k_without_history(client, table):
    for user in HISTORY:
        response = client.post("/recommend", json={"user_id": user, "k": 4})
        assert response.status_code == 200
        body = response.json()
        assert body["cold_start"] is False and body["cold_start_source"] is None
        assert ids(response) == expected_top(table, user, 4)
        assert [item["score"] for item in body["items"]] == [float(table[user - 1][ITEM_IDS.index(i)]) for i in ids(response)]


def test_recommend_excludes_requested_items_and_counts_unknown_ones(client, table):
    first = expected_top(table, 2, 2)
    response = client.post("/recommend", json={"user_id": 2, "k": 3, "exclude": first + ["nope", 12345]})
    assert ids(response) == expected_top(table, 2, 3, exclude=first)
    assert response.json()["excluded_unknown"] == 2


def test_recommend_string_id_of_integer_catalogue_user(client, table):
    assert ids(client.post("/recommend", json={"user_id": "3", "k": 2})) == expected_top(table, 3, 2)


def test_cold_start_region_popularity(client):
    # DE users are 3 and 4: items 10 and 40 twice, 20 and 50 once; global popularity orders the ties
    response = client.post("/recommend", json={"user_id": 999, "k": 4, "region": "DE"})
    assert response.json()["cold_start"] is True and response.json()["cold_start_source"] == "region"
    assert ids(response) == [10, 40, 20, 50]
    fr = client.post("/recommend", json={"user_id": "newcomer", "k": 3, "region": "FR"})
    assert ids(fr) == [10, 60, 100]


def test_cold_start_text_then_popular(client):
    response = client.post("/recommend", json={"user_id": 999, "k": 3, "query": "rug", "region": "DE"})
    assert response.json()["cold_start_source"] == "text"
    assert set(ids(response)) == {40, 50, 100}
    unmatched = client.post("/recommend", json={"user_id": 999, "k": 2, "query": "zebra"})
    assert unmatched.json()["cold_start_source"] == "popular"
    assert ids(unmatched) == [10, 20]


def test_rerank_lambda_matches_the_exposure_reranker(client, table):
    reranker = ExposureReranker(lam=0.8, k=4, n_candidates=100).fit(POPULARITY, head_share=0.2)
    for user in HISTORY:
        history = [ITEM_IDS.index(i) for i in HISTORY[user]]
        want = reranker.rerank(table[user - 1][None].astype(float), exclude=[history], history=[history])[0]
        response = client.post("/recommend", json={"user_id": user, "k": 4, "rerank_lambda": 0.8})
        assert response.json()["rerank_lambda"] == 0.8
        assert ids(response) == [ITEM_IDS[i] for i in want if i >= 0]


def test_default_lambda_comes_from_serve_json(shop, table, tmp_path):
    folder = build_model_dir(tmp_path / "m", shop, TableRecommender(table), rerank_lambda=0.8)
    changed = 0
    with TestClient(create_app(folder, ServeConfig(journal=tmp_path / "j.sqlite"))) as c:
        for user in HISTORY:
            plain = c.post("/recommend", json={"user_id": user, "k": 4, "rerank_lambda": 0}).json()
            default = c.post("/recommend", json={"user_id": user, "k": 4}).json()
            explicit = c.post("/recommend", json={"user_id": user, "k": 4, "rerank_lambda": 0.8}).json()
            assert default["rerank_lambda"] == 0.8 and plain["rerank_lambda"] == 0.0
            assert ids_of(default) == ids_of(explicit)
            assert ids_of(plain) == expected_top(table, user, 4)
            changed += ids_of(default) != ids_of(plain)
    assert changed > 0  # the default really re-ranks


def ids_of(body):
    return [item["item_id"] for item in body["items"]]


def test_a_recommender_trained_with_a_rerank_strategy_keeps_its_reranking(shop, tmp_path):
    from longtail import strategies
    from longtail.models.recommend import MostPopular

    ix = index_interactions(shop)
    model = MostPopular().fit(ix.users, ix.items, ix.n_users, ix.n_items, strategy=strategies.get("rerank", lam=0.9))
    folder = build_model_dir(tmp_path / "m", shop, model)
    history = [ix.items[ix.users == u] for u in range(ix.n_users)]
    want = model.recommend(np.arange(ix.n_users), 3, exclude=history)
    model.reranker_, reranker = None, model.reranker_
    plain = model.recommend(np.arange(ix.n_users), 3, exclude=history)
    model.reranker_ = reranker
    scores, groups = model.scores(np.arange(ix.n_users)), reranker.groups_
    position = {item: i for i, item in enumerate(ix.item_ids.tolist())}

    def signature(row, items):
        # MostPopular ties many items, and tie order is unspecified: compare (score, head/tail group) per slot
        return [(float(scores[row, i]), int(groups[i])) for i in items]

    with TestClient(create_app(folder, ServeConfig(journal=tmp_path / "j.sqlite"))) as c:
        for row, user in enumerate(ix.user_ids.tolist()):
            body = c.post("/recommend", json={"user_id": user, "k": 3}).json()
            assert body["rerank_lambda"] == 0.9
            assert signature(row, [position[i] for i in ids_of(body)]) == signature(row, want[row])
    assert any(signature(row, want[row]) != signature(row, plain[row]) for row in range(ix.n_users))
    overridden = build_model_dir(tmp_path / "n", shop, model, rerank_lambda=0.0, rerank_method="calibrated")
    assert json.loads((overridden / "serve.json").read_text())["rerank"] == {
        "lambda": 0.0, "method": "calibrated", "n_candidates": 100, "head_share": 0.2}


# -------------------------------------------------------------------- rank
def test_rank_given_items_by_expected_grade(client):
    items = [60, 70, 80, 10]
    response = client.post("/rank", json={"query": "toy car", "item_ids": items})
    assert response.status_code == 200
    body = response.json()
    titles = {i["item_id"]: i["title"] for i in body["items"]}
    proba = OverlapGrader().predict_proba(["toy car"] * 4, [titles[i] for i in items])
    want = dict(zip(items, proba @ np.arange(3)))
    got = [(i["item_id"], i["expected_grade"]) for i in body["items"]]
    assert sorted(i for i, _ in got) == sorted(items) and body["candidates"] == 4
    assert all(g == pytest.approx(want[i]) for i, g in got)
    assert [g for _, g in got] == sorted((g for _, g in got), reverse=True)
    assert body["items"][0]["item_id"] == 80 and body["items"][0]["grade"] == "exact"
    assert sum(body["items"][0]["probabilities"].values()) == pytest.approx(1.0)


def test_rank_rerank_lambda_matches_the_exposure_reranker(client):
    items = [10, 20, 30, 40]
    body = client.post("/rank", json={"query": "lamp", "item_ids": items, "rerank_lambda": 1.0}).json()
    assert body["rerank_lambda"] == 1.0
    grades = {i["item_id"]: i["expected_grade"] for i in body["items"]}
    scores = np.full(len(ITEM_IDS), -np.inf)
    for item in items:
        scores[ITEM_IDS.index(item)] = grades[item]
    reranker = ExposureReranker(lam=1.0, k=4, n_candidates=100).fit(POPULARITY, head_share=0.2)
    want = reranker.rerank(scores[None], history=[[]])[0]
    assert ids(client.post("/rank", json={"query": "lamp", "item_ids": items, "rerank_lambda": 1.0})) == [
        ITEM_IDS[i] for i in want if i >= 0]
    plain = [i["item_id"] for i in sorted(body["items"], key=lambda i: -i["expected_grade"])]
    assert ids(client.post("/rank", json={"query": "lamp", "item_ids": items})) == plain


def test_rank_best_k_of_catalogue(client):
    body = client.post("/rank", json={"query": "lamp", "k": 3}).json()
    assert len(body["items"]) == 3 and all("lamp" in item["title"] for item in body["items"])
    assert body["candidates"] == 10  # serve.json rank.candidates (100) capped by the catalogue


# -------------------------------------------------------------- categorize
def test_categorize_matches_model(client):
    titles = ["red race car", "rug and lamp"]
    body = client.post("/categorize", json={"titles": titles, "top": 2}).json()
    proba = KeywordCategorizer().predict_proba(titles)
    for result, p, title in zip(body["results"], proba, titles):
        order = np.argsort(-p, kind="stable")
        assert result["title"] == title
        assert result["category"] == CATEGORIES[order[0]] and result["probability"] == pytest.approx(p[order[0]])
        assert [t["category"] for t in result["top"]] == [CATEGORIES[i] for i in order[:2]]


# ------------------------------------------------------------------ events
def test_events_are_journaled_and_counted(client, tmp_path):
    events = [
        {"type": "impression", "user_id": 1, "item_id": 30, "position": 0},
        {"type": "click", "user_id": 1, "item_id": 30, "timestamp": "2024-05-01T10:00:00Z"},
        {"type": "purchase", "user_id": "x9", "item_id": "not-a-sku", "region": "PL", "request_id": "r1"},
    ]
    response = client.post("/events", json={"events": events})
    assert response.status_code == 200
    assert response.json() == {"accepted": 3, "not_in_catalogue": 1, "first_id": 1, "last_id": 3}
    second = client.post("/events", json={"events": [{"type": "click", "user_id": 2, "item_id": 10}]}).json()
    assert second["first_id"] == second["last_id"] == 4
    stored = list(client.app.state.service.journal.read())
    assert [(e.type, e.user_id, e.item_id) for e in stored] == [
        ("impression", 1, 30), ("click", 1, 30), ("purchase", "x9", "not-a-sku"), ("click", 2, 10)]
    assert stored[0].region == "GB"  # from the users table
    assert stored[2].region == "PL" and stored[2].request_id == "r1" and stored[1].occurred_at.startswith("2024-05-01T10:00")
    stats = client.get("/stats").json()["events"]
    assert stats["counts"] == {"impression": 1, "click": 2, "purchase": 1}
    assert stats["not_in_catalogue"] == 1


def test_healthz_lists_endpoints(client):
    body = client.get("/healthz").json()
    assert body == {"status": "ok", "name": "tiny", "n_items": 10,
                    "endpoints": {"recommend": True, "rank": True, "categorize": True}}


def test_stats_items_exports_log_q(client):
    client.post("/events", json={"events": [{"type": "click", "user_id": 1, "item_id": 10}]})
    frequency = client.get("/stats", params={"items": "true"}).json()["training"]["item_frequency"]
    assert frequency["item_ids"] == ITEM_IDS
    assert np.exp(frequency["log_q"]).sum() == pytest.approx(1.0)
    assert "log_q" not in client.get("/stats").json()["training"]["item_frequency"]


# ----------------------------------------------------------------- metrics
def test_metrics_parse_and_count_requests(client):
    for _ in range(3):
        client.post("/recommend", json={"user_id": 1, "k": 2})
    client.post("/recommend", json={"user_id": 1, "k": 0})
    client.get("/no-such-page")
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    requests = {(s.labels["endpoint"], s.labels["status"]): s.value
                for s in families["longtail_requests"].samples if s.name == "longtail_requests_total"}
    assert requests[("/recommend", "200")] == 3 and requests[("/recommend", "422")] == 1
    assert requests[("unmatched", "404")] == 1
    latency = {s.labels["endpoint"]: s.value for s in families["longtail_request_duration_seconds"].samples
               if s.name.endswith("_count")}
    assert latency["/recommend"] == 4
    stats = client.get("/stats").json()["exposure"]
    gini = families["longtail_exposure_gini"].samples[0].value
    assert gini == pytest.approx(stats["gini"]) and families["longtail_exposure_slots"].samples[0].value == 6
    assert families["longtail_lists_served"].samples[0].value == 3
    assert families["longtail_exposure_tail_share"].samples[0].value == pytest.approx(stats["tail_share"])
    shares = {(s.labels["dimension"], s.labels["group"]): s.value for s in families["longtail_exposure_share"].samples}
    assert {g: v for (d, g), v in shares.items() if d == "popularity"} == pytest.approx(stats["popularity_mix"])
    assert "longtail_requests_in_flight" in families and "longtail_journal_events" in families


def test_metrics_event_rates_per_popularity_bucket(client):
    # item 10 is the head item, 30 is never touched (cold)
    events = [{"type": "impression", "user_id": 1, "item_id": 10}] * 2 + [{"type": "click", "user_id": 1, "item_id": 10}]
    events += [{"type": "impression", "user_id": 1, "item_id": 30}, {"type": "purchase", "user_id": 1, "item_id": 30}]
    assert client.post("/events", json={"events": events[:4]}).status_code == 200
    assert client.post("/events", json={"events": events[4:]}).status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    rates = {(s.labels["event"], s.labels["popularity"]): s.value for s in families["longtail_event_rate"].samples}
    assert rates[("click", "head")] == 0.5 and rates[("purchase", "head")] == 0.0
    assert rates[("purchase", "cold")] == 1.0 and ("click", "tail") not in rates  # no impressions: no rate
    window = {s.labels["type"]: s.value for s in families["longtail_events_window"].samples}
    assert window == {"impression": 3, "click": 1, "purchase": 1}
    totals = {s.labels["type"]: s.value for s in families["longtail_events"].samples if s.name == "longtail_events_total"}
    assert totals == window
    assert families["longtail_journal_events"].samples[0].value == 5


def test_openapi_schema_lists_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/recommend", "/rank", "/categorize", "/events", "/stats", "/metrics", "/healthz"} <= set(paths)
