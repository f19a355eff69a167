"""Saving and loading models as safetensors + config.json — never pickle.

``config.json`` names the model class; loading refuses any class that is not
registered with :func:`register_model`, so a model folder cannot make the
loader run arbitrary code.
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, TypeVar

import numpy as np

from longtail.errors import LongtailError

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
FORMAT_VERSION = 1

_ALLOWED: dict[str, type] = {}
# modules whose import registers the built-in models; loaded on demand by load_model
_BUILTIN_MODULES = (
    "longtail.models.categorize",
    "longtail.models.ctr",
    "longtail.models.recommend",
    "longtail.models.relevance",
    "longtail.models.ensemble",
)

T = TypeVar("T", bound=type)


def register_model(cls: T) -> T:
    """Class decorator: allow ``cls`` to be loaded from a model folder.

    The class must provide ``_export() -> (config: dict, tensors: dict[str, np.ndarray])``
    and ``classmethod _restore(config, tensors) -> instance``.
    """
    _ALLOWED[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return cls


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(model: Any, directory: str | os.PathLike) -> Path:
    """Write ``model`` to ``directory`` as model.safetensors + config.json."""
    from safetensors.numpy import save

    cls = type(model)
    name = f"{cls.__module__}.{cls.__qualname__}"
    if name not in _ALLOWED:
        raise LongtailError(f"{name} is not a registered model; decorate it with @register_model")
    config, tensors = model._export()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    _atomic_write_bytes(directory / WEIGHTS_FILE, save(arrays))
    payload = {"class": name, "format_version": FORMAT_VERSION, "config": config}
    _atomic_write_bytes(directory / CONFIG_FILE, json.dumps(payload, indent=2, sort_keys=True).encode())
    return directory


def load_model(directory: str | os.PathLike) -> Any:
    """Load a model saved by :func:`save_model`; refuses unregistered classes.

    A damaged folder (config that is not JSON, weights that are not
    safetensors, files that do not belong together) raises a
    :class:`LongtailError` naming the file and what to do.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    directory = Path(directory)
    config_path = directory / CONFIG_FILE
    weights_path = directory / WEIGHTS_FILE
    if not config_path.is_file() or not weights_path.is_file():
        raise LongtailError(
            f"{directory}: not a model folder (needs {CONFIG_FILE} and {WEIGHTS_FILE}); "
            "save one with model.save(dir)"
        )
    try:
        payload = json.loads(config_path.read_text(encoding="utf-8"))
        name = payload["class"]
        config = payload["config"]
        if not isinstance(name, str):
            raise TypeError(f"'class' is {type(name).__name__}, not a class name")
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise LongtailError(
            f"{config_path}: unreadable model config ({_reason(exc)}); the folder is damaged or not a longtail "
            "model: re-save the model (model.save(dir)) or copy the folder again"
        ) from exc
    if name not in _ALLOWED:
        module = name.rsplit(".", 1)[0]
        if module in _BUILTIN_MODULES:
            importlib.import_module(module)
    cls = _ALLOWED.get(name)
    if cls is None:
        raise LongtailError(f"{config_path}: model class '{name}' is not an allowed longtail model; refusing to load it")
    try:
        tensors = load_file(str(weights_path))
    except (SafetensorError, OSError) as exc:
        raise LongtailError(
            f"{weights_path}: unreadable weights ({_reason(exc)}); the file is truncated or not safetensors: "
            "re-save the model (model.save(dir)) or copy the folder again"
        ) from exc
    try:
        return cls._restore(config, tensors)
    except (KeyError, ValueError, RuntimeError) as exc:
        # a tensor or setting missing, or shapes that disagree: the two files do not belong together
        raise LongtailError(
            f"{directory}: {CONFIG_FILE} and {WEIGHTS_FILE} do not make a {cls.__name__} ({_reason(exc)}); "
            "the files come from different models or were edited: save the model again"
        ) from exc


def _reason(exc: BaseException) -> str:
    """The error in a few words on one line, for a message that must stay one line."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


Factory = Callable[..., Any]
