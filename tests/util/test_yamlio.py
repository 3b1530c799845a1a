"""Tests of finops_model.yamlio: safe YAML loading with precise, user-facing errors."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from finops_model.errors import AssumptionError
from finops_model.util import yamlio

BAD = Path(__file__).parents[1] / "data" / "bad"


def _bomb(levels: int = 9, width: int = 10) -> str:
    """A billion-laughs document: ``levels`` levels of ``width`` aliases each."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _only_problem(exc: pytest.ExceptionInfo[AssumptionError]):
    assert len(exc.value.problems) == 1
    return exc.value.problems[0]


# ------------------------------------------------------------------------------ valid input
def test_loads_plain_mapping():
    assert yamlio.loads("a: 1\nb: [x, 2.5]\nc: {d: true}\n") == {
        "a": 1,
        "b": ["x", 2.5],
        "c": {"d": True},
    }


def test_loads_bytes_utf8():
    assert yamlio.loads("name: Zürich — 東京\n".encode()) == {"name": "Zürich — 東京"}


def test_load_bom_is_accepted():
    assert yamlio.load(BAD / "bom.yaml") == {"id": "bom", "name": "With a byte-order mark"}


def test_loads_bom_in_str_is_accepted():
    assert yamlio.loads("\ufeffa: 1\n") == {"a": 1}


def test_loads_merge_key_is_not_a_duplicate():
    data = yamlio.loads("base: &b {k: 1}\nx:\n  <<: *b\n  j: 2\n")
    assert data["x"] == {"k": 1, "j": 2}


def test_loads_small_aliases_are_fine():
    # 3 levels of 10 aliases: 1,000 leaves, well under the expansion limit
    data = yamlio.loads(_bomb(levels=3))
    assert len(data["a3"]) == 10 and data["a3"][0][0][0] == ["lol"] * 10


def test_loads_comments_around_content():
    assert yamlio.loads("# header\na: 1  # trailing\n# footer\n") == {"a": 1}


# ------------------------------------------------------------------------------ encoding
def test_load_not_utf8_gives_byte_offset():
    with pytest.raises(AssumptionError) as exc:
        yamlio.load(BAD / "not_utf8.yaml")
    p = _only_problem(exc)
    assert p.file == str(BAD / "not_utf8.yaml")
    assert "expected UTF-8" in p.message
    assert "0xe9" in p.message
    assert "offset 7" in p.message  # b"id: caf" is 7 bytes


def test_loads_latin1_bytes_refused():
    with pytest.raises(AssumptionError, match=r"offset 0 .*not valid UTF-8"):
        yamlio.loads("é: 1\n".encode("latin-1"), "x.yaml")


def test_loads_utf16_refused():
    with pytest.raises(AssumptionError, match="expected UTF-8"):
        yamlio.loads("a: 1\n".encode("utf-16"), "x.yaml")


# ------------------------------------------------------------------------------ empty
def test_load_empty_file():
    with pytest.raises(AssumptionError) as exc:
        yamlio.load(BAD / "empty.yaml")
    p = _only_problem(exc)
    assert p.file.endswith("empty.yaml")
    assert p.message == "expected a YAML mapping, found an empty file"


def test_load_comment_only_file_is_empty():
    with pytest.raises(AssumptionError, match="found an empty file"):
        yamlio.load(BAD / "comments_only.yaml")


@pytest.mark.parametrize("text", ["", "   \n\n", "\ufeff", b"", "# just a comment"])
def test_loads_blank_inputs_are_empty(text):
    with pytest.raises(AssumptionError, match="found an empty file"):
        yamlio.loads(text, "x.yaml")


def test_load_missing_file():
    with pytest.raises(AssumptionError, match="expected a file, found nothing"):
        yamlio.load(BAD / "does-not-exist.yaml")


# ------------------------------------------------------------------------------ malformed
def test_load_malformed_gives_line_number():
    with pytest.raises(AssumptionError) as exc:
        yamlio.load(BAD / "malformed.yaml")
    p = _only_problem(exc)
    assert p.file.endswith("malformed.yaml")
    # the unclosed '[' on line 3 is detected at the next key, line 4
    assert "line 4" in p.message
    assert "malformed YAML" in p.message


