"""Actuals: the real AI bill and traces read into one usage table, and compared with the model."""
