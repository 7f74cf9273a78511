"""The tables a user sees, as data: on-screen column names (German or English) and the kind of
number in each column. The same :class:`Table` is shown on a page, downloaded as CSV or Excel,
and written into the report workbook, so all three read alike.

A column's *kind* fixes its decimals and sign (:data:`KINDS`): a mean two decimals, a 0–100
score or a share one, a count none, a difference signed, a p-value three. Excel gets the
matching number format (the value stays a number, Excel shows it in the reader's locale);
CSV gets the number as shown, with the language's decimal comma or point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd

from tpm.csv_export import neutralise
from tpm.formatting import scale_labelled
from tpm.i18n import fmt_number, t
from tpm.metrics.registry import METRICS

#: kind → (decimals, signed); "text", "bool" and "date" are not numbers
KINDS: dict[str, tuple[int, bool]] = {
    "count": (0, False), "int": (0, False), "mean": (2, False), "score": (1, False), "share": (1, False),
    "diff": (1, True), "diff2": (2, True), "nps": (1, True), "p": (4, False), "r2": (3, False),
}


#: kind → the kind of :mod:`tpm.formatting` that shows it on screen (same decimals and sign)
FORMATTING = {"count": "count", "int": "scale", "mean": "mean", "score": "score", "share": "share", "diff": ("diff", True),
              "diff2": ("mean", True), "nps": ("nps", True), "p": "p", "r2": "r2", "date": "date"}


def excel_format(kind: str) -> str:
    """The Excel number format of a column kind ("0.0", "+0.0;-0.0;0.0", "#,##0" …)."""
    if kind in ("date", "datetime"):
        return "yyyy-mm-dd" + (" hh:mm" if kind == "datetime" else "")
    if kind not in KINDS:
        return "General"
    decimals, signed = KINDS[kind]
    body = ("#,##0" if kind == "count" else "0") + ("." + "0" * decimals if decimals else "")
    return f"+{body};-{body};{body}" if signed else body


@dataclass
class Table:
    """``frame`` has the on-screen column names; ``kinds`` maps a column to its kind (default text)."""

    frame: pd.DataFrame
    kinds: dict[str, str] = field(default_factory=dict)
    title: str = ""
    lang: str = "de"

    def kind(self, column: str) -> str:
        return self.kinds.get(column, "text")

    def format_kinds(self) -> dict:
        """The kinds as :func:`tpm.formatting.format_table` reads them (on-screen formatting by language)."""
        return {column: FORMATTING[kind] for column, kind in self.kinds.items() if kind in FORMATTING}

    def shown(self) -> pd.DataFrame:
        """Every cell as the text shown on screen (numbers rounded and in the language's format)."""
        out = pd.DataFrame(index=self.frame.index)
        for column in self.frame.columns:
            out[column] = [display(v, self.kind(column), self.lang) for v in self.frame[column]]
        return out

    def to_csv(self) -> bytes:
        """CSV as shown (German: ``;`` and decimal comma), UTF-8 with BOM, formulas neutralised."""
        sep = ";" if self.lang == "de" else ","
        shown = self.shown()
        for column in shown.columns:  # user text made inert; numbers ("-1,2", "+3,0") stay numbers
            text = self.frame[column].map(lambda v: isinstance(v, str)).to_numpy()
            shown.loc[text, column] = shown.loc[text, column].map(neutralise)
        shown.columns = [neutralise(str(c)) for c in shown.columns]
        return shown.to_csv(index=False, sep=sep).encode("utf-8-sig")


def sheet_title(text: str) -> str:
    """A legal Excel sheet name: no []:*?/\\, at most 31 characters."""
    clean = "".join(" " if c in "[]:*?/\\" else c for c in str(text)).strip() or "Tabelle"
    return clean[:31]


def is_missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def display(value, kind: str, lang: str) -> str:
    """One cell as on screen: "1.234,5", "+3,0", "ja"; empty for a missing value."""
    if is_missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return t("yes" if value else "no", lang)
    if kind in KINDS and isinstance(value, (int, float, np.integer, np.floating)):
        decimals, signed = KINDS[kind]
        return fmt_number(float(value), decimals, lang, signed=signed).replace("−", "-")
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.strftime("%d.%m.%Y" if lang == "de" else "%Y-%m-%d")
    return str(value)


def _table(frame: pd.DataFrame, columns: dict[str, tuple[str, str]], lang: str, title: str) -> Table:
    """``columns``: source column → (on-screen label, kind), in the order shown. A touchpoint on
    several scales is named with its scale on each row (:func:`tpm.formatting.scale_labelled`)."""
    (frame,) = scale_labelled(frame)
    columns = {c: v for c, v in columns.items() if c in frame.columns}
    if "n_eff" in columns and "n" in frame.columns and np.allclose(frame["n_eff"].astype(float), frame["n"].astype(float),
                                                                     equal_nan=True):
        del columns["n_eff"]  # Kish n_eff beside n only where weights make it differ
    out = frame[list(columns)].rename(columns={c: label for c, (label, _) in columns.items()}).reset_index(drop=True)
    return Table(out, {label: kind for label, kind in columns.values()}, title, lang)


# --- the tables of the pages and the report ------------------------------------------------


def touchpoints_table(stats: pd.DataFrame, lang: str) -> Table:
    """All metrics per touchpoint (Overview page; Touchpoints sheet)."""
    return _table(stats, {
        "touchpoint": (t("touchpoint", lang), "text"), "n": ("n", "count"), "n_eff": (t("n_eff", lang), "count"),
        "dont_know": (t("dont_know", lang), "count"),
        "dont_know_rate": (t("dont_know_rate", lang), "share"), "mean": (t("mean", lang), "mean"),
        "scale_min": (t("scale_min", lang), "int"), "scale_max": (t("scale_max", lang), "int"),
        "ci_low": (t("ci95", lang) + " ↓", "mean"), "ci_high": (t("ci95", lang) + " ↑", "mean"),
        "score_0_100": (t("score_0_100", lang), "score"), "top2_box": (t("top2_box", lang), "share"),
        "bottom2_box": (t("bottom2_box", lang), "share"), "nps": (t("nps_raters", lang), "nps"),
        "low_base": (t("low_base", lang), "bool"),
    }, lang, t("touchpoints", lang))


def heatmap_cells_table(cells: pd.DataFrame, segment: str, metric: str, metric_label: str, lang: str) -> Table:
    """Heatmap cells: touchpoint × segment value with n, value, difference to the rest, p, q, result."""
    frame = cells.assign(result=[t("flag_" + f, lang) for f in cells["flag"]])
    value_kind, diff_kind = METRICS[metric].kind, METRICS[metric].diff_kind
    return _table(frame, {
        "touchpoint": (t("touchpoint", lang), "text"), "segment": (segment, "text"), "n": ("n", "count"),
        "n_eff": (t("n_eff", lang), "count"),
        "value": (metric_label, value_kind), "rest": (t("rest", lang), value_kind),
        "diff": (t("diff_to_rest", lang), diff_kind), "p": ("p", "p"), "q": ("q", "p"), "result": (t("result", lang), "text"),
        "caution": (t("caution", lang), "bool"),
    }, lang, t("page_heatmap", lang))


def drivers_table(table: pd.DataFrame, lang: str) -> Table:
    columns = {"driver": (t("touchpoint", lang), "text"), "share": (t("share_of_r2", lang) + " (%)", "share"),
               "raw": (t("raw_r2", lang), "r2"), "sign": (t("sign", lang), "int"), "n": ("n", "count")}
    if "ci_low" in table:
        columns |= {"ci_low": (t("ci95", lang) + " ↓", "share"), "ci_high": (t("ci95", lang) + " ↑", "share")}
    return _table(table, columns, lang, t("page_drivers", lang))


def priority_table(matrix: pd.DataFrame, lang: str, with_target: bool = False) -> Table:
    """Quadrant, touchpoint, importance, performance [, own target], mean, n, near a line, recommended action."""
    frame = matrix.assign(quadrant_label=[t("q_" + q, lang) for q in matrix["quadrant"]],
                          action=[t("a_" + q, lang) for q in matrix["quadrant"]])
    columns = {"quadrant_label": (t("quadrant", lang), "text"), "touchpoint": (t("touchpoint", lang), "text"),
               "importance": (t("importance", lang) + " (%)", "share"),
               "performance": (t("performance", lang) + " (0–100)", "score")}
    if with_target:
        columns["reference"] = (t("target", lang), "score")
    return _table(frame, columns | {
        "mean": (t("mean", lang), "mean"), "n": ("n", "count"), "near_line": (t("near_line", lang), "bool"),
        "action": (t("action", lang), "text"),
    }, lang, t("page_priority", lang))


def targets_table(cards: pd.DataFrame, lang: str) -> Table:
    """Target vs actual, largest gaps that matter most first (``cards`` with gap, gap_x_importance)."""
    frame = cards.sort_values("gap_x_importance", ascending=False)
    return _table(frame, {
        "name": (t("touchpoint", lang), "text"), "score": (t("actual", lang), "score"), "target": (t("target", lang), "score"),
        "benchmark": (t("benchmark", lang), "score"), "gap": (t("gap", lang), "diff"),
        "importance": (t("importance", lang) + " (%)", "share"), "gap_x_importance": (t("gap_x_importance", lang), "score"),
        "n": ("n", "count"),
    }, lang, t("page_targets", lang))


def segment_differences_table(cells: pd.DataFrame, lang: str) -> Table:
    (cells,) = scale_labelled(cells)  # before choosing: a touchpoint's scales are told apart by all of its cells
    significant = cells[cells["flag"].isin(["higher", "lower"])]
    significant = significant.assign(size=significant["diff"].abs()).sort_values("size", ascending=False)
    return _table(significant, {
        "segment": (t("segment_value", lang), "text"), "touchpoint": (t("touchpoint", lang), "text"),
        "value": (t("score_0_100", lang), "score"), "rest": (t("rest", lang), "score"),
        "diff": (t("diff_to_rest", lang), "diff"), "n": ("n", "count"), "n_eff": (t("n_eff", lang), "count"), "q": ("q", "p"),
    }, lang, t("page_segments", lang))


def movers_table(movers: pd.DataFrame, metric: str, metric_label: str, lang: str) -> Table:
    value_kind, diff_kind = METRICS[metric].kind, METRICS[metric].diff_kind
    return _table(movers, {
        "touchpoint": (t("touchpoint", lang), "text"), "from_wave": (t("from_wave", lang), "text"),
        "wave": (t("to_wave", lang), "text"), "value": (metric_label, value_kind), "change": (t("change", lang), diff_kind),
        "p": ("p", "p"), "q": ("q", "p"), "significant": (t("significant", lang), "bool"), "n": ("n", "count"),
        "n_eff": (t("n_eff", lang), "count"),
    }, lang, t("page_tracking", lang))


def actions_table(plan: pd.DataFrame, lang: str) -> Table:
    """The action plan with status and step in words, dates as dates."""
    frame = plan.assign(status=[t("status_" + s, lang) for s in plan["status"]],
                        step=[t("step_" + s, lang) if isinstance(s, str) and s else "" for s in plan["step"]],
                        due=pd.to_datetime(plan["due"]).dt.date, created_at=pd.to_datetime(plan["created_at"]).dt.date)
    frame = frame.astype(object).where(frame.notna(), None)
    return _table(frame, {
        "id": ("id", "int"), "touchpoint": (t("touchpoint", lang), "text"), "title": (t("a_title", lang), "text"),
        "status": (t("a_status", lang), "text"), "due": (t("a_due", lang), "date"), "overdue": (t("a_overdue", lang), "bool"),
        "baseline_score": (t("a_baseline", lang), "score"), "follow_score": (t("a_follow", lang), "score"),
        "change": (t("change", lang), "diff"), "significant": (t("significant", lang), "bool"),
        "owner": (t("a_owner", lang), "text"), "department": (t("f_department", lang), "text"),
        "step": (t("a_step", lang), "text"), "baseline_wave": (t("wave", lang), "text"),
        "follow_wave": (t("wave", lang) + " ↗", "text"), "problem": (t("a_problem", lang), "text"),
        "created_at": (t("a_created", lang), "date"),
    }, lang, t("page_actions", lang))


def respondents_table(con, flt, lang: str) -> Table:
    """The cleaned respondent-level data: one row per respondent with dataset, id, date, NPS,
    segments and every touchpoint's rating on its own scale (empty = not rated)."""
    cte, params = flt.respondents_cte()
    base = con.execute(
        f"""WITH {cte} SELECT d.name AS dataset, d.wave, r.respondent_id, r.responded_at, r.nps, resp.dataset_id, resp.resp
            FROM resp JOIN respondents r USING (dataset_id, resp) JOIN datasets d ON d.id = resp.dataset_id
            ORDER BY resp.dataset_id, resp.resp""", params).df()
    segments = con.execute(
        f"""WITH {cte} SELECT s.dataset_id, s.resp, s.segment, s.value FROM segments s JOIN resp USING (dataset_id, resp)""",
        params).df()
    ratings = con.execute(
        f"""WITH {cte} SELECT t.dataset_id, t.resp, t.touchpoint || ' (' || t.scale_min || '–' || t.scale_max || ')' AS column,
                   t.score FROM ratings t JOIN resp USING (dataset_id, resp)""", params).df()
    keys = ["dataset_id", "resp"]
    frame = base
    seg_names, tp_names = [], []
    if len(segments):
        wide = segments.pivot_table(index=keys, columns="segment", values="value", aggfunc="first")
        seg_names = list(wide.columns)
        frame = frame.merge(wide.reset_index(), on=keys, how="left")
    if len(ratings):
        wide = ratings.pivot_table(index=keys, columns="column", values="score", aggfunc="first")
        tp_names = sorted(wide.columns)
        frame = frame.merge(wide[tp_names].reset_index(), on=keys, how="left")
    frame = frame.drop(columns=keys)
    columns = {"dataset": (t("dataset", lang), "text"), "wave": (t("wave", lang), "text"),
               "respondent_id": (t("respondent_id", lang), "text"), "responded_at": (t("responded_at", lang), "date"),
               "nps": (t("nps_question", lang), "int")}
    taken = {label for label, _ in columns.values()}
    for name in seg_names:
        columns[name] = (name if name not in taken else f"{name} ({t('segment', lang)})", "text")
    for name in tp_names:
        columns[name] = (name, "mean" if (frame[name].dropna() % 1 != 0).any() else "int")
    return _table(frame, columns, lang, t("respondent_data", lang))
