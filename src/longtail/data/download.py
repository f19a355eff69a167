"""Download a file once, and only keep it when its SHA-256 is the expected one."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from longtail.errors import LongtailError

_CHUNK = 1 << 20


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url: str, dest: str | Path, sha256: str, *, progress: bool = True) -> Path:
    """Download ``url`` to ``dest`` and check it against ``sha256``.

    A ``dest`` already holding the right bytes is not downloaded again. The
    download goes to a temporary file beside ``dest`` and is moved into place
    only once the checksum matches; on a mismatch it is deleted and a
    :class:`LongtailError` says what was expected and what came.
    """
    dest = Path(dest)
    expected = sha256.lower()
    if dest.is_file() and sha256_of(dest) == expected:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            _copy_url(url, out, progress=progress)
        got = sha256_of(tmp)
        if got != expected:
            raise LongtailError(
                f"{url}: checksum mismatch (expected sha256 {expected}, got {got}); "
                "the file was deleted; retry, or check that the URL still serves the same release"
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _copy_url(url: str, out, *, progress: bool) -> None:
    try:
        response = urllib.request.urlopen(url, timeout=60)  # noqa: S310 - URLs come from the registry or the user
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise LongtailError(f"{url}: download failed ({reason}); check the network or the URL") from exc
    with response:
        total = int(response.headers.get("Content-Length") or 0) or None
        if not progress:
            shutil.copyfileobj(response, out, _CHUNK)
            return
        from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

        with Progress(*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(), transient=True) as bar:
            task = bar.add_task(f"downloading {Path(url).name}", total=total)
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                out.write(chunk)
                bar.advance(task, len(chunk))
