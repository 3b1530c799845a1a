"""Typed exceptions of the workbench.

Every error a user can cause carries the file, the field path, what was expected and what was
found, so that the command line prints one line per problem: ``file: field.path: message``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in one input file.

    Attributes
    ----------
    file : str
        Path of the file the problem was found in ("" when not from a file).
    path : str
        Dotted field path inside the file, e.g. ``request.output_tokens`` ("" for the whole file).
    message : str
        What was expected and what was found.
    """

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.path) if p]
        return ": ".join([*parts, self.message])


class FinopsError(Exception):
    """Base class of every error the workbench raises on purpose."""


class AssumptionError(FinopsError):
    """Invalid assumptions: holds one or more :class:`Problem` records."""

    def __init__(self, problems: Problem | Sequence[Problem]):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(cls, file: str, path: str, message: str) -> AssumptionError:
        return cls(Problem(str(file), path, message))


class CatalogError(AssumptionError):
    """A price or hardware catalog is invalid, or a model is missing from it."""


class ModelError(FinopsError):
    """The model cannot be evaluated with the given inputs (e.g. an unbounded agent loop)."""


def did_you_mean(word: str, choices: Iterable[str], n: int = 1) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(str(word), list(choices), n=n, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
