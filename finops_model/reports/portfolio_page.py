"""The portfolio report: every use case, showback, budgets, decisions and scenario comparison.

``build_portfolio_page(...)`` computes once (a :class:`~finops_model.portfolio.Portfolio` roll-up
with trials aligned across use cases and scenarios); its ``html_*`` methods format one section
each. ``notebooks/portfolio.ipynb`` is a thin sequence of calls to them.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from finops_model import __version__
from finops_model.reports import charts
from finops_model.reports.business_case import STYLE, as_html
from finops_model.reports.html import esc, table_html
from finops_model.uncertainty.summary import format_value
from finops_model.util.paths import ASSUMPTIONS_DIR
from finops_model.util.settings import DEFAULT_TRIALS

USD = "USD"


@dataclass
class PortfolioPage:
    """Everything the portfolio report shows (computed once)."""

    portfolio: Any
    loaded: dict[str, Any]
    reference: str
    allocate: str
    trials: int
    seed: int
    decisions: dict[str, Any] = field(default_factory=dict)
    actuals: Any = None  # finops_model.actuals.compare.ActualsVsForecast, when actuals exist

    def html_actuals(self) -> Any:
        """Actuals vs forecast, alerts first (also the leaders' index block)."""
        if self.actuals is None:
            return as_html("")
        from finops_model.reports.actuals_forecast import portfolio_html

        return as_html(portfolio_html(self.actuals))

    def html_summary(self) -> Any:
        p = self.portfolio
        totals = p.totals_table()
        n_uc = len(next(iter(p.use_cases.values())))
        cost = totals[(totals["scenario"] == self.reference) & (totals["metric"] == "avg_monthly_cost")].iloc[0]
        value = totals[(totals["scenario"] == self.reference) & (totals["metric"] == "monthly_value")].iloc[0]
        intro = (f"<p>{n_uc} use cases, {p.n_trials:,} trials aligned across use cases and scenarios. "
                 f"Under <b>{esc(self.reference)}</b> the portfolio costs ${_usd(cost['p50'])}/month "
                 f"(90% band ${_usd(cost['p5'])} – ${_usd(cost['p95'])}) and produces "
                 f"${_usd(value['p50'])}/month of value (p50).</p>")
        fmt = {c: USD for c in ("mean", "p5", "p50", "p95")}
        return as_html(STYLE + "<h1>AI portfolio</h1>" + intro + "<h2>Totals by scenario [USD/month]</h2>" + table_html(totals, fmt))

    def html_scenarios(self) -> Any:
        """Scenario comparison: paired differences against the reference and P(cheaper)."""
        p = self.portfolio
        rows = []
        for sc in p.scenarios:
            if sc == self.reference:
                continue
            d = p.scenario_difference(sc, self.reference)
            rows.append({"scenario": sc, "vs": self.reference, "change p50 [USD/month]": d["p50"], "p5": d["p5"], "p95": d["p95"],
                         "P(cheaper)": d["p_lower"]})
        by_uc = []
        for uc_id in p.use_cases[self.reference]:
            row: dict[str, Any] = {"use_case": uc_id}
            for sc in p.scenarios:
                row[f"{sc} p50"] = p.use_cases[sc][uc_id].stats["avg_monthly_cost"]["p50"] if uc_id in p.use_cases[sc] else None
            by_uc.append(row)
        fmt = {"change p50 [USD/month]": USD, "p5": USD, "p95": USD, "P(cheaper)": "fraction"}
        body = "<h2>Scenario comparison</h2>"
        body += table_html(pd.DataFrame(rows), fmt) if rows else "<p>Only one scenario: nothing to compare.</p>"
        body += "<h3>Monthly cost by use case and scenario [USD/month, p50]</h3>" + table_html(pd.DataFrame(by_uc), {c: USD for c in by_uc[0] if c != "use_case"} if by_uc else {})
        return as_html(body)

    def use_case_frame(self) -> pd.DataFrame:
        """One row per use case under the reference scenario, headed for people [USD/month, USD/outcome]."""
        rows = []
        for uc_id, ru in self.portfolio.use_cases[self.reference].items():
            st, info = ru.stats, self.portfolio.info[uc_id]
            rows.append({
                "use case": uc_id, "owner": info.owner, "team": info.team,
                "monthly cost p50 [USD/month]": st["avg_monthly_cost"]["p50"],
                "p5 [USD/month]": st["avg_monthly_cost"]["p5"], "p95 [USD/month]": st["avg_monthly_cost"]["p95"],
                "monthly value p50 [USD/month]": st["monthly_value"]["p50"],
                "cost per outcome p50 [USD]": st["cost_per_outcome"]["p50"],
                "value per outcome p50 [USD]": st["value_per_outcome"]["p50"],
                "P(viable)": st["viable"]["mean"],
            })
        return pd.DataFrame(rows)

    def html_use_cases(self) -> Any:
        df = self.use_case_frame()
        fmt = {c: (USD if "[USD" in c else "fraction") for c in df.columns if c not in ("use case", "owner", "team")}
        bars = charts.bar_chart(df.rename(columns={"monthly cost p50 [USD/month]": "cost", "use case": "use_case"})[["use_case", "cost"]],
                                "cost", "use_case", "Monthly cost by use case [USD/month, p50]", "USD/month")
        rows = "".join(
            f'<tr data-use-case="{esc(r["use case"])}" data-kpi="avg_monthly_cost" data-stat="p50" data-value="{float(r["monthly cost p50 [USD/month]"])!r}"></tr>'
            for _, r in df.iterrows())
        return as_html("<h2>Use cases</h2>" + charts.chart_html(bars) + table_html(df, fmt)
                       + f"<table hidden class='finops-data'>{rows}</table>")

    def html_splits(self) -> Any:
        p = self.portfolio
        parts = ["<h2>Where the money goes</h2>"]
        for dim in ("team", "cost_center", "environment", "provider", "tier", "layer"):
            try:
                df = p.split_table(dim, self.reference)
            except Exception:  # a dimension not tracked by this portfolio
                continue
            parts.append(f"<h3>By {esc(dim.replace('_', ' '))}</h3>" + table_html(df, {"mean": USD, "p5": USD, "p50": USD, "p95": USD, "share": "fraction"}))
        mix = p.tier_mix(self.reference)
        parts.append("<h3>Model-tier mix</h3>" + table_html(mix, {"cost_mean": USD, "cost_share": "fraction", "calls_mean": "", "calls_share": "fraction"}))
        flagged = p.frontier_by_default(self.reference)
        if len(flagged):
            parts.append("<h3>Frontier by default</h3><p>Routine steps running on frontier or reasoning models — candidates for routing:</p>"
                         + table_html(flagged[["use_case", "step", "kind", "model", "tier", "cost_mean"]], {"cost_mean": USD}))
        return as_html("".join(parts))

    def html_showback(self) -> Any:
        from finops_model.governance.allocation import chargeback, showback

        sb = showback(self.portfolio, self.allocate, self.reference)
        cb = chargeback(self.portfolio, self.allocate, self.reference)
        money = {c: USD for c in ("direct_run_cost", "platform_allocation", "fully_loaded", "fully_loaded_p5", "fully_loaded_p95",
                                  "charge", "charge_p5", "charge_p95", "budget")}
        money.update({"share": "fraction", "p_over_budget": "fraction"})
        return as_html(f"<h2>Showback and chargeback</h2><p>The shared platform pool (gateway, observability platform, platform team) "
                     f"is allocated by <b>{esc(self.allocate)}</b>; allocations sum to the pool.</p>"
                     "<h3>Showback by use case [USD/month]</h3>" + table_html(sb, money)
                     + "<h3>Chargeback by cost center [USD/month]</h3>" + table_html(cb, money))

    def html_budgets(self) -> Any:
        from finops_model.governance.budgets import cost_center_outlooks, outlook_table

        p = self.portfolio
        out = cost_center_outlooks(p.monthly_by_cost_center[self.reference], p.cost_center_budgets)
        df = outlook_table(out)
        fmt = {"budget": USD, "p_exceed_max": "fraction", "run_rate_p50": USD, "run_rate_p95": USD}
        return as_html("<h2>Budgets</h2><p>Probability that a cost center exceeds its monthly budget, and the month a breach "
                     "becomes likely as adoption grows.</p>" + table_html(df, fmt))

    def html_decisions(self) -> Any:
        from finops_model.governance.verdicts import decisions_table

        parts = ["<h2>Decisions and the production gate</h2>"]
        if self.decisions:
            df = decisions_table(self.decisions)
            parts.append(table_html(df, {"p_viable_at_scale": "fraction", "cost_per_outcome_at_scale": USD, "value_per_outcome": USD,
                                         "trend_ratio": "", "required_cut": "fraction"}))
        gate = getattr(self.portfolio, "gate", {}) or {}
        if gate:
            rows = [{"use_case": k, "gate": "pass" if g.passed else "FAIL", "missing": ", ".join(g.missing)} for k, g in gate.items()]
            parts.append("<h3>Production gate</h3>" + table_html(pd.DataFrame(rows)))
        return as_html("".join(parts))

    def html_stamp(self) -> Any:
        text = (f"scenarios: {', '.join(self.portfolio.scenarios)} · trials: {self.trials} · seed: {self.seed} · "
                f"assumptions hash: {self.portfolio.digest} · package version: {__version__} · date: {_dt.date.today().isoformat()}")
        return as_html(f"<p class='finops-stamp'>Reproducibility stamp — {esc(text)}</p>")


def _usd(x: float) -> str:
    return format_value(float(x), USD)


def build_portfolio_page(scenarios: list[str] | tuple[str, ...] = (), trials: int = DEFAULT_TRIALS, seed: int = 0,
                         allocate: str = "spend", assumptions_dir: str = "") -> PortfolioPage:
    """Roll up every use case under baseline and each scenario; compute decisions.

    Parameters
    ----------
    scenarios : names
        Scenarios compared with baseline (default: every overlay in ``assumptions/scenarios``).
    trials, seed : simulation settings (trials aligned across use cases and scenarios).
    allocate : {"spend", "tokens", "requests", "even"}
        How the shared platform pool is allocated.
    assumptions_dir : str
        Assumptions folder ('' = the project's).
    """
    from finops_model.governance.portfolio import load_portfolio, rollup_assumptions
    from finops_model.governance.verdicts import recommend
    from finops_model.inputs.assumptions import published_scenarios

    root = assumptions_dir or None
    base_dir = ASSUMPTIONS_DIR if root is None else Path(root)
    available = published_scenarios(base_dir)
    reference = "baseline" if "baseline" in available else None
    wanted = list(scenarios) or [s for s in available if s != reference]
    names = ([reference] if reference else []) + [s for s in wanted if s != reference]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = load_portfolio(root, tuple(names))
        portfolio = rollup_assumptions(loaded, n=trials, seed=seed)
        ref = next(iter(loaded))
        decisions = {}
        for uc_id, ru in portfolio.use_cases[ref].items():  # the roll-up's own trials: no second simulation
            g = portfolio.gate.get(uc_id)
            decisions[uc_id] = recommend(uc_id, ru.decision, g.passed if g else True, g.missing if g else ())
    return PortfolioPage(portfolio, loaded, ref, allocate, trials, seed, decisions)


__all__ = ["PortfolioPage", "build_portfolio_page"]
