"""The ``finops`` command line.

Every user error prints one line per problem, ``file: field.path: expected …, found …``, on
standard error and exits with status 2 — never a traceback. Manners of every command:

- an error of the operating system (a folder that is a file, a name too long, no permission,
  a full disk) is one line ``error: <path>: <what is wrong>``, exit 2;
- a reader that stops early (``finops … | head``) ends the command quietly with the exit
  status of a process ended by SIGPIPE (141), as ``cat`` and ``grep`` do;
- a Python warning is one line on standard error (``note: numeric: …`` for the floating-point
  warnings of numpy, ``warning: …`` otherwise), once per message, never with a source path.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence

from finops_model import __version__
from finops_model.cli.common import positive_int, seed_int
from finops_model.errors import AssumptionError, FinopsError
from finops_model.util.settings import DEFAULT_TRIALS

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_PIPE = 128 + int(signal.SIGPIPE)  # 141: what a shell reports for a writer ended by SIGPIPE


def _print_problems(exc: AssumptionError) -> None:
    for p in exc.problems:
        print(str(p), file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    from finops_model.decisions.levers import check_lever_file
    from finops_model.inputs.boundary import validate_paths

    ok, problems = validate_paths(args.paths, {"levers.yaml": check_lever_file})
    for line in ok:
        print(line)
    for p in problems:
        print(str(p), file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from finops_model.inputs.assumptions import load_assumptions
    from finops_model.reports.summaries import write_summaries
    from finops_model.util.paths import OUTPUTS_DIR

    a = load_assumptions(args.assumptions, args.scenario or (), use_cases=args.use_cases or None)
    out = Path(args.out) if args.out else OUTPUTS_DIR
    rep = write_summaries(a, out, args.use_cases or None, args.trials, args.seed)
    print(f"wrote {len(rep.written)} files to {rep.folder}")
    for uc_id, err in rep.failures.items():
        print(f"{uc_id}: failed: {err}", file=sys.stderr)
    return EXIT_FAILURE if rep.failures else EXIT_OK


class Parser(argparse.ArgumentParser):
    """argparse's parser whose help, usage and version text let a closed pipe show.

    argparse ignores an ``OSError`` while printing them, so ``finops --help | true`` would
    end with status 0 (unbuffered) or an "Exception ignored" message at exit (buffered).
    """

    def _print_message(self, message: str, file=None) -> None:  # type: ignore[override]
        if message:
            (file or sys.stderr).write(message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="finops",
        description="AI FinOps Workbench: cost, value and uncertainty of enterprise AI use cases.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("validate", help="validate assumption files (default: all of assumptions/)")
    p.add_argument("paths", nargs="*", help="files or folders to validate")
    p.set_defaults(func=cmd_validate)

    import importlib

    # Each command family lives in its own module with an ``add_parser(subparsers)`` function.
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.{name}").add_parser(sub)

    p = sub.add_parser("report", help="simulate every use case and write a run folder into outputs/")
    p.add_argument("use_cases", nargs="*", metavar="USE_CASE", help="use-case ids (default: all)")
    p.add_argument("--scenario", action="append", metavar="NAME", help="scenario overlay (repeatable)")
    p.add_argument("--trials", type=positive_int, default=DEFAULT_TRIALS, help=f"Monte Carlo trials (default {DEFAULT_TRIALS:,})")
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--out", metavar="DIR", help="output folder (default: outputs/)")
    p.add_argument("--jobs", type=positive_int, default=1, help="parallel jobs")
    p.add_argument("--assumptions", metavar="DIR", help="assumptions folder (default: the project's)")
    p.set_defaults(func=cmd_report)

    return parser


#: Modules that register sub-commands, in help order.
COMMAND_MODULES: tuple[str, ...] = (
    "price",
    "simulate",
    "uncertainty",
    "scenarios",
    "tco",
    "catalog",
    "portfolio",
    "render",
    "actuals_forecast",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``finops`` console script; returns the exit status."""
    try:
        with one_line_warnings():
            try:
                args = build_parser().parse_args(argv)
            except SystemExit:
                sys.stdout.flush()  # --help into a closed pipe: argparse hides the write's error
                raise
            status = _run(args)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
            return status
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_PIPE


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except AssumptionError as exc:
        _print_problems(exc)
        return EXIT_USAGE
    except FinopsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        raise
    except OSError as exc:
        print(f"error: {os_error_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


_OS_REASONS = {
    errno.ENOTDIR: "expected a folder, found a file on the way",
    errno.EEXIST: "expected a folder or a new name, found an existing file",
    errno.EISDIR: "expected a file, found a folder",
    errno.ENOENT: "no such file or folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "the file system is read-only",
    errno.ENAMETOOLONG: "a name in this path is too long (at most 255 bytes each); choose a shorter one",
}


def _short(path: object) -> str:
    """A path for one line: each over-long name cut to its first 40 characters."""
    parts = str(path).split(os.sep)
    return os.sep.join(p if len(p) <= 60 else f"{p[:40]}…({len(p)} characters)" for p in parts)


def os_error_line(exc: OSError) -> str:
    """``<path>: <what is wrong>`` for an operating-system error (no errno, no traceback)."""
    reason = _OS_REASONS.get(exc.errno or -1) or (exc.strerror or str(exc)).strip()
    paths = [_short(p) for p in (exc.filename, exc.filename2) if p is not None]
    return ": ".join([" → ".join(paths), reason] if paths else [reason])


def _quiet_stdout() -> None:
    """Point standard output at /dev/null so the interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


@contextlib.contextmanager
def one_line_warnings(stream: object = None) -> Iterator[None]:
    """Show each distinct warning as one line on standard error while the block runs."""
    seen: set[tuple[type, str]] = set()

    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split()) or category.__name__
        if (category, text) in seen:
            return
        seen.add((category, text))
        label = "note: numeric" if issubclass(category, RuntimeWarning) else "warning"
        print(f"{label}: {text}", file=stream or sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
