"""Every test starts with empty per-process trial caches.

A worker process keeps its last dataset and split so that a group's trials
share them; in the test process that memory would carry one test's split
into the next, and tests that count splits would depend on their order.
"""

from __future__ import annotations

import pytest

from longtail.bench import trials


@pytest.fixture(autouse=True)
def _fresh_trial_caches():
    for cache in (trials._LOADED, trials._SPLITS, trials._EMBEDDING_CACHES, trials._ENCODERS):
        cache.clear()
    yield
