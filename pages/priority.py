"""Priority matrix (importance–performance): which touchpoints to fix first."""

import streamlit as st

from pages._cache import cached_drivers, cached_theme_hover, cached_touchpoints
from pages._db import cursor
from pages._text import plain
from pages._ui import choice, driver_settings, page_start, show_chart, table_with_downloads
from tpm import inventory
from tpm.charts.drivers import outcome_label, priority_chart
from tpm.i18n import fmt_number, t
from tpm.metrics.priority import CROSSHAIRS, priority_matrix
from tpm.report.tables import priority_table

ctx = page_start("page_priority")
lang = ctx.lang

left, right = st.columns([2, 1])
with left:
    outcome, method, missing = driver_settings(ctx, with_method=False)
crosshair = choice(t("crosshair", lang), list(CROSSHAIRS), "crosshair", "mean", lambda c: t("crosshair_" + c, lang), right)
result, error = cached_drivers(ctx.version, repr(ctx.flt), outcome, method, missing, ctx.flt)
if result is None:
    st.warning(t("no_drivers", lang, error=plain(error.text(lang) if hasattr(error, "text") else str(error))))
    st.stop()
stats = cached_touchpoints(ctx.version, repr(ctx.flt), ctx.flt)
targets = inventory.load(cursor(), ctx.study).set_index("name")["target"].dropna()
try:
    matrix, x_line, y_line = priority_matrix(stats, result.table, crosshair, targets)
except ValueError:
    st.info(t("no_targets", lang))
    st.stop()

first = matrix.loc[matrix["quadrant"] == "concentrate", "touchpoint"].tolist()
if first:
    st.subheader(t("fix_first", lang, names=plain(", ".join(first))))
st.caption(t("drivers_summary", lang, r2=fmt_number(result.r2, 3, lang), r2_adj=fmt_number(result.r2_adj, 3, lang),
             n=fmt_number(result.n, 0, lang),
             method=t("method_" + result.method, lang), missing=t("missing_" + result.missing, lang))
           + (f" · {t('weighted_caption', lang, n_eff=fmt_number(result.n_eff, 0, lang))}" if result.weighted else ""))
for warning in result.warnings:
    st.warning(plain(warning.text(lang)))
outcome_name = outcome_label(outcome, lang)
themes = cached_theme_hover(ctx.version, repr(ctx.flt), lang, ctx.flt)
show_chart(priority_chart(matrix, x_line, y_line, outcome_name, lang, crosshair, themes), "priority_chart", "prioritaeten-matrix" if lang == "de" else "priority-matrix", lang)

table_with_downloads(priority_table(matrix, lang, with_target=crosshair == "target"), "priority_table",
                     "prioritaeten-matrix" if lang == "de" else "priority-matrix")
