"""Costs: pure, vectorised functions, one module per layer of the cost stack, and call pricing.

Arguments are numpy arrays of trials (shape ``(n,)``) or scalars that broadcast; functions of
time return ``(n, months)`` arrays. Units are given in brackets in every docstring (pvlib style).
"""
