"""Actuals: the real AI bill, gateway logs and traces read into one usage table (readers per
format → :mod:`.table`), and compared with the model: calibration, forecast vs actual,
variance, burn and alerts."""

from finops_model.actuals.detect import load_usage
from finops_model.actuals.table import USAGE_COLUMNS, ActualsError, Rejects

__all__ = ["USAGE_COLUMNS", "ActualsError", "Rejects", "load_usage"]
