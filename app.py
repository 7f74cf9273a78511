"""TPM dashboard entry point: database, login, language, sidebar filters, navigation — nothing else."""

import streamlit as st

from pages._db import run_database
from pages._ui import land_unknown_paths, sidebar
from tpm import access
from tpm.i18n import t

st.set_page_config(page_title="TPM", page_icon="📍", layout="wide")

# The page menu is ours, drawn with st.page_link at the top of the sidebar: Streamlit's own menu is off
# (.streamlit/config.toml: client.showSidebarNavigation = false), since beside app.py is a pages/ folder and Streamlit's
# multipage v1 lists that folder's file names ("app", "drivers", "ui" …) on a fresh server's first request, for as long
# as that first run takes, before st.navigation replaces them. Ours lists every page (no English "View 3 more").
menu = st.sidebar.container()
with run_database() as con:  # open for this script run only: a CLI import can take the file between runs
    ctx = sidebar(con)
    st.session_state["ctx"] = ctx
    lang = ctx.lang
    pages = [
        st.Page("pages/overview.py", title=t("page_overview", lang), icon=":material/dashboard:", url_path="start", default=True),
        st.Page("pages/heatmap.py", title=t("page_heatmap", lang), icon=":material/grid_on:", url_path="heatmap"),
        st.Page("pages/segments.py", title=t("page_segments", lang), icon=":material/groups:", url_path="segments"),
        st.Page("pages/tracking.py", title=t("page_tracking", lang), icon=":material/trending_up:", url_path="tracking"),
        st.Page("pages/drivers.py", title=t("page_drivers", lang), icon=":material/insights:", url_path="drivers"),
        st.Page("pages/priority.py", title=t("page_priority", lang), icon=":material/target:", url_path="priority"),
        st.Page("pages/journey.py", title=t("page_journey", lang), icon=":material/route:", url_path="journey"),
        st.Page("pages/comments.py", title=t("page_comments", lang), icon=":material/forum:", url_path="comments"),
        st.Page("pages/targets.py", title=t("page_targets", lang), icon=":material/flag:", url_path="targets"),
        st.Page("pages/actions.py", title=t("page_actions", lang), icon=":material/task_alt:", url_path="actions"),
        st.Page("pages/cases.py", title=t("page_cases", lang), icon=":material/support_agent:", url_path="cases"),
        st.Page("pages/report.py", title=t("page_report", lang), icon=":material/summarize:", url_path="report"),
        st.Page("pages/inventory.py", title=t("page_inventory", lang), icon=":material/list_alt:", url_path="inventory"),
        # the default page is served at "/": the same view is reachable as /overview, too
        st.Page("pages/overview.py", title=t("page_overview", lang), url_path="overview", visibility="hidden"),
    ]
    if access.allowed(ctx.user, "upload"):  # the pages check the role again themselves
        pages.append(st.Page("pages/upload.py", title=t("page_upload", lang), icon=":material/upload_file:", url_path="upload"))
    if access.allowed(ctx.user, "audit"):
        pages.append(st.Page("pages/admin.py", title=t("page_admin", lang), icon=":material/admin_panel_settings:", url_path="admin"))
    land_unknown_paths({page.url_path for page in pages}, lang)
    current = st.navigation(pages, position="hidden")
    for page in pages:
        if page.visibility == "visible":
            menu.page_link(page)
    current.run()
