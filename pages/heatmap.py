"""Heatmap: touchpoints × values of one segment, significance markers, value or difference colouring."""

import streamlit as st

from pages._ui import cached_breakdown, choice, page_start, segment_choice
from tpm.charts.heatmap import METRICS, MODES, SORTS, segment_heatmap
from tpm.i18n import t
from tpm.metrics.rules import ANONYMITY
from tpm.report.csv_export import to_safe_csv


ctx = page_start("page_heatmap")
lang = ctx.lang
c1, c2, c3, c4 = st.columns([3, 3, 3, 2])
segment = segment_choice(ctx, c1)
metric = choice(t("metric", lang), list(METRICS), "metric", "score", lambda m: t(METRICS[m][0], lang), c2)
mode = choice(t("colour_mode", lang), list(MODES), "mode", "absolute", lambda m: t("mode_" + m, lang), c3)
sort = choice(t("sort_rows", lang), list(SORTS), "sort", "total", lambda s: t("sort_" + s, lang), c4)
swap = st.toggle(t("swap_axes", lang), value=st.query_params.get("swap") == "1", key="hm_swap")
st.query_params["swap"] = "1" if swap else "0"

cells, totals = cached_breakdown(ctx.version, repr(ctx.flt), segment, metric, ANONYMITY, ctx.flt)
if cells.empty:
    st.warning(t("no_match", lang))
    st.stop()
st.plotly_chart(segment_heatmap(cells, totals, metric, segment, lang, mode=mode, sort=sort, swap=swap),
                width="stretch", key="heatmap")
st.caption(t("heatmap_caption", lang))

table = cells.rename(columns={"touchpoint": t("touchpoint", lang), "segment": segment, "value": t(METRICS[metric][0], lang),
                              "diff": t("diff_to_rest", lang)})
st.download_button(t("download_csv", lang), to_safe_csv(table), file_name="heatmap.csv", mime="text/csv", key="heatmap_csv")
