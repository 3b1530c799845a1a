"""The explorer's panel (ipywidgets, for JupyterLab and Voilà): it shows an
:class:`~finops_model.explore.state.Explorer` and calls its methods; every rule lives in the
state, so the panel holds no logic a test could not reach without a browser.

Layout: use case and scenario at the top; on the left a search box, one-click buttons for the
tornado's top drivers and every control grouped by the cost stack; on the right the KPIs (p50
and 90% range) and the change list (each change removable; undo, redo, reset); below, the
comparison of baseline, pinned and current at full width, export, save as draft, and charts.
"""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from finops_model.errors import AssumptionError, FinopsError
from finops_model.explore.controls import (
    ControlSpec,
    display_value,
    nice_ceiling,
    parse_text,
    recentre,
    search_controls,
)
from finops_model.explore.state import NO_SCENARIO, TORNADO_KPIS, Explorer, kpi_value_text
from finops_model.inputs.distributions import Uncertain
from finops_model.uncertainty.summary import format_value

__all__ = ["ControlWidget", "Panel", "error_text", "explore"]

_log = logging.getLogger(__name__)

#: Controls listed at most for one search.
MAX_SEARCH_RESULTS = 40


def _esc(text: Any) -> str:
    return html.escape(str(text))


def error_text(exc: BaseException) -> str:
    """One line for an error caught in a widget callback (a callback has no caller to show a
    traceback to, so every error is shown in the panel). Expected errors (bad input) show their
    message; anything else its type and message, with the traceback in the log."""
    if isinstance(exc, FinopsError | AssumptionError):
        return f"error: {exc}"
    _log.error("explorer callback failed", exc_info=exc)
    text = " ".join(str(exc).split()) or "no message"
    return f"error: unexpected {type(exc).__name__}: {text} (nothing was changed; the details are in the server log)"


def _css_name(path: str) -> str:
    return path.replace(".", "-").replace("_", "-")


def _range_text(q: Any, unit: str) -> str:
    if not isinstance(q, Uncertain):
        return ""
    if q.is_constant:
        return f"fixed at {format_value(q.median, unit)} {unit}"
    return f"p5–p95: {format_value(q.quantile(0.05), unit)} – {format_value(q.quantile(0.95), unit)} {unit}"


