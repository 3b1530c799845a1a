"""Decisions: optimisation levers, the savings waterfall, drift, scenario and deployment comparison."""
