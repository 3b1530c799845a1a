"""The business case of one use case: every section a leader reads, computed in the package.

``build_business_case(...)`` runs the simulation and the analyses once; its ``html_*`` methods
format one section each as an escaped HTML fragment (reports compute nothing, they format).
``notebooks/business_case.ipynb`` is a thin sequence of calls to these methods.
"""

from __future__ import annotations

import datetime as _dt
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from finops_model import __version__
from finops_model.governance.portfolio import simulate_member
from finops_model.inputs.assumptions import Assumptions, load_assumptions
from finops_model.model.engine import Result, evaluation_spec, simulate
from finops_model.reports import charts
from finops_model.reports.actuals_forecast import business_case_html as actuals_section_html
from finops_model.reports.html import esc, table_html
from finops_model.uncertainty.summary import format_value, summarise
from finops_model.util.settings import DEFAULT_TRIALS

#: Headline KPIs of the executive summary, in order.
SUMMARY_KPIS = ("avg_monthly_cost", "monthly_value", "cost_per_outcome", "value_per_outcome", "roi", "npv", "payback_month")

VERDICT_COLOURS = {"scale": "#1e8449", "optimise": "#b9770e", "redesign": "#a04000", "retire": "#922b21"}


def as_html(fragment: str) -> Any:
    """An HTML fragment as a notebook display object (the fragment itself outside IPython)."""
    try:
        from IPython.display import HTML
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return fragment
    return HTML(fragment)


STYLE = """
<style>
.finops {border-collapse: collapse; font: 13px system-ui, sans-serif; margin: 6px 0 14px}
.finops th, .finops td {border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left}
.finops td.num {text-align: right; font-variant-numeric: tabular-nums}
.finops-kpis {display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0 16px}
.finops-kpi {border: 1px solid #d5d8dc; border-radius: 6px; padding: 8px 12px; min-width: 150px}
.finops-kpi .v {font-size: 20px; font-weight: 600} .finops-kpi .l {color: #566573; font-size: 12px}
.finops-verdict {display: inline-block; color: #fff; padding: 4px 12px; border-radius: 4px; font-weight: 600; text-transform: uppercase}
.finops-pass {color: #1e8449; font-weight: 600} .finops-fail {color: #922b21; font-weight: 600}
.finops-stamp {color: #566573; font-size: 12px}
</style>
"""


