import json

import numpy as np
import pytest
from actuals_helpers import usage

from finops_model.cli.main import main


def _rows(plant: bool):
    rows = []
    for d in range(1, 21):
        k = 1.0 + 0.03 * np.sin(d)
        calls = 100_000 / 31 * k
        rows += [
            {"timestamp": f"2026-01-{d:02d}T08:00:00", "model": "test-frontier", "requests": calls * 1.1,
             "input_tokens": 3200 * calls * 1.1 * (3 if plant and d == 15 else 1), "cache_read_tokens": 1600 * calls * 1.1,
             "output_tokens": 300 * calls * 1.1, "request_type": "answer"},
            {"timestamp": f"2026-01-{d:02d}T08:00:00", "model": "test-small", "requests": calls,
             "input_tokens": 500 * calls, "output_tokens": 50 * calls, "request_type": "check"},
        ]
    return usage(rows)


@pytest.fixture
def files(tmp_path):
    clean, planted = tmp_path / "clean.csv", tmp_path / "planted.csv"
    _rows(False).to_csv(clean, index=False)
    _rows(True).to_csv(planted, index=False)
    return clean, planted


def _run(root, *args):
    return main(["actuals", *args, "--assumptions", str(root), "--trials", "200", "--go-live", "2026-01-01"])


def test_alerts_exit_codes(root, files, capsys):
    clean, planted = files
    assert _run(root, "alerts", "--usage", str(clean)) == 0
    assert "no alert" in capsys.readouterr().out
    assert _run(root, "alerts", "--usage", str(planted), "--json") == 1
    out = json.loads(capsys.readouterr().out)
    assert out["fired"] >= 1 and out["alerts"][0]["day"] == "2026-01-15"


def test_variance_and_burn_json(root, files, capsys, tmp_path):
    clean, _ = files
    focus = tmp_path / "forecast-focus.csv"
    assert _run(root, "variance", "--usage", str(clean), "--json", "--focus-out", str(focus)) == 0
    import pandas as pd

    f = pd.read_csv(focus)
    assert len(f) == 24 and {"x_CostP5", "x_CostP50", "x_CostP95"} <= set(f.columns)  # 12 months × 2 models
    rows = json.loads(capsys.readouterr().out)["rows"]
    r = rows[0]
    assert r["month"] == "2026-01-01"
    parts = r["volume"] + r["tokens_per_request"] + r["model_mix"] + r["price"] + r["unmetered"]
    assert abs(parts - (r["actual"] - r["forecast"])) < 1e-6 * r["actual"]
    assert _run(root, "burn", "--usage", str(clean), "--budget", "600", "--bill-only", "--json") == 0
    b = json.loads(capsys.readouterr().out)[0]
    assert b["days_observed"] == 20 and b["p_exceed_by_month_end"] == 1.0
    assert b["exhausted_on"] is not None  # ≈ $36.6/day: $600 reached on about the 16th


def test_calibrate_writes_overlay_once(root, files, capsys):
    clean, _ = files
    assert _run(root, "calibrate", "--usage", str(clean), "--date", "2026-01-21") == 0
    path = root / "scenarios" / "calibrated-worked-2026-01-21.yaml"
    assert path.exists() and "wrote" in capsys.readouterr().out
    assert main(["validate", str(path)]) == 0
    assert _run(root, "calibrate", "--usage", str(clean), "--date", "2026-01-21") == 2
    assert "existing" in capsys.readouterr().err
    assert main(["simulate", "worked", "--scenario", path.stem, "--assumptions", str(root), "--trials", "100"]) == 0


def test_bad_usage_file_is_one_line(root, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,model\n2026-01-01,x\n")
    assert _run(root, "variance", "--usage", str(bad)) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "columns" in err and "Traceback" not in err
