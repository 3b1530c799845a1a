"""Run folders: atomic, never overwriting, with a stable latest pointer."""

from __future__ import annotations

import os

import pytest

from finops_model.util.io import write_atomic
from finops_model.util.runs import run_folder


def test_run_folder_renames_into_place_and_points_latest(tmp_path):
    with run_folder(tmp_path, "r1") as run:
        (run.tmp / "a.txt").write_text("x")
        assert not (tmp_path / "runs" / "r1").exists()  # invisible until complete
    assert (tmp_path / "runs" / "r1" / "a.txt").read_text() == "x"
    assert os.path.realpath(tmp_path / "latest") == str((tmp_path / "runs" / "r1").resolve())


def test_run_folder_never_overwrites_an_earlier_run(tmp_path):
    for text in ("first", "second"):
        with run_folder(tmp_path, "same") as run:
            (run.tmp / "a.txt").write_text(text)
    assert (tmp_path / "runs" / "same" / "a.txt").read_text() == "first"
    assert (tmp_path / "runs" / "same-2" / "a.txt").read_text() == "second"
    assert (tmp_path / "latest" / "a.txt").read_text() == "second"


def test_run_folder_failure_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with run_folder(tmp_path, "bad") as run:
            (run.tmp / "half.txt").write_text("x")
            raise RuntimeError("boom")
    assert [p.name for p in (tmp_path / "runs").iterdir()] == []
    assert not (tmp_path / "latest").exists()


def test_atomic_write_text_replaces_whole_file(tmp_path):
    p = tmp_path / "f.txt"
    write_atomic(p, "one")
    write_atomic(p, "two")
    assert p.read_text() == "two"
    assert [x.name for x in tmp_path.iterdir()] == ["f.txt"]
