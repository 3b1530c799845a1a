"""Charts (altair) that render with no network at all.

Charts take tidy DataFrames and return ``altair.Chart`` objects. :func:`chart_html` turns a
chart into an HTML fragment that works everywhere:

* a static SVG made locally with ``vl-convert`` (no Vega scripts, no fonts fetched), shown in
  JupyterLab and in any exported page;
* the chart's Vega-Lite spec in a ``data-vega-lite`` attribute, which an exported report page
  upgrades to an interactive chart with the Vega bundle inlined once per page
  (:func:`offline_script`), still without network.

Data sent to a chart is pre-aggregated (histogram bins, percentiles) so that a page stays small
whatever the number of trials.
"""

from __future__ import annotations

import html
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from finops_model.model.engine import Result
from finops_model.model.kpis import LAYERS

#: Vega-Lite version spoken by the installed altair, as vl-convert names it.
_VL = "v" + ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]).replace(".", "_")

LAYER_LABELS = {
    "model_interaction": "Model interaction",
    "application_logic": "Application logic",
    "rag": "RAG and data pipeline",
    "infrastructure": "Infrastructure",
    "hidden": "Hidden costs",
    "build": "Build (one-off, spread)",
}
PALETTE = ["#1f4e79", "#2e86c1", "#48c9b0", "#f5b041", "#e74c3c", "#8e44ad", "#7f8c8d"]


def _vl_version() -> str:
    import vl_convert as vlc

    versions = vlc.get_vegalite_versions()
    want = _VL.lstrip("v").replace("_", ".")
    return "v" + (want if want in versions else versions[-1]).replace(".", "_")


