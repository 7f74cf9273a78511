"""Action plan: measures per touchpoint with owner, due date, status, cycle step — and their effect."""

import pandas as pd
import streamlit as st

from pages._ui import cursor, page_start, perform, plain, table_with_downloads
from tpm import access, actions, inventory
from tpm.formatting import format_table
from tpm.i18n import t
from tpm.report.tables import actions_table

ctx = page_start("page_actions")
lang = ctx.lang
con = cursor()
for message in st.session_state.pop("actions_flash", []):
    st.success(message, icon=":material/check_circle:")

may_edit = access.allowed(ctx.user, "edit")  # viewers browse, filter and download; writes check the role again


def new_action_form() -> None:
    with st.expander(t("new_action", lang), expanded=False), st.form("new_action", clear_on_submit=True):
        names = inventory.load(con, ctx.study)["name"].tolist()
        touchpoint = st.selectbox(t("touchpoint", lang), names, index=None, placeholder=t("choose", lang), key="na_touchpoint")
        title = st.text_input(t("a_title", lang), key="na_title")
        problem = st.text_area(t("a_problem", lang), key="na_problem")
        c1, c2, c3, c4 = st.columns(4)
        owner = c1.text_input(t("a_owner", lang), key="na_owner")
        due = c2.date_input(t("a_due", lang), value=None, key="na_due", format="DD.MM.YYYY" if lang == "de" else "YYYY-MM-DD")
        status = c3.selectbox(t("a_status", lang), actions.STATUSES, format_func=lambda s: t("status_" + s, lang), key="na_status")
        step = c4.selectbox(t("a_step", lang), actions.STEPS, index=actions.STEPS.index("plan"),
                            format_func=lambda s: t("step_" + s, lang), key="na_step")
        if st.form_submit_button(t("create", lang)):
            try:
                perform(ctx, "action.create", touchpoint or "", title, problem or None, owner or None, due, status, step,
                        study=ctx.study, target=touchpoint, details={"title": title, "owner": owner, "status": status,
                                                                     "study_id": ctx.study})
            except actions.ActionError as exc:
                st.error(plain(exc.text(lang)))
            else:
                st.session_state["actions_flash"] = [t("created_action", lang)]
                st.rerun()


if may_edit:
    new_action_form()

plan = actions.plan(con, study=ctx.study)
if plan.empty:
    st.info(t("no_actions", lang))
    st.stop()
c1, c2, c3 = st.columns(3)
everyone = t("segment_filter_help", lang)
owners = c1.multiselect(t("filter_owner", lang), sorted(plan["owner"].dropna().unique()), key="f_owner", placeholder=everyone)
statuses = c2.multiselect(t("filter_status", lang), actions.STATUSES, format_func=lambda s: t("status_" + s, lang), key="f_status",
                          placeholder=everyone)
departments = c3.multiselect(t("filter_department", lang), sorted(plan["department"].dropna().unique()), key="f_department",
                             placeholder=everyone)
keep = pd.Series(True, index=plan.index)
for column, chosen in (("owner", owners), ("status", statuses), ("department", departments)):
    if chosen:
        keep &= plan[column].isin(chosen)
shown = plan[keep]
overdue = int(shown["overdue"].sum())
if overdue:
    st.warning(t("overdue_count", lang, n=overdue))
table = actions_table(shown, lang)
overdue_column = t("a_overdue", lang)
styler = format_table(table.frame, lang, table.format_kinds()).apply(
    lambda row: ["background-color: #fde0dc" if row[overdue_column] is True else "" for _ in row], axis=1)
table_with_downloads(table, "actions_table", "massnahmen" if lang == "de" else "actions", styler=styler)

c1, c2, c3 = st.columns([1, 1, 2])
chosen = c1.selectbox("id", shown["id"].tolist(), format_func=lambda i: f"{i} – {shown.set_index('id').loc[i, 'title'][:40]}",
                      key="edit_id")
current = shown.set_index("id").loc[chosen, "status"]
new_status = c2.selectbox(t("a_status", lang), actions.STATUSES, index=actions.STATUSES.index(current),
                          format_func=lambda s: t("status_" + s, lang), key=f"edit_status_{chosen}")
if c3.button(t("save_changes", lang), key="edit_save", disabled=new_status == current or not may_edit):
    perform(ctx, "action.update", int(chosen), status=new_status, target=int(chosen), details={"status": new_status})
    st.session_state["actions_flash"] = [t("saved", lang)]
    st.rerun()
