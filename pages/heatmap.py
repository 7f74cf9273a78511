"""Heatmap: touchpoints × values of one segment, metric selectable, low bases greyed."""

import streamlit as st

from pages._ui import page_start, cached_breakdown, cached_touchpoints, segment_names
from tpm.charts.heatmap import METRICS, segment_heatmap
from tpm.i18n import t

ctx = page_start("page_heatmap")
lang = ctx.lang

segments = segment_names(ctx)
if not segments:
    st.info(t("no_segments", lang))
    st.stop()

left, right = st.columns(2)
wanted = st.query_params.get("by")
segment = left.selectbox(t("segment", lang), segments, index=segments.index(wanted) if wanted in segments else 0, key="hm_segment")
st.query_params["by"] = segment
metrics = list(METRICS)
wanted = st.query_params.get("metric")
metric = right.selectbox(
    t("metric", lang), metrics, index=metrics.index(wanted) if wanted in metrics else 1,
    format_func=lambda m: t(METRICS[m][0], lang), key="hm_metric",
)
st.query_params["metric"] = metric

key = repr(ctx.flt)
breakdown = cached_breakdown(ctx.version, key, segment, ctx.flt)
totals = cached_touchpoints(ctx.version, key, ctx.flt)
if breakdown.empty:
    st.warning(t("no_match", lang))
    st.stop()
st.plotly_chart(segment_heatmap(breakdown, totals, metric, segment, lang), width="stretch", key="heatmap")
st.caption(t("heatmap_caption", lang))
