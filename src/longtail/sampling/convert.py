"""Accept numpy, pandas or polars input and give results back in the same kind.

pandas and polars are never imported here unless the caller passed one of
their objects (the sampling package must import with numpy alone); the kind
of an object is told from the module its class comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from longtail.errors import InputError

_FINITE_CHUNK = 1 << 20  # elements checked at a time: bounds the temporary mask


def _library(obj: Any) -> str:
    module = type(obj).__module__.split(".")[0]
    return module if module in ("pandas", "polars") else "numpy"


class SamplingInputError(InputError, ValueError):
    """Bad data given to a sampler.

    A ``ValueError``, as imbalanced-learn raises for bad input, and an
    :class:`~longtail.errors.InputError`, so the command line shows it as one
    line naming the column and row.
    """


@dataclass
class Frame:
    """What is needed to rebuild an output of the caller's kind."""

    library: str  # "numpy", "list", "pandas" or "polars"
    original: Any
    columns: list[str] | None = None
    name: str | None = None
    dtype: Any = None


def describe(obj: Any) -> Frame:
    """Remember the kind, column names and dtypes of ``X`` or ``y``."""
    if isinstance(obj, list):
        return Frame("list", obj)
    library = _library(obj)
    if library == "numpy":
        return Frame("numpy", obj)
    columns = [str(c) for c in obj.columns] if hasattr(obj, "columns") else None
    return Frame(library, obj, columns=columns, name=getattr(obj, "name", None), dtype=getattr(obj, "dtype", None))


def to_numpy_y(y: Any) -> np.ndarray:
    """``y`` as a 1-D numpy array (a single column is flattened)."""
    if _library(y) == "polars" and hasattr(y, "columns"):
        y = y.to_numpy()
    arr = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise SamplingInputError(f"y has shape {arr.shape}", column="y", fix="give one label per row (a 1-D array or a single column)")
    if arr.dtype.kind == "f":
        missing = np.isnan(arr)
    elif arr.dtype == object:
        missing = np.equal(arr, None)
    else:
        return arr
    if missing.any():
        raise SamplingInputError(
            f"{int(missing.sum())} missing label(s)", column="y", row=int(np.flatnonzero(missing)[0]), fix="drop or fill those rows"
        )
    return arr


def to_numpy_x(X: Any, *, numeric: bool) -> np.ndarray:
    """``X`` as a 2-D numpy array; ``numeric`` demands numbers (for distance-based samplers)."""
    if _library(X) in ("pandas", "polars"):
        if numeric:
            bad = [str(c) for c, t in zip(X.columns, X.dtypes) if not _is_numeric_dtype(t)]
            if bad:
                raise SamplingInputError(
                    f"non-numeric column(s) {bad} in X",
                    column=bad[0],
                    fix="encode them as numbers, or use a random sampler, which accepts any column type",
                )
        arr = X.to_numpy()
    else:
        arr = np.asarray(X)
    if arr.ndim != 2:
        raise SamplingInputError(f"X has shape {arr.shape}", column="X", fix="give a 2-D array (rows x features)")
    if numeric and arr.dtype.kind not in "fiub":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise SamplingInputError(
                f"X has non-numeric values ({arr.dtype})", column="X", fix="encode them as numbers for this sampler"
            ) from exc
    return arr


def _is_numeric_dtype(dtype: Any) -> bool:
    if hasattr(dtype, "is_numeric"):  # polars
        return bool(dtype.is_numeric()) or str(dtype) == "Boolean"
    return getattr(dtype, "kind", "O") in "fiub"  # numpy and pandas dtypes both have a kind


def check_finite(X: np.ndarray, columns: list[str] | None = None) -> None:
    """Raise :class:`SamplingInputError` naming the first row and column with NaN or infinity."""
    if X.dtype.kind not in "fc":
        return
    flat_rows = max(1, _FINITE_CHUNK // max(1, X.shape[1]))
    for start in range(0, X.shape[0], flat_rows):
        finite = np.isfinite(X[start : start + flat_rows])
        if not finite.all():
            row, col = divmod(int(np.flatnonzero(~finite)[0]), X.shape[1])
            raise SamplingInputError(
                "NaN or infinite value in X",
                column=columns[col] if columns else f"X[:, {col}]",
                row=start + row,
                fix="impute or drop those rows before resampling (e.g. sklearn.impute.SimpleImputer)",
            )


def check_lengths(X: np.ndarray, y: np.ndarray) -> None:
    """Raise :class:`SamplingInputError` when X and y disagree on the number of rows."""
    if X.shape[0] != y.shape[0]:
        raise SamplingInputError(f"X has {X.shape[0]} rows but y has {y.shape[0]}", column="y", fix="give one label per row of X")


def take_rows(converted: np.ndarray, frame: Frame, indices: np.ndarray) -> Any:
    """Rows ``indices`` in the caller's kind; frames are indexed themselves so every dtype survives."""
    if frame.library == "pandas":
        return frame.original.iloc[indices].reset_index(drop=True)
    if frame.library == "polars":
        return frame.original[indices]
    if frame.library == "list":
        return converted[indices].tolist()
    return converted[indices]


def rebuild_x(X_res: np.ndarray, frame: Frame) -> Any:
    """A numpy result as the caller's kind of table.

    Float columns keep their dtype; integer columns of a frame become floats
    because synthetic rows lie between samples (truncating them would move the
    points off their segments).
    """
    if frame.library == "list":
        return X_res.tolist()
    if frame.library == "pandas":
        import pandas as pd

        out = pd.DataFrame(X_res, columns=frame.original.columns)
        floats = {c: t for c, t in frame.original.dtypes.items() if getattr(t, "kind", "O") == "f"}
        return out.astype(floats) if floats else out
    if frame.library == "polars":
        import polars as pl

        out = pl.from_numpy(X_res, schema=frame.columns, orient="row")
        return out.with_columns(pl.col(c).cast(t) for c, t in frame.original.schema.items() if t.is_float())
    return X_res


def rebuild_y(y_res: np.ndarray, frame: Frame) -> Any:
    """A numpy label array as the caller's kind (Series keeps name and dtype)."""
    if frame.library == "list":
        return y_res.tolist()
    if frame.library == "pandas":
        import pandas as pd

        if hasattr(frame.original, "columns"):
            return pd.DataFrame(y_res.reshape(-1, 1), columns=frame.original.columns).astype(frame.original.dtypes)
        return pd.Series(y_res, name=frame.name, dtype=frame.dtype)
    if frame.library == "polars":
        import polars as pl

        if hasattr(frame.original, "columns"):
            return pl.DataFrame({frame.columns[0]: y_res}).cast(frame.original.schema)
        return pl.Series(frame.name, y_res, dtype=frame.dtype)
    return y_res
