"""Loaders: your own CSV/Parquet files (:func:`load_tables`) and one module per named dataset."""

from longtail.data.loaders.generic import load_tables

__all__ = ["load_tables"]
