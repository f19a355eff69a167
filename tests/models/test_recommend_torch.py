import subprocess
import sys

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits
import torch.nn.functional as F

from longtail import strategies
from longtail.models.persist import load_model
from longtail.models.recommend import BPRMF, MostPopular, TwoTower
from longtail.models.recommend.bpr import negatives_for
from longtail.models.recommend.networks import IPS_ETA, ips_weights, weighted_mean
from longtail.strategies import StrategyError
from recommend_samples import history_lists, in_block_share, planted_blocks

SMALL = {"dim": 16, "epochs": 15, "batch_size": 64, "lr": 0.05}
SMALL_BPR = {"dim": 16, "epochs": 15, "batch_size": 64, "lr": 0.05, "reg": 0.0}


@pytest.fixture(autouse=True, scope="module")
def single_thread():
    # One thread each for torch and BLAS: tiny problems only lose time to thread hand-offs.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def blocks():
    return planted_blocks()


def text_of(item_block, seed=0):
    """Item 'text' that names the item's block, plus noise."""
    rng = np.random.default_rng(seed)
    return (np.eye(2)[item_block] * 2 + rng.normal(scale=0.1, size=(item_block.size, 2))).astype(np.float32)


def fit(cls, blocks, strategy="baseline", seed=0, **kw):
    users, items, n_users, n_items, *_ = blocks
    params = SMALL if cls is TwoTower else SMALL_BPR
    return cls(**{**params, "seed": seed}).fit(users, items, n_users, n_items, strategy=strategies.get(strategy), **kw)


@pytest.mark.parametrize("cls", [BPRMF, TwoTower])
def test_learns_the_users_block_better_than_most_popular(cls, blocks):
    users, items, n_users, n_items, user_block, item_block = blocks
    everyone = np.arange(n_users)
    exclude = history_lists(users, items, n_users)
    model = fit(cls, blocks, "logq")
    share = in_block_share(model.recommend(everyone, 5, exclude), everyone, user_block, item_block)
    popular = MostPopular().fit(users, items, n_users, n_items).recommend(everyone, 5, exclude)
    assert share > 0.9
    assert share > in_block_share(popular, everyone, user_block, item_block) + 0.2
    assert model.loss_history_[-1] < model.loss_history_[0]


@pytest.mark.parametrize("cls", [BPRMF, TwoTower])
def test_same_seed_same_model_other_seed_other_model(cls, blocks):
    everyone = np.arange(blocks[2])
    first = fit(cls, blocks, seed=3).scores(everyone)
    np.testing.assert_array_equal(fit(cls, blocks, seed=3).scores(everyone), first)
    assert not np.allclose(fit(cls, blocks, seed=4).scores(everyone), first)


@pytest.mark.parametrize("cls, strategy", [(BPRMF, "logq+rerank"), (TwoTower, "logq+rerank"), (TwoTower, "baseline")])
def test_save_load_round_trip(cls, strategy, blocks, tmp_path):
    users, items, n_users, *_ = blocks
    extra = {"item_text_emb": text_of(blocks[5])} if cls is TwoTower else {}
    model = fit(cls, blocks, strategy, **extra)
    model.save(tmp_path / "m")
    loaded = cls.load(tmp_path / "m", device="cpu")
    everyone = np.arange(n_users)
    exclude = history_lists(users, items, n_users)
    np.testing.assert_array_equal(loaded.scores(everyone), model.scores(everyone))
    np.testing.assert_array_equal(loaded.recommend(everyone, 10, exclude), model.recommend(everyone, 10, exclude))


@pytest.mark.slow
def test_load_in_a_fresh_process_by_class_name(blocks, tmp_path):
    fit(TwoTower, blocks).save(tmp_path / "m")
    code = f"from longtail.models.persist import load_model; print(type(load_model({str(tmp_path / 'm')!r})).__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "TwoTower"


def test_logq_raises_popular_items_over_plain_in_batch_softmax(blocks):
    """Plain in-batch softmax pushes popular items down (they are everyone's negative); logQ undoes it."""
    users, items, n_users, n_items, *_ = blocks
    counts = np.bincount(items, minlength=n_items)
    popular = counts >= np.quantile(counts, 0.8)
    everyone = np.arange(n_users)

    def popular_margin(model):
        scores = model.scores(everyone)
        return scores[:, popular].mean() - scores[:, ~popular].mean()

    assert popular_margin(fit(TwoTower, blocks, "logq")) > popular_margin(fit(TwoTower, blocks, "baseline")) + 0.1


def test_ips_changes_two_tower_training(blocks):
    everyone = np.arange(blocks[2])
    assert strategies.get("ips").applies_to("retrieval")
    assert not np.allclose(fit(TwoTower, blocks, "ips").scores(everyone), fit(TwoTower, blocks).scores(everyone))
    assert not np.allclose(fit(BPRMF, blocks, "ips").scores(everyone), fit(BPRMF, blocks).scores(everyone))


