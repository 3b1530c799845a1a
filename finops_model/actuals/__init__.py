"""Actuals: the real AI bill, gateway logs and traces read into one usage table (readers per
format, detected by :mod:`.detect`, whose ``load_usage`` is the entry point; the table's columns
in :mod:`.table`), and compared with the model: calibration, forecast vs actual, variance, burn
and alerts. The package itself imports nothing, so its modules may import each other freely."""
