"""`longtail serve-build`: the models a real `longtail bench --save-models` run kept become a served MODEL_DIR."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from longtail.cli.main import app as cli
from longtail.errors import LongtailError
from longtail.models.persist import load_model
from longtail.serve import ServeConfig, create_app, read_manifest
from longtail.serve.export import build_from_bench

pytestmark = pytest.mark.slow

SPEC = """
name: tiny
datasets:
  - name: synthetic
    params: {n_users: 80, n_items: 100, n_events: 1500, n_queries: 30}
tasks:
  - name: recommend
    models: [most-popular]
  - name: categorize
    models: [tfidf-logreg]
  - name: relevance
    models: [biencoder]
    model_params: {biencoder: {epochs: 1}}
strategies:
  - baseline
  - name: rerank
    params: {lam: 0.7}
encoder: {enabled: false}
device: cpu
"""


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory):
    """A finished bench run (inline, encoder off) that kept its models."""
    from rich.console import Console

    from longtail.bench.runner import run_bench
    from longtail.bench.spec import parse_spec

    out = tmp_path_factory.mktemp("bench") / "run"
    summary = run_bench(parse_spec(SPEC), out, executor="inline", save_models=True, outputs=False,
                        console=Console(quiet=True))
    assert not summary.failed and summary.done == summary.planned == 4
    return out


def invoke(*args):
    return CliRunner().invoke(cli, ["serve-build", *map(str, args)])


def test_ambiguous_choice_lists_the_saved_models(bench_dir, tmp_path):
    result = invoke(bench_dir, tmp_path / "m")
    assert result.exit_code == 2
    assert "2 saved models match */*/*" in result.output and "most-popular/baseline/seed0, most-popular/rerank/seed0" in result.output
    assert not (tmp_path / "m").exists()


def test_built_folder_serves_the_bench_models(bench_dir, tmp_path):
    dest = tmp_path / "m"
    result = invoke(bench_dir, dest, "--recommend", "most-popular/rerank", "--categorize", "tfidf-logreg")
    assert result.exit_code == 0, result.output
    assert "recommend: most-popular/rerank/seed0" in result.output and f"longtail serve {dest}" in result.output
    manifest = read_manifest(dest)
    assert manifest.rerank.lam == 0.7 and manifest.rank is None  # the strategy's re-ranking is the default
    saved = bench_dir / "models" / "synthetic"
    recommender = load_model(saved / "recommend" / "most-popular" / "rerank" / "seed0")
    ids = json.loads((saved / "recommend" / "most-popular" / "rerank" / "seed0" / "ids.json").read_text())
    categorizer = load_model(saved / "categorize" / "tfidf-logreg" / "baseline" / "seed0")
    with TestClient(create_app(dest, ServeConfig(journal=tmp_path / "j.sqlite"))) as c:
        assert c.get("/healthz").json()["endpoints"] == {"recommend": True, "rank": False, "categorize": True}
        served = c.app.state.service.served
        for row in (0, 5, 17):
            user = ids["user_ids"][row]
            body = c.post("/recommend", json={"user_id": user, "k": 5, "rerank_lambda": 0}).json()
            assert body["cold_start"] is False
            scores = recommender.scores(np.asarray([row]))[0].astype(np.float64)
            scores[served.users.history_of(row)] = -np.inf
            got = scores[[ids["item_ids"].index(item["item_id"]) for item in body["items"]]]
            # the plain top 5 of the bench model's own scores without the user's items (ties in any order)
            assert got.tolist() == np.sort(scores)[::-1][:5].tolist()
            assert c.post("/recommend", json={"user_id": user, "k": 5}).json()["rerank_lambda"] == 0.7
        titles = ["wireless running shoe", "ceramic coffee mug"]
        got = c.post("/categorize", json={"titles": titles, "top": 1}).json()["results"]
        proba = categorizer.predict_proba(titles)
        assert [r["category"] for r in got] == categorizer.classes_[proba.argmax(axis=1)].tolist()
        assert [r["probability"] for r in got] == pytest.approx(proba.max(axis=1).tolist())


def test_embedding_models_of_an_encoder_less_run_are_refused(bench_dir, tmp_path):
    result = invoke(bench_dir, tmp_path / "m", "--task", "relevance")
    assert result.exit_code == 2 and "encoder off" in result.output and "cannot be served" in result.output
    assert not (tmp_path / "m").exists()


def test_choices_and_filters(bench_dir, tmp_path):
    _, chosen = build_from_bench(bench_dir, tmp_path / "a", strategy="baseline", tasks=("recommend", "categorize"))
    assert [(c.task, c.label) for c in chosen] == [("recommend", "most-popular/baseline/seed0"),
                                                    ("categorize", "tfidf-logreg/baseline/seed0")]
    assert read_manifest(tmp_path / "a").rerank.lam == 0.0
    with pytest.raises(LongtailError, match="already holds a serve.json"):
        build_from_bench(bench_dir, tmp_path / "a", strategy="baseline", tasks=("recommend",))
    with pytest.raises(LongtailError, match="disagree"):
        build_from_bench(bench_dir, tmp_path / "b", recommend="most-popular/rerank", strategy="baseline")
    with pytest.raises(LongtailError, match=r"no saved model matches most-popular/\*/seed3"):
        build_from_bench(bench_dir, tmp_path / "b", recommend="most-popular", seed=3)
    with pytest.raises(LongtailError, match="no saved models of dataset 'other'"):
        build_from_bench(bench_dir, tmp_path / "b", dataset="other")
    with pytest.raises(LongtailError, match="no spec.yaml"):
        build_from_bench(tmp_path, tmp_path / "b")
    (tmp_path / "spec.yaml").write_text((bench_dir / "spec.yaml").read_text())
    with pytest.raises(LongtailError, match="no models/ folder; run the bench with --save-models"):
        build_from_bench(tmp_path, tmp_path / "b")
