"""Governance: portfolio roll-up, allocation (showback/chargeback), budgets, the gate, verdicts, FOCUS."""
