"""Uncertainty analysis: KPI summaries, Monte Carlo precision, stress, sensitivity, goal seek."""
