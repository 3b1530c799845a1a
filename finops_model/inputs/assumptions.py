"""Loading, inheriting, overlaying and validating the assumptions files.

Layout of ``assumptions/``::

    org.yaml                 organisation defaults (labour rates, discount rate, …)
    fx.yaml                  exchange rates (units of each currency per USD)
    catalog/models.yaml      model price catalog
    use_cases/<id>.yaml      one file per use case
    scenarios/<name>.yaml    overlays: '<use-case id or *>.<field.path>': value

A use case inherits the organisation defaults; its own ``org:`` section overrides any of them.
Money fields of a use case are in its ``currency`` (default: the organisation's) and are
converted to USD on load, since the model computes in USD.
"""

from __future__ import annotations

import copy
import hashlib
import json
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from finops_model.errors import AssumptionError, Problem, did_you_mean
from finops_model.inputs.crossref import use_case_problems
from finops_model.inputs.distributions import SampleSpec, SpecError, Uncertain, check_correlation
from finops_model.inputs.hardware import hardware_for
from finops_model.inputs.schema import Fx, Org, ResolvedUseCase, Scenario, UseCase
from finops_model.inputs.validation import problems_from_validation_error
from finops_model.util import yamlio
from finops_model.util.paths import ASSUMPTIONS_DIR

ALL = "*"


# --------------------------------------------------------------------------- raw helpers
def read_mapping(path: Path) -> dict[str, Any]:
    """The top-level mapping of a YAML file (an :class:`AssumptionError` for anything else)."""
    data = yamlio.load(path)
    if not isinstance(data, dict):
        raise AssumptionError.single(
            str(path), "", f"expected a mapping of fields at the top level, found {type(data).__name__}"
        )
    return data


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``over`` into a copy of ``base``; nested mappings merge, everything else replaces."""
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def validate_model(cls: type[BaseModel], data: Any, file: str, context: dict | None = None) -> Any:
    """``cls`` validated from ``data``; an :class:`AssumptionError` naming ``file`` and each field."""
    try:
        return cls.model_validate(data, context=context)
    except ValidationError as exc:
        raise AssumptionError(problems_from_validation_error(exc, file, cls)) from None


# --------------------------------------------------------------------------- schema walking
def _unwrap(annotation: Any) -> Any:
    """Strip ``Optional[...]``/``X | None`` (keeping ``Annotated`` leaves as they are)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def check_override_path(segments: list[str], raw: Mapping[str, Any], cls: type[BaseModel] = UseCase) -> str | None:
    """Return an error message if ``segments`` is not a settable field path of ``cls``.

    ``raw`` is the use case's raw data, used to check the names of steps and other
    mapping entries.
    """
    tp: Any = cls
    node: Any = raw
    for i, seg in enumerate(segments):
        where = ".".join(segments[: i + 1])
        if _is_model(tp):
            fields = tp.model_fields
            if seg not in fields:
                return f"unknown field '{where}'{did_you_mean(seg, fields)}"
            tp = _unwrap(fields[seg].annotation)
            node = node.get(seg, {}) if isinstance(node, Mapping) else {}
            if tp is Org or (_is_model(tp) and tp.__name__ == "Org"):
                tp = Org
            continue
        origin = typing.get_origin(tp)
        if origin in (dict, Mapping):
            _, value_tp = typing.get_args(tp)
            value_tp = _unwrap(value_tp)
            keys = list(node) if isinstance(node, Mapping) else []
            last = i == len(segments) - 1
            if seg not in keys and not last:
                return f"unknown entry '{where}'{did_you_mean(seg, keys)}; existing: {', '.join(map(str, keys)) or 'none'}"
            tp = value_tp
            node = node.get(seg, {}) if isinstance(node, Mapping) else {}
            continue
        return f"'{'.'.join(segments[:i])}' is a value, it has no field '{seg}'"
    return None


def set_path(raw: dict[str, Any], segments: list[str], value: Any) -> None:
    """Set ``raw[seg0][seg1]… = value``, creating intermediate mappings."""
    node = raw
    for seg in segments[:-1]:
        nxt = node.get(seg)
        if not isinstance(nxt, dict):
            nxt = {}
            node[seg] = nxt
        node = nxt
    node[segments[-1]] = copy.deepcopy(value)


def iter_uncertain(obj: Any, prefix: str = "") -> Iterator[tuple[str, Uncertain]]:
    """Yield ``(field.path, Uncertain)`` for every numeric input of a validated object.

    The embedded organisation defaults are included under ``org.``; correlations and
    sources are not inputs.
    """
    if isinstance(obj, Uncertain):
        yield prefix, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            if name in ("correlations", "sources"):
                continue
            yield from iter_uncertain(getattr(obj, name), f"{prefix}.{name}" if prefix else name)
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from iter_uncertain(v, f"{prefix}.{k}" if prefix else str(k))


