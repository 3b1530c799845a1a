"""Uncertain quantities: the numeric input language of the assumptions files.

Any numeric input is either a plain number or an uncertain quantity. The forms accepted in
YAML (see README, "Writing uncertain inputs"):

=====================================  =====================================================
YAML                                   meaning
=====================================  =====================================================
``120``                                a constant
``"80 to 200"``                        lognormal with 5th/95th percentiles 80 and 200
                                       (normal where the low end is ≤ 0; a beta fitted to
                                       the same percentiles in a fraction field)
``{lognormal: {p5: a, p95: b}}``       lognormal by percentiles; also ``{median, p95}``
``{normal: {mean, sd, low?, high?}}``  normal, truncated to [low, high] when given
``{uniform: [low, high]}``             uniform
``{triangular: [low, mode, high]}``    triangular
``{pert: [min, mode, max]}``           PERT (beta with λ = 4)
``{beta: {p5, p95}}``                  beta fitted to percentiles; also ``{mean, sd}`` or
                                       ``{mean, concentration}``
``{discrete: {values, weights}}``      discrete values with weights
``{poisson: mean}``                    Poisson count
``{negbinom: {mean, dispersion}}``     negative binomial count (variance = m + m²/k)
``{metalog: {p10, p50, p90}}``         three-term metalog through three percentiles;
                                       ``lower: L`` makes it log-metalog bounded below
=====================================  =====================================================

Every :class:`Uncertain` is sampled through its quantile function, so correlation (Gaussian
copula on the uniforms) and quasi-random designs (Latin hypercube, Sobol) apply to all forms
without distorting the marginals.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, Literal

import numpy as np
from scipy import optimize, special, stats
from scipy.stats import qmc

#: Points of the tabulated quantile functions (beta family).
_TABLE_POINTS = 16_385
#: The table spans logit(u) in [-L, L] (u from 2e-16 to 1 - 2e-16).
_TABLE_LOGIT = 36.0
_TABLE_STEP = 2 * _TABLE_LOGIT / (_TABLE_POINTS - 1)
#: Widest count support tabulated for exact inversion by search [values].
_MAX_COUNT_TABLE = 200_000

#: z such that Φ(z) = 0.95
Z95 = float(stats.norm.ppf(0.95))

Kind = Literal[
    "constant",
    "lognormal",
    "normal",
    "uniform",
    "triangular",
    "pert",
    "beta",
    "discrete",
    "poisson",
    "negbinom",
    "metalog",
]

_RANGE_RE = re.compile(
    r"^\s*(?P<a>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s+to\s+"
    r"(?P<b>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s*$"
)


class SpecError(ValueError):
    """An uncertain quantity is malformed; the message says what was expected and found."""


@dataclass(frozen=True, eq=True)
class Uncertain:
    """A scalar input that may be uncertain.

    Attributes
    ----------
    kind : str
        Distribution family (``constant``, ``lognormal``, ``normal``, …).
    params : tuple of (name, value)
        Parameters of the family in the workbench's own parameterisation (see ``describe``).
    text : str
        How the user wrote it, for display and for writing it back.
    scale : float
        Multiplier applied to every draw (used for currency conversion) [dimensionless].
    """

    kind: Kind
    params: tuple[tuple[str, Any], ...]
    text: str = ""
    scale: float = 1.0

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def constant(cls, value: float, text: str | None = None) -> Uncertain:
        return cls("constant", (("value", float(value)),), text if text is not None else repr(value))

    @property
    def p(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def is_constant(self) -> bool:
        return self.kind == "constant"

    def scaled(self, factor: float) -> Uncertain:
        """The same quantity multiplied by ``factor`` (e.g. an FX rate)."""
        return Uncertain(self.kind, self.params, self.text, self.scale * float(factor))

    def with_text(self, text: str) -> Uncertain:
        return Uncertain(self.kind, self.params, text, self.scale)

    # ------------------------------------------------------------------ distribution
    @cached_property
    def _frozen(self) -> Any:
        p = self.p
        k = self.kind
        if k == "lognormal":
            return stats.lognorm(s=p["sigma"], scale=math.exp(p["mu"]))
        if k == "normal":
            lo, hi = p.get("low", -math.inf), p.get("high", math.inf)
            if math.isinf(lo) and math.isinf(hi):
                return stats.norm(loc=p["mean"], scale=p["sd"])
            a, b = (lo - p["mean"]) / p["sd"], (hi - p["mean"]) / p["sd"]
            return stats.truncnorm(a, b, loc=p["mean"], scale=p["sd"])
        if k == "uniform":
            return stats.uniform(loc=p["low"], scale=p["high"] - p["low"])
        if k == "triangular":
            width = p["high"] - p["low"]
            c = (p["mode"] - p["low"]) / width if width > 0 else 0.5
            return stats.triang(c, loc=p["low"], scale=width)
        if k == "pert":
            lo, mode, hi = p["min"], p["mode"], p["max"]
            lam = p.get("lamb", 4.0)
            a = 1 + lam * (mode - lo) / (hi - lo)
            b = 1 + lam * (hi - mode) / (hi - lo)
            return stats.beta(a, b, loc=lo, scale=hi - lo)
        if k == "beta":
            return stats.beta(p["a"], p["b"])
        if k == "poisson":
            return stats.poisson(p["mean"])
        if k == "negbinom":
            kk, m = p["dispersion"], p["mean"]
            return stats.nbinom(kk, kk / (kk + m))
        return None

    @cached_property
    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        """Quantile function tabulated on a grid dense in both tails (for slow inverses).

        Beta-family quantiles (beta, PERT) have no closed form and scipy's exact inverse costs
        about 1 µs a draw; interpolating this table costs a few ns with an error far below
        Monte Carlo noise (``tests/test_distributions.py`` bounds it).
        """
        return _quantile_table(self.kind, self.params)

    @cached_property
    def _discrete_table(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Support values and CDF of a count distribution, to invert by search (exact).

        None when the support is too wide to tabulate; scipy's exact inverse is used then.
        """
        frozen = self._frozen
        hi = int(frozen.ppf(1 - 1e-15)) + 1
        lo = int(frozen.ppf(1e-15))
        if hi - lo > _MAX_COUNT_TABLE:
            return None
        ks = np.arange(max(lo - 1, 0), hi + 1, dtype=float)
        return ks, frozen.cdf(ks)

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        """Quantile function: map uniforms in (0, 1) to values of this quantity.

        Parameters
        ----------
        u : array_like [fraction]
            Probabilities.

        Returns
        -------
        numpy.ndarray
            Values in the quantity's own unit, times ``scale``.
        """
        u = np.asarray(u, dtype=float)
        k, p = self.kind, self.p
        if k == "constant":
            out = np.full_like(u, p["value"])
        elif k == "lognormal":  # in place on one new array: exp(μ + σ Φ⁻¹(u))
            out = special.ndtri(u)
            out *= p["sigma"]
            out += p["mu"]
            np.exp(out, out=out)
        elif k == "normal" and "low" not in p and "high" not in p:
            out = special.ndtri(u)
            out *= p["sd"]
            out += p["mean"]
        elif k == "uniform":
            out = u * (p["high"] - p["low"])
            out += p["low"]
        elif k == "discrete":
            values = np.asarray(p["values"], dtype=float)
            cum = np.cumsum(np.asarray(p["weights"], dtype=float))
            cum /= cum[-1]
            idx = np.searchsorted(cum, u, side="left")  # smallest value with CDF ≥ u
            out = values[np.minimum(idx, len(values) - 1)]
        elif k in ("poisson", "negbinom") and self._discrete_table is not None:
            ks, cdf = self._discrete_table
            out = ks[np.minimum(np.searchsorted(cdf, u, side="left"), len(ks) - 1)]
        elif k == "metalog":
            a1, a2, a3 = p["a"]
            uu = np.clip(u, 1e-12, 1 - 1e-12)
            logit = np.log(uu / (1 - uu))
            m = a1 + a2 * logit + a3 * (uu - 0.5) * logit
            out = p["lower"] + np.exp(m) if "lower" in p else m
        elif k in ("beta", "pert", "normal"):  # normal here: truncated
            out = _interp_logit_table(u, self._table[1])
        else:
            out = np.asarray(self._frozen.ppf(u), dtype=float)
        if self.scale != 1.0:
            out = out * self.scale if out is u else np.multiply(out, self.scale, out=out)
        return out

    def quantile(self, q: float) -> float:
        """The ``q`` quantile [unit of the quantity]."""
        return float(self.ppf(np.array([q]))[0])

    @property
    def median(self) -> float:
        return self.quantile(0.5)

    @property
    def mean(self) -> float:
        """Expected value [unit of the quantity]."""
        k, p = self.kind, self.p
        if k == "constant":
            return p["value"] * self.scale
        if k == "lognormal":
            return math.exp(p["mu"] + p["sigma"] ** 2 / 2) * self.scale
        if k == "discrete":
            w = np.asarray(p["weights"], float)
            return float(np.dot(p["values"], w / w.sum())) * self.scale
        if k == "metalog":
            u = (np.arange(20000) + 0.5) / 20000
            return float(self.ppf(u).mean())
        return float(self._frozen.mean()) * self.scale

    @property
    def support(self) -> tuple[float, float]:
        """Lowest and highest possible values [unit of the quantity]."""
        k, p = self.kind, self.p
        if k == "constant":
            lo = hi = p["value"]
        elif k == "lognormal":
            lo, hi = 0.0, math.inf
        elif k == "discrete":
            lo, hi = min(p["values"]), max(p["values"])
        elif k == "metalog":
            lo, hi = (p["lower"], math.inf) if "lower" in p else (-math.inf, math.inf)
        else:
            lo, hi = (float(x) for x in self._frozen.support())
        s = self.scale
        return (lo * s, hi * s) if s >= 0 else (hi * s, lo * s)

    def describe(self) -> str:
        """A short human description, e.g. ``lognormal p5=80 p95=200``."""
        if self.kind == "constant":
            return f"{self.p['value'] * self.scale:g}"
        return f"{self.text} (p5 {self.quantile(0.05):.4g}, p50 {self.median:.4g}, p95 {self.quantile(0.95):.4g})"

    def to_yaml(self) -> Any:
        """The value as the user wrote it (numbers stay numbers)."""
        if self.kind == "constant":
            return self.p["value"]
        return self.text


