"""The result store: one folder that survives crashes, kills and re-runs.

Layout of a results folder::

    spec.yaml                 the spec that was run (defaults filled in)
    rows/<trial_id>.parquet   tidy rows of one finished trial
    errors/<trial_id>.json    traceback of a failed trial (removed once it succeeds)
    profiles/<dataset>.json   imbalance profile of each dataset
    skipped.json              combinations that cannot run, and why
    results.parquet           every row, consolidated at the end of a run

Every file is written under a temporary name in its own folder and renamed
into place (``os.replace`` is atomic), so a kill at any moment leaves only
whole files; leftovers of interrupted writes are removed when the store is
opened again. A trial counts as finished once its rows file exists: that is
how a re-run skips it.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import polars as pl

from longtail.errors import LongtailError

ROW_SCHEMA: dict[str, Any] = {
    "dataset": pl.String,
    "task": pl.String,
    "model": pl.String,
    "strategy": pl.String,
    "seed": pl.Int64,
    "metric": pl.String,
    "group_dim": pl.String,
    "group": pl.String,
    "value": pl.Float64,
    "trial_id": pl.String,
    "version": pl.String,
    "spec_hash": pl.String,
    "device": pl.String,
    "wall_time": pl.Float64,
}
SORT_KEYS = ("dataset", "task", "model", "strategy", "seed", "metric", "group_dim", "group")
OVERALL = "all"
_TMP_SUFFIX = ".tmp"


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file next to ``path``, then rename it to ``path``."""
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}{_TMP_SUFFIX}"
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON, atomically."""
    text = json.dumps(data, indent=2, default=str) + "\n"
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def empty_rows() -> pl.DataFrame:
    """A results frame with no rows and the store's columns."""
    return pl.DataFrame(schema=ROW_SCHEMA)


def tidy_rows(labels: dict[str, Any], metrics: list[tuple[str, str, str, float]], meta: dict[str, Any]) -> pl.DataFrame:
    """One row per ``(metric, group_dim, group, value)``, with the trial's ``labels`` and run ``meta`` on each."""
    metric, group_dim, group, value = (list(column) for column in zip(*metrics)) if metrics else ([], [], [], [])
    columns = {**labels, "metric": metric, "group_dim": group_dim, "group": group, "value": value, **meta}
    n = len(metrics)
    data = {name: (columns[name] if isinstance(columns[name], list) else [columns[name]] * n) for name in ROW_SCHEMA}
    return pl.DataFrame(data, schema=ROW_SCHEMA)


