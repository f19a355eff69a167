"""Layer 0 data: schema, Dataset, loaders, simulator, splits."""

from longtail.data import columns
from longtail.data.dataset import Dataset, Truth

__all__ = ["Dataset", "Truth", "columns", "load_dataset"]


def load_dataset(name: str, **kwargs):
    """Load a dataset by name ('synthetic' or a named public dataset)."""
    from longtail.data.registry import load

    return load(name, **kwargs)