@lru_cache(maxsize=4096)
def _quantile_table(kind: str, params: tuple[tuple[str, Any], ...]) -> tuple[np.ndarray, np.ndarray]:
    """The tabulated quantile function of one distribution, shared by every equal ``Uncertain``
    (a portfolio of many use cases reuses the same ranges many times)."""
    frozen = Uncertain(kind, params)._frozen  # type: ignore[arg-type]
    grid_u = special.expit(np.linspace(-_TABLE_LOGIT, _TABLE_LOGIT, _TABLE_POINTS))
    grid_x = np.asarray(frozen.ppf(grid_u), dtype=float)
    grid_x.setflags(write=False)
    return grid_u, grid_x


def _interp_logit_table(u: np.ndarray, grid_x: np.ndarray) -> np.ndarray:
    """Linear interpolation of a quantile table on a uniform grid in logit(u).

    The grid is uniform, so the cell of each u is found by arithmetic rather than by search.
    """
    pos = special.logit(u)
    pos += _TABLE_LOGIT
    pos /= _TABLE_STEP
    np.clip(pos, 0.0, _TABLE_POINTS - 1.000001, out=pos)
    idx = pos.astype(np.intp)
    pos -= idx  # weight of the upper neighbour
    lo = grid_x.take(idx)
    hi = grid_x.take(idx + 1)
    hi -= lo
    hi *= pos
    hi += lo
    return hi


