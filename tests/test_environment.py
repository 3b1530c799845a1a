"""environment.yml (conda-forge) lists the same dependencies as pyproject.toml."""

from __future__ import annotations

import re
import tomllib

import yaml

from finops_model.util.paths import PROJECT_ROOT

# conda-forge names that differ from PyPI names
CONDA_NAMES = {"pyyaml": "pyyaml", "salib": "salib", "types-pyyaml": "types-pyyaml"}


def _norm(requirement: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert m, requirement
    name = m.group(1).lower().replace("_", "-")
    return CONDA_NAMES.get(name, name), m.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    data = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"]["optional-dependencies"].values():
        reqs += [r for r in extra if not r.startswith("finops-model")]
    out = {}
    for r in reqs:
        name, spec = _norm(r)
        if name == "dask" and spec.startswith("[distributed]"):  # two packages on conda-forge
            out["dask"] = out["distributed"] = spec.removeprefix("[distributed]")
        else:
            out[name] = spec
    return out


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


def test_test_extra_installs_every_other_extra():
    data = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    extras = data["project"]["optional-dependencies"]
    self_ref = [r for r in extras["test"] if r.startswith("finops-model[")]
    assert self_ref and set(self_ref[0].split("[")[1].rstrip("]").split(",")) == set(extras) - {"test"}


def test_core_modules_import_without_the_optional_extras():
    """The model, its inputs and the CLI entry point import with only the core installed:
    the optional packages are blocked in a fresh interpreter."""
    import subprocess
    import sys

    code = (
        "import sys, importlib.abc\n"
        "BLOCK = {'altair', 'papermill', 'nbformat', 'nbconvert', 'ipywidgets', 'IPython', 'voila',"
        " 'vl_convert', 'dask', 'distributed', 'jupyterlab'}\n"
        "class B(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in BLOCK: raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, B())\n"
        "import finops_model.model.engine, finops_model.uncertainty.sensitivity, finops_model.decisions.levers\n"
        "import finops_model.governance.portfolio, finops_model.cli.main, finops_model.reports.exports\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
