"""Rendering: papermill executes the thin notebooks, nbconvert exports them for leaders.

One call of :func:`render` writes a new run folder (see :mod:`finops_model.report`)::

    outputs/runs/<UTC time>-<assumptions hash>/
        index.html                    links to everything below
        business_cases/<id>.ipynb     executed notebook, one per use case
        business_cases/<id>.html      self-contained page, code hidden, charts offline
        portfolio.ipynb / .html       all use cases, showback, scenario comparison
        portfolio.xlsx                a sheet per view; numbers stored as numbers
        csv/<view>.csv                the same views as CSV
        build_vs_buy.ipynb / .html    (when a use case has a self-hosting option)
        stamp.json                    seed, trials, assumptions hash, version, date
        failures.json                 only when something failed

Pages are self-contained: the Vega bundle is inlined once per page and every chart also
carries a static SVG, so a report opened on a plane draws its charts.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finops_model.errors import FinopsError
from finops_model.util.paths import PROJECT_ROOT
from finops_model.util.settings import DEFAULT_TRIALS

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"


class RenderError(FinopsError):
    """A notebook could not be rendered (bad parameters, failed execution, export error)."""


# --------------------------------------------------------------------------- parameters
def notebook_parameters(notebook: str | Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares in its ``parameters`` cell (papermill's inspection)."""
    import papermill as pm

    return dict(pm.inspect_notebook(str(notebook)))


def check_parameters(notebook: str | Path, parameters: dict[str, Any]) -> None:
    """Refuse parameters the notebook does not declare (papermill would only warn).

    Raises
    ------
    RenderError
        Naming the unknown parameter, with a did-you-mean and the declared ones.
    """
    from finops_model.errors import did_you_mean

    declared = notebook_parameters(notebook)
    unknown = [k for k in parameters if k not in declared]
    if unknown:
        name = unknown[0]
        raise RenderError(
            f"{notebook}: parameters.{name}: expected one of {', '.join(declared)}, found {name!r}"
            f"{did_you_mean(name, declared)}"
        )


# --------------------------------------------------------------------------- one notebook
def execute(notebook: str | Path, out_ipynb: Path, parameters: dict[str, Any], timeout: int = 1800) -> Path:
    """Execute ``notebook`` with ``parameters`` into ``out_ipynb`` (papermill)."""
    import papermill as pm

    check_parameters(notebook, parameters)
    out_ipynb.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # kernels inherit it: no debugger warning
    try:
        pm.execute_notebook(
            str(notebook), str(out_ipynb), parameters=parameters, kernel_name="python3",
            progress_bar=False, cwd=str(PROJECT_ROOT), execution_timeout=timeout,
        )
    except pm.PapermillExecutionError as exc:
        raise RenderError(f"{Path(notebook).name} with {parameters}: cell {exc.exec_count} failed: {exc.ename}: {_first_line(exc.evalue)}") from None
    return out_ipynb


def _first_line(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(text))
    return text.strip().splitlines()[0] if text.strip() else ""


_EXTERNAL = re.compile(r"<script[^>]+src=\"https?://[^\"]*\"[^>]*>\s*</script>|<link[^>]+href=\"https?://[^\"]*\"[^>]*>", re.I)


def export_html(ipynb: Path, html_path: Path, title: str) -> Path:
    """Export an executed notebook as a self-contained page with the code hidden.

    External scripts and style sheets of the template (MathJax, RequireJS from a CDN) are
    removed and the offline Vega bundle is inlined once, so the page needs no network.
    """
    import nbformat
    from nbconvert import HTMLExporter

    from finops_model.reports.charts import offline_script

    nb = nbformat.read(str(ipynb), as_version=4)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    body = _EXTERNAL.sub("", body)
    body = re.sub(r"<title>.*?</title>", f"<title>{_esc(title)}</title>", body, count=1, flags=re.S)
    script = f"<script>{offline_script()}</script>"
    body = body.replace("</head>", script + "\n</head>", 1) if "</head>" in body else script + body
    from finops_model.util.io import write_atomic

    write_atomic(html_path, body)
    return html_path