# ---------------------------------------------------------------------- fitting helpers
def lognormal_from_percentiles(p5: float, p95: float) -> tuple[float, float]:
    """μ and σ of a lognormal whose 5th and 95th percentiles are ``p5`` and ``p95``."""
    mu = (math.log(p5) + math.log(p95)) / 2
    sigma = (math.log(p95) - math.log(p5)) / (2 * Z95)
    return mu, sigma


def beta_from_percentiles(p5: float, p95: float) -> tuple[float, float]:
    """Shape parameters (a, b) of the beta whose 5th and 95th percentiles are given.

    Solved with :func:`scipy.optimize.least_squares` on log-shapes, started from the
    method-of-moments estimate of a beta with the implied mean and standard deviation.
    """
    m = (p5 + p95) / 2
    sd = (p95 - p5) / (2 * Z95)
    var = min(sd**2, m * (1 - m) * 0.99)
    conc = max(m * (1 - m) / var - 1, 0.5)
    x0 = np.log([max(m * conc, 1e-3), max((1 - m) * conc, 1e-3)])

    def resid(x: np.ndarray) -> np.ndarray:
        a, b = np.exp(x)
        return np.array([stats.beta.ppf(0.05, a, b) - p5, stats.beta.ppf(0.95, a, b) - p95])

    sol = optimize.least_squares(resid, x0, xtol=1e-12, ftol=1e-12)
    a, b = (float(v) for v in np.exp(sol.x))
    if np.max(np.abs(resid(sol.x))) > 1e-4 * max(p95 - p5, 1e-9):
        raise SpecError(
            f"expected 5th/95th percentiles a beta can reach, found p5={p5:g}, p95={p95:g}"
        )
    return a, b


def metalog3_from_percentiles(
    p10: float, p50: float, p90: float, lower: float | None = None
) -> tuple[float, float, float]:
    """Coefficients of the three-term metalog through (0.1, p10), (0.5, p50), (0.9, p90).

    With ``lower`` the log-metalog (bounded below) is fitted to ``log(x - lower)``.
    Reference: T. W. Keelin, "The Metalog Distributions", Decision Analysis 13(4), 2016.
    """
    ys = np.array([0.1, 0.5, 0.9])
    xs = np.array([p10, p50, p90], dtype=float)
    if lower is not None:
        if np.any(xs <= lower):
            raise SpecError(f"expected percentiles above the lower bound {lower:g}, found {xs.tolist()}")
        xs = np.log(xs - lower)
    logit = np.log(ys / (1 - ys))
    basis = np.column_stack([np.ones(3), logit, (ys - 0.5) * logit])
    a = np.linalg.solve(basis, xs)
    # feasibility of the 3-term metalog (Keelin 2016, eq. 11): a2 > 0 and |a3|/a2 < 1.66711
    if not (a[1] > 0 and abs(a[2]) / a[1] < 1.66711):
        raise SpecError(
            f"expected p10 < p50 < p90 that a 3-term metalog can fit, found {p10:g}, {p50:g}, {p90:g}"
        )
    return float(a[0]), float(a[1]), float(a[2])


