"""Charts that draw offline: pre-aggregated data, static SVG plus the Vega-Lite spec."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from finops_model.reports import charts


def test_histogram_frame_shares_sum_to_defined_share():
    x = np.concatenate([np.random.default_rng(0).lognormal(size=999), [np.nan]])
    df = charts.histogram_frame(x, bins=20, label="cost")
    assert len(df) == 20
    assert_allclose(df["share"].sum(), 1.0)  # every finite value lands in a bin (tails clipped in)
    assert set(df["series"]) == {"cost"}


def test_histogram_frame_constant_values():
    df = charts.histogram_frame(np.full(10, 5.0))
    assert_allclose(df["share"].sum(), 1.0)
    assert (df["bin_start"] <= 5.0).any() and (df["bin_end"] >= 5.0).any()


def test_chart_html_has_svg_and_escaped_spec():
    chart = charts.bar_chart(pd.DataFrame({"name": ["<b>a</b>", "b"], "cost": [1.0, 2.0]}), "cost", "name", "t", "USD")
    fragment = charts.chart_html(chart)
    assert fragment.startswith('<div class="finops-chart" data-vega-lite="')
    assert "<svg" in fragment
    spec = json.loads(html.unescape(re.search(r'data-vega-lite="([^"]*)"', fragment).group(1)))
    assert spec["mark"]["type"] == "bar"
    assert "<b>a</b>" not in fragment.split("<svg", 1)[0]  # data in the attribute is escaped


def test_offline_script_bundles_vega_embed_without_network_urls():
    script = charts.offline_script()
    assert "window.vegaEmbed" in script
    assert "</script" not in script  # safe to inline in a <script> element
    assert not re.search(r"""import\s*\(\s*["']https?://""", script)
