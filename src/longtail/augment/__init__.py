"""Augmenters: make new training rows for rare classes and tail items.

Every augmenter has ``augment(batch, rng) -> batch`` and returns one new row
per input row, aligned with the input, so the source of each new row is known.
``rng`` is a ``numpy.random.Generator`` or an integer seed: the same seed
gives the same output. :class:`TailAugmenter` applies any of them to the
minority labels only, up to a target count.
"""

from longtail.augment.context import RegionSwap, TimeJitter
from longtail.augment.features import EmbeddingSMOTE, GaussianNoise, Mixup
from longtail.augment.group import TailAugmentation, TailAugmenter
from longtail.augment.paraphrase import Paraphraser
from longtail.augment.sequences import CL4SRecAugment, SequenceCrop, SequenceMask, SequenceReorder
from longtail.augment.synonyms import SynonymTable
from longtail.augment.text import EDA
from longtail.augment.titles import AttributeShuffle

__all__ = [
    "EDA",
    "AttributeShuffle",
    "CL4SRecAugment",
    "EmbeddingSMOTE",
    "GaussianNoise",
    "Mixup",
    "Paraphraser",
    "RegionSwap",
    "SequenceCrop",
    "SequenceMask",
    "SequenceReorder",
    "SynonymTable",
    "TailAugmentation",
    "TailAugmenter",
    "TimeJitter",
]
