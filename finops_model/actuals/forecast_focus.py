"""The forecast as FOCUS-shaped rows, for finance tools that already read FOCUS bills.

One row per use case, calendar month and model: the forecast mean bill as ``BilledCost`` /
``EffectiveCost`` [USD/month], tokens as ``ConsumedQuantity``, and the band in ``x_CostP5``,
``x_CostP50``, ``x_CostP95`` (FOCUS custom columns take an ``x_`` prefix). ``ChargeCategory`` is
"Usage" and ``x_ChargeOrigin`` says "forecast", so the rows sit beside actual FOCUS rows of the
same months without being mistaken for them.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

import numpy as np

from finops_model.actuals.forecast import BillForecast, add_months
from finops_model.governance.focus import SERVICE_CATEGORY, SERVICE_SUBCATEGORY

COLUMNS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ConsumedQuantity", "ConsumedUnit",
           "ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd", "BillingCurrency",
           "ChargeCategory", "ChargeDescription", "ChargeFrequency", "ServiceCategory", "ServiceSubcategory",
           "ServiceName", "ProviderName", "SkuId", "ResourceId", "ResourceName", "ResourceType", "Tags",
           "x_UseCase", "x_ChargeOrigin", "x_CostP5", "x_CostP50", "x_CostP95", "x_CostMean", "x_Trials")


def _iso(d: _dt.date) -> str:
    return f"{d.isoformat()}T00:00:00Z"


def forecast_focus_rows(fc: BillForecast, uc: Any, catalog: Any = None, months: list[_dt.date] | None = None) -> list[dict[str, Any]]:
    """FOCUS-shaped forecast rows of one use case (see the module docstring)."""
    rows = []
    n = fc.requests.shape[0]
    for i, month in enumerate(fc.months):
        if months is not None and month not in months:
            continue
        end = add_months(month, 1)
        for model, cost in fc.model_cost.items():
            c = cost[:, i]
            if not np.any(c):
                continue
            q = np.percentile(c, [5, 50, 95])
            provider = catalog.provider(model) if catalog is not None else ""
            mean = float(c.mean())
            rows.append({
                "BilledCost": mean, "EffectiveCost": mean, "ListCost": mean, "ContractedCost": mean,
                "ConsumedQuantity": float(fc.model_tokens[model][:, i].mean()), "ConsumedUnit": "Tokens",
                "ChargePeriodStart": _iso(month), "ChargePeriodEnd": _iso(end), "BillingPeriodStart": _iso(month),
                "BillingPeriodEnd": _iso(end), "BillingCurrency": "USD", "ChargeCategory": "Usage",
                "ChargeDescription": f"forecast {model} model calls of {uc.id} (mean of {n:,} trials)",
                "ChargeFrequency": "Usage-Based", "ServiceCategory": SERVICE_CATEGORY,
                "ServiceSubcategory": SERVICE_SUBCATEGORY, "ServiceName": f"{provider} API".strip(),
                "ProviderName": provider, "SkuId": model, "ResourceId": uc.id,
                "ResourceName": uc.name, "ResourceType": "AI use case",
                "Tags": json.dumps({**uc.governance.attribution_tags, "use_case": uc.id, "model": model}, sort_keys=True),
                "x_UseCase": uc.id, "x_ChargeOrigin": "forecast", "x_CostP5": float(q[0]), "x_CostP50": float(q[1]),
                "x_CostP95": float(q[2]), "x_CostMean": mean, "x_Trials": n,
            })
    return rows
