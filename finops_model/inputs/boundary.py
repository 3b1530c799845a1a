"""``finops validate``: files and folders checked exactly as the commands will read them.

Whatever is given — an assumptions folder, one of its sub-folders, or one file — is validated
through the loaders the commands use (:func:`~finops_model.inputs.assumptions.load_assumptions`,
which resolves every cross-file reference with :mod:`finops_model.inputs.crossref`;
:func:`~finops_model.inputs.catalog.load_catalog`; :func:`~finops_model.inputs.hardware.load_hardware`),
in the context of the assumptions folder the file lives in, with every scenario overlay of that
folder applied in turn. So *validate ok* means that no later command exits 2 on that file.

Files read by higher layers (the lever plans of ``levers.yaml``, read by
:mod:`finops_model.decisions.levers`) are checked by a function those layers pass in
(``checks``), so that validation runs their own code path too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from finops_model.errors import AssumptionError, Problem
from finops_model.inputs.assumptions import (
    Assumptions,
    load_assumptions,
    read_mapping,
    validate_model,
)
from finops_model.inputs.catalog import load_catalog
from finops_model.inputs.hardware import load_hardware
from finops_model.inputs.schema import Fx, Org
from finops_model.util.paths import ASSUMPTIONS_DIR

__all__ = ["FileCheck", "is_assumptions_root", "validate_paths"]

#: A check of a file read by a higher layer: ``(file, assumptions of its folder) → ok line``;
#: raises :class:`~finops_model.errors.AssumptionError`.
FileCheck = Callable[[Path, Assumptions], str]

_SUBFOLDERS = ("use_cases", "scenarios", "catalog")
_HARDWARE = ("gpus.yaml", "serving.yaml")


def is_assumptions_root(folder: Path) -> bool:
    """A folder with ``org.yaml`` or a ``use_cases/`` folder is an assumptions root."""
    return (folder / "org.yaml").is_file() or (folder / "use_cases").is_dir()


def _root_of(path: Path) -> Path:
    p = path.resolve().parent
    return p.parent if p.name in _SUBFOLDERS else p


def _scenario_names(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "scenarios").glob("*.yaml"))


def _under_every_scenario(root: Path, use_cases: list[str] | None, catalog: object) -> None:
    """Load ``use_cases`` (default: all) under each scenario of ``root`` (the commands' ``--scenario``)."""
    for name in _scenario_names(root):
        load_assumptions(root, [name], use_cases=use_cases, catalog=catalog)


def _validate_root(root: Path, checks: Mapping[str, FileCheck]) -> list[str]:
    ok: list[str] = []
    a = load_assumptions(root)
    for name in _scenario_names(root):
        load_assumptions(root, [name], catalog=a.catalog)
        ok.append(f"{root / 'scenarios' / (name + '.yaml')}: ok (scenario applies to {len(a.use_cases)} use cases)")
    ok.append(f"{root / 'org.yaml'}: ok")
    if (root / "fx.yaml").exists():
        ok.append(f"{root / 'fx.yaml'}: ok ({len(a.fx.rates)} rates)")
    ok.append(f"{root / 'catalog' / 'models.yaml'}: ok ({len(a.catalog.model_ids)} models)")
    if any((root / "catalog" / f).exists() for f in _HARDWARE):
        hw = load_hardware(root / "catalog")
        ok.append(f"{root / 'catalog' / 'gpus.yaml'}: ok ({len(hw.gpus.gpus)} GPUs)")
        ok.append(f"{root / 'catalog' / 'serving.yaml'}: ok ({len(hw.serving.points)} serving points)")
    ok.extend(f"{a.files[k]}: ok (use case {k})" for k in a.use_cases)
    for file_name, check in checks.items():
        if (root / file_name).exists():
            ok.append(check(root / file_name, a))
    return ok


def _validate_file(target: Path, checks: Mapping[str, FileCheck]) -> str:
    root = _root_of(target)
    kind = target.resolve().parent.name
    if kind == "catalog" and target.name in _HARDWARE:
        hw = load_hardware(target.parent)
        load_assumptions(root)  # every self-hosting use case against these catalogs
        what = f"{len(hw.gpus.gpus)} GPUs" if target.name == "gpus.yaml" else f"{len(hw.serving.points)} serving points"
        return f"{target}: ok ({what})"
    if kind == "catalog" or target.name == "models.yaml":
        cat = load_catalog(target)
        if kind == "catalog" and is_assumptions_root(root):
            a = load_assumptions(root, catalog=cat)  # every use case's models on its price date
            _under_every_scenario(root, None, a.catalog)
        return f"{target}: ok ({len(cat.model_ids)} models)"
    if kind == "scenarios":
        load_assumptions(root, [target.stem])
        return f"{target}: ok"
    if kind == "use_cases":
        raw = read_mapping(target)
        uc_id = raw.get("id", target.stem)
        a = load_assumptions(root, use_cases=[uc_id])
        _under_every_scenario(root, [uc_id], a.catalog)
        for file_name, check in checks.items():
            if (root / file_name).exists():
                check(root / file_name, a)
        return f"{target}: ok"
    if target.name in ("org.yaml", "fx.yaml"):
        validate_model(Org if target.name == "org.yaml" else Fx, read_mapping(target), str(target))
        if is_assumptions_root(root):
            load_assumptions(root)  # every use case inherits org.yaml and converts with fx.yaml
        return f"{target}: ok"
    if target.name in checks:
        return checks[target.name](target, load_assumptions(root))
    known = ", ".join(["org.yaml", "fx.yaml", "catalog/*.yaml", "use_cases/*.yaml", "scenarios/*.yaml", *checks])
    raise AssumptionError.single(str(target), "", f"expected one of {known}, found another file")


def _validate_folder(target: Path, checks: Mapping[str, FileCheck]) -> list[str]:
    if is_assumptions_root(target):
        return _validate_root(target, checks)
    if target.resolve().name in _SUBFOLDERS:
        files = sorted(target.glob("*.yaml"))
        if not files:
            raise AssumptionError.single(str(target), "", "expected YAML files in this folder, found none")
        return [_validate_file(f, checks) for f in files]
    raise AssumptionError.single(
        str(target), "", "expected an assumptions folder (with org.yaml or use_cases/) or one of its folders "
        f"({', '.join(_SUBFOLDERS)}), found a folder with neither"
    )


def validate_paths(
    paths: Iterable[str | Path] = (), checks: Mapping[str, FileCheck] | None = None
) -> tuple[list[str], list[Problem]]:
    """Validate files or folders as the commands will read them; return (ok lines, problems).

    Parameters
    ----------
    paths : files or folders (default: the project's ``assumptions/``). A folder is an
        assumptions root (``org.yaml`` or ``use_cases/`` inside: everything in it, under every
        scenario) or one of its ``use_cases``, ``scenarios`` or ``catalog`` folders (each file).
        A file is validated with the folder it lives in: a use case under every scenario, a
        scenario on every use case, a catalog, ``org.yaml`` or ``fx.yaml`` with every use case
        that reads it.
    checks : file name → :data:`FileCheck` for files that higher layers read (``levers.yaml``).
    """
    checks = dict(checks or {})
    ok: list[str] = []
    problems: list[Problem] = []
    for target in [Path(p) for p in paths] or [ASSUMPTIONS_DIR]:
        try:
            if target.is_dir():
                ok.extend(_validate_folder(target, checks))
            elif not target.exists():
                problems.append(Problem(str(target), "", "expected a file or folder, found nothing at this path"))
            else:
                ok.append(_validate_file(target, checks))
        except AssumptionError as exc:
            problems.extend(exc.problems)
    return ok, problems
