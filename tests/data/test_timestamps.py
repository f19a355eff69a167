"""to_utc: every accepted spelling lands on the same UTC instant; bad values name file, column and row."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest

from longtail.data.timestamps import UTC_DTYPE, to_utc
from longtail.errors import InputError

UTC = timezone.utc


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_iso_strings_with_offsets_naive_and_mixed() -> None:
    raw = pl.Series(
        "ts",
        [
            "2024-03-01T12:00:00+01:00",
            "2024-03-01 12:00:00Z",
            "2024-03-01T12:00",
            "2024-03-01",
            "2024-03-01T12:00:00.250-05:30",
            None,
            "2024-03-01T12:00:00+0100",
            "2024-03-01 12:00 UTC",
            "2024-03-01t12:00:00-05",
        ],
    )
    got = to_utc(raw)
    assert got.dtype == UTC_DTYPE
    assert got.name == "ts"
    assert got.to_list() == [
        _utc(2024, 3, 1, 11),
        _utc(2024, 3, 1, 12),
        _utc(2024, 3, 1, 12),
        _utc(2024, 3, 1),
        _utc(2024, 3, 1, 17, 30) + timedelta(milliseconds=250),
        None,
        _utc(2024, 3, 1, 11),
        _utc(2024, 3, 1, 12),
        _utc(2024, 3, 1, 17),
    ]


@pytest.mark.parametrize(
    ("unit", "scale"),
    [("s", 1), ("ms", 1_000), ("us", 1_000_000), ("ns", 1_000_000_000)],
)
def test_epoch_numbers_in_every_unit_match_python(unit: str, scale: int) -> None:
    rng = np.random.default_rng(0)
    seconds = rng.integers(946_684_800, 1_900_000_000, size=50)  # 2000 .. 2030
    expected = [datetime.fromtimestamp(int(s), tz=UTC) for s in seconds]
    assert to_utc(pl.Series(seconds * scale), time_unit=unit).to_list() == expected
    as_text = pl.Series([str(int(s) * scale) for s in seconds])
    assert to_utc(as_text, time_unit=unit).to_list() == expected


def test_fractional_epoch_seconds_keep_microseconds() -> None:
    got = to_utc(pl.Series([1_700_000_000.5, 1_700_000_000.000001]))
    base = _utc(2023, 11, 14, 22, 13, 20)
    assert got.to_list() == [base + timedelta(microseconds=500_000), base + timedelta(microseconds=1)]


def test_datetime_columns_naive_zoned_and_dates() -> None:
    naive = pl.Series([datetime(2010, 7, 1, 8, 26)])
    assert to_utc(naive).to_list() == [_utc(2010, 7, 1, 8, 26)]
    # British summer time is UTC+1
    assert to_utc(naive, naive_tz="Europe/London").to_list() == [_utc(2010, 7, 1, 7, 26)]
    zoned = pl.Series([datetime(2024, 1, 1, 9)]).dt.replace_time_zone("Asia/Shanghai")
    assert to_utc(zoned).to_list() == [_utc(2024, 1, 1, 1)]
    nanos = pl.Series([datetime(2024, 1, 1, 9)]).cast(pl.Datetime("ns"))
    assert to_utc(nanos).dtype == UTC_DTYPE
    assert to_utc(pl.Series([date(2016, 5, 9)])).to_list() == [_utc(2016, 5, 9)]


def test_custom_format_and_local_zone() -> None:
    raw = pl.Series(["12/1/2010 8:26", "6/30/2011 17:05"])
    got = to_utc(raw, time_format="%m/%d/%Y %H:%M", naive_tz="Europe/London")
    assert got.to_list() == [_utc(2010, 12, 1, 8, 26), _utc(2011, 6, 30, 16, 5)]


def test_milliseconds_read_as_seconds_name_the_row_and_suggest_the_unit() -> None:
    raw = pl.Series("ts", [1_700_000_000, 1_700_000_000_123])
    with pytest.raises(InputError) as err:
        to_utc(raw, file="events.csv", column="ts")
    message = str(err.value)
    assert "events.csv" in message and "column 'ts'" in message and "row 1" in message
    assert "--time-unit ms" in message
    assert err.value.row == 1


def test_unparseable_text_names_first_bad_row_and_value() -> None:
    raw = pl.Series("when", ["2024-01-01", "2024-01-02", "yesterday", "soon"])
    with pytest.raises(InputError) as err:
        to_utc(raw, file="log.parquet", column="when")
    assert err.value.row == 2 and err.value.value == "yesterday"
    assert "log.parquet" in str(err.value) and "2 value(s)" in str(err.value)
    assert "--time-format" in str(err.value)


def test_wrong_format_and_nan_and_skipped_local_time_are_errors() -> None:
    with pytest.raises(InputError, match="format"):
        to_utc(pl.Series(["2024-01-01"]), time_format="%d/%m/%Y", file="f.csv", column="t")
    with pytest.raises(InputError, match="row 1"):
        to_utc(pl.Series([1.7e9, float("nan")]), file="f.csv", column="t")
    # 01:30 on 2010-03-28 does not exist in London (clocks jump from 01:00 to 02:00)
    with pytest.raises(InputError, match="Europe/London"):
        to_utc(pl.Series(["2010-03-28 01:30:00"]), naive_tz="Europe/London", file="f.csv", column="t")


def test_unsupported_dtype_and_bad_unit() -> None:
    with pytest.raises(InputError, match="Boolean"):
        to_utc(pl.Series([True]), file="f.csv", column="t")
    with pytest.raises(ValueError, match="time_unit"):
        to_utc(pl.Series([1]), time_unit="minutes")
