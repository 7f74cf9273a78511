"""The tables of closing the loop (:mod:`tpm.followup.loop`) as :class:`tpm.report.tables.Table`: the cases per wave
and rule, and the NPS change of followed-up vs not-reached detractors — the report's Cases sheet."""

from __future__ import annotations

import pandas as pd

from tpm.followup.loop import LoopEffect
from tpm.i18n import t
from tpm.report.tables import Table, _table


def flow_table(flow: pd.DataFrame, lang: str) -> Table:
    """:func:`tpm.followup.loop.case_flow`: wave, dataset, rule, opened, closed, open, median days, within SLA with CI."""
    return _table(flow, {
        "wave": (t("wave", lang), "text"), "dataset": (t("dataset", lang), "text"), "rule": (t("loop_rule", lang), "text"),
        "opened": (t("loop_opened", lang), "count"), "closed": (t("loop_closed", lang), "count"),
        "open": (t("loop_open", lang), "count"), "median_days": (t("loop_median_days", lang), "mean"),
        "sla_n": (t("loop_sla_n", lang), "count"), "sla_share": (t("loop_sla_share", lang), "share"),
        "sla_low": (t("ci95", lang) + " ↓", "share"), "sla_high": (t("ci95", lang) + " ↑", "share"),
    }, lang, t("loop_flow_title", lang))


def effect_table(effect: LoopEffect, lang: str) -> Table:
    """:func:`tpm.followup.loop.followed_up_effect`: a row per group (n, keys matched, NPS before/later, change with
    CI, or why hidden) and a row for the difference of the changes."""
    rows = [{"group": t("loop_group_" + g.group, lang), "n": g.n, "by_id": g.by_respondent_id, "by_no": g.by_customer_no,
             "before": g.nps_before, "after": g.nps_after, "change": g.change, "low": g.ci_low, "high": g.ci_high,
             "note": t(g.reason, lang, base=effect.base) if g.reason else None} for g in effect.groups]
    rows.append({"group": t("loop_difference", lang), "change": effect.difference, "low": effect.diff_low,
                 "high": effect.diff_high, "note": t(effect.reason, lang, base=effect.base) if effect.reason else None})
    return _table(pd.DataFrame(rows), {
        "group": (t("loop_group", lang), "text"), "n": ("n", "count"), "by_id": (t("loop_by_respondent_id", lang), "count"),
        "by_no": (t("loop_by_customer_no", lang), "count"), "before": (t("loop_nps_before", lang), "nps"),
        "after": (t("loop_nps_after", lang), "nps"), "change": (t("loop_change", lang), "nps"),
        "low": (t("ci95", lang) + " ↓", "nps"), "high": (t("ci95", lang) + " ↑", "nps"), "note": (t("loop_note", lang), "text"),
    }, lang, t("loop_effect_title", lang))
