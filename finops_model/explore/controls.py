"""The explorer's controls: which fields of a use case the panel can move, how a slider moves a
distribution (:func:`recentre`), and how values are shown and typed. Pure functions and frozen
specs, no widgets.

Every input the model reads is a control, grouped by the cost stack (:data:`GROUP_ORDER`):
volume, each workflow step (model, tokens, routing, caching, retries, agent loop), retrieval,
infrastructure, hidden labour and overheads, the organisation's labour rates and defaults, the
one-off build and the value. A slider's move is rounded to three significant digits
(:data:`SLIDER_DIGITS`): the change list, and the scenario saved from it, hold readable values.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from scipy import special

from finops_model.errors import CatalogError, FinopsError, did_you_mean
from finops_model.inputs.assumptions import get_path, iter_uncertain
from finops_model.inputs.distributions import SpecError, Uncertain, parse
from finops_model.inputs.schema import UseCase

ControlKind = Literal["nonneg", "fraction", "real", "int", "model"]

#: Significant digits of a value set by a slider.
SLIDER_DIGITS = 3

#: Labels of step fields (field path under ``steps.<name>.``); other fields take the schema's description.
STEP_LABELS: dict[str, str] = {
    "share_of_requests": "share of requests (routing)",
    "system_prompt_tokens": "system prompt tokens",
    "user_prompt_tokens": "user prompt tokens",
    "extra_context_tokens": "extra context tokens",
    "history.turns": "history turns",
    "history.tokens_per_turn": "history tokens per turn",
    "output_tokens": "output tokens",
    "reasoning_tokens": "reasoning tokens",
    "cached_prompt_share": "prompt-cache hit share",
    "batch_share": "batch share",
    "retry.rate": "retry rate",
    "retry.max_retries": "max retries (cap)",
    "context_budget_tokens": "context budget",
    "agent_loop.iterations": "agent iterations",
    "agent_loop.max_iterations": "max iterations (cap)",
}

#: Whole-number fields offered as controls, under ``steps.<name>.``.
STEP_INT_FIELDS: tuple[str, ...] = ("retry.max_retries", "agent_loop.max_iterations")

#: Control groups in the order of the cost stack (a step's group is ``Model calls: <step>``).
GROUP_ORDER: tuple[str, ...] = (
    "Volume and adoption", "Model calls", "Retrieval (RAG)", "Infrastructure", "Hidden labour and overheads",
    "Organisation: labour rates", "Organisation: defaults", "One-off build", "Value", "Other",
)

_TOP_GROUPS = {"volume": "Volume and adoption", "rag": "Retrieval (RAG)", "infrastructure": "Infrastructure",
               "hidden": "Hidden labour and overheads", "one_off": "One-off build", "value": "Value"}


# =========================================================================== controls
@dataclass(frozen=True)
class ControlSpec:
    """One control of the panel: a field of the use case.

    Attributes
    ----------
    path : str
        Field path in the use case (``steps.answer.output_tokens``).
    group, label : str
        Where the control is shown and its name.
    unit : str
        Unit from the schema, ``CUR`` replaced by the file's currency.
    kind : {"nonneg", "fraction", "real", "int", "model"}
        What the field admits.
    money : bool
        A money field (converted from the file's currency to USD for the model).
    choices : tuple of str
        Catalog models, for ``kind == "model"``.
    bounds : (float, float)
        Bounds of an integer field.
    """

    path: str
    group: str
    label: str
    unit: str
    kind: ControlKind
    money: bool = False
    choices: tuple[str, ...] = ()
    bounds: tuple[float, float] = (-math.inf, math.inf)


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def field_info(path: str) -> tuple[Any, Any]:
    """The pydantic ``FieldInfo`` and annotation (Optional stripped) of a use-case field path."""
    tp: Any = UseCase
    info: Any = None
    for seg in path.split("."):
        if isinstance(tp, type) and hasattr(tp, "model_fields"):
            if seg not in tp.model_fields:
                raise FinopsError(f"expected a field of the use case, found {path!r}{did_you_mean(seg, tp.model_fields)}")
            info = tp.model_fields[seg]
            tp = _unwrap(info.annotation)
        elif typing.get_origin(tp) is dict:
            tp = _unwrap(typing.get_args(tp)[1])
        else:
            raise FinopsError(f"expected a field of the use case, found {path!r}")
    return info, tp


def _kind_of(info: Any, tp: Any) -> ControlKind | None:
    """The kind of a numeric field: read from its validator (``Quantity``, ``Fraction``, ``Real``)."""
    metadata = list(info.metadata)
    if typing.get_origin(tp) is typing.Annotated:  # an optional field keeps its metadata here
        tp, *extra = typing.get_args(tp)
        metadata += extra
    if tp is int:
        return "int"
    if tp is not Uncertain:
        return None
    for m in metadata:
        func = getattr(m, "func", None)
        for cell in getattr(func, "__closure__", None) or ():
            if cell.cell_contents in ("nonneg", "fraction", "real"):
                return cell.cell_contents
    return None


def _unit_of(info: Any) -> str:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return str(extra.get("unit", ""))


def _bounds_of(info: Any) -> tuple[float, float]:
    lo, hi = -math.inf, math.inf
    for m in info.metadata:
        lo = float(getattr(m, "ge", None)) if getattr(m, "ge", None) is not None else lo
        hi = float(getattr(m, "le", None)) if getattr(m, "le", None) is not None else hi
    return lo, hi


def model_choices(use_case: UseCase, catalog: Any) -> tuple[str, ...]:
    """Catalog models a workflow step can use (not embedding or rerank models) at the use
    case's price date."""
    on = _dt.date.fromisoformat(use_case.price_date) if use_case.price_date else None
    out = []
    for mid in catalog.model_ids:
        if catalog.tier(mid) in ("embedding", "rerank"):
            continue
        try:
            catalog.price(mid, on=on)
        except CatalogError:
            continue
        out.append(mid)
    return tuple(out)


def group_of(use_case: UseCase, path: str) -> str:
    """The control group of a field path, named after its layer of the cost stack."""
    head, _, rest = path.partition(".")
    if head == "steps":
        name = rest.partition(".")[0]
        step = use_case.steps.get(name)
        return f"Model calls: {name}" + (f" ({step.kind})" if step is not None else "")
    if head == "org":
        return "Organisation: labour rates" if rest.startswith("labour_rates.") else "Organisation: defaults"
    return _TOP_GROUPS.get(head, "Other")


def _group_rank(group: str) -> int:
    for i, g in enumerate(GROUP_ORDER):
        if group == g or group.startswith(g + ":"):
            return i
    return len(GROUP_ORDER)


def _human(seg: str) -> str:
    return seg.replace("_", " ")


def _label(path: str, info: Any, dict_entry: bool) -> str:
    """A control's label: the schema's description, prefixed by its section where the group
    holds several sections (``prompt engineering: prompt-engineering staff``)."""
    segs = path.split(".")
    if segs[0] == "steps":
        sub = ".".join(segs[2:])
        if sub in STEP_LABELS:
            return STEP_LABELS[sub]
        segs = segs[2:]
    elif segs[0] != "org":
        segs = segs[1:] if len(segs) > 1 else segs
    else:
        segs = segs[1:]
    if dict_entry:
        return f"{_human(segs[-2])}: {segs[-1]}" if len(segs) > 1 else segs[-1]
    desc = re.sub(r"^\[[^\]]*\]\s*", "", getattr(info, "description", None) or "") or _human(segs[-1])
    desc = desc.rstrip(".")
    return f"{_human(segs[-2])}: {desc}" if len(segs) > 1 and segs[-2] != "labour_rates" else desc


def _is_dict_entry(path: str) -> bool:
    """True if the last segment of ``path`` is a key of a mapping field (``org.labour_rates.analyst``)."""
    tp: Any = UseCase
    last = False
    for seg in path.split("."):
        if isinstance(tp, type) and hasattr(tp, "model_fields"):
            tp = _unwrap(tp.model_fields[seg].annotation)
            last = False
        else:
            tp = _unwrap(typing.get_args(tp)[1])
            last = True
    return last


def control_specs(use_case: UseCase, catalog: Any, used: Iterable[str] | None = None) -> list[ControlSpec]:
    """Every control of a use case, in the order of the cost stack (:data:`GROUP_ORDER`).

    Every numeric input of the use case is a control (volume, each step's model, tokens,
    routing, caching, batch, retries and agent loop, retrieval, infrastructure, hidden labour
    and overheads, one-off build, value), and so is every organisation input the model reads
    (``used``: labour rates, hours per FTE, overheads…; default: every organisation input).
    Optional fields that are absent (no ``rag`` section, no context budget) give no control.

    Parameters
    ----------
    use_case : UseCase
    catalog : Catalog
        For the models a step may use.
    used : iterable of str, optional
        Field paths the model reads (:func:`finops_model.model.engine.used_inputs`).
    """
    currency = use_case.currency or (use_case.org.currency if use_case.org else "USD")
    org_currency = use_case.org.currency if use_case.org else currency
    used_set = set(used) if used is not None else None
    choices = model_choices(use_case, catalog)
    paths = [p for p, _ in iter_uncertain(use_case)
             if not p.startswith("org.") or used_set is None or p in used_set]
    for name, step in use_case.steps.items():
        for sub in STEP_INT_FIELDS:
            try:
                if get_path(step, sub) is not None:
                    paths.append(f"steps.{name}.{sub}")
            except AttributeError:
                continue
    specs: list[ControlSpec] = [
        ControlSpec(f"steps.{name}.model", group_of(use_case, f"steps.{name}"), "model", "catalog id", "model", choices=choices)
        for name in use_case.steps
    ]
    for path in paths:
        info, tp = field_info(path)
        kind = _kind_of(info, tp)
        if kind is None:
            continue
        unit = _unit_of(info)
        cur = org_currency if path.startswith("org.") else currency
        specs.append(ControlSpec(path, group_of(use_case, path), _label(path, info, _is_dict_entry(path)),
                                 unit.replace("CUR", cur), kind, unit.startswith("CUR"),
                                 bounds=_bounds_of(info) if kind == "int" else (-math.inf, math.inf)))
    steps = list(use_case.steps)
    order = {s.path: i for i, s in enumerate(specs)}

    def key(s: ControlSpec) -> tuple[int, int, int]:
        step = steps.index(s.path.split(".")[1]) if s.path.startswith("steps.") else 0
        first = 0 if s.kind == "model" else 1
        return (_group_rank(s.group), step, first * 10_000 + order[s.path])

    return sorted(specs, key=key)


def search_controls(specs: Iterable[ControlSpec], query: str) -> list[ControlSpec]:
    """The controls whose path, label or group contain every word of ``query`` (case-insensitive);
    all of them for an empty query."""
    words = query.lower().split()
    return [s for s in specs if all(w in f"{s.path} {s.label} {s.group}".lower() for w in words)]


# =========================================================================== values
def nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ ``x`` (``x`` > 0)."""
    if x <= 0:
        return 1.0
    k = math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * 10**k >= x * (1 - 1e-12):
            return float(m * 10**k)
    return float(10 ** (k + 1))


def _scale_numbers(obj: Any, k: float, digits: int,
                   skip: frozenset[str] = frozenset({"lamb", "weights", "dispersion", "concentration", "a", "b"})) -> Any:
    if isinstance(obj, Mapping):
        return {key: (v if key in skip else _scale_numbers(v, k, digits, skip)) for key, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_scale_numbers(v, k, digits, skip) for v in obj]
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, int | float):
        return tidy(obj * k, digits)
    return obj


def tidy(x: float, digits: int = 6) -> float | int:
    """A number rounded to ``digits`` significant digits, an int where it is one (readable YAML)."""
    if x == 0 or not math.isfinite(x):
        return 0 if x == 0 else x
    r = float(f"{x:.{digits}g}")
    return int(r) if r.is_integer() and abs(r) < 1e15 else r


_RANGE = re.compile(r"^\s*([-+]?[\d.eE+-]+)\s+to\s+([-+]?[\d.eE+-]+)\s*$")


def recentre(value: Any, kind: ControlKind, centre: float, digits: int = SLIDER_DIGITS) -> Any:
    """A value of the assumptions language like ``value`` but centred on ``centre``.

    A constant becomes ``centre``. A distribution keeps its spread: a positive range or
    distribution is scaled so that its median moves to ``centre`` (a lognormal exactly); a range
    that reaches zero or below (a normal) is shifted; a fraction's ``a to b`` range is moved on
    the logit scale (so it stays inside (0, 1)).

    Parameters
    ----------
    value : number, str or mapping
        The current value as written in YAML.
    kind : {"nonneg", "fraction", "real", "int"}
        What the field admits.
    centre : float
        The new median [unit of the field].
    digits : int
        Significant digits of the numbers written (the median lands within rounding of ``centre``).
    """
    if kind == "int":
        return int(round(centre))
    if isinstance(value, bool):
        raise FinopsError(f"expected a number or a distribution, found {value!r}")
    if isinstance(value, int | float) or (isinstance(value, str) and not _RANGE.match(value)):
        return tidy(centre, digits)
    q = parse(value, "real" if kind == "int" else kind)
    if q.is_constant:
        return tidy(centre, digits)
    med = q.median
    m = _RANGE.match(value) if isinstance(value, str) else None
    if m:
        a, b = float(m[1]), float(m[2])
        if kind == "fraction":
            lo, hi = 1e-6, 1 - 1e-6
            c = min(max(centre, lo), hi)
            return _shift_fraction_range(a, b, med, c, max(digits, 4))
        if a <= 0:
            return f"{tidy(a + centre - med, digits)} to {tidy(b + centre - med, digits)}"
        if centre <= 0:
            return 0
        k = centre / med
        return f"{tidy(a * k, digits)} to {tidy(b * k, digits)}"
    if isinstance(value, Mapping):
        form = next(iter(value))
        if form == "beta" and kind == "fraction":
            a_, b_ = q.p["a"], q.p["b"]
            c = min(max(centre, 1e-6), 1 - 1e-6)
            return {"beta": {"mean": tidy(c, digits), "concentration": tidy(a_ + b_, digits)}}
        if form == "normal" and med != 0 and centre != 0:
            pass  # scaled below, like every positive form
        if med == 0 or (centre <= 0 and kind == "nonneg"):
            return tidy(centre, digits)
        scaled = _scale_numbers(value, centre / med, digits)
        if kind == "fraction":
            hi = q.support[1] * centre / med
            if hi > 1:
                return tidy(centre, digits)
        return scaled
    return tidy(centre, digits)


def _shift_fraction_range(a: float, b: float, med: float, centre: float, digits: int) -> Any:
    """``a to b`` moved on the logit scale until the fitted beta's median is ``centre``
    (a few secant steps on the shift; the beta's shape changes as it moves)."""
    lo, hi = 1e-6, 1 - 1e-6
    target = float(special.logit(centre))

    def text(d: float) -> str | None:
        na, nb = (min(max(float(special.expit(special.logit(x) + d)), lo), hi) for x in (a, b))
        na, nb = tidy(na, digits), tidy(nb, digits)
        return f"{na} to {nb}" if 0 < na < nb < 1 else None

    def miss(d: float) -> float:
        t = text(d)
        if t is None:
            return math.nan
        try:
            return float(special.logit(parse(t, "fraction").median)) - target
        except SpecError:
            return math.nan

    d0 = target - float(special.logit(min(max(med, lo), hi)))
    f0 = miss(d0)
    if math.isnan(f0):
        return tidy(centre, digits)
    d1 = d0 - f0
    for _ in range(6):
        f1 = miss(d1)
        if math.isnan(f1):
            break
        if abs(f1) < 1e-3:
            return text(d1)
        d0, d1, f0 = d1, d1 - f1 * (d1 - d0) / (f1 - f0) if f1 != f0 else d1 - f1, f1
    return text(d0) if abs(f0) < 0.05 else tidy(centre, digits)


def display_value(value: Any) -> str:
    """A value of the assumptions language as one line of text (YAML flow style)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) and not float(value).is_integer() else str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000).strip()


def parse_text(text: str) -> Any:
    """What an analyst typed in a control's text box, as a YAML value (``80 to 200`` stays text)."""
    text = text.strip()
    if not text:
        raise FinopsError("expected a number or a distribution, found an empty box")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FinopsError(f"expected a number or a distribution in YAML, found {text!r} ({exc.problem})") from None

