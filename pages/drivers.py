"""Key drivers: which touchpoints move recommendation (or another outcome), with R², n and method."""

import streamlit as st

from pages._cache import bootstrapped_drivers, cached_drivers
from pages._text import plain
from pages._ui import driver_settings, page_start, show_chart, table_with_downloads
from tpm.charts.drivers import driver_bars, outcome_label
from tpm.i18n import fmt_number, t
from tpm.report.tables import drivers_table

ctx = page_start("page_drivers")
lang = ctx.lang

outcome, method, missing = driver_settings(ctx)
#: 999 resamples: the 2.5 % quantile is then the 25th order statistic (see tpm.metrics.drivers._bootstrap);
#: ~10–20 s on the sample data (13 drivers, exact Shapley): a progress bar while it runs
RESAMPLES = 999
bootstrap = st.checkbox(t("bootstrap", lang, n=RESAMPLES), key="drivers_bootstrap")
if bootstrap:
    bar = st.progress(0.0, text=t("bootstrap_running", lang, n=RESAMPLES))
    result, error = bootstrapped_drivers(ctx, outcome, method, missing, RESAMPLES,
                                         lambda done: bar.progress(done, text=t("bootstrap_running", lang, n=RESAMPLES)))
    bar.empty()
else:
    with st.spinner(t("page_drivers", lang) + " …"):
        result, error = cached_drivers(ctx.version, repr(ctx.flt), outcome, method, missing, ctx.flt)
if result is None:
    st.warning(t("no_drivers", lang, error=plain(error.text(lang) if hasattr(error, "text") else str(error))))
    st.stop()

outcome_name = outcome_label(outcome, lang)
top = result.table.iloc[0]
st.markdown(t("drivers_reading", lang, name=plain(top["driver"]), share=fmt_number(top["share"], 0, lang), outcome=plain(outcome_name)))
st.markdown(t("drivers_reading_r2", lang, r2=fmt_number(100 * result.r2, 0, lang), outcome=plain(outcome_name)))
st.caption(t("drivers_summary", lang, r2=fmt_number(result.r2, 3, lang), r2_adj=fmt_number(result.r2_adj, 3, lang),
             n=fmt_number(result.n, 0, lang),
             method=t("method_" + result.method, lang), missing=t("missing_" + result.missing, lang))
           + (f" · {t('weighted_caption', lang, n_eff=fmt_number(result.n_eff, 0, lang))}" if result.weighted else ""))
for warning in result.warnings:
    st.warning(plain(warning.text(lang)))
for note in result.notes:
    st.info(plain(note.text(lang)))
show_chart(driver_bars(result.table, outcome_name, lang), "driver_bars", "treiber" if lang == "de" else "drivers", lang)
st.caption(t("drivers_caption", lang))
table_with_downloads(drivers_table(result.table, lang), "drivers_table", "treiber" if lang == "de" else "drivers")
