"""A small portfolio built from the hand-checkable test tree (tests/data/assumptions).

Three use cases over two cost centers: the worked example (constants), a copy with uncertain
users and an agent step, and a copy charged to the same cost center as the second. The org
pool's gateway is uncertain so that alignment of org-wide draws can be checked.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"
TEST_ASSUMPTIONS = DATA / "assumptions"

GOVERNANCE = {
    "data_classification": "internal",
    "data_classification_reviewed": True,
    "security_reviewed": True,
    "fallback_plan": "gateway falls back to the small model",
    "quality_metric": "golden-set accuracy",
    "business_value_metric": "tickets resolved per month",
}


def tags(uc_id: str, cc: str, env: str = "production") -> dict[str, str]:
    return {"application": uc_id, "owner": "support", "environment": env, "cost_center": cc, "use_case": uc_id,
            "business_process": "customer-support", "request_type": "question"}


def worked_raw() -> dict[str, Any]:
    return yaml.safe_load((TEST_ASSUMPTIONS / "use_cases" / "worked.yaml").read_text())


def compliant_raw(uc_id: str = "worked", cc: str = "CC-100") -> dict[str, Any]:
    """The worked example with everything the production gate asks for."""
    raw = worked_raw()
    raw["id"] = uc_id
    raw["cost_center"] = cc
    raw["budget"] = {"monthly": 60000, "alert_at": 0.8}
    raw["governance"] = {**GOVERNANCE, "attribution_tags": tags(uc_id, cc)}
    return raw


def agent_step() -> dict[str, Any]:
    return {
        "model": "test-small", "kind": "agent", "user_prompt_tokens": 100, "output_tokens": 100,
        "agent_loop": {"iterations": {"pert": [1, 2, 5]}, "max_iterations": 6,
                       "tool_calls_per_iteration": {"pert": [0, 1, 2]}, "tool_result_tokens": 200,
                       "max_tokens_per_task": 50000, "budget_ceiling_per_task": 0.2},
    }


def make_tree(dest: Path, gateway: Any = "800 to 1200", extra_use_cases: dict | None = None,
              cost_center_budgets: dict | None = None) -> Path:
    """Copy the test tree to ``dest`` and add the portfolio's use cases and scenarios."""
    shutil.copytree(TEST_ASSUMPTIONS, dest)
    org = yaml.safe_load((dest / "org.yaml").read_text())
    org["platform"]["gateway"] = gateway
    org["cost_center_budgets"] = cost_center_budgets if cost_center_budgets is not None else {"CC-100": 70000, "CC-200": 40000}
    (dest / "org.yaml").write_text(yaml.safe_dump(org, sort_keys=False))
    (dest / "use_cases" / "worked.yaml").write_text(yaml.safe_dump(compliant_raw(), sort_keys=False))
    b = compliant_raw("worked-b", "CC-200")
    b["owners"] = {"business_owner": "Head of Ops", "technical_owner": "Ops lead", "team": "Ops"}
    b["environment"] = "pilot"
    b["governance"]["attribution_tags"] = tags("worked-b", "CC-200", "pilot")
    b["volume"]["active_users"] = {"uniform": [50, 150]}
    b["steps"]["plan"] = agent_step()
    c = compliant_raw("worked-c", "CC-200")
    c["owners"] = {"business_owner": "Head of Ops", "technical_owner": "Ops lead", "team": "Ops"}
    c["volume"]["active_users"] = {"uniform": [50, 150]}
    c["steps"]["answer"]["model"] = "test-small"
    for uc in (b, c, *(extra_use_cases or {}).values()):
        (dest / "use_cases" / f"{uc['id']}.yaml").write_text(yaml.safe_dump(uc, sort_keys=False))
    (dest / "scenarios").mkdir(exist_ok=True)
    (dest / "scenarios" / "same.yaml").write_text(yaml.safe_dump({"overrides": {}}))
    (dest / "scenarios" / "shorter.yaml").write_text(yaml.safe_dump({"overrides": {"*.steps.answer.output_tokens": 150}}))
    return dest


def copy_raw(raw: dict) -> dict:
    return copy.deepcopy(raw)
