"""``finops tco``: build versus buy — API vs self-hosted vs hybrid over the horizon."""

from __future__ import annotations

import argparse
from typing import Any

from finops_model.cli.common import positive_int, seed_int
from finops_model.util.settings import DEFAULT_TRIALS


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser("tco", help="compare API, self-hosted and hybrid serving of one use case (build vs buy)")
    p.add_argument("use_case", metavar="USE_CASE", help="use-case id with an infrastructure.self_hosting section")
    p.add_argument("--scenario", action="append", metavar="NAME", help="scenario overlay (repeatable, applied in order)")
    p.add_argument("--trials", type=positive_int, default=DEFAULT_TRIALS, help=f"Monte Carlo trials (default {DEFAULT_TRIALS:,})")
    p.add_argument("--seed", type=seed_int, default=0, help="random seed (default 0)")
    p.add_argument("--json", action="store_true", help="print a JSON object (with monthly and cumulative bands)")
    p.add_argument("--assumptions", metavar="DIR", help="assumptions folder (default: the project's)")
    p.set_defaults(func=run)
    return p


def _money(x: float | None) -> str:
    if x is None:
        return "—"
    a = abs(x)
    if a >= 1e6:
        return f"${x / 1e6:,.2f}M"
    if a >= 1e3:
        return f"${x / 1e3:,.0f}K"
    return f"${x:,.2f}"


def _tokens(x: float | None) -> str:
    if x is None:
        return "—"
    for unit, f in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
        if abs(x) >= f:
            return f"{x / f:,.1f}{unit}"
    return f"{x:,.0f}"


def _num(x: float | None, fmt: str = "{:,.0f}") -> str:
    return "—" if x is None else fmt.format(x)


def _band(s: dict[str, Any], fmt: Any) -> str:
    return f"{fmt(s['p50'])}  ({fmt(s['p5'])} – {fmt(s['p95'])})"


def format_report(summary: dict[str, Any], curves: dict[str, Any], title: str) -> str:
    """The text report of ``finops tco`` (medians with 90% intervals)."""
    s = summary
    lines = [title, "=" * len(title), ""]
    lines.append(f"{'option':<13}{'total cost over horizon (p50, p5–p95)':<46}{'$/1M tokens':<34}P(cheaper than API)")
    for k in ("api", "self_hosted", "hybrid"):
        pc = "—" if k == "api" else f"{s['p_cheaper_than_api'][k]:.0%}"
        lines.append(f"{k:<13}{_band(s['total_cost_usd'][k], _money):<46}{_band(s['usd_per_mtok'][k], lambda x: _num(x, '${:,.2f}')):<34}{pc}")
    lines.append("")
    for k in ("self_hosted", "hybrid"):
        be = s["break_even_month"][k]
        txt = "not within the horizon" if be["p50"] is None else f"month {_band(be, lambda x: _num(x))} in {be['share_defined']:.0%} of trials"
        lines.append(f"break-even month ({k}): {txt}")
    bv = s["break_even_volume_tokens_per_month"]
    lines.append(f"break-even volume: {_band(bv, _tokens)} tokens/month (movable workload at horizon end: "
                 f"{_band(s['movable_tokens_per_month_at_horizon_end'], _tokens)})")
    lines.append(f"API model spend: {_band(s['annual_model_spend_usd'], _money)}/year; review trigger "
                 f"{_money(s['review_threshold_usd_per_year'])}/year reached in {s['p_review_triggered']:.0%} of trials"
                 + ("  → BUILD-VS-BUY REVIEW" if s["p_review_triggered"] >= 0.5 else ""))
    f = s["fleet"]
    lines += [
        "",
        f"fleet: {f['model']} on {f['gpu']} ({f['engine']}, {f['gpus_per_replica']} GPU/replica, {f['tier']}), steps {', '.join(f['moved_steps'])}",
        f"  GPUs at horizon end {_band(f['gpus_at_horizon_end'], _num)}; average utilisation {_band(f['average_utilisation'], lambda x: _num(x, '{:.0%}'))}; "
        f"idle capacity {_band(f['idle_capacity_cost_usd'], _money)}",
        f"  throughput at SLO {_band(f['throughput_at_slo_tokens_per_s_per_gpu'], _num)} tokens/s/GPU; prefill {_num(f['prefill_tokens_per_s_per_gpu']['p50'])}, "
        f"decode {_band(f['decode_tokens_per_s_per_gpu'], _num)} tokens/s/GPU",
        f"  curve: {'; '.join(f['sources'])}",
        "",
        "cumulative cost, median by month:",
        f"{'month':>7}" + "".join(f"{k:>16}" for k in ("api", "self_hosted", "hybrid")),
    ]
    months = len(curves["api"]["cumulative"]["p50"])
    for m in sorted({1, 6, 12, 18, 24, 30, 36, months} & set(range(1, months + 1))):
        lines.append(f"{m:>7}" + "".join(f"{_money(curves[k]['cumulative']['p50'][m - 1]):>16}" for k in ("api", "self_hosted", "hybrid")))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import json

    from finops_model.decisions.build_vs_buy import compare_deployments
    from finops_model.inputs.assumptions import load_assumptions

    a = load_assumptions(args.assumptions, args.scenario or (), use_cases=[args.use_case])
    uc = a.use_case(args.use_case)
    result = compare_deployments(uc, a.catalog, args.trials, args.seed)
    payload = result.to_json()
    payload["scenarios"] = list(a.scenarios)
    payload["assumptions_hash"] = a.digest
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        scen = f", scenario {', '.join(a.scenarios)}" if a.scenarios else ""
        title = f"Build vs buy: {uc.name} ({uc.id}){scen} — {args.trials:,} trials, seed {args.seed}"
        print(format_report(payload, payload["curves"], title))
    return 0
