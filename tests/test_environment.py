"""environment.yml (conda-forge) lists the same dependencies as pyproject.toml."""

from __future__ import annotations

import re
import tomllib

import yaml

from finops_model.util.paths import PROJECT_ROOT

# conda-forge names that differ from PyPI names
CONDA_NAMES = {"pyyaml": "pyyaml", "salib": "salib"}


def _norm(requirement: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert m, requirement
    name = m.group(1).lower().replace("_", "-")
    return CONDA_NAMES.get(name, name), m.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    data = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    reqs = list(data["project"]["dependencies"]) + list(data["project"]["optional-dependencies"]["test"])
    return dict(_norm(r) for r in reqs)


def _conda() -> dict[str, str]:
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and not dep.startswith(("python", "pip")):
            name, spec = _norm(dep)
            out[name] = spec
    return out


def test_environment_lists_same_dependencies_as_pyproject():
    assert _conda() == _pyproject()


def test_environment_python_version_matches_pyproject():
    data = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    pythons = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert pythons == ["python" + data["project"]["requires-python"]]