# ---------------------------------------------------------------------- parsing
FieldKind = Literal["real", "nonneg", "fraction", "count"]

_EXPECTED_FORMS = (
    "a number, 'a to b', or one of {lognormal, normal, uniform, triangular, pert, beta, "
    "discrete, poisson, negbinom, metalog}"
)


def _num(x: Any, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise SpecError(f"expected a number for {what}, found {x!r}")
    try:
        value = float(x)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise SpecError(f"expected a finite number for {what}, found {_short(x)}")
    return value


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:20] + "…" + text[-8:] + f" ({len(text)} characters)"


def _pair_or_keys(body: Any, keys: Sequence[str], form: str) -> list[float]:
    if isinstance(body, Mapping):
        unknown = set(body) - set(keys)
        missing = [k for k in keys if k not in body]
        if unknown or missing:
            raise SpecError(f"expected {form} with keys {list(keys)}, found keys {sorted(body)}")
        return [_num(body[k], k) for k in keys]
    if isinstance(body, Sequence) and not isinstance(body, str) and len(body) == len(keys):
        return [_num(v, k) for v, k in zip(body, keys, strict=True)]
    raise SpecError(f"expected {form} as [{', '.join(keys)}], found {body!r}")


def _ordered(values: Sequence[float], names: Sequence[str], strict: bool = False) -> None:
    for (x, nx), (y, ny) in zip(
        zip(values, names, strict=True), zip(values[1:], names[1:], strict=True), strict=False
    ):
        if (x >= y) if strict else (x > y):
            rel = "<" if strict else "≤"
            raise SpecError(f"expected {nx} {rel} {ny}, found {nx}={x:g} and {ny}={y:g}")


def _parse_form(value: Any, field_kind: FieldKind) -> Uncertain:
    text = value if isinstance(value, str) else _compact(value)
    if isinstance(value, bool):
        raise SpecError(f"expected {_EXPECTED_FORMS}, found {value!r}")
    if isinstance(value, int | float):
        return Uncertain.constant(_num(value, "the value"), text=_short(value))
    if isinstance(value, str):
        m = _RANGE_RE.match(value)
        if not m:
            try:
                number = float(value.replace("_", ""))
            except ValueError:
                raise SpecError(f"expected {_EXPECTED_FORMS}, found {_short(value)}") from None
            if not math.isfinite(number):
                raise SpecError(f"expected a finite number, found {_short(value)}")
            return Uncertain.constant(number, text=value)
        a, b = float(m["a"]), float(m["b"])
        if not (math.isfinite(a) and math.isfinite(b)):
            raise SpecError(f"expected finite numbers in 'a to b', found {_short(value)}")
        if not b > a:
            raise SpecError(f"expected 'a to b' with a < b, found {value!r}")
        if field_kind == "fraction":
            if not (0 < a and b < 1):
                raise SpecError(f"expected a range inside (0, 1) for a fraction, found {value!r}")
            aa, bb = beta_from_percentiles(a, b)
            return Uncertain("beta", (("a", aa), ("b", bb)), text)
        if a <= 0:
            return Uncertain("normal", (("mean", (a + b) / 2), ("sd", (b - a) / (2 * Z95))), text)
        mu, sigma = lognormal_from_percentiles(a, b)
        return Uncertain("lognormal", (("mu", mu), ("sigma", sigma)), text)
    if not isinstance(value, Mapping) or len(value) == 0:
        raise SpecError(f"expected {_EXPECTED_FORMS}, found {value!r}")
    forms = [k for k in value if k in _FORM_KEYS]
    extra = {k: v for k, v in value.items() if k not in _FORM_KEYS}
    if len(forms) != 1:
        from finops_model.errors import did_you_mean

        hint = did_you_mean(next(iter(value)), _FORM_KEYS) if not forms else ""
        raise SpecError(
            f"expected exactly one of {sorted(_FORM_KEYS)}, found keys {sorted(map(str, value))}{hint}"
        )
    form = forms[0]
    body = value[form]
    allowed_extra = {"metalog": {"lower"}, "pert": {"lamb"}}.get(form, set())
    if set(extra) - allowed_extra:
        raise SpecError(
            f"expected only {sorted({form, *allowed_extra})} in a {form} spec, "
            f"found {sorted(map(str, extra))}"
        )
    return _FORM_KEYS[form](body, extra, text)


