"""MODEL_DIR: what build_model_dir writes, how serve.json is checked, and what loading refuses."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from serve_samples import ITEM_IDS, PAIRS, REGIONS, KeywordCategorizer, OverlapGrader, TableRecommender, preference_table

from longtail.errors import LongtailError
from longtail.serve.config import inside, read_manifest
from longtail.serve.export import build_model_dir, index_interactions
from longtail.serve.models import load_served


class TouchOnLoad:
    """Unpickling this creates ``marker``: proof that a pickle was (or was not) run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.fixture
def folder(model_dir, tmp_path):
    """A private copy of the session MODEL_DIR that a test may break."""
    return shutil.copytree(model_dir, tmp_path / "copy")


def edit_manifest(folder, **changes):
    manifest = json.loads((folder / "serve.json").read_text())
    manifest.update(changes)
    (folder / "serve.json").write_text(json.dumps(manifest))


# ------------------------------------------------------------------ export
def test_catalogue_popularity_is_distinct_users(model_dir):
    catalogue = pl.read_parquet(model_dir / "catalogue.parquet")
    assert catalogue.get_column("item_id").to_list() == ITEM_IDS
    want = {item: len({u for u, i in PAIRS if i == item}) for item in ITEM_IDS}
    assert dict(zip(catalogue["item_id"].to_list(), catalogue["popularity"].to_list())) == want


def test_region_popularity_users_and_history(model_dir):
    located = pl.read_parquet(model_dir / "region_popularity.parquet")
    want = {}
    for user, item in PAIRS:
        want[(REGIONS[user], item)] = want.get((REGIONS[user], item), 0) + 1
    assert {(r, i): n for r, i, n in located.iter_rows()} == want
    users = pl.read_parquet(model_dir / "users.parquet")
    assert dict(users.iter_rows()) == REGIONS
    history = pl.read_parquet(model_dir / "history.parquet")
    assert sorted(history.iter_rows()) == sorted(PAIRS)
    ids = json.loads((model_dir / "recommend" / "ids.json").read_text())
    assert ids == {"user_ids": sorted(REGIONS), "item_ids": ITEM_IDS}


def test_manifest_records_grades_and_limits(model_dir):
    manifest = read_manifest(model_dir)
    assert manifest.rank.grades == {"irrelevant": 0.0, "partial": 1.0, "exact": 2.0}
    assert manifest.limits.max_k == 5 and manifest.rerank.lam == 0.0 and manifest.name == "tiny"


def test_build_refuses_to_overwrite_and_copies_saved_folders(shop, model_dir, tmp_path):
    with pytest.raises(LongtailError, match="already holds"):
        build_model_dir(model_dir, shop)
    dest = build_model_dir(tmp_path / "from-folders", shop, model_dir / "recommend", model_dir / "rank")
    assert (dest / "recommend" / "ids.json").read_text() == (model_dir / "recommend" / "ids.json").read_text()
    served = load_served(dest)
    assert served.recommender.table.shape == (6, 10) and served.ranker is not None and served.categorizer is None


def test_build_needs_gains_for_named_grades(shop, tmp_path):
    bare = shop.replace(meta={})
    with pytest.raises(LongtailError, match="pass grades"):
        build_model_dir(tmp_path / "m", bare, rank_model=OverlapGrader())
    folder = build_model_dir(tmp_path / "n", bare, rank_model=OverlapGrader(), grades={"irrelevant": 0, "partial": 0.5, "exact": 1})
    np.testing.assert_array_equal(load_served(folder).grade_gains, [0.0, 0.5, 1.0])


def test_build_checks_ids_against_the_model(shop, tmp_path):
    with pytest.raises(LongtailError, match="fitted on 3 users and 10 items"):
        build_model_dir(tmp_path / "m", shop, TableRecommender(preference_table(3, 10)))
    with pytest.raises(LongtailError, match="not a saved model folder"):
        build_model_dir(tmp_path / "n", shop, tmp_path)


def test_index_interactions_matches_pairs(shop):
    ix = index_interactions(shop)
    pairs = {(int(ix.user_ids[u]), int(ix.item_ids[i])) for u, i in zip(ix.users, ix.items)}
    assert pairs == set(PAIRS) and ix.users.size == len(PAIRS)


