"""Attribute shuffling keeps the head chunk first, the chunks' multiset and the separator slots."""

import re

import numpy as np
import pytest

from longtail.augment import AttributeShuffle

TITLE = "Running Shoe, Men's, Size 10 | Blue - Mesh Upper"


def test_chunks_split_on_commas_pipes_and_spaced_dashes():
    chunks, seps, suffix = AttributeShuffle().chunks("Cotton T-Shirt, Blue | XL - Pack of 2")
    assert chunks == ["Cotton T-Shirt", "Blue", "XL", "Pack of 2"]
    assert seps == [", ", " | ", " - "] and suffix == ""
    assert AttributeShuffle().chunks("a,,b |") == (["a", "b"], [",,"], " |")
    assert AttributeShuffle().chunks("| a, b") == (["| a", "b"], [", "], "")


def test_shuffle_keeps_head_chunks_and_separators():
    shuffler = AttributeShuffle()
    seen = set()
    for title in shuffler.augment([TITLE] * 200, 0):
        chunks, seps, _ = shuffler.chunks(title)
        assert chunks[0] == "Running Shoe"
        assert sorted(chunks[1:]) == sorted(["Men's", "Size 10", "Blue", "Mesh Upper"])
        assert seps == [", ", ", ", " | ", " - "]
        seen.add(title)
    assert len(seen) == 24  # all 4! orders of the attributes occur


def test_short_titles_and_probability_zero_are_unchanged():
    shuffler = AttributeShuffle()
    assert shuffler.augment(["Plain title", "Head, one attribute", ""], 1) == ["Plain title", "Head, one attribute", ""]
    assert AttributeShuffle(p=0.0).augment([TITLE] * 10, 1) == [TITLE] * 10


def test_probability_controls_share_shuffled():
    out = AttributeShuffle(p=0.5).augment([TITLE] * 2000, 2)
    changed = np.mean([t != TITLE for t in out])
    assert abs(changed - 0.5 * 23 / 24) < 0.04  # one of the 24 orders is the original


def test_trailing_separator_stays_at_the_end():
    out = AttributeShuffle().augment(["Mug, Blue, 300 ml, Gift,"] * 20, 4)
    assert all(t.startswith("Mug, ") and t.endswith(",") and not t.endswith(",,") for t in out)


def test_seeded_and_custom_separators():
    shuffler = AttributeShuffle(separators=r"\s*/\s*")
    assert shuffler.augment(["a / b / c / d"] * 5, 3) == shuffler.augment(["a / b / c / d"] * 5, 3)
    assert all(re.fullmatch(r"a( / [bcd]){3}", t) for t in shuffler.augment(["a / b / c / d"] * 5, 3))


def test_bad_parameters():
    with pytest.raises(ValueError, match="p must"):
        AttributeShuffle(p=2)
    with pytest.raises(ValueError, match="separators"):
        AttributeShuffle(separators="(")