def get_path(obj: Any, path: str) -> Any:
    """The value at a dotted ``path`` of a validated object (models and mappings)."""
    cur = obj
    for seg in path.split("."):
        cur = cur[seg] if isinstance(cur, Mapping) else getattr(cur, seg)
    return cur


def replace_path(obj: BaseModel, path: str, value: Any) -> BaseModel:
    """A copy of frozen ``obj`` with the value at ``path`` replaced (no re-validation)."""
    head, _, rest = path.partition(".")
    if isinstance(obj, Mapping):
        new = dict(obj)
        new[head] = replace_path(obj[head], rest, value) if rest else value
        return new  # type: ignore[return-value]
    child = getattr(obj, head)
    return obj.model_copy(update={head: replace_path(child, rest, value) if rest else value})


def _convert_currency(obj: Any, factor: float) -> Any:
    """Scale every money field (unit ``CUR…``) of a validated object by ``factor``."""
    if not isinstance(obj, BaseModel) or isinstance(obj, Org):
        return obj
    update: dict[str, Any] = {}
    for name, info in type(obj).model_fields.items():
        value = getattr(obj, name)
        unit = (info.json_schema_extra or {}).get("unit", "") if isinstance(info.json_schema_extra, dict) else ""
        is_money = str(unit).startswith("CUR")
        if isinstance(value, Uncertain) and is_money:
            update[name] = value.scaled(factor)
        elif isinstance(value, Mapping) and value and is_money:
            update[name] = {k: v.scaled(factor) if isinstance(v, Uncertain) else v for k, v in value.items()}
        elif isinstance(value, Mapping):
            update[name] = {k: _convert_currency(v, factor) for k, v in value.items()}
        elif isinstance(value, BaseModel):
            update[name] = _convert_currency(value, factor)
    return obj.model_copy(update=update)


def to_usd(obj: Any, currency: str, fx: Fx, file: str, field_path: str) -> Any:
    """``obj`` (a raw mapping, or money in ``currency``) converted to USD at the rates of ``fx``;
    an unknown currency is an error naming ``file`` and ``field_path``."""
    if currency == "USD":
        return obj
    rate = fx.rates.get(currency)
    if rate is None:
        raise AssumptionError.single(
            file, field_path, f"expected a currency listed in fx.yaml ({', '.join(sorted(fx.rates)) or 'none'}), "
            f"found {currency!r}{did_you_mean(currency, fx.rates)}"
        )
    if isinstance(obj, Org):
        converted = {k: v.scaled(1 / rate.per_usd) for k, v in obj.labour_rates.items()}
        return obj.model_copy(
            update={
                "labour_rates": converted,
                "build_vs_buy_review_per_year": obj.build_vs_buy_review_per_year.scaled(1 / rate.per_usd),
                "platform": _convert_currency(obj.platform, 1 / rate.per_usd),
                "hidden_defaults": _convert_currency(obj.hidden_defaults, 1 / rate.per_usd),
            }
        )
    return _convert_currency(obj, 1 / rate.per_usd)


# --------------------------------------------------------------------------- the loaded set
@dataclass(frozen=True)
class Assumptions:
    """Everything under ``assumptions/``, validated (and with scenarios applied)."""

    root: Path
    org: Org
    fx: Fx
    catalog: Any
    use_cases: Mapping[str, UseCase]
    files: Mapping[str, Path]
    scenarios: tuple[str, ...] = ()
    digest: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def use_case(self, use_case_id: str) -> UseCase:
        if use_case_id not in self.use_cases:
            raise AssumptionError.single(
                str(self.root / "use_cases"), "",
                f"expected a use case id among {', '.join(self.use_cases)}, found {use_case_id!r}"
                f"{did_you_mean(use_case_id, self.use_cases)}",
            )
        return self.use_cases[use_case_id]


def sample_spec(use_case: UseCase) -> SampleSpec:
    """The uncertain inputs of a use case and their rank correlations, ready for sampling."""
    inputs = dict(iter_uncertain(use_case))
    return SampleSpec(inputs, tuple((c.between[0], c.between[1], c.rank) for c in use_case.correlations))


