"""Heatmap: touchpoints × values of one segment, significance markers, value or difference colouring."""

import streamlit as st

from pages._cache import cached_breakdown, cached_theme_hover
from pages._ui import choice, metric_choice, page_start, segment_choice, show_chart, table_downloads
from tpm.charts.heatmap import MODES, SORTS, segment_heatmap
from tpm.i18n import t
from tpm.metrics.rules import ANONYMITY
from tpm.report.tables import heatmap_cells_table

ctx = page_start("page_heatmap")
lang = ctx.lang
c1, c2, c3, c4 = st.columns([3, 3, 3, 2])
segment = segment_choice(ctx, c1)
metric, metric_label = metric_choice(lang, c2)
mode = choice(t("colour_mode", lang), list(MODES), "mode", "absolute", lambda m: t("mode_" + m, lang), c3)
sort = choice(t("sort_rows", lang), list(SORTS), "sort", "total", lambda s: t("sort_" + s, lang), c4)
swap = st.toggle(t("swap_axes", lang), value=st.query_params.get("swap") == "1", key="hm_swap")
st.query_params["swap"] = "1" if swap else "0"

cells, totals = cached_breakdown(ctx.version, repr(ctx.flt), segment, metric, ANONYMITY, ctx.flt)
if cells.empty:
    st.warning(t("no_match", lang))
    st.stop()
themes = cached_theme_hover(ctx.version, repr(ctx.flt), lang, ctx.flt)
show_chart(segment_heatmap(cells, totals, metric, segment, lang, mode=mode, sort=sort, swap=swap, themes=themes),
           "heatmap", "heatmap", lang)
st.caption(t("heatmap_caption", lang))

table_downloads(heatmap_cells_table(cells, segment, metric, metric_label, lang), "heatmap_table", "heatmap")
