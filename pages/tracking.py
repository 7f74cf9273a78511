"""Tracking: NPS and touchpoints over waves, with CI bands, significant changes and biggest movers."""

import streamlit as st

from pages._cache import cached_trend
from pages._db import cursor
from pages._ui import choice, metric_choice, page_start, show_chart, table_with_downloads
from tpm import inventory
from tpm.charts.heatmap import segment_heatmap
from tpm.charts.tracking import trend_chart
from tpm.formatting import scale_labelled
from tpm.i18n import t
from tpm.metrics.trend import WAVE_BY, biggest_movers, wave_count
from tpm.report.tables import movers_table

ctx = page_start("page_tracking")
lang = ctx.lang
c1, c2 = st.columns(2)
by = choice(t("waves_by", lang), list(WAVE_BY), "waves", "dataset", lambda w: t("waves_" + w, lang), c1)
metric, metric_label = metric_choice(lang, c2)

nps, trend, totals = cached_trend(ctx.version, repr(ctx.flt), metric, by, ctx.flt)
plain_names = trend["touchpoint"].tolist()  # the inventory's names (its targets), before the scales are added
trend, totals = scale_labelled(trend, totals)  # a touchpoint on two scales: "Hotline (1–5)", "Hotline (1–10)"
if wave_count(nps, trend) < 2:
    st.info(t("one_wave", lang))
    st.stop()
if len(nps) >= 2:
    show_chart(trend_chart(nps, None, t("nps_trend_title", lang), t("nps_axis", lang), lang), "nps_trend", "nps-trend", lang)
else:  # a study without an NPS question is tracked by its touchpoints
    st.info(t("no_nps_tracking", lang))
st.caption(t("tracking_rule", lang))

movers = biggest_movers(trend)
names = sorted(trend["touchpoint"].unique())
default = movers["touchpoint"].drop_duplicates().head(3).tolist()
wanted = [n for n in st.query_params.get_all("tp") if n in names] or default
chosen = st.multiselect(t("trend_touchpoints", lang), names, default=wanted, key="trend_tp", select_all=False)
st.query_params["tp"] = chosen
if chosen:
    # targets live on the 0–100 score, so they are drawn for that metric only
    targets = inventory.load(cursor(), ctx.study).set_index("name")["target"].dropna().to_dict() if metric == "score" else None
    targets = targets and {label: targets[name] for label, name in zip(trend["touchpoint"], plain_names) if name in targets}
    show_chart(trend_chart(trend[trend["touchpoint"].isin(chosen)], "touchpoint",
                           t("tp_trend_title", lang, metric=metric_label), metric_label, lang, targets=targets), "tp_trend",
               "kontaktpunkte-trend" if lang == "de" else "touchpoint-trend", lang)

cells = trend.assign(segment=trend["wave"], diff=trend["change"],
                     flag=[("higher" if c > 0 else "lower") if s else "ns" for c, s in zip(trend["change"].fillna(0), trend["significant"])])
waves = trend.drop_duplicates("wave").sort_values("wave_no")["wave"].tolist()
show_chart(segment_heatmap(cells, totals, metric, t("wave", lang), lang, columns=waves, diff_label=t("change", lang),
                           title=t("wave_heatmap_title", lang, metric=metric_label), legend=t("wave_heatmap_legend", lang)),
           "wave_heatmap", "wellen-heatmap" if lang == "de" else "wave-heatmap", lang)

st.subheader(t("movers", lang))
table_with_downloads(movers_table(movers, metric, metric_label, lang), "movers", "veraenderungen" if lang == "de" else "movers")
