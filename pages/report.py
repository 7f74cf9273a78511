"""Report: the dashboard for the current filters as an Excel workbook and a PowerPoint deck, with progress."""

import streamlit as st

from pages._db import cursor
from pages._text import plain
from pages._ui import page_start
from tpm import access, store
from tpm.i18n import t
from tpm.report import build
from tpm.report.content import ReportError, dataset_ids, describe_filter
from tpm.report.deck import PPTX_MIME
from tpm.report.excel import XLSX_MIME

ctx = page_start("page_report")
lang = ctx.lang
st.markdown(t("report_intro", lang))
scope = "; ".join(describe_filter(ctx.flt)) or t("no_filter", lang)
datasets = store.list_datasets(cursor())
names = datasets.loc[datasets["id"].isin(dataset_ids(cursor(), ctx.flt)), "name"]
survey = ", ".join(names)
st.caption(plain(t("report_scope", lang, survey=f"{ctx.study_name}: {survey}" if ctx.study_name else survey, scope=scope)))

KINDS = {"workbook": ("make_workbook", "download_workbook", "tpm-bericht.xlsx" if lang == "de" else "tpm-report.xlsx", XLSX_MIME),
         "deck": ("make_deck", "download_deck", "tpm-bericht.pptx" if lang == "de" else "tpm-report.pptx", PPTX_MIME)}
columns = st.columns(2)
for column, (kind, (make, download, name, mime)) in zip(columns, KINDS.items()):
    key = (kind, ctx.version, repr(ctx.flt), lang)
    if column.button(t(make, lang), key=f"make_{kind}", type="primary", icon=":material/description:"):
        bar = column.progress(0.0, text=t("report_step_overview", lang))
        try:
            # respondent-level data only for roles that may see it (analyst, admin); viewers get the figures
            data = build(cursor(), ctx.flt, kind, lang, with_data=access.allowed(ctx.user, "respondents"),
                         progress=lambda text, share, bar=bar: bar.progress(min(1.0, share), text=text))
        except ReportError as exc:
            column.error(t("report_failed", lang, error=plain(str(exc))))
        else:
            st.session_state[f"report_{kind}"] = (key, data)
            bar.progress(1.0, text=t("report_ready", lang, name=name))
    made = st.session_state.get(f"report_{kind}")
    if made and made[0] == key:
        column.download_button(t(download, lang), made[1], file_name=name, mime=mime, key=f"download_{kind}",
                               icon=":material/download:", on_click="ignore")