def _esc(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def render_business_case(use_case: str, folder: Path, scenarios: Sequence[str], trials: int, seed: int,
                         method: str = "mc", assumptions_dir: str = "") -> list[Path]:
    """Execute and export the business case of one use case into ``folder``."""
    params = {"use_case": use_case, "scenarios": list(scenarios), "trials": trials, "seed": seed,
              "method": method, "assumptions_dir": assumptions_dir}
    ipynb = execute(NOTEBOOK_DIR / "business_case.ipynb", folder / f"{use_case}.ipynb", params)
    html = export_html(ipynb, folder / f"{use_case}.html", f"Business case — {use_case}")
    return [ipynb, html]


def _job(kind: str, name: str, folder: str, kwargs: dict[str, Any]) -> tuple[str, str, list[str], str | None]:
    """Run one rendering job in a worker process; never raises (failures are returned)."""
    import warnings

    warnings.simplefilter("ignore")
    try:
        if kind == "business_case":
            paths = render_business_case(name, Path(folder), **kwargs)
        elif kind == "exports":
            from finops_model.inputs.assumptions import load_assumptions
            from finops_model.reports.exports import write_portfolio_exports

            a = load_assumptions(kwargs["assumptions_dir"] or None)
            paths = write_portfolio_exports(a, Path(folder), kwargs["scenarios"], kwargs["trials"], kwargs["seed"])
        else:
            paths = render_page(kind, Path(folder), **kwargs)
        return kind, name, [str(p) for p in paths], None
    except FinopsError as exc:
        return kind, name, [], str(exc)
    except Exception as exc:  # one failing job must not stop the others
        return kind, name, [], f"{type(exc).__name__}: {exc}"


def render_page(kind: str, folder: Path, **params: Any) -> list[Path]:
    """Execute and export one of the portfolio-level notebooks (``portfolio``, ``build_vs_buy``)."""
    ipynb = execute(NOTEBOOK_DIR / f"{kind}.ipynb", folder / f"{kind}.ipynb", params)
    title = {"portfolio": "AI portfolio and scenario comparison", "build_vs_buy": "Build versus buy"}.get(kind, kind)
    return [ipynb, export_html(ipynb, folder / f"{kind}.html", title)]


# --------------------------------------------------------------------------- a whole run
@dataclass
class RenderReport:
    """What a render run produced."""

    folder: Path | None = None
    written: list[Path] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def _progress(done: int, total: int, label: str) -> None:
    width = 24
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label[:48]:<48}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def render(
    use_cases: Iterable[str] | None = None,
    scenarios: Sequence[str] = (),
    trials: int = DEFAULT_TRIALS,
    seed: int = 0,
    out: str | Path | None = None,
    jobs: int = 1,
    assumptions_dir: str | None = None,
    method: str = "mc",
    pages: Sequence[str] = ("portfolio", "build_vs_buy"),
    on_progress: Callable[[int, int, str], None] | None = _progress,
) -> RenderReport:
    """Render business cases (and the portfolio pages) into a new run folder.

    Parameters
    ----------
    use_cases : ids, optional
        Default: every use case.
    scenarios : names
        Scenario overlays applied to every business case; the portfolio compares baseline
        with each of them.
    trials, seed, method : simulation settings.
    out : folder
        Default ``outputs/``.
    jobs : int
        Notebooks executed in parallel (local processes).
    pages : names
        Portfolio-level notebooks to render as well.

    Returns
    -------
    RenderReport
        Every failure listed with its error; the run folder is written even when some use
        cases fail, and never half-written.
    """
    from finops_model.inputs.assumptions import load_assumptions
    from finops_model.util.io import write_atomic
    from finops_model.util.paths import OUTPUTS_DIR
    from finops_model.util.runs import run_folder, stamp

    a = load_assumptions(assumptions_dir, tuple(scenarios), use_cases=list(use_cases) if use_cases is not None else None)
    ids = list(use_cases) if use_cases is not None else list(a.use_cases)
    out_dir = Path(out) if out is not None else OUTPUTS_DIR
    label = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ") + f"-{a.digest[:8]}"
    report = RenderReport()
    adir = str(assumptions_dir or "")
    with run_folder(out_dir, label) as run:
        tmp = run.tmp
        tasks: list[tuple[str, str, str, dict[str, Any]]] = [
            ("business_case", uc, str(tmp / "business_cases"), {"scenarios": list(scenarios), "trials": trials, "seed": seed, "method": method, "assumptions_dir": adir})
            for uc in ids
        ]
        page_params = {"scenarios": list(scenarios), "trials": trials, "seed": seed, "assumptions_dir": adir}
        for page in pages:
            if (NOTEBOOK_DIR / f"{page}.ipynb").exists():
                declared = notebook_parameters(NOTEBOOK_DIR / f"{page}.ipynb")
                tasks.insert(0, (page, page, str(tmp), {k: v for k, v in page_params.items() if k in declared}))
        if "portfolio" in pages:  # the workbook and CSVs, computed beside the notebooks
            tasks.insert(0, ("exports", "portfolio exports", str(tmp), page_params))
        from finops_model.reports.charts import offline_script

        offline_script()  # bundle once (cached on disk) before the workers need it
        total = len(tasks)
        done = 0
        if on_progress:
            on_progress(0, total, "starting")
        if jobs <= 1:
            results = (_job(*t) for t in tasks)
            for kind, name, paths, err in results:
                done += 1
                _record(report, kind, name, paths, err)
                if on_progress:
                    on_progress(done, total, name)
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(_job, *t) for t in tasks]
                for fut in as_completed(futures):
                    kind, name, paths, err = fut.result()
                    done += 1
                    _record(report, kind, name, paths, err)
                    if on_progress:
                        on_progress(done, total, name)
        run_stamp = stamp(a, seed, trials, method)
        write_atomic(tmp / "stamp.json", json.dumps(run_stamp, indent=2))
        if report.failures:
            write_atomic(tmp / "failures.json", json.dumps(report.failures, indent=2))
        write_atomic(tmp / "index.html", _index_html(tmp, a, ids, report, run_stamp))
        report.written = sorted({p.relative_to(tmp) for p in tmp.rglob("*") if p.is_file()})
    report.folder = run.final
    return report


