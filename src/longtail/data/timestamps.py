"""Turn whatever a file calls a timestamp into UTC datetimes (microseconds).

Accepted: ISO 8601 strings (with a zone or offset, converted to UTC; naive ones
taken in ``naive_tz``, UTC by default; both kinds may be mixed in one column),
epoch numbers (or numeric strings) in seconds, milliseconds, microseconds or
nanoseconds, dates, and datetime columns (naive or zoned). Anything else is an
:class:`~longtail.errors.InputError` naming the file, the column, the first bad
row and its value, and what to do.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

import polars as pl

from longtail.errors import InputError

UTC_DTYPE = pl.Datetime("us", "UTC")
TIME_UNITS = ("s", "ms", "us", "ns")

_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_UNIT_WORDS = {"s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"}
# Epoch numbers beyond this instant are taken as a unit mistake, not a date:
# no shop logged events after 2200, but milliseconds read as seconds land there.
_LATEST_SECONDS = int(datetime(2200, 1, 1, tzinfo=timezone.utc).timestamp())

_NUMERIC = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_ZONED = r"[+-]\d{2}:\d{2}$"
_ISO_FIX = (
    (r"^(\d{4}-\d{2}-\d{2})[ Tt]", "${1}T"),  # date/time separator
    (r"^(\d{4}-\d{2}-\d{2})$", "${1}T00:00:00"),  # a bare date is midnight
    (r"\s*(?:[Zz]|UTC|GMT)$", "+00:00"),
    (r"\s*([+-]\d{2})(\d{2})$", "${1}:${2}"),
    (r"(T[\d:.]+)\s*([+-]\d{2})$", "${1}${2}:00"),
    (r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})($|[+-].*$)", "${1}:00${2}"),  # no seconds
)
_ISO_NAIVE = "%Y-%m-%dT%H:%M:%S%.f"
_ISO_ZONED = "%Y-%m-%dT%H:%M:%S%.f%:z"


def to_utc(
    series: pl.Series,
    *,
    time_unit: str = "s",
    time_format: str | None = None,
    naive_tz: str = "UTC",
    file: str | None = None,
    column: str | None = None,
) -> pl.Series:
    """Parse ``series`` into ``pl.Datetime("us", "UTC")``; nulls stay null.

    ``time_unit`` is the unit of epoch numbers ("s", "ms", "us" or "ns");
    ``time_format`` a strftime format for strings that are not ISO 8601
    (e.g. ``"%m/%d/%Y %H:%M"``); ``naive_tz`` the zone of values that carry
    none (e.g. ``"Europe/London"`` for local shop time). ``file`` and
    ``column`` only make error messages point at the source.
    """
    if time_unit not in _PER_SECOND:
        raise ValueError(f"time_unit must be one of {', '.join(TIME_UNITS)}, got {time_unit!r}")
    dtype = series.dtype
    if dtype == pl.Null:
        return series.cast(UTC_DTYPE)
    if isinstance(dtype, pl.Datetime):
        parsed = _localize(series, naive_tz)
    elif dtype == pl.Date:
        parsed = _localize(series.cast(pl.Datetime("us")), naive_tz)
    elif dtype.is_numeric():
        parsed = _from_epoch(series, time_unit, file, column)
    elif dtype in (pl.String, pl.Categorical, pl.Enum):
        parsed = _from_strings(series.cast(pl.String), time_unit, time_format, naive_tz, file, column)
    else:
        raise InputError(
            f"cannot read timestamps from a {dtype} column",
            file=file,
            column=column,
            fix="give ISO 8601 strings, epoch numbers or datetimes",
        )
    _raise_on_unparsed(series, parsed, file, column, _fix_for(time_format, naive_tz))
    return parsed.cast(UTC_DTYPE).alias(series.name)


def _localize(series: pl.Series, naive_tz: str) -> pl.Series:
    if series.dtype.time_zone is None:  # type: ignore[union-attr]
        # A wall-clock time that a clock change skips does not exist: null, then reported.
        series = series.dt.replace_time_zone(naive_tz, ambiguous="earliest", non_existent="null")
    return series.dt.convert_time_zone("UTC").cast(UTC_DTYPE)


def _from_epoch(series: pl.Series, time_unit: str, file: str | None, column: str | None) -> pl.Series:
    values = series.cast(pl.Float64)
    limit = _LATEST_SECONDS * _PER_SECOND[time_unit]
    bad = ~values.is_finite() | (values.abs() >= limit)
    if bad.any():
        row = int(bad.fill_null(False).arg_true()[0])
        raise InputError(
            f"{series[row]} is not a plausible time in {_UNIT_WORDS[time_unit]} since 1970",
            file=file,
            column=column,
            row=row,
            fix=_unit_hint(abs(values[row]), time_unit),
        )
    micros_per_unit = 1_000_000 / _PER_SECOND[time_unit]
    if series.dtype.is_integer() and micros_per_unit >= 1:
        micros = series.cast(pl.Int64) * int(micros_per_unit)
    else:
        micros = (values * micros_per_unit).round(0).cast(pl.Int64)
    return micros.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def _unit_hint(value: float, time_unit: str) -> str:
    if math.isfinite(value):  # maybe a finer unit was meant
        for unit in TIME_UNITS[TIME_UNITS.index(time_unit) + 1 :]:
            if value < _LATEST_SECONDS * _PER_SECOND[unit]:
                return f"these numbers look like {_UNIT_WORDS[unit]}: use --time-unit {unit} (time_unit='{unit}')"
    return "fix or drop that row"


def _from_strings(
    series: pl.Series,
    time_unit: str,
    time_format: str | None,
    naive_tz: str,
    file: str | None,
    column: str | None,
) -> pl.Series:
    text = series.str.strip_chars()
    if time_format is not None:
        parsed = text.str.to_datetime(time_format, time_unit="us", strict=False)
        return _localize(parsed, naive_tz)
    filled = text.drop_nulls()
    if filled.len() and filled.str.contains(_NUMERIC).all():
        whole = bool(filled.str.contains(r"^[+-]?\d+$").all())
        numbers = text.cast(pl.Int64 if whole else pl.Float64, strict=False)
        return _from_epoch(numbers, time_unit, file, column)
    iso = text
    for pattern, replacement in _ISO_FIX:
        iso = iso.str.replace(pattern, replacement)
    zoned = iso.str.to_datetime(_ISO_ZONED, time_unit="us", strict=False)
    naive = iso.str.to_datetime(_ISO_NAIVE, time_unit="us", strict=False)
    naive = _localize(naive, naive_tz)
    has_zone = iso.str.contains(_ZONED).fill_null(False)
    return pl.select(pl.when(has_zone).then(zoned).otherwise(naive)).to_series()


def _fix_for(time_format: str | None, naive_tz: str) -> str:
    if time_format is not None:
        fix = f"the values do not match the format {time_format!r}; fix the format (--time-format) or the rows"
    else:
        fix = (
            "write ISO 8601 (2024-03-01T12:00:00+01:00) or epoch numbers, "
            "or give the format with --time-format (e.g. '%d/%m/%Y %H:%M')"
        )
    if naive_tz != "UTC":
        fix += f" (a local time that a clock change skips in {naive_tz} does not exist)"
    return fix


def _raise_on_unparsed(raw: pl.Series, parsed: pl.Series, file: str | None, column: str | None, fix: str) -> None:
    failed = parsed.is_null() & raw.is_not_null()
    if failed.any():
        row = int(failed.arg_true()[0])
        raise InputError(
            f"{int(failed.sum())} value(s) are not readable timestamps",
            file=file,
            column=column,
            row=row,
            value=raw[row],
            fix=fix,
        )
