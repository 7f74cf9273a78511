"""The tables of the comment statistics (suggested terms, theme impact) as :class:`tpm.report.tables.Table`:
the same on the page, in CSV/Excel downloads and in the report workbook; and the report's Comments sheet."""

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
        "display": (t("cs_term", lang), "text"), "count_a": (t("cs_count_of", lang, group=first), "count"),
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


#: rows of the Comments sheet at most (Excel's 1 048 576 rows, less the header)
COMMENT_ROWS = 1_048_000


def comments_table(con, flt, lang: str) -> tuple[Table | None, bool]:
    """The report's Comments sheet: every comment under ``flt`` (newest first) with wave, date, NPS group, its
    touchpoint and its themes, text masked, no respondent id — the rows of the Comments page
    (:func:`tpm.comments.query.comment_page`, as a viewer sees them). Returns (table, hidden): (None, False) when
    there are no comments, (None, True) when fewer respondents than the anonymity base wrote them."""
    cte, params = flt.respondents_cte()
    if not con.execute(f"WITH {cte} SELECT count(*) > 0 FROM comments c JOIN resp USING (dataset_id, resp)", params).fetchone()[0]:
        return None, False
    from tpm.comments.query import comment_page

    page = comment_page(con, flt, per_page=COMMENT_ROWS, lang=lang, role="viewer")
    if page.hidden_small_base or page.total == 0:
        return None, bool(page.total and page.hidden_small_base)
    rows = page.rows
    frame = pd.DataFrame({
        "wave": rows["wave"], "responded_at": rows["responded_at"],
        "nps_group": [t("hl_group_" + g, lang) if g else None for g in rows["nps_group"]],
        "touchpoint": rows["touchpoint"], "question": rows["question"],
        "themes": [", ".join(names) for names in rows["themes"]], "text": rows["text"],
    })
    columns = {"wave": (t("wave", lang), "text"), "responded_at": (t("responded_at", lang), "date"),
               "nps_group": (t("hl_nps_group", lang), "text"), "touchpoint": (t("touchpoint", lang), "text"),
               "question": (t("hl_question", lang), "text"), "themes": (t("hl_themes", lang), "text"),
               "text": (t("hl_comment", lang), "text")}
    out = frame[list(columns)].rename(columns={c: label for c, (label, _) in columns.items()})
    return Table(out, {label: kind for label, kind in columns.values()}, t("sheet_comments", lang), lang), False
