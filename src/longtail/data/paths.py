"""Where the real datasets live on this machine."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "LONGTAIL_DATA"

# src/longtail/data/paths.py -> parents[3] is the repository root; the shared
# datasets sit next to it, so this works from any working directory.
_REPO_ROOT = Path(__file__).resolve().parents[3]


def data_root() -> Path:
    """The folder holding one sub-folder per named dataset.

    ``$LONGTAIL_DATA`` when set; else ``../shared/datasets`` relative to the
    current directory when that exists; else the same folder relative to the
    repository root. The returned folder may not exist (nothing downloaded yet).
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    from_cwd = Path.cwd() / ".." / "shared" / "datasets"
    if from_cwd.is_dir():
        return from_cwd.resolve()
    return (_REPO_ROOT / ".." / "shared" / "datasets").resolve()
