"""The ``recommend`` task: top-10 items per user over the full catalogue, judged on accuracy and on the tail.

Split (:func:`hold_out_last_item`): per user, every interaction with the
item they met last is held out. Split option ``method: temporal`` holds out
the latest ``test_size`` (0.2) of all interactions instead (a global time
cut, :func:`~longtail.data.splits.temporal_split`); ``method:
leave-last-out`` is the default. ``ctx.params["positive_event"]`` ("all" by
default, "highest" or an event name) keeps only interactions at or above
that event, and the split is redone on them (the same time cut for the
temporal method). Training uses each distinct
(user, item) pair once, or as often as the strategy's interaction sampler
keeps or repeats it (``head-undersample``, ``tail-oversample``; the test part
is never resampled); each user's training items are excluded from their
list, and held-out items already in the user's training history do not
count as relevant (they could never be recommended). Users without training
history or without a countable held-out item are skipped and counted
(``n_skipped_users``).

Tail metrics read item popularity off the training pairs. ``tail_exposure``
is the share of all top-10 slots given to tail items (``aplt@10`` is the same
share averaged per user); the tail is every item outside the 20% most
popular, the split of PopREO / PopRSP (Zhu et al. 2021) and of the exposure
re-ranker. Per-group recall uses popularity buckets by interactions
(``head``, ``torso``, ``tail``: a third of the training interactions each)
plus ``cold`` (items with no training interaction). On the synthetic
marketplace ``true_ndcg@10`` / ``true_precision@10`` score the lists against
the true preference, the ideal being the truly best items outside the
user's training history.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import sparse

from longtail.data import columns as C
from longtail.data import Dataset
from longtail.data.splits import COLD_ITEM, COLD_USER, Split, temporal_split
from longtail.errors import LongtailError
from longtail.tasks.base import MetricRow, OptionError, TrialContext, check_choice, check_fraction

K = 10
MODEL_NAMES = ("two-tower", "bpr", "itemknn", "most-popular")
#: the TrialContext.params keys the task reads
PARAM_NAMES = ("positive_event",)
SPLIT_METHODS = ("leave-last-out", "temporal")
TEMPORAL_TEST_SIZE = 0.2
POPULARITY_GROUPS = ("head", "torso", "tail")
LORENZ_POINTS = 20
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Indexed:
    """A split turned into arrays: index maps, training pairs, and the test users' relevant items."""

    user_ids: np.ndarray  # user index -> user id
    item_ids: np.ndarray  # item index -> item id (catalogue first, then items seen only in interactions)
    n_catalogue: int
    train_users: np.ndarray
    train_items: np.ndarray
    test_users: np.ndarray  # indices of the evaluated users
    relevant: sparse.csr_matrix  # (test users, n_items) held-out items not seen in training
    history: sparse.csr_matrix  # (test users, n_items) training items, never recommended
    n_skipped_users: int

    @property
    def n_users(self) -> int:
        return self.user_ids.size

    @property
    def n_items(self) -> int:
        return self.item_ids.size

    @property
    def item_counts(self) -> np.ndarray:
        return np.bincount(self.train_items, minlength=self.n_items).astype(np.float64)


