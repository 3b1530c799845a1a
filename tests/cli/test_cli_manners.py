"""Manners of every ``finops`` command: a reader that stops early, operating-system errors,
warnings (issue 19.6).

A closed pipe is tried on every command in-process (standard output raises
``BrokenPipeError`` as it does once ``| head`` has exited) and, for a few, for real in a child
process whose standard output is closed before it writes (marked slow).
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml
from actuals_helpers import usage
from conftest import DATA, TEST_ASSUMPTIONS

from finops_model.cli import main as cli
from finops_model.cli.main import EXIT_PIPE, main, one_line_warnings, os_error_line

FINOPS = Path(sys.executable).with_name("finops")


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """The test tree with a self-hosting option, an uncertain use case, a scenario and a usage file."""
    tmp = tmp_path_factory.mktemp("manners")
    root = tmp / "assumptions"
    shutil.copytree(TEST_ASSUMPTIONS, root)
    for f in ("gpus.yaml", "serving.yaml"):
        shutil.copy(DATA / "tco" / f, root / "catalog" / f)
    uc = yaml.safe_load((root / "use_cases" / "worked.yaml").read_text())
    uc["infrastructure"].update(yaml.safe_load((DATA / "tco" / "self_hosting.yaml").read_text()))
    (root / "use_cases" / "worked.yaml").write_text(yaml.safe_dump(uc))
    shutil.copy(DATA / "uncertainty" / "uncertain.yaml", root / "use_cases" / "uncertain.yaml")
    (root / "scenarios").mkdir(exist_ok=True)
    (root / "scenarios" / "cheap.yaml").write_text(
        "name: cheap\ndescription: shorter answers\noverrides:\n  worked.steps.answer.output_tokens: 200\n"
    )
    (root / "levers.yaml").write_text("plans:\n  worked:\n    - lever: prompt_compression\n      share_removed: 0.5\n")
    rows = [
        {"timestamp": f"2026-01-{d:02d}T08:00:00", "model": m, "requests": 3000, "input_tokens": 3000 * 500,
         "output_tokens": 3000 * 50, "use_case": "worked"}
        for d in range(1, 21) for m in ("test-frontier", "test-small")
    ]  # fmt: skip
    usage(rows).to_csv(tmp / "usage.csv", index=False)
    return root


def _commands(root: Path) -> dict[str, list[str]]:
    a = ["--assumptions", str(root)]
    u = ["--usage", str(root.parent / "usage.csv"), "--go-live", "2026-01-01", "--trials", "50"]
    return {
        "validate": ["validate", str(root)],
        "price": ["price", "test-frontier", "--input-tokens", "1000", "--output-tokens", "100",
                  "--catalog", str(root / "catalog" / "models.yaml")],
        "simulate": ["simulate", "worked", "--trials", "20", *a],
        "goal-seek": ["goal-seek", "uncertain", "--vary", "volume.active_users", "--target",
                      "p80(avg_monthly_cost)<=35k", "--trials", "100", *a],
        "sensitivity": ["sensitivity", "uncertain", "--method", "spearman", "--trials", "200", *a],
        "stress": ["stress", "uncertain", "--inputs", "volume.active_users", "--trials", "200", *a],
        "compare": ["compare", "--scenarios", "baseline,cheap", "--trials", "20", *a],
        "levers": ["levers", "worked", "--trials", "20", *a],
        "drift": ["drift", "worked", "--months", "3", "--trials", "20", *a],
        "tco": ["tco", "worked", "--trials", "3", *a],
        "catalog": ["catalog", "import-litellm", str(DATA / "catalog_import" / "litellm_tiers.json"),
                    "--date", "2026-08-01", "--dry-run", *a],
        "gate": ["gate", *a],
        "portfolio": ["portfolio", "--trials", "20", "--jobs", "1", *a],
        "actuals calibrate": ["actuals", "calibrate", "worked", *u, "--dry-run", *a],
        "actuals variance": ["actuals", "variance", *u, *a],
        "actuals burn": ["actuals", "burn", *u, "--month", "2026-01", "--budget", "50000", *a],
        "actuals alerts": ["actuals", "alerts", *u, *a],
        "report": ["report", "--trials", "20", "--out", str(root.parent / "out-report"), *a],
    }  # fmt: skip


def test_every_command_is_tried():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    names = {c.split()[0] for c in _commands(Path("x"))} | {"render"}  # render: the slow test below
    assert set(sub.choices) == names


class _ClosedPipe(io.TextIOBase):
    """Standard output after the reader went away: every write raises EPIPE."""

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    def flush(self) -> None:  # what was buffered fails too (argparse swallows the write's error)
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


@pytest.mark.parametrize("name", list(_commands(Path("x"))))
def test_closed_pipe_ends_quietly(name, tree, monkeypatch, capsys):
    argv = _commands(tree)[name]
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(argv) == EXIT_PIPE
    err = capsys.readouterr().err
    assert "Traceback" not in err and "BrokenPipeError" not in err


def test_closed_pipe_on_help(monkeypatch):
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["simulate", "--help"]) == EXIT_PIPE


_REAL = {
    "help": ["--help"],
    "validate": ["validate", "{root}"],
    "simulate": ["simulate", "worked", "--trials", "20", "--assumptions", "{root}"],
    "render": ["render", "worked", "--trials", "20", "--jobs", "1", "--out", "{out}", "--assumptions", "{root}"],
}


@pytest.mark.slow
@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("name", list(_REAL))
def test_closed_pipe_in_a_real_process(name, unbuffered, tree, tmp_path):
    if name == "render" and unbuffered:
        pytest.skip("one render is enough")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"} | ({"PYTHONUNBUFFERED": "1"} if unbuffered else {})
    argv = [a.format(root=tree, out=tmp_path / "out") for a in _REAL[name]]
    proc = subprocess.Popen([str(FINOPS), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the command writes its first line
    err = proc.stderr.read().decode()
    assert proc.wait() == EXIT_PIPE, err
    assert "Traceback" not in err and "Exception ignored" not in err and "BrokenPipe" not in err
    if name == "render":  # the run was complete before the pipe closed: folder and latest in place
        latest = tmp_path / "out" / "latest"
        assert (latest / "index.html").exists() and (latest / "business_cases" / "worked.html").exists()


# ----------------------------------------------------------------------------- OSError
def test_output_folder_that_is_a_file_is_one_line(tree, tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("not a folder")
    assert main(["report", "--trials", "10", "--out", str(target), "--assumptions", str(tree)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {target}") and "expected a folder" in err[0]


def test_very_long_scenario_name_is_one_line(tree, capsys):
    name = "x" * 300
    assert main(["simulate", "worked", "--scenario", name, "--assumptions", str(tree)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "too long" in err[0] and "(305 characters)" in err[0] and name not in err[0]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (NotADirectoryError(errno.ENOTDIR, "Not a directory", "/o/f/runs"), "/o/f/runs: expected a folder"),
        (PermissionError(errno.EACCES, "Permission denied", "/r/x.csv"), "/r/x.csv: permission denied"),
        (OSError(errno.ENOSPC, "No space left on device", "/d/x"), "/d/x: no space left on the device"),
        (OSError(errno.EXDEV, "Invalid cross-device link", "/a", None, "/b"), "/a → /b: Invalid cross-device link"),
        (OSError("something odd"), "something odd"),
    ],
)
def test_os_error_line(exc, expected):
    line = os_error_line(exc)
    assert line.startswith(expected) and "\n" not in line and "Errno" not in line


# ----------------------------------------------------------------------------- warnings
def test_warnings_are_one_line_notes_once(capsys):
    with one_line_warnings():
        with np.errstate(divide="warn"):
            for _ in range(3):
                np.array([1.0]) / np.array([0.0])
        warnings.warn("a missing cache price falls back\n  to the input rate", UserWarning, stacklevel=1)
    err = capsys.readouterr().err.splitlines()
    assert err == ["note: numeric: divide by zero encountered in divide",
                   "warning: a missing cache price falls back to the input rate"]  # fmt: skip


def test_a_command_warning_is_one_line_without_source_path(monkeypatch, capsys):
    def noisy(args):
        np.log(np.array([-1.0]))
        return 0

    monkeypatch.setattr(cli, "cmd_validate", noisy)
    assert main(["validate"]) == 0
    err = capsys.readouterr().err
    assert err == "note: numeric: invalid value encountered in log\n"
    assert os.sep + "finops_model" not in err
