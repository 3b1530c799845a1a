"""Published scenarios are the files directly in scenarios/; drafts are not."""

from __future__ import annotations

from finops_model.inputs.assumptions import published_scenarios


def test_drafts_and_other_files_are_not_published(tmp_path):
    sc = tmp_path / "scenarios"
    (sc / "drafts").mkdir(parents=True)
    for name in ("optimised.yaml", "baseline.yaml", "drafts/trial.yaml", "notes.txt"):
        (sc / name).write_text("description: x\noverrides: {}\n")
    (sc / "folder.yaml").mkdir()
    assert published_scenarios(tmp_path) == ["baseline", "optimised"]


def test_no_scenarios_folder(tmp_path):
    assert published_scenarios(tmp_path) == []
