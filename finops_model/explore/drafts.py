"""Scenario drafts saved from the explorer: YAML a person can read.

A draft is an ordinary scenario overlay written under ``assumptions/scenarios/drafts/``
(:data:`DRAFTS_FOLDER`). The leaders' pack (``make report``: the portfolio page and its exports)
lists only the files directly in ``assumptions/scenarios/``, so a draft stays out of it until
someone promotes it (moves the file up one folder). A draft is loaded by its relative name,
``drafts/<name>``: ``finops simulate USE_CASE --scenario drafts/<name>``.

The file is block-style YAML (ruamel.yaml) with a comment header (the author's description, the
date, the hash of the base files, the command that reproduces the panel) and, beside each
changed field, its value in the files as an end-of-line comment. Numbers are rounded to
:data:`SAVE_DIGITS` significant digits; the explorer rounds a value the same way when it is
set, so the file reproduces the panel exactly.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from finops_model.explore.controls import display_value, tidy

__all__ = ["DRAFTS_FOLDER", "SAVE_DIGITS", "draft_name", "draft_yaml", "round_value"]

#: Sub-folder of ``assumptions/scenarios`` that holds drafts.
DRAFTS_FOLDER = "drafts"

#: Significant digits of the numbers in a saved scenario (and of any value the explorer holds).
SAVE_DIGITS = 6

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def draft_name(name: str) -> str:
    """The scenario name that loads draft ``name`` (``drafts/<name>``)."""
    return f"{DRAFTS_FOLDER}/{name}"


def round_value(value: Any, digits: int = SAVE_DIGITS) -> Any:
    """A value of the assumptions language with every number rounded to ``digits`` significant
    digits: numbers, the numbers of a ``"a to b"`` text, and the numbers inside a distribution
    mapping (``{pert: [1, 2, 5]}``). Other text (a model id) and booleans are kept."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return tidy(value, digits) if math.isfinite(value) else value
    if isinstance(value, str):
        if " to " not in value:
            return value
        return _NUMBER.sub(lambda m: str(tidy(float(m[0]), digits)), value)
    if isinstance(value, Mapping):
        return {k: round_value(v, digits) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [round_value(v, digits) for v in value]
    return value


def _block(value: Any) -> Any:
    """ruamel containers: mappings in block style, short lists of numbers in flow style."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, Mapping):
        m = CommentedMap()
        for k, v in value.items():
            m[k] = _block(v)
        m.fa.set_block_style()
        return m
    if isinstance(value, list | tuple):
        s = CommentedSeq([_block(v) for v in value])
        if all(isinstance(v, int | float | str) for v in value):
            s.fa.set_flow_style()
        return s
    return value


def draft_yaml(name: str, description: str, overrides: Mapping[str, Any], header: Sequence[str],
               file_values: Mapping[str, Any] | None = None) -> str:
    """The text of a scenario file: a comment header, then ``name``, ``description`` and the
    ``overrides`` in block style, each with its file value as a comment where given.

    Parameters
    ----------
    name : str
        Scenario name (a slug).
    description : str
        What the scenario represents (the author's words).
    overrides : mapping
        ``'<use case>.<field.path>'`` → value of the assumptions language.
    header : sequence of str
        Comment lines (without ``#``) written at the top.
    file_values : mapping, optional
        Same keys → the value in the files, written as ``# file: …`` after the new value.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import FoldedScalarString

    y = YAML()
    y.default_flow_style = False
    y.width = 96
    y.indent(mapping=2, sequence=4, offset=2)
    over = CommentedMap()
    for key, value in overrides.items():
        over[key] = _block(value)
        if file_values is not None and key in file_values:
            over.yaml_add_eol_comment(f"file: {display_value(file_values[key])}", key)
    doc = CommentedMap()
    doc["name"] = name
    text = " ".join(description.split())
    doc["description"] = FoldedScalarString(text + "\n") if len(text) > 60 else text
    doc["overrides"] = over
    doc.yaml_set_start_comment("\n".join(header))
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()
