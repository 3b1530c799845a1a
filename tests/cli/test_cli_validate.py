"""Tests of ``finops validate``: exit 0 with one line per valid file; exit 2 with one line per
problem on stderr (``file: field.path: expected …, found …``); never a traceback.

Bad inputs are made by copying tests/data/assumptions into tmp_path and breaking the copy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from finops_model.cli.main import main
from finops_model.util.paths import ASSUMPTIONS_DIR, PROJECT_ROOT

FIXTURE = Path(__file__).parents[1] / "data" / "assumptions"
BAD = Path(__file__).parents[1] / "data" / "bad"


# ------------------------------------------------------------------------------ helpers
def _worked_raw() -> dict[str, Any]:
    return yaml.safe_load((FIXTURE / "use_cases" / "worked.yaml").read_text(encoding="utf-8"))


def _write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    elif isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _uc(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    raw = _worked_raw()
    mutate(raw)
    return raw


def _validate(capsys, *paths: Path | str) -> tuple[int, list[str], list[str]]:
    rc = main(["validate", *map(str, paths)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return rc, out.splitlines(), err.splitlines()


def _make_uncertain(r: dict[str, Any]) -> None:
    r["volume"]["active_users"] = "50 to 150"
    r["volume"]["requests_per_user_per_month"] = "500 to 1500"
    r["steps"]["answer"]["output_tokens"] = "200 to 400"


def _non_psd(r: dict[str, Any]) -> None:
    _make_uncertain(r)
    a, b, c = "volume.active_users", "volume.requests_per_user_per_month", "steps.answer.output_tokens"
    r["correlations"] = [
        {"between": [a, b], "rank": 0.9},
        {"between": [b, c], "rank": 0.9},
        {"between": [a, c], "rank": -0.9},
    ]


_BOMB = (BAD / "alias_bomb.yaml").read_bytes()
_WORKED_TEXT = (FIXTURE / "use_cases" / "worked.yaml").read_text(encoding="utf-8")

# case id → (file to write relative to root, its content, file reported, field path, fragment)
BAD_INPUTS: dict[str, tuple[str, Any, str, str, str]] = {
    "wrong-type": (
        "use_cases/worked.yaml", _uc(lambda r: r["volume"].update(active_users="lots")),
        "use_cases/worked.yaml", "volume.active_users", "expected a number",
    ),
    "wrong-type-int": (
        "use_cases/worked.yaml", _uc(lambda r: r.update(horizon_months="long")),
        "use_cases/worked.yaml", "horizon_months", "expected a whole number",
    ),
    "negative-tokens": (
        "use_cases/worked.yaml", _uc(lambda r: r["steps"]["answer"].update(output_tokens=-5)),
        "use_cases/worked.yaml", "steps.answer.output_tokens", "expected a number ≥ 0, found -5",
    ),
    "negative-price": (
        "use_cases/worked.yaml", _uc(lambda r: r["rag"].update(storage_price_per_gb_month=-0.5)),
        "use_cases/worked.yaml", "rag.storage_price_per_gb_month", "expected a number ≥ 0, found -0.5",
    ),
    "p95-below-p5": (
        "use_cases/worked.yaml",
        _uc(lambda r: r["steps"]["answer"].update(output_tokens={"lognormal": {"p5": 300, "p95": 100}})),
        "use_cases/worked.yaml", "steps.answer.output_tokens", "expected p5 < p95",
    ),
    "fraction-outside": (
        "use_cases/worked.yaml", _uc(lambda r: r["steps"]["answer"].update(cached_prompt_share=1.5)),
        "use_cases/worked.yaml", "steps.answer.cached_prompt_share", "expected a fraction in [0, 1]",
    ),
    "model-missing": (
        "use_cases/worked.yaml", _uc(lambda r: r["steps"]["answer"].update(model="test-fronteir")),
        "use_cases/worked.yaml", "steps.answer.model", "(did you mean 'test-frontier'?)",
    ),
    "correlation-not-psd": (
        "use_cases/worked.yaml", _uc(_non_psd),
        "use_cases/worked.yaml", "correlations", "positive semi-definite",
    ),
    "scenario-unknown-path": (
        "scenarios/stress.yaml", {"overrides": {"worked.steps.answer.output_tokenz": 5}},
        "scenarios/stress.yaml", "overrides.worked.steps.answer.output_tokenz",
        "(did you mean 'output_tokens'?)",
    ),
    "scenario-unknown-use-case": (
        "scenarios/stress.yaml", {"overrides": {"workd.volume.active_users": 5}},
        "scenarios/stress.yaml", "overrides.workd.volume.active_users", "(did you mean 'worked'?)",
    ),
    "duplicate-use-case-id": (
        "use_cases/zz-copy.yaml", _WORKED_TEXT,
        "use_cases/zz-copy.yaml", "id", "expected a unique use-case id",
    ),
    "malformed-yaml": (
        "use_cases/worked.yaml", (BAD / "malformed.yaml").read_bytes(),
        "use_cases/worked.yaml", "", "line 4",
    ),
    "alias-bomb": ("use_cases/worked.yaml", _BOMB, "use_cases/worked.yaml", "", "alias bomb"),
    "not-utf8": (
        "use_cases/worked.yaml", (BAD / "not_utf8.yaml").read_bytes(),
        "use_cases/worked.yaml", "", "expected UTF-8 text, found byte 0xe9 at offset 7",
    ),
    "empty-file": ("use_cases/worked.yaml", b"", "use_cases/worked.yaml", "", "empty file"),
    "comment-only-file": (
        "use_cases/worked.yaml", (BAD / "comments_only.yaml").read_bytes(),
        "use_cases/worked.yaml", "", "empty file",
    ),
    "duplicate-key": (
        "use_cases/worked.yaml", _WORKED_TEXT.replace("  top_k: 4\n", "  top_k: 4\n  top_k: 5\n"),
        "use_cases/worked.yaml", "rag.top_k", "duplicate key",
    ),
    "correlation-unknown-path": (
        "use_cases/worked.yaml",
        _uc(lambda r: (_make_uncertain(r), r.update(correlations=[
            {"between": ["volume.active_userz", "steps.answer.output_tokens"], "rank": 0.5}]))),
        "use_cases/worked.yaml", "correlations.0.between", "(did you mean 'volume.active_users'?)",
    ),
    "bad-fx": (
        "fx.yaml", {"rates": {"EUR": {"per_usd": -1, "source": "x", "date": "2026-01-01"}}},
        "fx.yaml", "rates.EUR.per_usd", "expected a number > 0",
    ),
}


def _check_problem_lines(err: list[str], root: Path, file: str, path: str, fragment: str) -> None:
    assert err, "expected problems on stderr"
    assert err[-1].endswith("problem(s) found")
    problems = err[:-1]
    assert len(problems) == int(err[-1].split()[0])
    prefix = f"{root / file}: " + (f"{path}: " if path else "")
    hits = [line for line in problems if line.startswith(prefix)]
    assert hits, f"no line starts with {prefix!r} in {problems}"
    line = hits[0]
    # an unknown field is reported as "unknown field 'x' (did you mean 'y'?)", every other
    # problem as "expected …, found …"
    assert "expected" in line or "unknown field" in line, line
    assert fragment in line, line


# ------------------------------------------------------------------------------ valid input
def test_main_validate_valid_tree(capsys):
    rc, out, err = _validate(capsys, FIXTURE)
    assert rc == 0
    assert err == []
    assert f"{FIXTURE / 'org.yaml'}: ok" in out
    assert f"{FIXTURE / 'catalog' / 'models.yaml'}: ok (4 models)" in out
    assert f"{FIXTURE / 'use_cases' / 'worked.yaml'}: ok (use case worked)" in out


def test_main_validate_valid_tree_lists_fx(capsys):
    rc, out, _ = _validate(capsys, FIXTURE)
    assert rc == 0
    assert any(line.startswith(f"{FIXTURE / 'fx.yaml'}: ok") for line in out)


def test_main_validate_valid_tree_with_scenario(capsys, root):
    _write(root / "scenarios" / "long.yaml", {"overrides": {"*.steps.answer.output_tokens": "300 to 900"}})
    _write(root / "use_cases" / "other.yaml", _uc(lambda r: r.update(id="other")))
    rc, out, err = _validate(capsys, root)
    assert rc == 0, err
    assert f"{root / 'scenarios' / 'long.yaml'}: ok (scenario applies to 2 use cases)" in out
    assert f"{root / 'use_cases' / 'other.yaml'}: ok (use case other)" in out


@pytest.mark.parametrize(
    "rel", ["org.yaml", "fx.yaml", "catalog/models.yaml", "use_cases/worked.yaml"]
)
def test_main_validate_single_valid_file(capsys, rel):
    rc, out, err = _validate(capsys, FIXTURE / rel)
    assert rc == 0, err
    assert len(out) == 1 and out[0].startswith(f"{FIXTURE / rel}: ok")


def test_main_validate_single_scenario_file(capsys, root):
    sc = _write(root / "scenarios" / "s.yaml", {"overrides": {"worked.volume.active_users": 5}})
    rc, out, err = _validate(capsys, sc)
    assert rc == 0, err
    assert out == [f"{sc}: ok"]


def test_main_validate_several_paths_one_line_each(capsys):
    files = [FIXTURE / "org.yaml", FIXTURE / "fx.yaml", FIXTURE / "use_cases" / "worked.yaml"]
    rc, out, _ = _validate(capsys, *files)
    assert rc == 0
    assert [line.split(": ok")[0] for line in out] == [str(f) for f in files]


def test_main_validate_default_is_the_project(capsys):
    if not any((ASSUMPTIONS_DIR / "use_cases").glob("*.yaml")):
        pytest.skip(f"{ASSUMPTIONS_DIR / 'use_cases'} holds no use cases yet")
    rc, out, err = _validate(capsys)
    assert rc == 0, err
    for f in sorted((ASSUMPTIONS_DIR / "use_cases").glob("*.yaml")):
        assert any(line.startswith(f"{f}: ok") for line in out), f


def test_main_validate_accepts_bom(capsys, root):
    _write(root / "use_cases" / "worked.yaml", "\ufeff" + _WORKED_TEXT)
    rc, _, err = _validate(capsys, root / "use_cases" / "worked.yaml")
    assert rc == 0, err


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("case", list(BAD_INPUTS))
@pytest.mark.parametrize("target", ["folder", "file"])
def test_main_validate_bad_input(capsys, root, case, target):
    rel, content, file, path, fragment = BAD_INPUTS[case]
    written = _write(root / rel, content)
    rc, out, err = _validate(capsys, root if target == "folder" else written)
    assert rc == 2
    _check_problem_lines(err, root, file, path, fragment)
    assert not any(line.startswith(f"{root / file}: ok") for line in out)


def test_main_validate_unknown_field(capsys, root):
    uc = _write(root / "use_cases" / "worked.yaml",
                _uc(lambda r: r["steps"]["answer"].update(output_tokenz=3)))
    rc, _, err = _validate(capsys, uc)
    assert rc == 2
    assert err[0].startswith(f"{uc}: steps.answer.output_tokenz: unknown field 'output_tokenz'")


def test_main_validate_unknown_field_did_you_mean(capsys, root):
    uc = _write(root / "use_cases" / "worked.yaml",
                _uc(lambda r: r["steps"]["answer"].update(output_tokenz=3)))
    rc, _, err = _validate(capsys, uc)
    assert rc == 2
    assert "(did you mean 'output_tokens'?)" in err[0]


def test_main_validate_every_problem_listed(capsys, root):
    _write(root / "use_cases" / "worked.yaml",
           _uc(lambda r: r["steps"]["answer"].update(output_tokens=-5, cached_prompt_share=2)))
    _write(root / "use_cases" / "other.yaml",
           _uc(lambda r: (r.update(id="other"), r["steps"]["check"].update(model="test-smal"))))
    rc, _, err = _validate(capsys, root)
    assert rc == 2
    assert err[-1] == "3 problem(s) found"
    paths = {line.split(": ")[1] for line in err[:-1]}
    assert paths == {"steps.answer.output_tokens", "steps.answer.cached_prompt_share", "steps.check.model"}


def test_main_validate_valid_and_bad_paths_together(capsys, root):
    bad = _write(root / "use_cases" / "worked.yaml", b"")
    rc, out, err = _validate(capsys, FIXTURE / "org.yaml", bad)
    assert rc == 2
    assert out == [f"{FIXTURE / 'org.yaml'}: ok"]
    assert err[0].startswith(f"{bad}: ")


def test_main_validate_unknown_scenario_value_names_use_case_and_scenario(capsys, root):
    _write(root / "scenarios" / "s.yaml", {"overrides": {"worked.volume.active_users": -3}})
    rc, _, err = _validate(capsys, root)
    assert rc == 2
    assert err[0].startswith(f"{root / 'use_cases' / 'worked.yaml'} (with scenario s): volume.active_users: ")
    assert "expected a number ≥ 0" in err[0]


def test_main_validate_missing_path(capsys, tmp_path):
    rc, _, err = _validate(capsys, tmp_path / "nope.yaml")
    assert rc == 2
    assert err[0] == f"{tmp_path / 'nope.yaml'}: expected a file or folder, found nothing at this path"


def test_main_validate_unrelated_file(capsys, tmp_path):
    f = _write(tmp_path / "notes.yaml", {"a": 1})
    rc, _, err = _validate(capsys, f)
    assert rc == 2
    assert err[0].startswith(f"{f}: expected one of org.yaml, fx.yaml")


def test_main_validate_bad_option_is_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--no-such-option"])
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("line", ["price_date: 2026-02-30", "description: !!int 12abc"])
def test_main_validate_yaml_constructor_error_no_traceback(capsys, root, line):
    uc = _write(root / "use_cases" / "worked.yaml", _WORKED_TEXT + line + "\n")
    rc, _, err = _validate(capsys, uc)
    assert rc == 2
    assert err[0].startswith(f"{uc}: ")


def test_main_validate_huge_integer_no_traceback(capsys, root):
    uc = _write(root / "use_cases" / "worked.yaml",
                _WORKED_TEXT.replace("output_tokens: 300", "output_tokens: 1" + "0" * 400))
    rc, _, err = _validate(capsys, uc)
    assert rc == 2
    assert err[0].startswith(f"{uc}: steps.answer.output_tokens: expected")


def test_main_validate_unquoted_price_date_accepted(capsys, root):
    uc = _write(root / "use_cases" / "worked.yaml", _WORKED_TEXT + "price_date: 2026-01-01\n")
    rc, _, err = _validate(capsys, uc)
    assert rc == 0, err


# ------------------------------------------------------------------------------ console script
def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT, env=env)


def test_console_script_validate_bad_file_no_traceback(root):
    bad = _write(root / "use_cases" / "worked.yaml",
                 _uc(lambda r: r["steps"]["answer"].update(output_tokens={"lognormal": {"p5": 300, "p95": 100}})))
    proc = _run([sys.executable, "-m", "finops_model.cli.main", "validate", str(bad)])
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[0].startswith(f"{bad}: steps.answer.output_tokens: expected p5 < p95")
    assert proc.stdout == ""


def test_console_script_finops_entry_point(root):
    exe = Path(sys.executable).with_name("finops")
    if not exe.exists():
        pytest.skip(f"no console script at {exe}")
    bomb = _write(root / "use_cases" / "worked.yaml", _BOMB)
    proc = _run([str(exe), "validate", str(bomb)])
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "alias bomb" in proc.stderr
