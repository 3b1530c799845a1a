"""Hidden costs: the labour and services around a model that the API bill does not show."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

BYTES_PER_GB = 1e9
MINUTES_PER_HOUR = 60.0
MONTHS_PER_YEAR = 12.0


def _f(x: ArrayLike) -> Array:
    return np.asarray(x, dtype=float)


def labour_cost(hours: ArrayLike, loaded_rate: ArrayLike, overhead_factor: ArrayLike = 1.0) -> Array:
    """Cost of labour: hours × loaded rate × overhead [USD per period of ``hours``]."""
    return _f(hours) * _f(loaded_rate) * _f(overhead_factor)


def fte_hours(fte: ArrayLike, hours_per_fte_month: ArrayLike) -> Array:
    """Hours per month of a number of full-time equivalents [hours/month]."""
    return _f(fte) * _f(hours_per_fte_month)


def human_review_cost_per_request(
    share_reviewed: ArrayLike, minutes_per_review: ArrayLike, loaded_rate: ArrayLike, overhead_factor: ArrayLike = 1.0
) -> Array:
    """Human review: share reviewed × minutes ÷ 60 × loaded rate [USD/request]."""
    return _f(share_reviewed) * _f(minutes_per_review) / MINUTES_PER_HOUR * _f(loaded_rate) * _f(overhead_factor)


def logging_cost_per_request(
    bytes_per_request: ArrayLike, ingest_usd_per_gb: ArrayLike, storage_usd_per_gb_month: ArrayLike, retention_months: ArrayLike
) -> dict[str, Array]:
    """Observability cost of one request's logs [USD/request].

    Ingest is paid once; storage for the whole retention period is accrued to the month of
    the request (so a month's cost is what its traffic commits the organisation to).

    Returns ``ingest`` and ``storage`` [USD/request].
    """
    gb = _f(bytes_per_request) / BYTES_PER_GB
    return {"ingest": gb * _f(ingest_usd_per_gb), "storage": gb * _f(storage_usd_per_gb_month) * _f(retention_months)}


def evaluation_run_cost(golden_set_size: ArrayLike, runs_per_month: ArrayLike, cost_per_case: ArrayLike) -> Array:
    """Golden-set evaluation: cases × runs × cost per case (system + judge) [USD/month]."""
    return _f(golden_set_size) * _f(runs_per_month) * _f(cost_per_case)
