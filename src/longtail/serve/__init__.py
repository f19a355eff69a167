"""The online service: recommendation, search ranking and categorisation over HTTP, watching imbalance live.

``create_app(model_dir, config)`` builds the FastAPI app for a MODEL_DIR
(written by :func:`longtail.serve.export.build_model_dir`); ``longtail
serve MODEL_DIR`` runs it with uvicorn and ``longtail monitor URL`` watches
it. The layout of MODEL_DIR and the API are in docs/serving.md.
"""

from longtail.serve.app import create_app
from longtail.serve.config import Manifest, ServeConfig, read_manifest

__all__ = ["Manifest", "ServeConfig", "create_app", "read_manifest"]
