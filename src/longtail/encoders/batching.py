"""Text checks, de-duplication and length-bucketed batches (numpy only).

Encoding cost grows with the padded batch area, so texts are tokenised once,
sorted by token length and cut into batches that each pad only to their own
longest text, or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np


def as_text_list(texts: Iterable[str] | str, name: str = "texts") -> list[str]:
    """``texts`` as a list of str; a bare string or a non-string item is a ``ValueError`` naming its position."""
    if isinstance(texts, str):
        raise ValueError(f"{name} must be a sequence of strings, not one string; wrap it in a list")
    items = texts.tolist() if isinstance(texts, np.ndarray) else list(texts)
    for position, item in enumerate(items):
        if not isinstance(item, str):
            raise ValueError(
                f"{name}[{position}] is {type(item).__name__} ({item!r:.40}), not str; "
                "replace missing titles with '' before encoding"
            )
    return items


def dedupe(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Unique texts in first-seen order and, per input, its row in that list (``unique[inverse] == texts``)."""
    rows: dict[str, int] = {}
    inverse = np.fromiter((rows.setdefault(text, len(rows)) for text in texts), dtype=np.int64, count=len(texts))
    return list(rows), inverse


@dataclass(frozen=True)
class TokenizedTexts:
    """Token ids of many texts stored flat: text ``i`` is ``ids[offsets[i]:offsets[i] + lengths[i]]``."""

    ids: np.ndarray
    offsets: np.ndarray
    lengths: np.ndarray

    @classmethod
    def from_lists(cls, id_lists: Sequence[Sequence[int]]) -> "TokenizedTexts":
        """Pack per-text id lists into one flat int64 array."""
        lengths = np.fromiter((len(ids) for ids in id_lists), dtype=np.int64, count=len(id_lists))
        offsets = np.zeros(len(lengths), dtype=np.int64)
        np.cumsum(lengths[:-1], out=offsets[1:])
        flat = np.fromiter(chain.from_iterable(id_lists), dtype=np.int64, count=int(lengths.sum()))
        return cls(flat, offsets, lengths)


@dataclass(frozen=True)
class Batch:
    """Rows ``order[start:stop]`` of a plan, padded to ``width`` tokens; ``uniform`` when all have that length."""

    start: int
    stop: int
    width: int
    uniform: bool


@dataclass(frozen=True)
class BatchPlan:
    """Texts sorted longest first (``order``) and cut into consecutive batches."""

    order: np.ndarray
    batches: list[Batch]


def plan_batches(lengths: np.ndarray, batch_size: int, min_rows: int | None = None) -> BatchPlan:
    """Length-bucketed batches of at most ``batch_size`` texts.

    Texts are sorted by token length, longest first (a batch too big for
    memory fails at once, not at the end). Every length shared by at least
    ``min_rows`` texts (default ``batch_size // 8``) gets batches of its own,
    split evenly: they need no padding and no attention mask, which lets the
    attention run its fastest kernel and saves a device sync per batch. Runs
    of rarer lengths between them are cut into padded batches, so a long tail
    of odd lengths does not turn into many tiny batches.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    min_rows = max(1, batch_size // 8) if min_rows is None else max(1, min_rows)
    lengths = np.asarray(lengths, dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    ranked = lengths[order]
    starts = np.flatnonzero(np.diff(ranked, prepend=-1))
    ends = np.append(starts[1:], len(ranked))
    # (start, stop, rare) of each equal-length group; neighbouring rare groups are merged into one run
    spans: list[tuple[int, int, bool]] = []
    for start, end in zip(starts.tolist(), ends.tolist()):
        if end - start < min_rows and spans and spans[-1][2]:
            spans[-1] = (spans[-1][0], end, True)
        else:
            spans.append((start, end, end - start < min_rows))
    batches = []
    for start, end, _ in spans:
        pieces = -(-(end - start) // batch_size)
        cuts = np.linspace(start, end, pieces + 1).round().astype(int).tolist()
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            batches.append(Batch(lo, hi, int(ranked[lo]), bool(ranked[lo] == ranked[hi - 1])))
    return BatchPlan(order, batches)
