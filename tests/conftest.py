"""Shared fixtures: the test assumptions tree (tests/data/assumptions) and its catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
TEST_ASSUMPTIONS = DATA / "assumptions"


@pytest.fixture(scope="session")
def test_assumptions():
    from finops_model.inputs.assumptions import load_assumptions

    return load_assumptions(TEST_ASSUMPTIONS)


@pytest.fixture(scope="session")
def test_catalog(test_assumptions):
    return test_assumptions.catalog


@pytest.fixture(scope="session")
def worked(test_assumptions):
    return test_assumptions.use_cases["worked"]


@pytest.fixture
def root(tmp_path):
    """A private copy of the test assumptions tree, to break or extend in a test."""
    import shutil

    dst = tmp_path / "assumptions"
    shutil.copytree(TEST_ASSUMPTIONS, dst)
    (dst / "scenarios").mkdir(exist_ok=True)
    return dst
