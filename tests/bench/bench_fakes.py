"""Small tasks for testing the runner without the real models.

Spec files name them by import path, e.g. ``name: bench_fakes:MULTI``. Each
call to ``split`` and ``run`` is appended to the file named by
``$LONGTAIL_FAKE_LOG`` (when set), so tests can count shared work and
re-runs across worker processes.
"""

from __future__ import annotations

import json
import os
import time
import warnings
import zlib

import numpy as np
import polars as pl

from longtail.data import columns as C
from longtail.data.splits import random_split
from longtail.strategies import StrategyError
from longtail.tasks import MetricRow

SMALL_SHOP = {"n_users": 60, "n_items": 80, "n_events": 800, "n_queries": 5}


def log(*parts) -> None:
    path = os.environ.get("LONGTAIL_FAKE_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(" ".join(str(part) for part in parts) + "\n")


def log_lines(path) -> list[list[str]]:
    with open(path, encoding="utf-8") as handle:
        return [line.split() for line in handle.read().splitlines()]


class FakeTask:
    """Scores "recommend the most popular training items" on the test events; strategies shift the score."""

    headline = ("hit_rate", "tail_hit_rate")
    lower_is_better = frozenset()

    def __init__(self, name: str, kind: str, needs_judgments: bool = False) -> None:
        self.name = name
        self.kind = kind
        self.models = ("popular", "slow", "boom", "picky")
        self.needs_judgments = needs_judgments

    def supports(self, dataset) -> bool:
        return not self.needs_judgments or (dataset.judgments is not None and dataset.judgments.height > 0)

    def embed_texts(self, dataset) -> list[str]:
        """Texts this task embeds: "title | brand" of the first five items."""
        items = dataset.items.head(5)
        return [f"{title} | {brand}" for title, brand in zip(items.get_column(C.TITLE), items.get_column(C.BRAND))]

    def split(self, dataset, seed, *, test_size=0.3):
        log("split", self.name, dataset.name, seed, os.getpid())
        return random_split(dataset, test_size=test_size, seed=seed)

    def run(self, split, model, strategy, ctx, model_params=None):
        params = model_params or {}
        log("run", self.name, model, strategy.name, ctx.seed, os.getpid())
        if model == "boom" or params.get("fail_on") == strategy.name:
            raise RuntimeError(f"{model} cannot fit with {strategy.name}")
        if model == "picky" and strategy.loss is not None:
            raise StrategyError(f"model picky cannot use the loss of strategy {strategy.name}")
        if params.get("warn"):
            warnings.warn(f"{model} saw few rows", UserWarning, stacklevel=1)
        if model == "slow":
            time.sleep(float(params.get("sleep", 0.5)))
        counts = split.train.interactions.group_by(C.ITEM_ID).len().sort(["len", C.ITEM_ID], descending=[True, False])
        top = counts.head(int(params.get("k", 10))).get_column(C.ITEM_ID)
        test = split.test.interactions.with_columns(pl.col(C.ITEM_ID).is_in(top.implode()).alias("hit"))
        head = test.get_column(C.ITEM_ID).is_in(counts.head(20).get_column(C.ITEM_ID).implode())
        shift = (zlib.crc32(strategy.name.encode()) % 100) / 1000.0
        noise = np.random.default_rng(ctx.seed).normal(0, 0.01)
        hit = test.get_column("hit").cast(pl.Float64)
        rows = [
            MetricRow("hit_rate", float(hit.mean()) + shift + noise),
            MetricRow("hit_rate", float(hit.filter(head).mean()), "popularity", "head"),
            MetricRow("hit_rate", float(hit.filter(~head).mean() or 0.0), "popularity", "tail"),
            MetricRow("tail_hit_rate", float(hit.filter(~head).mean() or 0.0) + shift),
        ]
        if ctx.embed is not None:
            vectors = ctx.embed(self.embed_texts(split.train))
            rows.append(MetricRow("embedding_norm", float(np.linalg.norm(vectors, axis=1).mean())))
        if ctx.params.get("extra_metric"):
            rows.append(MetricRow("extra", 1.0))
        if ctx.params.get("report_threads"):
            rows.append(MetricRow("omp_threads", float(os.environ["OMP_NUM_THREADS"])))
        if ctx.model_dir is not None:
            (ctx.model_dir / "config.json").write_text(json.dumps({"model": model, "strategy": strategy.name}))
        return rows


class DeclaringFakeTask(FakeTask):
    """A fake task that says which parameters it and its models read, so a spec is checked against them."""

    param_names = ("extra_metric", "report_threads")

    def model_param_names(self, model, params=None):
        return frozenset({"sleep", "k", "fail_on", "warn"})


MULTI = FakeTask("fake-multi", "multiclass")
DECLARING = DeclaringFakeTask("fake-declaring", "multiclass")
RETRIEVAL = FakeTask("fake-retrieval", "retrieval")
SEARCH = FakeTask("fake-search", "multiclass", needs_judgments=True)
