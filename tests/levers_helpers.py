"""Small hand-checkable use cases for the lever, waterfall and drift tests."""

from __future__ import annotations

import copy
from typing import Any

from finops_model.inputs.assumptions import build_use_case

#: One step on test-frontier ($3 / $15 per M tokens, cache read $0.30, write $3.75), 100 users ×
#: 1,000 requests: 1,200 input + 300 output tokens = $0.0081 per call, $810/month.
SMALL: dict[str, Any] = {
    "id": "small",
    "name": "Small",
    "horizon_months": 12,
    "volume": {"active_users": 100, "requests_per_user_per_month": 1000},
    "steps": {
        "answer": {"model": "test-frontier", "system_prompt_tokens": 1000, "user_prompt_tokens": 200, "output_tokens": 300},
    },
    "value": {"outcomes_per_request": 1, "value_per_outcome": 1},
}


def small(test_assumptions: Any, **changes: Any) -> Any:
    """The SMALL use case with top-level sections replaced or merged (dict values merge)."""
    raw = copy.deepcopy(SMALL)
    for k, v in changes.items():
        if isinstance(v, dict) and isinstance(raw.get(k), dict):
            raw[k] = {**raw[k], **v}
        else:
            raw[k] = v
    a = test_assumptions
    return build_use_case(raw, a.raw["org"], a.fx, a.catalog, "small.yaml")


def model_cost(result: Any, step: str = "answer") -> float:
    """Average monthly cost of a step's base model calls [USD/month] (first trial)."""
    return float(result.cost_by_category[("model_interaction", f"model calls: {step}")][0])
