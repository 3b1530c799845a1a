"""Actuals against the forecast for every use case of a usage table, in one call: the forecasts,
the bands with the actual line, the variance bridge, the burn and the alerts (what the CLI and
the reports show)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from finops_model.actuals.alerts import Thresholds, alert_table
from finops_model.actuals.burn import Burn, burn
from finops_model.actuals.calibrate import first_month
from finops_model.actuals.forecast import BillForecast, bill_forecast
from finops_model.actuals.monthly import check_columns
from finops_model.actuals.variance import band_table, variance_table
from finops_model.errors import FinopsError
from finops_model.inputs.distributions import sample
from finops_model.model.engine import simulate

#: Trials of the forecasts compared with actuals (the band's p5/p95 need a few thousand).
TRIALS = 4000


def use_cases_in(usage: pd.DataFrame, known: Iterable[str]) -> list[str]:
    """Use cases of the assumptions that have rows in the usage table, in assumptions order."""
    present = set(usage["use_case"].dropna().astype(str))
    return [k for k in known if k in present]


def forecast(a: Any, use_case_id: str, usage: pd.DataFrame, trials: int = TRIALS, seed: int = 0,
             go_live: _dt.date | str | None = None) -> BillForecast:
    """The bill forecast of one use case lined up with its actuals (go-live: the use case's
    ``go_live``, else ``go_live``, else the first month with actuals)."""
    uc = a.use_case(use_case_id)
    if uc.go_live is None and go_live is None:
        go_live = first_month(usage, use_case_id)
    return bill_forecast(uc, simulate(uc, a.catalog, trials, seed), go_live)


def budget_trials(uc: Any, n: int, seed: int = 0) -> Any:
    """The use case's ``budget.monthly`` per trial [USD/month], or None when it has none."""
    q = uc.budget.monthly
    if q is None:
        return None
    return q.median if q.is_constant else sample({"budget.monthly": q}, n, seed)["budget.monthly"]


@dataclass
class ActualsVsForecast:
    """Everything compared for the use cases of a usage table.

    Attributes
    ----------
    forecasts : dict id → BillForecast
    bands : dict id → DataFrame (month, p5, p50, p95, mean, actual) [USD/month]
    variance : DataFrame
        :func:`~finops_model.actuals.variance.variance_table` of every use case.
    burns : dict id → Burn
        The latest month's burn where the use case has a budget.
    alerts : DataFrame
    synthetic : bool
        The usage table is synthetic (every source says so).
    """

    forecasts: dict[str, BillForecast]
    bands: dict[str, pd.DataFrame]
    variance: pd.DataFrame
    burns: dict[str, Burn] = field(default_factory=dict)
    alerts: pd.DataFrame = field(default_factory=pd.DataFrame)
    synthetic: bool = False

    def to_dict(self) -> dict[str, Any]:
        def records(df: pd.DataFrame) -> list[dict]:
            return [{k: (v.isoformat() if isinstance(v, _dt.date) else None if isinstance(v, float) and np.isnan(v) else v)
                     for k, v in r.items()} for r in df.to_dict(orient="records")]

        return {"synthetic": self.synthetic, "bands": {k: records(v) for k, v in self.bands.items()},
                "variance": records(self.variance), "burn": {k: b.to_dict() for k, b in self.burns.items()},
                "alerts": records(self.alerts)}


def compare(a: Any, usage: pd.DataFrame, use_cases: Iterable[str] | None = None, trials: int = TRIALS, seed: int = 0,
            go_live: _dt.date | str | None = None, thresholds: Thresholds | None = None) -> ActualsVsForecast:
    """Forecasts, bands, variance, burn and alerts of the use cases in ``usage``."""
    check_columns(usage)
    ids = list(use_cases) if use_cases else use_cases_in(usage, a.use_cases)
    if not ids:
        raise FinopsError(f"usage table: expected rows attributed to a use case among {', '.join(a.use_cases)}, found none")
    fcs = {k: forecast(a, k, usage, trials, seed, go_live) for k in ids}
    bands = {k: band_table(fc, usage, a.catalog) for k, fc in fcs.items()}
    var = pd.concat([variance_table(fc, usage, a.catalog) for fc in fcs.values()], ignore_index=True)
    burns = {}
    for k, fc in fcs.items():
        b = budget_trials(a.use_case(k), trials, seed)
        if b is not None and (usage["use_case"] == k).any():
            burns[k] = burn(fc, usage, a.catalog, b, seed=seed)
    alerts = alert_table(usage, fcs, a.catalog, thresholds, seed)
    src = usage["source"].dropna().astype(str)
    synthetic = bool(len(src)) and bool(src.str.contains("synthetic", case=False).all())
    return ActualsVsForecast(fcs, bands, var, burns, alerts, synthetic)
