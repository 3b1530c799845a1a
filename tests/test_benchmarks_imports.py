"""Benchmarks and tools name only modules and names that exist (their child scripts are strings,
so a moved module would only show when `make bench` runs)."""

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IMPORT = re.compile(r"^\s*from (finops_model[\w.]*) import ([\w, ]+)$", re.M)
FILES = sorted([*ROOT.glob("benchmarks/*.py"), *ROOT.glob("tools/*.py")])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_package_import_resolves(path):
    found = IMPORT.findall(path.read_text(encoding="utf-8"))
    for module, names in found:
        mod = importlib.import_module(module)
        for name in (n.strip() for n in names.split(",")):
            assert hasattr(mod, name) or importlib.util.find_spec(f"{module}.{name}"), f"{path.name}: {module}.{name}"


def test_the_pattern_sees_child_scripts():
    text = (ROOT / "benchmarks" / "bench_uncertainty.py").read_text()
    assert any(m == "finops_model.uncertainty.precision" for m, _ in IMPORT.findall(text))
