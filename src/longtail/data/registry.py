"""Every dataset longtail knows by name: load it, list it, check it, download it.

``load("synthetic", seed=1)`` simulates a marketplace (no files needed);
``load("taobao_userbehavior")`` reads the local copy under
:func:`~longtail.data.paths.data_root`, and ``path=`` points a loader at
another folder, e.g. one holding the public original files.
"""

from __future__ import annotations

import importlib
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

from longtail.data.dataset import Dataset
from longtail.data.download import fetch, sha256_of
from longtail.data.loaders.base import TASKS, DatasetInfo
from longtail.errors import LongtailError

SYNTHETIC = DatasetInfo(
    name="synthetic",
    description="Simulated marketplace that knows every user's true taste; events, catalogue, search judgments",
    tasks=TASKS,
    size="configurable",
    files=(),
    homepage="",
    licence="generated",
    generated=True,
)

# one loader module per named dataset, in longtail.data.loaders
NAMED = (
    "amazon_uk_products",
    "diginetica_sample",
    "esci_sample",
    "flipkart_products",
    "instacart",
    "online_retail_ii",
    "online_retail_uci",
    "taobao_userbehavior",
)


def _key(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    if key != SYNTHETIC.name and key not in NAMED:
        known = ", ".join((SYNTHETIC.name, *NAMED))
        raise LongtailError(f"unknown dataset '{name}'; known datasets: {known} (see `longtail datasets`)")
    return key


def _loader(key: str) -> ModuleType:
    return importlib.import_module(f"longtail.data.loaders.{key}")


def info(name: str) -> DatasetInfo:
    """The description of one dataset (unknown names raise LongtailError)."""
    key = _key(name)
    return SYNTHETIC if key == SYNTHETIC.name else _loader(key).INFO


def list_datasets() -> list[DatasetInfo]:
    """Every known dataset, the synthetic marketplace first."""
    return [info(name) for name in (SYNTHETIC.name, *NAMED)]


def load(name: str, **kwargs: Any) -> Dataset:
    """Load a dataset by name.

    ``"synthetic"`` passes ``kwargs`` to
    :func:`longtail.data.synthetic.make_marketplace` (e.g. ``seed=``); named
    datasets take ``path=`` (a folder) and their loader's own options (e.g.
    ``n_rows=`` for ``taobao_userbehavior``).
    """
    key = _key(name)
    if key == SYNTHETIC.name:
        from longtail.data.synthetic import make_marketplace

        return make_marketplace(**kwargs)
    return _loader(key).load(**kwargs)


def verify(name: str, path: str | Path | None = None) -> dict[str, bool]:
    """For each file of the local copy: does its SHA-256 match the documented one?

    Files that are not there are reported as False.
    """
    described = info(name)
    folder = Path(path) if path is not None else described.folder()
    return {f.name: (folder / f.name).is_file() and sha256_of(folder / f.name) == f.sha256 for f in described.files}


def download(name: str, dest: str | Path, *, progress: bool = True) -> Path:
    """Fetch a dataset's official files into ``dest`` (checked, unzipped) and return ``dest``.

    Load it afterwards with ``load(name, path=dest)``. Datasets whose
    publisher gives no direct download with a known checksum raise
    LongtailError naming the page to get them from.
    """
    described = info(name)
    if not described.downloads:
        page = f" from {described.homepage}" if described.homepage else ""
        raise LongtailError(
            f"'{described.name}' has no official download with a known checksum; "
            f"get the files{page} and load them with path=<folder>"
        )
    dest = Path(dest)
    for item in described.downloads:
        archive = fetch(item.url, dest / item.filename, item.sha256, progress=progress)
        if item.unzip:
            with zipfile.ZipFile(archive) as bundle:
                bundle.extractall(dest)
    return dest
