"""Write a half-precision copy of an encoder that a GPU machine can carry.

The copy is a complete sentence-transformers folder (so both longtail and
sentence-transformers load it) whose ``model.safetensors`` holds float16
tensors, about half the size of the original, plus a checksum file that
:func:`longtail.encoders.weights.local_model` verifies before use.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from longtail.encoders.weights import CHECKSUM_FILE, resolve_model, sha256_file
from longtail.errors import LongtailError

# Everything but the weights is copied as is when present.
_COPIED = (
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
)


def export_fp16(dest: str | Path, model: str | Path | None = None, *, overwrite: bool = False) -> Path:
    """Write an fp16 copy of ``model`` (default: the packaged all-MiniLM-L6-v2) to the folder ``dest``.

    The folder gets ``model.safetensors`` in float16, the config and tokenizer
    files, a mean-pooling sentence-transformers layout, and ``longtail-model.json``
    with the sha256 of every file and of the source weights. Returns ``dest``.
    """
    import torch
    from safetensors.torch import load_file, save_file

    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()) and not overwrite:
        raise LongtailError(f"{dest} already exists and is not empty; choose another folder or pass overwrite=True")
    files = resolve_model(model)
    source = files.folder / "model.safetensors"
    if not source.is_file():
        raise LongtailError(f"{files.folder} has no model.safetensors; only safetensors weights can be exported")

    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=dest.parent))
    try:
        tensors = {
            name: tensor.to(torch.float16) if tensor.is_floating_point() else tensor
            for name, tensor in load_file(source).items()
        }
        save_file(tensors, staging / "model.safetensors", metadata={"format": "pt"})
        for name in _COPIED:
            if (files.folder / name).is_file():
                shutil.copy2(files.folder / name, staging / name)
        _write_sentence_transformers_layout(staging, files.max_seq_length)
        listing = {
            "format": 1,
            "dtype": "float16",
            "source_sha256": files.checksum,
            "files": {
                str(path.relative_to(staging)): sha256_file(path)
                for path in sorted(staging.rglob("*"))
                if path.is_file()
            },
        }
        (staging / CHECKSUM_FILE).write_text(json.dumps(listing, indent=2) + "\n")
        _default_permissions(staging)
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _default_permissions(folder: Path) -> None:
    """Temporary folders and files are private; the export is meant to be copied and shared."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _write_sentence_transformers_layout(folder: Path, max_seq_length: int | None) -> None:
    """Transformer at the root, mean pooling, normalisation: what the encoder computes."""
    config = json.loads((folder / "config.json").read_text())
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules, indent=2) + "\n")
    (folder / "1_Pooling").mkdir(exist_ok=True)
    pooling = {
        "word_embedding_dimension": config["hidden_size"],
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
    }
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling, indent=2) + "\n")
    if max_seq_length is not None and not (folder / "sentence_bert_config.json").is_file():
        (folder / "sentence_bert_config.json").write_text(
            json.dumps({"max_seq_length": max_seq_length, "do_lower_case": False}) + "\n"
        )
