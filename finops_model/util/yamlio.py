"""Safe YAML reading with precise, user-facing errors.

* a safe loader only (no Python objects);
* bytes must be UTF-8 (the error gives the byte offset of the first bad byte);
* an empty file, malformed YAML (with its line and column) and duplicate mapping keys are errors;
* alias bombs ("billion laughs") are refused fast and in bounded memory: the expanded size of
  the document is computed on the composed node graph, before anything is constructed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from finops_model.errors import AssumptionError

#: Largest number of nodes a document may expand to once aliases are followed.
MAX_EXPANDED_NODES = 200_000
#: Largest file we read [bytes].
MAX_FILE_BYTES = 20_000_000


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader whose value errors (a date like 2026-02-30, ``!!int 12abc``) carry the
    line of the value instead of escaping as Python exceptions."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"expected a valid {node.tag.rsplit(':', 1)[-1]} value, found "
                f"{getattr(node, 'value', '?')!r} ({exc})", node.start_mark
            ) from None


def _expanded_size(node: yaml.Node, memo: dict[int, int], limit: int) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # guards against recursive aliases while counting
    size = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            size += _expanded_size(child, memo, limit)
            if size > limit:
                break
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            size += _expanded_size(k, memo, limit) + _expanded_size(v, memo, limit)
            if size > limit:
                break
    memo[key] = size
    return size


def _check_duplicate_keys(node: yaml.Node, file: str, seen: set[int], path: str = "") -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: dict[Any, int] = {}
        for k, v in node.value:
            child = f"{path}.{k.value}" if path and isinstance(k, yaml.ScalarNode) else str(getattr(k, "value", "?"))
            if isinstance(k, yaml.ScalarNode):
                if k.value in keys and k.value != "<<":
                    raise AssumptionError.single(
                        file,
                        child,
                        f"duplicate key at line {k.start_mark.line + 1} "
                        f"(first defined at line {keys[k.value]}); expected each key once",
                    )
                keys[k.value] = k.start_mark.line + 1
            _check_duplicate_keys(v, file, seen, child)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicate_keys(item, file, seen, f"{path}.{i}" if path else str(i))


def loads(text: str | bytes, file: str | os.PathLike[str] = "<string>") -> Any:
    """Parse one YAML document safely.

    Parameters
    ----------
    text : str or bytes
        The document. Bytes must be UTF-8.
    file : path-like
        Name used in error messages.

    Returns
    -------
    The plain Python value (dicts, lists, str, int, float, bool, None).

    Raises
    ------
    AssumptionError
        On bad encoding, empty input, malformed YAML, duplicate keys or an alias bomb.
    """
    file = str(file)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AssumptionError.single(
                file, "", f"expected UTF-8 text, found byte 0x{text[exc.start]:02x} "
                f"at offset {exc.start} that is not valid UTF-8"
            ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise AssumptionError.single(file, "", "expected a YAML mapping, found an empty file")
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise AssumptionError.single(file, "", "expected a YAML document, found none")
        memo: dict[int, int] = {}
        if _expanded_size(node, memo, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
            raise AssumptionError.single(
                file, "", f"expected at most {MAX_EXPANDED_NODES:,} values once aliases are "
                "expanded, found more (a YAML alias bomb?); refused"
            )
        _check_duplicate_keys(node, file, set())
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = exc.problem or exc.context or "malformed YAML"
        raise AssumptionError.single(file, "", f"{where}malformed YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise AssumptionError.single(file, "", f"malformed YAML: {exc}") from None
    finally:
        loader.dispose()


def load(path: str | os.PathLike[str]) -> Any:
    """Read and parse a YAML file safely (see :func:`loads`)."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise AssumptionError.single(str(p), "", "expected a file, found nothing at this path") from None
    if size > MAX_FILE_BYTES:
        raise AssumptionError.single(
            str(p), "", f"expected at most {MAX_FILE_BYTES:,} bytes, found {size:,}"
        )
    return loads(p.read_bytes(), p)