# --------------------------------------------------------------- serve.json
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "field 'colour': Extra inputs"),
        ({"limits": {"max_k": 0}}, "field 'limits.max_k'"),
        ({"rerank": {"lambda": 2}}, "field 'rerank.lambda'"),
        ({"format_version": 9}, "field 'format_version'"),
    ],
)
def test_bad_manifest_fields(folder, change, message):
    edit_manifest(folder, **change)
    with pytest.raises(LongtailError, match=message):
        read_manifest(folder)


def test_missing_or_broken_manifest(tmp_path):
    with pytest.raises(LongtailError, match="no such model folder"):
        read_manifest(tmp_path / "nothing")
    with pytest.raises(LongtailError, match="serve.json: missing"):
        read_manifest(tmp_path)
    (tmp_path / "serve.json").write_text("{oops")
    with pytest.raises(LongtailError, match="not valid JSON"):
        read_manifest(tmp_path)


# ------------------------------------------------------------ path safety
def test_paths_cannot_leave_model_dir(folder, tmp_path):
    outside = tmp_path / "secret.parquet"
    shutil.copy(folder / "catalogue.parquet", outside)
    for path in ("../secret.parquet", str(outside)):
        with pytest.raises(LongtailError, match="outside MODEL_DIR|absolute"):
            inside(folder, path, "catalogue")
    (folder / "link.parquet").symlink_to(outside)
    edit_manifest(folder, catalogue="link.parquet")
    with pytest.raises(LongtailError, match="leads outside MODEL_DIR"):
        load_served(folder)


def test_symlinked_model_files_are_refused(folder, tmp_path):
    elsewhere = shutil.copytree(folder / "rank", tmp_path / "elsewhere")
    (folder / "rank" / "model.safetensors").unlink()
    (folder / "rank" / "model.safetensors").symlink_to(elsewhere / "model.safetensors")
    with pytest.raises(LongtailError, match="rank model model.safetensors path .* leads outside"):
        load_served(folder)
    shutil.rmtree(folder / "rank")
    (folder / "rank").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(LongtailError, match="leads outside MODEL_DIR"):
        load_served(folder)


def test_missing_files_are_named(folder):
    (folder / "history.parquet").unlink()
    with pytest.raises(LongtailError, match="history file 'history.parquet' is missing"):
        load_served(folder)


# ------------------------------------------------------------ model checks
def test_unregistered_class_is_refused(folder):
    config = json.loads((folder / "rank" / "config.json").read_text())
    config["class"] = "os.system"
    (folder / "rank" / "config.json").write_text(json.dumps(config))
    with pytest.raises(LongtailError, match="not an allowed longtail model"):
        load_served(folder)


def test_pickle_is_never_loaded(folder, tmp_path):
    marker = tmp_path / "unpickled"
    weights = folder / "recommend" / "model.safetensors"
    weights.write_bytes(pickle.dumps(TouchOnLoad(marker)))  # a pickle under the safetensors name
    with pytest.raises(LongtailError, match="recommend/model.safetensors: unreadable weights .*not safetensors"):
        load_served(folder)
    weights.unlink()
    (folder / "recommend" / "model.pkl").write_bytes(pickle.dumps(TouchOnLoad(marker)))  # a pickle under its own name
    with pytest.raises(LongtailError, match="recommend model model.safetensors file 'recommend/model.safetensors' is missing"):
        load_served(folder)
    (folder / "rank" / "config.json").write_bytes(pickle.dumps(TouchOnLoad(marker)))
    edit_manifest(folder, recommend=None, history=None)
    with pytest.raises(LongtailError, match="rank/config.json: unreadable model config"):
        load_served(folder)
    assert not marker.exists()


def test_model_of_the_wrong_kind(folder):
    for name in ("config.json", "model.safetensors"):
        shutil.copy(folder / "categorize" / name, folder / "recommend" / name)
    with pytest.raises(LongtailError, match="cannot serve as the recommend model"):
        load_served(folder)


def test_ids_must_match_the_model(folder):
    (folder / "recommend" / "ids.json").write_text(json.dumps({"user_ids": [1, 2], "item_ids": ITEM_IDS}))
    with pytest.raises(LongtailError, match="lists 2 users and 10 items"):
        load_served(folder)
    (folder / "recommend" / "ids.json").write_text("[1, 2]")
    with pytest.raises(LongtailError, match="needs JSON with lists"):
        load_served(folder)


