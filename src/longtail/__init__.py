"""longtail: find and fix data imbalance in e-commerce search and recommendation.

Importing the package is cheap: torch and transformers load only when a model,
a loss or an encoder is used.
"""

__version__ = "0.1.0"

from longtail.errors import InputError, LongtailError

__all__ = ["InputError", "LongtailError", "__version__"]
