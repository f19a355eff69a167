"""The dataset registry, the data root, checksummed downloads (file:// URLs, no network)."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import re
import zipfile
from pathlib import Path

import pytest

from longtail.data import load_dataset, registry
from longtail.data.download import fetch, sha256_of
from longtail.data.loaders.base import TASKS, Download
from longtail.data.paths import ENV_VAR, data_root
from longtail.errors import LongtailError

REPO = Path(__file__).resolve().parents[2]


def test_every_named_dataset_is_listed_and_described() -> None:
    infos = registry.list_datasets()
    assert [i.name for i in infos] == ["synthetic", *registry.NAMED]
    for info in infos:
        assert info.description and info.size and set(info.tasks) <= set(TASKS)
        for described in info.files:
            assert re.fullmatch(r"[0-9a-f]{64}", described.sha256) and described.rows > 0
        for item in info.downloads:
            assert item.url.startswith("https://") and re.fullmatch(r"[0-9a-f]{64}", item.sha256)
    assert registry.info("synthetic").is_available()


def test_available_follows_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    info = registry.info("esci_sample")
    assert not info.is_available()
    (tmp_path / "esci_sample").mkdir()
    (tmp_path / "esci_sample" / "examples.parquet").write_bytes(b"x")
    assert info.is_available() and info.folder() == tmp_path / "esci_sample"
    with pytest.raises(LongtailError, match="not found"):
        registry.load("taobao_userbehavior")


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(LongtailError) as err:
        registry.load("amazon_reviews")
    assert "amazon_reviews" in str(err.value)
    assert all(name in str(err.value) for name in registry.NAMED)
    assert registry.info("Online-Retail-UCI").name == "online_retail_uci"


def test_synthetic_goes_to_the_simulator() -> None:
    pytest.importorskip("longtail.data.synthetic")
    ds = load_dataset("synthetic", seed=3, n_users=100, n_items=100, n_events=1_000, n_queries=5)
    assert ds.name == "synthetic" and ds.truth is not None
    assert ds.items.height == 100


def test_verify_checks_sha256_of_the_local_copy(tmp_path: Path) -> None:
    info = registry.info("diginetica_sample")
    if not info.is_available():
        pytest.skip(f"diginetica_sample: no local copy in {info.folder()}")
    assert registry.verify("diginetica_sample") == {"item_views.parquet": True}
    copy = tmp_path / "item_views.parquet"
    copy.write_bytes((info.folder() / "item_views.parquet").read_bytes() + b"\0")
    assert registry.verify("diginetica_sample", path=tmp_path) == {"item_views.parquet": False}
    assert registry.verify("diginetica_sample", path=tmp_path / "none") == {"item_views.parquet": False}


def test_data_root_env_then_cwd_then_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "mine"))
    assert data_root() == tmp_path / "mine"
    monkeypatch.delenv(ENV_VAR)
    work = tmp_path / "work"
    (tmp_path / "shared" / "datasets").mkdir(parents=True)
    work.mkdir()
    monkeypatch.chdir(work)
    assert data_root() == (tmp_path / "shared" / "datasets").resolve()
    elsewhere = tmp_path / "a" / "b"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)  # no ../shared/datasets from here
    assert data_root() == (REPO / ".." / "shared" / "datasets").resolve()


# ------------------------------------------------------------------ downloads
def _source(tmp_path: Path, payload: bytes) -> tuple[str, str]:
    path = tmp_path / "remote" / "file.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
    return path.as_uri(), hashlib.sha256(payload).hexdigest()


def test_fetch_verifies_and_does_not_download_twice(tmp_path: Path) -> None:
    url, digest = _source(tmp_path, b"longtail" * 1000)
    dest = tmp_path / "data" / "file.bin"
    assert fetch(url, dest, digest, progress=False) == dest
    assert sha256_of(dest) == digest
    Path(url.removeprefix("file://")).unlink()  # the source is gone: a second fetch must not need it
    assert fetch(url, dest, digest.upper(), progress=False) == dest


def test_fetch_mismatch_raises_and_leaves_nothing(tmp_path: Path) -> None:
    url, _ = _source(tmp_path, b"tampered")
    dest = tmp_path / "data" / "file.bin"
    with pytest.raises(LongtailError, match="checksum mismatch"):
        fetch(url, dest, "0" * 64, progress=True)
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_fetch_bad_url_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(LongtailError, match="download failed"):
        fetch((tmp_path / "absent.bin").as_uri(), tmp_path / "x.bin", "0" * 64, progress=False)


def test_registry_download_unzips_checked_archives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "remote.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("Online Retail.csv", "InvoiceNo\n")
    module = importlib.import_module("longtail.data.loaders.online_retail_uci")
    fake = Download(archive.as_uri(), "online_retail.zip", sha256_of(archive), unzip=True)
    monkeypatch.setattr(module, "INFO", dataclasses.replace(module.INFO, downloads=(fake,)))
    dest = registry.download("online_retail_uci", tmp_path / "out", progress=False)
    assert (dest / "Online Retail.csv").read_text() == "InvoiceNo\n"
    with pytest.raises(LongtailError, match="no official download"):
        registry.download("taobao_userbehavior", tmp_path / "out")
