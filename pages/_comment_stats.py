"""The statistics tabs of the Comments page: terms a group uses more often (one click makes a theme), and the
themes' impact on NPS, per touchpoint and over waves. Figures from :mod:`tpm.comments.figures`; nothing computed here."""

from __future__ import annotations

import streamlit as st

from pages._auth import perform
from pages._cache import cached_touchpoints
from pages._db import cursor
from pages._text import plain
from pages._ui import Context, segment_names, show_chart, table_with_downloads
from tpm import access
from tpm.charts.comments import impact_chart, theme_segment_heatmap, theme_touchpoint_heatmap, theme_trend_chart
from tpm.comments.figures import COMPARE_DETRACTORS, impact, suggestions, theme_by_segment
from tpm.i18n import MessageError, fmt_number, t
from tpm.metrics.filters import Filter
from tpm.report.comment_tables import impact_table, suggestion_table

#: how many of the top terms can be made a theme with one click
THEME_TERMS = 30


@st.cache_data(show_spinner=False, max_entries=64)
def _suggestions(version: str, flt_key: str, compare: str, _flt: Filter):
    return suggestions(cursor(), _flt, compare)


@st.cache_data(show_spinner=False, max_entries=64)
def _impact(version: str, flt_key: str, lang: str, _flt: Filter):
    return impact(cursor(), _flt, lang)


@st.cache_data(show_spinner=False, max_entries=64)
def _by_segment(version: str, flt_key: str, segment: str, lang: str, _flt: Filter):
    return theme_by_segment(cursor(), _flt, segment, lang)


def _make_theme(ctx: Context, terms: list[str]) -> None:
    """Pick one of the top terms and store it as a theme of the study (a word, or a phrase of two lemmas)."""
    from tpm.comments.themes import Theme

    left, right = st.columns([3, 1], vertical_alignment="bottom")
    term = left.selectbox(t("cs_pick_term", ctx.lang), terms, key="cs_pick_term")
    if right.button(t("cs_make_theme", ctx.lang), key="cs_make_theme", icon=":material/add:"):
        words, phrases = ((), (term,)) if " " in term else ((term,), ())
        try:
            perform(ctx, "theme.add", study=ctx.study, theme=Theme(name=term, words=words, phrases=phrases))
        except MessageError as exc:
            st.error(plain(exc.text(ctx.lang)))
        else:
            st.success(plain(t("cs_theme_made", ctx.lang, name=term)))


def suggestions_tab(con, ctx: Context) -> None:
    """"Begriffe, die Detraktoren häufiger verwenden": detractors against promoters, or a touchpoint's bottom box
    against its top box; table with counts, z and masked examples; a button per top term makes it a theme."""
    lang = ctx.lang
    how = st.radio(t("cs_compare", lang), ["detractors", "low"], format_func=lambda k: t("cs_compare_" + k, lang),
                   horizontal=True, key="cs_compare")
    if how == "low":
        names = sorted(cached_touchpoints(ctx.version, repr(ctx.flt), ctx.flt)["touchpoint"].unique())
        if not names:
            st.info(t("cs_no_terms", lang))
            return
        touchpoint = st.selectbox(t("touchpoint", lang), names, key="cs_touchpoint")
        compare, title = f"low:{touchpoint}", t("cs_suggest_low_title", lang, touchpoint=touchpoint)
        groups = (t("cs_group_low", lang, touchpoint=touchpoint), t("cs_group_high", lang, touchpoint=touchpoint))
    else:
        compare, title = COMPARE_DETRACTORS, t("cs_suggest_title", lang)
        groups = (t("cs_group_detractors", lang), t("cs_group_promoters", lang))
    st.subheader(plain(title))
    st.caption(t("cs_method", lang))
    with st.spinner(t("cs_counting", lang)):  # seconds on a large study (20 s at 1 M comments), then cached
        terms = _suggestions(ctx.version, repr(ctx.flt), compare, ctx.flt)
    if terms.empty:
        st.info(t("cs_no_terms", lang))
        return
    table_with_downloads(suggestion_table(terms, lang, groups, title), "cs_terms", "begriffe" if lang == "de" else "terms")
    if access.allowed(ctx.user, "edit"):  # analysts; the write checks role and study again (perform)
        _make_theme(ctx, terms["display"].head(THEME_TERMS).tolist())


def impact_tab(con, ctx: Context) -> None:
    """Per theme: share of commenters [CI], NPS of those mentioning it against the other commenters [CI], the
    difference and q; theme × touchpoint and theme × segment heatmaps; theme shares over the waves."""
    lang = ctx.lang
    result = _impact(ctx.version, repr(ctx.flt), lang, ctx.flt)
    if result.table.empty:
        st.info(t("cs_no_themes", lang))
        return
    st.caption(t("cs_commenters", lang, n=fmt_number(result.commenters, 0, lang)) + " · " + t("cs_impact_rule", lang))
    show_chart(impact_chart(result.table, lang), "cs_impact", "themen-wirkung" if lang == "de" else "theme-impact", lang)
    table_with_downloads(impact_table(result.table, lang), "cs_impact_table", "themen" if lang == "de" else "themes")
    if not result.by_touchpoint.empty:
        show_chart(theme_touchpoint_heatmap(result.by_touchpoint, lang), "cs_heatmap",
                   "themen-kontaktpunkte" if lang == "de" else "themes-touchpoints", lang)
    segments = segment_names(ctx)
    if segments:
        segment = st.selectbox(t("cs_by_segment", lang), segments, key="cs_segment")
        show_chart(theme_segment_heatmap(_by_segment(ctx.version, repr(ctx.flt), segment, lang, ctx.flt), segment, lang),
                   "cs_segment_heatmap", "themen-segmente" if lang == "de" else "themes-segments", lang)
    if result.trend["wave"].nunique() >= 2:
        show_chart(theme_trend_chart(result.trend, lang), "cs_trend", "themen-wellen" if lang == "de" else "theme-waves", lang)
