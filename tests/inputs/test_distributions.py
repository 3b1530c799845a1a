"""Tests of finops_model.distributions: the uncertain-quantity language and the sampler.

Every form parses to the right family with the right percentiles and mean (checked against
scipy or hand-computed values); field kinds refuse what they cannot hold; malformed specs give
"expected …, found …" messages; sampling is reproducible (same seed → bit-identical draws),
chunkable, uses common random numbers, and the Gaussian copula reaches its target rank
correlation without touching the marginals.
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from finops_model.inputs.distributions import (
    Z95,
    SampleSpec,
    SpecError,
    Uncertain,
    base_entropy,
    beta_from_percentiles,
    check_correlation,
    correlate_uniforms,
    input_streams,
    metalog3_from_percentiles,
    nearest_correlation,
    parse,
    sample,
    spearman_to_pearson,
    uniforms,
)

PROBS = np.array([0.05, 0.10, 0.25, 0.5, 0.75, 0.90, 0.95])
#: Beta and PERT quantiles are interpolated from a table; relative error allowed against scipy.
BETA_TABLE_RTOL = 1e-6


def _quantiles(u: Uncertain, probs: np.ndarray = PROBS) -> np.ndarray:
    return np.array([u.quantile(float(q)) for q in probs])


def _tail_tolerance(n: int, p: float = 0.05, k: float = 5.0) -> float:
    """k binomial standard errors of a share p estimated from n draws."""
    return k * math.sqrt(p * (1 - p) / n)


# ============================================================================ forms
def test_parse_constant_number():
    u = parse(120)
    assert u.is_constant
    assert u.kind == "constant"
    assert_allclose([u.median, u.mean, u.quantile(0.01), u.quantile(0.99)], 120.0)
    assert u.support == (120.0, 120.0)


def test_parse_constant_numeric_string_with_underscores():
    u = parse("1_000")
    assert u.is_constant
    assert_allclose(u.mean, 1000.0)


def test_parse_range_is_lognormal_with_hand_computed_parameters():
    u = parse("80 to 200")
    assert u.kind == "lognormal"
    mu = (math.log(80) + math.log(200)) / 2
    sigma = (math.log(200) - math.log(80)) / (2 * 1.6448536269514722)
    assert_allclose(u.p["mu"], mu, rtol=1e-12)
    assert_allclose(u.p["sigma"], sigma, rtol=1e-12)
    assert_allclose([u.quantile(0.05), u.quantile(0.95)], [80.0, 200.0], rtol=1e-10)
    assert_allclose(u.median, math.sqrt(80 * 200), rtol=1e-10)
    assert_allclose(u.mean, math.exp(mu + sigma**2 / 2), rtol=1e-12)
    ref = stats.lognorm(s=sigma, scale=math.exp(mu))
    assert_allclose(_quantiles(u), ref.ppf(PROBS), rtol=1e-6)  # truncated normals are tabulated
    assert u.support == (0.0, math.inf)


def test_parse_range_with_nonpositive_low_is_normal():
    u = parse("-5 to 15")
    assert u.kind == "normal"
    assert_allclose(u.p["mean"], 5.0)
    assert_allclose(u.p["sd"], 20 / (2 * Z95))
    assert_allclose([u.quantile(0.05), u.quantile(0.95)], [-5.0, 15.0], rtol=1e-10)
    assert_allclose(u.mean, 5.0)


def test_parse_range_with_zero_low_is_normal():
    u = parse("0 to 10")
    assert u.kind == "normal"
    assert_allclose([u.quantile(0.05), u.quantile(0.95)], [0.0, 10.0], atol=1e-10)


def test_parse_range_scientific_notation():
    u = parse("1e3 to 4e3")
    assert u.kind == "lognormal"
    assert_allclose([u.quantile(0.05), u.quantile(0.95)], [1000.0, 4000.0], rtol=1e-10)


def test_parse_lognormal_by_p5_p95_equals_range():
    u = parse({"lognormal": {"p5": 80, "p95": 200}})
    assert u.kind == "lognormal"
    assert_allclose(_quantiles(u), _quantiles(parse("80 to 200")), rtol=1e-12)


def test_parse_lognormal_by_list():
    u = parse({"lognormal": [80, 200]})
    assert_allclose([u.quantile(0.05), u.quantile(0.95)], [80.0, 200.0], rtol=1e-10)


def test_parse_lognormal_by_median_p95():
    u = parse({"lognormal": {"median": 100, "p95": 200}})
    assert u.kind == "lognormal"
    sigma = math.log(2) / Z95
    assert_allclose(u.p["mu"], math.log(100))
    assert_allclose(u.p["sigma"], sigma)
    assert_allclose([u.median, u.quantile(0.95)], [100.0, 200.0], rtol=1e-10)
    # symmetric in log space: p5 = median² / p95
    assert_allclose(u.quantile(0.05), 50.0, rtol=1e-10)
    assert_allclose(u.mean, 100 * math.exp(sigma**2 / 2), rtol=1e-12)


def test_parse_normal():
    u = parse({"normal": {"mean": 10, "sd": 2}})
    assert u.kind == "normal"
    assert_allclose(_quantiles(u), stats.norm(10, 2).ppf(PROBS), rtol=1e-12)
    assert_allclose(u.mean, 10.0)
    assert u.support == (-math.inf, math.inf)


def test_parse_normal_truncated():
    u = parse({"normal": {"mean": 1, "sd": 2, "low": 0, "high": 4}}, "nonneg")
    ref = stats.truncnorm((0 - 1) / 2, (4 - 1) / 2, loc=1, scale=2)
    assert_allclose(_quantiles(u), ref.ppf(PROBS), rtol=1e-6)  # truncated normals are tabulated
    assert_allclose(u.mean, ref.mean(), rtol=1e-10)
    assert_allclose(u.support, (0.0, 4.0))


def test_parse_normal_truncated_below_only():
    u = parse({"normal": {"mean": 1, "sd": 2, "low": 0}}, "nonneg")
    ref = stats.truncnorm(-0.5, math.inf, loc=1, scale=2)
    assert_allclose(_quantiles(u), ref.ppf(PROBS), rtol=1e-6)  # truncated normals are tabulated
    assert_allclose(u.support, (0.0, math.inf))


def test_parse_uniform():
    u = parse({"uniform": [2, 6]})
    assert u.kind == "uniform"
    assert_allclose(_quantiles(u), 2 + 4 * PROBS, rtol=1e-12)
    assert_allclose(u.mean, 4.0)
    assert_allclose(u.support, (2.0, 6.0))


def test_parse_uniform_by_keys():
    u = parse({"uniform": {"low": 2, "high": 6}})
    assert_allclose(u.median, 4.0)


def test_parse_triangular():
    u = parse({"triangular": [1, 2, 4]})
    assert u.kind == "triangular"
    ref = stats.triang((2 - 1) / 3, loc=1, scale=3)
    assert_allclose(_quantiles(u), ref.ppf(PROBS), rtol=1e-12)
    assert_allclose(u.mean, (1 + 2 + 4) / 3)
    # hand-computed: F(mode) = (mode − low)/(high − low) = 1/3
    assert_allclose(u.quantile(1 / 3), 2.0, rtol=1e-10)


def test_parse_pert():
    u = parse({"pert": [1, 2, 4]})
    assert u.kind == "pert"
    # λ = 4: α = 1 + 4·(2−1)/3, β = 1 + 4·(4−2)/3
    ref = stats.beta(1 + 4 / 3, 1 + 8 / 3, loc=1, scale=3)
    assert_allclose(_quantiles(u), ref.ppf(PROBS), rtol=BETA_TABLE_RTOL)
    assert_allclose(u.mean, (1 + 4 * 2 + 4) / 6, rtol=1e-12)
    assert_allclose(u.support, (1.0, 4.0))


def test_parse_pert_with_lambda():
    u = parse({"pert": [1, 2, 4], "lamb": 2})
    assert_allclose(u.mean, (1 + 2 * 2 + 4) / 4, rtol=1e-12)


def test_parse_beta_by_percentiles():
    u = parse({"beta": {"p5": 0.1, "p95": 0.3}}, "fraction")
    assert u.kind == "beta"
    assert_allclose([u.quantile(0.05), u.quantile(0.95)], [0.1, 0.3], atol=1e-6)
    assert_allclose(u.support, (0.0, 1.0))


def test_parse_beta_by_mean_sd():
    u = parse({"beta": {"mean": 0.3, "sd": 0.1}}, "fraction")
    # method of moments: concentration = m(1−m)/sd² − 1 = 20
    assert_allclose([u.p["a"], u.p["b"]], [6.0, 14.0], rtol=1e-12)
    assert_allclose(u.mean, 0.3, rtol=1e-12)
    assert_allclose(math.sqrt(stats.beta(6, 14).var()), 0.1, rtol=1e-12)


def test_parse_beta_by_mean_concentration():
    u = parse({"beta": {"mean": 0.25, "concentration": 8}}, "fraction")
    assert_allclose([u.p["a"], u.p["b"]], [2.0, 6.0], rtol=1e-12)
    assert_allclose(_quantiles(u), stats.beta(2, 6).ppf(PROBS), rtol=BETA_TABLE_RTOL)


def test_parse_discrete_with_weights():
    u = parse({"discrete": {"values": [3, 1, 2], "weights": [2, 1, 1]}})
    assert u.kind == "discrete"
    # values are sorted with their weights: P(1) = P(2) = 0.25, P(3) = 0.5
    assert_allclose(u.mean, (1 + 2 + 2 * 3) / 4)
    assert_allclose([u.quantile(0.1), u.quantile(0.4), u.quantile(0.9)], [1.0, 2.0, 3.0])
    assert u.support == (1.0, 3.0)


def test_parse_discrete_default_weights_are_equal():
    u = parse({"discrete": {"values": [10, 20]}})
    assert_allclose(u.mean, 15.0)


def test_uncertain_quantile_discrete_at_cdf_boundary_matches_scipy():
    u = parse({"discrete": {"values": [1, 2, 3], "weights": [1, 1, 2]}})
    ref = stats.rv_discrete(values=([1, 2, 3], [0.25, 0.25, 0.5]))
    assert_allclose([u.quantile(0.25), u.median], [ref.ppf(0.25), ref.ppf(0.5)])


def test_parse_poisson():
    u = parse({"poisson": 3.5}, "count")
    assert u.kind == "poisson"
    assert_allclose(_quantiles(u), stats.poisson(3.5).ppf(PROBS))
    assert_allclose(u.mean, 3.5)


def test_parse_poisson_by_mean_key():
    u = parse({"poisson": {"mean": 2}}, "count")
    assert_allclose(u.mean, 2.0)


def test_parse_negbinom():
    u = parse({"negbinom": {"mean": 4, "dispersion": 2}}, "count")
    assert u.kind == "negbinom"
    ref = stats.nbinom(2, 2 / (2 + 4))
    assert_allclose(_quantiles(u), ref.ppf(PROBS))
    assert_allclose(u.mean, 4.0, rtol=1e-12)
    # variance = m + m²/k
    assert_allclose(u._frozen.var(), 4 + 16 / 2, rtol=1e-12)


def test_parse_metalog_passes_through_its_percentiles():
    u = parse({"metalog": {"p10": 1, "p50": 2, "p90": 5}})
    assert u.kind == "metalog"
    assert_allclose([u.quantile(0.1), u.median, u.quantile(0.9)], [1.0, 2.0, 5.0], rtol=1e-10)
    a1, _, a3 = u.p["a"]
    # mean of the three-term metalog is a1 + a3/2 (Keelin 2016)
    assert_allclose(u.mean, a1 + a3 / 2, rtol=1e-4)


def test_parse_metalog_symmetric_is_logistic():
    u = parse({"metalog": [8, 10, 12]})
    a1, a2, a3 = u.p["a"]
    assert_allclose([a1, a2, a3], [10.0, 2 / math.log(9), 0.0], atol=1e-12)
    assert_allclose(u.mean, 10.0, rtol=1e-6)


def test_parse_metalog_bounded_below():
    u = parse({"metalog": {"p10": 1, "p50": 2, "p90": 5}, "lower": 0}, "nonneg")
    assert_allclose([u.quantile(0.1), u.median, u.quantile(0.9)], [1.0, 2.0, 5.0], rtol=1e-10)
    assert u.support == (0.0, math.inf)
    assert np.all(u.ppf(np.linspace(1e-6, 1 - 1e-6, 1001)) > 0)


@pytest.mark.parametrize(
    "spec",
    [
        {"pert": [1, 2, 4]},
        {"pert": [0, 0, 1]},
        {"pert": [100, 101, 1000]},
        {"beta": {"p5": 0.1, "p95": 0.3}},
        {"beta": {"p5": 0.001, "p95": 0.01}},
        {"beta": {"mean": 0.5, "concentration": 0.5}},
        {"beta": {"mean": 0.01, "concentration": 2}},
        {"beta": {"a": 0.1, "b": 50}},
        {"beta": {"a": 2000, "b": 3000}},
    ],
    ids=lambda s: str(s),
)
def test_uncertain_ppf_beta_table_error_is_far_below_monte_carlo_noise(spec):
    # beta and PERT quantiles are interpolated from a table: compare with scipy's exact inverse
    # over the body and far into both tails, relative to the 5–95% spread
    u = parse(spec)
    grid = np.concatenate([
        np.logspace(-12, -3, 200), np.linspace(1e-3, 1 - 1e-3, 4001), 1 - np.logspace(-3, -12, 200),
    ])
    exact = u._frozen.ppf(grid)
    spread = exact[np.searchsorted(grid, 0.95)] - exact[np.searchsorted(grid, 0.05)]
    err = np.abs(u.ppf(grid) - exact)
    assert err.max() < 1e-4 * spread
    body = (grid > 0.01) & (grid < 0.99)
    # MC noise on a quantile from 10⁶ draws is ~1e-3 of the spread; the table is far below it
    assert err[body].max() < 1e-4 * spread
    assert np.all(np.diff(u.ppf(grid)) >= 0)  # still monotone
    lo, hi = u.support
    assert np.all((u.ppf(grid) >= lo) & (u.ppf(grid) <= hi))


def test_uncertain_ppf_truncated_normal_far_upper_tail():
    u = parse({"normal": {"mean": 0, "sd": 1, "low": 9}}, "nonneg")
    ref = stats.truncnorm(9, math.inf)
    q = np.array([0.001, 0.05, 0.5, 0.95, 0.999])
    assert_allclose(u.ppf(q), ref.ppf(q), rtol=1e-6)  # tabulated quantile


def test_uncertain_ppf_truncated_normal_lower_tail_bound_is_accurate():
    # the mirrored case (truncation far in the lower tail) is exact
    u = parse({"normal": {"mean": 0, "sd": 1, "high": -9}})
    ref = stats.truncnorm(-math.inf, -9)
    q = np.array([0.001, 0.05, 0.5, 0.95, 0.999])
    assert_allclose(u.ppf(q), ref.ppf(q), rtol=1e-6)  # tabulated quantile


@pytest.mark.parametrize(
    "spec",
    [{"poisson": 0.3}, {"poisson": 250}, {"negbinom": {"mean": 40, "dispersion": 0.7}}],
    ids=["poisson-small", "poisson-large", "negbinom"],
)
def test_uncertain_ppf_counts_match_scipy_everywhere(spec):
    u = parse(spec, "count")
    grid = np.concatenate([np.logspace(-12, -2, 100), np.linspace(0.01, 0.99, 981),
                           1 - np.logspace(-2, -12, 100)])
    assert_array_equal(u.ppf(grid), u._frozen.ppf(grid))


def test_uncertain_ppf_large_poisson_bounded_memory():
    u = parse({"poisson": 1e7}, "count")
    tracemalloc.start()
    try:
        x = u.ppf(np.array([0.05, 0.5, 0.95]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_allclose(x, stats.poisson(1e7).ppf([0.05, 0.5, 0.95]))
    assert peak < 50_000_000


def test_metalog3_from_percentiles_solves_the_three_equations():
    a = np.array(metalog3_from_percentiles(10, 20, 50))
    ys = np.array([0.1, 0.5, 0.9])
    logit = np.log(ys / (1 - ys))
    assert_allclose(a[0] + a[1] * logit + a[2] * (ys - 0.5) * logit, [10, 20, 50], rtol=1e-12)


def test_metalog3_from_percentiles_infeasible():
    with pytest.raises(SpecError, match="metalog"):
        metalog3_from_percentiles(1, 1.001, 1000)


def test_metalog3_from_percentiles_below_lower_bound():
    with pytest.raises(SpecError, match="lower bound"):
        metalog3_from_percentiles(1, 2, 5, lower=1)


def test_beta_from_percentiles_hits_the_percentiles():
    a, b = beta_from_percentiles(0.02, 0.2)
    assert_allclose(stats.beta.ppf([0.05, 0.95], a, b), [0.02, 0.2], atol=1e-7)


def test_uncertain_scaled_multiplies_every_quantile_and_the_mean():
    u = parse("80 to 200")
    s = u.scaled(1 / 0.8)
    assert_allclose(_quantiles(s), _quantiles(u) / 0.8, rtol=1e-12)
    assert_allclose(s.mean, u.mean / 0.8, rtol=1e-12)
    assert_allclose(parse(100).scaled(1.25).mean, 125.0)


def test_uncertain_describe_and_to_yaml():
    assert parse(120).to_yaml() == 120.0
    u = parse("80 to 200")
    assert u.to_yaml() == "80 to 200"
    assert "p5 80" in u.describe() and "p95 200" in u.describe()


# ============================================================================ field kinds
def test_parse_nonneg_refuses_normal_below_zero_with_guidance():
    with pytest.raises(SpecError) as exc:
        parse({"normal": {"mean": 10, "sd": 5}}, "nonneg")
    msg = str(exc.value)
    assert "cannot go below 0" in msg
    assert "low: 0" in msg and "pert" in msg and "'a to b'" in msg


def test_parse_nonneg_refuses_range_reaching_below_zero():
    with pytest.raises(SpecError, match="cannot go below 0"):
        parse("-5 to 5", "nonneg")


def test_parse_nonneg_refuses_negative_constant():
    with pytest.raises(SpecError, match=r"expected a number ≥ 0, found -1"):
        parse(-1, "nonneg")


def test_parse_nonneg_accepts_truncated_normal():
    u = parse({"normal": {"mean": 10, "sd": 5, "low": 0}}, "nonneg")
    assert u.support[0] == 0.0


def test_parse_count_refuses_negative():
    with pytest.raises(SpecError, match="≥ 0"):
        parse(-2, "count")


@pytest.mark.parametrize("value", [1.5, -0.1])
def test_parse_fraction_refuses_constant_outside_unit_interval(value):
    with pytest.raises(SpecError, match=r"expected a fraction in \[0, 1\]"):
        parse(value, "fraction")


def test_parse_fraction_refuses_uniform_outside_unit_interval():
    with pytest.raises(SpecError, match=r"expected a fraction in \[0, 1\].*beta"):
        parse({"uniform": [0.5, 1.5]}, "fraction")


def test_parse_fraction_refuses_lognormal():
    with pytest.raises(SpecError, match="fraction"):
        parse({"lognormal": {"p5": 0.1, "p95": 0.3}}, "fraction")


def test_parse_fraction_range_outside_unit_interval():
    with pytest.raises(SpecError, match=r"inside \(0, 1\)"):
        parse("0.5 to 1.2", "fraction")


def test_parse_fraction_range_is_beta_with_those_percentiles():
    u = parse("0.1 to 0.3", "fraction")
    assert u.kind == "beta"
    assert_allclose([u.quantile(0.05), u.quantile(0.95)], [0.1, 0.3], atol=1e-6)
    assert u.support == (0.0, 1.0)
    # the same text in a real field is a lognormal
    assert parse("0.1 to 0.3").kind == "lognormal"


def test_parse_fraction_accepts_bounds():
    assert_allclose(parse(0, "fraction").mean, 0.0)
    assert_allclose(parse(1, "fraction").mean, 1.0)


def test_parse_already_parsed_uncertain_is_rechecked():
    u = parse({"normal": {"mean": 0, "sd": 1}})
    assert parse(u) is u
    with pytest.raises(SpecError, match="cannot go below 0"):
        parse(u, "nonneg")


@pytest.mark.parametrize("text", ["nan", "inf", "1e400"])
def test_parse_refuses_non_finite_numeric_string(text):
    # YAML .nan/.inf are refused ("expected a finite number"); the same as a string (PyYAML reads
    # an unquoted 1e400 as text) must be refused too, else a NaN price or an infinite token count
    # silently passes every field-kind check.
    with pytest.raises(SpecError, match="finite"):
        parse(text, "nonneg")


def test_parse_refuses_non_finite_number():
    with pytest.raises(SpecError, match="finite"):
        parse(float("nan"))
    with pytest.raises(SpecError, match="finite"):
        parse(float("inf"))


# ============================================================================ malformed specs
def test_parse_unknown_form_did_you_mean():
    with pytest.raises(SpecError) as exc:
        parse({"lognoraml": {"p5": 1, "p95": 2}})
    assert "did you mean 'lognormal'" in str(exc.value)
    assert str(exc.value).startswith("expected")


def test_parse_two_forms_refused():
    with pytest.raises(SpecError, match="exactly one of"):
        parse({"uniform": [1, 2], "normal": {"mean": 1, "sd": 1}})


@pytest.mark.parametrize(
    "value",
    ["banana", "80 - 200", True, None, [1, 2], {}],
    ids=["word", "dash-range", "bool", "null", "list", "empty-map"],
)
def test_parse_refuses_unknown_shapes(value):
    with pytest.raises(SpecError, match="^expected"):
        parse(value)


def test_parse_lognormal_p95_below_p5():
    with pytest.raises(SpecError, match="expected p5 < p95, found p5=300 and p95=100"):
        parse({"lognormal": {"p5": 300, "p95": 100}})


def test_parse_range_reversed():
    with pytest.raises(SpecError, match="a < b"):
        parse("200 to 80")


def test_parse_beta_p95_below_p5():
    with pytest.raises(SpecError, match="p5 < p95"):
        parse({"beta": {"p5": 0.3, "p95": 0.2}}, "fraction")


def test_parse_pert_min_above_mode():
    with pytest.raises(SpecError, match="expected min ≤ mode, found min=3 and mode=1"):
        parse({"pert": [3, 1, 4]})


def test_parse_triangular_mode_above_high():
    with pytest.raises(SpecError, match="mode ≤ high"):
        parse({"triangular": [1, 5, 4]})


def test_parse_triangular_degenerate():
    with pytest.raises(SpecError, match="low < high"):
        parse({"triangular": [2, 2, 2]})


def test_parse_uniform_reversed():
    with pytest.raises(SpecError, match="low < high"):
        parse({"uniform": [3, 1]})


@pytest.mark.parametrize(
    "value, fragment",
    [
        ({"lognormal": {"p5": 1, "p96": 2}}, "p96"),
        ({"normal": {"mean": 1}}, "mean, sd"),
        ({"normal": {"mean": 1, "sd": 1, "width": 2}}, "width"),
        ({"uniform": [1, 2, 3]}, "uniform"),
        ({"pert": {"min": 1, "mode": 2}}, "pert"),
        ({"beta": {"mean": 0.5}}, "beta keys"),
        ({"discrete": {"vals": [1, 2]}}, "discrete"),
        ({"discrete": {"values": [1, 2], "weights": [1]}}, "2 weights"),
        ({"negbinom": {"mean": 2}}, "negbinom"),
        ({"metalog": {"p10": 1, "p90": 2}}, "metalog"),
        ({"lognormal": {"p5": 1, "p95": 2}, "lower": 0}, "only"),
    ],
)
def test_parse_wrong_keys(value, fragment):
    with pytest.raises(SpecError, match="^expected") as exc:
        parse(value)
    assert fragment in str(exc.value)


@pytest.mark.parametrize(
    "value, fragment",
    [
        ({"normal": {"mean": 1, "sd": 0}}, "sd > 0"),
        ({"normal": {"mean": 1, "sd": 1, "low": 2, "high": 1}}, "low < high"),
        ({"lognormal": {"p5": 0, "p95": 2}}, "p5 > 0"),
        ({"lognormal": {"median": -1, "p95": 2}}, "median > 0"),
        ({"beta": {"mean": 1.2, "sd": 0.1}}, "0 < mean < 1"),
        ({"beta": {"mean": 0.5, "sd": 0.6}}, "sd <"),
        ({"beta": {"mean": 0.5, "concentration": 0}}, "concentration > 0"),
        ({"poisson": 0}, "mean > 0"),
        ({"negbinom": {"mean": 2, "dispersion": -1}}, "dispersion > 0"),
        ({"discrete": {"values": [1, 2], "weights": [-1, 2]}}, "weights ≥ 0"),
        ({"discrete": {"values": []}}, "non-empty"),
        ({"metalog": {"p10": 3, "p50": 2, "p90": 5}}, "p10 < p50"),
        ({"pert": [1, 2, 4], "lamb": 0}, "lamb > 0"),
        ({"uniform": ["a", 2]}, "a number"),
        ({"uniform": [True, 2]}, "a number"),
    ],
)
def test_parse_invalid_parameters(value, fragment):
    with pytest.raises(SpecError, match="^expected") as exc:
        parse(value)
    assert fragment in str(exc.value)


# ============================================================================ "a to b" property
@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    a=st.floats(min_value=1e-3, max_value=1e6),
    ratio=st.floats(min_value=1.01, max_value=1e3),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_parse_range_tail_shares_are_five_percent(a, ratio, seed):
    b = a * ratio
    n = 200_000
    u = parse(f"{a!r} to {b!r}")
    x = sample({"x": u}, n, seed)["x"]
    tol = _tail_tolerance(n)
    assert abs(np.mean(x < a) - 0.05) < tol
    assert abs(np.mean(x > b) - 0.05) < tol


@settings(max_examples=10, deadline=None, derandomize=True)
@given(
    a=st.floats(min_value=-1e4, max_value=0),
    width=st.floats(min_value=1e-2, max_value=1e4),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_parse_range_normal_tail_shares_are_five_percent(a, width, seed):
    b = a + width
    n = 200_000
    x = sample({"x": parse(f"{a!r} to {b!r}")}, n, seed)["x"]
    tol = _tail_tolerance(n)
    assert abs(np.mean(x < a) - 0.05) < tol
    assert abs(np.mean(x > b) - 0.05) < tol


@settings(max_examples=10, deadline=None, derandomize=True)
@given(
    lo=st.floats(min_value=0.01, max_value=0.8),
    width=st.floats(min_value=0.02, max_value=0.5),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_parse_fraction_range_tail_shares_are_five_percent(lo, width, seed):
    hi = min(lo + width, 0.99)
    n = 200_000
    x = sample({"x": parse(f"{lo!r} to {hi!r}", "fraction")}, n, seed)["x"]
    tol = _tail_tolerance(n)
    assert abs(np.mean(x < lo) - 0.05) < tol
    assert abs(np.mean(x > hi) - 0.05) < tol
    assert np.all((x >= 0) & (x <= 1))


# ============================================================================ sampling
def _spec() -> dict[str, Uncertain]:
    return {
        "tokens": parse("80 to 200"),
        "share": parse("0.1 to 0.3", "fraction"),
        "users": parse({"pert": [100, 200, 400]}),
        "turns": parse({"poisson": 3}, "count"),
        "price": parse(2.5),
    }


def test_sample_returns_arrays_for_uncertain_and_floats_for_constants():
    out = sample(_spec(), 1000, 1)
    assert set(out) == set(_spec())
    for name in ("tokens", "share", "users", "turns"):
        assert isinstance(out[name], np.ndarray) and out[name].shape == (1000,)
        assert np.all(np.isfinite(out[name]))
    assert out["price"] == 2.5


def test_sample_same_seed_bit_identical():
    a = sample(_spec(), 5000, 42)
    b = sample(_spec(), 5000, 42)
    for name in ("tokens", "share", "users", "turns"):
        assert_array_equal(a[name], b[name])


@pytest.mark.parametrize("method", ["mc", "lhs", "sobol"])
def test_sample_same_seed_bit_identical_every_method(method):
    a = sample(_spec(), 1000, 7, method)
    b = sample(_spec(), 1000, 7, method)
    for name in ("tokens", "share", "users", "turns"):
        assert_array_equal(a[name], b[name])


def test_sample_generator_seed_works_and_is_reproducible():
    a = sample(_spec(), 2000, np.random.default_rng(3))
    b = sample(_spec(), 2000, np.random.default_rng(3))
    for name in ("tokens", "share", "users", "turns"):
        assert a[name].shape == (2000,)
        assert_array_equal(a[name], b[name])


def test_sample_numpy_integer_seed_equals_int_seed():
    a = sample(_spec(), 100, np.int64(11))
    b = sample(_spec(), 100, 11)
    assert_array_equal(a["tokens"], b["tokens"])


def test_sample_different_seeds_differ():
    a = sample(_spec(), 1000, 1)
    b = sample(_spec(), 1000, 2)
    assert not np.array_equal(a["tokens"], b["tokens"])
    assert not np.array_equal(a["share"], b["share"])


def test_sample_generator_advances_between_runs():
    rng = np.random.default_rng(0)
    a = sample(_spec(), 500, rng)
    b = sample(_spec(), 500, rng)
    assert not np.array_equal(a["tokens"], b["tokens"])


@pytest.mark.parametrize("seed", [-1, 1.5, "1", True])
def test_base_entropy_refuses_bad_seed(seed):
    with pytest.raises(ValueError, match="expected seed"):
        base_entropy(seed)


def test_uniforms_refuses_bad_n_and_method():
    with pytest.raises(ValueError, match="n ≥ 1"):
        uniforms(["a"], 0, 1)
    with pytest.raises(ValueError, match="method"):
        uniforms(["a"], 10, 1, method="halton")


def test_uniforms_are_inside_open_unit_interval():
    for method in ("mc", "lhs", "sobol"):
        u = uniforms(["a", "b", "c"], 4096, 5, method)
        assert u.shape == (4096, 3)
        assert np.all((u > 0) & (u < 1))


def test_input_streams_chunked_equals_unchunked():
    names = ["a", "b", "c"]
    whole = uniforms(names, 10_000, 99)
    streams = input_streams(names, base_entropy(99))
    parts = [uniforms(names, k, streams=streams) for k in (1, 2_999, 4_000, 3_000)]
    assert_array_equal(np.vstack(parts), whole)


def test_sample_chunked_via_input_streams_equals_unchunked():
    spec = SampleSpec(_spec())
    names = spec.uncertain_names
    whole = sample(spec, 6000, 123)
    streams = input_streams(names, base_entropy(123))
    chunks = [
        sample(spec, k, u=uniforms(names, k, streams=streams)) for k in (2500, 2500, 1000)
    ]
    for name in names:
        assert_array_equal(np.concatenate([c[name] for c in chunks]), whole[name])


def test_sample_adding_unrelated_input_keeps_other_draws_mc():
    base = _spec()
    more = {**base, "zz_extra": parse("1 to 10"), "aa_extra": parse({"uniform": [0, 1]})}
    a = sample(base, 3000, 17)
    b = sample(more, 3000, 17)
    for name in ("tokens", "share", "users", "turns"):
        assert_array_equal(a[name], b[name])


def test_input_streams_depend_only_on_name_and_entropy():
    s1 = input_streams(["x", "y"], 5)
    s2 = input_streams(["y"], 5)
    assert_array_equal(s1["y"].random(10), s2["y"].random(10))
    assert not np.array_equal(input_streams(["x"], 5)["x"].random(10), input_streams(["y"], 5)["y"].random(10))
    assert not np.array_equal(input_streams(["y"], 6)["y"].random(10), input_streams(["y"], 5)["y"].random(10))


@pytest.mark.parametrize("method", ["mc", "lhs", "sobol"])
def test_sample_marginals_are_correct(method):
    n = 2**14
    spec = {"tokens": parse("80 to 200"), "share": parse("0.1 to 0.3", "fraction"),
            "users": parse({"pert": [100, 200, 400]})}
    out = sample(spec, n, 2024, method)
    for name, u in spec.items():
        x = out[name]
        ks = stats.kstest(x, lambda v, u=u: _cdf(u, v))
        assert ks.pvalue > 1e-4, (name, method, ks)
        assert_allclose(np.quantile(x, [0.05, 0.5, 0.95]), _quantiles(u, np.array([0.05, 0.5, 0.95])),
                        rtol=0.03)


def _cdf(u: Uncertain, v: np.ndarray) -> np.ndarray:
    if u.kind == "lognormal":
        return stats.lognorm(s=u.p["sigma"], scale=math.exp(u.p["mu"])).cdf(v)
    return u._frozen.cdf(v)


def test_uniforms_lhs_is_stratified():
    n = 1000
    u = uniforms(["a", "b"], n, 3, "lhs")
    for j in range(2):
        assert_array_equal(np.sort(np.floor(u[:, j] * n)), np.arange(n))


def test_uniforms_sobol_power_of_two_is_balanced():
    n = 1024
    u = uniforms(["a", "b", "c"], n, 3, "sobol")
    for j in range(3):
        # a scrambled Sobol net puts exactly one point in each of n equal strata (per dimension)
        assert_array_equal(np.sort(np.floor(u[:, j] * n)), np.arange(n))


def test_uniforms_sobol_non_power_of_two_length():
    assert uniforms(["a"], 1000, 3, "sobol").shape == (1000, 1)


# ============================================================================ correlation
def test_spearman_to_pearson_hand_values():
    assert_allclose(spearman_to_pearson(np.array([0.0, 0.5, 1.0, -1.0])),
                    [0.0, 2 * math.sin(math.pi / 12), 1.0, -1.0], atol=1e-15)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(
    rho=st.floats(min_value=-0.95, max_value=0.95),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_correlate_uniforms_reaches_target_spearman(rho, seed):
    n = 20_000
    u = uniforms(["a", "b"], n, seed)
    c = correlate_uniforms(u, np.array([[1.0, rho], [rho, 1.0]]))
    got = stats.spearmanr(c[:, 0], c[:, 1]).statistic
    assert abs(got - rho) < 0.03
    # marginals stay uniform
    for j in range(2):
        assert stats.kstest(c[:, j], "uniform").pvalue > 1e-5


def test_sample_correlated_inputs_reach_target_and_keep_marginals():
    n = 50_000
    inputs = {
        "a": parse("80 to 200"),
        "b": parse({"pert": [1, 2, 4]}),
        "c": parse("0.1 to 0.3", "fraction"),
        "d": parse({"uniform": [0, 10]}),
    }
    corr = (("a", "b", 0.7), ("a", "c", -0.4), ("b", "c", 0.0))
    spec = SampleSpec(inputs, corr)
    out = sample(spec, n, 8)
    plain = sample(SampleSpec(inputs), n, 8)
    assert abs(stats.spearmanr(out["a"], out["b"]).statistic - 0.7) < 0.02
    assert abs(stats.spearmanr(out["a"], out["c"]).statistic + 0.4) < 0.02
    assert abs(stats.spearmanr(out["b"], out["c"]).statistic) < 0.02
    # the uncorrelated input is untouched
    assert_array_equal(out["d"], plain["d"])
    for name in ("a", "b", "c"):
        # marginals: same distribution as without correlation (two-sample KS) and as the spec
        assert stats.ks_2samp(out[name], plain[name]).pvalue > 1e-4
        assert_allclose(np.quantile(out[name], [0.05, 0.5, 0.95]),
                        _quantiles(inputs[name], np.array([0.05, 0.5, 0.95])), rtol=0.02)


def test_sample_correlation_with_lhs_reaches_target():
    spec = SampleSpec({"a": parse("1 to 10"), "b": parse("5 to 50")}, (("a", "b", 0.5),))
    out = sample(spec, 20_000, 4, "lhs")
    assert abs(stats.spearmanr(out["a"], out["b"]).statistic - 0.5) < 0.03


def test_sample_correlation_with_a_constant_is_ignored():
    spec = SampleSpec({"a": parse("1 to 10"), "k": parse(3)}, (("a", "k", 0.5),))
    out = sample(spec, 100, 1)
    assert out["k"] == 3.0
    assert_array_equal(out["a"], sample({"a": parse("1 to 10")}, 100, 1)["a"])


def test_sample_spec_correlation_matrix():
    spec = SampleSpec({"a": parse("1 to 2"), "b": parse("1 to 2")}, (("b", "a", 0.3),))
    names, m = spec.correlation_matrix()
    assert names == ["a", "b"]
    assert_allclose(m, [[1, 0.3], [0.3, 1]])


def test_check_correlation_non_psd_message():
    m = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    with pytest.raises(SpecError) as exc:
        check_correlation(m, ["a", "b", "c"])
    msg = str(exc.value)
    assert "positive semi-definite" in msg
    assert "nearest valid" in msg
    assert "a–b: 0.500" in msg and "a–c: -0.500" in msg and "b–c: 0.500" in msg


def test_check_correlation_accepts_valid_and_semidefinite():
    check_correlation(np.eye(3), ["a", "b", "c"])
    check_correlation(np.ones((2, 2)), ["a", "b"])


@pytest.mark.parametrize(
    "m, fragment",
    [
        (np.array([[1.0, 0.5], [0.4, 1.0]]), "symmetric"),
        (np.array([[2.0, 0.5], [0.5, 1.0]]), "diagonal"),
        (np.array([[1.0, 1.5], [1.5, 1.0]]), "[-1, 1]"),
        (np.eye(3), "2×2"),
    ],
)
def test_check_correlation_invalid_matrices(m, fragment):
    with pytest.raises(SpecError, match="^expected") as exc:
        check_correlation(m, ["a", "b"])
    assert fragment in str(exc.value)


def test_nearest_correlation_higham_example():
    # Higham (2002), "Computing the nearest correlation matrix", section 4
    a = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
    near = nearest_correlation(a)
    expected = np.array([[1, 0.7607, 0.1573], [0.7607, 1, 0.7607], [0.1573, 0.7607, 1]])
    assert_allclose(near, expected, atol=1e-4)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    st.lists(st.floats(min_value=-1, max_value=1), min_size=6, max_size=6),
)
def test_nearest_correlation_is_psd_with_unit_diagonal(off):
    m = np.eye(4)
    m[np.triu_indices(4, 1)] = off
    m = np.triu(m) + np.triu(m, 1).T
    near = nearest_correlation(m)
    assert_allclose(near, near.T, atol=1e-12)
    assert_allclose(np.diag(near), 1.0)
    assert np.linalg.eigvalsh(near).min() > -1e-8
    assert np.all(np.abs(near) <= 1 + 1e-9)


def test_nearest_correlation_of_valid_matrix_is_itself():
    m = np.array([[1.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.0]])
    assert_allclose(nearest_correlation(m), m, atol=1e-10)


def test_nearest_correlation_passes_check_correlation():
    m = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    check_correlation(nearest_correlation(m), ["a", "b", "c"])


@pytest.mark.parametrize("value", [10**400, {"uniform": [1, 10**400]}], ids=["constant", "param"])
def test_parse_huge_integer_is_spec_error(value):
    with pytest.raises(SpecError, match="^expected"):
        parse(value)