def histogram_frame(values: np.ndarray, bins: int = 40, label: str = "value") -> pd.DataFrame:
    """Histogram of the finite values: ``bin_start, bin_end, share`` [share of trials]."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return pd.DataFrame(columns=["bin_start", "bin_end", "share", "series"])
    lo, hi = np.percentile(x, [0.5, 99.5])
    if hi <= lo:
        lo, hi = lo - 0.5 * max(abs(lo), 1), hi + 0.5 * max(abs(hi), 1)
    counts, edges = np.histogram(np.clip(x, lo, hi), bins=bins, range=(lo, hi))
    return pd.DataFrame({"bin_start": edges[:-1], "bin_end": edges[1:], "share": counts / x.size, "series": label})


def cost_stack_chart(result: Result, title: str = "Monthly cost by layer [USD/month, mean]") -> alt.Chart:
    """Stacked bar of the mean monthly cost by layer and category."""
    rows = [
        {"layer": LAYER_LABELS.get(layer, layer), "category": cat, "cost": float(np.mean(v))}
        for (layer, cat), v in result.cost_by_category.items()
        if float(np.mean(v)) > 0
    ]
    df = pd.DataFrame(rows)
    order = [LAYER_LABELS[x] for x in LAYERS]
    return (
        alt.Chart(df, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("layer:N", sort=order, title=None),
            x=alt.X("sum(cost):Q", title="USD/month", axis=alt.Axis(format="$,.0f")),
            color=alt.Color("category:N", legend=alt.Legend(title="Category", columns=2, orient="bottom")),
            tooltip=["layer", "category", alt.Tooltip("cost:Q", format="$,.0f")],
        )
        .properties(width=560, height=200)
    )


def distribution_chart(frame: pd.DataFrame, title: str, x_title: str, markers: dict[str, float] | None = None) -> alt.LayerChart | alt.Chart:
    """A histogram from :func:`histogram_frame` (one or several series), with vertical markers."""
    base = (
        alt.Chart(frame, title=title)
        .mark_bar(opacity=0.65, binSpacing=0)
        .encode(
            x=alt.X("bin_start:Q", bin="binned", title=x_title),
            x2="bin_end:Q",
            y=alt.Y("share:Q", title="share of trials", axis=alt.Axis(format="%")),
            color=alt.Color("series:N", title=None, scale=alt.Scale(range=PALETTE)),
        )
        .properties(width=560, height=200)
    )
    if not markers:
        return base
    marks = pd.DataFrame({"x": list(markers.values()), "label": list(markers)})
    rules = alt.Chart(marks).mark_rule(color="#c0392b", strokeDash=[4, 3]).encode(x="x:Q", tooltip=["label", alt.Tooltip("x:Q", format=",.4g")])
    text = alt.Chart(marks).mark_text(align="left", dx=4, dy=-6, color="#c0392b").encode(x="x:Q", y=alt.value(8), text="label:N")
    return alt.layer(base, rules, text)


def monthly_band_frame(result: Result) -> pd.DataFrame:
    """Monthly cost and value percentiles: ``month, series, p5, p50, p95`` [USD/month]."""
    rows = []
    for name, arr in (("cost", result.cost_by_month), ("value", result.value_by_month)):
        p = np.percentile(arr, [5, 50, 95], axis=0)
        for m in range(arr.shape[1]):
            rows.append({"month": m + 1, "series": name, "p5": p[0, m], "p50": p[1, m], "p95": p[2, m]})
    return pd.DataFrame(rows)


def monthly_band_chart(frame: pd.DataFrame, title: str = "Monthly cost and value [USD/month, p50 with 90% band]") -> alt.LayerChart:
    """Fan chart of monthly cost and value over the horizon."""
    base = alt.Chart(frame, title=title).encode(
        x=alt.X("month:Q", title="month"), color=alt.Color("series:N", scale=alt.Scale(range=["#e74c3c", "#27ae60"]), title=None)
    )
    band = base.mark_area(opacity=0.2).encode(y=alt.Y("p5:Q", title="USD/month", axis=alt.Axis(format="$,.0f")), y2="p95:Q")
    line = base.mark_line().encode(y="p50:Q", tooltip=["series", "month", alt.Tooltip("p50:Q", format="$,.0f")])
    return alt.layer(band, line).properties(width=560, height=220)


def bar_chart(frame: pd.DataFrame, x: str, y: str, title: str, x_title: str, fmt: str = "$,.0f", color: str | None = None) -> alt.Chart:
    """Horizontal bars sorted by value (metric hierarchy, showback, tornado-like tables)."""
    enc: dict[str, Any] = {
        "y": alt.Y(f"{y}:N", sort="-x", title=None),
        "x": alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(format=fmt)),
        "tooltip": [y, alt.Tooltip(f"{x}:Q", format=fmt)],
    }
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=None)
    return alt.Chart(frame, title=title).mark_bar(color=PALETTE[1]).encode(**enc).properties(width=520, height=max(120, 22 * len(frame)))


def waterfall_chart(frame: pd.DataFrame, title: str = "Savings waterfall [USD/month, p50]") -> alt.LayerChart:
    """A waterfall from ``stage`` and ``saving`` columns (start, savings in order, end)."""
    df = frame.copy()
    df["end"] = df["start"] - df["saving"]
    bars = (
        alt.Chart(df, title=title)
        .mark_bar()
        .encode(
            x=alt.X("stage:N", sort=None, title=None, axis=alt.Axis(labelAngle=-30)),
            y=alt.Y("start:Q", title="USD/month", axis=alt.Axis(format="$,.0f")),
            y2="end:Q",
            color=alt.condition("datum.saving >= 0", alt.value("#27ae60"), alt.value("#e74c3c")),
            tooltip=["stage", alt.Tooltip("saving:Q", format="$,.0f")],
        )
    )
    return bars.properties(width=560, height=240)


@lru_cache(maxsize=1)
def offline_script() -> str:
    """The Vega, Vega-Lite and vega-embed bundle plus the code that upgrades chart fragments.

    Inline it once per exported page: every ``.finops-chart`` element then becomes an
    interactive chart, with no network access. Bundling takes about 2 s, so the result is kept
    in the user's cache folder (keyed by the vl-convert and Vega-Lite versions).
    """
    import vl_convert as vlc

    vl = _vl_version().lstrip("v").replace("_", ".")
    cache = _cache_dir() / f"vega-bundle-{getattr(vlc, '__version__', 'x')}-vl{vl}.js"
    try:
        bundle = cache.read_text(encoding="utf-8")
    except OSError:
        bundle = vlc.javascript_bundle("window.vegaEmbed = vegaEmbed;", vl_version=vl)
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f".{cache.name}.{os.getpid()}")
            tmp.write_text(bundle, encoding="utf-8")
            tmp.replace(cache)
        except OSError:  # a read-only home: recompute next time
            pass
    upgrade = (
        "document.addEventListener('DOMContentLoaded',function(){"
        "document.querySelectorAll('.finops-chart[data-vega-lite]').forEach(function(el){"
        "try{var spec=JSON.parse(el.getAttribute('data-vega-lite'));var t=document.createElement('div');"
        "window.vegaEmbed(t,spec,{actions:false,renderer:'svg'}).then(function(){el.innerHTML='';el.appendChild(t);})"
        ".catch(function(e){console.warn('chart kept static',e);});}catch(e){console.warn(e);}});});"
    )
    return bundle.replace("</script", "<\\/script") + "\n" + upgrade


def _cache_dir() -> Path:
    """Where derived, re-creatable files are kept (``$XDG_CACHE_HOME/finops-workbench``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "finops-workbench"


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as a static SVG string, made locally with vl-convert."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_dict(), vl_version=_vl_version())


def chart_html(chart: alt.TopLevelMixin) -> str:
    """An HTML fragment: static SVG now, interactive where the offline bundle is present."""
    spec = json.dumps(chart.to_dict(), separators=(",", ":"), default=str)
    return f'<div class="finops-chart" data-vega-lite="{html.escape(spec, quote=True)}">{chart_svg(chart)}</div>'


def show(chart: alt.TopLevelMixin) -> Any:
    """Display a chart in a notebook (offline-safe); returns the IPython HTML object."""
    from IPython.display import HTML, display

    obj = HTML(chart_html(chart))
    display(obj)
    return obj
