"""``finops compare``, ``finops levers`` and ``finops drift`` on the test assumptions tree."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import TEST_ASSUMPTIONS

from finops_model.cli.main import main


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli") / "assumptions"
    shutil.copytree(TEST_ASSUMPTIONS, root)
    (root / "scenarios" / "cheap.yaml").write_text("overrides:\n  worked.steps.answer.model: test-small\n", encoding="utf-8")
    (root / "levers.yaml").write_text(
        "plans:\n  worked:\n    - lever: prompt_compression\n      share_removed: 0.5\n"
        "    - lever: response_cache\n      hit_rate: 0.2\n", encoding="utf-8"
    )
    return root


def test_compare_json(tree, capsys):
    rc = main(["compare", "--scenarios", "baseline,cheap,baseline+levers", "--use-case", "worked", "--trials", "50",
               "--assumptions", str(tree), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["scenarios"] == ["baseline", "cheap", "baseline+levers"]
    pc = {(r["use_case"], r["cheaper"], r["than"]): r["probability"] for r in out["p_cheaper"]}
    assert pc[("worked", "cheap", "baseline")] == 1.0
    rows = [r for r in out["kpis"] if r["kpi"] == "run_rate_cost" and r["scenario"] == "cheap" and r["use_case"] == "worked"]
    assert rows[0]["delta_mean"] < 0


def test_compare_table(tree, capsys):
    assert main(["compare", "--scenarios", "baseline,cheap", "--trials", "20", "--assumptions", str(tree), "--kpi", "run_rate_cost"]) == 0
    out = capsys.readouterr().out
    assert "run_rate_cost [USD/month]" in out and "P(cheaper)" in out


def test_levers_waterfall_json(tree, capsys):
    assert main(["levers", "worked", "--trials", "20", "--assumptions", str(tree), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reconciles"] is True
    stages = [r["stage"] for r in out["rows"]]
    assert stages[1:3] == ["observability", "prompt_compression"] and stages[-1] == "optimised"


def test_levers_table_with_scenario(tree, capsys):
    assert main(["levers", "worked", "--scenario", "cheap", "--trials", "20", "--assumptions", str(tree)]) == 0
    assert "scenario cheap" in capsys.readouterr().out


def test_drift_command(tree, capsys):
    assert main(["drift", "worked", "--months", "3", "--trials", "20", "--assumptions", str(tree), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [m["month"] for m in out["months"]] == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["compare", "--scenarios", "baseline,nope"], "expected a scenario among"),
        (["compare", "--scenarios", "baseline", "--kpi", "costt"], "--kpi: expected a KPI"),
        (["levers", "nope"], "expected a use case id"),
        (["compare", "--scenarios", ","], "--scenarios: expected comma-separated"),
    ],
)
def test_cli_errors_exit_2_one_line(tree, capsys, argv, message):
    rc = main([*argv, "--trials", "5", "--assumptions", str(tree)])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and "Traceback" not in err


def test_levers_missing_plan(tree, tmp_path, capsys):
    bad = tmp_path / "levers.yaml"
    bad.write_text("plans:\n  other:\n    - lever: batch\n", encoding="utf-8")
    rc = main(["levers", "worked", "--levers", str(bad), "--trials", "5", "--assumptions", str(tree)])
    assert rc == 2 and "plans.worked: expected a lever plan" in capsys.readouterr().err
