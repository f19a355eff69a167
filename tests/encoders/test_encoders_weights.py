"""Locating and verifying model weights: the packaged zip, local folders, checksum files, hub ids."""

from __future__ import annotations

import json
import zipfile

import pytest

from longtail.encoders import weights
from longtail.errors import LongtailError


def test_packaged_model_is_extracted_and_matches_its_checksum(packaged_dir, model_cache):
    assert packaged_dir == model_cache / "models" / weights.PACKAGED_MODEL_SHA256
    assert weights.sha256_file(packaged_dir / "model.safetensors") == weights.PACKAGED_MODEL_SHA256
    files = weights.resolve_model(None)
    assert files.folder == packaged_dir
    assert files.checksum == weights.PACKAGED_MODEL_SHA256
    assert (files.pooling, files.max_seq_length) == ("mean", 256)
    assert not list(packaged_dir.parent.glob(".extract-*")), "staging folders must not be left behind"


def test_corrupted_extracted_copy_is_refused(tmp_path):
    target = tmp_path / "models" / weights.PACKAGED_MODEL_SHA256
    target.mkdir(parents=True)
    (target / "model.safetensors").write_bytes(b"not the weights")
    with pytest.raises(LongtailError, match="corrupted or altered.*delete"):
        weights.packaged_model_dir(tmp_path)


def test_zip_with_wrong_weights_is_refused_and_leaves_nothing(tmp_path):
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("model.safetensors", b"\x00" * 64)
        out.writestr("config.json", "{}")
    root = tmp_path / "cache"
    with pytest.raises(LongtailError, match="expected " + weights.PACKAGED_MODEL_SHA256):
        weights.packaged_model_dir(root, zip_path=archive)
    assert list((root / "models").iterdir()) == []


def _folder(tmp_path, weights_bytes=b"weights"):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "bert"}))
    (folder / "model.safetensors").write_bytes(weights_bytes)
    return folder


def test_local_folder_checksum_is_its_weights_hash(tmp_path):
    folder = _folder(tmp_path)
    files = weights.resolve_model(folder)
    assert files.checksum == weights.sha256_file(folder / "model.safetensors")
    assert files.source == "folder"


def test_checksum_file_guards_every_listed_file(tmp_path):
    folder = _folder(tmp_path)
    listing = {"files": {name: weights.sha256_file(folder / name) for name in ("config.json", "model.safetensors")}}
    (folder / weights.CHECKSUM_FILE).write_text(json.dumps(listing))
    assert weights.resolve_model(folder).checksum == listing["files"]["model.safetensors"]
    (folder / "model.safetensors").write_bytes(b"weightz")
    with pytest.raises(LongtailError, match="model.safetensors: sha256 is"):
        weights.resolve_model(folder)


def test_sentence_transformers_layout_with_other_pooling_is_refused(tmp_path):
    folder = _folder(tmp_path)
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    with pytest.raises(LongtailError, match="uses cls pooling"):
        weights.resolve_model(folder)


def test_missing_folder_and_bad_names_say_what_to_pass(tmp_path):
    with pytest.raises(LongtailError, match="neither an existing folder nor a hub id"):
        weights.resolve_model(tmp_path / "nowhere")
    with pytest.raises(LongtailError, match="no config.json"):
        weights.resolve_model(tmp_path)


def test_hub_id_offline_gives_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(LongtailError, match="cannot fetch model 'someorg/some-model'.*local model folder"):
        weights.resolve_model("someorg/some-model")


def test_cache_root_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LONGTAIL_CACHE_DIR", str(tmp_path / "a"))
    assert weights.cache_root() == tmp_path / "a"
    monkeypatch.delenv("LONGTAIL_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert weights.cache_root() == tmp_path / "xdg" / "longtail"
