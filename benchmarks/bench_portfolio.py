"""Portfolio roll-up at scale: 1,000 use cases × 10,000 trials within 30 s, in bounded memory.

The synthetic portfolio is generated from the hand-checkable fixture
(``tests/data/assumptions/use_cases/worked.yaml``): each copy gets its own id, team, owner,
cost center, environment and budget, and a dozen uncertain inputs (users, requests, prompt and
output tokens, retry rate, cache share, review share, value) so that sampling and evaluation do
real work. Teams and owners follow the cost center (20 of each), as in an organisation where a
cost center belongs to one team. The roll-up runs in a child process so that its peak memory (the parent's and the
largest worker's resident set) is measured cleanly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from .common import row

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "assumptions"

#: The issue's target.
TARGET_SECONDS = 30.0


def synthetic_use_cases(count: int, root: Path = FIXTURE) -> tuple[list, object, object, object]:
    """``count`` validated use cases derived from the fixture's worked example.

    Returns
    -------
    use_cases, catalog, org, fx
    """
    import copy

    from finops_model.inputs.assumptions import build_use_case, load_assumptions, read_mapping

    a = load_assumptions(root)
    base = read_mapping(root / "use_cases" / "worked.yaml")
    org_raw = a.raw["org"]
    envs = ("production", "production", "production", "pilot", "staging")
    out = []
    for i in range(count):
        raw = copy.deepcopy(base)
        scale = 1 + (i % 17) / 4
        raw["id"] = f"synthetic-{i:04d}"
        raw["name"] = f"Synthetic use case {i}"
        cc = i % 20  # 20 cost centers, each one team with one business owner and two technical owners
        raw["cost_center"] = f"CC-{cc:02d}"
        raw["environment"] = envs[i % len(envs)]
        raw["owners"] = {"business_owner": f"Owner {cc}", "technical_owner": f"Tech lead {cc}-{i % 2}", "team": f"Team {cc}"}
        raw["volume"]["active_users"] = f"{50 * scale:g} to {150 * scale:g}"
        raw["volume"]["requests_per_user_per_month"] = f"{400 + i % 7 * 50} to {1200 + i % 5 * 100}"
        raw["volume"]["adoption"] = {"start_share": "0.1 to 0.3", "midpoint_month": 4, "steepness": "0.4 to 0.9", "ceiling": "0.6 to 0.9"}
        ans = raw["steps"]["answer"]
        ans["model"] = "test-frontier" if i % 3 else "test-small"
        ans["system_prompt_tokens"] = {"pert": [600, 1000, 1800]}
        ans["output_tokens"] = "150 to 500"
        ans["cached_prompt_share"] = "0.3 to 0.7"
        ans["retry"] = {"rate": "0.02 to 0.1", "max_retries": 1}
        raw["steps"]["check"]["output_tokens"] = "30 to 80"
        raw["hidden"]["human_review"] = {"share_reviewed": "0.05 to 0.15", "minutes_per_review": "2 to 5"}
        raw["value"]["value_per_outcome"] = "1.5 to 3"
        raw["budget"] = {"monthly": 20000 + 1000 * (i % 13)}
        out.append(build_use_case(raw, org_raw, a.fx, a.catalog, f"synthetic-{i}"))
    return out, a.catalog, a.org, a.fx


_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    sys.path.insert(0, {root!r})
    from benchmarks.bench_portfolio import synthetic_use_cases
    from finops_model.governance.portfolio import rollup
    t0 = time.perf_counter()
    ucs, catalog, org, fx = synthetic_use_cases({count})
    build = time.perf_counter() - t0
    built_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    def cpu():
        a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
    cpu0 = cpu()
    t0 = time.perf_counter()
    p = rollup({{"synthetic": ucs}}, catalog, org, fx, {trials}, 0, jobs={jobs})
    roll = time.perf_counter() - t0
    roll_cpu = cpu() - cpu0
    total = float(p.total().mean())
    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({{"build_s": build, "rollup_s": roll, "rollup_cpu_s": roll_cpu, "parent_mb": self_kb / 1024, "built_mb": built_kb / 1024, "worker_mb": child_kb / 1024,
                      "use_cases": len(p.use_cases["synthetic"]), "total_mean": total}}))
""")


def measure(count: int, trials: int, jobs: int = 2) -> dict:
    """Run one roll-up in a child process; times [s] and peak resident memory [MB]."""
    code = _CHILD.format(root=str(ROOT), count=count, trials=trials, jobs=jobs)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[dict]:
    count, trials = (100, 2_000) if quick else (1_000, 10_000)
    m = measure(count, trials)
    label = f"portfolio {count:,} use cases × {trials:,} trials"
    full = not quick  # the target is set for the full size only
    return [
        row(label, "roll-up (2 local processes)", m["rollup_s"], "s", m["rollup_s"] / TARGET_SECONDS if full else None,
            f"≤ {TARGET_SECONDS:g} s" if full else "", m["rollup_s"] <= TARGET_SECONDS if full else None),
        row(label, "roll-up CPU time, parent + workers (wall ≥ this ÷ 2 on 2 cores)", m["rollup_cpu_s"], "s"),
        row(label, "building the synthetic use cases", m["build_s"], "s"),
        row(label, "peak memory, parent", m["parent_mb"], "MB"),
        row(label, "peak memory, parent before the roll-up (use cases built)", m["built_mb"], "MB"),
        row(label, "peak memory, largest worker", m["worker_mb"], "MB"),
    ]


if __name__ == "__main__":  # pragma: no cover
    for r in run(quick="--quick" in sys.argv):
        print(r)
