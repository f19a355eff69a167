"""Attribute shuffling for product titles.

Marketplace titles are often a head noun phrase followed by attribute chunks:
``"Running Shoe, Men's, Size 10 | Blue - Mesh"``. The order of the attributes
carries no meaning, so permuting them gives a new, equally valid title. The
head chunk stays first and the separators keep their slots.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

import numpy as np

from longtail.augment._checks import as_generator, check_fraction, python_seed

# commas and pipes split anywhere; dashes only with spaces around them, so "T-shirt" stays whole
DEFAULT_SEPARATORS = r"\s*[,|]\s*|\s+[-–—]\s+"


class AttributeShuffle:
    """Shuffle the attribute chunks of titles, keeping the head chunk first.

    ``p`` is the probability that a title is shuffled at all; titles with
    fewer than two attribute chunks come back unchanged.
    """

    def __init__(self, *, p: float = 1.0, separators: str = DEFAULT_SEPARATORS) -> None:
        self.p = check_fraction("p", p)
        try:
            self._split = re.compile(f"({separators})")
        except re.error as exc:
            raise ValueError(f"separators is not a valid regular expression ({exc}); pass a valid pattern") from exc

    def chunks(self, title: str) -> tuple[list[str], list[str], str]:
        """The title's chunks, the separators between them, and any trailing separator.

        Runs of separators with nothing between them count as one separator.
        """
        parts = self._split.split(title.strip())
        chunks, seps, pending = [parts[0]], [], ""
        for sep, chunk in zip(parts[1::2], parts[2::2]):
            pending += sep
            if chunk.strip():
                if chunks[0]:
                    seps.append(pending)
                    chunks.append(chunk)
                else:  # the title starts with a separator: it belongs to the head
                    chunks[0] = pending + chunk
                pending = ""
        return chunks, seps, pending

    def augment(self, titles: Sequence[str], rng: np.random.Generator | int) -> list[str]:
        """One version of each title with its attribute chunks in a random order."""
        r = random.Random(python_seed(as_generator(rng)))
        out = []
        for title in titles:
            chunks, seps, suffix = self.chunks(title)
            if len(chunks) < 3 or r.random() >= self.p:
                out.append(title)
                continue
            tail = chunks[1:]
            r.shuffle(tail)
            pieces = [chunks[0]]
            for sep, chunk in zip(seps, tail):
                pieces += [sep, chunk]
            out.append("".join(pieces) + suffix)
        return out
