"""Every endpoint of the app through FastAPI's TestClient, answers checked against direct computations."""

from __future__ import annotations

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
    with TestClient(create_app(folder, ServeConfig(journal=tmp_path / "j.sqlite"))) as c:
        plain = c.post("/recommend", json={"user_id": 1, "k": 4, "rerank_lambda": 0}).json()
        default = c.post("/recommend", json={"user_id": 1, "k": 4}).json()
    assert default["rerank_lambda"] == 0.8 and plain["rerank_lambda"] == 0.0


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
    assert "longtail_requests_in_flight" in families and "longtail_journal_events" in families


def test_openapi_schema_lists_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/recommend", "/rank", "/categorize", "/events", "/stats", "/metrics", "/healthz"} <= set(paths)