@dataclass
class BusinessCase:
    """Everything the business-case report shows for one use case (computed once)."""

    assumptions: Assumptions
    use_case_id: str
    result: Result
    summary: pd.DataFrame
    trials: int
    seed: int
    method: str
    scenarios: tuple[str, ...]
    decision: Any = None
    gate: Any = None
    tornado: pd.DataFrame | None = None
    sobol: Any = None
    waterfall: Any = None
    tco: Any = None
    notes: list[str] = field(default_factory=list)
    actuals: Any = None  # finops_model.actuals.compare.ActualsVsForecast, when actuals exist

    @property
    def use_case(self) -> Any:
        return self.assumptions.use_cases[self.use_case_id]

    # ------------------------------------------------------------------ helpers
    def kpi(self, name: str, stat: str = "p50") -> float | None:
        row = self.summary.set_index("kpi").loc[name]
        v = row[stat]
        return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else float(v)

    def stamp(self) -> dict[str, Any]:
        """Reproducibility stamp: seed, assumptions hash, package version, date."""
        return {
            "use_case": self.use_case_id,
            "scenarios": list(self.scenarios),
            "trials": self.trials,
            "seed": self.seed,
            "method": self.method,
            "assumptions_hash": self.assumptions.digest,
            "package_version": __version__,
            "date": _dt.date.today().isoformat(),
        }

    # ------------------------------------------------------------------ sections
    def html_title(self) -> Any:
        uc = self.use_case
        scen = f" — scenario {', '.join(self.scenarios)}" if self.scenarios else ""
        owners = uc.owners
        meta = " · ".join(
            esc(x) for x in (
                f"business owner: {owners.business_owner or 'not named'}",
                f"technical owner: {owners.technical_owner or 'not named'}",
                f"cost center: {uc.cost_center or 'none'}",
                f"environment: {uc.environment}",
                f"process: {uc.business_process or 'not named'}",
            )
        )
        return as_html(f"{STYLE}<h1>{esc(uc.name)}{esc(scen)}</h1><p>{esc(uc.description)}</p><p class='finops-stamp'>{meta}</p>")

    def html_summary(self) -> Any:
        """Executive summary: cost vs value per outcome, viability, monthly cost band, ROI,
        NPV, payback and the verdict."""
        s = self.summary.set_index("kpi")
        uc = self.use_case

        def card(label: str, value: str, sub: str = "", kpi: str = "", stat: str = "", raw: float | None = None) -> str:
            data = f' data-kpi="{esc(kpi)}" data-stat="{esc(stat)}" data-value="{raw!r}"' if kpi and raw is not None else ""
            return (f'<div class="finops-kpi"{data}><div class="l">{esc(label)}</div><div class="v">{esc(value)}</div>'
                    f'<div class="l">{esc(sub)}</div></div>')

        mc = s.loc["avg_monthly_cost"]
        cpo = s.loc["cost_per_outcome"]
        vpo = s.loc["value_per_outcome"]
        payback = s.loc["payback_month"]
        pay_text = "not within horizon" if payback["defined_share"] == 0 else f"month {payback['p50']:.0f}"
        pay_sub = f"p50; pays back in {payback['defined_share']:.0%} of trials" if payback["defined_share"] > 0 else ""
        p_viable = float(s.loc["viable", "mean"])
        cards = [
            card(f"cost per {uc.value.outcome} (p50)", "$" + format_value(cpo["p50"], "USD") if cpo["defined_share"] else "undefined",
                 f"value per {uc.value.outcome} ${format_value(vpo['p50'], 'USD')} (p50)", "cost_per_outcome", "p50", _finite(cpo["p50"])),
            card("P(viable)", f"{p_viable:.0%}", "share of trials where cost per outcome < value per outcome", "viable", "mean", p_viable),
            card("monthly cost (p50)", "$" + format_value(mc["p50"], "USD"), f"90% band ${format_value(mc['p5'], 'USD')} – ${format_value(mc['p95'], 'USD')}",
                 "avg_monthly_cost", "p50", _finite(mc["p50"])),
            card("monthly value (p50)", "$" + format_value(s.loc["monthly_value", "p50"], "USD"), "", "monthly_value", "p50", _finite(s.loc["monthly_value", "p50"])),
            card("ROI over horizon (p50)", format_value(s.loc["roi", "p50"], "fraction"), "", "roi", "p50", _finite(s.loc["roi", "p50"])),
            card("NPV (p50)", "$" + format_value(s.loc["npv", "p50"], "USD"), f"P(NPV > 0) = {np.mean(self.result.kpis['npv'] > 0):.0%}",
                 "npv", "p50", _finite(s.loc["npv", "p50"])),
            card("payback (p50)", pay_text, pay_sub, "payback_month", "p50", _finite(payback["p50"]) if payback["defined_share"] > 0 else None),
        ]
        verdict = ""
        if self.decision is not None:
            d = self.decision
            colour = VERDICT_COLOURS.get(d.action, "#333")
            reasons = "".join(f"<li>{esc(r)}</li>" for r in d.reasons)
            notes = "".join(f"<li><em>{esc(n)}</em></li>" for n in d.notes)
            verdict = f'<h3>Verdict: <span class="finops-verdict" style="background:{colour}">{esc(d.action)}</span></h3><ul>{reasons}{notes}</ul>'
        return as_html(f"<h2>Executive summary</h2><div class='finops-kpis'>{''.join(cards)}</div>{verdict}")

    def html_cost_stack(self) -> Any:
        """Cost stack by layer and category, with the chart."""
        rows = []
        total = float(np.mean(self.result.kpis["avg_monthly_cost"]))
        for (layer, cat), v in self.result.cost_by_category.items():
            m = float(np.mean(v))
            if m <= 0:
                continue
            p5, p95 = np.percentile(v, [5, 95])
            rows.append({"layer": charts.LAYER_LABELS.get(layer, layer), "category": cat, "mean [USD/month]": m, "p5": p5, "p95": p95, "share": m / total if total else 0.0})
        df = pd.DataFrame(rows)
        by_layer = pd.DataFrame(
            [{"layer": charts.LAYER_LABELS[k], "mean [USD/month]": float(np.mean(v)), "share": float(np.mean(v)) / total if total else 0.0} for k, v in self.result.cost_by_layer().items()]
        )
        fmt = {"mean [USD/month]": "USD", "p5": "USD", "p95": "USD", "share": "fraction"}
        return as_html(
            "<h2>The cost stack</h2>" + charts.chart_html(charts.cost_stack_chart(self.result))
            + "<h3>By layer</h3>" + table_html(by_layer, fmt) + "<h3>By category</h3>" + table_html(df, fmt)
        )

    def metric_hierarchy(self) -> pd.DataFrame:
        """Cost per token, call, request, active user and outcome (p5/p50/p95)."""
        names = [("cost_per_mtok", "per 1M tokens"), ("cost_per_call", "per model call"), ("cost_per_request", "per request (workflow)"),
                 ("cost_per_active_user", "per active user-month"), ("cost_per_outcome", f"per {self.use_case.value.outcome}")]
        s = self.summary.set_index("kpi")
        return pd.DataFrame([{"metric": label, "unit": s.loc[k, "unit"], "p5": s.loc[k, "p5"], "p50": s.loc[k, "p50"], "p95": s.loc[k, "p95"], "note": s.loc[k, "note"]} for k, label in names])

    def html_metrics(self) -> Any:
        df = self.metric_hierarchy()
        return as_html("<h2>Unit economics: the metric hierarchy</h2>" + table_html(df, {"p5": "USD", "p50": "USD", "p95": "USD"})
                     + "<h3>All KPIs</h3>" + table_html(self.summary.drop(columns=["defined_share"]), {c: "" for c in ("mean", "mean_se", "p5", "p50", "p95")}))

    def html_distributions(self) -> Any:
        r = self.result
        cost = charts.distribution_chart(charts.histogram_frame(r.kpis["avg_monthly_cost"], label="monthly cost"), "Monthly cost [USD/month]", "USD/month")
        parts = ["<h2>Distributions</h2>", charts.chart_html(cost)]
        cpo = r.kpis["cost_per_outcome"]
        if np.isfinite(cpo).any():
            frame = pd.concat([charts.histogram_frame(cpo, label="cost per outcome"), charts.histogram_frame(r.kpis["value_per_outcome"], label="value per outcome")])
            parts.append(charts.chart_html(charts.distribution_chart(frame, f"Cost vs value per {self.use_case.value.outcome} [USD/outcome]", "USD/outcome")))
        parts.append(charts.chart_html(charts.monthly_band_chart(charts.monthly_band_frame(r))))
        return as_html("".join(parts))

    def html_sensitivity(self) -> Any:
        parts = ["<h2>What drives the result</h2>"]
        if self.tornado is not None and len(self.tornado):
            from finops_model.uncertainty.sensitivity import tornado_chart

            parts.append("<p>Each input swung from its 10th to its 90th percentile, the others at their medians.</p>")
            parts.append(charts.chart_html(tornado_chart(self.tornado)))
        if self.sobol is not None:
            from finops_model.uncertainty.sensitivity import sobol_chart

            parts.append("<p>Sobol total-order indices: the share of the variance each input explains, interactions included.</p>")
            parts.append(charts.chart_html(sobol_chart(self.sobol, level="group")))
        if self.tornado is None and self.sobol is None:
            parts.append("<p>No sensitivity analysis: every input is fixed, or it was not requested.</p>")
        return as_html("".join(parts))

    def html_levers(self) -> Any:
        """The savings waterfall in the order that works, with each lever alone beside it."""
        if self.waterfall is None:
            return as_html("<h2>Optimisation levers</h2><p>No lever plan applies to this use case (assumptions/levers.yaml).</p>")
        w = self.waterfall
        df = w.to_frame()
        stages = df[~df["stage"].isin(["baseline", "total", "optimised"])]
        start = float(np.median(w.baseline))
        frame = pd.DataFrame({"stage": stages["title"], "saving": stages["saving_p50"].astype(float)})
        frame["start"] = start - frame["saving"].cumsum().shift(fill_value=0.0)
        table = stages[["title", "levers", "saving_p50", "saving_p5", "saving_p95", "alone_p50", "share_of_saving", "p_saves"]].rename(
            columns={"title": "stage", "saving_p50": "saving p50 [USD/month]", "saving_p5": "p5", "saving_p95": "p95",
                     "alone_p50": "alone p50", "share_of_saving": "share", "p_saves": "P(saves)"})
        fmt = {"saving p50 [USD/month]": "USD", "p5": "USD", "p95": "USD", "alone p50": "USD", "share": "fraction", "P(saves)": "fraction"}
        intro = (f"<p>Run-rate cost {format_value(start, 'USD')} USD/month unoptimised → "
                 f"{format_value(float(np.median(w.optimised)), 'USD')} USD/month with every lever (p50, paired trials). "
                 "Savings are attributed in the order that works; 'alone' is what each stage saves by itself.</p>")
        return as_html("<h2>Optimisation levers: the savings waterfall</h2>" + intro
                     + charts.chart_html(charts.waterfall_chart(frame)) + table_html(table, fmt))

    def html_build_vs_buy(self) -> Any:
        """Build versus buy: cumulative cost curves with bands, break-even and the fleet."""
        if self.tco is None:
            return as_html("<h2>Build versus buy</h2><p>This use case has no self-hosting option to compare "
                         "(add an infrastructure.self_hosting section to price one).</p>")
        return as_html("<h2>Build versus buy</h2>" + tco_section_html(self.tco))

    def html_gate(self) -> Any:
        if self.gate is None:
            return as_html("")
        rows = [{"item": c.label, "status": c.status, "field": c.field, "detail": c.detail} for c in self.gate.checks]
        status = '<span class="finops-pass">PASS</span>' if self.gate.passed else '<span class="finops-fail">FAIL</span>'
        return as_html(f"<h2>Production gate: {status}</h2>" + table_html(pd.DataFrame(rows)))

    def assumptions_frame(self) -> pd.DataFrame:
        from finops_model.reports.summaries import assumptions_table

        df = assumptions_table(self.assumptions, self.use_case_id)
        used = evaluation_spec(self.use_case, self.assumptions.catalog).inputs
        return df[df["field"].isin(used)].reset_index(drop=True)

    def html_assumptions(self) -> Any:
        return as_html("<h2>Assumptions and their sources</h2><p>Every input the model reads, as written, with its 5th, 50th and 95th percentiles.</p>"
                     + table_html(self.assumptions_frame(), {"p5": "", "p50": "", "p95": ""}))

    def html_actuals(self) -> Any:
        """Actuals vs forecast (band, actual line, variance bridge, burn, alerts) when actuals exist."""
        if self.actuals is None or self.use_case_id not in self.actuals.forecasts:
            return as_html("")

        return as_html(actuals_section_html(self.actuals, self.use_case_id))

    def html_notes(self) -> Any:
        """Warnings met while computing (price fallbacks, correlated inputs in sensitivity)."""
        if not self.notes:
            return as_html("")
        return as_html("<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in self.notes) + "</ul>")

    def html_stamp(self) -> Any:
        s = self.stamp()
        text = " · ".join(f"{k}: {v}" for k, v in s.items())
        return as_html(f"<p class='finops-stamp'>Reproducibility stamp — {esc(text)}</p>")


def _finite(x: Any) -> float | None:
    """``x`` as a float, or None when it is missing or not finite (an undefined statistic)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def tco_frame(tco: Any) -> pd.DataFrame:
    """API vs self-hosted vs hybrid: totals over the horizon, $/1M tokens, P(cheaper)."""
    summ = tco.summary()
    rows = []
    for option, tot in summ["total_cost_usd"].items():
        be = summ["break_even_month"].get(option, {})
        rows.append({
            "option": option, "total p50 [USD]": tot["p50"], "p5": tot["p5"], "p95": tot["p95"],
            "USD per 1M tokens (p50)": summ["usd_per_mtok"].get(option, {}).get("p50"),
            "P(cheaper than API)": summ["p_cheaper_than_api"].get(option),
            "break-even month (p50)": be.get("p50"), "P(breaks even)": be.get("share_defined"),
        })
    return pd.DataFrame(rows)


def tco_section_html(tco: Any) -> str:
    """The build-versus-buy section of a :class:`~finops_model.decisions.build_vs_buy.TcoResult` as HTML."""
    import altair as alt

    rows = []
    for option in tco.options:
        bands = tco.bands(option, "cumulative")
        for m in range(len(bands["p50"])):
            rows.append({"month": m + 1, "option": option, "p5": bands["p5"][m], "p50": bands["p50"][m], "p95": bands["p95"][m]})
    base = alt.Chart(pd.DataFrame(rows), title="Cumulative cost [USD, p50 with 90% band]").encode(
        x=alt.X("month:Q"), color=alt.Color("option:N", title=None))
    chart = alt.layer(base.mark_area(opacity=0.15).encode(y=alt.Y("p5:Q", title="USD", axis=alt.Axis(format="$,.0f")), y2="p95:Q"),
                      base.mark_line().encode(y="p50:Q")).properties(width=560, height=240)
    summ = tco.summary()
    fleet = summ["fleet"]
    gpus = fleet["gpus_at_horizon_end"]
    facts = [
        f"Fleet: {fleet['model']} on {fleet['gpu']} ({fleet['engine']}, {fleet['tier']} tier), "
        f"{gpus['p50']:.0f} GPUs at the end of the horizon (90% band {gpus['p5']:.0f}–{gpus['p95']:.0f})",
        f"Break-even volume: {format_value(summ['break_even_volume_tokens_per_month']['p50'], '')} tokens/month "
        f"against {format_value(summ['movable_tokens_per_month_at_horizon_end']['p50'], '')} movable at the end of the horizon (p50)",
        f"Build-vs-buy review triggered in {summ['p_review_triggered']:.0%} of trials "
        f"(annual model spend ≥ {format_value(summ['review_threshold_usd_per_year'], 'USD')} USD)",
    ]
    fmt = {"total p50 [USD]": "USD", "p5": "USD", "p95": "USD", "USD per 1M tokens (p50)": "USD",
           "P(cheaper than API)": "fraction", "break-even month (p50)": "", "P(breaks even)": "fraction"}
    return charts.chart_html(chart) + table_html(tco_frame(tco), fmt) + "<ul>" + "".join(f"<li>{esc(f)}</li>" for f in facts) + "</ul>"


def build_vs_buy_page(trials: int = DEFAULT_TRIALS, seed: int = 0, assumptions_dir: str | None = None, scenarios: tuple[str, ...] = ()) -> Any:
    """Build versus buy for every use case with a self-hosting option, as one HTML page body."""
    from finops_model.decisions.build_vs_buy import compare_deployments

    a = load_assumptions(assumptions_dir or None, tuple(scenarios))
    parts = [STYLE, "<h1>Build versus buy</h1><p>Self-hosting total cost of ownership against the API, for every use case "
             "with an infrastructure.self_hosting section: GPUs sized for peak load at the latency target, idle capacity, "
             "redundancy, power, staff and tooling, with volume growth and API price decline over the horizon.</p>"]
    found = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for uc_id, uc in a.use_cases.items():
            if getattr(uc.infrastructure, "self_hosting", None) is None:
                continue
            found = True
            parts.append(f"<h2>{esc(uc.name)} ({esc(uc_id)})</h2>" + tco_section_html(compare_deployments(uc, a.catalog, n=trials, seed=seed)))
    if not found:
        parts.append("<p>No use case has a self-hosting option yet.</p>")
    return as_html("".join(parts))


def build_business_case(
    use_case: str,
    scenarios: list[str] | tuple[str, ...] = (),
    trials: int = DEFAULT_TRIALS,
    seed: int = 0,
    method: str = "mc",
    assumptions_dir: str | None = None,
    sensitivity: bool = True,
    sobol_base_samples: int = 256,
) -> BusinessCase:
    """Simulate one use case and run every analysis its business case shows.

    Parameters
    ----------
    use_case : str
        Use-case id.
    scenarios : list of str
        Scenario overlays applied in order.
    trials : int
        Monte Carlo trials.
    seed : int
    method : {"mc", "lhs", "sobol"}
    assumptions_dir : str, optional
        Assumptions folder (default: the project's).
    sensitivity : bool
        Run the tornado and Sobol analyses.
    sobol_base_samples : int
        Base samples of the Sobol design (N·(G+2) model rows by group).
    """
    a = load_assumptions(assumptions_dir or None, tuple(scenarios), use_cases=[use_case])
    uc = a.use_case(use_case)
    with warnings.catch_warnings(record=True) as caught:  # warnings become report notes
        warnings.simplefilter("always")
        # Monte Carlo: the trials every output of a render run gives this use case (the
        # portfolio page, the workbook and the CSVs read the same ones)
        result = simulate_member(uc, a.catalog, trials, seed) if method == "mc" else simulate(uc, a.catalog, trials, seed, method)  # type: ignore[arg-type]
        case = BusinessCase(a, use_case, result, summarise(result), trials, seed, method, tuple(scenarios))
        _attach_gate_and_decision(case)
        if sensitivity:
            _attach_sensitivity(case, sobol_base_samples, seed)
        _attach_levers(case, trials, seed)
        _attach_tco(case, trials, seed)
    seen = set(case.notes)
    for w in caught:
        note = str(w.message)
        if note not in seen:
            seen.add(note)
            case.notes.append(note)
    return case


def _attach_gate_and_decision(case: BusinessCase) -> None:
    from finops_model.governance.gate import evaluate_gate
    from finops_model.governance.verdicts import decision_inputs, recommend

    uc = case.use_case
    case.gate = evaluate_gate(uc, case.assumptions.catalog, str(case.assumptions.files.get(uc.id, "")))
    evidence = decision_inputs(uc, case.result, case.result.inputs)
    case.decision = recommend(uc.id, evidence, case.gate.passed, case.gate.missing)


def _attach_sensitivity(case: BusinessCase, n_base: int, seed: int) -> None:
    from finops_model.uncertainty.sensitivity import sobol, tornado, use_case_model

    if not evaluation_spec(case.use_case, case.assumptions.catalog).uncertain_names:
        case.notes.append("sensitivity: every input is fixed, so there is nothing to rank")
        return
    model = use_case_model(case.use_case, case.assumptions.catalog)
    case.tornado = tornado(model, ("npv",))
    case.sobol = sobol(model, ("avg_monthly_cost",), n_base=n_base, seed=seed, levels=("group",))


def _attach_levers(case: BusinessCase, trials: int, seed: int) -> None:
    from finops_model.decisions.levers import load_lever_plans
    from finops_model.decisions.waterfall import waterfall

    path = case.assumptions.root / "levers.yaml"
    if not path.exists():
        return
    levers = load_lever_plans(path).for_use_case(case.use_case_id)
    if not levers:
        return
    case.waterfall = waterfall(case.use_case, levers, case.assumptions.catalog, min(trials, 4000), seed)


def _attach_tco(case: BusinessCase, trials: int, seed: int) -> None:
    if getattr(case.use_case.infrastructure, "self_hosting", None) is None:
        return
    from finops_model.decisions.build_vs_buy import compare_deployments

    case.tco = compare_deployments(case.use_case, case.assumptions.catalog, n=min(trials, 2000), seed=seed)