class ControlWidget:
    """A slider (or a model menu), a text box with the value in the assumptions language and
    the range it stands for."""

    def __init__(self, panel: Panel, spec: ControlSpec):
        import ipywidgets as w

        self.panel = panel
        self.spec = spec
        ex = panel.ex
        self.label = w.HTML(f"<span title='{_esc(spec.path)} [{_esc(spec.unit)}]'>{_esc(spec.label)}</span>",
                            layout=w.Layout(width="230px"))
        self.range = w.HTML(layout=w.Layout(width="260px"))
        self.text = w.Text(continuous_update=False, layout=w.Layout(width="170px"),
                           tooltip=f"{spec.path}: a number or a distribution, e.g. 80 to 200")
        self.text.add_class("finops-text")
        if spec.kind == "model":
            self.slider = w.Dropdown(options=list(spec.choices) or [ex.value(spec.path)], layout=w.Layout(width="230px"))
        elif spec.kind == "int":
            lo = int(max(spec.bounds[0], 0))
            hi = int(min(spec.bounds[1], max(nice_ceiling(3 * max(ex.value(spec.path), 1)), lo + 1)))
            self.slider = w.IntSlider(min=lo, max=hi, continuous_update=True, layout=w.Layout(width="230px"))
        else:
            self.slider = w.FloatSlider(continuous_update=True, readout_format=".3g", layout=w.Layout(width="230px"))
            self._set_slider_bounds()
        self.slider.add_class("finops-slider")
        self.slider.add_class("finops-" + _css_name(spec.path))
        self.text.add_class("finops-text-" + _css_name(spec.path))
        self.box = w.HBox([self.label, self.slider, self.text, self.range])
        self.box.add_class("finops-control")
        self._syncing = False
        self.sync()
        self.slider.observe(self._on_slider, names="value")
        self.text.observe(self._on_text, names="value")

    def _current(self) -> Any:
        return self.panel.ex.in_file_units(self.spec.path, self.panel.ex.value(self.spec.path))

    def _set_slider_bounds(self) -> None:
        s = self.spec
        ex = self.panel.ex
        q = ex.in_file_units(s.path, ex.file_value(s.path))
        cur = self._current()
        if s.kind == "fraction":
            lo, hi = 0.0, 1.0
        else:
            top = max(q.quantile(0.95), cur.quantile(0.95), abs(q.median), 1e-9)
            hi = nice_ceiling(2.5 * top)
            lo = 0.0 if s.kind == "nonneg" else -hi
        step = float(f"{(hi - lo) / 500:.1g}")
        if self.slider.max < lo:
            self.slider.max = hi
            self.slider.min = lo
        else:
            self.slider.min = lo
            self.slider.max = hi
        self.slider.step = step

    def sync(self) -> None:
        """Show the explorer's current value (no event back to the explorer)."""
        ex = self.panel.ex
        s = self.spec
        value = ex.value(s.path)
        self._syncing = True
        try:
            self.text.value = display_value(value)
            if s.kind == "model":
                if value not in self.slider.options:
                    self.slider.options = [*self.slider.options, value]
                self.slider.value = value
                self.range.value = self._status("")
            elif s.kind == "int":
                if value > self.slider.max:
                    self.slider.max = int(value)
                self.slider.value = int(value)
                self.range.value = self._status(f"{value} {s.unit}")
            else:
                q = self._current()
                med = q.median
                if med > self.slider.max or med < self.slider.min:
                    self._set_slider_bounds()
                    if med > self.slider.max:
                        self.slider.max = nice_ceiling(med * 1.5)
                self.slider.value = med
                self.range.value = self._status(_range_text(q, s.unit))
        finally:
            self._syncing = False

    def _status(self, text: str) -> str:
        ex = self.panel.ex
        mark = (f" <b style='color:#c0392b' title='file: {_esc(display_value(ex.file_value(self.spec.path)))}'>●</b>"
                if self.spec.path in ex.changes else "")
        return f"<span style='font-size:90%;color:#555'>{_esc(text)}</span>{mark}"

    def _stage(self, value_of: Callable[[], Any], coalesce: bool) -> None:
        ex = self.panel.ex
        try:
            ex.stage(self.spec.path, value_of(), coalesce=coalesce)
        except Exception as exc:  # noqa: BLE001 - shown in the panel, see error_text
            self.panel.message(error_text(exc))
            self.sync()
            return
        self.sync()
        self.panel.render_changes()
        ex.schedule_update()

    def _on_slider(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        ex = self.panel.ex
        s = self.spec
        if s.kind not in ("model", "int"):
            # the browser snaps the slider to its step and sends the snapped value back: a move
            # within half a step of the current centre is that echo, not a change
            centre = self._current().median
            if abs(float(change["new"]) - centre) <= 0.5 * float(self.slider.step) * (1 + 1e-9):
                return
        new = change["new"]
        self._stage(lambda: new if s.kind in ("model", "int") else recentre(ex.value(s.path), s.kind, float(new)),
                    coalesce=ex.update_pending)

    def _on_text(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        text = change["new"]
        self._stage(lambda: parse_text(text) if self.spec.kind != "model" else text.strip(), coalesce=False)


class Panel:
    """The ipywidgets of an :class:`~finops_model.explore.state.Explorer`."""

    def __init__(self, ex: Explorer):
        import ipywidgets as w

        self.ex = ex
        self.w = w
        s = ex.session
        self.use_case = w.Dropdown(options=ex.use_case_ids, value=s.use_case_id, description="Use case", layout=w.Layout(width="340px"))
        self.scenario = w.Dropdown(options=[NO_SCENARIO, *ex.scenario_names], value=s.scenario or NO_SCENARIO,
                                   description="Scenario", layout=w.Layout(width="320px"))
        self.info = w.HTML()
        self.search = w.Text(placeholder="search the inputs (e.g. labour, fte, tokens)", continuous_update=True,
                             layout=w.Layout(width="420px"))
        self.search.add_class("finops-search")
        self.clear_search = w.Button(description="Show groups", layout=w.Layout(width="120px"))
        self.drivers = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.drivers.add_class("finops-drivers")
        self.accordion = w.Accordion()
        self.found = w.VBox()
        self.found.add_class("finops-found")
        self.controls_area = w.VBox([self.accordion])
        self.kpis = w.HTML()
        self.kpis.add_class("finops-kpis")
        self.changes_box = w.VBox()
        self.changes_box.add_class("finops-changes")
        self.undo_button = w.Button(description="Undo", icon="undo", layout=w.Layout(width="90px"))
        self.undo_button.add_class("finops-undo")
        self.redo_button = w.Button(description="Redo", icon="repeat", layout=w.Layout(width="90px"))
        self.redo_button.add_class("finops-redo")
        self.reset_button = w.Button(description="Reset all", tooltip="return every control to the file's value (undoable)",
                                     layout=w.Layout(width="100px"))
        self.reset_button.add_class("finops-reset")
        self.compare = w.HTML(layout=w.Layout(width="100%"))
        self.compare.add_class("finops-compare")
        self.pin_button = w.Button(description="Pin", icon="thumb-tack", tooltip="pin the current state to compare it")
        self.pin_button.add_class("finops-pin")
        self.unpin_button = w.Button(description="Unpin")
        self.export_button = w.Button(description="Export view", icon="download", tooltip="KPIs and changes as CSV, XLSX, HTML")
        self.export_button.add_class("finops-export-button")
        self.export_links = w.HTML()
        self.export_links.add_class("finops-export")
        self.save_name = w.Text(placeholder="draft name (slug)", layout=w.Layout(width="180px"))
        self.save_name.add_class("finops-save-name")
        self.save_desc = w.Text(placeholder="what this scenario represents", layout=w.Layout(width="320px"))
        self.save_desc.add_class("finops-save-desc")
        self.save_author = w.Text(placeholder="your name", layout=w.Layout(width="140px"))
        self.overwrite = w.Checkbox(value=False, description="overwrite an existing draft", indent=False)
        self.save_button = w.Button(description="Save as draft", icon="save", button_style="primary")
        self.save_button.add_class("finops-save")
        self.msg = w.HTML()
        self.msg.add_class("finops-message")
        self.tornado_kpi = w.Dropdown(options=list(TORNADO_KPIS), value=ex.tornado_kpi, description="Tornado KPI")
        self.chart_boxes = {k: w.HTML() for k in ("cost_stack", "outcome", "tornado")}
        for box in self.chart_boxes.values():
            box.add_class("finops-chart-box")
        self.tornado_note = w.HTML()
        self.controls: dict[str, ControlWidget] = {}
        self.root = w.VBox([
            w.HBox([self.use_case, self.scenario, self.info]),
            w.HBox([
                w.VBox([w.HTML("<b>Assumptions</b>, grouped by the cost stack (slider: centre of the range; "
                               "box: any value, e.g. <code>80 to 200</code>)"),
                        w.HBox([self.search, self.clear_search]),
                        w.HTML("<span style='font-size:90%'>Top drivers of the tornado (one click to reach):</span>"),
                        self.drivers, self.controls_area], layout=w.Layout(width="930px")),
                w.VBox([self.kpis, w.HTML("<b>Changes from the files</b>"), self.changes_box,
                        w.HBox([self.undo_button, self.redo_button, self.reset_button])],
                       layout=w.Layout(width="600px")),
            ]),
            w.HBox([self.pin_button, self.unpin_button]),
            self.compare,
            w.HBox([self.export_button, self.export_links]),
            w.HBox([self.save_name, self.save_desc, self.save_author, self.overwrite, self.save_button]),
            self.msg,
            w.HBox([self.chart_boxes["cost_stack"], self.chart_boxes["outcome"]]),
            self.tornado_kpi,
            self.chart_boxes["tornado"],
            self.tornado_note,
        ])
        self.root.add_class("finops-explorer")
        self._build_controls()
        self.use_case.observe(self._on_load, names="value")
        self.scenario.observe(self._on_load, names="value")
        self.search.observe(lambda _: self.render_search(), names="value")
        self.clear_search.on_click(lambda _: setattr(self.search, "value", ""))
        self.pin_button.on_click(lambda _: self._guard(ex.pin))
        self.unpin_button.on_click(lambda _: self._guard(ex.unpin))
        self.undo_button.on_click(lambda _: self._guard(ex.undo))
        self.redo_button.on_click(lambda _: self._guard(ex.redo))
        self.reset_button.on_click(lambda _: self._guard(ex.reset))
        self.export_button.on_click(lambda _: self._guard(self.export))
        self.save_button.on_click(lambda _: self._guard(self._save))
        self.tornado_kpi.observe(self._on_tornado_kpi, names="value")
        ex.on_change(self._on_event)
        self.render_all()

    # ------------------------------------------------------------------ helpers
    def _guard(self, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - shown in the panel, see error_text
            self.message(error_text(exc))

    def message(self, text: str) -> None:
        color = "#c0392b" if text.startswith("error") else "#1e8449"
        self.msg.value = f"<div style='color:{color}'>{_esc(text)}</div>" if text else ""

    def _build_controls(self) -> None:
        w = self.w
        groups: dict[str, list[Any]] = {}
        self.controls = {}
        for spec in self.ex.controls.values():
            cw = ControlWidget(self, spec)
            self.controls[spec.path] = cw
            groups.setdefault(spec.group, []).append(cw.box)
        self.group_names = list(groups)
        self.accordion.children = [w.VBox(v) for v in groups.values()]
        for i, g in enumerate(groups):
            self.accordion.set_title(i, f"{g} ({len(groups[g])})")
        self.accordion.selected_index = 0
        s = self.ex.session
        cur = s.base.currency or (s.base.org.currency if s.base.org else "USD")
        self.info.value = (f"<span style='color:#555'>&nbsp;{self.ex.n:,} trials, seed {self.ex.seed}; "
                           f"{len(self.controls)} inputs; money in the KPIs in USD, in the controls in {cur}</span>")

    def _on_load(self, change: Mapping[str, Any]) -> None:
        try:
            self.ex.load(self.use_case.value, self.scenario.value)
        except Exception as exc:  # noqa: BLE001 - shown in the panel, see error_text
            self.message(error_text(exc))

    def _on_tornado_kpi(self, change: Mapping[str, Any]) -> None:
        self.ex.tornado_kpi = change["new"]
        if self.ex.charts_enabled:
            self.ex.refresh_charts()

    def _save(self) -> None:
        path = self.ex.save_scenario(self.save_name.value.strip(), self.save_desc.value, overwrite=self.overwrite.value,
                                     author=self.save_author.value)
        self.overwrite.value = False
        name = f"drafts/{path.stem}"
        if name not in self.scenario.options:
            self.scenario.unobserve(self._on_load, names="value")
            self.scenario.options = [*self.scenario.options, name]
            self.scenario.value = self.ex.session.scenario or NO_SCENARIO
            self.scenario.observe(self._on_load, names="value")
        self.message(f"saved draft {path} (left out of the leaders' report until promoted); reproduce: {self.ex.reproduce_command(path.stem)}")

    def export(self) -> None:
        """Offer the view as downloads (data links: nothing is written on the server)."""
        from finops_model.explore.export import view_csv, view_html, view_xlsx_bytes

        views = self.ex.view()
        stem = f"explorer-{self.ex.session.use_case_id}"
        files = [
            (f"{stem}-kpis.csv", "text/csv", view_csv(views["kpis"]).encode()),
            (f"{stem}-changes.csv", "text/csv", view_csv(views["changes"]).encode()),
            (f"{stem}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", view_xlsx_bytes(views)),
            (f"{stem}.html", "text/html", view_html(views).encode()),
        ]
        links = " · ".join(
            f"<a class='finops-download' download='{_esc(name)}' href='data:{mime};base64,{base64.b64encode(data).decode()}'>{_esc(name)}</a>"
            for name, mime, data in files
        )
        self.export_links.value = f"<span>Download: {links}</span>"

    def go_to(self, path: str) -> None:
        """Show one control (what a driver button does): the search box filters to it."""
        self.search.value = path

    # ------------------------------------------------------------------ events
    def _on_event(self, event: str) -> None:
        if event == "load":
            self._build_controls()
            self.search.value = ""
            self.message("; ".join(self.ex.messages))
            self.export_links.value = ""
            self.render_all()
        elif event == "reset":
            for cw in self.controls.values():
                cw.sync()
            self.render_changes()
        elif event == "result":
            self.render_kpis()
            self.render_compare()
        elif event == "pin":
            self.render_compare()
        elif event == "charts":
            self.render_charts()
        elif event == "error":
            self.message(self.ex.messages[-1])

    def render_all(self) -> None:
        self.render_kpis()
        self.render_changes()
        self.render_compare()
        self.render_charts()
        self.render_search()

    def render_search(self) -> None:
        q = self.search.value.strip()
        if not q:
            self.controls_area.children = [self.accordion]
            return
        exact = [self.ex.controls[q]] if q in self.ex.controls else []
        hits = exact or search_controls(self.ex.controls.values(), q)
        rows = [self.controls[s.path].box for s in hits[:MAX_SEARCH_RESULTS]]
        more = f" (first {MAX_SEARCH_RESULTS})" if len(hits) > MAX_SEARCH_RESULTS else ""
        head = self.w.HTML(f"<i>{len(hits)} input{'s' if len(hits) != 1 else ''} match {_esc(q)!s}{more}</i>")
        self.found.children = [head, *rows]
        self.controls_area.children = [self.found]

    def render_kpis(self) -> None:
        ex = self.ex
        rows = "".join(
            f"<tr><td>{_esc(r.label)}</td><td class='finops-kpi-{r.kpi}' style='text-align:right'>{_esc(kpi_value_text(r))}</td></tr>"
            for r in ex.kpi_table().itertuples(index=False)
        )
        n = len(ex.changes)
        dropped = ex.dropped_correlations
        note = f"<div style='color:#7d6608'>correlation dropped (a fixed value): {_esc('; '.join(' ~ '.join(c) for c in dropped))}</div>" if dropped else ""
        self.kpis.value = (f"<b>KPIs</b> ({n} change{'s' if n != 1 else ''} from the files; p50 and 90% range)"
                           f"<table class='finops-kpi-table'>{rows}</table>{note}")

    def render_changes(self) -> None:
        w = self.w
        rows = []
        for c in self.ex.change_list():
            spec = self.ex.controls[c.path]
            text = w.HTML(f"<span title='{_esc(c.path)}'><b>{_esc(spec.label)}</b> <span style='color:#777'>({_esc(spec.group)})</span><br>"
                          f"file: <code>{_esc(display_value(c.file_value))}</code> → now: <code>{_esc(display_value(c.value))}</code> "
                          f"{_esc(spec.unit)}</span>", layout=w.Layout(width="520px"))
            btn = w.Button(description="×", tooltip=f"back to the file's value: {c.path}", layout=w.Layout(width="36px"))
            btn.add_class("finops-remove")
            btn.add_class("finops-remove-" + _css_name(c.path))
            btn.on_click(lambda _b, p=c.path: self._guard(lambda: self.ex.remove(p)))
            row = w.HBox([text, btn])
            row.add_class("finops-change")
            rows.append(row)
        if not rows:
            rows = [w.HTML("<i>none: every input has its value in the files</i>")]
        self.changes_box.children = rows
        self.undo_button.disabled = not self.ex.changes.can_undo
        self.redo_button.disabled = not self.ex.changes.can_redo

    def render_compare(self) -> None:
        ex = self.ex
        df = ex.comparison()
        pinned = ex.pinned is not None
        head = ("<tr><th>KPI (p50)</th><th>unit</th><th>baseline</th>" + ("<th>pinned</th>" if pinned else "")
                + "<th>current</th><th>current − baseline, p50 (p5 – p95)</th><th>P(current &lt; baseline)</th></tr>")
        body = "".join(
            f"<tr><td>{_esc(r.label)}</td><td>{_esc(r.unit)}</td><td class='num'>{format_value(r.baseline, r.unit)}</td>"
            + (f"<td class='num'>{format_value(r.pinned, r.unit)}</td>" if pinned else "")
            + f"<td class='num'>{format_value(r.current, r.unit)}</td>"
            f"<td class='num finops-change-{r.kpi}'>{'+' if r.change_p50 > 0 else ''}{format_value(r.change_p50, r.unit)} "
            f"({format_value(r.change_p5, r.unit)} – {format_value(r.change_p95, r.unit)})</td>"
            f"<td class='num'>{format_value(r.p_lower, 'fraction')}</td></tr>"
            for r in df.itertuples(index=False)
        )
        who = f"baseline, {_esc(ex.pinned.label)} and current" if pinned else "baseline and current (pin a state to add it)"
        style = "<style>.finops-compare table{border-collapse:collapse;width:100%}.finops-compare td,.finops-compare th{border-bottom:1px solid #ddd;padding:2px 8px}.finops-compare td.num{text-align:right}</style>"
        self.compare.value = (f"{style}<b>Compare</b>: {who}, same trials; P(current cheaper) = "
                              f"<b class='finops-p-cheaper'>{format_value(ex.p_cheaper(), 'fraction')}</b> (average monthly cost)"
                              f"<table>{head}{body}</table>")

    def render_charts(self) -> None:
        w = self.w
        for k, box in self.chart_boxes.items():
            box.value = self.ex.chart_html.get(k, "<i>drawing…</i>" if self.ex.charts_enabled else "")
        self.tornado_note.value = f"<span style='font-size:85%;color:#7d6608'>{_esc(self.ex.tornado_note)}</span>" if self.ex.tornado_note else ""
        buttons = []
        for path in self.ex.tornado_drivers[:8]:
            if path not in self.ex.controls:
                continue
            b = w.Button(description=self.ex.controls[path].label[:40], tooltip=path, layout=w.Layout(width="auto"))
            b.add_class("finops-driver")
            b.add_class("finops-driver-" + _css_name(path))
            b.on_click(lambda _b, p=path: self.go_to(p))
            buttons.append(b)
        self.drivers.children = buttons


def explore(
    use_case: str = "support-copilot",
    scenario: str | None = "baseline",
    *,
    trials: int = 10_000,
    seed: int = 0,
    root: str | Path | None = None,
    charts: bool = True,
) -> Explorer:
    """Build the explorer with its panel; a notebook cell that ends with this call displays it."""
    ex = Explorer(use_case, scenario, root=root, n=trials, seed=seed, charts=charts)
    ex.view_factory = Panel
    return ex
