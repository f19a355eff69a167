"""What every named loader shares: its description, where its files are, and
how it reports the rows it had to drop."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from longtail.data import columns as C
from longtail.data.paths import ENV_VAR, data_root
from longtail.errors import LongtailError

TASKS = ("categorize", "ctr", "recommend", "relevance", "profile")


@dataclass(frozen=True)
class DataFile:
    """One file of the local copy, with its documented checksum."""

    name: str
    sha256: str
    rows: int


@dataclass(frozen=True)
class Download:
    """An official download: fetched, checked against ``sha256``, unzipped when ``unzip``."""

    url: str
    filename: str
    sha256: str
    unzip: bool = False


@dataclass(frozen=True)
class DatasetInfo:
    """A named dataset: what it is, what it fits, and where its files come from.

    ``files`` is the local copy under ``data_root()/name``; ``original_files``
    names the files of the public original that the loader also reads when
    pointed at a folder holding them; ``downloads`` are official URLs with a
    known checksum (empty when the publisher needs a login or none is known).
    ``generated`` datasets are simulated and need no files.
    """

    name: str
    description: str
    tasks: tuple[str, ...]
    size: str
    files: tuple[DataFile, ...]
    homepage: str
    licence: str
    original_files: tuple[str, ...] = ()
    downloads: tuple[Download, ...] = ()
    generated: bool = False

    def folder(self) -> Path:
        """The default folder of the local copy (it may not exist)."""
        return data_root() / self.name

    def is_available(self) -> bool:
        """True when generated, or when every file of the local copy is in :meth:`folder`."""
        if self.generated:
            return True
        folder = self.folder()
        return folder.is_dir() and all((folder / f.name).is_file() for f in self.files)


def dataset_folder(info: DatasetInfo, path: str | Path | None) -> Path:
    """The folder to read ``info`` from: ``path`` if given, else the default one."""
    folder = Path(path).expanduser() if path is not None else info.folder()
    if folder.is_file():
        raise LongtailError(f"{folder}: give the folder that holds the {info.name} files, not one file")
    if not folder.is_dir():
        where = "the path given" if path is not None else f"${ENV_VAR} or ../shared/datasets"
        how = f"; or download it: registry.download('{info.name}', '<folder>')" if info.downloads else ""
        raise LongtailError(
            f"dataset '{info.name}' not found at {folder} (from {where}); "
            f"point --dataset-path (path=...) at a folder with {_expected(info)}{how}"
        )
    return folder


def _expected(info: DatasetInfo) -> str:
    local = " + ".join(f.name for f in info.files)
    return f"{local} (local copy) or files of the original release ({', '.join(info.original_files)})"


def find_file(folder: Path, *names: str) -> Path | None:
    """The first of ``names`` present in ``folder`` (case-insensitive), or None."""
    present = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    for name in names:
        if name.lower() in present:
            return present[name.lower()]
    return None


def missing_files(info: DatasetInfo, folder: Path) -> LongtailError:
    """The error for a folder that holds neither the local copy nor the original."""
    found = sorted(p.name for p in folder.iterdir())
    return LongtailError(
        f"{folder}: no {info.name} files here (found: {', '.join(found) or 'nothing'}); expected {_expected(info)}"
    )


@dataclass
class DropLog:
    """Counts rows a loader removes, by reason, so none vanish silently."""

    counts: dict[str, int] = field(default_factory=dict)

    def keep(self, frame: pl.DataFrame, condition: pl.Expr, reason: str) -> pl.DataFrame:
        """Rows of ``frame`` where ``condition`` holds; the others are counted under ``reason``."""
        kept = frame.filter(condition.fill_null(False))
        if kept.height < frame.height:
            self.counts[reason] = self.counts.get(reason, 0) + frame.height - kept.height
        return kept


def empty_interactions(user_dtype: pl.DataType = pl.String, item_dtype: pl.DataType = pl.String) -> pl.DataFrame:
    """An interactions table with the right schema and no rows (catalogue-only data)."""
    return pl.DataFrame(
        schema={C.USER_ID: user_dtype, C.ITEM_ID: item_dtype, C.TIMESTAMP: pl.Datetime("us", "UTC"), C.EVENT: pl.String}
    )


def items_seen(interactions: pl.DataFrame) -> pl.DataFrame:
    """A catalogue of the item ids in ``interactions``, in first-seen order, without titles."""
    return interactions.select(pl.col(C.ITEM_ID).unique(maintain_order=True), pl.lit(None, pl.String).alias(C.TITLE))


def make_meta(info: DatasetInfo, files: list[Path], drops: DropLog, notes: list[str], **extra: Any) -> dict[str, Any]:
    """The ``Dataset.meta`` of a named dataset: provenance, dropped rows, notes."""
    return {
        "description": info.description,
        "tasks": list(info.tasks),
        "homepage": info.homepage,
        "licence": info.licence,
        "files": [str(f) for f in files],
        "dropped_rows": dict(drops.counts),
        "notes": list(notes),
        **extra,
    }


def most_frequent(value: str) -> pl.Expr:
    """Aggregation: the most common non-null value of a column (ties: smallest)."""
    return pl.col(value).drop_nulls().mode().sort().first()
