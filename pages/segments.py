"""Segments: NPS per segment value with CIs and significance, and where the segment differs most."""

import streamlit as st

from pages._cache import cached_breakdown, cached_nps_by_segment
from pages._ui import has_nps, page_start, segment_choice, show_chart, table_with_downloads
from tpm.charts.tracking import nps_by_segment_chart
from tpm.i18n import fmt_number, t
from tpm.metrics.rules import ANONYMITY
from tpm.metrics.segments import tested
from tpm.report.tables import segment_differences_table

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
    show_chart(nps_by_segment_chart(nps, segment, lang), "nps_by_segment", "nps-segment", lang)

st.subheader(t("segment_differs", lang))
cells, _ = cached_breakdown(ctx.version, repr(ctx.flt), segment, "score", ANONYMITY, ctx.flt)
significant = cells[cells["flag"].isin(["higher", "lower"])].copy()
if not tested(cells):  # every cell (or its rest) below the base: say so, never "no differences"
    st.info(t("not_testable", lang, n=fmt_number(cells["n"].max() if len(cells) else 0, 0, lang)))
elif significant.empty:
    st.info(t("no_differences", lang))
else:
    table_with_downloads(segment_differences_table(cells, lang), "segment_differences", "segmente" if lang == "de" else "segments")
