"""Tests of finops_model.layers.selfhost: published figures, hand-checked sizing, invariants."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from finops_model.costs import selfhost as sh

# --------------------------------------------------------------------------- published figures
# Tolerance: 1% — the sources round their results to the cent.


def test_cost_per_mtok_reproduces_kshirol_learnai_on_demand_and_reserved():
    # kshirol-dev learnAI, "AI Infrastructure 09 — Inference infrastructure", "Cost Per Token
    # Breakdown": Llama 3 70B on 4× H100 (FP8, vLLM), ~850 tok/s per GPU; on-demand 4 × $2.50/h →
    # "$0.82/M tokens"; reserved (1 yr) 4 × $1.60/h → "$0.52/M tokens".
    # https://kshirol-dev.github.io/learnAI/AIInfrastructure/09-inference-infrastructure.html
    assert_allclose(sh.cost_per_mtok(4 * 2.50 / 4, 850), 0.82, rtol=0.01)
    assert_allclose(sh.cost_per_mtok(1.60, 850), 0.52, rtol=0.01)
    # … and its "Monthly capacity: 12.24M × 730 hrs = 8.9B tokens" [tokens/month]
    assert_allclose(4 * 850 * sh.SECONDS_PER_MONTH, 8.9e9, rtol=0.01)


def test_cost_per_mtok_reproduces_dreaming_press_utilisation_example():
    # dreaming.press, "Self-hosting LLM inference vs API cost": $2.50/h, 700 tokens/s →
    # "≈ $0.99 per million output tokens"; the same GPU busy 10% of the time → ten times that.
    # https://dreaming.press/posts/self-hosting-llm-inference-vs-api-cost.html
    assert_allclose(sh.cost_per_mtok(2.50, 700), 0.99, rtol=0.01)
    assert_allclose(sh.cost_per_mtok(2.50, 700, 0.10), 9.92, rtol=0.01)


def test_cost_per_mtok_reproduces_gmi_cloud_example_a():
    # GMI Cloud, "Cost Per Million Tokens Explained" (2026-05-28), example A: 70B dense on 1×
    # H100 FP8 at $2.00/GPU-hour and ~85 tokens/s → "$2.00 / (85 × 3,600) × 1,000,000 = $6.54".
    # https://www.gmicloud.ai/en/blog/llm-inference-cost-per-million-tokens
    assert_allclose(sh.cost_per_mtok(2.00, 85), 6.54, rtol=0.01)


def test_break_even_volume_reproduces_kshirol_learnai_break_even():
    # kshirol-dev learnAI (as above), "Break-even analysis (vs GPT-4o at $10/M)": monthly GPU cost
    # (4× H100 reserved) $4,608 → break-even at $4,608 / $10 per 1M = 460.8M tokens/month.
    # The page prints "0.46M tokens/month"; the ratio it states ($4,608 / $10/M) is 0.46 billion
    # — the unit on the page is a typo, the figure 0.46 (in 10⁹) is what is reproduced here.
    grid = np.logspace(6, 12, 61)
    api = 10e-6 * grid
    fleet = np.full_like(grid, 4 * 1.60 * 720)  # the page's $4,608 = 4 GPUs × $1.60 × 720 h
    assert_allclose(4 * 1.60 * 720, 4608.0)
    assert_allclose(sh.break_even_volume(grid, api, fleet) / 1e9, 0.46, rtol=0.01)


# --------------------------------------------------------------------------- serving curve
NIM_ITL = np.array([18.58, 21.83, 38.75, 59.73, 92.91, 92.86, 93.06, 93.2])
NIM_TPS = np.array([51.67, 218.48, 623.4, 814.37, 917.26, 920.9, 920.54, 920.12])


def test_throughput_at_latency_interpolates_nim_curve():
    # NIM 1.8.0 Llama-3.3-70B on 2×H100: 50 ms lies between 38.75 ms (623.4) and 59.73 ms (814.37)
    expected = 623.4 + (50 - 38.75) / (59.73 - 38.75) * (814.37 - 623.4)
    assert_allclose(sh.throughput_at_latency(50.0, NIM_ITL, NIM_TPS), expected)
    assert_allclose(expected, 725.80, atol=0.01)




def test_decode_rate_removes_prefill_time():
    # 1/D = 1/350 − (1000/100)/10,000 → D = 538.46
    assert_allclose(sh.decode_rate(350.0, 1000, 100, 10_000.0), 1 / (1 / 350 - 0.001))
    # an inconsistent prefill rate never gives more than 10× the measured throughput
    assert_allclose(sh.decode_rate(350.0, 1000, 100, 1.0), 3500.0)


def test_gpu_seconds_per_request_hand_checked():
    # 3,520 input at 50% cache hits / 10,000 + 330 / 538.46
    d = 1 / (1 / 350 - 0.001)
    assert_allclose(sh.gpu_seconds_per_request(3520, 330, 0.5, 10_000, d), 0.176 + 330 / d)
    assert_allclose(sh.gpu_seconds_per_request(3520, 330, 0.5, 10_000, d), 0.78886, atol=1e-5)


# --------------------------------------------------------------------------- sizing
def test_gpus_required_small_case_by_hand():
    # 2 req/s × 1.5 GPU-s = 3 busy GPUs; at 75% → 4 GPUs → 2 replicas of 2; N+1 → 3 → 6 GPUs
    assert_allclose(sh.gpus_required(2.0, 1.5, 0.75, 2, 1, 2), 6.0)
    # a light load still gets the minimum replicas
    assert_allclose(sh.gpus_required(0.01, 1.0, 0.8, 2, 1, 3), 6.0)
    # no traffic, no fleet
    assert_allclose(sh.gpus_required(0.0, 1.0, 0.8, 2, 1, 3), 0.0)
    # exactly full replicas do not round up to one more
    assert_allclose(sh.gpus_required(1.0, 1.6, 0.8, 1, 0, 1), 2.0)


def test_committed_fleet_never_shrinks():
    assert_allclose(sh.committed_fleet([[2, 4, 3, 6, 1]]), [[2, 4, 4, 6, 6]])


def test_utilisation_of_fleet():
    assert_allclose(sh.utilisation([1.0, 0.0], [4.0, 2.0]), [0.25, 0.0])
    assert np.isnan(sh.utilisation(0.0, 0.0))


def test_owned_cost_per_gpu_month_hand_checked():
    c = sh.owned_cost_per_gpu_month(30_000, 0.35, 4, 1.275, 1.3, 0.10, 150)
    assert_allclose(c["capex"], 30_000 * 1.35 / 48)
    assert_allclose(c["power"], 1.275 * 1.3 * 730 * 0.10)
    assert_allclose(c["hosting"], 1.275 * 150)
    assert_allclose(c["total"], 843.75 + 120.9975 + 191.25, rtol=1e-6)


def test_fine_tuning_cost_per_month_hand_checked():
    # 4 runs/year × (100 GPU-h × $2 + 40 h × $100) / 12
    assert_allclose(sh.fine_tuning_cost_per_month(4, 100, 2.0, 40, 100), 4 * (200 + 4000) / 12)


def test_price_decline_factor_month_one_is_today():
    f = sh.price_decline_factor(0.2, 25)
    assert_allclose(f[[0, 12, 24]], [1.0, 0.8, 0.64])
    assert sh.price_decline_factor(np.array([0.1, 0.3]), 13).shape == (2, 13)


def test_break_even_month_first_crossing_and_never():
    cum_api = np.array([[10, 20, 30, 40], [10, 20, 30, 40]], float)
    cum_sh = np.array([[25, 30, 30, 35], [50, 60, 70, 80]], float)
    out = sh.break_even_month(cum_sh, cum_api)
    assert out[0] == 3 and np.isnan(out[1])


def test_break_even_volume_never_and_immediately():
    grid = np.array([1.0, 10.0, 100.0])
    assert np.isnan(sh.break_even_volume(grid, [0.0, 0.0, 0.0], [5.0, 5.0, 5.0]))
    assert sh.break_even_volume(grid, [9.0, 9.0, 9.0], [5.0, 5.0, 5.0]) == 1.0


# --------------------------------------------------------------------------- invariants
pos = st.floats(0.01, 1e4, allow_nan=False)
frac = st.floats(0.05, 1.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(rps=st.floats(0.0, 500.0), in_tok=st.floats(0, 1e5), out_tok=st.floats(1, 1e4), hit=st.floats(0, 1),
       prefill=pos, decode=pos, speedup=st.floats(1.0, 20.0), util=frac, per_replica=st.integers(1, 8),
       spare=st.integers(0, 2), floor=st.integers(1, 4))
def test_gpus_required_faster_gpu_never_needs_more(rps, in_tok, out_tok, hit, prefill, decode, speedup, util, per_replica, spare, floor):
    slow = sh.gpus_required(rps, sh.gpu_seconds_per_request(in_tok, out_tok, hit, prefill, decode), util, per_replica, spare, floor)
    fast = sh.gpus_required(rps, sh.gpu_seconds_per_request(in_tok, out_tok, hit, prefill * speedup, decode * speedup), util, per_replica, spare, floor)
    assert fast <= slow


@settings(max_examples=200, deadline=None)
@given(rate=pos, tps=pos, u1=frac, u2=frac)
def test_cost_per_mtok_higher_utilisation_never_costs_more(rate, tps, u1, u2):
    lo, hi = sorted((u1, u2))
    assert sh.cost_per_mtok(rate, tps, hi) <= sh.cost_per_mtok(rate, tps, lo) * (1 + 1e-12)


@settings(max_examples=200, deadline=None)
@given(rps=st.floats(0.001, 500.0), gpu_s=st.floats(0.001, 50.0), u1=frac, u2=frac, per_replica=st.integers(1, 8))
def test_gpus_required_higher_utilisation_never_needs_more(rps, gpu_s, u1, u2, per_replica):
    lo, hi = sorted((u1, u2))
    assert sh.gpus_required(rps, gpu_s, hi, per_replica) <= sh.gpus_required(rps, gpu_s, lo, per_replica)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e5), st.floats(0, 1e5)), min_size=1, max_size=40), st.floats(0, 1e6))
def test_break_even_month_consistent_with_cumulative_curves(pairs, one_off):
    monthly_sh = np.array([p[0] for p in pairs])
    monthly_api = np.array([p[1] for p in pairs])
    cum_sh = one_off + np.cumsum(monthly_sh)
    cum_api = np.cumsum(monthly_api)
    m = sh.break_even_month(cum_sh, cum_api)
    if np.isnan(m):
        assert np.all(cum_sh > cum_api)
    else:
        k = int(m) - 1
        assert cum_sh[k] <= cum_api[k]
        assert np.all(cum_sh[:k] > cum_api[:k])
