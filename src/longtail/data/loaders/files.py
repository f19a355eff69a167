"""Open CSV and Parquet files lazily, with errors that name the file.

Everything is a :class:`polars.LazyFrame` until the caller has chosen its
columns, so a 50-million-row Parquet file is read only for the columns used.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from longtail.errors import InputError, LongtailError, describe_row

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_DELIMITERS = (",", ";", "\t")


def sniff_separator(path: Path) -> str:
    """The delimiter (',', ';' or tab) used most often in the file's first line."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        first_line = handle.readline()
    counts = {sep: first_line.count(sep) for sep in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda sep: counts[sep])  # ties keep ','
    return best if counts[best] else ","


def scan(
    path: str | Path,
    *,
    string_columns: tuple[str, ...] = (),
    separator: str | None = None,
    has_header: bool = True,
    new_columns: list[str] | None = None,
    n_rows: int | None = None,
    null_values: list[str] | None = None,
) -> pl.LazyFrame:
    """Open ``path`` (CSV/TSV or Parquet, by extension) as a lazy frame.

    ``string_columns`` are read as text whatever they look like (ids with
    leading zeros, timestamps); other CSV columns are inferred from the first
    10,000 rows; ``null_values`` are CSV spellings of a missing value (e.g.
    "NA"). An empty file or an unknown extension is a user error.
    """
    path = Path(path)
    if not path.is_file():
        raise LongtailError(f"{path}: no such file; check the path")
    if path.stat().st_size == 0:
        raise InputError("the file is empty", file=str(path), fix="point at a file with a header and data rows")
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return pl.scan_parquet(path, n_rows=n_rows)
    if suffix in CSV_SUFFIXES:
        separator = separator or sniff_separator(path)
        names = new_columns if new_columns is not None else _csv_header(path, separator)
        overrides = {name: pl.String for name in string_columns if name in names}
        return pl.scan_csv(
            path,
            separator=separator,
            has_header=has_header,
            new_columns=new_columns,
            schema_overrides=overrides or None,
            infer_schema_length=10_000,
            encoding="utf8-lossy",
            n_rows=n_rows,
            null_values=null_values,
        )
    raise LongtailError(
        f"{path}: cannot read '{suffix or 'no extension'}' files; "
        f"give CSV ({', '.join(CSV_SUFFIXES)}) or Parquet ({', '.join(PARQUET_SUFFIXES)})"
    )


def _csv_header(path: Path, separator: str) -> list[str]:
    return pl.read_csv(path, separator=separator, n_rows=0, encoding="utf8-lossy").columns


def column_names(frame: pl.LazyFrame, path: str | Path) -> list[str]:
    """The columns of a lazy frame; a file polars cannot open is an InputError."""
    try:
        return frame.collect_schema().names()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(
            f"cannot read the file: {_first_line(exc)}",
            file=str(path),
            fix="check that it is a whole CSV or Parquet file with the right extension (re-export it if cut short)",
        ) from exc


def collect(frame: pl.LazyFrame, path: str | Path) -> pl.DataFrame:
    """Run a lazy query; parse failures become an InputError naming the file."""
    try:
        return frame.collect()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(
            f"cannot read the file: {_first_line(exc)}",
            file=str(path),
            fix="check that every row has the same columns and each column one type",
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def first_row(path: str | Path, **scan_options) -> str | None:
    """The file's first data row as ``first row: col=value, ...`` for an error message; None if there is none.

    Reading it must never hide the error being reported, so any failure gives None.
    """
    try:
        head = scan(path, **scan_options).head(1).collect()
    except (LongtailError, pl.exceptions.PolarsError, OSError):
        return None
    return describe_row(head.row(0, named=True), "first row") if head.height else None


def require_columns(available: list[str], wanted: dict[str, str], path: str | Path, option: str) -> None:
    """Raise if a mapped source column is not in the file.

    ``wanted`` maps longtail names to source columns; ``option`` names the CLI
    option that holds the mapping, for the fix. The message shows the first
    row so the user can see which column holds what.
    """
    for target, source in wanted.items():
        if source not in available:
            raise InputError(
                f"no column '{source}' to use as {target}; the file has: {', '.join(available)}",
                file=str(path),
                column=source,
                example=first_row(path),
                fix=f"map an existing column with {option} {target}=<column>",
            )


def read_columns(
    path: str | Path,
    rename: dict[str, str],
    *,
    optional: tuple[str, ...] = (),
    text: tuple[str, ...] = (),
    **scan_options,
) -> pl.DataFrame:
    """Read the ``rename`` keys of ``path`` under their new names.

    Keys listed in ``optional`` are read when present; a missing required key
    is an InputError listing the file's columns. ``text`` columns are read as
    strings from CSV; ``scan_options`` go to :func:`scan`.
    """
    available = column_names(scan(path, **scan_options), path)
    required = {src: dst for src, dst in rename.items() if src not in optional}
    for source, target in required.items():
        if source not in available:
            raise InputError(
                f"no column '{source}' (needed for {target}); the file has: {', '.join(available)}",
                file=str(path),
                column=source,
                example=first_row(path, **scan_options),
                fix="point at the original, unmodified file",
            )
    chosen = {src: dst for src, dst in rename.items() if src in available}
    frame = scan(path, string_columns=text, **scan_options)
    return collect(frame.select([pl.col(src).alias(dst) for src, dst in chosen.items()]), path)
