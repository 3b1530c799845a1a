"""The panel shows every error a widget callback meets, as one line."""

from __future__ import annotations

import logging

from finops_model.errors import FinopsError
from finops_model.explore.panel import error_text


def test_expected_error_shows_its_message():
    assert error_text(FinopsError("scenario name: expected a slug, found 'A B'")) == "error: scenario name: expected a slug, found 'A B'"


def test_unexpected_error_is_one_line_with_its_type_and_logged(caplog):
    with caplog.at_level(logging.ERROR, logger="finops_model.explore.panel"):
        text = error_text(ZeroDivisionError("float division\nby zero"))
    assert text.startswith("error: unexpected ZeroDivisionError: float division by zero")
    assert "\n" not in text
    assert "nothing was changed" in text
    assert caplog.records and caplog.records[0].exc_info


def test_error_without_message():
    assert "unexpected KeyError" in error_text(KeyError())
