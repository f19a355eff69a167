"""Fixtures for the profile tests."""

from __future__ import annotations

import pytest
from profile_builders import random_shop

from longtail.data import Dataset


@pytest.fixture
def shop() -> Dataset:
    """A skewed little shop (seeded)."""
    return random_shop()
