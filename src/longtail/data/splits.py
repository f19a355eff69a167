"""Train / validation / test splits of a Dataset.

Interaction splits (:func:`random_split`, :func:`temporal_split`,
:func:`leave_last_out`) divide the interactions table and keep the items and
users tables whole in every part. Judgments stay whole too, except in
:func:`random_split`, which splits them by query (every judgment of a query
lands in the same part, so no query is seen in training and testing).
:func:`catalogue_split` divides the items table instead, for category
prediction; interactions and judgments follow their item.

The test and validation parts carry two boolean columns on their
interactions: ``cold_user`` and ``cold_item`` (the user / item has no
interaction in the training part). Every split records what it did in
``meta["split"]`` of each part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from numbers import Real
from typing import Any

import numpy as np
import polars as pl

from longtail.data import columns as C
from longtail.data.dataset import Dataset

COLD_USER = "cold_user"
COLD_ITEM = "cold_item"
TRAIN, VALID, TEST = 0, 1, 2
_PART_NAMES = {TRAIN: "train", VALID: "valid", TEST: "test"}


@dataclass(frozen=True)
class Split:
    """The parts of a split; ``valid`` is None when no validation part was asked for."""

    train: Dataset
    test: Dataset
    valid: Dataset | None = None

    def parts(self) -> dict[str, Dataset]:
        """The parts present, by name ('train', 'valid', 'test')."""
        out = {"train": self.train, "test": self.test}
        if self.valid is not None:
            out["valid"] = self.valid
        return out


# ------------------------------------------------------------------ checks
def _check_fraction(name: str, value: float, zero_ok: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a fraction between 0 and 1; got {value!r}")
    if not (0.0 <= value < 1.0 if zero_ok else 0.0 < value < 1.0):
        raise ValueError(f"{name} must be in {'[0, 1)' if zero_ok else '(0, 1)'}; got {value!r}")


def _check_sizes(test_size: float, valid_size: float) -> None:
    _check_fraction("test_size", test_size, zero_ok=False)
    _check_fraction("valid_size", valid_size, zero_ok=True)
    if test_size + valid_size >= 1.0:
        raise ValueError(f"test_size + valid_size must be below 1 to leave training data; got {test_size + valid_size!r}")


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")


# -------------------------------------------------------------- assignment
def _apportion(total: int, sizes: np.ndarray) -> np.ndarray:
    """Split ``total`` over groups in proportion to ``sizes`` (largest remainder, ties to the first group)."""
    if total == 0 or sizes.sum() == 0:
        return np.zeros(len(sizes), dtype=np.int64)
    quota = total * sizes / sizes.sum()
    out = np.floor(quota).astype(np.int64)
    left = total - int(out.sum())
    out[np.argsort(-(quota - out), kind="stable")[:left]] += 1
    return out


def _dense_codes(values: pl.Series) -> np.ndarray:
    """Code 0..k-1 of each value, in sorted order of the distinct values; nulls get code k.

    Hash-based (an Enum cast for text, a lookup otherwise): much faster than a
    dense rank on tens of millions of rows.
    """
    distinct = values.drop_nulls().unique().sort()
    if values.dtype == pl.String:
        codes = values.cast(pl.Enum(distinct.to_list())).to_physical()
    else:
        codes = values.replace_strict(distinct, pl.int_range(len(distinct), eager=True, dtype=pl.Int64),
                                      return_dtype=pl.Int64)
    return codes.fill_null(len(distinct)).to_numpy().astype(np.int64)


def _assign(codes: np.ndarray, test_size: float, valid_size: float, rng: np.random.Generator,
            keep_one: bool = False) -> np.ndarray:
    """Part (TRAIN / VALID / TEST) of each row, proportional within each stratum, random inside it.

    ``codes`` are dense stratum codes (0..k-1). With ``keep_one`` every
    stratum keeps at least one row in training.
    """
    n = len(codes)
    sizes = np.bincount(codes)
    n_test = _apportion(round(n * test_size), sizes)
    n_valid = np.minimum(_apportion(round(n * valid_size), sizes), sizes - n_test)
    if keep_one:
        n_test = np.minimum(n_test, np.maximum(sizes - 1, 0))
        n_valid = np.minimum(n_valid, np.maximum(sizes - 1 - n_test, 0))
    # Random order inside each stratum: sort by stratum code plus a uniform draw in [0, 1).
    order = np.argsort(codes + rng.random(n))
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank = np.arange(n) - first[codes[order]]
    sorted_codes = codes[order]
    part = np.full(n, TRAIN, dtype=np.int8)
    part[order] = np.where(rank < n_test[sorted_codes], TEST,
                           np.where(rank < (n_test + n_valid)[sorted_codes], VALID, TRAIN))
    return part


# ----------------------------------------------------------------- building
def _flag_cold(df: pl.DataFrame, train: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(
        (~pl.col(C.USER_ID).is_in(train.get_column(C.USER_ID).unique().implode())).alias(COLD_USER),
        (~pl.col(C.ITEM_ID).is_in(train.get_column(C.ITEM_ID).unique().implode())).alias(COLD_ITEM),
    )


def _build(ds: Dataset, method: str, params: dict[str, Any], parts: np.ndarray, *, with_valid: bool,
           judgment_parts: np.ndarray | None = None, item_parts: np.ndarray | None = None) -> Split:
    """Datasets for each part from the part of every interaction (and of judgments / items if split)."""
    codes = [code for code in _PART_NAMES if with_valid or code != VALID]
    part_rows = {code: ds.interactions.filter(pl.Series(parts == code)) for code in codes}
    out: dict[str, Dataset] = {}
    for code in codes:
        name, rows = _PART_NAMES[code], part_rows[code]
        changes: dict[str, Any] = {
            "interactions": rows if code == TRAIN else _flag_cold(rows, part_rows[TRAIN]),
            "meta": {**ds.meta, "split": {"method": method, "part": name, **params, "interactions": rows.height}},
        }
        if judgment_parts is not None:
            changes["judgments"] = ds.judgments.filter(pl.Series(judgment_parts == code))
        if item_parts is not None:
            changes["items"] = ds.items.filter(pl.Series(item_parts == code))
        out[name] = ds.replace(**changes)
    return Split(train=out["train"], test=out["test"], valid=out.get("valid"))


# ------------------------------------------------------------------ splits
def random_split(ds: Dataset, test_size: float = 0.2, valid_size: float = 0.0, seed: int = 0,
                 stratify: str | None = None) -> Split:
    """Random split of the interactions, stratified by a column (e.g. ``"event"``) if given.

    Each stratum contributes its share of test / validation rows. Judgments,
    if any, are split by query with the same shares.
    """
    _check_sizes(test_size, valid_size)
    _check_seed(seed)
    inter = ds.interactions
    if stratify is not None and stratify not in inter.columns:
        raise ValueError(f"stratify: no column {stratify!r} in interactions (has: {', '.join(inter.columns)})")
    rng_rows, rng_queries = (np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(2))
    strata = _dense_codes(inter.get_column(stratify)) if stratify else np.zeros(inter.height, dtype=np.int64)
    parts = _assign(strata, test_size, valid_size, rng_rows)
    judgment_parts = None
    if ds.judgments is not None:
        queries = ds.judgments.get_column(C.QUERY).unique(maintain_order=True)
        query_parts = _assign(np.zeros(len(queries), dtype=np.int64), test_size, valid_size, rng_queries)
        judgment_parts = (
            ds.judgments.select(pl.col(C.QUERY).replace_strict(queries, pl.Series(query_parts), return_dtype=pl.Int8))
            .to_series().to_numpy()
        )
    params = {"test_size": test_size, "valid_size": valid_size, "seed": int(seed), "stratify": stratify}
    return _build(ds, "random", params, parts, with_valid=valid_size > 0, judgment_parts=judgment_parts)


def _as_utc_us(cut: datetime | date | str) -> int:
    if isinstance(cut, str):
        try:
            cut = datetime.fromisoformat(cut)
        except ValueError:
            raise ValueError(f"cut: cannot read {cut!r} as a datetime; use ISO format such as '2024-02-15'") from None
    if isinstance(cut, date) and not isinstance(cut, datetime):
        cut = datetime(cut.year, cut.month, cut.day)
    if not isinstance(cut, datetime):
        raise ValueError(f"cut must be a datetime, date or ISO string; got {type(cut).__name__}")
    cut = cut.replace(tzinfo=timezone.utc) if cut.tzinfo is None else cut
    return round(cut.timestamp() * 1_000_000)


def temporal_split(ds: Dataset, test_size: float = 0.2, valid_size: float = 0.0,
                   cut: datetime | date | str | None = None) -> Split:
    """Global temporal split: everything from the cut on is test, the slice just before it validation.

    Without ``cut`` the test part starts at the timestamp leaving about
    ``test_size`` of the interactions after it. With ``cut`` (a datetime;
    naive values are read as UTC) the test part is every interaction at or
    after it and ``test_size`` is ignored. Rows sharing a timestamp always
    land in the same part; ``valid_size`` is a share of all interactions.
    """
    if cut is None:
        _check_sizes(test_size, valid_size)
    else:
        _check_fraction("valid_size", valid_size, zero_ok=True)
    ts = ds.interactions.get_column(C.TIMESTAMP).dt.epoch("us").to_numpy()
    n = len(ts)
    if n == 0:
        raise ValueError("temporal_split: the dataset has no interactions to split")
    ordered = np.sort(ts)
    if cut is None:
        test_from = int(ordered[n - max(1, round(n * test_size))])
    else:
        test_from = _as_utc_us(cut)
    before = int(np.searchsorted(ordered, test_from, side="left"))
    n_valid = min(round(n * valid_size), before)
    valid_from = int(ordered[before - n_valid]) if n_valid else test_from
    parts = np.where(ts >= test_from, TEST, np.where(ts >= valid_from, VALID, TRAIN)).astype(np.int8)
    if not (parts == TRAIN).any() or not (parts == TEST).any():
        empty = "train" if not (parts == TRAIN).any() else "test"
        raise ValueError(f"cut leaves the {empty} part empty (data spans {_iso(ordered[0])} to {_iso(ordered[-1])}); "
                         "choose a cut inside that range or another test_size")
    params = {"test_size": test_size if cut is None else None, "valid_size": valid_size,
              "cut": _iso(test_from), "valid_from": _iso(valid_from) if n_valid else None}
    return _build(ds, "temporal", params, parts, with_valid=valid_size > 0)


def _iso(us: int) -> str:
    return datetime.fromtimestamp(int(us) / 1_000_000, tz=timezone.utc).isoformat()


def leave_last_out(ds: Dataset, n: int = 1, valid: bool = False) -> Split:
    """Per user, the last ``n`` interactions are test (and, with ``valid``, the ``n`` before them validation).

    Order is by timestamp, ties broken by row order. A user with no more
    than ``n`` (``2 n`` with ``valid``) interactions stays wholly in
    training, so every held-out user also has training history.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer; got {n!r}")
    inter = ds.interactions
    user = _dense_codes(inter.get_column(C.USER_ID))
    ts = inter.get_column(C.TIMESTAMP).dt.epoch("us").to_numpy()
    order = np.lexsort((np.arange(inter.height), ts, user))
    counts = np.bincount(user)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    from_end = np.empty(inter.height, dtype=np.int64)
    from_end[order] = counts[user[order]] - 1 - (np.arange(inter.height) - first[user[order]])
    held = n * (2 if valid else 1)
    eligible = counts[user] > held
    parts = np.where(eligible & (from_end < n), TEST,
                     np.where(eligible & (from_end < held), VALID, TRAIN)).astype(np.int8)
    params = {"n": int(n), "valid": bool(valid), "users_held_out": int((counts > held).sum()),
              "users_kept_in_train": int(((counts > 0) & (counts <= held)).sum())}
    return _build(ds, "leave_last_out", params, parts, with_valid=valid)


