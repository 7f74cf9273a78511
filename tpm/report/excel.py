"""The report workbook (openpyxl): cover, Overview, Touchpoints, Heatmap, Drivers, Priority,
Targets, Actions, the Cases (where the study has follow-up cases: per wave and rule, and the NPS change of
followed-up detractors), the Comments (where the data has comments: every comment with wave, date, NPS group,
touchpoint and themes, personal data masked, no respondent ids) and — if the role may see it — the cleaned
respondent-level data.

Numbers stay numbers with the number format of their kind (:mod:`tpm.report.tables`), so Excel
shows them in the reader's locale and they can be calculated with; headers are frozen, columns
sized to their content, sheet and column names in German or English.

**Formula injection.** Text from user data (touchpoint names, segment values, respondent ids,
comments) is always written as a text cell: openpyxl would store a string starting with ``=``
as a formula, so such cells are forced to the string type and marked with Excel's quote prefix
(as if typed with a leading apostrophe) — the text stays exactly as given, and ``+``, ``-``, ``@``
starts are never evaluated either.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import numpy as np
import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from tpm.csv_export import FORMULA_START
from tpm.i18n import t
from tpm.metrics.registry import METRICS
from tpm.report import findings
from tpm.report.content import HEATMAP_METRIC, Report
from tpm.report.tables import (
    Table,
    actions_table,
    drivers_table,
    excel_format,
    is_missing,
    priority_table,
    sheet_title,
    targets_table,
    touchpoints_table,
)

HEADER_FILL = PatternFill("solid", fgColor="1F6F8B")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
GREY_FILL = PatternFill("solid", fgColor="D9D9D9")
NOTE_FONT = Font(italic=True, color="555555")
#: the heatmap's colours (red … yellow … green), as on screen
SCALE = ("E2604F", "FBE7A1", "52B365")
MARKS = {"higher": " ▲", "lower": " ▼"}
MAX_WIDTH = 60

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def new_workbook() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    return wb


def put(ws, row: int, column: int, value, number_format: str | None = None):
    """One cell; strings always as text (never a formula), numpy scalars as Python numbers."""
    cell = ws.cell(row=row, column=column)
    if is_missing(value):
        return cell
    if isinstance(value, (np.bool_, bool)):
        value = bool(value)
    elif isinstance(value, np.integer):
        value = int(value)
    elif isinstance(value, np.floating):
        value = float(value)
    elif hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    elif not isinstance(value, (int, float, datetime, date)):
        value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would take "=…" for a formula
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    if number_format and isinstance(value, (int, float, datetime, date)) and not isinstance(value, bool):
        cell.number_format = number_format
    return cell


def _widths(ws, widths: dict[int, int]) -> None:
    for column, width in widths.items():
        current = ws.column_dimensions[get_column_letter(column)].width or 0
        ws.column_dimensions[get_column_letter(column)].width = max(current, min(MAX_WIDTH, width + 2))


def write_table(ws, table: Table, row: int, freeze: bool = True) -> int:
    """``table`` from ``row`` (header) on: bold header, number formats, widths, filter; returns the next free row."""
    widths = {}
    for j, column in enumerate(table.frame.columns, start=1):
        cell = put(ws, row, j, str(column))
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        widths[j] = min(len(str(column)), 24)
    for i, record in enumerate(table.frame.itertuples(index=False), start=row + 1):
        for j, (column, value) in enumerate(zip(table.frame.columns, record), start=1):
            kind = table.kind(column)
            if isinstance(value, (bool, np.bool_)):
                value = t("yes" if value else "no", table.lang)
            put(ws, i, j, value, excel_format(kind))
            if not is_missing(value):
                widths[j] = max(widths[j], len(str(value)) if isinstance(value, str) else 10)
    _widths(ws, widths)
    last = row + len(table.frame)
    if freeze:
        ws.freeze_panes = ws.cell(row=row + 1, column=2 if len(table.frame.columns) > 3 else 1)
        if len(table.frame):
            ws.auto_filter.ref = f"A{row}:{get_column_letter(len(table.frame.columns))}{last}"
    return last + 2


def table_xlsx(table: Table) -> bytes:
    """A one-sheet workbook of ``table`` (a page's Excel download)."""
    wb = new_workbook()
    ws = wb.create_sheet(sheet_title(table.title or "Tabelle"))
    write_table(ws, table, 1)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_pairs(ws, pairs: list[tuple[str, object, str]], row: int) -> int:
    """Label | value rows (value with the number format of its kind); returns the next free row."""
    for label, value, kind in pairs:
        put(ws, row, 1, label).font = Font(bold=True)
        put(ws, row, 2, value, excel_format(kind))
        row += 1
    _widths(ws, {1: max((len(p[0]) for p in pairs), default=10), 2: 18})
    return row + 1


def note(ws, row: int, text: str) -> int:
    put(ws, row, 1, text).font = NOTE_FONT
    return row + 1


def title(ws, text: str, row: int = 1) -> int:
    put(ws, row, 1, text).font = TITLE_FONT
    return row + 2


# --- sheets ------------------------------------------------------------------------------


def _cover(ws, report: Report) -> None:
    lang = report.lang
    row = title(ws, report.title)
    platforms = ", ".join(p for p in report.datasets.get("platform", []) if isinstance(p, str)) if "platform" in report.datasets else ""
    row = write_pairs(ws, [
        *([(t("study", lang), report.study_name, "text")] if report.study_name else []),
        (t("datasets", lang), ", ".join(report.datasets["name"].astype(str)), "text"),
        (t("waves", lang), ", ".join(report.waves) or "–", "text"),
        (t("filters", lang), "; ".join(report.filters) or t("no_filter", lang), "text"),
        (t("respondents", lang), report.respondents, "count"),
        (t("weighting", lang), t("weighted" if report.weighted else "unweighted", lang), "text"),
        (t("created", lang), report.created.replace(microsecond=0), "datetime"),
        (t("language", lang), "Deutsch" if lang == "de" else "English", "text"),
        *([(t("platform", lang), platforms, "text")] if platforms else []),
    ], row)
    put(ws, row, 1, t("key_findings", lang)).font = Font(bold=True, size=12)
    row += 1
    for line in headlines(report):
        put(ws, row, 1, "• " + line)
        row += 1
    row = note(ws, row + 1, report.base_text())
    ws.column_dimensions["B"].width = MAX_WIDTH


def headlines(report: Report) -> list[str]:
    """The findings of every part the report has (cover sheet, deck headlines)."""
    lines = [findings.overview(report)]
    if report.main_segment:
        lines.append(findings.heatmap(report, report.main_segment))
    if report.drivers is not None:
        lines += [findings.drivers(report), findings.priority(report)]
    if report.targets is not None:
        lines.append(findings.targets(report))
    if report.movers is not None and len(report.movers):
        lines.append(findings.tracking(report))
    return lines


def _overview(ws, report: Report) -> None:
    lang, nps = report.lang, report.nps
    row = title(ws, t("page_overview", lang))
    pairs = [(t("respondents", lang), report.respondents, "count")]
    if nps.n:
        pairs += [
            (t("nps_long", lang), nps.score, "nps"), (t("ci95", lang) + " ↓", nps.ci_low, "nps"),
            (t("ci95", lang) + " ↑", nps.ci_high, "nps"), (t("standard_error", lang), nps.se, "share"),
            (t("nps_base", lang), nps.n, "count"),
            (t("promoters", lang), nps.promoters, "count"), (t("passives", lang), nps.passives, "count"),
            (t("detractors", lang), nps.detractors, "count"),
            (t("promoters", lang) + " %", nps.promoter_share, "share"), (t("passives", lang) + " %", nps.passive_share, "share"),
            (t("detractors", lang) + " %", nps.detractor_share, "share"),
        ]
    pairs.append((t("touchpoints", lang), int(report.stats["touchpoint"].nunique()), "count"))
    for o in report.overall.itertuples():
        pairs += [(t("overall_satisfaction", lang) + f" ({o.scale_min}–{o.scale_max})", o.mean, "mean"),
                  (t("overall_satisfaction", lang) + " " + t("score_0_100", lang), o.score_0_100, "score"),
                  (t("overall_satisfaction", lang) + " n", o.n, "count")]
    row = write_pairs(ws, pairs, row)
    note(ws, row, t("nps_help", lang))


def _heatmap(ws, report: Report) -> None:
    lang = report.lang
    row = title(ws, t("heatmap_sheet_title", lang))
    if not report.heatmaps:
        note(ws, row, t("no_segments", lang))
        return
    from tpm.charts.heatmap import heatmap_table

    total = t("total", lang)
    spec = METRICS[HEATMAP_METRIC]
    fmt = excel_format(spec.kind)
    first_header = None
    for segment, (cells, totals) in report.heatmaps.items():
        m = heatmap_table(cells, totals, total)
        columns = list(m["value"].columns)
        put(ws, row, 1, f"{t(spec.label, lang)}: {t('touchpoints', lang)} × {segment}").font = Font(bold=True, size=12)
        row += 1
        for block, label in (("value", t(spec.label, lang)), ("n", "n")):
            header = row
            first_header = first_header or header
            put(ws, header, 1, f"{t('touchpoint', lang)} ({label})")
            for j, column in enumerate(columns, start=2):
                put(ws, header, j, column)
            for j in range(1, len(columns) + 2):
                ws.cell(row=header, column=j).font, ws.cell(row=header, column=j).fill = HEADER_FONT, HEADER_FILL
            tested = []
            for i, touchpoint in enumerate(m["value"].index, start=header + 1):
                put(ws, i, 1, touchpoint)
                for j, column in enumerate(columns, start=2):
                    flag, n = m["flag"].loc[touchpoint, column], int(m["n"].loc[touchpoint, column])
                    if block == "n":
                        put(ws, i, j, n, excel_format("count"))
                        continue
                    if flag == "hidden":
                        put(ws, i, j, "·").alignment = Alignment(horizontal="right")
                        continue
                    value = m["value"].loc[touchpoint, column]
                    cell = put(ws, i, j, value, fmt)
                    if flag in MARKS:
                        cell.number_format = f'0.0"{MARKS[flag]}"'
                    if is_missing(value):
                        continue
                    if flag == "untested" or (n < spec.min_base and column != total):
                        cell.fill, cell.font = GREY_FILL, Font(italic=True, color="666666")
                    else:
                        tested.append(cell.coordinate)
            if tested:
                ws.conditional_formatting.add(" ".join(tested), ColorScaleRule(
                    start_type="min", start_color=SCALE[0], mid_type="percentile", mid_value=50, mid_color=SCALE[1],
                    end_type="max", end_color=SCALE[2]))
            row = header + len(m["value"]) + 2
        row = note(ws, row - 1, t("heatmap_legend", lang)) + 1
    ws.freeze_panes = ws.cell(row=first_header + 1, column=2)
    _widths(ws, {1: max(len(str(tp)) for cells, _ in report.heatmaps.values() for tp in cells["touchpoint"])})
    for j in range(2, ws.max_column + 1):
        _widths(ws, {j: 12})


def _section(ws, heading: str, missing: str | None) -> int | None:
    """The sheet's title; then the reason there is nothing to show (None returned), or the next row."""
    row = title(ws, heading)
    if missing is not None:
        note(ws, row, missing)
        return None
    return row


def _no_drivers(report: Report) -> str | None:
    return None if report.drivers is not None else t("no_drivers", report.lang, error=report.drivers_error or "")


def _drivers(ws, report: Report) -> None:
    lang = report.lang
    if (row := _section(ws, t("page_drivers", lang), _no_drivers(report))) is None:
        return
    d = report.drivers
    row = write_pairs(ws, [
        (t("outcome", lang), t("outcome_" + d.outcome, lang), "text"), (t("method", lang), t("method_" + d.method, lang), "text"),
        (t("missing_data", lang), t("missing_" + d.missing, lang), "text"), ("R²", d.r2, "r2"), ("n", d.n, "count"),
    ], row)
    for message in [*d.notes, *d.warnings]:
        row = note(ws, row, message.text(lang) if hasattr(message, "text") else str(message))
    write_table(ws, drivers_table(d.table, lang), row + 1)


def _priority(ws, report: Report) -> None:
    lang = report.lang
    if (row := _section(ws, t("page_priority", lang), _no_drivers(report))) is None:
        return
    x, y = report.crosshairs
    row = write_pairs(ws, [(t("crosshair", lang), t("crosshair_mean", lang), "text"),
                           (t("performance", lang) + " (0–100)", x, "score"), (t("importance", lang) + " (%)", y, "share")], row)
    write_table(ws, priority_table(report.matrix, lang), row)


def _targets(ws, report: Report) -> None:
    lang = report.lang
    if (row := _section(ws, t("targets_title", lang), t("no_targets", lang) if report.targets is None else None)) is None:
        return
    write_table(ws, targets_table(report.targets, lang), row)


def _actions(ws, report: Report) -> None:
    lang = report.lang
    empty = report.plan is None or report.plan.empty
    if (row := _section(ws, t("page_actions", lang), t("no_actions", lang) if empty else None)) is None:
        return
    write_table(ws, actions_table(report.plan, lang), row)


def _comments(ws, report: Report) -> None:
    """Every comment under the report's filter (:func:`tpm.report.tables.comments_table`), or why none is shown."""
    lang = report.lang
    if report.comments is None:
        title(ws, t("sheet_comments", lang))
        note(ws, 3, t("hl_comments_hidden", lang) if report.comments_hidden else t("hl_no_comments", lang))
        return
    row = write_table(ws, report.comments, 1)
    note(ws, row, t("hl_comments_note", lang))


def _cases(ws, report: Report) -> None:
    """Closing the loop (:mod:`tpm.report.case_tables`): the cases per wave and rule, the NPS change with its base."""
    from tpm.report.case_tables import effect_table, flow_table

    lang = report.lang
    row = title(ws, t("loop_flow_title", lang))
    row = write_table(ws, flow_table(report.case_flow, lang), row, freeze=False)
    row = title(ws, t("loop_effect_title", lang), row)
    row = write_table(ws, effect_table(report.loop_effect, lang), row, freeze=False)
    note(ws, row, t("loop_base_note", lang, base=report.loop_effect.base))


def _data(ws, report: Report) -> None:
    write_table(ws, report.data, 1)


SHEETS = (("sheet_cover", _cover), ("page_overview", _overview), ("touchpoints", None), ("page_heatmap", _heatmap),
          ("page_drivers", _drivers), ("page_priority", _priority), ("page_targets", _targets),
          ("page_actions", _actions), ("sheet_cases", _cases), ("sheet_comments", _comments), ("sheet_data", _data))


def printable(ws, repeat_header: bool = False) -> None:
    """Printed (or converted to PDF) landscape, one page wide; tables repeat their header on each page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    if repeat_header:
        ws.print_title_rows = "1:1"


def sheet_names(lang: str, with_data: bool = True, with_comments: bool = False, with_cases: bool = False) -> list[str]:
    """The sheets of a workbook (``with_comments``: the data has comments; ``with_cases``: the study has cases)."""
    return [sheet_title(t(key, lang)) for key, _ in SHEETS
            if (with_data or key != "sheet_data") and (with_comments or key != "sheet_comments")
            and (with_cases or key != "sheet_cases")]


def workbook(report: Report) -> bytes:
    """The whole report as .xlsx bytes."""
    wb = new_workbook()
    for key, writer in SHEETS:
        if key == "sheet_data" and report.data is None:
            continue
        if key == "sheet_comments" and report.comments is None and not report.comments_hidden:
            continue  # no comments in the data: no sheet
        if key == "sheet_cases" and report.case_flow is None:
            continue  # a study without follow-up cases: no sheet
        ws = wb.create_sheet(sheet_title(t(key, report.lang)))
        if writer is None:  # the touchpoints table, all metrics
            write_table(ws, touchpoints_table(report.stats, report.lang), 1)
        else:
            writer(ws, report)
        printable(ws, repeat_header=writer in (None, _data) or (writer is _comments and report.comments is not None))
    wb.properties.title = report.title
    wb.properties.creator = "TPM"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
