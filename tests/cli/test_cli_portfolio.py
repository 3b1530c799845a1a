"""``finops gate`` and ``finops portfolio`` (local processes and a local Dask cluster)."""

from __future__ import annotations

import json

import pytest
from portfolio_helpers import make_tree

from finops_model.cli.main import main


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return make_tree(tmp_path_factory.mktemp("cli") / "assumptions")


def test_gate_shipped_fails_with_missing_items(capsys):
    assert main(["gate"]) == 1
    out = capsys.readouterr().out
    assert "FAIL marketing-content" in out and "missing security review" in out
    assert "FAIL knowledge-agent" in out and "missing fallback plan" in out
    assert "PASS support-copilot" in out


def test_gate_selected_passing_use_case_exits_zero(capsys):
    assert main(["gate", "support-copilot", "invoice-extraction"]) == 0
    assert "2 of 2 use cases pass" in capsys.readouterr().out


def test_gate_json(capsys):
    assert main(["gate", "marketing-content", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is False
    failed = [c["item"] for c in data["use_cases"][0]["checks"] if c["status"] == "fail"]
    assert failed == ["security_review"]


def test_gate_unknown_use_case_exits_2(capsys):
    assert main(["gate", "no-such-case"]) == 2
    assert "no-such-case" in capsys.readouterr().err


def _portfolio_json(capsys, tree, *extra):
    rc = main(["portfolio", "--assumptions", str(tree), "--trials", "200", "--seed", "3", "--json", *extra])
    assert rc == 0
    return json.loads(capsys.readouterr().out)


def test_portfolio_json_sections(capsys, tree):
    data = _portfolio_json(capsys, tree, "--jobs", "1", "--scenarios", "same,shorter", "--allocate", "requests")
    assert data["stamp"]["scenarios"] == ["same", "shorter"]
    assert data["stamp"]["allocation_rule"] == "requests"
    sc = data["scenarios"]["same"]
    assert set(sc["splits"]) == {"team", "owner", "cost_center", "environment", "model", "provider", "tier", "layer"}
    assert {d["action"] for d in sc["decisions"].values()} <= {"scale", "optimise", "redesign", "retire"}
    assert sum(r["platform_allocation"] for r in sc["showback"]) == pytest.approx(
        sum(r["platform_allocation"] for r in sc["chargeback"]), abs=0.011)
    assert data["differences"][0]["p_lower"] == 1.0


def test_portfolio_text_and_focus(capsys, tree, tmp_path):
    path = tmp_path / "focus.csv"
    rc = main(["portfolio", "--assumptions", str(tree), "--trials", "200", "--jobs", "1", "--focus", str(path), "--month", "2026-05"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "Monthly cost by cost center" in out and "Chargeback per cost center" in out and "Decisions" in out
    assert "2026-05-01T00:00:00Z" in path.read_text()


def test_portfolio_bad_scenario_exits_2(capsys, tree):
    assert main(["portfolio", "--assumptions", str(tree), "--scenarios", "nope", "--trials", "10"]) == 2
    assert "nope" in capsys.readouterr().err


def test_portfolio_local_processes_match_serial(capsys, tree):
    serial = _portfolio_json(capsys, tree, "--jobs", "1")
    parallel = _portfolio_json(capsys, tree, "--jobs", "2")
    assert serial["totals"] == parallel["totals"]
    assert serial["scenarios"] == parallel["scenarios"]


def test_portfolio_dask_cluster_matches_serial(capsys, tree):
    distributed = pytest.importorskip("distributed")
    serial = _portfolio_json(capsys, tree, "--jobs", "1")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        dask = _portfolio_json(capsys, tree, "--scheduler", cluster.scheduler_address)
    assert serial["totals"] == dask["totals"]
    assert serial["scenarios"] == dask["scenarios"]
