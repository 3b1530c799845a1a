"""Issue 6: from a change of a control to updated KPIs within 300 ms at 10,000 trials.

Measured through the panel itself (ipywidgets, no browser): a control's slider or model menu is
moved, the explorer stages the value, re-draws only the changed input, re-evaluates the use case
on the cached draws and re-renders the KPI text; the time runs until the KPI widget holds the new
text. The charts (static SVG drawn locally) follow after a pause and are reported apart, as
information: they are not part of the target.
"""

from __future__ import annotations

import statistics
import time

from benchmarks.common import row
from finops_model.explore.state import Explorer
from finops_model.inputs.distributions import parse

TARGET_S = 0.300
USE_CASE = "support-copilot"


def _moves(ex: Explorer) -> list[tuple[str, object]]:
    """Alternating moves of several kinds of control (volume, tokens, fraction, money-free value, model)."""
    moves: list[tuple[str, object]] = []
    for path in ("volume.active_users", "steps.answer.system_prompt_tokens", "steps.answer.retry.rate",
                 "hidden.human_review.minutes_per_review", "steps.answer.cached_prompt_share"):
        kind = ex.controls[path].kind
        med = parse(ex.value(path), kind).median
        for k in (1.3, 0.8):
            moves.append((path, min(med * k, 0.95) if kind == "fraction" else med * k))
    moves += [("steps.answer.model", "gpt-4.1"), ("steps.answer.model", "gpt-4.1-mini")]
    return moves


def run(quick: bool = False) -> list[dict]:
    n = 10_000
    ex = Explorer(USE_CASE, "baseline", n=n, seed=0, debounce_s=0, charts=False)
    panel = ex.panel
    times: list[float] = []
    rounds = 1 if quick else 3
    for _ in range(rounds):
        for path, value in _moves(ex):
            cw = panel.controls[path]
            before = panel.kpis.value
            t0 = time.perf_counter()
            cw.slider.value = value
            times.append(time.perf_counter() - t0)
            assert panel.kpis.value != before, path
    t_kpi = statistics.median(times)
    worst = max(times)
    ratio = t_kpi / TARGET_S
    ex.charts_enabled = True
    ex.refresh_charts()  # first drawing starts the SVG renderer
    chart_times = []
    for _ in range(1 if quick else 3):
        t0 = time.perf_counter()
        ex.refresh_charts()
        chart_times.append(time.perf_counter() - t0)
    return [
        row("widgets", f"control change → KPI text ({USE_CASE}, {n:,} trials, median of {len(times)} moves; max {worst * 1000:.0f} ms)",
            t_kpi, ratio=ratio, target="≤ 300 ms", ok=t_kpi <= TARGET_S),
        row("widgets", "charts redrawn after a pause (cost stack, cost/outcome vs value, tornado; not in the target)",
            statistics.median(chart_times)),
    ]