# ------------------------------------------------------------------ data
def hold_out_last_item(ds: Dataset) -> Split:
    """Per user, every interaction with the item they met last goes to test; the rest is training.

    Items are ordered by the user's first interaction with them (ties by row
    order), so the held-out item is the user's most recent new item and never
    appears in their training history (a plain last-interaction split would
    mostly hold out a click or purchase of an item already viewed). Users
    with fewer than two distinct items stay wholly in training.
    """
    inter = ds.interactions.with_row_index("_row")
    pairs = (
        inter.group_by(C.USER_ID, C.ITEM_ID)
        .agg(pl.col(C.TIMESTAMP).min().alias("_first"), pl.col("_row").min())
        .sort("_first", "_row")
        .with_columns(pl.len().over(C.USER_ID).alias("_n"), pl.int_range(pl.len()).over(C.USER_ID).alias("_rank"))
    )
    held = pairs.filter((pl.col("_n") >= 2) & (pl.col("_rank") == pl.col("_n") - 1)).select(C.USER_ID, C.ITEM_ID)
    is_test = inter.join(held.with_columns(pl.lit(True).alias("_test")), on=[C.USER_ID, C.ITEM_ID], how="left",
                         maintain_order="left").get_column("_test").fill_null(False)
    train, test = ds.interactions.filter(~is_test), ds.interactions.filter(is_test)
    n_users = pairs.get_column(C.USER_ID).n_unique()
    info = {"method": "hold_out_last_item", "users_held_out": held.height, "users_kept_in_train": n_users - held.height}
    test = test.with_columns(
        pl.lit(False).alias(COLD_USER), (~pl.col(C.ITEM_ID).is_in(train.get_column(C.ITEM_ID).unique().implode())).alias(COLD_ITEM)
    )
    return Split(
        train=ds.replace(interactions=train, meta={**ds.meta, "split": {**info, "part": "train", "interactions": train.height}}),
        test=ds.replace(interactions=test, meta={**ds.meta, "split": {**info, "part": "test", "interactions": test.height}}),
    )


def _split_again(ds: Dataset, like: Split) -> Split:
    """``ds`` split the way ``like`` was: the same time cut for a temporal split, else each user's last new item."""
    recorded = like.train.meta.get("split", {})
    if recorded.get("method") != "temporal":
        return hold_out_last_item(ds)
    try:
        return temporal_split(ds, cut=recorded["cut"])
    except ValueError as exc:
        raise LongtailError(f"dataset {ds.name}: the positive interactions do not fill both sides of the "
                            f"time cut ({exc}); choose a lower positive_event or another test_size") from None


def _positive_interactions(split: Split, positive_event: str | None) -> Split:
    """The split, redone on interactions at or above ``positive_event`` ("all" / None keeps every event)."""
    if positive_event in (None, "all"):
        return split
    ds = split.train
    event = ds.positive_event if positive_event == "highest" else positive_event
    if event not in ds.event_order:
        raise LongtailError(
            f"positive_event '{positive_event}' is not an event of dataset {ds.name}; "
            f"use all, highest or one of {', '.join(ds.event_order)}"
        )
    parts = [split.train.interactions] + [
        part.interactions.drop(COLD_USER, COLD_ITEM, strict=False) for part in (split.valid, split.test) if part is not None
    ]
    level = ds.event_order.index(event)
    positives = pl.concat(parts, how="vertical_relaxed").filter(ds.event_rank() >= level)
    if positives.height == 0:
        raise LongtailError(f"dataset {ds.name} has no '{event}' interactions; choose a lower positive_event")
    return _split_again(ds.replace(interactions=positives), split)


def _index_of(ids: np.ndarray, column: str, name: str) -> pl.DataFrame:
    return pl.DataFrame({column: pl.Series(ids), name: np.arange(len(ids), dtype=np.int64)})


def _pairs_matrix(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n_rows, n_cols))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def index_split(split: Split) -> Indexed:
    """Map the split's ids to indices and collect each test user's relevant and excluded items."""
    train = split.train.interactions.select(C.USER_ID, C.ITEM_ID).unique(maintain_order=True)
    test = split.test.interactions.select(C.USER_ID, C.ITEM_ID)
    catalogue = split.train.items.get_column(C.ITEM_ID)
    seen = pl.concat([train.get_column(C.ITEM_ID), test.get_column(C.ITEM_ID)]).unique().sort()
    extra = seen.filter(~seen.is_in(catalogue.implode()))
    item_ids = pl.concat([catalogue, extra]).to_numpy()
    user_ids = train.get_column(C.USER_ID).unique().sort().to_numpy()
    users, items = _index_of(user_ids, C.USER_ID, "_u"), _index_of(item_ids, C.ITEM_ID, "_i")
    train_ix = train.join(users, on=C.USER_ID).join(items, on=C.ITEM_ID, maintain_order="left")
    test_ix = test.join(users, on=C.USER_ID, how="left").join(items, on=C.ITEM_ID, maintain_order="left")
    train_u, train_i = train_ix.get_column("_u").to_numpy(), train_ix.get_column("_i").to_numpy()
    warm = test_ix.filter(pl.col("_u").is_not_null())
    history_all = _pairs_matrix(train_u, train_i, user_ids.size, item_ids.size)
    held = _pairs_matrix(warm.get_column("_u").to_numpy(), warm.get_column("_i").to_numpy(), user_ids.size, item_ids.size)
    relevant_all = held - held.multiply(history_all)
    relevant_all.eliminate_zeros()
    test_users = np.flatnonzero(np.diff(relevant_all.indptr) > 0)
    n_test_users = test.get_column(C.USER_ID).n_unique()
    return Indexed(
        user_ids=user_ids, item_ids=item_ids, n_catalogue=catalogue.len(), train_users=train_u, train_items=train_i,
        test_users=test_users, relevant=relevant_all[test_users], history=history_all[test_users],
        n_skipped_users=n_test_users - test_users.size,
    )


