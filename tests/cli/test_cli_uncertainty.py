"""The goal-seek, sensitivity and stress commands, and simulate's precision and sensitivity flags."""

from __future__ import annotations

import json

import pytest
from numpy.testing import assert_allclose

from finops_model.cli.main import main
from tests.uncertainty_helpers import uncertain_tree

WORKED_MONTHLY_COST = 31_302.823333333


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return str(uncertain_tree(tmp_path_factory.mktemp("cli")))


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_goal_seek_worked_json(capsys, root):
    out = _json(capsys, ["goal-seek", "worked", "--vary", "value.value_per_outcome", "--target", "P(npv>0)>=0.9",
                         "--trials", "50", "--json", "--assumptions", root])
    assert out["status"] == "found" and out["holds"] == "above"
    assert_allclose(out["value"], WORKED_MONTHLY_COST / 50_000, rtol=1e-5)


def test_goal_seek_table_and_not_reachable(capsys, root):
    assert main(["goal-seek", "uncertain", "--vary", "volume.active_users", "--target", "p80(avg_monthly_cost)<=35k",
                 "--trials", "500", "--assumptions", root]) == 0
    assert "holds when volume.active_users is at most" in capsys.readouterr().out
    rc = main(["goal-seek", "uncertain", "--vary", "value.value_per_outcome", "--target", "P(npv>0)>=0.9",
               "--low", "0", "--high", "0.01", "--trials", "200", "--assumptions", root])
    assert rc == 1
    assert "holds nowhere" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["goal-seek", "uncertain", "--vary", "value.value_per_outcome", "--target", "P(npv>0)=0.9"], "--target: expected"),
    (["goal-seek", "uncertain", "--vary", "volume.active_user", "--target", "P(npv>0)>=0.9"], "did you mean 'volume.active_users'"),
    (["stress", "uncertain", "--inputs", "rag.top_k"], "expected an uncertain input"),
    (["sensitivity", "uncertain", "--kpi", "npvv"], "did you mean 'npv'"),
])
def test_commands_user_errors_exit_2_one_line(capsys, root, argv, message):
    assert main([*argv, "--assumptions", root]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_sensitivity_tornado_json_and_chart(capsys, root, tmp_path):
    chart = tmp_path / "tornado.html"
    out = _json(capsys, ["sensitivity", "uncertain", "--json", "--chart", str(chart), "--assumptions", root])
    assert out["analysis"] == "tornado" and out["rows"][0]["rank"] == 1
    swings = [r["swing"] for r in out["rows"]]
    assert swings == sorted(swings, reverse=True)
    assert any("correlated" in w for w in out["warnings"])
    assert chart.read_text().lstrip().startswith("<!DOCTYPE html>")


def test_sensitivity_spearman_and_sobol_tables(capsys, root):
    assert main(["sensitivity", "uncertain", "--method", "spearman", "--trials", "2000", "--top", "3", "--assumptions", root]) == 0
    out = capsys.readouterr()
    assert "rank correlation over 2,000 trials" in out.out and "contribution to variance" in out.out
    assert "warning:" not in out.err  # a Monte Carlo sample honours the correlations
    assert main(["sensitivity", "uncertain", "--method", "sobol", "--base-samples", "64", "--kpi", "avg_monthly_cost", "--assumptions", root]) == 0
    out = capsys.readouterr()
    assert "Sobol indices by group" in out.out and "hidden costs" in out.out
    assert "independen" in out.err


def test_sensitivity_spider(capsys, root):
    out = _json(capsys, ["sensitivity", "uncertain", "--method", "spider", "--top", "2", "--json", "--assumptions", root])
    assert len({r["input"] for r in out["rows"]}) == 2


def test_stress_json(capsys, root):
    out = _json(capsys, ["stress", "uncertain", "--inputs", "volume.requests_per_user_per_month", "--tail", "bottom",
                         "--trials", "2000", "--json", "--assumptions", root])
    rows = {r["kpi"]: r for r in out["rows"]}
    assert rows["requests_per_month"]["shift"] < 0
    assert out["tail"] == "bottom" and out["inputs"] == ["volume.requests_per_user_per_month"]


def test_simulate_until_precision_json(capsys, root):
    out = _json(capsys, ["simulate", "uncertain", "--until-precision", "2%", "--trials", "1000", "--json", "--assumptions", root])
    p = out["precision"]
    assert p["converged"] and p["trials"] == out["trials"] >= 1000
    assert all(r["relative_half_width"] <= 0.02 for r in p["table"])
    k = out["kpis"]["avg_monthly_cost"]
    assert k["p95_ci_low"] <= k["p95"] <= k["p95_ci_high"] and k["mean_se"] > 0


def test_simulate_sensitivity_and_table(capsys, root):
    assert main(["simulate", "uncertain", "--trials", "3000", "--sensitivity", "--assumptions", root]) == 0
    out = capsys.readouterr().out
    assert "± (CI)" in out and "p95 CI" in out
    assert "what drives npv" in out and "what drives avg_monthly_cost" in out


def test_simulate_one_trial_reports_the_mc_error_as_undefined(capsys, root):
    out = _json(capsys, ["simulate", "worked", "--trials", "1", "--json", "--assumptions", root])
    k = out["kpis"]["avg_monthly_cost"]
    assert k["mean_se"] is None and k["mean_ci_low"] is None and k["mean"] > 0
    assert "Monte Carlo error undefined" in k["note"]
    assert main(["simulate", "worked", "--trials", "1", "--assumptions", str(root)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("avg_monthly_cost"))
    assert "undefined" in row.split()


def test_simulate_worked_fixed_inputs(capsys, root):
    out = _json(capsys, ["simulate", "worked", "--trials", "100", "--json", "--assumptions", root])
    k = out["kpis"]["avg_monthly_cost"]
    assert k["mean_se"] == 0.0
    assert_allclose([k["mean"], k["p5"], k["p95"]], WORKED_MONTHLY_COST, rtol=1e-10)
