"""Text checks, de-duplication and length-bucketed batches (numpy only).

Encoding cost grows with the padded batch area, so texts are tokenised once,
sorted by token length and cut into batches that each pad only to their own
longest text.
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
        """Pack per-text id lists into one flat array."""
        lengths = np.fromiter((len(ids) for ids in id_lists), dtype=np.int64, count=len(id_lists))
        offsets = np.zeros(len(lengths), dtype=np.int64)
        np.cumsum(lengths[:-1], out=offsets[1:])
        flat = np.fromiter(chain.from_iterable(id_lists), dtype=np.int64, count=int(lengths.sum()))
        return cls(flat, offsets, lengths)

    def padded(self, rows: np.ndarray, pad_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(input_ids, attention_mask), both int64 of shape (len(rows), longest of rows), right-padded."""
        lengths = self.lengths[rows]
        width = int(lengths.max()) if len(rows) else 0
        columns = np.arange(width)
        mask = columns[None, :] < lengths[:, None]
        gather = np.where(mask, self.offsets[rows][:, None] + columns[None, :], 0)
        ids = np.where(mask, self.ids[gather] if len(self.ids) else 0, pad_id)
        return ids.astype(np.int64, copy=False), mask.astype(np.int64)


def length_batches(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Row batches of at most ``batch_size`` rows, longest texts first, each holding texts of similar length.

    Texts are sorted by token length (longest first, so a batch that does not
    fit in memory fails at once, not at the end) and cut into consecutive
    runs, so each batch pads only to its own longest text.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = np.argsort(-np.asarray(lengths), kind="stable")
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
