"""A TrialContext.params stand-in that notes every key a task looks up, to hold tasks to their param_names."""

from __future__ import annotations


class ReadKeys(dict):
    """A dict that records the keys read through it (get, [], in, pop)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)

    def pop(self, key, *default):
        self.read.add(key)
        return super().pop(key, *default)
