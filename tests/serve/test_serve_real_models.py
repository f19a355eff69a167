"""The service on the project's own models, trained on a small synthetic marketplace.

The served answers must be exactly the models' own: TwoTower / MostPopular
top-k (training items excluded), TfidfLogReg categories, BiEncoderClassifier
expected grades (its embeddings from a fixed hashing encoder).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import polars as pl
import pytest
from fastapi.testclient import TestClient

from longtail.data.synthetic import make_marketplace
from longtail.serve import ServeConfig, create_app
from longtail.serve.export import build_model_dir, index_interactions

pytestmark = pytest.mark.slow
DIM = 32


def hashed_embedding(texts: list[str]) -> np.ndarray:
    """Bag of hashed words, L2-normalised: a deterministic stand-in for the sentence encoder."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=out, where=norms > 0)


@pytest.fixture(scope="module")
def market():
    return make_marketplace(0, n_users=120, n_items=150, n_events=2500, n_queries=40)


@pytest.fixture(scope="module")
def fitted(market):
    from longtail.models.categorize import TfidfLogReg
    from longtail.models.recommend import TwoTower
    from longtail.models.relevance import BiEncoderClassifier

    ix = index_interactions(market)
    two_tower = TwoTower(dim=16, epochs=2, batch_size=256, seed=0, device="cpu").fit(ix.users, ix.items, ix.n_users, ix.n_items)
    items = market.items
    categorizer = TfidfLogReg(seed=0).fit(items["title"].to_list(), items.select(market.top_category()).to_series().to_numpy())
    judged = market.judgments.join(items.select("item_id", "title"), on="item_id", how="left").with_columns(pl.col("title").fill_null(""))
    grader = BiEncoderClassifier(epochs=5, seed=0).fit(
        hashed_embedding(judged["query"].to_list()), hashed_embedding(judged["title"].to_list()), judged["label"].to_numpy())
    return ix, two_tower, categorizer, grader


@pytest.fixture(scope="module")
def client(market, fitted, tmp_path_factory):
    ix, two_tower, categorizer, grader = fitted
    folder = build_model_dir(tmp_path_factory.mktemp("real") / "model", market, two_tower, grader, categorizer,
                             encoder="packaged")
    app = create_app(folder, ServeConfig(journal=folder / "events.sqlite"), embed=hashed_embedding)
    with TestClient(app) as c:
        yield c


def test_recommend_is_the_two_tower_top_k(client, fitted):
    ix, two_tower, _, _ = fitted
    users = np.arange(0, ix.n_users, 7)
    history = [ix.items[ix.users == u] for u in users]
    want = two_tower.recommend(users, 10, exclude=history)
    for user, expected in zip(users, want):
        response = client.post("/recommend", json={"user_id": int(ix.user_ids[user]), "k": 10}).json()
        assert response["cold_start"] is False
        assert [i["item_id"] for i in response["items"]] == ix.item_ids[expected].tolist()


def test_categorize_is_the_tfidf_model(client, fitted, market):
    _, _, categorizer, _ = fitted
    titles = market.items["title"].to_list()[:3]
    body = client.post("/categorize", json={"titles": titles, "top": 1}).json()
    proba = categorizer.predict_proba(titles)
    assert [r["category"] for r in body["results"]] == categorizer.classes_[proba.argmax(axis=1)].tolist()
    assert [r["probability"] for r in body["results"]] == pytest.approx(proba.max(axis=1).tolist())


def test_rank_is_the_biencoder_expected_grade(client, fitted, market):
    _, _, _, grader = fitted
    order = market.meta["label_order"]
    query = market.judgments["query"][0]
    item_ids = market.items["item_id"].to_list()[:6]
    body = client.post("/rank", json={"query": query, "item_ids": item_ids}).json()
    titles = {i["item_id"]: i["title"] for i in body["items"]}
    proba = grader.predict_proba(hashed_embedding([query] * 6), hashed_embedding([titles[i] for i in item_ids]))
    gains = np.asarray([order.index(label) for label in grader.classes_])
    want = dict(zip(item_ids, proba @ gains))
    assert {i["item_id"]: i["expected_grade"] for i in body["items"]} == pytest.approx(want)


def test_most_popular_served_from_a_task_folder(market, tmp_path):
    """A folder saved the way the recommend task saves models (model files + ids.json) serves as is."""
    from longtail.models.recommend import MostPopular

    ix = index_interactions(market)
    model = MostPopular().fit(ix.users, ix.items, ix.n_users, ix.n_items)
    model.save(tmp_path / "saved")
    (tmp_path / "saved" / "ids.json").write_text(json.dumps({"user_ids": ix.user_ids.tolist(), "item_ids": ix.item_ids.tolist()}))
    folder = build_model_dir(tmp_path / "served", market, tmp_path / "saved")
    with TestClient(create_app(folder, ServeConfig(journal=tmp_path / "j.sqlite"))) as c:
        got = c.post("/recommend", json={"user_id": int(ix.user_ids[0]), "k": 5}).json()["items"]
    want = model.recommend([0], 5, exclude=[ix.items[ix.users == 0]])[0]
    assert [i["item_id"] for i in got] == ix.item_ids[want].tolist()
