"""Priority matrix (importance–performance): which touchpoints to fix first."""

import streamlit as st

from pages._ui import cached_drivers, cached_touchpoints, choice, cursor, driver_settings, page_start, plain, show_table
from tpm import inventory
from tpm.charts.drivers import priority_chart
from tpm.formatting import format_table
from tpm.i18n import fmt_number, t
from tpm.metrics.priority import CROSSHAIRS, priority_matrix
from tpm.report.csv_export import to_safe_csv

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
outcome_label = t("outcome_" + outcome, lang).split(" (")[0] if outcome in ("nps", "overall") else outcome
st.plotly_chart(priority_chart(matrix, x_line, y_line, outcome_label, lang, crosshair), width="stretch", key="priority_chart")

labels = {"quadrant": t("quadrant", lang), "touchpoint": t("touchpoint", lang), "importance": t("importance", lang) + " (%)",
          "performance": t("performance", lang) + " (0–100)", "target": t("target", lang), "mean": t("mean", lang),
          "near_line": t("near_line", lang), "action": t("action", lang)}
columns = ["quadrant", "touchpoint", "importance", "performance"] + (["target"] if crosshair == "target" else []) + [
    "mean", "n", "near_line", "action"]
rows = matrix.assign(quadrant=[t("q_" + q, lang) for q in matrix["quadrant"]], action=[t("a_" + q, lang) for q in matrix["quadrant"]],
                     target=matrix["reference"])[columns]
table = rows.rename(columns=labels)
show_table(format_table(rows, lang, {"importance": "share", "performance": "score", "target": "score"}, labels))
st.download_button(t("download_csv", lang), to_safe_csv(table), file_name="prioritaeten-matrix.csv", mime="text/csv",
                   key="priority_csv")
