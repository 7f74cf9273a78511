"""Segments: NPS per segment value with CIs and significance, and where the segment differs most."""

import streamlit as st

from pages._ui import cached_breakdown, cached_nps_by_segment, has_nps, page_start, segment_choice, show_table
from tpm.charts.tracking import nps_by_segment_chart
from tpm.formatting import format_table
from tpm.i18n import t

ctx = page_start("page_segments")
lang = ctx.lang
segment = segment_choice(ctx)

nps = cached_nps_by_segment(ctx.version, repr(ctx.flt), segment, ctx.flt)
if not has_nps(ctx):
    st.info(t("no_nps_segments", lang), icon=":material/info:")
elif nps.empty:
    st.warning(t("no_match", lang))
    st.stop()
else:
    st.plotly_chart(nps_by_segment_chart(nps, segment, lang), width="stretch", key="nps_by_segment")

st.subheader(t("segment_differs", lang))
cells, _ = cached_breakdown(ctx.version, repr(ctx.flt), segment, "score", 5, ctx.flt)
significant = cells[cells["flag"].isin(["higher", "lower"])].copy()
if significant.empty:
    st.info(t("no_differences", lang))
else:
    significant = significant.assign(size=significant["diff"].abs()).sort_values("size", ascending=False)
    labels = {"segment": t("segment_value", lang), "touchpoint": t("touchpoint", lang), "value": t("score_0_100", lang),
              "rest": t("rest", lang), "diff": t("diff_to_rest", lang), "n_eff": t("n_eff", lang)}
    show_table(format_table(significant[["segment", "touchpoint", "value", "rest", "diff", "n", "n_eff", "q"]], lang,
                              {"value": "score", "rest": "score", "diff": ("diff", True), "n_eff": "count", "q": "p"}, labels))