def _texts(ds: Any, ix: Indexed) -> list[str]:
    items = ds.items
    titles = items.get_column(C.TITLE).fill_null("")
    if C.DESCRIPTION in items.columns:
        # Short descriptions add the words titles leave out; the encoder truncates long ones.
        titles = titles + " " + items.get_column(C.DESCRIPTION).fill_null("").str.slice(0, 200)
    return titles.to_list() + [""] * (ix.n_items - ix.n_catalogue)


def item_text_vectors(texts: list[str], ctx: TrialContext, max_dim: int = 64) -> np.ndarray | None:
    """Item text embeddings from ``ctx.embed``; without it, TF-IDF reduced by truncated SVD (None if no text)."""
    if not any(t.strip() for t in texts):
        return None
    if ctx.embed is not None:
        vectors = np.asarray(ctx.embed(texts), dtype=np.float32)
        vectors[[not t.strip() for t in texts]] = 0.0
        return vectors
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    from longtail.encoders import TfidfEncoder

    tfidf = TfidfEncoder().fit(texts).transform(texts)
    width = min(max_dim, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
    if width < 1:
        return None
    reduced = TruncatedSVD(n_components=width, random_state=ctx.seed).fit_transform(tfidf)
    return normalize(reduced).astype(np.float32)


def _user_regions(ds: Any, ix: Indexed) -> np.ndarray | None:
    """Each user's region (users table, else their latest interaction's region), or None."""
    if ds.users is not None and C.REGION in ds.users.columns:
        table = ds.users.select(C.USER_ID, C.REGION)
    elif C.REGION in ds.interactions.columns:
        table = ds.interactions.sort(C.TIMESTAMP).group_by(C.USER_ID).agg(pl.col(C.REGION).last())
    else:
        return None
    frame = pl.DataFrame({C.USER_ID: pl.Series(ix.user_ids)}).join(table, on=C.USER_ID, how="left", maintain_order="left")
    return frame.get_column(C.REGION).cast(pl.String).fill_null(UNKNOWN).to_numpy().astype(str)


def _top_categories(ds: Any, ix: Indexed) -> np.ndarray | None:
    if C.CATEGORY not in ds.items.columns:
        return None
    top = ds.items.select(ds.top_category().fill_null(UNKNOWN)).to_series().to_numpy()
    return np.concatenate([top, np.full(ix.n_items - ix.n_catalogue, UNKNOWN, dtype=object)]).astype(str)


def _one_hot(labels: np.ndarray) -> np.ndarray:
    _, codes = np.unique(labels, return_inverse=True)
    return np.eye(codes.max() + 1, dtype=np.float32)[codes]


# ---------------------------------------------------------------- metrics
def exposure_lorenz(exposure: np.ndarray, points: int = LORENZ_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """The Lorenz curve of exposure: share of all exposure held by the least-exposed ``x`` share of items.

    Returns (x, L(x)) at x = 1/points, ..., 1, linearly interpolated between items.
    """
    counts = np.sort(np.asarray(exposure, dtype=np.float64))
    cumulative = np.concatenate([[0.0], np.cumsum(counts)]) / counts.sum()
    shares = np.arange(1, points + 1) / points
    return shares, np.interp(shares * counts.size, np.arange(counts.size + 1), cumulative)


def popularity_groups(item_counts: np.ndarray) -> np.ndarray:
    """``head`` / ``torso`` / ``tail`` (a third of the interactions each) and ``cold`` (no interaction) per item."""
    from longtail.metrics import popularity_buckets

    groups = np.asarray(POPULARITY_GROUPS)[popularity_buckets(item_counts, n_buckets=3)].astype("<U6")
    groups[item_counts == 0] = "cold"
    return groups


def _accuracy_rows(ranked: np.ndarray, ix: Indexed) -> list[MetricRow]:
    from longtail.metrics import ranking_report

    report = ranking_report(ranked, ix.relevant, k=K)
    return [MetricRow(f"{name}@{K}", float(report[name])) for name in ("ndcg", "recall", "precision", "hit_rate", "mrr", "map")]


def _tail_rows(ranked: np.ndarray, ix: Indexed) -> list[MetricRow]:
    from longtail import metrics as M

    pop = ix.item_counts
    exposure = M.exposure_counts(ranked, ix.n_items, k=K)
    tail = M.popularity_buckets(pop, head_share=0.2, by="items") == 1
    rows = [
        MetricRow(f"item_coverage@{K}", M.item_coverage(ranked, ix.n_items, k=K)),
        MetricRow(f"exposure_gini@{K}", M.gini(exposure)),
        MetricRow("exposure_entropy", M.exposure_entropy(ranked, ix.n_items, k=K, normalized=True)),
        MetricRow(f"arp@{K}", M.average_recommendation_popularity(ranked, pop, k=K)),
        MetricRow(f"aplt@{K}", M.aplt(ranked, tail, k=K)),
        MetricRow("tail_exposure", float(exposure[tail].sum() / exposure.sum())),
        MetricRow(f"pop_reo@{K}", M.pop_reo(ranked, ix.relevant, pop, k=K)),
        MetricRow(f"pop_rsp@{K}", M.pop_rsp(ranked, pop, k=K, exclude=ix.history)),
    ]
    shares, curve = exposure_lorenz(exposure)
    rows += [MetricRow("exposure_lorenz", float(v), "share_of_items", f"{x:.2f}") for x, v in zip(shares, curve)]
    return rows


def _group_rows(ranked: np.ndarray, ix: Indexed, ds: Any) -> list[MetricRow]:
    from longtail.metrics import by_group, ndcg_at_k, recall_at_k, recall_by_item_group

    rows = []
    item_dims = {"popularity": popularity_groups(ix.item_counts), "category_top": _top_categories(ds, ix)}
    for dim, groups in item_dims.items():
        if groups is not None:
            per_group = recall_by_item_group(ranked, ix.relevant, groups, k=K)
            rows += [MetricRow(f"recall@{K}", value, dim, str(group)) for group, value in per_group.items()]
    regions = _user_regions(ds, ix)
    if regions is not None:
        for metric, name in ((recall_at_k, "recall"), (ndcg_at_k, "ndcg")):
            per_region = by_group(metric, regions[ix.test_users], ranked, ix.relevant, k=K)
            rows += [MetricRow(f"{name}@{K}", value, "region", str(group)) for group, value in per_region.items()]
    return rows


def _truth_rows(ranked: np.ndarray, ix: Indexed, truth: Any) -> list[MetricRow]:
    """NDCG and precision against the simulator's true preference (training items excluded from the ideal)."""
    from longtail.metrics import true_ndcg_at_k, true_precision_at_k

    if truth is None or ix.n_items > ix.n_catalogue:
        return []
    user_ids = ix.user_ids[ix.test_users]
    gains = truth.score(user_ids[:, None], ix.item_ids[np.maximum(ranked, 0)])
    history = ix.history
    exclude = {int(u): ix.item_ids[history.indices[history.indptr[r]:history.indptr[r + 1]]] for r, u in enumerate(user_ids)}
    # In a small catalogue a user may have fewer than K unseen items: the ideal list is then shorter (zero gains after).
    depth = min(K, ix.n_items - int(np.diff(history.indptr).max()))
    if depth < 1:
        return []
    ideal = np.zeros((user_ids.size, K))
    ideal[:, :depth] = truth.score(user_ids[:, None], truth.top_k(user_ids, depth, exclude=exclude))
    return [
        MetricRow(f"true_ndcg@{K}", true_ndcg_at_k(ranked, gains, ideal, k=K)),
        MetricRow(f"true_precision@{K}", true_precision_at_k(ranked, gains, k=K)),
    ]


def evaluate(ranked: np.ndarray, ix: Indexed, ds: Any) -> list[MetricRow]:
    """Every metric of the task for the top-K lists of ``ix.test_users``."""
    counts = [MetricRow("n_test_users", float(ix.test_users.size)), MetricRow("n_skipped_users", float(ix.n_skipped_users))]
    return (
        _accuracy_rows(ranked, ix) + _truth_rows(ranked, ix, ds.truth) + _tail_rows(ranked, ix) + _group_rows(ranked, ix, ds)
        + counts
    )


# ------------------------------------------------------------------- task
def model_param_names(name: str) -> frozenset[str]:
    """The parameters the recommender ``name`` takes: its constructor's."""
    from longtail.models.recommend import MODELS

    if name not in MODELS:
        raise LongtailError(f"unknown model '{name}' for task recommend; choose one of {', '.join(MODEL_NAMES)}")
    return frozenset(inspect.signature(MODELS[name]).parameters)


def build_model(name: str, ctx: TrialContext, model_params: dict[str, Any] | None = None) -> Any:
    """The recommender ``name`` with ``model_params``, seeded and placed by ``ctx`` where it takes them."""
    from longtail.models.recommend import MODELS

    accepted = model_param_names(name)
    cls = MODELS[name]
    params = dict(model_params or {})
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise LongtailError(
            f"model '{name}' takes no parameter '{unknown[0]}'; it takes: {', '.join(sorted(accepted)) or 'none'}"
        )
    defaults = {"seed": ctx.seed, "device": ctx.device}
    params.update({key: value for key, value in defaults.items() if key in accepted and key not in params})
    return cls(**params)


def _save(model: Any, ix: Indexed, ctx: TrialContext) -> None:
    model.save(ctx.model_dir)
    ids = {"user_ids": ix.user_ids.tolist(), "item_ids": ix.item_ids.tolist()}
    (ctx.model_dir / "ids.json").write_text(json.dumps(ids))


def _resampled_pairs(ix: Indexed, strategy: Any, recommender: Any, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The training (user index, item index) pairs after the strategy's sampler (as they are without one).

    The sampler gets the distinct training pairs as an interactions table
    (``user_id``, ``item_id``) and must say which rows it kept or repeated
    (``sample_indices_``), as the interaction samplers of
    :mod:`longtail.sampling.interactions` do. It sees distinct pairs, not the
    raw log, because training uses each pair once: copies of a raw row would
    collapse into the pair they repeat.
    """
    from longtail.strategies import StrategyError

    if strategy.sampler is None:
        return ix.train_users, ix.train_items
    pairs = pl.DataFrame(
        {C.USER_ID: pl.Series(ix.user_ids[ix.train_users]), C.ITEM_ID: pl.Series(ix.item_ids[ix.train_items])}
    )
    sampler = strategy.make_sampler(random_state=seed)
    out = sampler.fit_resample(pairs)
    rows = getattr(sampler, "sample_indices_", None)
    if rows is None or not isinstance(out, pl.DataFrame) or out.height != len(rows):
        raise StrategyError(
            f"strategy '{strategy.name}': sampler {strategy.sampler.name} does not pick training pairs "
            "(a table in, the rows it kept or repeated as sample_indices_); recommenders take interaction samplers "
            "such as popularity-under or tail-over"
        )
    rows = np.asarray(rows, dtype=np.int64)
    if not recommender.counts_repeated_pairs and np.unique(rows).size < rows.size:
        raise StrategyError(
            f"strategy '{strategy.name}' repeats training pairs, which model '{recommender.model_name}' counts "
            "once (it changes nothing); use a sampler that drops pairs, such as head-undersample"
        )
    if rows.size == 0:
        raise LongtailError(f"strategy '{strategy.name}': its sampler left no training pair; loosen its parameters")
    return ix.train_users[rows], ix.train_items[rows]


class RecommendTask:
    """Top-K recommendation (see the module docstring)."""

    name = "recommend"
    kind = "retrieval"
    models = MODEL_NAMES
    headline = (f"ndcg@{K}", "tail_exposure")
    lower_is_better = frozenset({f"exposure_gini@{K}", f"arp@{K}"})
    param_names = PARAM_NAMES

    def model_param_names(self, model: str, params: dict[str, Any] | None = None) -> frozenset[str]:
        """The parameters ``model`` takes (see :func:`model_param_names`)."""
        return model_param_names(model)

    def supports(self, dataset: Any) -> bool:
        """Interactions with at least two users and two items."""
        inter = dataset.interactions
        return inter.height > 0 and inter.get_column(C.USER_ID).n_unique() >= 2 and inter.get_column(C.ITEM_ID).n_unique() >= 2

    def check_split(self, options: dict[str, Any]) -> None:
        """Raise :class:`~longtail.tasks.base.OptionError` for a split option with a bad value."""
        method = check_choice("method", options.get("method", SPLIT_METHODS[0]), SPLIT_METHODS)
        if options.get("test_size") is None:
            return
        if method != "temporal":
            # a share of the interactions means nothing when each user holds out exactly one item
            raise OptionError("test_size", f"the {method} split holds out one item per user and has no test share; "
                                           "add method: temporal (a time cut at test_size), "
                                           "or leave recommend out of this dataset")
        check_fraction("test_size", options["test_size"])

    def split(self, dataset: Any, seed: int, *, method: str = "leave-last-out", test_size: float | None = None) -> Split:
        """Each user's last new item held out (:func:`hold_out_last_item`), or with ``method="temporal"`` the
        latest ``test_size`` (0.2) of the interactions; deterministic, ``seed`` is unused."""
        self.check_split({"method": method, "test_size": test_size})
        if method == "temporal":
            return temporal_split(dataset, test_size=TEMPORAL_TEST_SIZE if test_size is None else test_size)
        return hold_out_last_item(dataset)

    def run(
        self,
        split: Split,
        model: str,
        strategy: Any,
        ctx: TrialContext,
        model_params: dict[str, Any] | None = None,
    ) -> list[MetricRow]:
        """Fit ``model`` with ``strategy`` on the training pairs and score every test user's top 10.

        A strategy's sampler resamples the training pairs only (see
        :func:`_resampled_pairs`); users, items, histories and held-out items
        stay those of the untouched split, so every strategy is judged on the
        same lists.
        """
        from longtail.strategies import StrategyError

        if not strategy.applies_to(self.kind):
            raise StrategyError(f"strategy {strategy.name} does not apply to task {self.name}")
        split = _positive_interactions(split, ctx.params.get("positive_event"))
        recommender = build_model(model, ctx, model_params)
        recommender.check_strategy(strategy)  # refuse before any indexing or text encoding is spent
        ix = index_split(split)
        if ix.test_users.size == 0:
            raise LongtailError(f"dataset {split.train.name}: no user has a held-out item to recommend; check the split")
        train_users, train_items = _resampled_pairs(ix, strategy, recommender, ctx.seed)
        fit_args: dict[str, Any] = {"strategy": strategy, "progress": ctx.progress}
        if getattr(recommender, "uses_text", False):
            fit_args["item_text_emb"] = item_text_vectors(_texts(split.train, ix), ctx)
            regions = _user_regions(split.train, ix)
            fit_args["user_features"] = None if regions is None else _one_hot(regions)
        recommender.fit(train_users, train_items, ix.n_users, ix.n_items, **fit_args)
        ranked = recommender.recommend(ix.test_users, K, exclude=ix.history)
        if ctx.model_dir is not None:
            _save(recommender, ix, ctx)
        return evaluate(ranked, ix, split.train)


TASK = RecommendTask()
