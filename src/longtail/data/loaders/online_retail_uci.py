"""UCI Online Retail (Chen 2015): every line of a UK gift shop, 2010-12-01 .. 2011-12-09.

Mapped as described in :mod:`longtail.data.loaders.online_retail`. The local
copy has 10,318 lines without InvoiceNo/StockCode (returns and adjustments
after its first 19,999 rows); most get their StockCode back from their
Description. Reads the local ``transactions.parquet``, or the original
``Online Retail.xlsx`` (needs fastexcel) or a CSV export of it.
"""

from __future__ import annotations

from pathlib import Path

from longtail.data.dataset import Dataset
from longtail.data.loaders import online_retail
from longtail.data.loaders.base import DataFile, DatasetInfo, Download, dataset_folder, find_file, missing_files

INFO = DatasetInfo(
    name="online_retail_uci",
    description="UK online gift shop, 541,909 invoice lines 2010-11: 38 countries (UK 91 %), returns 2 %, item text",
    tasks=("recommend", "profile"),
    size="541,909 invoice lines",
    files=(
        DataFile("transactions.parquet", "3e4e2f766c01c6efd40ecffa859b9b27f836a3af6fdc100326d79a8345234412", 541_909),
    ),
    homepage="https://archive.ics.uci.edu/dataset/352/online+retail",
    licence="CC BY 4.0 (cite Chen, Sain & Guo 2012)",
    original_files=("Online Retail.xlsx", "Online Retail.csv", "OnlineRetail.csv", "online_retail.csv", "data.csv"),
    downloads=(
        Download(
            "https://archive.ics.uci.edu/static/public/352/online+retail.zip",
            "online_retail.zip",
            "f5385cbb54bbebf7196389109c6b0621faab0c304e3702548165e71c84aede8b",
            unzip=True,
        ),
    ),
)


def load(path: str | Path | None = None) -> Dataset:
    """The transactions as a Dataset (events: return < purchase)."""
    folder = dataset_folder(INFO, path)
    source = find_file(folder, INFO.files[0].name, *INFO.original_files)
    if source is None:
        raise missing_files(INFO, folder)
    return online_retail.to_dataset(online_retail.read_transactions(source), INFO, [source])
