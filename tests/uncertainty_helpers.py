"""Shared helper of the uncertainty tests: the test tree plus the uncertain use case."""

from __future__ import annotations

import shutil
from pathlib import Path

DATA = Path(__file__).parent / "data"


def uncertain_tree(root: Path) -> Path:
    """Copy tests/data/assumptions to ``root`` and add tests/data/uncertainty/uncertain.yaml."""
    target = root / "assumptions"
    shutil.copytree(DATA / "assumptions", target)
    shutil.copy(DATA / "uncertainty" / "uncertain.yaml", target / "use_cases" / "uncertain.yaml")
    return target
