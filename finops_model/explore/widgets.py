"""Interactive exploration: move an assumption and see the case move (JupyterLab and Voilà).

:class:`Explorer` holds the logic of the explorer panel and is usable without a browser:

>>> ex = Explorer("support-copilot", "baseline", n=10_000, seed=0)      # doctest: +SKIP
>>> ex.set("hidden.human_review.minutes_per_review", "4 to 6")          # doctest: +SKIP
>>> ex.kpi_text()                                                         # doctest: +SKIP

How it stays fast enough to feel live (target: a change to updated KPIs within 300 ms at
10,000 trials, ``benchmarks/bench_widgets.py``):

* a change is applied to the validated use case with
  :func:`~finops_model.assumptions.replace_path` (only the changed value is parsed, in the
  assumptions language, and converted to USD where it is money), not by re-validating the file;
* the input draws are cached (:class:`DrawCache`): every input keeps its own uniform stream
  (:func:`~finops_model.distributions.input_streams`), so a change re-draws only the inputs whose
  distribution changed, and every state of the panel is evaluated on the same trials (common
  random numbers): the comparison of a pinned state with the baseline is paired trial by trial;
* the KPI text is refreshed first (debounced, ``debounce_s``), the charts after a longer pause
  (``chart_debounce_s``), since drawing SVG charts locally takes longer than the model.

What a control sets. Each control stands for one field of the use case and shows the range it
currently stands for (p5–p95 of its distribution, in the file's currency for money). The text
box takes any value of the assumptions language (``120``, ``"80 to 200"``,
``{pert: [1, 2, 5]}``); the slider moves the centre (median) of the distribution and keeps its
spread (:func:`recentre`): a lognormal range is scaled, a normal shifted, a fraction's range moved
on the logit scale. A constant typed for an input that the file correlates with another drops
that correlation (a fixed number cannot be correlated), and the saved scenario says so.

Save as scenario writes the changed fields (plus the overrides of the scenario the panel started
from, so that the file stands alone) as ``assumptions/scenarios/<name>.yaml``: validated first,
written atomically, never over an existing file unless ``overwrite=True`` (the "overwrite"
check box). Loading it with ``load_assumptions(root, [name])`` and simulating with the panel's
seed and trials reproduces the panel's KPIs.

Money is in USD in the KPIs (the model computes in USD); controls show money in the use case's
file currency, as the scenario file must.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as _dt
import math
import re
import types
import typing
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from scipy import special

from finops_model.errors import AssumptionError, CatalogError, FinopsError, did_you_mean
from finops_model.inputs.assumptions import (
    apply_scenario,
    build_use_case,
    get_path,
    load_assumptions,
    load_scenario,
    replace_path,
)
from finops_model.inputs.distributions import (
    SampleSpec,
    SpecError,
    Uncertain,
    correlate_uniforms,
    parse,
    uniforms,
)
from finops_model.inputs.schema import Scenario, UseCase
from finops_model.model import engine
from finops_model.model.kpis import KPI_UNITS
from finops_model.uncertainty.summary import format_value, summarise
from finops_model.util.io import write_atomic
from finops_model.util.paths import ASSUMPTIONS_DIR

ControlKind = Literal["nonneg", "fraction", "real", "int", "model"]

#: Step fields offered as controls: (field path under ``steps.<name>.``, label).
STEP_FIELDS: tuple[tuple[str, str], ...] = (
    ("share_of_requests", "share of requests (routing)"),
    ("system_prompt_tokens", "system prompt tokens"),
    ("user_prompt_tokens", "user prompt tokens"),
    ("extra_context_tokens", "extra context tokens"),
    ("history.turns", "history turns"),
    ("history.tokens_per_turn", "history tokens per turn"),
    ("output_tokens", "output tokens"),
    ("reasoning_tokens", "reasoning tokens"),
    ("cached_prompt_share", "prompt-cache hit share"),
    ("batch_share", "batch share"),
    ("retry.rate", "retry rate"),
    ("context_budget_tokens", "context budget"),
    ("agent_loop.iterations", "agent iterations"),
    ("agent_loop.max_iterations", "max iterations (cap)"),
)

#: Other controls: (field path, group, label).
OTHER_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("volume.active_users", "Volume", "active users"),
    ("volume.requests_per_user_per_month", "Volume", "requests per user per month"),
    ("rag.top_k", "Retrieval (RAG)", "chunks retrieved per query"),
    ("rag.chunk_tokens", "Retrieval (RAG)", "tokens per chunk"),
    ("rag.queries_per_request", "Retrieval (RAG)", "queries per request"),
    ("hidden.human_review.share_reviewed", "Human review", "share of outputs reviewed"),
    ("hidden.human_review.minutes_per_review", "Human review", "minutes per review"),
    ("value.outcomes_per_request", "Value", "outcomes per request"),
    ("value.value_per_outcome", "Value", "value per outcome"),
    ("value.minutes_saved_per_outcome", "Value", "minutes saved per outcome"),
)

#: KPIs shown in the panel, in order.
PANEL_KPIS: tuple[str, ...] = (
    "avg_monthly_cost", "run_rate_cost", "cost_per_outcome", "value_per_outcome", "viable",
    "monthly_net_value", "npv", "roi", "payback_month", "cost_per_request", "tokens_per_request",
    "calls_per_request", "annual_model_spend",
)

#: KPIs of the pinned-versus-baseline comparison.
COMPARE_KPIS: tuple[str, ...] = (
    "avg_monthly_cost", "cost_per_outcome", "monthly_net_value", "npv", "cost_per_request",
    "tokens_per_request", "annual_model_spend",
)

#: KPIs a tornado can be drawn for.
TORNADO_KPIS: tuple[str, ...] = ("avg_monthly_cost", "cost_per_outcome", "monthly_net_value", "npv")

_LABELS = {
    "avg_monthly_cost": "Average monthly cost (incl. one-off)", "recurring_monthly_cost": "Recurring monthly cost", "run_rate_cost": "Run-rate cost (last month)",
    "cost_per_outcome": "Cost per outcome", "value_per_outcome": "Value per outcome",
    "viable": "Viable (cost < value per outcome)", "monthly_net_value": "Monthly net value",
    "npv": "NPV", "roi": "ROI", "payback_month": "Payback month",
    "cost_per_request": "Cost per request", "tokens_per_request": "Tokens per request",
    "calls_per_request": "Model calls per request", "annual_model_spend": "Annual model spend",
}

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_NO_SCENARIO = "(none)"


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


def control_specs(use_case: UseCase, catalog: Any) -> list[ControlSpec]:
    """The panel's controls for a use case: volume, each step (model, tokens by part of the
    prompt, routing share, caching, batch, retries, context budget, agent cap), retrieval,
    human review and value; only fields the use case has (an optional section that is absent,
    such as ``rag``, gives no control)."""
    currency = use_case.currency or (use_case.org.currency if use_case.org else "USD")
    specs: list[ControlSpec] = []
    rows: list[tuple[str, str, str]] = []
    for path, group, label in OTHER_FIELDS[:2]:
        rows.append((path, group, label))
    choices = model_choices(use_case, catalog)
    for name, step in use_case.steps.items():
        group = f"Step: {name} ({step.kind})"
        specs.append(ControlSpec(f"steps.{name}.model", group, "model", "catalog id", "model", choices=choices))
        for sub, label in STEP_FIELDS:
            rows.append((f"steps.{name}.{sub}", group, label))
    rows.extend(OTHER_FIELDS[2:])
    for path, group, label in rows:
        try:
            value = get_path(use_case, path)
        except (AttributeError, KeyError):
            continue
        if value is None:
            continue
        info, tp = field_info(path)
        kind = _kind_of(info, tp)
        if kind is None:
            continue
        unit = _unit_of(info)
        specs.append(ControlSpec(path, group, label, unit.replace("CUR", currency), kind, unit.startswith("CUR"),
                                 bounds=_bounds_of(info) if kind == "int" else (-math.inf, math.inf)))
    group_order = {g: i for i, g in enumerate(dict.fromkeys(s.group for s in specs if not s.group.startswith("Step")))}
    first = ["Volume"]
    return sorted(specs, key=lambda s: (0 if s.group in first else 1 if s.group.startswith("Step") else 2 + group_order.get(s.group, 0)))


# =========================================================================== values
def _nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ ``x`` (``x`` > 0)."""
    if x <= 0:
        return 1.0
    k = math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * 10**k >= x * (1 - 1e-12):
            return float(m * 10**k)
    return float(10 ** (k + 1))


