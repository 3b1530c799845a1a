"""The one run-folder and stamp writer: how a run's outputs appear under ``outputs/``.

A run writes into ``outputs/runs/.incomplete-*``; only when every file is in place is the folder
renamed to ``outputs/runs/<label>`` (never over an earlier run) and, for a full run,
``outputs/latest`` pointed at it. A failed or interrupted run leaves nothing but what it
removed on the way out.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finops_model import __version__
from finops_model.util.io import dir_mode, write_atomic

__all__ = ["RunFolder", "run_folder", "point_latest", "stamp"]


def stamp(assumptions: Any, seed: Any, trials: int, method: str = "mc") -> dict[str, Any]:
    """The reproducibility stamp of a run: seed, trials, method, assumptions hash, scenarios,
    package version and the UTC time it was made."""
    return {
        "seed": seed,
        "trials": trials,
        "method": method,
        "assumptions_hash": assumptions.digest,
        "scenarios": list(assumptions.scenarios),
        "package_version": __version__,
        "created_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


@dataclass
class RunFolder:
    """A run being written: files go to ``tmp``; ``final`` is set once it is in place."""

    tmp: Path
    final: Path | None = None


@contextlib.contextmanager
def run_folder(out: Path, label: str, *, move_latest: bool = True) -> Iterator[RunFolder]:
    """Yield a temporary folder; on success rename it to ``out/runs/<label>`` and, with
    ``move_latest``, point ``out/latest`` at it. On failure the temporary folder is removed
    and nothing appears."""
    runs = out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    run = RunFolder(Path(tempfile.mkdtemp(prefix=".incomplete-", dir=runs)))
    os.chmod(run.tmp, dir_mode())
    try:
        yield run
    except BaseException:
        shutil.rmtree(run.tmp, ignore_errors=True)
        raise
    final = runs / label
    suffix = 1
    while final.exists():  # never overwrite an earlier run
        suffix += 1
        final = runs / f"{label}-{suffix}"
    os.rename(run.tmp, final)
    if move_latest:
        point_latest(out, final)
    run.final = final


def point_latest(out: Path, target: Path) -> None:
    """Point ``out/latest`` at ``target`` atomically (a relative symlink; a ``LATEST`` pointer
    file on file systems without symlinks)."""
    latest = out / "latest"
    rel = os.path.relpath(target, out)
    tmp_link = out / f".latest-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp_link.unlink()
    try:
        os.symlink(rel, tmp_link, target_is_directory=True)
        os.replace(tmp_link, latest)
    except OSError:
        with contextlib.suppress(FileNotFoundError):
            tmp_link.unlink()
        write_atomic(out / "LATEST", rel + "\n")
