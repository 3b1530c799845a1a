"""Every KPI of a simulation: its name, unit, label and definition — the one table the engine,
the summaries, the reports and the explorer read.

Averages "per month" are over the use case's live months (from go-live to the horizon). Two
cost averages are kept apart on purpose:

* ``avg_monthly_cost`` — everything the use case costs over the horizon, one-off build and
  launch costs included, divided by the live months [USD/month];
* ``recurring_monthly_cost`` — the recurring run cost only (one-off costs excluded), divided by
  the live months [USD/month]. ``run_rate_cost`` is the recurring cost of the last month.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["KPI", "KPIS", "KPI_UNITS", "LAYERS", "kpi_table", "label"]

#: The cost stack's layers, bottom to top.
LAYERS: tuple[str, ...] = ("model_interaction", "application_logic", "rag", "infrastructure", "hidden", "build")

_LAYER_TITLES = {
    "model_interaction": "model calls", "application_logic": "application logic", "rag": "retrieval (RAG)",
    "infrastructure": "infrastructure", "hidden": "hidden labour and overheads", "build": "one-off build, spread",
}


@dataclass(frozen=True)
class KPI:
    """One KPI: ``name`` as in ``Result.kpis``, ``unit`` of its per-trial values, a ``label``
    for people and a one-sentence ``definition``."""

    name: str
    unit: str
    label: str
    definition: str


_ROWS: tuple[KPI, ...] = (
    KPI("avg_monthly_cost", "USD/month", "Average monthly cost (incl. one-off)",
        "Total cost over the horizon, one-off build costs included, divided by the live months."),
    KPI("recurring_monthly_cost", "USD/month", "Recurring monthly cost",
        "Recurring run cost over the horizon (one-off costs excluded) divided by the live months."),
    KPI("run_rate_cost", "USD/month", "Run-rate cost (last month)", "Recurring cost of the last month of the horizon."),
    KPI("monthly_value", "USD/month", "Monthly value", "Total value over the horizon divided by the live months."),
    KPI("monthly_net_value", "USD/month", "Monthly net value", "Average monthly value minus average monthly cost (incl. one-off)."),
    KPI("total_cost", "USD", "Total cost", "Recurring plus one-off cost over the horizon, undiscounted."),
    KPI("recurring_cost", "USD", "Recurring cost", "Recurring cost over the horizon, undiscounted."),
    KPI("one_off_cost", "USD", "One-off cost", "Build and launch costs, booked before go-live."),
    KPI("total_value", "USD", "Total value", "Value over the horizon, undiscounted."),
    KPI("net_value", "USD", "Net value", "Total value minus total cost, undiscounted."),
    KPI("roi", "fraction", "ROI",
        "The convention's ROI: monthly — (value − cost) / cost, undiscounted; annual (TEI) — NPV / PV(costs). Risk-adjusted."),
    KPI("roi_discounted", "fraction", "ROI (discounted)", "NPV over the present value of costs, under either convention."),
    KPI("npv", "USD", "NPV", "PV(benefits) − PV(costs) at the organisation's discount rate, under the use case's convention (risk-adjusted)."),
    KPI("pv_costs", "USD", "PV of costs", "Present value of costs, one-off costs undiscounted at period 0, risk-adjusted, explicit lines included."),
    KPI("pv_benefits", "USD", "PV of benefits", "Present value of benefits (value), risk-adjusted, explicit lines included."),
    KPI("payback_month", "month", "Payback month",
        "When cumulative undiscounted net value recovers the one-off costs, linear within the period (fractional)."),
    KPI("payback_years", "year", "Payback (years)", "Payback month over 12."),
    KPI("requests_per_month", "requests/month", "Requests per month", "Requests over the horizon divided by the live months."),
    KPI("outcomes_per_month", "outcomes/month", "Outcomes per month", "Successful outcomes over the horizon divided by the live months."),
    KPI("active_users", "users", "Active users (last month)", "Active users in the last month of the horizon."),
    KPI("calls_per_request", "calls/request", "Model calls per request", "Model calls one request makes, retries and fallbacks included."),
    KPI("tokens_per_request", "tokens/request", "Tokens per request", "Input plus output tokens of one request."),
    KPI("input_tokens_per_request", "tokens/request", "Input tokens per request", "Input tokens (cached included) of one request."),
    KPI("output_tokens_per_request", "tokens/request", "Output tokens per request", "Output tokens (reasoning included) of one request."),
    KPI("cost_per_mtok", "USD/1M tokens", "Model cost per million tokens", "Model spend over total tokens, per million."),
    KPI("cost_per_call", "USD/call", "Cost per model call", "Model spend over model calls."),
    KPI("cost_per_request", "USD/request", "Cost per request", "Recurring cost over requests."),
    KPI("cost_per_active_user", "USD/user-month", "Cost per active user-month", "Recurring cost over active user-months."),
    KPI("cost_per_outcome", "USD/outcome", "Cost per outcome", "Recurring cost over successful outcomes."),
    KPI("value_per_outcome", "USD/outcome", "Value per outcome", "Value one successful outcome brings."),
    KPI("viable", "fraction", "P(viable)", "Share of trials where cost per outcome is below value per outcome."),
    KPI("annual_model_spend", "USD/year", "Annual model spend (run rate)", "Model-call spend of the last month, times 12."),
    KPI("review_triggered", "fraction", "P(build-vs-buy review)", "Share of trials where annual model spend reaches the review threshold."),
    *(KPI(f"cost_{layer}", "USD/month", f"Cost: {_LAYER_TITLES[layer]}", f"Average monthly cost of the {_LAYER_TITLES[layer]} layer.")
      for layer in LAYERS),
)

#: KPI name → definition.
KPIS: dict[str, KPI] = {k.name: k for k in _ROWS}

#: KPI name → unit. Every KPI in a ``Result`` is an array of trials in this unit.
KPI_UNITS: dict[str, str] = {k.name: k.unit for k in _ROWS}


def label(name: str) -> str:
    """The label people read for KPI ``name`` (the name itself if it is not a KPI)."""
    k = KPIS.get(name)
    return k.label if k else name


def kpi_table() -> pd.DataFrame:
    """The KPI definitions as a table: ``kpi``, ``unit``, ``label``, ``definition``."""
    return pd.DataFrame([{"kpi": k.name, "unit": k.unit, "label": k.label, "definition": k.definition} for k in _ROWS])
