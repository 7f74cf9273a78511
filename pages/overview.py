"""Overview: NPS with its interval and mix, touchpoints ranked by satisfaction."""

import streamlit as st

from pages._ui import page_start, cached_nps, cached_overall, cached_respondents, cached_touchpoints, show_table
from tpm.charts.overview import nps_mix, touchpoint_ranking
from tpm.formatting import format_table
from tpm.i18n import fmt_number, t

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
    st.plotly_chart(nps_mix(nps, lang), width="stretch", key="nps_mix")
if not stats.empty:
    st.plotly_chart(touchpoint_ranking(stats, lang), width="stretch", key="ranking")
    st.caption(t("ranking_caption", lang))
    with st.expander(t("table", lang)):
        st.caption(t("base_rated", lang))
        table = stats[["touchpoint", "n", "n_eff", "dont_know", "dont_know_rate", "mean", "scale_min", "scale_max", "ci_low", "ci_high",
                       "score_0_100", "top2_box", "bottom2_box", "nps", "low_base"]]
        kinds = {"n_eff": "count", "dont_know": "count", "dont_know_rate": "share", "scale_min": "scale", "scale_max": "scale", "score_0_100": "score",
                 "top2_box": "share", "bottom2_box": "share", "nps": ("nps", True)}
        show_table(
            format_table(table, lang, kinds, {
                "touchpoint": t("touchpoint", lang), "n_eff": t("n_eff", lang), "mean": t("mean", lang), "scale_min": t("scale_min", lang),
                "scale_max": t("scale_max", lang), "ci_low": t("ci95", lang) + " ↓", "ci_high": t("ci95", lang) + " ↑",
                "score_0_100": t("score_0_100", lang), "top2_box": t("top2_box", lang), "bottom2_box": t("bottom2_box", lang),
                "nps": t("nps_raters", lang), "low_base": t("low_base", lang),
                "dont_know": t("dont_know", lang), "dont_know_rate": t("dont_know_rate", lang),
            }))
