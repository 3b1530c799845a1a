"""Showback as a FOCUS 1.2-compatible CSV (FinOps Open Cost and Usage Specification).

One row per use case and cost line for one billing month: model calls per model (priced in
tokens), every other cost of the stack per category (RAG, infrastructure, hidden costs, tool
calls) and the use case's allocation of the shared platform pool. The costs are the forecast
**mean monthly cost** over the use case's live months [USD/month] (``x_Statistic``), with the
5th and 95th percentiles alongside (``x_CostP5``, ``x_CostP95``). The use case's declared
platform share is replaced by the allocation, so the rows of the file add up to the
portfolio's direct cost plus the pool.

Values follow FOCUS: ``ServiceCategory`` "AI and Machine Learning", ``ServiceSubcategory``
"Generative AI", ``ChargeCategory`` "Usage", ISO 8601 UTC date-times, ``Tags`` a JSON object,
custom columns prefixed ``x_`` (use case, owners, outcome, cost layer, uncertainty, run stamp).
Null cells are left empty. Text cells that start with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return are prefixed with a single quote (OWASP "CSV injection") so that spreadsheet
programs never evaluate them; numbers are written as numbers.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from pathlib import Path
from typing import Any

from finops_model.errors import FinopsError
from finops_model.util.sheets import rows_csv_text

#: FOCUS 1.2 columns written, in order (``x_`` columns follow).
FOCUS_COLUMNS: tuple[str, ...] = (
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost",
    "ListUnitPrice", "ContractedUnitPrice",
    "PricingQuantity", "PricingUnit", "PricingCategory", "ConsumedQuantity", "ConsumedUnit",
    "ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd", "BillingCurrency",
    "BillingAccountId", "BillingAccountName",
    "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "ServiceCategory", "ServiceSubcategory", "ServiceName",
    "ProviderName", "PublisherName", "InvoiceIssuerName",
    "SkuId", "SkuPriceId", "SkuMeter",
    "ResourceId", "ResourceName", "ResourceType", "RegionId", "RegionName",
    "SubAccountId", "SubAccountName", "Tags",
)
#: Custom columns (FOCUS: custom columns take an ``x_`` prefix).
X_COLUMNS: tuple[str, ...] = (
    "x_UseCase", "x_UseCaseName", "x_BusinessOwner", "x_TechnicalOwner", "x_Team", "x_CostCenter",
    "x_Environment", "x_BusinessProcess", "x_Outcome", "x_OutcomesPerMonth", "x_CostPerOutcome",
    "x_CostLayer", "x_CostCategory", "x_ModelTier", "x_Scenario", "x_Statistic", "x_CostP5", "x_CostP95",
    "x_AllocationRule", "x_Trials", "x_Seed", "x_AssumptionsHash",
)
COLUMNS: tuple[str, ...] = FOCUS_COLUMNS + X_COLUMNS

SERVICE_CATEGORY = "AI and Machine Learning"
SERVICE_SUBCATEGORY = "Generative AI"

def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _iso(d: _dt.date) -> str:
    return f"{d.isoformat()}T00:00:00Z"


def _next_month(d: _dt.date) -> _dt.date:
    return _dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)


def parse_month(text: str) -> _dt.date:
    """``YYYY-MM`` → the first day of that month."""
    m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise FinopsError(f"focus: expected a billing month as YYYY-MM, found {text!r}")
    return _dt.date(int(m.group(1)), int(m.group(2)), 1)


def _pretty_provider(provider: str) -> str:
    return {"openai": "OpenAI", "anthropic": "Anthropic", "google": "Google", "cohere": "Cohere",
            "mistral": "Mistral AI", "meta": "Meta", "amazon": "Amazon", "azure": "Microsoft Azure",
            "deepseek": "DeepSeek", "xai": "xAI"}.get(provider, provider)


def focus_rows(portfolio: Any, rule: str = "spend", scenario: str | None = None, month: _dt.date | None = None,
               org_name: str = "Organisation", currency: str = "USD") -> list[dict[str, Any]]:
    """The showback as FOCUS rows (dicts keyed by :data:`COLUMNS`).

    Parameters
    ----------
    portfolio : portfolio.Portfolio
    rule : allocation rule for the platform pool (see :mod:`finops_model.allocation`)
    scenario : str, optional
    month : datetime.date, optional
        The billing month (default: the current month, UTC).
    org_name : str
        Billing account name (the organisation).
    """
    from finops_model.governance.allocation import allocate_portfolio

    sc = portfolio._scenario(scenario)
    start = (month or _dt.datetime.now(_dt.UTC).date()).replace(day=1)
    end = _next_month(start)
    ids, alloc = allocate_portfolio(portfolio, rule, sc)
    alloc_by_uc = {uc_id: alloc[i] for i, uc_id in enumerate(ids)}
    account = _slug(org_name)
    rows: list[dict[str, Any]] = []
    for uc_id, ru in portfolio.use_cases[sc].items():
        info = portfolio.info[uc_id]
        tags = dict(info.tags)
        outcomes = ru.stats["outcomes_per_month"]["mean"]
        base = {
            "ChargePeriodStart": _iso(start), "ChargePeriodEnd": _iso(end),
            "BillingPeriodStart": _iso(start), "BillingPeriodEnd": _iso(end), "BillingCurrency": currency,
            "BillingAccountId": account, "BillingAccountName": org_name,
            "ChargeCategory": "Usage", "ChargeClass": None,
            "ServiceCategory": SERVICE_CATEGORY, "ServiceSubcategory": SERVICE_SUBCATEGORY,
            "ResourceId": uc_id, "ResourceName": info.name, "ResourceType": "AI use case",
            "RegionId": None, "RegionName": None,
            "SubAccountId": info.cost_center, "SubAccountName": info.team,
            "x_UseCase": uc_id, "x_UseCaseName": info.name, "x_BusinessOwner": info.owner,
            "x_TechnicalOwner": info.technical_owner, "x_Team": info.team, "x_CostCenter": info.cost_center,
            "x_Environment": info.environment, "x_BusinessProcess": info.business_process, "x_Outcome": info.outcome,
            "x_OutcomesPerMonth": outcomes, "x_CostPerOutcome": ru.stats["cost_per_outcome"]["mean"],
            "x_Scenario": sc, "x_Statistic": "mean monthly cost over live months", "x_AllocationRule": rule,
            "x_Trials": portfolio.n_trials, "x_Seed": portfolio.seed, "x_AssumptionsHash": portfolio.digest,
        }
        for line in ru.lines:
            if line["kind"] == "other" and line["category"] == "platform operations share":
                # the declared share of the pool is replaced by the allocation row below
                own = line["mean"] - float(ru.stats["declared_platform_share"]["mean"])
                line = {**line, "mean": max(own, 0.0), "p5": None, "p95": None}
            row = dict(base)
            cost = line["mean"]
            if line["kind"] == "model":
                provider = _pretty_provider(line["provider"])
                mtok = line["tokens"] / 1e6 if line["tokens"] else 0.0
                unit_price = cost / mtok if mtok else None
                row.update({
                    "ListUnitPrice": unit_price, "ContractedUnitPrice": unit_price,
                    "PricingQuantity": mtok, "PricingUnit": "1M Tokens", "PricingCategory": "Standard",
                    "ConsumedQuantity": line["tokens"], "ConsumedUnit": "Tokens",
                    "ChargeDescription": f"{line['model']} model calls ({line['calls']:,.0f} calls/month, blended token price)",
                    "ChargeFrequency": "Usage-Based", "ServiceName": f"{provider} API",
                    "ProviderName": provider, "PublisherName": provider, "InvoiceIssuerName": provider,
                    "SkuId": line["model"], "SkuPriceId": f"{line['model']}:blended", "SkuMeter": "Tokens",
                    "x_CostLayer": "model calls", "x_CostCategory": line["category"], "x_ModelTier": line["tier"],
                    "Tags": json.dumps({**tags, "model": line["model"], "provider": line["provider"]}, sort_keys=True),
                })
            else:
                row.update({
                    "ChargeDescription": f"{line['category']} ({line['layer'].replace('_', ' ')})",
                    "ChargeFrequency": "Usage-Based" if line["layer"] in ("application_logic", "rag") else "Recurring",
                    "ServiceName": line["category"], "ProviderName": org_name, "PublisherName": org_name,
                    "InvoiceIssuerName": org_name, "SkuId": _slug(line["category"]), "SkuPriceId": None, "SkuMeter": None,
                    "x_CostLayer": line["layer"], "x_CostCategory": line["category"],
                    "Tags": json.dumps(tags, sort_keys=True),
                })
            row.update({"BilledCost": cost, "EffectiveCost": cost, "ListCost": cost, "ContractedCost": cost,
                        "x_CostP5": line["p5"], "x_CostP95": line["p95"]})
            rows.append(row)
        a = alloc_by_uc[uc_id]
        row = dict(base)
        cost = float(a.mean())
        row.update({
            "BilledCost": cost, "EffectiveCost": cost, "ListCost": cost, "ContractedCost": cost,
            "ChargeDescription": f"shared AI platform (gateway, observability, platform team) allocated by {rule}",
            "ChargeFrequency": "Recurring", "ServiceName": "Shared AI platform", "ProviderName": org_name,
            "PublisherName": org_name, "InvoiceIssuerName": org_name, "SkuId": "shared-ai-platform", "SkuPriceId": None,
            "SkuMeter": None, "x_CostLayer": "platform allocation", "x_CostCategory": f"platform allocation ({rule})",
            "x_CostP5": float(_pct(a, 5)), "x_CostP95": float(_pct(a, 95)),
            "Tags": json.dumps({**tags, "allocation_rule": rule}, sort_keys=True),
        })
        rows.append(row)
    return [{c: r.get(c) for c in COLUMNS} for r in rows]


def _pct(x: Any, q: float) -> float:
    import numpy as np

    return float(np.percentile(x, q))


def _cell(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def to_csv_text(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV text (header first, text neutralised by the safe exporter, nulls empty)."""
    return rows_csv_text(({c: _cell(r.get(c)) for c in COLUMNS} for r in rows), COLUMNS)


def write_focus_csv(path: str | Path, portfolio: Any, rule: str = "spend", scenario: str | None = None,
                    month: _dt.date | None = None, org_name: str = "Organisation") -> Path:
    """Write the showback as a FOCUS CSV, atomically; returns the path."""
    from finops_model.util.io import write_atomic

    p = Path(path)
    write_atomic(p, to_csv_text(focus_rows(portfolio, rule, scenario, month, org_name)))
    return p
