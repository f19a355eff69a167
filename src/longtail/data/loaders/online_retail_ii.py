"""UCI Online Retail II (Chen 2019): the same UK gift shop, 2009-12-01 .. 2011-12-09.

Mapped as described in :mod:`longtail.data.loaders.online_retail`. The local
copy is the sheet "Year 2009-2010" (525,461 lines); the original workbook
``online_retail_II.xlsx`` (needs fastexcel) or its CSV export holds both
years, and both are read. The last days of 2010 overlap ``online_retail_uci``.
"""

from __future__ import annotations

from pathlib import Path

from longtail.data.dataset import Dataset
from longtail.data.loaders import online_retail
from longtail.data.loaders.base import DataFile, DatasetInfo, dataset_folder, find_file, missing_files

INFO = DatasetInfo(
    name="online_retail_ii",
    description="The same UK shop a year earlier, 525,461 lines 2009-10: UK 92.5 %, cancellations 1.9 %",
    tasks=("recommend", "profile"),
    size="525,461 invoice lines",
    files=(
        DataFile(
            "transactions_2009_2010.parquet",
            "40a5b1e6e6ad7621ebc21e68f9a1c15465879a0618e6ceb6257d8f7334842cce",
            525_461,
        ),
    ),
    homepage="https://archive.ics.uci.edu/dataset/502/online+retail+ii",
    licence="CC BY 4.0 (cite Chen 2019)",
    original_files=("online_retail_II.xlsx", "online_retail_II.csv", "online_retail_ii.csv"),
)


def load(path: str | Path | None = None) -> Dataset:
    """The transactions as a Dataset (events: return < purchase)."""
    folder = dataset_folder(INFO, path)
    source = find_file(folder, INFO.files[0].name, *INFO.original_files)
    if source is None:
        raise missing_files(INFO, folder)
    return online_retail.to_dataset(online_retail.read_transactions(source), INFO, [source])
