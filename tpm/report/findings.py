"""Headlines that state the finding of each chart ("Hotline: biggest lever, below target"),
written from the report's numbers — the same sentence in the deck and on the cover sheet."""

from __future__ import annotations

import math

from tpm.i18n import fmt_number, t
from tpm.journey import UNASSIGNED
from tpm.report.content import Report


def overview(report: Report) -> str:
    lang = report.lang
    stats = report.stats.drop_duplicates("touchpoint")
    parts = []
    if report.nps.n:
        parts.append(t("find_nps", lang, nps=fmt_number(report.nps.score, 0, lang, signed=True),
                       low=fmt_number(report.nps.ci_low, 0, lang, signed=True),
                       high=fmt_number(report.nps.ci_high, 0, lang, signed=True)))
    if len(stats):
        best, worst = stats.iloc[0], stats.iloc[-1]
        parts.append(t("find_best_worst", lang, best=best["touchpoint"], best_score=fmt_number(best["score_0_100"], 0, lang),
                       worst=worst["touchpoint"], worst_score=fmt_number(worst["score_0_100"], 0, lang)))
    return " · ".join(parts) or t("page_overview", lang)


def heatmap(report: Report, segment: str) -> str:
    lang = report.lang
    cells, _ = report.heatmaps[segment]
    significant = cells[cells["flag"].isin(["higher", "lower"])]
    if significant.empty:
        return t("find_heatmap_none", lang, segment=segment)
    top = significant.loc[significant["diff"].abs().idxmax()]
    return t("find_heatmap_" + top["flag"], lang, segment=segment, value=top["segment"], touchpoint=top["touchpoint"],
             diff=fmt_number(top["diff"], 0, lang, signed=True), k=len(significant))


def drivers(report: Report) -> str:
    lang = report.lang
    top = report.drivers.table.iloc[0]
    return t("find_drivers", lang, name=top["driver"], share=fmt_number(top["share"], 0, lang),
             r2=fmt_number(100 * report.drivers.r2, 0, lang))


def priority(report: Report) -> str:
    """The touchpoint to fix first: the most important one in "concentrate here"."""
    lang = report.lang
    matrix = report.matrix
    first = matrix[matrix["quadrant"] == "concentrate"].sort_values("importance", ascending=False)
    if first.empty:
        return t("find_priority_none", lang)
    top = first.iloc[0]
    target = report.cards.set_index("name")["target"].get(top["touchpoint"]) if report.cards is not None else None
    if target is not None and not (isinstance(target, float) and math.isnan(target)):
        where = t("below_target" if top["performance"] < target else "above_target", lang)
    else:
        where = t("below_average", lang)
    return t("find_priority", lang, name=top["touchpoint"], where=where)


def journey(report: Report) -> str:
    lang = report.lang
    curve = report.curve
    below = int((report.cards["status"] == "below").sum())
    if curve is not None:
        curve = curve[curve["phase"] != UNASSIGNED]  # touchpoints without a phase are no point of the journey
    if curve is None or curve.empty:
        return t("find_journey_unphased", lang, below=below) if len(report.cards) else t("page_journey", lang)
    low = curve.loc[curve["score"].idxmin()]
    return t("find_journey", lang, phase=low["phase"], score=fmt_number(low["score"], 0, lang), below=below)


def tracking(report: Report) -> str:
    """The NPS's last step; without an NPS question the biggest touchpoint mover's (significant ones first)."""
    lang = report.lang
    if report.nps_waves is None:
        top = report.movers.iloc[0]
        verdict = t("significant" if bool(top["significant"]) else "not_significant", lang)
        return t("find_tracking_tp", lang, name=top["touchpoint"], before=top["from_wave"], after=top["wave"],
                 value=fmt_number(top["value"], 0, lang), change=fmt_number(top["change"], 0, lang, signed=True),
                 verdict=verdict)
    waves = report.nps_waves.sort_values("wave_no")
    last = waves.iloc[-1]
    verdict = t("significant" if bool(last["significant"]) else "not_significant", lang)
    return t("find_tracking", lang, before=waves.iloc[-2]["wave"], after=last["wave"],
             nps=fmt_number(last["value"], 0, lang, signed=True), change=fmt_number(last["change"], 0, lang, signed=True),
             verdict=verdict)


def targets(report: Report) -> str:
    lang = report.lang
    cards = report.targets
    below = cards[cards["gap"] > 0].sort_values("gap_x_importance", ascending=False)
    if below.empty:
        return t("find_targets_none", lang, k=len(cards))
    top = below.iloc[0]
    return t("find_targets", lang, k=len(below), total=len(cards), name=top["name"], gap=fmt_number(top["gap"], 0, lang))
