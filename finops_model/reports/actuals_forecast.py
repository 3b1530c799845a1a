"""The "actuals vs forecast" section of the reports, self-contained: its tables and chart data
(:func:`section_data`), its charts, and small HTML partials for the business case
(:func:`business_case_html`), the portfolio page and the leaders' index (:func:`portfolio_html`,
alerts first). Everything is computed by :func:`finops_model.actuals.compare.compare`; this module
only formats.
"""

from __future__ import annotations

import string
from typing import Any

import altair as alt
import pandas as pd

from finops_model.actuals.variance import PARTS
from finops_model.reports.business_case import esc, table_html

#: The business-case partial; ``$``-fields are filled with escaped HTML fragments.
PARTIAL = string.Template("""
<section class="finops-actuals">
<h2>Actuals vs forecast$label</h2>
$alerts
<h3>The bill against its forecast band [USD/month]</h3>
$band_chart
$band
<h3>Variance bridge: actual − forecast mean [USD/month]</h3>
$bridge_chart
$bridge
<h3>Month-to-date burn</h3>
$burn
</section>
""")

PORTFOLIO_PARTIAL = string.Template("""
<section class="finops-actuals">
<h2>Actuals vs forecast$label</h2>
$alerts
$table
</section>
""")

BRIDGE_LABELS = {"volume": "volume", "tokens_per_request": "tokens per request", "model_mix": "model mix",
                 "price": "price", "unmetered": "unmetered"}


def section_data(av: Any, use_case_id: str) -> dict[str, Any]:
    """Tables of one use case: ``band`` (month, p5, p50, p95, actual), ``bridge`` (latest month:
    part, effect), ``variance`` (every month), ``burn`` (dict or None), ``alerts`` [USD/month]."""
    band = av.bands[use_case_id]
    var = av.variance[av.variance["use_case"] == use_case_id].reset_index(drop=True)
    bridge = pd.DataFrame(columns=["part", "effect"])
    if len(var):
        last = var.iloc[-1]
        bridge = pd.DataFrame([{"part": "forecast mean", "effect": last["forecast"]}]
                              + [{"part": BRIDGE_LABELS[p], "effect": last[p]} for p in (*PARTS, "unmetered")]
                              + [{"part": "actual", "effect": last["actual"]}])
    alerts = av.alerts[(av.alerts["use_case"] == use_case_id) | av.alerts["use_case"].isna()] if len(av.alerts) else av.alerts
    b = av.burns.get(use_case_id)
    return {"band": band, "bridge": bridge, "variance": var, "burn": b.to_dict() if b else None, "alerts": alerts,
            "synthetic": av.synthetic}


def band_chart(band: pd.DataFrame, title: str = "Bill: forecast p5–p95 band, p50 and the actual [USD/month]") -> alt.LayerChart:
    df = band.assign(month=pd.to_datetime(band["month"]))
    base = alt.Chart(df, title=title).encode(x=alt.X("month:T", title="month"))
    area = base.mark_area(opacity=0.2, color="#5d6d7e").encode(y=alt.Y("p5:Q", title="USD/month", axis=alt.Axis(format="$,.0f")), y2="p95:Q")
    p50 = base.mark_line(color="#5d6d7e", strokeDash=[4, 3]).encode(y="p50:Q")
    actual = base.mark_line(color="#c0392b", point=True).encode(y="actual:Q", tooltip=[alt.Tooltip("actual:Q", format="$,.0f")])
    return alt.layer(area, p50, actual).properties(width=560, height=220)


