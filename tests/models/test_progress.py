"""Every trainable model shows a progress bar while training when asked (``progress=True``), and none otherwise."""

from __future__ import annotations

import math

import numpy as np
import pytest
import rich.progress
from torch_samples import TINY_BERT, one_thread  # noqa: F401 (autouse fixture)


class RecordingProgress:
    """Stands in for rich's Progress: remembers each bar's description, total and advances."""

    bars: list["RecordingProgress"] = []

    def __init__(self, *columns, **options):
        self.description, self.total, self.advanced = None, None, 0
        RecordingProgress.bars.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def add_task(self, description, total=None, **fields):
        self.description, self.total = description, total
        return 0

    def advance(self, task, advance=1):
        self.advanced += advance


@pytest.fixture
def bars(monkeypatch):
    RecordingProgress.bars = []
    monkeypatch.setattr(rich.progress, "Progress", RecordingProgress)
    return RecordingProgress.bars


def _classes(seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], [40, 15, 5])
    texts = [f"{('shirt', 'phone', 'kettle')[c]} {rng.choice(['new', 'blue', 'pack'])}" for c in y]
    X = (rng.normal(size=(y.size, 8)) + y[:, None]).astype(np.float32)
    return texts, X, y


def _impressions(seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(1, 20, size=(300, 4)), (rng.random(300) < 0.3).astype(np.int64)


def _pairs(seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 30, 400), rng.integers(0, 25, 400)


def fit_tfidf(progress):
    from longtail.models.categorize import TfidfLogReg

    texts, _, y = _classes()
    TfidfLogReg().fit(texts, y, progress=progress)
    return 2


def fit_embedding(progress):
    from longtail.models.categorize import EmbeddingClassifier

    _, X, y = _classes()
    EmbeddingClassifier(hidden=8, epochs=3, batch_size=16).fit(X, y, progress=progress)
    return 3 * math.ceil(y.size / 16)


def fit_finetune(progress):
    from longtail.models.categorize import FineTunedClassifier

    texts, _, y = _classes()
    FineTunedClassifier(encoder_config=TINY_BERT, epochs=2, batch_size=32, max_length=8, device="cpu").fit(
        texts, y, progress=progress
    )
    return 2 * math.ceil(y.size / 32)


def fit_deepfm(progress):
    from longtail.models.ctr import DeepFM

    X, y = _impressions()
    DeepFM(epochs=2, batch_size=128, device="cpu").fit(X, y, progress=progress)
    return 2 * math.ceil(y.size / 128)


def fit_gbm(progress):
    from longtail.models.ctr import GBMClassifier

    X, y = _impressions()
    GBMClassifier(n_estimators=7, n_jobs=1).fit(X, y, progress=progress)
    return 7


def fit_bpr(progress):
    from longtail.models.recommend import BPRMF

    users, items = _pairs()
    BPRMF(epochs=2, batch_size=64, device="cpu").fit(users, items, 30, 25, progress=progress)
    return 2 * math.ceil(users.size / 64)


def fit_two_tower(progress):
    from longtail.models.recommend import TwoTower

    users, items = _pairs()
    TwoTower(epochs=3, batch_size=64, device="cpu").fit(users, items, 30, 25, progress=progress)
    return 3 * math.ceil(users.size / 64)


def fit_cross_encoder(progress):
    from longtail.models.relevance import CrossEncoder

    texts, _, y = _classes()
    CrossEncoder(encoder_config=TINY_BERT, epochs=1, batch_size=16, max_length=8, device="cpu").fit(
        texts, texts[::-1], y, progress=progress
    )
    return math.ceil(y.size / 16)


def fit_bi_encoder(progress):
    from longtail.models.relevance import BiEncoderClassifier

    _, X, y = _classes()
    BiEncoderClassifier(epochs=4, batch_size=32).fit(X, X[::-1], y, progress=progress)
    return 4 * math.ceil(y.size / 32)


def fit_ensemble(progress):
    from longtail.models.ctr import DeepFM
    from longtail.models.ensemble import SelfPacedEnsemble

    X, y = _impressions()
    SelfPacedEnsemble(lambda seed: DeepFM(epochs=1, seed=seed, device="cpu"), n_estimators=3).fit(X, y, progress=progress)
    return 3


FITS = [fit_tfidf, fit_embedding, fit_finetune, fit_deepfm, fit_gbm, fit_bpr, fit_two_tower, fit_cross_encoder,
        fit_bi_encoder, fit_ensemble]


@pytest.mark.parametrize("fit", FITS, ids=lambda fit: fit.__name__.removeprefix("fit_"))
def test_training_advances_one_bar_to_its_total(fit, bars):
    steps = fit(progress=True)
    assert len(bars) == 1, "one bar per fit (an ensemble's members train without their own)"
    bar = bars[0]
    assert bar.description and bar.total == steps and bar.advanced == steps


@pytest.mark.parametrize("fit", [fit_embedding, fit_two_tower, fit_gbm], ids=lambda fit: fit.__name__.removeprefix("fit_"))
def test_no_bar_unless_asked(fit, bars):
    fit(progress=False)
    assert bars == []
