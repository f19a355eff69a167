import numpy as np
import pytest
from scipy import sparse

from longtail import strategies
from longtail.errors import LongtailError
from longtail.models.persist import load_model
from longtail.models.recommend import MODELS, ItemKNN, MostPopular
from longtail.models.recommend.base import user_item_matrix
from longtail.models.recommend.itemknn import item_neighbours
from recommend_samples import history_lists, in_block_share, planted_blocks


def test_most_popular_ranks_by_count_and_excludes_history():
    users = np.array([0, 0, 1, 1, 2, 2, 2])
    items = np.array([0, 1, 1, 2, 1, 2, 3])
    model = MostPopular().fit(users, items, 4, 5)
    np.testing.assert_array_equal(model.scores([0])[0], [1, 3, 2, 1, 0])
    ranked = model.recommend([0, 3], k=3, exclude=[np.array([0, 1]), np.array([], dtype=np.int64)])
    assert ranked[0].tolist()[:2] == [2, 3] and ranked[0, 2] == 4
    assert ranked[1].tolist()[:2] == [1, 2] and set(ranked[1, 2:]) <= {0, 3}


def dense_neighbours(history, n_neighbors):
    """Float64 reference: cosine of item columns, each row's n best other items with similarity > 0."""
    x = history.toarray().astype(np.float64)
    norms = np.linalg.norm(x, axis=0)
    sim = (x.T @ x) / np.where(norms[:, None] * norms[None, :] > 0, norms[:, None] * norms[None, :], 1.0)
    np.fill_diagonal(sim, -np.inf)
    out = np.zeros_like(sim)
    for item, row in enumerate(sim):
        best = np.argsort(-row, kind="stable")[:n_neighbors]
        keep = best[row[best] > 0]
        out[item, keep] = row[keep]
    return out


@pytest.mark.parametrize("seed", range(3))
def test_item_neighbours_match_dense_cosine(seed):
    rng = np.random.default_rng(seed)
    # Continuous weights avoid ties at the neighbour cut-off, where either item would be right.
    history = sparse.random(25, 12, density=0.3, random_state=seed, format="csr", data_rvs=lambda n: rng.random(n) + 0.5)
    got = item_neighbours(history, 4).toarray()
    np.testing.assert_allclose(got, dense_neighbours(history, 4), rtol=1e-5, atol=1e-6)


def test_itemknn_scores_sum_neighbour_similarities():
    users, items, n_users, n_items, *_ = planted_blocks()
    # every item a neighbour: 0/1 data ties similarities, and the cut-off is tested above
    model = ItemKNN(n_neighbors=n_items).fit(users, items, n_users, n_items)
    history = user_item_matrix(users, items, n_users, n_items).toarray()
    expected = history @ dense_neighbours(sparse.csr_matrix(history), n_items)
    np.testing.assert_allclose(model.scores(np.arange(n_users)), expected, rtol=1e-5, atol=1e-6)


def test_itemknn_finds_the_users_block_better_than_most_popular():
    users, items, n_users, n_items, user_block, item_block = planted_blocks()
    everyone = np.arange(n_users)
    exclude = history_lists(users, items, n_users)
    shares = {}
    for cls in (ItemKNN, MostPopular):
        ranked = cls().fit(users, items, n_users, n_items).recommend(everyone, 5, exclude=exclude)
        shares[cls] = in_block_share(ranked, everyone, user_block, item_block)
    assert shares[ItemKNN] > 0.95
    assert shares[MostPopular] < 0.7


@pytest.mark.parametrize("cls", [MostPopular, ItemKNN])
def test_save_load_round_trip(cls, tmp_path):
    users, items, n_users, n_items, *_ = planted_blocks()
    model = cls().fit(users, items, n_users, n_items, strategy=strategies.get("rerank"))
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert type(loaded) is cls and loaded.reranker_ is not None
    exclude = history_lists(users, items, n_users)
    everyone = np.arange(n_users)
    np.testing.assert_array_equal(loaded.recommend(everyone, 5, exclude), model.recommend(everyone, 5, exclude))
    np.testing.assert_array_equal(loaded.scores(everyone), model.scores(everyone))
    assert cls.load(tmp_path / "m").n_items_ == n_items


def test_load_refuses_another_model_class(tmp_path):
    users, items, n_users, n_items, *_ = planted_blocks()
    MostPopular().fit(users, items, n_users, n_items).save(tmp_path / "m")
    with pytest.raises(LongtailError, match="not a ItemKNN"):
        ItemKNN.load(tmp_path / "m")


def test_rerank_strategy_moves_exposure_to_the_tail():
    users, items, n_users, n_items, *_ = planted_blocks(n_items=40)
    everyone = np.arange(n_users)
    exclude = history_lists(users, items, n_users)
    counts = np.bincount(items, minlength=n_items)
    tail = counts < np.quantile(counts, 0.8)
    # most-popular lists are all head; the users' histories are not, and xQuAD follows the history's mix
    plain = MostPopular().fit(users, items, n_users, n_items).recommend(everyone, 10, exclude)
    rerank = strategies.get("rerank", lam=0.9)
    reranked = MostPopular().fit(users, items, n_users, n_items, strategy=rerank).recommend(everyone, 10, exclude)
    assert tail[reranked[reranked >= 0]].mean() > tail[plain[plain >= 0]].mean() + 0.1
    # lists of another length are re-ranked too, never recommending history
    short = ItemKNN().fit(users, items, n_users, n_items, strategy=rerank).recommend(everyone, 3, exclude)
    assert short.shape == (n_users, 3)
    assert not any(set(row) & set(done) for row, done in zip(short.tolist(), exclude))


@pytest.mark.parametrize("name", ["itemknn", "most-popular"])
def test_models_without_a_loss_refuse_loss_strategies(name):
    users, items, n_users, n_items, *_ = planted_blocks()
    with pytest.raises(LongtailError, match="cannot use"):
        MODELS[name]().fit(users, items, n_users, n_items, strategy=strategies.get("logq"))


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.array([0, 1]), np.array([0, 5]), 2, 5), "item_idx holds index 5"),
        ((np.array([0, -1]), np.array([0, 1]), 2, 5), "user_idx holds index -1"),
        ((np.array([0, 1]), np.array([0]), 2, 5), "same length"),
        ((np.array([], dtype=np.int64), np.array([], dtype=np.int64), 2, 5), "empty"),
        ((np.array([0.5]), np.array([0]), 2, 5), "integer"),
        ((np.array([0]), np.array([0]), 0, 5), "n_users"),
    ],
)
def test_bad_training_input(args, match):
    with pytest.raises(ValueError, match=match):
        MostPopular().fit(*args)


def test_bad_calls():
    with pytest.raises(ValueError, match="not fitted"):
        MostPopular().recommend([0], 1)
    with pytest.raises(ValueError, match="n_neighbors"):
        ItemKNN(n_neighbors=0)
    model = MostPopular().fit(np.array([0, 1]), np.array([0, 1]), 2, 3)
    with pytest.raises(ValueError, match="lower k"):
        model.recommend([0], 4)
    with pytest.raises(ValueError, match="user_idx holds index 2"):
        model.scores([2])
