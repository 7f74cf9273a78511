"""TPM dashboard entry point: database, language, sidebar filters, navigation — nothing else."""

import streamlit as st

from pages._ui import cursor, land_unknown_paths, sidebar
from tpm.i18n import t

st.set_page_config(page_title="TPM", page_icon=":material/hub:", layout="wide")

ctx = sidebar(cursor())
st.session_state["ctx"] = ctx

pages = [
    st.Page("pages/overview.py", title=t("page_overview", ctx.lang), icon=":material/dashboard:", url_path="start", default=True),
    st.Page("pages/heatmap.py", title=t("page_heatmap", ctx.lang), icon=":material/grid_on:", url_path="heatmap"),
    st.Page("pages/segments.py", title=t("page_segments", ctx.lang), icon=":material/groups:", url_path="segments"),
    st.Page("pages/tracking.py", title=t("page_tracking", ctx.lang), icon=":material/trending_up:", url_path="tracking"),
    st.Page("pages/drivers.py", title=t("page_drivers", ctx.lang), icon=":material/insights:", url_path="drivers"),
    st.Page("pages/priority.py", title=t("page_priority", ctx.lang), icon=":material/target:", url_path="priority"),
    st.Page("pages/journey.py", title=t("page_journey", ctx.lang), icon=":material/route:", url_path="journey"),
    st.Page("pages/targets.py", title=t("page_targets", ctx.lang), icon=":material/flag:", url_path="targets"),
    st.Page("pages/actions.py", title=t("page_actions", ctx.lang), icon=":material/task_alt:", url_path="actions"),
    st.Page("pages/report.py", title=t("page_report", ctx.lang), icon=":material/summarize:", url_path="report"),
    st.Page("pages/inventory.py", title=t("page_inventory", ctx.lang), icon=":material/list_alt:", url_path="inventory"),
    # the default page is served at "/": the same view is reachable as /overview, too
    st.Page("pages/overview.py", title=t("page_overview", ctx.lang), url_path="overview", visibility="hidden"),
    st.Page("pages/upload.py", title=t("page_upload", ctx.lang), icon=":material/upload_file:", url_path="upload"),
]
land_unknown_paths({page.url_path for page in pages}, ctx.lang)
st.navigation(pages, position="sidebar").run()
