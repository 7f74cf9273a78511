"""Overview: NPS with its interval and mix, touchpoints ranked by satisfaction; just-about-right
questions as their distribution (never ranked with the touchpoints)."""

import streamlit as st

from pages._cache import cached_jar, cached_nps, cached_overall, cached_respondents, cached_touchpoints
from pages._ui import page_start, show_chart, table_with_downloads
from tpm.charts.overview import nps_mix, touchpoint_ranking
from tpm.formatting import format_table
from tpm.i18n import fmt_number, t
from tpm.report.tables import touchpoints_table

ctx = page_start("page_overview")
lang = ctx.lang

key = repr(ctx.flt)
respondents = cached_respondents(ctx.version, key, ctx.flt)
if respondents == 0:
    st.warning(t("no_match", lang))
    st.stop()
nps = cached_nps(ctx.version, key, ctx.flt)
stats = cached_touchpoints(ctx.version, key, ctx.flt)

overall = cached_overall(ctx.version, key, ctx.flt)
c1, c2, c3, *c4 = st.columns(4 if not overall.empty else 3)
c1.metric(t("respondents", lang), fmt_number(respondents, 0, lang))
if nps.n:
    c2.metric(t("nps_long", lang), fmt_number(nps.score, 0, lang, signed=True), help=t("nps_help", lang))
    c2.caption(f"{t('ci95', lang)}: {fmt_number(nps.ci_low, 1, lang, signed=True)} … {fmt_number(nps.ci_high, 1, lang, signed=True)} · n = {fmt_number(nps.n, 0, lang)}"
               + (f" · {t('weighted_caption', lang, n_eff=fmt_number(nps.n_eff, 0, lang))}" if nps.weighted else ""))
else:
    c2.info(t("no_nps_question", lang), icon=":material/info:")
c3.metric(t("touchpoints", lang), fmt_number(stats["touchpoint"].nunique(), 0, lang))
if c4:  # the overall-satisfaction question: an outcome beside the NPS, not a touchpoint
    o = overall.iloc[0]
    c4[0].metric(t("overall_satisfaction", lang), f"{fmt_number(o['mean'], 2, lang)} / {int(o['scale_max'])}",
                 help=t("overall_help", lang))
    c4[0].caption(f"{t('score_0_100', lang)}: {fmt_number(o['score_0_100'], 1, lang)} · n = {fmt_number(o['n'], 0, lang)}")

if nps.n:
    show_chart(nps_mix(nps, lang), "nps_mix", "nps", lang)
if not stats.empty:
    show_chart(touchpoint_ranking(stats, lang), "ranking", "kontaktpunkte" if lang == "de" else "touchpoints", lang)
    st.caption(t("ranking_caption", lang))
    with st.expander(t("table", lang)):
        st.caption(t("base_rated", lang))
        table_with_downloads(touchpoints_table(stats, lang), "touchpoints", "kontaktpunkte" if lang == "de" else "touchpoints")

jar = cached_jar(ctx.version, key, ctx.flt)
if not jar.empty:  # a distribution: too little / just right / too much, never a score
    st.subheader(t("jar_title", lang))
    st.caption(t("jar_caption", lang))
    st.dataframe(format_table(jar, lang, {"n": "count", "too_little": "share", "just_right": "share", "too_much": "share"},
                              {"question": t("jar_question", lang), "too_little": t("jar_too_little", lang),
                               "just_right": t("jar_just_right", lang), "too_much": t("jar_too_much", lang)}),
                 hide_index=True, width="stretch", placeholder="")
