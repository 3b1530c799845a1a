"""The package's shape: no import cycles (lazy imports included), no private name used across
modules, and subpackages that import only the layers below them (the pipeline order of the
README's architecture section)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "finops_model"

#: Pipeline rank of each subpackage: a module may import modules of its own subpackage and of
#: lower ranks only. Top-level modules (``errors``, ``__init__``) are available to everyone.
RANK = {"util": 0, "inputs": 1, "costs": 2, "model": 3, "uncertainty": 4, "decisions": 5, "governance": 5,
        "actuals": 6, "reports": 7, "explore": 8, "cli": 9}


def _modules() -> dict[str, Path]:
    out = {}
    for p in PACKAGE.rglob("*.py"):
        parts = p.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, str | None, int]]:
    """(module imported, name taken from it or None, line) for every import in the file,
    at any depth (lazy imports inside functions count)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[tuple[str, str | None, int]] = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
                   for child in node.body for n in ast.walk(child)}
    for node in ast.walk(tree):
        if id(node) in typing_only:  # imports for type checkers only never run
            continue
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join([*base, mod] if mod else base)
            if mod.split(".")[0] == "finops_model":
                out += [(mod, a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "finops_model"]
    return out


def _graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        for mod, attr, _ in _imports(name, path):
            target = f"{mod}.{attr}" if attr and f"{mod}.{attr}" in MODULES else mod
            if target in MODULES and target != name:
                edges[name].add(target)
            # ``from pkg import sub`` runs ``pkg/__init__`` first: an edge to the package too
            if mod in MODULES and mod != name and MODULES[mod].name == "__init__.py":
                edges[name].add(mod)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(set(edges) | {w for ws in edges.values() for w in ws}):
        if v not in index:
            visit(v)
    return found


def _subpackage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()) else None


def test_walker_sees_the_package():
    assert {"finops_model.model.engine", "finops_model.inputs.schema", "finops_model.cli.main"} <= set(MODULES)
    assert "finops_model.inputs.schema" in _graph()["finops_model.model.engine"]


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_a_package_init_that_imports_its_own_module_is_a_cycle(monkeypatch, tmp_path):
    pkg = tmp_path / "finops_model" / "demo"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("from finops_model.demo.reader import read\n")
    (pkg / "reader.py").write_text("from finops_model.demo import helpers\n")
    (pkg / "helpers.py").write_text("")
    mods = {"finops_model.demo": pkg / "__init__.py", "finops_model.demo.reader": pkg / "reader.py",
            "finops_model.demo.helpers": pkg / "helpers.py"}
    monkeypatch.setitem(globals(), "MODULES", mods)
    assert _cycles(_graph()) == [["finops_model.demo", "finops_model.demo.reader"]]


def test_cycle_detector_finds_a_planted_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_private_name_imported_across_modules():
    bad = [f"{MODULES[name].relative_to(PACKAGE.parent)}:{line} imports {attr} from {mod}"
           for name, path in MODULES.items() for mod, attr, line in _imports(name, path)
           if attr and attr.startswith("_") and not attr.startswith("__")]
    assert bad == []


def test_no_private_attribute_of_another_package_module():
    bad = []
    for path in MODULES.values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("finops_model"):
                for a in node.names:
                    if f"{node.module}.{a.name}" in MODULES:
                        aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in MODULES and a.asname:
                        aliases[a.asname] = a.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert bad == []


@pytest.mark.parametrize("sub", sorted(RANK))
def test_subpackage_imports_only_lower_layers(sub):
    if not (PACKAGE / sub).is_dir():
        pytest.skip(f"no subpackage {sub}")
    upward = []
    for name, targets in _graph().items():
        if _subpackage(name) != sub:
            continue
        for t in targets:
            ts = _subpackage(t)
            if ts and ts != sub and RANK[ts] >= RANK[sub]:
                upward.append(f"{name} -> {t}")
    assert upward == []


def test_every_subpackage_has_a_rank_and_a_docstring():
    for d in sorted(p for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        assert d.name in RANK, f"{d.name}: add it to RANK and to the README's architecture section"
        assert ast.get_docstring(ast.parse((d / "__init__.py").read_text())), f"{d.name}/__init__.py needs a docstring"
