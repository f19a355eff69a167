"""Text checks, de-duplication and the length-bucketed batch plan."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longtail.encoders.batching import TokenizedTexts, as_text_list, dedupe, plan_batches


def test_as_text_list_names_the_bad_item():
    assert as_text_list(np.array(["a", "b"])) == ["a", "b"]
    with pytest.raises(ValueError, match=r"texts\[1\] is NoneType"):
        as_text_list(["ok", None])
    with pytest.raises(ValueError, match="not one string"):
        as_text_list("a single title")


def test_dedupe_keeps_first_seen_order_and_inverse():
    texts = ["b", "a", "b", "c", "a", ""]
    unique, inverse = dedupe(texts)
    assert unique == ["b", "a", "c", ""]
    assert [unique[i] for i in inverse] == texts


def test_tokenized_texts_pack_and_slice():
    lists = [[101, 7, 102], [], [101, 102], [5]]
    tokens = TokenizedTexts.from_lists(lists)
    assert tokens.lengths.tolist() == [3, 0, 2, 1]
    for i, ids in enumerate(lists):
        start = tokens.offsets[i]
        assert tokens.ids[start : start + tokens.lengths[i]].tolist() == ids


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 40), max_size=300),
    batch_size=st.integers(1, 64),
    min_rows=st.integers(1, 16),
)
def test_plan_covers_every_text_once_within_limits(lengths, batch_size, min_rows):
    lengths = np.array(lengths, dtype=np.int64)
    plan = plan_batches(lengths, batch_size, min_rows)
    assert sorted(plan.order.tolist()) == list(range(len(lengths)))
    ranked = lengths[plan.order]
    assert (np.diff(ranked) <= 0).all(), "longest first"
    position = 0
    for batch in plan.batches:
        assert batch.start == position and 0 < batch.stop - batch.start <= batch_size
        rows = ranked[batch.start : batch.stop]
        assert batch.width == rows.max()
        assert batch.uniform == (rows.min() == rows.max())
        position = batch.stop
    assert position == len(lengths)


def test_common_lengths_get_unpadded_batches_and_rare_ones_are_pooled():
    lengths = np.array([30] * 100 + [20] * 50 + [90, 80, 70] + [10] * 5)
    plan = plan_batches(lengths, batch_size=64, min_rows=8)
    widths = [(b.width, b.stop - b.start, b.uniform) for b in plan.batches]
    # three rare long texts share one padded batch; 100 texts of length 30 split evenly; 10s are rare too
    assert widths == [(90, 3, False), (30, 50, True), (30, 50, True), (20, 50, True), (10, 5, True)]


def test_plan_rejects_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        plan_batches(np.array([1, 2]), 0)
