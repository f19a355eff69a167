"""Easy data augmentation (EDA) for short product texts (Wei & Zou, 2019).

Four operations on the whitespace tokens of a text of ``l`` words:

* synonym replacement: ``max(1, int(alpha_sr * l))`` non-stop words with a
  known neighbour are replaced by a random neighbour;
* random insertion: ``max(1, int(alpha_ri * l))`` times, a random neighbour of
  a random non-stop word is inserted at a random position;
* random swap: ``max(1, int(alpha_rs * l))`` times, two random words swap;
* random deletion: each word is dropped with probability ``p_rd`` (one word
  is always kept).

Each augmented text comes from one operation. Neighbours come from a
:class:`~longtail.augment.synonyms.SynonymTable` built offline. Case and
punctuation around a replaced word are kept.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

import numpy as np
from longtail.augment._checks import as_generator, check_count, check_fraction, python_seed
from longtail.augment.synonyms import SynonymTable

_CORE = re.compile(r"^(\W*)(.*?)(\W*)$", re.DOTALL)
OPERATIONS = ("synonym_replacement", "random_insertion", "random_swap", "random_deletion")


class EDA:
    """Easy data augmentation over a batch of texts.

    ``augment(texts, rng)`` gives one augmented version per text (aligned);
    ``expand(texts, rng)`` gives ``n_aug`` versions per text, as in the paper.
    An operation whose parameter is 0 is never used; a text the chosen
    operation cannot change (no word with a neighbour) comes back as it was.
    Stop words (default: scikit-learn's English list) are never replaced or
    used for insertion.
    """

    def __init__(
        self,
        synonyms: SynonymTable | Mapping[str, Sequence[str]] | None = None,
        *,
        alpha_sr: float = 0.1,
        alpha_ri: float = 0.1,
        alpha_rs: float = 0.1,
        p_rd: float = 0.1,
        n_aug: int = 4,
        stop_words: frozenset[str] | set[str] | None = None,
    ) -> None:
        self.alpha_sr = check_fraction("alpha_sr", alpha_sr)
        self.alpha_ri = check_fraction("alpha_ri", alpha_ri)
        self.alpha_rs = check_fraction("alpha_rs", alpha_rs)
        self.p_rd = check_fraction("p_rd", p_rd, allow_one=False)
        self.n_aug = check_count("n_aug", n_aug)
        if isinstance(synonyms, Mapping):
            synonyms = SynonymTable.from_dict(synonyms)
        needs_synonyms = self.alpha_sr > 0 or self.alpha_ri > 0
        if synonyms is None and needs_synonyms:
            raise ValueError(
                "synonyms is required when alpha_sr or alpha_ri > 0; "
                "pass a SynonymTable (e.g. SynonymTable.from_texts(titles)) or set both to 0"
            )
        self.synonyms = synonyms
        if stop_words is None:  # imported here: scikit-learn is slow to import
            from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as stop_words
        self.stop_words = frozenset(w.lower() for w in stop_words)
        rates = (self.alpha_sr, self.alpha_ri, self.alpha_rs, self.p_rd)
        self.operations = tuple(op for op, rate in zip(OPERATIONS, rates) if rate > 0)
        if not self.operations:
            raise ValueError("all of alpha_sr, alpha_ri, alpha_rs, p_rd are 0; set at least one above 0")
        self._variants: dict[str, tuple[str, ...]] = {}

    def augment(self, texts: Sequence[str], rng: np.random.Generator | int) -> list[str]:
        """One augmented version of each text, each from a randomly chosen operation."""
        r = random.Random(python_seed(as_generator(rng)))
        return [self._apply(r.choice(self.operations), text, r) for text in texts]

    def expand(self, texts: Sequence[str], rng: np.random.Generator | int) -> tuple[list[str], np.ndarray]:
        """``n_aug`` augmented versions of each text and the index of each one's source.

        The operations are spread evenly over the ``n_aug`` versions of a text
        (each used ``floor`` or ``ceil`` of ``n_aug / n_operations`` times), in
        random order.
        """
        r = random.Random(python_seed(as_generator(rng)))
        rounds = -(-self.n_aug // len(self.operations))
        out = []
        for text in texts:
            ops = [op for _ in range(rounds) for op in r.sample(self.operations, len(self.operations))]
            out.extend(self._apply(op, text, r) for op in ops[: self.n_aug])
        return out, np.repeat(np.arange(len(texts)), self.n_aug)

    def _apply(self, operation: str, text: str, r: random.Random) -> str:
        words = text.split()
        if not words:
            return text
        if operation == "synonym_replacement":
            words = self._replace(words, r)
        elif operation == "random_insertion":
            words = self._insert(words, r)
        elif operation == "random_swap":
            words = _swap(words, max(1, int(self.alpha_rs * len(words))), r)
        else:
            words = _delete(words, self.p_rd, r)
        return " ".join(words)

    def _replace(self, words: list[str], r: random.Random) -> list[str]:
        n = max(1, int(self.alpha_sr * len(words)))
        candidates = [i for i, w in enumerate(words) if self._synonyms_of(w)]
        for i in r.sample(candidates, min(n, len(candidates))):
            words[i] = r.choice(self._synonyms_of(words[i]))
        return words

    def _insert(self, words: list[str], r: random.Random) -> list[str]:
        n = max(1, int(self.alpha_ri * len(words)))
        candidates = [w for w in words if self._synonyms_of(w)]
        if not candidates:
            return words
        words = list(words)
        for _ in range(n):
            new = r.choice(self._synonyms_of(r.choice(candidates)))
            words.insert(r.randint(0, len(words)), new)
        return words

    def _synonyms_of(self, token: str) -> tuple[str, ...]:
        """Replacements for ``token``, with its case and surrounding punctuation."""
        found = self._variants.get(token)
        if found is None:
            lead, core, trail = _CORE.match(token).groups()
            if not core or core.lower() in self.stop_words or self.synonyms is None:
                found = ()
            else:
                found = tuple(lead + _match_case(core, s) + trail for s in self.synonyms.get(core))
            self._variants[token] = found
        return found


def _match_case(original: str, word: str) -> str:
    if len(original) > 1 and original.isupper():
        return word.upper()
    if original[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _swap(words: list[str], n: int, r: random.Random) -> list[str]:
    words = list(words)
    if len(words) < 2:
        return words
    for _ in range(n):
        i, j = r.randrange(len(words)), r.randrange(len(words) - 1)
        j += j >= i  # a distinct second position, so every swap changes the order
        words[i], words[j] = words[j], words[i]
    return words


def _delete(words: list[str], p: float, r: random.Random) -> list[str]:
    if len(words) == 1:
        return words
    kept = [w for w in words if r.random() > p]
    return kept or [r.choice(words)]