class ResultStore:
    """A results folder (see the module docstring for its layout)."""

    RESULTS = "results.parquet"
    SPEC = "spec.yaml"
    SKIPPED = "skipped.json"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise LongtailError(f"{self.folder} is a file; give a folder for the results")
        self.rows_dir = self.folder / "rows"
        self.errors_dir = self.folder / "errors"
        self.profiles_dir = self.folder / "profiles"
        for sub in (self.rows_dir, self.errors_dir, self.profiles_dir):
            sub.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ locking
    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for one run; a second run into the same folder is a LongtailError.

        A lock left by a killed run (its process is gone) is taken over, and
        the temporary files of its interrupted writes are removed.
        """
        path = self.folder / ".lock"
        mine = self.folder / f".lock.{os.getpid()}{_TMP_SUFFIX}"
        mine.write_text(str(os.getpid()))
        try:
            for _ in range(2):
                try:
                    # a hard link appears whole or not at all, pid included
                    os.link(mine, path)
                    break
                except FileExistsError:
                    owner = _read_pid(path)
                    if owner is not None and owner != os.getpid() and _alive(owner):
                        raise LongtailError(
                            f"{self.folder}: another run (process {owner}) is writing here; wait for it or use --out"
                        ) from None
                    path.unlink(missing_ok=True)
        finally:
            mine.unlink(missing_ok=True)
        self._remove_leftovers()
        try:
            yield
        finally:
            path.unlink(missing_ok=True)

    def _remove_leftovers(self) -> None:
        for sub in (self.folder, self.rows_dir, self.errors_dir, self.profiles_dir):
            for tmp in sub.glob(f".*{_TMP_SUFFIX}"):
                tmp.unlink(missing_ok=True)

    # ------------------------------------------------------------------ trials
    def finished(self) -> set[str]:
        """Ids of the trials whose rows are stored."""
        return {path.stem for path in self.rows_dir.glob("*.parquet")}

    def write_rows(self, trial_id: str, rows: pl.DataFrame) -> Path:
        """Store a finished trial's rows (columns of ROW_SCHEMA) and drop its old error, if any."""
        frame = rows.select(list(ROW_SCHEMA)).cast(ROW_SCHEMA)
        path = write_atomic(self.rows_dir / f"{trial_id}.parquet", frame.write_parquet)
        (self.errors_dir / f"{trial_id}.json").unlink(missing_ok=True)
        return path

    def write_error(self, trial_id: str, record: dict[str, Any]) -> Path:
        """Store why a trial failed (a re-run tries it again)."""
        return write_json_atomic(self.errors_dir / f"{trial_id}.json", record)

    def errors(self) -> list[dict[str, Any]]:
        """The stored error records, by trial id."""
        return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(self.errors_dir.glob("*.json"))]

    # ------------------------------------------------------------------ other files
    def profile_path(self, dataset: str) -> Path:
        """Where the imbalance profile of ``dataset`` is kept."""
        return self.profiles_dir / f"{dataset}.json"

    def write_profile(self, dataset: str, profile: dict[str, Any]) -> Path:
        """Store a dataset's imbalance profile (``Profile.to_dict()``)."""
        return write_json_atomic(self.profile_path(dataset), profile)

    def write_spec(self, text: str) -> Path:
        """Keep the spec that was run."""
        return write_atomic(self.folder / self.SPEC, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def write_skipped(self, skipped: Iterable[dict[str, Any]]) -> Path:
        """Keep the list of combinations that could not run."""
        return write_json_atomic(self.folder / self.SKIPPED, list(skipped))

    # ------------------------------------------------------------------ results
    def rows(self, trial_ids: set[str] | None = None) -> pl.DataFrame:
        """The stored rows (only those of ``trial_ids`` when given), sorted by dataset, task, model, strategy, seed, metric."""
        paths = sorted(self.rows_dir.glob("*.parquet"))
        if trial_ids is not None:
            paths = [path for path in paths if path.stem in trial_ids]
        if not paths:
            return empty_rows()
        frame = pl.concat([pl.read_parquet(path) for path in paths], how="vertical")
        return frame.sort(list(SORT_KEYS), maintain_order=True)

    def consolidate(
        self,
        metrics: list[str] | None = None,
        group_dims: list[str] | None = None,
        trial_ids: set[str] | None = None,
        *,
        rows: pl.DataFrame | None = None,
    ) -> Path:
        """Write results.parquet from the stored rows, keeping only ``metrics``, ``group_dims`` and ``trial_ids`` when given.

        Overall rows (group_dim ``"all"``) are always kept by the group filter.
        Rows of other trials (from an earlier spec run into the same folder)
        stay in rows/ but are left out. ``rows`` gives the stored rows already
        read (``self.rows(...)``), so they are not read twice.
        """
        frame = self.rows() if rows is None else rows
        if trial_ids is not None:
            frame = frame.filter(pl.col("trial_id").is_in(sorted(trial_ids)))
        if metrics is not None:
            frame = frame.filter(pl.col("metric").is_in(metrics))
        if group_dims is not None:
            frame = frame.filter(pl.col("group_dim").is_in([OVERALL, *group_dims]))
        return write_atomic(self.folder / self.RESULTS, frame.write_parquet)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