def test_grades_must_cover_the_model(folder):
    edit_manifest(folder, rank={"path": "rank", "grades": {"exact": 2}})
    with pytest.raises(LongtailError, match=r"no gain for grade\(s\) \['irrelevant', 'partial'\]"):
        load_served(folder)
    edit_manifest(folder, rank={"path": "rank"})
    with pytest.raises(LongtailError, match="are not numbers; give rank.grades"):
        load_served(folder)


@pytest.mark.slow
def test_embedding_model_needs_an_encoder(shop, tmp_path):
    from longtail.models.categorize import EmbeddingClassifier

    rng = np.random.default_rng(0)
    model = EmbeddingClassifier(epochs=2, seed=0).fit(rng.normal(size=(30, 8)).astype(np.float32), np.repeat(["a", "b", "c"], 10))
    dest = build_model_dir(tmp_path / "m", shop, categorize_model=model)
    with pytest.raises(LongtailError, match="names no 'encoder'"):
        load_served(dest)
    served = load_served(dest, embed=lambda texts: rng.normal(size=(len(texts), 8)).astype(np.float32))
    assert served.categorize_proba(["a lamp", "a rug"]).shape == (2, 3)


@pytest.fixture(scope="module")
def embedding_dir(shop, tmp_path_factory):
    """MODEL_DIR with an embedding categoriser fitted on 8-dimensional vectors, its encoder folder named 'encoder'."""
    from longtail.models.categorize import EmbeddingClassifier

    rng = np.random.default_rng(0)
    model = EmbeddingClassifier(epochs=2, seed=0).fit(rng.normal(size=(30, 8)).astype(np.float32), np.repeat(["a", "b", "c"], 10))
    return build_model_dir(tmp_path_factory.mktemp("embedding") / "m", shop, categorize_model=model, encoder="encoder")


@pytest.mark.slow
def test_probe_request_catches_an_encoder_of_the_wrong_width(embedding_dir):
    def five_wide(texts):
        return np.ones((len(texts), 5), dtype=np.float32)

    with pytest.raises(LongtailError, match="categorize model fails on a probe request .is serve.json's encoder"):
        load_served(embedding_dir, embed=five_wide)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({"config.json": "{}", "pytorch_model.bin": "weights"}, "'pytorch_model.bin' is a pickle-based weight file"),
        ({"config.json": "{}", "sub/model.pt": "weights", "model.safetensors": "w"}, "'sub/model.pt' is a pickle-based"),
        ({"config.json": "{}", "tokenizer.json": "{}"}, "holds no .safetensors weights"),
        ({"config.json": "{}", "model.safetensors": "@outside"}, "'model.safetensors' leads outside MODEL_DIR"),
        ({"config.json": "{}", "model.safetensors": "w", "pooling": "@outside-folder"}, "'pooling' leads outside"),
    ],
)
def test_encoder_folder_must_be_safetensors_inside_model_dir(embedding_dir, tmp_path, layout, message):
    folder = shutil.copytree(embedding_dir, tmp_path / "copy")
    (tmp_path / "outside-folder").mkdir()
    (tmp_path / "outside").write_text("w")
    for name, content in layout.items():
        path = folder / "encoder" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content.startswith("@"):
            os.symlink(tmp_path / content[1:], path)
        else:
            path.write_text(content)
    with pytest.raises(LongtailError, match=message):
        load_served(folder)


def test_catalogue_without_popularity_or_category(folder):
    pl.read_parquet(folder / "catalogue.parquet").select("item_id", "title").write_json(folder / "plain.json")
    edit_manifest(folder, catalogue="plain.json")
    served = load_served(folder)
    assert served.catalogue.popularity.sum() == 0 and set(served.catalogue.categories) == {"unknown"}
    assert served.catalogue.popularity_bucket.tolist() == [3] * 10


def test_unreadable_catalogue(folder):
    (folder / "catalogue.parquet").write_bytes(b"not parquet")
    with pytest.raises(LongtailError, match="cannot read the catalogue"):
        load_served(folder)
    pl.DataFrame({"sku": [1]}).write_parquet(folder / "catalogue.parquet")
    with pytest.raises(LongtailError, match="lacks column"):
        load_served(folder)


def test_tiny_models_round_trip(model_dir):
    served = load_served(model_dir)
    assert isinstance(served.ranker, OverlapGrader) and isinstance(served.categorizer, KeywordCategorizer)
    np.testing.assert_array_equal(served.grade_gains, [0.0, 1.0, 2.0])
