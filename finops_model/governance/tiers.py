"""Model tiers as governance sees them: which tiers are premium, which steps are routine work,
and the "frontier-by-default" failure mode (routine steps on frontier or reasoning models)."""

from __future__ import annotations

import re
from typing import Any

from finops_model.inputs.schema import Step, UseCase

__all__ = ["PREMIUM_TIERS", "ROUTINE_KINDS", "ROUTINE_NAME", "frontier_by_default", "is_routine"]

#: Model tiers whose use for routine work is the "frontier-by-default" failure mode.
PREMIUM_TIERS = frozenset({"frontier", "reasoning"})
#: Step kinds that are routine work (classification, checks, short summaries).
ROUTINE_KINDS = frozenset({"router", "guardrail", "validation", "moderation", "summarisation", "tool"})
#: Step names that say the step is routine (classification, extraction, formatting, intent…).
ROUTINE_NAME = re.compile(r"classif|extract|format|route|routing|triage|intent|metadata|detect|tagging|label", re.I)


def is_routine(name: str, step: Step) -> bool:
    """Whether a step is routine work that a small model should do by default.

    Routine: the kinds in :data:`ROUTINE_KINDS`, or a step named for classification,
    extraction, formatting, routing, triage, intent detection, metadata or labelling (the
    routine tasks of the domain reference's model-tier standard).
    """
    return step.kind in ROUTINE_KINDS or bool(ROUTINE_NAME.search(name))


def frontier_by_default(use_case: UseCase, catalog: Any) -> list[dict[str, str]]:
    """Routine steps of a use case that run on a frontier or reasoning model.

    Returns
    -------
    list of dict with ``use_case``, ``step``, ``kind``, ``model``, ``tier``.
    """
    out = []
    for name, step in use_case.steps.items():
        tier = catalog.tier(step.model)
        if tier in PREMIUM_TIERS and is_routine(name, step):
            out.append({"use_case": use_case.id, "step": name, "kind": step.kind, "model": step.model, "tier": tier})
    return out