def _scale_numbers(obj: Any, k: float, skip: frozenset[str] = frozenset({"lamb", "weights", "dispersion", "concentration", "a", "b"})) -> Any:
    if isinstance(obj, Mapping):
        return {key: (v if key in skip else _scale_numbers(v, k, skip)) for key, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_scale_numbers(v, k, skip) for v in obj]
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, int | float):
        return _tidy(obj * k)
    return obj


def _tidy(x: float) -> float | int:
    """A number rounded to 6 significant digits, an int where it is one (readable YAML)."""
    if x == 0 or not math.isfinite(x):
        return 0 if x == 0 else x
    r = float(f"{x:.6g}")
    return int(r) if r.is_integer() and abs(r) < 1e15 else r


_RANGE = re.compile(r"^\s*([-+]?[\d.eE+-]+)\s+to\s+([-+]?[\d.eE+-]+)\s*$")


def recentre(value: Any, kind: ControlKind, centre: float) -> Any:
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
    """
    if kind == "int":
        return int(round(centre))
    if isinstance(value, bool):
        raise FinopsError(f"expected a number or a distribution, found {value!r}")
    if isinstance(value, int | float) or (isinstance(value, str) and not _RANGE.match(value)):
        return _tidy(centre)
    q = parse(value, "real" if kind == "int" else kind)
    if q.is_constant:
        return _tidy(centre)
    med = q.median
    m = _RANGE.match(value) if isinstance(value, str) else None
    if m:
        a, b = float(m[1]), float(m[2])
        if kind == "fraction":
            lo, hi = 1e-6, 1 - 1e-6
            c = min(max(centre, lo), hi)
            return _shift_fraction_range(a, b, med, c)
        if a <= 0:
            return f"{_tidy(a + centre - med)} to {_tidy(b + centre - med)}"
        if centre <= 0:
            return 0
        k = centre / med
        return f"{_tidy(a * k)} to {_tidy(b * k)}"
    if isinstance(value, Mapping):
        form = next(iter(value))
        if form == "beta" and kind == "fraction":
            a_, b_ = q.p["a"], q.p["b"]
            c = min(max(centre, 1e-6), 1 - 1e-6)
            return {"beta": {"mean": _tidy(c), "concentration": _tidy(a_ + b_)}}
        if form == "normal" and med != 0 and centre != 0:
            pass  # scaled below, like every positive form
        if med == 0 or (centre <= 0 and kind == "nonneg"):
            return _tidy(centre)
        scaled = _scale_numbers(value, centre / med)
        if kind == "fraction":
            hi = q.support[1] * centre / med
            if hi > 1:
                return _tidy(centre)
        return scaled
    return _tidy(centre)


def _shift_fraction_range(a: float, b: float, med: float, centre: float) -> Any:
    """``a to b`` moved on the logit scale until the fitted beta's median is ``centre``
    (a few secant steps on the shift; the beta's shape changes as it moves)."""
    lo, hi = 1e-6, 1 - 1e-6
    target = float(special.logit(centre))

    def text(d: float) -> str | None:
        na, nb = (min(max(float(special.expit(special.logit(x) + d)), lo), hi) for x in (a, b))
        na, nb = _tidy(na), _tidy(nb)
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
        return _tidy(centre)
    d1 = d0 - f0
    for _ in range(6):
        f1 = miss(d1)
        if math.isnan(f1):
            break
        if abs(f1) < 1e-3:
            return text(d1)
        d0, d1, f0 = d1, d1 - f1 * (d1 - d0) / (f1 - f0) if f1 != f0 else d1 - f1, f1
    return text(d0) if abs(f0) < 0.05 else _tidy(centre)


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


# =========================================================================== draws
class DrawCache:
    """Per-input draws for ``n`` trials, cached so that a change re-draws only what changed.

    Draws equal those of :func:`finops_model.distributions.sample` with ``method="mc"`` and the
    same seed (one uniform stream per input name; Gaussian copula for correlated inputs).

    Parameters
    ----------
    n : int
        Trials.
    seed : int
        Seed of the run (common to every state of the panel).
    """

    def __init__(self, n: int, seed: int):
        self.n = int(n)
        self.seed = seed
        self._u: dict[str, np.ndarray] = {}
        self._corr: dict[tuple, dict[str, np.ndarray]] = {}
        self._values: dict[str, tuple[Uncertain, int, np.ndarray]] = {}
        self.redrawn: list[str] = []

    def uniform(self, name: str) -> np.ndarray:
        """The uniform column of one input [fraction] (independent of the other inputs)."""
        u = self._u.get(name)
        if u is None:
            u = uniforms([name], self.n, self.seed, "mc")[:, 0].copy()
            self._u[name] = u
        return u

    def draws(self, spec: SampleSpec) -> dict[str, np.ndarray | float]:
        """Every input of ``spec``: (n,) arrays for uncertain inputs, floats for constants."""
        self.redrawn = []
        names = spec.uncertain_names
        cols: dict[str, np.ndarray] = {}
        if spec.correlations:
            cnames, cm = spec.correlation_matrix()
            keep = [i for i, c in enumerate(cnames) if c in names]
            if len(keep) > 1:
                kept = tuple(cnames[i] for i in keep)
                sub = cm[np.ix_(keep, keep)]
                key = (kept, sub.tobytes())
                if key not in self._corr:
                    u = np.column_stack([self.uniform(c) for c in kept])
                    corr = correlate_uniforms(u, sub)
                    self._corr[key] = {c: np.ascontiguousarray(corr[:, j]) for j, c in enumerate(kept)}
                cols.update(self._corr[key])
        out: dict[str, np.ndarray | float] = {}
        for name, q in spec.inputs.items():
            if q.is_constant:
                out[name] = q.p["value"] * q.scale
        for name in names:
            q = spec.inputs[name]
            u = cols.get(name)
            if u is None:
                u = self.uniform(name)
            hit = self._values.get(name)
            if hit is not None and hit[1] == id(u) and hit[0] == q:
                out[name] = hit[2]
                continue
            values = q.ppf(u)
            values.flags.writeable = False
            self._values[name] = (q, id(u), values)
            self.redrawn.append(name)
            out[name] = values
        return out


# =========================================================================== debouncing
class Debouncer:
    """Call ``fn`` once, ``delay_s`` after the last of a burst of triggers.

    Runs on the asyncio loop of the kernel (JupyterLab, Voilà); where no loop is running
    (scripts, tests) or ``delay_s`` is 0, ``fn`` runs at once.
    """

    def __init__(self, fn: Callable[[], Any], delay_s: float, on_error: Callable[[BaseException], Any] | None = None):
        self.fn = fn
        self.delay_s = float(delay_s)
        self.on_error = on_error
        self._handle: asyncio.TimerHandle | None = None
        self.calls = 0

    def _run(self) -> None:
        self._handle = None
        self.calls += 1
        try:
            self.fn()
        except Exception as exc:  # shown in the panel: a callback on the loop has no caller
            if self.on_error is None:
                raise
            self.on_error(exc)

    def trigger(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        loop = None
        if self.delay_s > 0:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
        if loop is None:
            self._run()
        else:
            self._handle = loop.call_later(self.delay_s, self._run)

    @property
    def pending(self) -> bool:
        return self._handle is not None


# =========================================================================== the explorer
@dataclass
class Pin:
    """A pinned state: its overrides and its result (same trials as the baseline)."""

    label: str
    overrides: dict[str, Any]
    result: engine.Result


@dataclass
class _Session:
    use_case_id: str
    scenario: str | None
    assumptions: Any
    base: UseCase
    file_values: dict[str, Any]
    specs: dict[str, ControlSpec]
    scenario_overrides: dict[str, Any]
    fx_factor: float
    baseline: engine.Result | None = None
    parsed: dict[tuple[str, str], Any] = field(default_factory=dict)


class Explorer:
    """The explorer panel's state and logic (the widgets are in :attr:`widget`).

    Parameters
    ----------
    use_case : str
        Use-case id (a file in ``assumptions/use_cases``).
    scenario : str or None
        Scenario overlay applied first (a file in ``assumptions/scenarios``); None or
        ``"(none)"`` for the files as they are.
    root : path, optional
        The assumptions folder (default: the project's).
    n : int
        Monte Carlo trials per update.
    seed : int
        Seed; every state of the panel uses the same trials (paired comparisons).
    debounce_s, chart_debounce_s : float
        Pause after the last change before the KPIs [s] and the charts [s] are refreshed
        (0: at once).
    charts : bool
        Draw the charts (cost stack, cost per outcome against value, tornado).
    tornado_kpi : str
        KPI of the tornado chart.
    """

    def __init__(
        self,
        use_case: str = "support-copilot",
        scenario: str | None = "baseline",
        *,
        root: str | Path | None = None,
        n: int = 10_000,
        seed: int = 0,
        debounce_s: float = 0.15,
        chart_debounce_s: float = 0.6,
        charts: bool = True,
        tornado_kpi: str = "avg_monthly_cost",
    ):
        if n < 1:
            raise FinopsError(f"expected n ≥ 1 trials, found {n}")
        self.root = Path(root) if root is not None else ASSUMPTIONS_DIR
        self.n = int(n)
        self.seed = seed
        self.charts_enabled = charts
        self.tornado_kpi = tornado_kpi
        self.cache = DrawCache(self.n, seed)
        self.overrides: dict[str, Any] = {}
        self.pinned: Pin | None = None
        self.messages: list[str] = []
        self._listeners: list[Callable[[str], Any]] = []
        self._ui: _Panel | None = None
        self._kpi_debounce = Debouncer(self.update, debounce_s, self._show_error)
        self._chart_debounce = Debouncer(self.refresh_charts, chart_debounce_s, self._show_error)
        self.chart_html: dict[str, str] = {}
        self.tornado_note = ""
        self.load(use_case, scenario)

    # ------------------------------------------------------------------ loading
    @property
    def scenario_names(self) -> list[str]:
        """Scenario files available under ``root/scenarios``."""
        return sorted(p.stem for p in (self.root / "scenarios").glob("*.yaml"))

    @property
    def use_case_ids(self) -> list[str]:
        return sorted(self._all_ids)

    def load(self, use_case: str, scenario: str | None = "baseline") -> None:
        """Start over on a use case under a scenario (clears changes and the pin)."""
        scenario = None if scenario in (None, "", _NO_SCENARIO) else scenario
        scen = (scenario,) if scenario else ()
        a = load_assumptions(self.root, scen, use_cases=[use_case])
        self._all_ids = sorted(str(p.stem) for p in (self.root / "use_cases").glob("*.yaml"))
        base = a.use_cases[use_case]
        assert base.org is not None
        currency = base.currency or base.org.currency
        factor = 1.0 if currency == "USD" else 1.0 / a.fx.rates[currency].per_usd
        specs = {s.path: s for s in control_specs(base, a.catalog)}
        raw = a.raw["use_cases"][use_case]
        file_values = {p: self._file_value(raw, base, p) for p in specs}
        sc_over: dict[str, Any] = {}
        if scenario:
            sc, _ = load_scenario(self.root / "scenarios" / f"{scenario}.yaml")
            sc_over = {str(k): v for k, v in sc.overrides.items() if str(k).partition(".")[0] in (use_case, "*")}
        self.session = _Session(use_case, scenario, a, base, file_values, specs, sc_over, factor)
        self.overrides = {}
        self.pinned = None
        self.use_case = base
        self.result = self._evaluate(base)
        self.session.baseline = self.result
        self.messages = []
        self._notify("load")
        if self.charts_enabled:
            self._chart_debounce.trigger()

    @staticmethod
    def _file_value(raw: Mapping[str, Any], base: UseCase, path: str) -> Any:
        """The value as written in the file (under the scenario), else the schema's default."""
        node: Any = raw
        for seg in path.split("."):
            if not isinstance(node, Mapping) or seg not in node:
                value = get_path(base, path)
                return value.to_yaml() if isinstance(value, Uncertain) else value
            node = node[seg]
        return copy.deepcopy(node)

    # ------------------------------------------------------------------ changing values
    @property
    def controls(self) -> dict[str, ControlSpec]:
        """The controls by field path."""
        return self.session.specs

    def spec(self, path: str) -> ControlSpec:
        try:
            return self.session.specs[path]
        except KeyError:
            raise FinopsError(
                f"expected a control of use case {self.session.use_case_id}, found {path!r}{did_you_mean(path, self.session.specs)}"
            ) from None

    def value(self, path: str) -> Any:
        """The current value of a control, as written in YAML (file currency for money)."""
        return self.overrides.get(path, self.session.file_values[self.spec(path).path])

    def file_value(self, path: str) -> Any:
        """The value of a control in the files (under the panel's scenario)."""
        return self.session.file_values[self.spec(path).path]

    def _parsed(self, path: str, value: Any) -> Any:
        """The model's value for a control's YAML value (parsed; money converted to USD)."""
        s = self.spec(path)
        key = (path, repr(value))
        hit = self.session.parsed.get(key)
        if hit is not None:
            return hit
        if s.kind == "model":
            if not isinstance(value, str):
                raise FinopsError(f"{path}: expected a catalog model id, found {value!r}")
            try:
                self.session.assumptions.catalog.price(value)
            except CatalogError:
                raise FinopsError(f"{path}: expected a model in the price catalog, found {value!r}{did_you_mean(value, s.choices)}") from None
            out: Any = value
        elif s.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int | float) or float(value) != int(value):
                raise FinopsError(f"{path}: expected a whole number, found {value!r}")
            if not s.bounds[0] <= value <= s.bounds[1]:
                raise FinopsError(f"{path}: expected a whole number in [{s.bounds[0]:g}, {s.bounds[1]:g}], found {value}")
            out = int(value)
        else:
            try:
                out = parse(value, s.kind)
            except SpecError as exc:
                raise FinopsError(f"{path}: {exc}") from None
            if s.money and self.session.fx_factor != 1.0:
                out = out.scaled(self.session.fx_factor)
        self.session.parsed[key] = out
        return out

    def stage(self, path: str, value: Any) -> None:
        """Record a new value for a control without recomputing (see :meth:`update`).

        Raises
        ------
        FinopsError
            The value does not fit the field ("expected …, found …").
        """
        s = self.spec(path)
        parsed = self._parsed(path, value)
        if s.path.endswith(("cached_prompt_share", "cache_write_share")) and isinstance(parsed, Uncertain) and parsed.is_constant:
            other = s.path.rsplit(".", 1)[0] + (".cache_write_share" if s.path.endswith("cached_prompt_share") else ".cached_prompt_share")
            q = get_path(self.use_case, other)
            if q.is_constant and parsed.median + q.median > 1:
                raise FinopsError(f"{path}: expected cached_prompt_share + cache_write_share ≤ 1, found {parsed.median + q.median:g}")
        if value == self.session.file_values[path] and type(value) is type(self.session.file_values[path]):
            self.overrides.pop(path, None)
        else:
            self.overrides[path] = value
        self.use_case = self._build(self.overrides)
        self._notify(f"stage:{path}")

    def set(self, path: str, value: Any) -> engine.Result:
        """Set a control and recompute at once; returns the new result."""
        self.stage(path, value)
        self.update()
        return self.result

    def set_centre(self, path: str, centre: float) -> engine.Result:
        """Move a control's centre (median) keeping its spread (:func:`recentre`), as its slider does."""
        s = self.spec(path)
        value = recentre(self.value(path), s.kind, centre) if s.kind != "model" else centre
        return self.set(path, value)

    def reset(self, path: str | None = None) -> None:
        """Return one control (or every control) to the file's value, and recompute."""
        if path is None:
            self.overrides = {}
        else:
            self.overrides.pop(self.spec(path).path, None)
        self.use_case = self._build(self.overrides)
        self._notify("reset")
        self.update()

    def _build(self, overrides: Mapping[str, Any]) -> UseCase:
        uc = self.session.base
        for path, value in overrides.items():
            uc = replace_path(uc, path, self._parsed(path, value))
        keep = [c for c in uc.correlations if not any(get_path(uc, p).is_constant for p in c.between)]
        if len(keep) != len(uc.correlations):
            uc = uc.model_copy(update={"correlations": keep})
        return uc

    @property
    def dropped_correlations(self) -> list[tuple[str, str]]:
        """Correlations of the file dropped because one of their inputs was set to a constant."""
        now = {tuple(c.between) for c in self.use_case.correlations}
        return [tuple(c.between) for c in self.session.base.correlations if tuple(c.between) not in now]  # type: ignore[misc]

    # ------------------------------------------------------------------ computing
    def _evaluate(self, uc: UseCase) -> engine.Result:
        catalog = self.session.assumptions.catalog
        spec = engine.evaluation_spec(uc, catalog)
        draws = self.cache.draws(spec)
        result = engine.evaluate(uc, draws, catalog, self.n)
        result.seed = self.seed
        result.method = "mc"
        return result

    def update(self) -> None:
        """Recompute the KPIs for the current values (then, debounced, the charts)."""
        self.result = self._evaluate(self.use_case)
        self._notify("result")
        if self.charts_enabled:
            self._chart_debounce.trigger()

    def schedule_update(self) -> None:
        """Recompute after ``debounce_s`` without a further change (what the controls call)."""
        self._kpi_debounce.trigger()

    @property
    def baseline(self) -> engine.Result:
        """The result with the files' values (under the panel's scenario), same trials."""
        assert self.session.baseline is not None
        return self.session.baseline

    def kpi_table(self, result: engine.Result | None = None, kpis: tuple[str, ...] = PANEL_KPIS) -> pd.DataFrame:
        """Mean, p5, p50, p95 of the panel's KPIs [units in ``unit``] (USD for money)."""
        return summarise(result or self.result, kpis)

    def kpi_text(self, result: engine.Result | None = None) -> str:
        """The KPI lines the panel shows, as plain text (``Monthly cost: 12,345 USD/month …``)."""
        lines = []
        for r in self.kpi_table(result).itertuples(index=False):
            lines.append(f"{_LABELS.get(r.kpi, r.kpi)}: {_kpi_value(r)}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ pin and compare
    def pin(self, label: str | None = None) -> Pin:
        """Pin the current state to compare it with the baseline (and with later changes)."""
        self.pinned = Pin(label or f"pinned ({len(self.overrides)} change{'s' if len(self.overrides) != 1 else ''})",
                          dict(self.overrides), self.result)
        self._notify("pin")
        if self.charts_enabled:
            self._chart_debounce.trigger()
        return self.pinned

    def unpin(self) -> None:
        self.pinned = None
        self._notify("pin")

    def comparison(self, kpis: tuple[str, ...] = COMPARE_KPIS) -> pd.DataFrame:
        """The pinned state beside the baseline and the current state, paired trial by trial.

        Returns
        -------
        pandas.DataFrame
            ``kpi, unit, baseline, pinned, current`` (means) [KPI unit], ``change`` (mean of
            the per-trial difference pinned − baseline), ``change_p5, change_p95`` (its 5th and
            95th percentiles), ``share_lower`` (share of trials where pinned < baseline)
            [fraction]; with no pin, ``pinned`` and the changes compare the current state.
        """
        base = self.baseline
        other = self.pinned.result if self.pinned is not None else self.result
        rows = []
        for k in kpis:
            b, p, c = base.kpis[k], other.kpis[k], self.result.kpis[k]
            d = p - b
            ok = np.isfinite(d)
            rows.append({
                "kpi": k, "unit": KPI_UNITS.get(k, ""),
                "baseline": float(np.nanmean(b)) if np.isfinite(b).any() else math.nan,
                "pinned": float(np.nanmean(p)) if np.isfinite(p).any() else math.nan,
                "current": float(np.nanmean(c)) if np.isfinite(c).any() else math.nan,
                "change": float(d[ok].mean()) if ok.any() else math.nan,
                "change_p5": float(np.percentile(d[ok], 5)) if ok.any() else math.nan,
                "change_p95": float(np.percentile(d[ok], 95)) if ok.any() else math.nan,
                "share_lower": float((d[ok] < 0).mean()) if ok.any() else math.nan,
            })
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ saving
    def scenario_document(self, name: str, description: str = "") -> dict[str, Any]:
        """The scenario overlay the panel would save: the starting scenario's overrides for this
        use case, then the changed fields (and the correlations left, if any were dropped)."""
        uc = self.session.use_case_id
        over: dict[str, Any] = dict(self.session.scenario_overrides)
        for path, value in self.overrides.items():
            over[f"{uc}.{path}"] = value
        if self.dropped_correlations:
            over[f"{uc}.correlations"] = [
                {"between": list(c.between), "rank": c.rank} for c in self.use_case.correlations
            ]
        start = f"scenario {self.session.scenario!r}" if self.session.scenario else "the files as they are"
        text = description.strip() or f"Saved from the explorer: {len(self.overrides)} change(s) to {uc} on top of {start}."
        return {"name": name, "description": text, "overrides": over}

    def save_scenario(self, name: str, description: str = "", overwrite: bool = False) -> Path:
        """Write the changed fields as ``<root>/scenarios/<name>.yaml`` (validated, atomic).

        Raises
        ------
        FinopsError
            Bad name, nothing changed, or the file exists and ``overwrite`` is False.
        AssumptionError
            The overlay does not validate (nothing is written).
        """
        if not isinstance(name, str) or not _SLUG.match(name):
            raise FinopsError(f"scenario name: expected a slug (lower-case letters, digits, '-' or '_'), found {name!r}")
        if not self.overrides:
            raise FinopsError("save as scenario: expected at least one changed control, found none (every control has the file's value)")
        folder = self.root / "scenarios"
        target = folder / f"{name}.yaml"
        if target.exists() and not overwrite:
            raise FinopsError(
                f"{target}: expected a new scenario name, found an existing file; tick 'overwrite' "
                "(overwrite=True) to replace it"
            )
        doc = self.scenario_document(name, description)
        self._validate_document(doc, str(target))
        header = (
            f"# Saved from the explorer (finops_model.widgets) on {_dt.date.today().isoformat()}: use case "
            f"{self.session.use_case_id}, started from {self.session.scenario or 'no scenario'}, seed {self.seed}, "
            f"{self.n:,} trials.\n# Reproduce: load_assumptions(root, [{name!r}]) then engine.simulate(…, "
            f"n={self.n}, seed={self.seed}); or finops validate {target.name}.\n"
        )
        if self.dropped_correlations:
            header += "# Correlations dropped because an input was set to a fixed value: " + "; ".join(" ~ ".join(c) for c in self.dropped_correlations) + "\n"
        text = header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=None, width=10_000)
        write_atomic(target, text, overwrite=overwrite)
        self.messages.append(f"saved {target}")
        self._notify("saved")
        return target

    def _validate_document(self, doc: Mapping[str, Any], file: str) -> None:
        a = self.session.assumptions
        uc_id = self.session.use_case_id
        sc = Scenario.model_validate(doc)
        from finops_model.util import yamlio

        raw_file = yamlio.load(a.files[uc_id])
        raw = apply_scenario({uc_id: raw_file}, sc, file)[uc_id]
        build_use_case(raw, a.raw["org"], a.fx, a.catalog, f"{file} (use case {uc_id})")

    # ------------------------------------------------------------------ charts
    def refresh_charts(self) -> dict[str, str]:
        """Draw the charts as offline HTML (static SVG): cost stack, cost per outcome against
        value per outcome, tornado of :attr:`tornado_kpi`."""
        from finops_model.reports.charts import (
            chart_html,
            cost_stack_chart,
            distribution_chart,
            histogram_frame,
        )
        from finops_model.uncertainty.sensitivity import tornado, tornado_chart, use_case_model

        r = self.result
        out = {"cost_stack": chart_html(cost_stack_chart(r, "Monthly cost by layer [USD/month, mean]"))}
        frames = [histogram_frame(r.kpis["cost_per_outcome"], label="cost per outcome")]
        if self.pinned is not None:
            frames.append(histogram_frame(self.pinned.result.kpis["cost_per_outcome"], label="cost per outcome (pinned)"))
        frames.append(histogram_frame(r.kpis["value_per_outcome"], label="value per outcome"))
        markers = {"mean cost": float(np.nanmean(r.kpis["cost_per_outcome"])), "mean value": float(np.nanmean(r.kpis["value_per_outcome"]))}
        out["outcome"] = chart_html(distribution_chart(pd.concat(frames, ignore_index=True),
                                                       "Cost per outcome against value per outcome", "USD/outcome", markers))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                df = tornado(use_case_model(self.use_case, self.session.assumptions.catalog), [self.tornado_kpi])
                out["tornado"] = chart_html(tornado_chart(df, self.tornado_kpi, top=12))
            except FinopsError as exc:
                out["tornado"] = f"<p>No tornado: {exc}</p>"
        self.tornado_note = "; ".join(str(w.message) for w in caught)
        self.chart_html = out
        self._notify("charts")
        return out

    # ------------------------------------------------------------------ widgets
    @property
    def widget(self) -> Any:
        """The panel (an ``ipywidgets.VBox``), built on first use."""
        if self._ui is None:
            self._ui = _Panel(self)
        return self._ui.root

    @property
    def panel(self) -> _Panel:
        self.widget  # noqa: B018 - builds the panel
        assert self._ui is not None
        return self._ui

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    def on_change(self, fn: Callable[[str], Any]) -> None:
        """Call ``fn(event)`` after each change of state (load, stage, result, pin, charts…)."""
        self._listeners.append(fn)

    def _notify(self, event: str) -> None:
        for fn in list(self._listeners):
            fn(event)

    def _show_error(self, exc: BaseException) -> None:
        self.messages.append(f"error: {exc}")
        self._notify("error")


def _kpi_value(r: Any) -> str:
    if str(r.note).startswith("undefined"):
        return f"undefined ({r.note})"
    if r.kpi == "viable":
        return f"{r.mean:.0%} of trials"
    unit = "" if r.unit == "fraction" else f" {r.unit}"
    return f"{format_value(r.mean, r.unit)}{unit} (p5 {format_value(r.p5, r.unit)} – p95 {format_value(r.p95, r.unit)})"


def _range_text(q: Any, unit: str) -> str:
    if not isinstance(q, Uncertain):
        return ""
    if q.is_constant:
        return f"fixed at {format_value(q.median, unit)} {unit}"
    return f"p5–p95: {format_value(q.quantile(0.05), unit)} – {format_value(q.quantile(0.95), unit)} {unit}"


class _ControlWidget:
    """A slider (or a model menu), a text box with the value in the assumptions language and
    the range it stands for."""

    def __init__(self, panel: _Panel, spec: ControlSpec):
        import ipywidgets as w

        self.panel = panel
        self.spec = spec
        ex = panel.ex
        layout_label = w.Layout(width="210px")
        self.label = w.HTML(f"<span title='{spec.path} [{spec.unit}]'>{spec.label}</span>", layout=layout_label)
        self.range = w.HTML(layout=w.Layout(width="280px"))
        self.text = w.Text(continuous_update=False, layout=w.Layout(width="190px"),
                           tooltip=f"{spec.path}: a number or a distribution, e.g. 80 to 200")
        self.text.add_class("finops-text")
        if spec.kind == "model":
            self.slider = w.Dropdown(options=list(spec.choices) or [ex.value(spec.path)], layout=w.Layout(width="260px"))
        elif spec.kind == "int":
            lo = int(max(spec.bounds[0], 0))
            hi = int(min(spec.bounds[1], max(_nice_ceiling(3 * max(ex.value(spec.path), 1)), lo + 1)))
            self.slider = w.IntSlider(min=lo, max=hi, continuous_update=True, layout=w.Layout(width="260px"))
        else:
            self.slider = w.FloatSlider(continuous_update=True, readout_format=".4g", layout=w.Layout(width="260px"))
            self._set_slider_bounds()
        self.slider.add_class("finops-slider")
        self.slider.add_class("finops-" + spec.path.replace(".", "-").replace("_", "-"))
        self.text.add_class("finops-text-" + spec.path.replace(".", "-").replace("_", "-"))
        self.box = w.HBox([self.label, self.slider, self.text, self.range])
        self._syncing = False
        self.sync()
        self.slider.observe(self._on_slider, names="value")
        self.text.observe(self._on_text, names="value")

    def _current(self) -> Any:
        return self.panel.ex._parsed(self.spec.path, self.panel.ex.value(self.spec.path))

    def _file_units(self, q: Uncertain) -> Uncertain:
        return Uncertain(q.kind, q.params, q.text) if q.scale != 1.0 else q

    def _set_slider_bounds(self) -> None:
        s = self.spec
        q = self._file_units(self.panel.ex._parsed(s.path, self.panel.ex.file_value(s.path)))
        cur = self._file_units(self._current())
        if s.kind == "fraction":
            lo, hi = 0.0, 1.0
        else:
            top = max(q.quantile(0.95), cur.quantile(0.95), abs(q.median), 1e-9)
            hi = _nice_ceiling(2.5 * top)
            lo = 0.0 if s.kind == "nonneg" else -hi
        step = (hi - lo) / 500
        step = float(f"{step:.1g}")
        if self.slider.max < lo:
            self.slider.max = hi
            self.slider.min = lo
        else:
            self.slider.min = lo
            self.slider.max = hi
        self.slider.step = step

    def sync(self) -> None:
        """Show the explorer's current value (no event back to the explorer)."""
        ex = self.panel.ex
        s = self.spec
        value = ex.value(s.path)
        self._syncing = True
        try:
            self.text.value = display_value(value)
            if s.kind == "model":
                if value not in self.slider.options:
                    self.slider.options = [*self.slider.options, value]
                self.slider.value = value
                self.range.value = self._status("")
            elif s.kind == "int":
                if value > self.slider.max:
                    self.slider.max = int(value)
                self.slider.value = int(value)
                self.range.value = self._status(f"{value} {s.unit}")
            else:
                q = self._file_units(self._current())
                med = q.median
                if med > self.slider.max or med < self.slider.min:
                    self._set_slider_bounds()
                    if med > self.slider.max:
                        self.slider.max = _nice_ceiling(med * 1.5)
                self.slider.value = med
                self.range.value = self._status(_range_text(q, s.unit))
        finally:
            self._syncing = False

    def _status(self, text: str) -> str:
        changed = self.spec.path in self.panel.ex.overrides
        mark = (f" <b style='color:#c0392b' title='file: {display_value(self.panel.ex.file_value(self.spec.path))}'>●</b>"
                if changed else "")
        return f"<span style='font-size:90%;color:#555'>{text}</span>{mark}"

    def _on_slider(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        ex = self.panel.ex
        s = self.spec
        if s.kind not in ("model", "int"):
            # the browser snaps the slider to its step and sends the snapped value back: a move
            # within half a step of the current centre is that echo, not a change
            centre = self._file_units(self._current()).median
            if abs(float(change["new"]) - centre) <= 0.5 * float(self.slider.step) * (1 + 1e-9):
                return
        try:
            value = change["new"] if s.kind in ("model", "int") else recentre(ex.value(s.path), s.kind, float(change["new"]))
            ex.stage(s.path, value)
        except (FinopsError, AssumptionError) as exc:
            self.panel.message(f"error: {exc}")
            self.sync()
            return
        self.sync()
        ex.schedule_update()

    def _on_text(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        ex = self.panel.ex
        try:
            value = parse_text(change["new"]) if self.spec.kind != "model" else change["new"].strip()
            ex.stage(self.spec.path, value)
        except (FinopsError, AssumptionError) as exc:
            self.panel.message(f"error: {exc}")
            self.sync()
            return
        self.sync()
        ex.schedule_update()


class _Panel:
    """The ipywidgets of an :class:`Explorer`."""

    def __init__(self, ex: Explorer):
        import ipywidgets as w

        self.ex = ex
        self.w = w
        s = ex.session
        self.use_case = w.Dropdown(options=ex.use_case_ids, value=s.use_case_id, description="Use case", layout=w.Layout(width="360px"))
        self.scenario = w.Dropdown(options=[_NO_SCENARIO, *ex.scenario_names], value=s.scenario or _NO_SCENARIO,
                                   description="Scenario", layout=w.Layout(width="300px"))
        self.info = w.HTML()
        self.kpis = w.HTML()
        self.kpis.add_class("finops-kpis")
        self.compare = w.HTML()
        self.compare.add_class("finops-compare")
        self.msg = w.HTML()
        self.msg.add_class("finops-message")
        self.pin_button = w.Button(description="Pin", icon="thumb-tack", tooltip="pin the current state to compare it with the baseline")
        self.unpin_button = w.Button(description="Unpin")
        self.reset_button = w.Button(description="Reset all", icon="undo", tooltip="return every control to the file's value")
        self.save_name = w.Text(placeholder="scenario name (slug)", layout=w.Layout(width="200px"))
        self.save_desc = w.Text(placeholder="description", layout=w.Layout(width="300px"))
        self.overwrite = w.Checkbox(value=False, description="overwrite an existing file", indent=False)
        self.save_button = w.Button(description="Save as scenario", icon="save", button_style="primary")
        self.tornado_kpi = w.Dropdown(options=list(TORNADO_KPIS), value=ex.tornado_kpi, description="Tornado KPI")
        self.chart_boxes = {k: w.HTML() for k in ("cost_stack", "outcome", "tornado")}
        self.tornado_note = w.HTML()
        self.controls: dict[str, _ControlWidget] = {}
        self.accordion = w.Accordion()
        self.root = w.VBox([
            w.HBox([self.use_case, self.scenario, self.info]),
            w.HBox([
                w.VBox([w.HTML("<b>Assumptions</b> (slider: centre of the range; box: any value, e.g. <code>80 to 200</code>)"),
                        self.accordion], layout=w.Layout(width="980px")),
                w.VBox([self.kpis, self.compare], layout=w.Layout(width="520px")),
            ]),
            w.HBox([self.pin_button, self.unpin_button, self.reset_button]),
            w.HBox([self.save_name, self.save_desc, self.overwrite, self.save_button]),
            self.msg,
            w.HBox([self.chart_boxes["cost_stack"], self.chart_boxes["outcome"]]),
            self.tornado_kpi,
            self.chart_boxes["tornado"],
            self.tornado_note,
        ])
        self.root.add_class("finops-explorer")
        self._build_controls()
        self.use_case.observe(self._on_load, names="value")
        self.scenario.observe(self._on_load, names="value")
        self.pin_button.on_click(lambda _: self._guard(ex.pin))
        self.unpin_button.on_click(lambda _: self._guard(ex.unpin))
        self.reset_button.on_click(lambda _: self._guard(ex.reset))
        self.save_button.on_click(lambda _: self._guard(self._save))
        self.tornado_kpi.observe(self._on_tornado_kpi, names="value")
        ex.on_change(self._on_event)
        self.render_kpis()
        self.render_compare()
        self.render_charts()

    def _guard(self, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except (FinopsError, AssumptionError) as exc:
            self.message(f"error: {exc}")

    def message(self, text: str) -> None:
        color = "#c0392b" if text.startswith("error") else "#1e8449"
        self.msg.value = f"<div style='color:{color}'>{_esc(text)}</div>"

    def _build_controls(self) -> None:
        w = self.w
        groups: dict[str, list[Any]] = {}
        self.controls = {}
        for spec in self.ex.controls.values():
            cw = _ControlWidget(self, spec)
            self.controls[spec.path] = cw
            groups.setdefault(spec.group, []).append(cw.box)
        self.accordion.children = [w.VBox(v) for v in groups.values()]
        for i, g in enumerate(groups):
            self.accordion.set_title(i, g)
        self.accordion.selected_index = 0
        s = self.ex.session
        self.info.value = (f"<span style='color:#555'>&nbsp;{self.ex.n:,} trials, seed {self.ex.seed}; money in the KPIs in USD, "
                           f"in the controls in {s.base.currency or s.base.org.currency}</span>")  # type: ignore[union-attr]

    def _on_load(self, change: Mapping[str, Any]) -> None:
        try:
            self.ex.load(self.use_case.value, self.scenario.value)
        except (FinopsError, AssumptionError) as exc:
            self.message(f"error: {exc}")

    def _on_tornado_kpi(self, change: Mapping[str, Any]) -> None:
        self.ex.tornado_kpi = change["new"]
        if self.ex.charts_enabled:
            self.ex._chart_debounce.trigger()

    def _save(self) -> None:
        path = self.ex.save_scenario(self.save_name.value.strip(), self.save_desc.value, overwrite=self.overwrite.value)
        self.overwrite.value = False
        self.message(f"saved {path} — load it as scenario {path.stem!r}")

    def _on_event(self, event: str) -> None:
        if event == "load":
            self._build_controls()
            self.message("")
            self.render_kpis()
            self.render_compare()
        elif event == "reset":
            for cw in self.controls.values():
                cw.sync()
        elif event == "result":
            self.render_kpis()
            self.render_compare()
        elif event == "pin":
            self.render_compare()
        elif event == "charts":
            self.render_charts()
        elif event == "error":
            self.message(self.ex.messages[-1])

    def render_kpis(self) -> None:
        ex = self.ex
        rows = "".join(
            f"<tr><td>{_LABELS.get(r.kpi, r.kpi)}</td><td class='finops-kpi-{r.kpi}' style='text-align:right'>{_esc(_kpi_value(r))}</td></tr>"
            for r in ex.kpi_table().itertuples(index=False)
        )
        changes = len(ex.overrides)
        dropped = ex.dropped_correlations
        note = f"<div style='color:#7d6608'>correlation dropped (a fixed value): {_esc('; '.join(' ~ '.join(c) for c in dropped))}</div>" if dropped else ""
        self.kpis.value = (f"<b>KPIs</b> ({changes} change{'s' if changes != 1 else ''} from the files; mean and 90% range)"
                           f"<table class='finops-kpi-table'>{rows}</table>{note}")

    def render_compare(self) -> None:
        ex = self.ex
        if ex.pinned is None:
            self.compare.value = "<i>Pin a state to compare it with the baseline, trial by trial.</i>"
            return
        df = ex.comparison()
        head = "<tr><th>KPI</th><th>baseline</th><th>pinned</th><th>current</th><th>pinned − baseline (p5 – p95)</th><th>trials lower</th></tr>"
        body = "".join(
            f"<tr><td>{_LABELS.get(r.kpi, r.kpi)} [{r.unit}]</td><td>{format_value(r.baseline, r.unit)}</td>"
            f"<td>{format_value(r.pinned, r.unit)}</td><td>{format_value(r.current, r.unit)}</td>"
            f"<td>{'+' if r.change > 0 else ''}{format_value(r.change, r.unit)} ({format_value(r.change_p5, r.unit)} – {format_value(r.change_p95, r.unit)})</td>"
            f"<td>{format_value(r.share_lower, 'fraction')}</td></tr>"
            for r in df.itertuples(index=False)
        )
        self.compare.value = f"<b>Compare</b>: {_esc(ex.pinned.label)} against the baseline (same trials)<table>{head}{body}</table>"

    def render_charts(self) -> None:
        for k, box in self.chart_boxes.items():
            box.value = self.ex.chart_html.get(k, "<i>drawing…</i>" if self.ex.charts_enabled else "")
        self.tornado_note.value = f"<span style='font-size:85%;color:#7d6608'>{_esc(self.ex.tornado_note)}</span>" if self.ex.tornado_note else ""


def _esc(text: str) -> str:
    import html

    return html.escape(str(text))


def explore(
    use_case: str = "support-copilot",
    scenario: str | None = "baseline",
    *,
    trials: int = 10_000,
    seed: int = 0,
    root: str | Path | None = None,
    charts: bool = True,
) -> Explorer:
    """Build the explorer panel; a notebook cell that ends with this call displays it."""
    return Explorer(use_case, scenario, root=root, n=trials, seed=seed, charts=charts)


__all__ = [
    "ControlSpec", "DrawCache", "Debouncer", "Explorer", "Pin", "control_specs", "display_value",
    "explore", "field_info", "model_choices", "parse_text", "recentre",
]