def _check_correlations(uc: UseCase, file: str) -> list[Problem]:
    inputs = dict(iter_uncertain(uc))
    problems: list[Problem] = []
    names: list[str] = []
    pairs: dict[tuple[str, str], float] = {}
    for i, c in enumerate(uc.correlations):
        for p in c.between:
            if p not in inputs:
                problems.append(Problem(file, f"correlations.{i}.between", f"expected the path of a numeric input, found {p!r}{did_you_mean(p, inputs)}"))
            elif inputs[p].is_constant:
                problems.append(Problem(file, f"correlations.{i}.between", f"expected an uncertain input, found {p!r} which is a constant ({inputs[p].describe()})"))
        a, b = c.between
        if a == b:
            problems.append(Problem(file, f"correlations.{i}.between", f"expected two different inputs, found {a!r} twice"))
        key = tuple(sorted((a, b)))
        if key in pairs:
            problems.append(Problem(file, f"correlations.{i}", f"expected each pair once, found {a} and {b} again"))
        pairs[key] = c.rank  # type: ignore[index]
        names.extend(x for x in (a, b) if x not in names)
    if problems or not pairs:
        return problems
    import numpy as np

    m = np.eye(len(names))
    for (a, b), r in pairs.items():
        m[names.index(a), names.index(b)] = m[names.index(b), names.index(a)] = r
    try:
        check_correlation(m, names)
    except SpecError as exc:
        problems.append(Problem(file, "correlations", str(exc)))
    return problems


def build_use_case(
    raw: Mapping[str, Any], org_raw: Mapping[str, Any], fx: Fx, catalog: Any, file: str, hardware: Any = None
) -> ResolvedUseCase:
    """Validate one use case's raw data against the schema, the catalogs and the org defaults.

    Every cross-file reference is resolved here (:func:`finops_model.inputs.crossref.use_case_problems`):
    models on the price date, roles, correlations, and for self-hosting the GPU, serving curve,
    rate tier, prefill rate and latency targets against the hardware catalogs (``hardware``,
    default: the catalogs beside the price catalog, read only when the use case self-hosts).

    Raises
    ------
    AssumptionError
        With every problem found (not just the first).
    """
    data = dict(raw)
    org_over = data.pop("org", None) or {}
    if not isinstance(org_over, Mapping):
        raise AssumptionError.single(file, "org", f"expected a mapping of organisation overrides, found {org_over!r}")
    data["org"] = deep_merge(org_raw, org_over)
    uc: ResolvedUseCase = validate_model(ResolvedUseCase, data, file)
    if hardware is None and uc.infrastructure.self_hosting is not None:
        hardware = hardware_for(catalog)
    problems = use_case_problems(uc, catalog, hardware, file) + _check_correlations(uc, file)
    if problems:
        raise AssumptionError(problems)
    currency = uc.currency or uc.org.currency
    org_usd = to_usd(uc.org, uc.org.currency, fx, file, "org.currency")
    uc_usd = to_usd(uc, currency, fx, file, "currency")
    return uc_usd.model_copy(update={"org": org_usd})


def load_scenario(path: Path) -> tuple[Scenario, dict[str, Any]]:
    raw = read_mapping(path)
    raw.setdefault("name", path.stem)
    sc = validate_model(Scenario, raw, str(path))
    return sc, raw


def published_scenarios(root: str | Path) -> list[str]:
    """Names of the scenarios published under ``root/scenarios`` (``<name>.yaml`` directly in
    that folder), sorted. Drafts saved from the explorer (``scenarios/drafts/``) are not
    published: they load by their relative name (``drafts/<name>``) but the leaders' report
    leaves them out until someone moves them up one folder."""
    return sorted(p.stem for p in (Path(root) / "scenarios").glob("*.yaml") if p.is_file())


def validate_scenario(data: Mapping[str, Any], file: str) -> Scenario:
    """A scenario overlay's data validated (``AssumptionError`` naming ``file`` and the field)."""
    return validate_model(Scenario, dict(data), file)


def apply_scenario(
    raw_use_cases: Mapping[str, dict[str, Any]], scenario: Scenario, file: str
) -> dict[str, dict[str, Any]]:
    """Apply a scenario's overrides to raw use-case data; unknown targets are errors."""
    out = {k: copy.deepcopy(v) for k, v in raw_use_cases.items()}
    problems: list[Problem] = []
    for key, value in scenario.overrides.items():
        target, _, path = str(key).partition(".")
        if not path:
            problems.append(Problem(file, f"overrides.{key}", "expected '<use-case id or *>.<field.path>', found no field path"))
            continue
        if target != ALL and target not in out:
            problems.append(Problem(file, f"overrides.{key}", f"expected a use case id or '*', found {target!r}{did_you_mean(target, out)}"))
            continue
        segments = path.split(".")
        for uc_id in out if target == ALL else [target]:
            msg = check_override_path(segments, out[uc_id])
            if msg:
                problems.append(Problem(file, f"overrides.{key}", msg))
                break
            set_path(out[uc_id], segments, value)
    if problems:
        raise AssumptionError(problems)
    return out


