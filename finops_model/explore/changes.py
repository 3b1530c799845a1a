"""The explorer's change list: every edited field, its file value and its new value, with undo
and redo. Pure state (no widgets, no model): the panel and the tests drive it the same way.

>>> c = ChangeList({"volume.active_users": "200 to 400"})
>>> c.set("volume.active_users", "300 to 600")
True
>>> c.changes()[0].value, c.undo(), c.overrides
('300 to 600', True, {})

Every action that changes the overrides (``set``, ``remove``, ``clear``) is one undo step; an
action that changes nothing is not recorded. ``set(..., coalesce=True)`` folds a set into the
previous step when that step set the same field (a slider drag is one step, not fifty).
Setting a field back to its file value removes it from the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Change", "ChangeList", "same_value"]


def same_value(a: Any, b: Any) -> bool:
    """Equal values of the assumptions language, of the same type (``1`` is not ``1.0`` is not ``"1"``)."""
    return type(a) is type(b) and a == b


@dataclass(frozen=True)
class Change:
    """One edited field: ``path`` in the use case, ``file_value`` (as written in the files,
    under the panel's scenario) and ``value`` (the new value), both in the file's currency."""

    path: str
    file_value: Any
    value: Any


class ChangeList:
    """Edits over a set of file values, with undo and redo.

    Parameters
    ----------
    file_values : mapping
        Field path → value in the files; only these fields can be edited.
    """

    def __init__(self, file_values: Mapping[str, Any]):
        self.file_values: dict[str, Any] = dict(file_values)
        self._now: dict[str, Any] = {}
        self._undo: list[tuple[dict[str, Any], str | None]] = []
        self._redo: list[tuple[dict[str, Any], str | None]] = []
        self._last_set: str | None = None

    # ------------------------------------------------------------------ reading
    @property
    def overrides(self) -> dict[str, Any]:
        """Field path → new value, in the order the fields were first edited (a copy)."""
        return dict(self._now)

    def changes(self) -> list[Change]:
        """The change list, in the order the fields were first edited."""
        return [Change(p, self.file_values[p], v) for p, v in self._now.items()]

    def __len__(self) -> int:
        return len(self._now)

    def __contains__(self, path: object) -> bool:
        return path in self._now

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    # ------------------------------------------------------------------ editing
    def _commit(self, new: dict[str, Any], last_set: str | None, coalesce: bool = False) -> bool:
        if new == self._now and all(same_value(new[k], self._now[k]) for k in new):
            return False
        if not (coalesce and last_set is not None and last_set == self._last_set and self._undo):
            self._undo.append((self._now, self._last_set))
        self._redo.clear()
        self._now = new
        self._last_set = last_set
        return True

    def set(self, path: str, value: Any, *, coalesce: bool = False) -> bool:
        """Give ``path`` a new value (its file value removes it from the list); True if the
        overrides changed.

        Raises
        ------
        KeyError
            ``path`` is not one of the editable fields.
        """
        if path not in self.file_values:
            raise KeyError(path)
        new = dict(self._now)
        if same_value(value, self.file_values[path]):
            new.pop(path, None)
        else:
            new[path] = value
        return self._commit(new, path, coalesce)

    def remove(self, path: str) -> bool:
        """Return one field to its file value; True if it was in the list."""
        if path not in self._now:
            return False
        new = dict(self._now)
        del new[path]
        return self._commit(new, None)

    def clear(self) -> bool:
        """Return every field to its file value (one undo step); True if anything was edited."""
        return self._commit({}, None)

    def undo(self) -> bool:
        """Go back one step; False if there is nothing to undo."""
        if not self._undo:
            return False
        self._redo.append((self._now, self._last_set))
        self._now, self._last_set = self._undo.pop()
        self._last_set = None  # a set after an undo is a new step
        return True

    def redo(self) -> bool:
        """Go forward one undone step; False if there is nothing to redo."""
        if not self._redo:
            return False
        self._undo.append((self._now, None))
        self._now, _ = self._redo.pop()
        self._last_set = None
        return True