@pytest.mark.parametrize(
    "text, line",
    [
        ("a: 1\nb: c: d\n", 2),
        ("a: 1\nb: 2\n\tc: 3\n", 3),
        ("a:\n  - 1\n  - 2\n x: 3\n", 4),
        ("a: 1\nb: *nope\n", 2),
        ("a: 1\nb: 'open\n", 3),
    ],
    ids=["nested-colon", "tab", "bad-indent", "undefined-alias", "unterminated-quote"],
)
def test_loads_malformed_line_numbers(text, line):
    with pytest.raises(AssumptionError) as exc:
        yamlio.loads(text, "bad.yaml")
    p = _only_problem(exc)
    assert p.file == "bad.yaml"
    assert f"line {line}," in p.message


def test_loads_two_documents_refused():
    with pytest.raises(AssumptionError, match="line 2.*another document"):
        yamlio.loads("a: 1\n---\nb: 2\n")


def test_loads_python_tags_refused():
    with pytest.raises(AssumptionError, match="line 1"):
        yamlio.loads("a: !!python/object/apply:os.system ['echo hi']\n")


# ------------------------------------------------------------------------------ duplicate keys
def test_load_duplicate_key_refused_with_both_lines():
    with pytest.raises(AssumptionError) as exc:
        yamlio.load(BAD / "duplicate_key.yaml")
    p = _only_problem(exc)
    assert p.file.endswith("duplicate_key.yaml")
    assert "duplicate key at line 5" in p.message
    assert "first defined at line 3" in p.message
    assert "expected each key once" in p.message


def test_loads_duplicate_top_level_key():
    with pytest.raises(AssumptionError) as exc:
        yamlio.loads("id: a\nname: x\nid: b\n", "uc.yaml")
    p = _only_problem(exc)
    assert p.path == "id"
    assert "line 3" in p.message


def test_loads_duplicate_key_in_flow_mapping():
    with pytest.raises(AssumptionError, match="duplicate key"):
        yamlio.loads("a: {x: 1, x: 2}\n")


def test_loads_duplicate_key_inside_list_item():
    with pytest.raises(AssumptionError, match="duplicate key at line 3"):
        yamlio.loads("items:\n  - {k: 1}\n  - {k: 1, k: 2}\n")


def test_load_duplicate_key_path_is_dotted():
    with pytest.raises(AssumptionError) as exc:
        yamlio.load(BAD / "duplicate_key.yaml")
    assert _only_problem(exc).path == "rag.top_k"


# ------------------------------------------------------------------------------ alias bombs
def test_load_alias_bomb_refused():
    with pytest.raises(AssumptionError) as exc:
        yamlio.load(BAD / "alias_bomb.yaml")
    p = _only_problem(exc)
    assert p.file.endswith("alias_bomb.yaml")
    assert "alias bomb" in p.message
    assert p.message.startswith("expected at most")


def test_loads_alias_bomb_refused_in_bounded_memory():
    tracemalloc.start()
    try:
        with pytest.raises(AssumptionError, match="alias bomb"):
            yamlio.loads(_bomb(levels=9), "bomb.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000  # the expanded document would need gigabytes


def test_loads_deeper_alias_bomb_refused():
    with pytest.raises(AssumptionError, match="alias bomb"):
        yamlio.loads(_bomb(levels=30, width=2))


def test_loads_alias_bomb_in_mappings_refused():
    lines = ["m0: &m0 {" + ", ".join(f"k{j}: lol" for j in range(10)) + "}"]
    for i in range(1, 9):
        lines.append(f"m{i}: &m{i} {{" + ", ".join(f"k{j}: *m{i - 1}" for j in range(10)) + "}")
    with pytest.raises(AssumptionError, match="alias bomb"):
        yamlio.loads("\n".join(lines) + "\n")


def test_loads_expansion_limit_boundary():
    # just under the limit loads; the node count includes every container and scalar
    width = 400
    text = "a: &a [" + ", ".join(["x"] * width) + "]\nb: [" + ", ".join(["*a"] * 400) + "]\n"
    assert 400 * 401 < yamlio.MAX_EXPANDED_NODES
    assert len(yamlio.loads(text)["b"]) == 400
    text = "a: &a [" + ", ".join(["x"] * width) + "]\nb: [" + ", ".join(["*a"] * 600) + "]\n"
    with pytest.raises(AssumptionError, match="alias bomb"):
        yamlio.loads(text)


# ------------------------------------------------------------------------------ constructor errors
@pytest.mark.parametrize(
    "text",
    ["a: 1\nd: 2026-02-30\n", "a: 1\nd: !!int 12abc\n", "a: 1\nd: !!timestamp soon\n"],
    ids=["impossible-date", "bad-int-tag", "bad-timestamp-tag"],
)
def test_loads_constructor_error_is_assumption_error(text):
    with pytest.raises(AssumptionError, match="line 2"):
        yamlio.loads(text, "x.yaml")