def _record(report: RenderReport, kind: str, name: str, paths: list[str], err: str | None) -> None:
    if err:
        report.failures[name if kind in ("business_case", "exports") else f"{kind} page"] = err


def _index_html(folder: Path, a: Any, ids: list[str], report: RenderReport, run_stamp: dict[str, Any]) -> str:
    from finops_model.reports.business_case import STYLE
    from finops_model.reports.html import esc

    items = []
    for uc in ids:
        page = folder / "business_cases" / f"{uc}.html"
        name = a.use_cases[uc].name if uc in a.use_cases else uc
        if page.exists():
            items.append(f'<li><a href="business_cases/{esc(uc)}.html">{esc(name)}</a> ({esc(uc)})</li>')
        else:
            items.append(f"<li>{esc(name)} ({esc(uc)}): <span class='finops-fail'>failed</span> — {esc(report.failures.get(uc, ''))}</li>")
    extra = []
    for f, label in (("portfolio.html", "Portfolio and scenario comparison"), ("portfolio.xlsx", "Portfolio workbook (XLSX)"), ("build_vs_buy.html", "Build versus buy")):
        if (folder / f).exists():
            extra.append(f'<li><a href="{f}">{esc(label)}</a></li>')
    csvs = sorted((folder / "csv").glob("*.csv")) if (folder / "csv").exists() else []
    if csvs:
        extra.append("<li>CSV: " + ", ".join(f'<a href="csv/{esc(p.name)}">{esc(p.stem)}</a>' for p in csvs) + "</li>")
    failures = "".join(f"<li>{esc(k)}: {esc(v)}</li>" for k, v in report.failures.items())
    stamp_text = " · ".join(f"{k}: {v}" for k, v in run_stamp.items())
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>AI FinOps report</title>{STYLE}</head><body>"
        f"<h1>AI FinOps report</h1><h2>Business cases</h2><ul>{''.join(items)}</ul>"
        f"<h2>Portfolio</h2><ul>{''.join(extra) or '<li>none</li>'}</ul>"
        + (f"<h2>Failures</h2><ul>{failures}</ul>" if failures else "")
        + f"<p class='finops-stamp'>{esc(stamp_text)}</p></body></html>"
    )


def main_render(args: Any) -> int:
    """``finops render`` (see :mod:`finops_model.cli_render`)."""
    report = render(
        args.use_cases or None,
        [s for s in (args.scenarios or "").split(",") if s],
        args.trials, args.seed, args.out, args.jobs, args.assumptions, args.method,
    )
    print(f"wrote {len(report.written)} files to {report.folder}")
    latest = (Path(args.out) if args.out else PROJECT_ROOT / "outputs") / "latest"
    if latest.exists():
        print(f"open {latest / 'index.html'}")
    for name, err in report.failures.items():
        print(f"{name}: failed: {err}", file=sys.stderr)
    return 1 if report.failures else 0