def _compact(value: Any) -> str:
    """A one-line YAML-ish rendering of a spec (for display)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_compact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_compact(v) for v in value) + "]"
    return str(value)


def _f_lognormal(body: Any, extra: Mapping, text: str) -> Uncertain:
    if isinstance(body, Mapping) and set(body) == {"median", "p95"}:
        med, p95 = _num(body["median"], "median"), _num(body["p95"], "p95")
        if med <= 0:
            raise SpecError(f"expected median > 0 for a lognormal, found {med:g}")
        _ordered([med, p95], ["median", "p95"], strict=True)
        return Uncertain(
            "lognormal", (("mu", math.log(med)), ("sigma", (math.log(p95) - math.log(med)) / Z95)), text
        )
    p5, p95 = _pair_or_keys(body, ["p5", "p95"], "lognormal {p5, p95} or {median, p95}")
    if p5 <= 0:
        raise SpecError(f"expected p5 > 0 for a lognormal, found {p5:g}")
    _ordered([p5, p95], ["p5", "p95"], strict=True)
    mu, sigma = lognormal_from_percentiles(p5, p95)
    return Uncertain("lognormal", (("mu", mu), ("sigma", sigma)), text)


def _f_normal(body: Any, extra: Mapping, text: str) -> Uncertain:
    if not isinstance(body, Mapping):
        raise SpecError(f"expected normal as {{mean, sd, low?, high?}}, found {body!r}")
    allowed = {"mean", "sd", "low", "high"}
    if set(body) - allowed or not {"mean", "sd"} <= set(body):
        raise SpecError(f"expected normal keys mean, sd (low, high optional), found {sorted(body)}")
    params = [(k, _num(body[k], k)) for k in ("mean", "sd", "low", "high") if k in body]
    p = dict(params)
    if p["sd"] <= 0:
        raise SpecError(f"expected sd > 0, found {p['sd']:g}")
    if "low" in p and "high" in p:
        _ordered([p["low"], p["high"]], ["low", "high"], strict=True)
    return Uncertain("normal", tuple(params), text)


def _f_uniform(body: Any, extra: Mapping, text: str) -> Uncertain:
    lo, hi = _pair_or_keys(body, ["low", "high"], "uniform")
    _ordered([lo, hi], ["low", "high"], strict=True)
    return Uncertain("uniform", (("low", lo), ("high", hi)), text)


def _f_triangular(body: Any, extra: Mapping, text: str) -> Uncertain:
    lo, mode, hi = _pair_or_keys(body, ["low", "mode", "high"], "triangular")
    _ordered([lo, mode, hi], ["low", "mode", "high"])
    if not hi > lo:
        raise SpecError(f"expected low < high, found low={lo:g} and high={hi:g}")
    return Uncertain("triangular", (("low", lo), ("mode", mode), ("high", hi)), text)


def _f_pert(body: Any, extra: Mapping, text: str) -> Uncertain:
    lo, mode, hi = _pair_or_keys(body, ["min", "mode", "max"], "pert")
    _ordered([lo, mode, hi], ["min", "mode", "max"])
    if not hi > lo:
        raise SpecError(f"expected min < max, found min={lo:g} and max={hi:g}")
    params: list[tuple[str, Any]] = [("min", lo), ("mode", mode), ("max", hi)]
    if "lamb" in extra:
        lamb = _num(extra["lamb"], "lamb")
        if lamb <= 0:
            raise SpecError(f"expected lamb > 0, found {lamb:g}")
        params.append(("lamb", lamb))
    return Uncertain("pert", tuple(params), text)


def _f_beta(body: Any, extra: Mapping, text: str) -> Uncertain:
    if not isinstance(body, Mapping):
        raise SpecError(f"expected beta as {{p5, p95}}, {{mean, sd}} or {{mean, concentration}}, found {body!r}")
    keys = set(body)
    if keys == {"p5", "p95"}:
        p5, p95 = _num(body["p5"], "p5"), _num(body["p95"], "p95")
        if not 0 < p5 < p95 < 1:
            raise SpecError(f"expected 0 < p5 < p95 < 1, found p5={p5:g}, p95={p95:g}")
        a, b = beta_from_percentiles(p5, p95)
    elif keys == {"mean", "sd"} or keys == {"mean", "concentration"}:
        m = _num(body["mean"], "mean")
        if not 0 < m < 1:
            raise SpecError(f"expected 0 < mean < 1, found {m:g}")
        if "sd" in keys:
            sd = _num(body["sd"], "sd")
            if not 0 < sd**2 < m * (1 - m):
                raise SpecError(
                    f"expected 0 < sd < sqrt(mean·(1−mean)) = {math.sqrt(m * (1 - m)):.4g}, found {sd:g}"
                )
            conc = m * (1 - m) / sd**2 - 1
        else:
            conc = _num(body["concentration"], "concentration")
            if conc <= 0:
                raise SpecError(f"expected concentration > 0, found {conc:g}")
        a, b = m * conc, (1 - m) * conc
    elif keys == {"a", "b"}:
        a, b = _num(body["a"], "a"), _num(body["b"], "b")
        if a <= 0 or b <= 0:
            raise SpecError(f"expected a > 0 and b > 0, found a={a:g}, b={b:g}")
    else:
        raise SpecError(
            f"expected beta keys {{p5, p95}}, {{mean, sd}}, {{mean, concentration}} or {{a, b}}, found {sorted(keys)}"
        )
    return Uncertain("beta", (("a", a), ("b", b)), text)


def _f_discrete(body: Any, extra: Mapping, text: str) -> Uncertain:
    if not isinstance(body, Mapping) or set(body) - {"values", "weights"} or "values" not in body:
        raise SpecError(f"expected discrete as {{values: [...], weights: [...]}}, found {body!r}")
    values = body["values"]
    if not isinstance(values, list) or not values:
        raise SpecError(f"expected a non-empty list of values, found {values!r}")
    vals = [_num(v, "a value") for v in values]
    weights = body.get("weights", [1.0] * len(vals))
    if not isinstance(weights, list) or len(weights) != len(vals):
        raise SpecError(f"expected {len(vals)} weights (one per value), found {weights!r}")
    w = [_num(v, "a weight") for v in weights]
    if any(x < 0 for x in w) or sum(w) <= 0:
        raise SpecError(f"expected weights ≥ 0 with a positive sum, found {w}")
    order = np.argsort(vals, kind="stable")
    vals = [vals[i] for i in order]
    w = [w[i] for i in order]
    return Uncertain("discrete", (("values", tuple(vals)), ("weights", tuple(w))), text)


def _f_poisson(body: Any, extra: Mapping, text: str) -> Uncertain:
    m = _num(body["mean"] if isinstance(body, Mapping) and set(body) == {"mean"} else body, "mean")
    if m <= 0:
        raise SpecError(f"expected a Poisson mean > 0, found {m:g}")
    return Uncertain("poisson", (("mean", m),), text)


def _f_negbinom(body: Any, extra: Mapping, text: str) -> Uncertain:
    m, k = _pair_or_keys(body, ["mean", "dispersion"], "negbinom")
    if m <= 0 or k <= 0:
        raise SpecError(f"expected mean > 0 and dispersion > 0, found mean={m:g}, dispersion={k:g}")
    return Uncertain("negbinom", (("mean", m), ("dispersion", k)), text)


def _f_metalog(body: Any, extra: Mapping, text: str) -> Uncertain:
    p10, p50, p90 = _pair_or_keys(body, ["p10", "p50", "p90"], "metalog")
    _ordered([p10, p50, p90], ["p10", "p50", "p90"], strict=True)
    lower = _num(extra["lower"], "lower") if "lower" in extra else None
    a = metalog3_from_percentiles(p10, p50, p90, lower)
    params: list[tuple[str, Any]] = [("a", a)]
    if lower is not None:
        params.append(("lower", lower))
    return Uncertain("metalog", tuple(params), text)


_FORM_KEYS = {
    "lognormal": _f_lognormal,
    "normal": _f_normal,
    "uniform": _f_uniform,
    "triangular": _f_triangular,
    "pert": _f_pert,
    "beta": _f_beta,
    "discrete": _f_discrete,
    "poisson": _f_poisson,
    "negbinom": _f_negbinom,
    "metalog": _f_metalog,
}


def parse(value: Any, field_kind: FieldKind = "real") -> Uncertain:
    """Parse a YAML value into an :class:`Uncertain` and check it fits the field.

    Parameters
    ----------
    value : number, str or mapping
        The value as written in YAML (see the module docstring).
    field_kind : {"real", "nonneg", "fraction", "count"}
        What the field admits: any real; values ≥ 0; fractions in [0, 1]; counts ≥ 0.

    Raises
    ------
    SpecError
        With an "expected …, found …" message.
    """
    if isinstance(value, Uncertain):
        u = value
    else:
        u = _parse_form(value, field_kind)
    lo, hi = u.support
    shown = value if not isinstance(value, Uncertain) else value.text
    if field_kind in ("nonneg", "count") and lo < 0:
        if u.is_constant:
            raise SpecError(f"expected a number ≥ 0, found {shown!r}")
        raise SpecError(
            f"expected a quantity that cannot go below 0, found {shown!r} ({u.kind}, lowest "
            f"value {lo:g}); use 'a to b' with a > 0, {{pert: [min, mode, max]}}, or a "
            "normal truncated with low: 0"
        )
    if field_kind == "fraction" and (lo < 0 or hi > 1):
        if u.is_constant:
            raise SpecError(f"expected a fraction in [0, 1], found {shown!r}")
        raise SpecError(
            f"expected a fraction in [0, 1], found {shown!r} ({u.kind} ranging from {lo:g} to "
            f"{hi:g}); use 'a to b' inside (0, 1) or {{beta: {{p5, p95}}}}"
        )
    return u


# ---------------------------------------------------------------------- correlation
def nearest_correlation(matrix: np.ndarray, tol: float = 1e-10, max_iter: int = 200) -> np.ndarray:
    """The nearest correlation matrix (Higham 2002, alternating projections).

    Parameters
    ----------
    matrix : (d, d) array
        Symmetric matrix with unit diagonal that may not be positive semi-definite.

    Returns
    -------
    (d, d) array
        Positive semi-definite, unit diagonal, closest in the Frobenius norm.
    """
    a = np.asarray(matrix, dtype=float)
    y = a.copy()
    ds = np.zeros_like(a)
    for _ in range(max_iter):
        r = y - ds
        w, v = np.linalg.eigh((r + r.T) / 2)
        x = (v * np.maximum(w, 0)) @ v.T
        ds = x - r
        y_new = x.copy()
        np.fill_diagonal(y_new, 1.0)
        if np.linalg.norm(y_new - y, "fro") < tol:
            y = y_new
            break
        y = y_new
    return y


def check_correlation(matrix: np.ndarray, names: Sequence[str]) -> None:
    """Raise :class:`SpecError` unless ``matrix`` is a valid rank-correlation matrix."""
    m = np.asarray(matrix, dtype=float)
    if m.shape != (len(names), len(names)):
        raise SpecError(f"expected a {len(names)}×{len(names)} matrix, found shape {m.shape}")
    if not np.allclose(m, m.T):
        raise SpecError("expected a symmetric correlation matrix, found an asymmetric one")
    if not np.allclose(np.diag(m), 1.0):
        raise SpecError("expected 1 on the diagonal of the correlation matrix")
    if np.any(np.abs(m) > 1):
        raise SpecError("expected correlations in [-1, 1]")
    w = np.linalg.eigvalsh(m)
    if w.min() < -1e-10:
        near = nearest_correlation(m)
        rows = "; ".join(
            f"{a}–{b}: {near[i, j]:.3f}"
            for i, a in enumerate(names)
            for j, b in enumerate(names)
            if j > i
        )
        raise SpecError(
            "expected a positive semi-definite correlation matrix, found one with smallest "
            f"eigenvalue {w.min():.4g} (the correlations contradict each other); the nearest "
            f"valid one is {rows}"
        )


def spearman_to_pearson(rho_s: np.ndarray) -> np.ndarray:
    """Pearson correlation of a Gaussian copula that yields Spearman ``rho_s``: 2 sin(π ρ / 6)."""
    return 2 * np.sin(np.pi * np.asarray(rho_s, dtype=float) / 6)


# ---------------------------------------------------------------------- sampling
Method = Literal["mc", "lhs", "sobol"]


def _stream_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def base_entropy(seed: int | np.random.Generator | None) -> int:
    """One integer that determines every stream of a run [dimensionless].

    An int seed is used as is; a Generator contributes one draw (so the same Generator state
    gives the same run); ``None`` draws fresh entropy.
    """
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    if seed is None:
        return int(np.random.SeedSequence().entropy % 2**63)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"expected seed as an int ≥ 0 or a numpy Generator, found {seed!r}")
    return int(seed)


def input_streams(names: Sequence[str], entropy: int) -> dict[str, np.random.Generator]:
    """One independent random stream per named input.

    A stream depends only on the run's entropy and the input's name, so the same trial index
    sees the same draw of a shared input in every scenario (common random numbers), and drawing
    in chunks reproduces drawing all at once.
    """
    return {n: np.random.default_rng([entropy, _stream_key(n)]) for n in names}


def uniforms(
    names: Sequence[str],
    n: int,
    seed: int | np.random.Generator | None = None,
    method: Method = "mc",
    streams: Mapping[str, np.random.Generator] | None = None,
) -> np.ndarray:
    """Draw an (n, d) matrix of uniforms in (0, 1), one column per named input.

    Parameters
    ----------
    names : sequence of str
        Input names (columns).
    n : int
        Trials.
    seed : int, Generator or None
        Reproducibility seed.
    method : {"mc", "lhs", "sobol"}
        Plain Monte Carlo (a stream per input), Latin hypercube, or scrambled Sobol
        (:mod:`scipy.stats.qmc`).
    streams : mapping, optional
        Per-input streams to continue (chunked Monte Carlo); ``seed`` is then ignored.
    """
    d = len(names)
    if n < 1:
        raise ValueError(f"expected n ≥ 1 trials, found {n}")
    if d == 0:
        return np.empty((n, 0))
    if method == "mc":
        if streams is None:
            streams = input_streams(names, base_entropy(seed))
        # one contiguous row per input (returned transposed): each stream fills its own row
        out = np.empty((d, n))
        for j, name in enumerate(names):
            streams[name].random(n, out=out[j])
        # exclude exact 0 (probability 2**-53) so that quantile functions stay finite
        np.maximum(out, np.finfo(float).tiny, out=out)
        return out.T
    rng = np.random.default_rng(base_entropy(seed))
    if method == "lhs":
        return qmc.LatinHypercube(d=d, seed=rng).random(n)
    if method == "sobol":
        sampler = qmc.Sobol(d=d, scramble=True, seed=rng)
        m = int(math.ceil(math.log2(n)))
        u = sampler.random_base2(m)[:n] if 2**m != n else sampler.random_base2(m)
        return np.clip(u, 1e-15, 1 - 1e-15)
    raise ValueError(f"expected method 'mc', 'lhs' or 'sobol', found {method!r}")


def correlate_uniforms(u: np.ndarray, rank_corr: np.ndarray) -> np.ndarray:
    """Impose a rank correlation on uniform columns with a Gaussian copula.

    Each column stays uniform (so every marginal is kept exactly); the Spearman correlation
    between columns approaches ``rank_corr``.

    Parameters
    ----------
    u : (n, d) array [fraction]
        Independent uniforms.
    rank_corr : (d, d) array
        Target Spearman rank correlation (positive semi-definite).
    """
    from scipy.special import ndtr, ndtri

    pearson = spearman_to_pearson(rank_corr)
    np.fill_diagonal(pearson, 1.0)
    w, v = np.linalg.eigh(pearson)
    root = v * np.sqrt(np.clip(w, 0, None))  # works for semi-definite matrices too
    z = ndtri(u) @ root.T
    return ndtr(z)


@dataclass(frozen=True)
class SampleSpec:
    """What to sample: named uncertain inputs and their rank correlations.

    Attributes
    ----------
    inputs : mapping name → Uncertain
    correlations : tuple of (name_a, name_b, rho)
        Spearman rank correlations between named inputs [-1, 1].
    """

    inputs: Mapping[str, Uncertain]
    correlations: tuple[tuple[str, str, float], ...] = ()

    @property
    def uncertain_names(self) -> list[str]:
        return sorted(k for k, v in self.inputs.items() if not v.is_constant)

    def correlation_matrix(self) -> tuple[list[str], np.ndarray]:
        """Names involved in correlations and their (d, d) rank-correlation matrix."""
        names = sorted({a for a, _, _ in self.correlations} | {b for _, b, _ in self.correlations})
        idx = {n: i for i, n in enumerate(names)}
        m = np.eye(len(names))
        for a, b, rho in self.correlations:
            m[idx[a], idx[b]] = m[idx[b], idx[a]] = rho
        return names, m


def sample(
    spec: SampleSpec | Mapping[str, Uncertain],
    n: int,
    seed: int | np.random.Generator | None = None,
    method: Method = "mc",
    *,
    u: np.ndarray | None = None,
    streams: Mapping[str, np.random.Generator] | None = None,
) -> dict[str, np.ndarray | float]:
    """Draw ``n`` trials of every uncertain input.

    Parameters
    ----------
    spec : SampleSpec or mapping name → Uncertain
        The inputs (and correlations).
    n : int
        Number of trials.
    seed : int or numpy.random.Generator
        Same seed, bit-identical draws.
    method : {"mc", "lhs", "sobol"}
        Sampling design.
    u : (n, d) array, optional
        Pre-drawn uniforms for the uncertain inputs in ``spec.uncertain_names`` order
        (used for chunking and stress tests).
    streams : mapping name → Generator, optional
        Per-input streams to continue (Monte Carlo in blocks: successive calls give the same
        draws as one call); ``seed`` is then ignored.

    Returns
    -------
    dict name → array of shape (n,) for uncertain inputs, float for constants
        Values in each input's unit.
    """
    if not isinstance(spec, SampleSpec):
        spec = SampleSpec(dict(spec))
    names = spec.uncertain_names
    out: dict[str, np.ndarray | float] = {}
    for name, q in spec.inputs.items():
        if q.is_constant:
            out[name] = q.p["value"] * q.scale
    correlated: list[str] = []
    sub = np.eye(0)
    if spec.correlations:
        cnames, cm = spec.correlation_matrix()
        keep = [i for i, c in enumerate(cnames) if c in names]  # constants need no copula
        if len(keep) > 1:
            correlated = [cnames[i] for i in keep]
            sub = cm[np.ix_(keep, keep)]
    if u is None and method == "mc":
        # One input at a time: a uniform row, then its quantiles. No (n × d) matrix is held,
        # so memory stays at the draws themselves; the values equal those of ``uniforms``.
        if n < 1:
            raise ValueError(f"expected n ≥ 1 trials, found {n}")
        if streams is None:
            streams = input_streams(names, base_entropy(seed))
        if correlated:
            block = uniforms(correlated, n, streams={c: streams[c] for c in correlated})
            block = correlate_uniforms(block, sub)
            for j, name in enumerate(correlated):
                out[name] = spec.inputs[name].ppf(block[:, j])
            del block
        tiny = np.finfo(float).tiny
        for name in names:
            if name in out:
                continue
            row = streams[name].random(n)
            np.maximum(row, tiny, out=row)
            out[name] = spec.inputs[name].ppf(row)
        return out
    own_u = u is None
    if u is None:
        u = uniforms(names, n, seed, method)
    if correlated:
        cols = [names.index(c) for c in correlated]
        block = correlate_uniforms(u[:, cols], sub)
        if not own_u:
            u = u.copy()
        u[:, cols] = block
    for j, name in enumerate(names):
        out[name] = spec.inputs[name].ppf(u[:, j])
    return out
