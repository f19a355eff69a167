"""Every error path of the app: validation, limits, body size, auth, missing models, unknown paths."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from serve_samples import TOKEN, TableRecommender, preference_table

from longtail.serve import ServeConfig, create_app
from longtail.serve.export import build_model_dir, index_interactions


# Error answers leave no state behind, so one app per module keeps the file fast.
@pytest.fixture(scope="module")
def client(model_dir, tmp_path_factory):
    app = create_app(model_dir, ServeConfig(journal=tmp_path_factory.mktemp("errors") / "events.sqlite"))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def auth_client(model_dir, tmp_path_factory):
    app = create_app(model_dir, ServeConfig(token=TOKEN, journal=tmp_path_factory.mktemp("auth") / "events.sqlite"))
    with TestClient(app) as c:
        yield c


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/recommend", {"k": 3}, "body.user_id"),
        ("/recommend", {"user_id": 1, "k": 0}, "body.k"),
        ("/recommend", {"user_id": 1, "k": "many"}, "body.k"),
        ("/recommend", {"user_id": 1.5}, "body.user_id"),
        ("/recommend", {"user_id": 1, "rerank_lambda": 1.5}, "body.rerank_lambda"),
        ("/recommend", {"user_id": 1, "colour": "red"}, "body.colour"),
        ("/recommend", {"user_id": ""}, "body.user_id"),
        ("/rank", {"query": "lamp"}, "body"),
        ("/rank", {"query": "lamp", "k": 2, "item_ids": [10]}, "body"),
        ("/rank", {"query": "", "k": 2}, "body.query"),
        ("/rank", {"query": "lamp", "item_ids": []}, "body.item_ids"),
        ("/categorize", {"titles": []}, "body.titles"),
        ("/categorize", {"titles": ["lamp"], "top": 0}, "body.top"),
        ("/events", {"events": []}, "body.events"),
        ("/events", {"events": [{"type": "hover", "user_id": 1, "item_id": 10}]}, "body.events.0.type"),
        ("/events", {"events": [{"type": "click", "user_id": 1, "item_id": 10, "position": -1}]}, "body.events.0.position"),
        ("/events", {"events": [{"type": "click", "user_id": 1}]}, "body.events.0.item_id"),
    ],
)
def test_invalid_bodies_get_422_naming_the_field(client, path, body, where):
    response = client.post(path, json=body)
    assert response.status_code == 422
    assert response.json()["error"].startswith(where)
    assert response.json()["detail"][0]["loc"][0] == "body"


def test_malformed_json_gets_422(client):
    response = client.post("/recommend", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and "JSON" in response.json()["error"]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/recommend", {"user_id": 1, "k": 6}, "limits.max_k"),
        ("/rank", {"query": "lamp", "k": 6}, "limits.max_k"),
        ("/rank", {"query": "lamp", "item_ids": [10, 20, 30, 40, 50]}, "limits.max_rank_items"),
        ("/rank", {"query": "lamp", "item_ids": [10, 31, "x"]}, "2 id(s) not in the catalogue: 31, 'x'"),
        ("/categorize", {"titles": ["a", "b", "c", "d"]}, "limits.max_titles"),
        ("/events", {"events": [{"type": "click", "user_id": 1, "item_id": 10}] * 5}, "limits.max_events"),
    ],
)
def test_limits_from_serve_json_get_422(client, path, body, message):
    response = client.post(path, json=body)
    assert response.status_code == 422
    assert message in response.json()["error"]


def test_k_above_catalogue_size(shop, tmp_path):
    ix = index_interactions(shop)
    folder = build_model_dir(tmp_path / "m", shop, TableRecommender(preference_table(ix.n_users, ix.n_items)),
                             limits={"max_k": 50})
    with TestClient(create_app(folder, ServeConfig(journal=tmp_path / "j.sqlite"))) as c:
        response = c.post("/recommend", json={"user_id": 1, "k": 11})
    assert response.status_code == 422 and "only 10 items" in response.json()["error"]


def test_body_above_limit_gets_413_before_parsing(client):
    big = {"user_id": 1, "query": "lamp " * 500}  # > 2048 bytes (serve.json limits.max_body_bytes)
    response = client.post("/recommend", json=big)
    assert response.status_code == 413
    assert "max_body_bytes" in response.json()["error"]
    assert client.post("/recommend", json={"user_id": 1, "k": 1}).status_code == 200


def test_chunked_body_above_limit_gets_413(client):
    payload = json.dumps({"events": [{"type": "click", "user_id": 1, "item_id": 10, "query": "x" * 1500}] * 2}).encode()

    def chunks():
        for start in range(0, len(payload), 500):
            yield payload[start:start + 500]

    response = client.post("/events", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert client.app.state.service.journal.count() == 0


def test_bad_content_length_gets_400(client):
    response = client.post("/recommend", content=b"{}", headers={"content-length": "abc", "content-type": "application/json"})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/stats", "/metrics", "/openapi.json"])
def test_get_endpoints_need_the_token(auth_client, path):
    assert auth_client.get(path).status_code == 401
    assert auth_client.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


@pytest.mark.parametrize("path", ["/recommend", "/rank", "/categorize", "/events"])
def test_post_endpoints_need_the_token(auth_client, path):
    response = auth_client.post(path, json={})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["error"]


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer", f"Basic {TOKEN}", TOKEN])
def test_wrong_tokens_are_refused(auth_client, header):
    response = auth_client.post("/recommend", json={"user_id": 1}, headers={"Authorization": header})
    assert response.status_code == 401


def test_right_token_passes_and_healthz_needs_none(auth_client):
    ok = auth_client.post("/recommend", json={"user_id": 1, "k": 2}, headers={"Authorization": f"bearer {TOKEN}"})
    assert ok.status_code == 200
    assert auth_client.get("/healthz").status_code == 200


def test_token_from_environment(model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("LONGTAIL_TOKEN", "from-env")
    with TestClient(create_app(model_dir, ServeConfig.from_env(journal=tmp_path / "j.sqlite"))) as c:
        assert c.get("/stats").status_code == 401
        assert c.get("/stats", headers={"Authorization": "Bearer from-env"}).status_code == 200


def test_missing_models_get_404(shop, tmp_path):
    folder = build_model_dir(tmp_path / "m", shop)  # catalogue only: every user is a cold start
    with TestClient(create_app(folder, ServeConfig(journal=tmp_path / "j.sqlite"))) as c:
        assert c.post("/rank", json={"query": "lamp", "k": 2}).status_code == 404
        response = c.post("/categorize", json={"titles": ["lamp"]})
        assert response.status_code == 404 and "categorize_model" in response.json()["error"]
        popular = c.post("/recommend", json={"user_id": 1, "k": 2}).json()
        assert popular["cold_start"] is True and [i["item_id"] for i in popular["items"]] == [10, 20]
        assert c.get("/healthz").json()["endpoints"] == {"recommend": True, "rank": False, "categorize": False}


def test_unknown_path_and_method(client):
    assert client.get("/nothing").status_code == 404
    assert client.get("/recommend").status_code == 405


def test_events_after_the_journal_closed_get_503(model_dir, tmp_path):
    with TestClient(create_app(model_dir, ServeConfig(journal=tmp_path / "j.sqlite"))) as c:
        service = c.app.state.service
        service.journal.close()  # what shutdown does once requests in flight are drained
        response = c.post("/events", json={"events": [{"type": "click", "user_id": 1, "item_id": 10}]})
        assert response.status_code == 503 and "send it again" in response.json()["error"]
        assert service.monitor.snapshot()["events"]["counts"]["click"] == 0  # nothing counted that was not stored
        assert c.post("/recommend", json={"user_id": 1, "k": 2}).status_code == 200
