"""Tests of ``finops tco``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from finops_model.cli.main import main

DATA = Path(__file__).parents[1] / "data"


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "assumptions"
    shutil.copytree(DATA / "assumptions", root)
    for f in ("gpus.yaml", "serving.yaml"):
        shutil.copy(DATA / "tco" / f, root / "catalog" / f)
    uc = yaml.safe_load((root / "use_cases" / "worked.yaml").read_text())
    uc["infrastructure"].update(yaml.safe_load((DATA / "tco" / "self_hosting.yaml").read_text()))
    (root / "use_cases" / "worked.yaml").write_text(yaml.safe_dump(uc))
    return root


def test_tco_json_worked(tmp_path, capsys):
    root = _tree(tmp_path)
    assert main(["tco", "worked", "--assumptions", str(root), "--trials", "3", "--seed", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["use_case"] == "worked" and out["trials"] == 3 and out["seed"] == 2
    assert out["fleet"]["gpus_at_horizon_end"]["p50"] == 2.0
    assert out["p_cheaper_than_api"]["self_hosted"] == 0.0
    assert len(out["curves"]["api"]["cumulative"]["p50"]) == 12
    assert out["assumptions_hash"]


def test_tco_text_coding_assistant(capsys):
    assert main(["tco", "coding-assistant", "--trials", "200"]) == 0
    text = capsys.readouterr().out
    for needle in ("Build vs buy", "self_hosted", "hybrid", "break-even volume", "review trigger", "fleet: llama-3.3-70b on h100-sxm", "cumulative cost"):
        assert needle in text


def test_tco_scenario_applies(capsys):
    assert main(["tco", "coding-assistant", "--trials", "100", "--scenario", "optimised", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scenarios"] == ["optimised"]


def test_tco_without_self_hosting_section_exits_2(capsys):
    assert main(["tco", "invoice-extraction", "--trials", "10"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "infrastructure.self_hosting: expected a self_hosting section" in err[0]


def test_tco_unknown_use_case_exits_2(capsys):
    assert main(["tco", "coding-assistan"]) == 2
    assert "did you mean 'coding-assistant'" in capsys.readouterr().err
