"""Fleets billed as they run: daily load shapes, node-hours by hand, and a published serving day."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

from finops_model.costs import selfhost as sh

# DeepSeek's published serving day (tests/data/selfhost/PROVENANCE.md)
PEAK_NODES = 278
AVERAGE_NODES = 226.75
GPUS_PER_NODE = 8
USD_PER_GPU_HOUR = 2.0
PUBLISHED_USD_PER_DAY = 87_072
HOURLY_NODES = [73] * 6 + [278] * 18  # a day with the published peak and average


def _deepseek_day(max_utilisation=1.0, redundant=0, min_replicas=0):
    day = sh.hourly_day(HOURLY_NODES)
    # one replica = one node; 1 GPU-s per request; average load = 226.75 nodes busy
    avg_rps = AVERAGE_NODES * GPUS_PER_NODE
    return sh.fleet_over_day(avg_rps, 1.0, day, max_utilisation, GPUS_PER_NODE, redundant, min_replicas)


def test_published_day_billed_as_run_matches_the_published_cost():
    fleet = _deepseek_day()
    assert_allclose(fleet["average"], AVERAGE_NODES * GPUS_PER_NODE, rtol=1e-12)
    assert_allclose(fleet["peak"], PEAK_NODES * GPUS_PER_NODE, rtol=1e-12)
    assert_allclose(fleet["average"] * 24 * USD_PER_GPU_HOUR, PUBLISHED_USD_PER_DAY, rtol=1e-12)


def test_published_day_sized_for_the_peak_reads_23_percent_more():
    fleet = _deepseek_day()
    assert_allclose(fleet["peak"] / fleet["average"] - 1, 278 / 226.75 - 1, rtol=1e-12)  # +22.6%
    # with the default headroom (80% at peak, N+1): ceil(278 / 0.8) + 1 = 349 nodes, +53.9%
    headroom = _deepseek_day(max_utilisation=0.8, redundant=1)
    assert_allclose(headroom["peak"], 349 * GPUS_PER_NODE)
    assert_allclose(headroom["peak"] / fleet["average"] - 1, 349 / 226.75 - 1, rtol=1e-12)


def test_two_level_day_node_hours_by_hand():
    # p = 3, 4 h at peak: base = (24 − 12) / 20 = 0.6. Average 10 GPU-loads busy,
    # 1 GPU per replica, no headroom, no spare: peak 30 GPUs for 4 h, base 6 GPUs for 20 h
    # → node-hours 4 × 30 + 20 × 6 = 240 a day = 10 GPUs on average.
    day = sh.two_level_day(3.0, 4.0)
    assert_allclose([w for w, _ in day], [3.0, 0.6])
    assert_allclose([h for _, h in day], [4.0, 20.0])
    fleet = sh.fleet_over_day(10.0, 1.0, day, 1.0, 1, 0, 0)
    assert_allclose(fleet["peak"], 30.0)
    assert_allclose(fleet["average"], (4 * 30 + 20 * 6) / 24)
    # with N+1 and 2 replicas of 2 GPUs at 80%: peak ceil(30 / 1.6) + 1 = 20 replicas = 40 GPUs,
    # base ceil(6 / 1.6) + 1 = 5 replicas = 10 GPUs → (4 × 40 + 20 × 10) / 24 = 15 GPUs
    fleet = sh.fleet_over_day(10.0, 1.0, day, 0.8, 2, 1, 2)
    assert_allclose(fleet["peak"], 40.0)
    assert_allclose(fleet["average"], 15.0)


def test_two_level_day_caps_hours_at_peak_and_keeps_the_average():
    day = sh.two_level_day(np.array([2.0, 5.0]), np.array([6.0, 10.0]))
    avg = sum(w * h for w, h in day) / 24
    assert_allclose(avg, [1.0, 1.0])
    assert_allclose(day[0][1], [6.0, 24 / 5])  # 10 h at 5× the average cannot fit in a day
    assert_allclose(day[1][0], [(24 - 12) / 18, 0.0])


def test_no_traffic_no_fleet():
    fleet = sh.fleet_over_day(np.array([0.0, 1.0]), 1.0, sh.two_level_day(3.0, 6.0), 1.0, 1, 1, 2)
    assert_allclose(fleet["peak"][0], 0.0)
    assert_allclose(fleet["average"][0], 0.0)
