"""FineTunedClassifier on a tiny randomly initialised BERT (CPU): training, determinism, strategies, save/load."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_categorize_samples import one_thread, problem  # noqa: F401 (autouse fixture)
from torch_samples import TINY_BERT

from longtail import strategies
from longtail.errors import LongtailError
from longtail.models.categorize import FineTunedClassifier

FAST = {"encoder_config": TINY_BERT, "epochs": 3, "lr": 3e-3, "head_lr": 3e-2, "batch_size": 16, "max_length": 16}


@pytest.fixture(scope="module")
def data():
    return problem(0)


@pytest.fixture(scope="module")
def baseline(data):
    texts, _, y, *_ = data
    return FineTunedClassifier(**FAST, seed=1).fit(texts, y)


def test_learns_beyond_the_majority_class(data, baseline):
    *_, test_texts, _, y_test = data
    assert np.mean(baseline.predict(test_texts) == y_test) > np.mean(y_test == "c0") + 0.2
    assert baseline.loss_history_[-1] < baseline.loss_history_[0]


def test_same_seed_same_predictions(data, baseline):
    texts, _, y, test_texts, _, _ = data
    again = FineTunedClassifier(**FAST, seed=1).fit(texts, y)
    assert np.array_equal(again.predict_proba(test_texts), baseline.predict_proba(test_texts))


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["logit-adjust", "random-under"])
def test_strategy_slots_change_training(data, baseline, strategy):
    texts, _, y, test_texts, _, _ = data
    remedied = FineTunedClassifier(**FAST, seed=1).fit(texts, y, strategy=strategies.get(strategy))
    assert not np.allclose(remedied.predict_proba(test_texts), baseline.predict_proba(test_texts), atol=1e-4)


def test_refuses_vector_remedies(data):
    texts, _, y, *_ = data
    with pytest.raises(LongtailError, match="random-over or random-under"):
        FineTunedClassifier(**FAST).fit(texts, y, strategy=strategies.get("smote"))


@pytest.mark.parametrize("strategy", ["ldam-drw+threshold", "baseline"])
def test_save_load_round_trip(data, tmp_path, strategy):
    texts, _, y, test_texts, _, _ = data
    chosen = (strategies.Strategy("ldam-drw+threshold", loss=strategies.get("ldam-drw").loss, adjust="threshold")
              if strategy != "baseline" else strategies.get(strategy))
    model = FineTunedClassifier(**{**FAST, "epochs": 1}).fit(texts, y, strategy=chosen)
    model.save(tmp_path)
    loaded = FineTunedClassifier.load(tmp_path)
    assert np.allclose(loaded.predict_proba(test_texts), model.predict_proba(test_texts), atol=1e-6)
    assert np.array_equal(loaded.predict(test_texts), model.predict(test_texts))


def test_warmup_then_linear_decay():
    from longtail.models.categorize.heads import warmup_linear_schedule

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    schedule = warmup_linear_schedule(optimizer, warmup_steps=2, total_steps=6)
    rates = []
    for _ in range(6):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    assert np.allclose(rates, [0.5, 1.0, 1.0, 0.75, 0.5, 0.25])


def test_bad_parameters():
    with pytest.raises(ValueError, match="not both"):
        FineTunedClassifier(model="x", encoder_config=TINY_BERT)
    with pytest.raises(ValueError, match="warmup_fraction"):
        FineTunedClassifier(warmup_fraction=1.0)
    with pytest.raises(ValueError, match="encoder_config"):
        FineTunedClassifier(encoder_config="bert")
    with pytest.raises(ValueError, match="CUDA"):
        if not torch.cuda.is_available():
            FineTunedClassifier(device="cuda")
        else:
            raise ValueError("CUDA present")
