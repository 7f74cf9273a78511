"""The tables of the comment statistics (suggested terms, theme impact) as :class:`tpm.report.tables.Table`:
the same on the page, in CSV/Excel downloads and in the report workbook."""

from __future__ import annotations

import pandas as pd

from tpm.i18n import t
from tpm.report.tables import Table, _table


def suggestion_table(terms: pd.DataFrame, lang: str, groups: tuple[str, str] | None = None,
                     title: str | None = None) -> Table:
    """:func:`tpm.comments.figures.suggestions`: term, weighted comments of each group, z, examples (their masked
    texts joined by " | "). ``groups``: the names of the two groups compared (default: detractors, promoters), so
    that the count columns say whose comments they count."""
    first, second = groups or (t("cs_group_detractors", lang), t("cs_group_promoters", lang))
    frame = terms.assign(examples=[" | ".join(texts) for texts in terms["example_texts"]])
    return _table(frame, {
        "term": (t("cs_term", lang), "text"), "count_a": (t("cs_count_of", lang, group=first), "count"),
        "count_b": (t("cs_count_of", lang, group=second), "count"), "z": ("z", "diff2"),
        "examples": (t("cs_examples", lang), "text"),
    }, lang, title or t("cs_suggest_title", lang))


def impact_table(table: pd.DataFrame, lang: str) -> Table:
    """:func:`tpm.comments.stats.theme_impact`: per theme mentions, share with CI, NPS of mentioning and other
    commenters, their difference with CI, q."""
    return _table(table, {
        "theme": (t("cs_theme", lang), "text"), "n": ("n", "count"), "n_eff": (t("n_eff", lang), "count"),
        "mentions": (t("cs_mentions", lang), "count"), "share": (t("cs_share", lang) + " %", "share"),
        "share_low": (t("cs_share_ci", lang) + " ↓", "share"), "share_high": (t("cs_share_ci", lang) + " ↑", "share"),
        "nps_with": (t("cs_nps_with", lang), "nps"), "n_with": (t("cs_nps_with", lang) + " n", "count"),
        "nps_without": (t("cs_nps_without", lang), "nps"), "n_without": (t("cs_nps_without", lang) + " n", "count"),
        "diff": (t("cs_diff", lang), "diff"), "diff_low": (t("cs_diff_ci", lang) + " ↓", "diff"),
        "diff_high": (t("cs_diff_ci", lang) + " ↑", "diff"), "q": ("q", "p"),
    }, lang, t("cs_impact_title", lang))