def bridge_chart(bridge: pd.DataFrame, title: str = "Variance bridge, latest month [USD/month]") -> alt.Chart:
    df = bridge.copy()
    ends = df["part"].isin(["forecast mean", "actual"])
    start = [0.0] * len(df)
    running = 0.0
    for i, (part, e) in enumerate(zip(df["part"], df["effect"], strict=True)):
        if part == "forecast mean":
            start[i], running = 0.0, e
        elif part == "actual":
            start[i] = 0.0
        else:
            start[i] = running
            running += e
    df["start"] = start
    df["end"] = [e if ends.iloc[i] else start[i] + e for i, e in enumerate(df["effect"])]
    return alt.Chart(df, title=title).mark_bar().encode(
        x=alt.X("part:N", sort=None, title=None, axis=alt.Axis(labelAngle=-30)),
        y=alt.Y("start:Q", title="USD/month", axis=alt.Axis(format="$,.0f")), y2="end:Q",
        color=alt.condition("datum.effect >= 0", alt.value("#c0392b"), alt.value("#27ae60")),
        tooltip=["part", alt.Tooltip("effect:Q", format="$,.0f")],
    ).properties(width=560, height=220)


def _alerts_html(alerts: pd.DataFrame) -> str:
    if alerts is None or not len(alerts):
        return '<p class="finops-pass">No alert: the actuals are inside what was forecast.</p>'
    items = "".join(f"<li><b>{esc(r['alert'])}</b> {esc(r['day'])}: {esc(r['detail'])}</li>" for r in alerts.to_dict(orient="records"))
    return f'<div class="finops-fail">{len(alerts)} alert(s)</div><ul>{items}</ul>'


def _burn_html(b: dict | None) -> str:
    if b is None:
        return "<p>No monthly budget set: no burn.</p>"
    band = b["exhaustion_day"]
    after = "after month end"
    when = (f"budget reached on {esc(b['exhausted_on'])}" if b["exhausted_on"] else
            f"expected exhaustion day {esc(band['p50'] or after)} (90% band {esc(band['p5'] or after)} to {esc(band['p95'] or after)})")
    return (f"<p>{esc(b['month'][:7])}: ${b['spent_to_date_usd']:,.0f} spent of ${b['budget_usd_per_month']:,.0f} after "
            f"{b['days_observed']} of {b['days']} days; P(budget exceeded by month end) {b['p_exceed_by_month_end']:.0%}; {when}.</p>")


def business_case_html(av: Any, use_case_id: str, chart_html: Any = None) -> str:
    """The business-case section (``chart_html`` renders an altair chart, default
    :func:`finops_model.reports.charts.chart_html`)."""
    if chart_html is None:
        from finops_model.reports.charts import chart_html
    d = section_data(av, use_case_id)
    band = d["band"].dropna(subset=["actual"])
    var = d["variance"][["month", "actual", "p5", "p50", "p95", "percentile"]].rename(columns={"percentile": "actual percentile"})
    return PARTIAL.substitute(
        label=" (synthetic actuals)" if d["synthetic"] else "", alerts=_alerts_html(d["alerts"]),
        band_chart=chart_html(band_chart(d["band"])) if len(band) else "", band=table_html(var),
        bridge_chart=chart_html(bridge_chart(d["bridge"])) if len(d["bridge"]) else "", bridge=table_html(d["bridge"]),
        burn=_burn_html(d["burn"]),
    )


def portfolio_table(av: Any) -> pd.DataFrame:
    """One row per use case: latest month's actual, band and percentile, burn, alerts."""
    rows = []
    for uc in av.forecasts:
        v = av.variance[av.variance["use_case"] == uc]
        last = v.iloc[-1] if len(v) else None
        b = av.burns.get(uc)
        n_alerts = int((av.alerts["use_case"] == uc).sum()) if len(av.alerts) else 0
        rows.append({"use case": uc, "month": last["month"] if last is not None else None,
                     "actual": last["actual"] if last is not None else None, "p5": last["p5"] if last is not None else None,
                     "p95": last["p95"] if last is not None else None,
                     "percentile": last["percentile"] if last is not None else None,
                     "P(budget exceeded)": b.p_exceed if b else None, "alerts": n_alerts})
    return pd.DataFrame(rows)


def portfolio_html(av: Any) -> str:
    """The portfolio-page and leaders'-index section: alerts first, then one row per use case."""
    return PORTFOLIO_PARTIAL.substitute(label=" (synthetic actuals)" if av.synthetic else "",
                                        alerts=_alerts_html(av.alerts), table=table_html(portfolio_table(av)))
