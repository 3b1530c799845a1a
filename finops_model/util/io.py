"""The one atomic file writer of the package.

Every file the workbench writes goes through :func:`write_atomic`: the bytes go to a temporary
file in the target's folder, are flushed to disk, given the mode an ordinary ``open`` would give
under the current umask (0644 under the usual 022 — ``mkstemp`` alone makes 0600 files) and
renamed over the target in one step. A reader sees the old file or the new one, never half of
one; an interrupted write leaves no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from finops_model.errors import FinopsError

__all__ = ["current_umask", "file_mode", "dir_mode", "write_atomic"]


def current_umask() -> int:
    """The process umask, read without changing it for longer than one call."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Mode a new regular file gets from ``open`` under the current umask (e.g. 0o644)."""
    return 0o666 & ~current_umask()


def dir_mode() -> int:
    """Mode a new folder gets from ``mkdir`` under the current umask (e.g. 0o755)."""
    return 0o777 & ~current_umask()


def write_atomic(path: str | os.PathLike[str], data: str | bytes, *, overwrite: bool = True,
                 keep_mode: bool = True) -> Path:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` atomically and return the path.

    ``overwrite=False`` refuses an existing file (checked atomically with a hard link) with a
    :class:`FinopsError` naming it. With ``keep_mode`` an existing file keeps its permission
    bits; a new file gets :func:`file_mode`. Text is written as given (no newline translation).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    mode = file_mode()
    if keep_mode and target.exists():
        mode = target.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:200]}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise FinopsError(f"{target}: expected a new file, found an existing one; "
                                  "choose another name or allow overwriting") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return target
