"""Fixtures: a tiny shop written as a MODEL_DIR with the tiny models, and test clients on it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from serve_samples import KeywordCategorizer, OverlapGrader, TableRecommender, preference_table, tiny_shop

from longtail.serve import ServeConfig, create_app
from longtail.serve.export import build_model_dir, index_interactions

from serve_samples import TOKEN  # noqa: E402 - shared with the test modules


@pytest.fixture(scope="session")
def shop():
    return tiny_shop()


@pytest.fixture(scope="session")
def model_dir(shop, tmp_path_factory):
    """MODEL_DIR with a table recommender, the overlap grader and the keyword categoriser."""
    ix = index_interactions(shop)
    table = preference_table(ix.n_users, ix.n_items)
    folder = tmp_path_factory.mktemp("served") / "model"
    return build_model_dir(folder, shop, TableRecommender(table), OverlapGrader(), KeywordCategorizer(),
                           limits={"max_k": 5, "max_events": 4, "max_titles": 3, "max_rank_items": 4, "max_body_bytes": 2048})


@pytest.fixture
def client(model_dir, tmp_path):
    """A client of the app without auth, journal in a fresh folder."""
    app = create_app(model_dir, ServeConfig(journal=tmp_path / "events.sqlite"))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def auth_client(model_dir, tmp_path):
    """A client of the app with TOKEN required."""
    app = create_app(model_dir, ServeConfig(token=TOKEN, journal=tmp_path / "events.sqlite"))
    with TestClient(app) as c:
        yield c