def test_ips_weights_reference():
    counts = np.array([100, 25, 1, 0, 4])
    weights = ips_weights(strategies.Strategy("x", loss={"name": "ips", "params": {"clip": 0.15}}), counts).numpy()
    expected = [1 / max((c / 100) ** IPS_ETA, 0.15) for c in counts]
    np.testing.assert_allclose(weights, expected, rtol=1e-6)
    assert ips_weights(strategies.get("logq"), counts) is None
    losses, w = torch.tensor([1.0, 3.0]), torch.tensor([1.0, 3.0])
    assert weighted_mean(losses, w).item() == pytest.approx(2.5)
    assert weighted_mean(losses, None).item() == pytest.approx(2.0)


def test_bpr_logq_draws_popular_negatives(blocks):
    assert negatives_for(strategies.get("baseline"), "uniform") == "uniform"
    assert negatives_for(strategies.get("logq"), "uniform") == "popularity"
    assert negatives_for(strategies.get("logq", logq_correction=False), "uniform") == "uniform"
    everyone = np.arange(blocks[2])
    logq, plain = fit(BPRMF, blocks, "logq"), fit(BPRMF, blocks)
    assert (logq.negatives_used_, plain.negatives_used_) == ("popularity", "uniform")
    assert not np.allclose(logq.scores(everyone), plain.scores(everyone))


def test_two_tower_unseen_items_are_their_projected_text(blocks):
    users, items, n_users, n_items, user_block, item_block = blocks
    keep = items != 1  # item 1 is never seen in training
    text = text_of(item_block)
    model = TwoTower(**SMALL).fit(users[keep], items[keep], n_users, n_items, item_text_emb=text)
    net = model.net_
    with torch.no_grad():
        expected = F.normalize(net.text_proj(torch.from_numpy(text[[1]])), dim=-1)
    np.testing.assert_allclose(model.item_vectors()[1], expected[0].numpy(), rtol=1e-5, atol=1e-6)
    # the text puts the unseen item among its block's users' recommendations
    block_users = np.flatnonzero(user_block == item_block[1])
    scores = model.scores(block_users)
    other_block = np.flatnonzero(item_block != item_block[1])
    assert (scores[:, 1] > scores[:, other_block].max(axis=1)).mean() > 0.8


def test_user_features_enter_the_user_tower(blocks):
    users, items, n_users, n_items, user_block, _ = blocks
    features = np.eye(2, dtype=np.float32)[user_block]
    everyone = np.arange(n_users)
    with_features = TwoTower(**SMALL).fit(users, items, n_users, n_items, user_features=features)
    assert not np.allclose(with_features.scores(everyone), TwoTower(**SMALL).fit(users, items, n_users, n_items).scores(everyone))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"item_text_emb": np.zeros((3, 4))}, "item_text_emb must have shape"),
        ({"item_text_emb": np.full((30, 4), np.nan)}, "NaN"),
        ({"user_features": np.zeros((60,))}, "user_features must have shape"),
    ],
)
def test_two_tower_bad_side_inputs(blocks, kwargs, match):
    users, items, n_users, n_items, *_ = blocks
    with pytest.raises(ValueError, match=match):
        TwoTower(**SMALL).fit(users, items, n_users, n_items, **kwargs)


@pytest.mark.parametrize(
    "cls, kwargs, match",
    [
        (TwoTower, {"temperature": 0}, "temperature"),
        (TwoTower, {"batch_size": 1}, "batch_size"),
        (BPRMF, {"negatives": "hard"}, "negatives"),
        (BPRMF, {"reg": -1}, "reg"),
        (TwoTower, {"device": "cuda:7"}, "CUDA is not available"),
    ],
)
def test_bad_parameters(cls, kwargs, match):
    if "device" in kwargs and torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_refuses_strategies_without_a_counterpart(blocks):
    users, items, n_users, n_items, *_ = blocks
    with pytest.raises(StrategyError, match="'random-over' does not apply to retrieval models such as 'two-tower'"):
        TwoTower(**SMALL).fit(users, items, n_users, n_items, strategy=strategies.get("random-over"))
    with pytest.raises(StrategyError, match="sampler slot"):
        MostPopular().fit(users, items, n_users, n_items, strategy=strategies.get("tail-oversample"))
    with pytest.raises(StrategyError, match="'focal' does not apply to retrieval models such as 'bpr'"):
        BPRMF(**SMALL_BPR).fit(users, items, n_users, n_items, strategy=strategies.get("focal"))


def test_bpr_refuses_a_retrieval_loss_it_has_no_counterpart_for(blocks, monkeypatch):
    from longtail.strategies import PieceSpec, register_piece
    from longtail.strategies.pieces import _PIECES

    monkeypatch.setitem(_PIECES, "loss", dict(_PIECES["loss"]))  # the piece disappears with the test
    register_piece(PieceSpec("loss", "plain-softmax", lambda params, ctx: None, frozenset({"retrieval"}), "softmax"))
    users, items, n_users, n_items, *_ = blocks
    with pytest.raises(StrategyError, match="no counterpart for the plain-softmax loss"):
        BPRMF(**SMALL_BPR).fit(users, items, n_users, n_items, strategy=strategies.Strategy("s", loss="plain-softmax"))


def test_loaded_model_is_a_registered_class(blocks, tmp_path):
    fit(BPRMF, blocks).save(tmp_path / "m")
    assert type(load_model(tmp_path / "m")) is BPRMF
