"""Goal seek on a simulated statistic: the input value at which a target on a KPI is just met.

Finance asks questions of the form "at what value per outcome is this viable with 90 %
confidence?" or "what is the largest volume at which the p80 monthly cost stays within the
budget?". Each is a root of ``statistic(x) − threshold`` where the statistic is computed over
Monte Carlo trials. The trials are drawn **once** and reused for every ``x`` (common random
numbers), so the statistic is a deterministic function of ``x`` and a bracketing root finder
(:func:`scipy.optimize.brentq`) converges instead of chasing noise.

Target grammar
--------------
::

    target     := statistic OP number
    statistic  := "P(" kpi OP (number | kpi) ")"      probability over trials
                | "mean(" kpi ")" | "median(" kpi ")"
                | "p" NN "(" kpi ")"                    percentile, e.g. p80, p95, p99.5
                | "sd(" kpi ")"                         standard deviation
    OP         := ">=" | "<=" | ">" | "<"
    number     := 50000 | 5e4 | 50_000 | 50,000 | 50k | 1.5M | 2B | 90%

Examples: ``P(npv>0)>=0.9``, ``P(npv > 0) >= 90%``, ``p80(avg_monthly_cost)<=50k``,
``mean(cost_per_outcome)<=2``, ``P(cost_per_outcome<value_per_outcome)>=0.8``,
``P(payback_month<=18)>=0.5``. KPI names are those of :data:`~finops_model.model.kpis.KPI_UNITS`.
In ``P(...)`` a trial where the KPI is undefined (e.g. it never pays back) does not satisfy the
condition; ``mean``/percentiles use the trials where the KPI is defined.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, field_validator
from scipy import optimize

from finops_model.errors import AssumptionError, FinopsError, Problem, did_you_mean
from finops_model.inputs.distributions import Method, Uncertain, sample
from finops_model.inputs.schema import UseCase
from finops_model.model.engine import evaluate
from finops_model.model.kpis import KPI_UNITS
from finops_model.uncertainty.precision import model_spec

Array = NDArray[np.float64]

Op = Literal[">=", "<=", ">", "<"]
Statistic = Literal["probability", "mean", "median", "percentile", "sd"]
_OPS: dict[str, Callable[[Any, Any], Any]] = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}

_NUM = r"[-+]?(?:\d[\d_,]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*[kKmMbB%]?"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_OP = r">=|<=|>|<"
_TARGET_RE = re.compile(
    rf"^\s*(?:(?P<prob>[Pp])\(\s*(?P<pk>{_NAME})\s*(?P<pop>{_OP})\s*(?P<prhs>{_NUM}|{_NAME})\s*\)"
    rf"|(?P<stat>mean|median|sd|p\d+(?:\.\d+)?)\(\s*(?P<sk>{_NAME})\s*\))"
    rf"\s*(?P<op>{_OP})\s*(?P<thr>{_NUM})\s*$"
)
_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "%": 0.01}

GRAMMAR_HELP = (
    "'P(kpi OP x) OP p', 'mean(kpi) OP x', 'median(kpi) OP x', 'pNN(kpi) OP x' or 'sd(kpi) OP x' "
    "with OP one of >=, <=, >, < (e.g. 'P(npv>0)>=0.9', 'p80(avg_monthly_cost)<=50k', 'mean(cost_per_outcome)<=2')"
)


def parse_number(text: str) -> float:
    """A number as written in a target: ``50000``, ``5e4``, ``50_000``, ``50,000``, ``50k``, ``1.5M``, ``90%``."""
    t = text.strip().replace("_", "").replace(",", "")
    factor = 1.0
    if t and t[-1].lower() in _SUFFIX:
        factor = _SUFFIX[t[-1].lower()]
        t = t[:-1].strip()
    try:
        return float(t) * factor
    except ValueError:
        raise FinopsError(f"expected a number, found {text!r}") from None


class Target(BaseModel):
    """A parsed goal-seek target (see the module docstring for the grammar).

    Attributes
    ----------
    text : str
        As written.
    statistic : {"probability", "mean", "median", "percentile", "sd"}
    kpi : str
    percentile : float or None [percent]
    inner_op, inner_rhs : for ``P(kpi OP rhs)``: the comparison and a number or another KPI
    op : str
        How the statistic must compare with ``threshold``.
    threshold : float [probability, or the KPI's unit]
    """

    model_config = ConfigDict(frozen=True)

    text: str
    statistic: Statistic
    kpi: str
    percentile: float | None = None
    inner_op: Op | None = None
    inner_rhs: float | str | None = None
    op: Op
    threshold: float

    @field_validator("kpi")
    @classmethod
    def _known_kpi(cls, v: str) -> str:
        if v not in KPI_UNITS:
            raise ValueError(f"expected a KPI among {', '.join(KPI_UNITS)}, found {v!r}{did_you_mean(v, KPI_UNITS)}")
        return v

    @property
    def unit(self) -> str:
        """Unit of the statistic [probability or the KPI's unit]."""
        return "probability" if self.statistic == "probability" else KPI_UNITS[self.kpi]

    def value(self, kpis: Mapping[str, Array]) -> float:
        """The statistic over per-trial KPIs [``unit``]; NaN when no trial defines it."""
        x = np.asarray(kpis[self.kpi], dtype=float)
        if self.statistic == "probability":
            assert self.inner_op is not None and self.inner_rhs is not None
            rhs = np.asarray(kpis[self.inner_rhs], float) if isinstance(self.inner_rhs, str) else self.inner_rhs
            with np.errstate(invalid="ignore"):
                hit = _OPS[self.inner_op](x, rhs) & np.isfinite(x)
            return float(hit.mean())
        v = x[np.isfinite(x)]
        if v.size == 0:
            return math.nan
        if self.statistic == "mean":
            return float(v.mean())
        if self.statistic == "median":
            return float(np.median(v))
        if self.statistic == "sd":
            return float(v.std(ddof=1)) if v.size > 1 else 0.0
        assert self.percentile is not None  # parse_target sets it whenever statistic is "percentile"
        return float(np.percentile(v, self.percentile))

    def met(self, value: float) -> bool:
        """Whether a statistic value meets the target."""
        return bool(math.isfinite(value) and _OPS[self.op](value, self.threshold))


def parse_target(text: str) -> Target:
    """Parse a target such as ``"P(npv>0)>=0.9"`` (grammar in the module docstring).

    Raises
    ------
    FinopsError
        Naming what was expected and what was found.
    """
    m = _TARGET_RE.match(text or "")
    if not m:
        raise FinopsError(f"--target: expected {GRAMMAR_HELP}, found {text!r}")
    try:
        if m["prob"]:
            rhs_text = m["prhs"].strip()
            rhs: float | str
            if rhs_text in KPI_UNITS:
                rhs = rhs_text
            else:
                try:
                    rhs = parse_number(rhs_text)
                except FinopsError:
                    raise FinopsError(f"--target: expected a number or a KPI after {m['pop']} in P(...), found {rhs_text!r}{did_you_mean(rhs_text, KPI_UNITS)}") from None
            thr = parse_number(m["thr"])
            if not 0 <= thr <= 1:
                raise FinopsError(f"--target: expected a probability in [0, 1] (or a percentage), found {m['thr']!r}")
            return Target(text=text.strip(), statistic="probability", kpi=m["pk"], inner_op=cast(Op, m["pop"]), inner_rhs=rhs, op=cast(Op, m["op"]), threshold=thr)
        stat = m["stat"]
        pct = None
        if stat.startswith("p"):
            pct = float(stat[1:])
            if not 0 <= pct <= 100:
                raise FinopsError(f"--target: expected a percentile p0…p100, found {stat!r}")
            stat = "percentile"
        return Target(text=text.strip(), statistic=cast(Statistic, stat), kpi=m["sk"], percentile=pct, op=cast(Op, m["op"]), threshold=parse_number(m["thr"]))
    except ValueError as exc:  # pydantic: unknown KPI
        msg = exc.errors()[0]["msg"] if hasattr(exc, "errors") else str(exc)
        raise FinopsError(f"--target: {msg.removeprefix('Value error, ')}") from None


# =========================================================================== the root finder
@dataclass(frozen=True)
class GoalSeekResult:
    """Where a target flips between met and not met.

    Attributes
    ----------
    field : str
        What was varied.
    target : str
    status : {"found", "met_everywhere", "not_reachable"}
    value : float or None
        The boundary [unit of the field]: the target holds for every tried value on the
        ``holds`` side of it (``"above"``: x ≥ value; ``"below"``: x ≤ value).
    holds : {"above", "below"} or None
    statistic : float or None
        The statistic at ``value`` [probability or KPI unit].
    low, high : float
        The bracket searched [unit of the field].
    statistic_low, statistic_high : float
        The statistic at the bracket ends.
    evaluations : int
        Model evaluations (each over all trials).
    trials, seed, method, mode, unit
    message : str
        One sentence for people.
    """

    field: str
    target: str
    status: str
    value: float | None
    holds: str | None
    statistic: float | None
    low: float
    high: float
    statistic_low: float
    statistic_high: float
    evaluations: int
    trials: int = 0
    seed: Any = None
    method: str = "mc"
    mode: str = "set"
    unit: str = ""
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def seek(
    statistic: Callable[[float], float],
    target: Target,
    low: float,
    high: float,
    xtol: float | None = None,
    field: str = "x",
    expand: bool = False,
    floor: float | None = None,
) -> GoalSeekResult:
    """Find where ``target`` flips as ``x`` goes from ``low`` to ``high`` (brentq).

    ``statistic(x)`` must be deterministic (common random numbers) and, for a unique answer,
    monotone in ``x``; probabilities and percentiles over a fixed sample are step functions and
    brentq then returns the step within ``xtol``. The answer is nudged to the side where the
    target holds. With ``expand`` the bracket grows tenfold (``high``, and ``low`` towards
    ``floor``) up to six times until the target flips inside it. This function is the hook for
    any model (e.g. a self-hosting TCO model varying an API price).
    """
    if not high > low:
        raise FinopsError(f"expected --low < --high, found low={low:g}, high={high:g}")
    count = 0

    def stat(x: float) -> float:
        nonlocal count
        count += 1
        return float(statistic(x))

    s_lo, s_hi = stat(low), stat(high)
    m_lo, m_hi = target.met(s_lo), target.met(s_hi)
    for _ in range(6 if expand else 0):
        if m_lo != m_hi:
            break
        new_low = low
        if floor is None or low > floor:
            new_low = low - 10 * (high - low) if floor is None else max(floor, low - 10 * (high - low))
        high = high * 10 if high > 0 else high + 10 * (high - low)
        s_hi = stat(high)
        m_hi = target.met(s_hi)
        if new_low != low:
            low = new_low
            s_lo = stat(low)
            m_lo = target.met(s_lo)
    base: dict[str, Any] = dict(field=field, target=target.text, low=low, high=high, statistic_low=s_lo, statistic_high=s_hi)
    if m_lo and m_hi:
        return GoalSeekResult(status="met_everywhere", value=None, holds=None, statistic=None, evaluations=count,
                              message=f"{target.text} holds across {field} = {low:g} … {high:g}; widen the range to find where it fails", **base)
    if not (m_lo or m_hi):
        return GoalSeekResult(status="not_reachable", value=None, holds=None, statistic=None, evaluations=count,
                              message=f"{target.text} holds nowhere in {field} = {low:g} … {high:g} (statistic from {s_lo:.6g} to {s_hi:.6g})", **base)
    if not (math.isfinite(s_lo) and math.isfinite(s_hi)):
        raise FinopsError(f"{target.text}: the statistic is undefined at an end of the range ({s_lo}, {s_hi})")
    xtol = xtol if xtol is not None else 1e-9 * (high - low)

    def f(x: float) -> float:
        s = stat(x)
        if not math.isfinite(s):
            raise FinopsError(f"{target.text}: the statistic is undefined at {field} = {x:g}")
        if s != target.threshold:
            return s - target.threshold
        # on a plateau exactly at the threshold (common with probabilities over a fixed sample)
        # give f the sign of its side, so brentq finds the step rather than any point of it
        return math.ulp(0.0) if target.op in (">=", "<") else -math.ulp(0.0)

    root = optimize.brentq(f, low, high, xtol=xtol, rtol=4 * np.finfo(float).eps, maxiter=200)
    direction = 1.0 if m_hi else -1.0
    x, step = root, xtol
    s = stat(x)
    while not target.met(s):
        x = min(max(x + direction * step, low), high)
        s = stat(x)
        step *= 2
    holds = "above" if m_hi else "below"
    word = "at least" if m_hi else "at most"
    return GoalSeekResult(status="found", value=float(x), holds=holds, statistic=s, evaluations=count,
                          message=f"{target.text} holds when {field} is {word} {x:.6g} (statistic {s:.6g} there)", **base)


# =========================================================================== on a use case
def field_unit(use_case: UseCase, path: str) -> str:
    """The unit of a field path from the schema (e.g. ``CUR/outcome`` → money in USD)."""
    obj: Any = use_case
    unit = ""
    for seg in path.split("."):
        if isinstance(obj, BaseModel):
            info = type(obj).model_fields.get(seg)
            extra = info.json_schema_extra if info is not None and isinstance(info.json_schema_extra, dict) else {}
            unit = str(extra.get("unit", unit))
            obj = getattr(obj, seg, None)
        elif isinstance(obj, Mapping):
            obj = obj.get(seg)
        else:
            break
    return unit.replace("CUR", "USD")


def _switch_to_value(use_case: UseCase) -> UseCase:
    """The use case with value per outcome as its value driver (minutes saved dropped)."""
    value = use_case.value.model_copy(update={"value_per_outcome": Uncertain.constant(1.0), "minutes_saved_per_outcome": None})
    return use_case.model_copy(update={"value": value})


def goal_seek(
    use_case: UseCase,
    catalog: Any,
    vary: str,
    target: str | Target,
    low: float | None = None,
    high: float | None = None,
    n: int = 10_000,
    seed: int | np.random.Generator | None = 0,
    method: Method = "mc",
    mode: Literal["set", "scale"] = "set",
    xtol: float | None = None,
) -> GoalSeekResult:
    """The value of input ``vary`` at which ``target`` is just met, under common random numbers.

    Parameters
    ----------
    vary : str
        Field path of a numeric input (e.g. ``value.value_per_outcome``,
        ``volume.active_users``). ``value.value_per_outcome`` may be sought for a use case
        valued by minutes saved: its value driver is switched to value per outcome.
    target : str or Target
        See the module docstring.
    low, high : float, optional
        The range searched [unit of the field, or a multiplier with ``mode="scale"``]. By
        default: 0 to 10× the input's median (fractions: 0 to 1; scale: 0 to 10), widened
        tenfold up to six times until the target flips inside.
    n : int [trials]
    mode : {"set", "scale"}
        ``set``: every trial uses the same value x (a decision variable); ``scale``: each
        trial's draw is multiplied by x (keeps the input's uncertainty).
    """
    tgt = target if isinstance(target, Target) else parse_target(target)
    uc = use_case
    if vary == "value.value_per_outcome" and uc.value.value_per_outcome is None:
        uc = _switch_to_value(uc)
    spec = model_spec(uc, catalog)
    if vary not in spec.inputs:
        from finops_model.inputs.assumptions import sample_spec

        every = sample_spec(uc).inputs
        why = "an input this use case's model reads" if vary in every else "a numeric input field path"
        raise AssumptionError(Problem(f"use case {uc.id}", vary, f"expected {why}, found {vary!r}{did_you_mean(vary, list(spec.inputs))}"))
    if mode not in ("set", "scale"):
        raise FinopsError(f"expected mode 'set' or 'scale', found {mode!r}")
    unit = field_unit(uc, vary) if mode == "set" else "multiplier"
    draws = sample(spec, n, seed, method)
    base_draw = draws[vary]

    def statistic(x: float) -> float:
        d = dict(draws)
        d[vary] = x if mode == "set" else np.asarray(base_draw) * x
        return tgt.value(evaluate(uc, d, catalog, n).kpis)

    q = spec.inputs[vary]
    is_fraction = unit == "fraction"
    expand = low is None and high is None and not is_fraction
    if low is None:
        low = 0.0
    if high is None:
        high = 1.0 if is_fraction else (10.0 if mode == "scale" else max(10 * abs(q.median), 1.0))
    res = seek(statistic, tgt, float(low), float(high), xtol, vary, expand=expand, floor=0.0)
    return GoalSeekResult(**{**asdict(res), "trials": n, "seed": seed if isinstance(seed, int | None) else str(seed),
                             "method": method, "mode": mode, "unit": unit})