def catalogue_split(ds: Dataset, test_size: float = 0.2, seed: int = 0, stratify_by_category: bool = True,
                    valid_size: float = 0.0) -> Split:
    """Split the items table (for category prediction); each part holds its subset of the catalogue.

    Stratified by ``category``: each category keeps its share in every part
    and at least one item in training. Interactions and judgments follow
    their item; rows whose item is not in the catalogue stay in training.
    """
    _check_sizes(test_size, valid_size)
    _check_seed(seed)
    items = ds.items
    if stratify_by_category and C.CATEGORY not in items.columns:
        raise ValueError(f"stratify_by_category: the items table has no {C.CATEGORY!r} column; "
                         "pass stratify_by_category=False")
    strata = (_dense_codes(items.get_column(C.CATEGORY)) if stratify_by_category
              else np.zeros(items.height, dtype=np.int64))
    item_parts = _assign(strata, test_size, valid_size, np.random.default_rng(int(seed)), keep_one=stratify_by_category)

    def follow(df: pl.DataFrame) -> np.ndarray:
        lookup = pl.DataFrame({C.ITEM_ID: items.get_column(C.ITEM_ID), "_part": pl.Series(item_parts, dtype=pl.Int8)})
        joined = df.select(C.ITEM_ID).join(lookup, on=C.ITEM_ID, how="left", maintain_order="left")
        return joined.get_column("_part").fill_null(TRAIN).to_numpy()

    params = {"test_size": test_size, "valid_size": valid_size, "seed": int(seed),
              "stratify_by_category": stratify_by_category, "items": int(items.height)}
    judgment_parts = follow(ds.judgments) if ds.judgments is not None else None
    return _build(ds, "catalogue", params, follow(ds.interactions), with_valid=valid_size > 0,
                  judgment_parts=judgment_parts, item_parts=item_parts)
