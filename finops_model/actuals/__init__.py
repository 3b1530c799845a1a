"""Actuals: read real AI bills, gateway logs and traces into one usage table, re-price every
row from the dated catalog, reconcile it with the bill and attribute every dollar to a use case.

Pipeline: ``load_usage`` (readers per format → :mod:`.table`) → :mod:`.reprice` →
:mod:`.attribute` → :mod:`.engine` (DuckDB by default; the same SQL on Spark) →
:mod:`.focus_export` (FOCUS 1.3 showback of actuals).
"""

from finops_model.actuals.table import USAGE_COLUMNS, ActualsError, Rejects, load_usage

__all__ = ["USAGE_COLUMNS", "ActualsError", "Rejects", "load_usage"]