def _digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_assumptions(
    root: str | Path | None = None,
    scenarios: Iterable[str] = (),
    *,
    use_cases: Iterable[str] | None = None,
    catalog: Any = None,
) -> Assumptions:
    """Load and validate everything under ``root`` (default: the project's ``assumptions/``).

    Parameters
    ----------
    root : path, optional
        The assumptions folder.
    scenarios : iterable of str
        Scenario overlays to apply in order (names of files in ``scenarios/``).
    use_cases : iterable of str, optional
        Only these use-case ids (default: all).
    catalog : Catalog, optional
        A price catalog (default: ``catalog/models.yaml`` under ``root``).

    Raises
    ------
    AssumptionError
        Listing every problem in every file.
    """
    from finops_model.inputs.catalog import load_catalog

    root = Path(root) if root is not None else ASSUMPTIONS_DIR
    problems: list[Problem] = []

    def attempt(fn, *args):
        try:
            return fn(*args)
        except AssumptionError as exc:
            problems.extend(exc.problems)
            return None

    org_path = root / "org.yaml"
    org_raw = attempt(read_mapping, org_path) if org_path.exists() else {}
    org = attempt(validate_model, Org, org_raw, str(org_path)) if org_raw is not None else None
    fx_path = root / "fx.yaml"
    fx_raw = attempt(read_mapping, fx_path) if fx_path.exists() else {}
    fx = attempt(validate_model, Fx, fx_raw, str(fx_path)) if fx_raw is not None else None
    if catalog is None:
        catalog = attempt(load_catalog, root / "catalog" / "models.yaml")

    raw_ucs: dict[str, dict[str, Any]] = {}
    files: dict[str, Path] = {}
    for path in sorted((root / "use_cases").glob("*.yaml")):
        raw = attempt(read_mapping, path)
        if raw is None:
            continue
        uc_id = raw.get("id")
        if not isinstance(uc_id, str):
            problems.append(Problem(str(path), "id", f"expected a use-case id (text), found {uc_id!r}"))
            continue
        if uc_id in files:
            problems.append(Problem(str(path), "id", f"expected a unique use-case id, found {uc_id!r} already used by {files[uc_id]}"))
            continue
        raw_ucs[uc_id] = raw
        files[uc_id] = path
    wanted = list(use_cases) if use_cases is not None else list(raw_ucs)
    for w in wanted:
        if w not in raw_ucs and not any(p.path == "id" for p in problems):
            problems.append(Problem(str(root / "use_cases"), "", f"expected a use case id among {', '.join(raw_ucs) or 'none'}, found {w!r}{did_you_mean(w, raw_ucs)}"))

    overlay_raw: dict[str, Any] = {}
    scenario_files: dict[str, str] = {}
    for name in scenarios:
        sc_path = root / "scenarios" / f"{name}.yaml"
        if not sc_path.exists():
            known = published_scenarios(root)
            problems.append(Problem(str(sc_path), "", f"expected a scenario among {', '.join(known) or 'none'}, found {name!r}{did_you_mean(name, known)}"))
            continue
        loaded = attempt(load_scenario, sc_path)
        if loaded is None:
            continue
        sc, sc_raw = loaded
        overlay_raw[name] = sc_raw
        new = attempt(apply_scenario, raw_ucs, sc, str(sc_path))
        if new is not None:
            raw_ucs = new
            for key in sc.overrides:
                scenario_files[str(key)] = str(sc_path)

    if problems or org is None or fx is None or catalog is None:
        raise AssumptionError(problems)

    built: dict[str, UseCase] = {}
    for uc_id in wanted:
        if uc_id not in raw_ucs:
            continue
        file = str(files[uc_id])
        if scenarios:
            file += f" (with scenario {', '.join(scenarios)})"
        uc = attempt(build_use_case, raw_ucs[uc_id], org_raw, fx, catalog, file)
        if uc is not None:
            built[uc_id] = uc
    if problems:
        raise AssumptionError(problems)
    digest = _digest({"org": org_raw, "fx": fx_raw, "use_cases": {k: raw_ucs[k] for k in built}, "catalog": getattr(catalog, "digest", None)})
    return Assumptions(root, org, fx, catalog, built, files, tuple(scenarios), digest, {"use_cases": raw_ucs, "org": org_raw, "scenarios": overlay_raw})
