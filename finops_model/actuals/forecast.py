"""The simulated forecast on the calendar, in the shape of the bill.

A use case's horizon starts ``one_off.build_months`` before its ``go_live`` date; horizon month
``build_months + 1`` is the calendar month of ``go_live``. :func:`bill_forecast` turns a
simulation :class:`~finops_model.model.engine.Result` into what an AI bill shows, per trial and
calendar month: requests, and per model the tokens, calls and model-call spend (the API spend of
the use case's steps — what the usage table of the actuals carries; hidden, RAG-store and
infrastructure costs are not on that bill and stay out).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from finops_model.errors import FinopsError
from finops_model.inputs.schema import UseCase

Array = NDArray[np.float64]

#: Percentiles of the forecast band [percent].
BAND = (5.0, 50.0, 95.0)


def month_start(d: _dt.date | pd.Timestamp | str) -> _dt.date:
    """First day of the calendar month of ``d``."""
    t = pd.Timestamp(d)
    return _dt.date(t.year, t.month, 1)


def add_months(d: _dt.date, k: int) -> _dt.date:
    """The first day of the month ``k`` months after the month of ``d``."""
    i = d.year * 12 + d.month - 1 + int(k)
    return _dt.date(i // 12, i % 12 + 1, 1)


def go_live_month(uc: UseCase, default: _dt.date | str | None = None) -> _dt.date:
    """Calendar month of the first live month: ``uc.go_live``, else ``default``.

    Raises
    ------
    FinopsError
        Neither is given (a forecast cannot be lined up with bills without a calendar).
    """
    if uc.go_live is not None:
        return month_start(uc.go_live)
    if default is None:
        raise FinopsError(f"use case {uc.id}: go_live: expected an ISO date (first day live) to line the forecast up with "
                          "calendar months, found none")
    return month_start(default)


def horizon_months(uc: UseCase, go_live: _dt.date) -> list[_dt.date]:
    """Calendar month (first day) of each horizon month 1 … M (build months first)."""
    first = add_months(go_live, -uc.one_off.build_months)
    return [add_months(first, i) for i in range(uc.horizon_months)]


@dataclass(frozen=True)
class BillForecast:
    """The simulated bill of one use case, per trial and calendar month.

    Attributes
    ----------
    use_case_id : str
    months : list of datetime.date
        Calendar month (first day) of each column.
    requests : (n, M) [requests/month]
    users : (n, M) [users]
        Active users in each month.
    model_cost : dict model → (n, M) [USD/month]
        Model-call spend of the steps using the model.
    model_tokens : dict model → (n, M) [tokens/month]
        Input plus output tokens (input incl. cached, output incl. reasoning).
    model_calls : dict model → (n, M) [calls/month]
    total_cost : (n, M) [USD/month]
        Sum of ``model_cost``: the forecast of the AI bill.
    other_cost : (n, M) [USD/month]
        Recurring cost not on the AI bill (``Result.cost_by_month`` − ``total_cost``).
    steps : dict step → dict of (n,) arrays
        The engine's per-step quantities (``calls_per_request`` [calls/request],
        ``input_tokens_per_call``, ``output_tokens_per_call`` [tokens/call], ``cost_per_call``
        [USD/call]).
    step_models : dict step → model
    inputs : mapping path → (n,) array or float
        The draws of the trials (``Result.inputs``).
    """

    use_case_id: str
    months: list[_dt.date]
    requests: Array
    users: Array
    model_cost: dict[str, Array]
    model_tokens: dict[str, Array]
    model_calls: dict[str, Array]
    total_cost: Array
    other_cost: Array
    steps: dict[str, dict[str, Array]]
    step_models: dict[str, str]
    inputs: Any = None

    def index(self, month: _dt.date) -> int | None:
        """Column of a calendar month, or None outside the horizon."""
        m = month_start(month)
        return self.months.index(m) if m in self.months else None

    def band(self, which: str = "total") -> pd.DataFrame:
        """p5 / p50 / p95 and mean of the bill per calendar month [USD/month]."""
        x = self.total_cost if which == "total" else self.model_cost[which]
        q = np.percentile(x, BAND, axis=0)
        return pd.DataFrame({"month": self.months, "p5": q[0], "p50": q[1], "p95": q[2], "mean": x.mean(axis=0)})


def bill_forecast(uc: UseCase, result: Any, go_live: _dt.date | str | None = None) -> BillForecast:
    """The bill-shaped forecast of a simulation result (see :class:`BillForecast`).

    Parameters
    ----------
    uc : UseCase
    result : engine.Result
        ``simulate(uc, catalog, n, seed)``.
    go_live : date, optional
        Used when ``uc.go_live`` is not set.
    """
    months = horizon_months(uc, go_live_month(uc, go_live))
    req = result.requests
    n = req.shape[0]
    cost: dict[str, Array] = {}
    tokens: dict[str, Array] = {}
    calls: dict[str, Array] = {}
    per_req_cost: dict[str, Array] = {}
    per_req_tok: dict[str, Array] = {}
    per_req_calls: dict[str, Array] = {}
    step_models = {name: s.model for name, s in uc.steps.items()}
    for name, model in step_models.items():
        st = result.steps[name]
        c = np.broadcast_to(np.asarray(st["calls_per_request"], float), (n,))
        per_req_calls[model] = per_req_calls.get(model, 0.0) + c
        per_req_cost[model] = per_req_cost.get(model, 0.0) + c * st["cost_per_call"]
        per_req_tok[model] = per_req_tok.get(model, 0.0) + c * (st["input_tokens_per_call"] + st["output_tokens_per_call"])
    total = np.zeros_like(req)
    for model in per_req_cost:
        cost[model] = req * per_req_cost[model][:, None]
        tokens[model] = req * per_req_tok[model][:, None]
        calls[model] = req * per_req_calls[model][:, None]
        total += cost[model]
    other = result.cost_by_month - total
    return BillForecast(uc.id, months, req, result.users, cost, tokens, calls, total, other, result.steps, step_models, result.inputs)
