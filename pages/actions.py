"""Action plan: measures per touchpoint with owner, due date, status, cycle step — and their effect."""

import streamlit as st

from pages._auth import perform
from pages._db import cursor
from pages._text import plain
from pages._ui import page_start, table_with_downloads, url_multiselect
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
c1, c2, c3, c4 = st.columns(4)
status_name = lambda s: t("status_" + s, lang)  # noqa: E731
owners = url_multiselect(t("filter_owner", lang), sorted(plan["owner"].dropna().unique()), "owner", "f_owner", lang, container=c1)
statuses = url_multiselect(t("filter_status", lang), list(actions.STATUSES), "status", "f_status", lang, status_name, container=c2)
departments = url_multiselect(t("filter_department", lang), sorted(plan["department"].dropna().unique()), "department",
                              "f_department", lang, container=c3)
touchpoints = url_multiselect(t("touchpoint", lang), sorted(plan["touchpoint"].unique()), "tp", "f_touchpoint", lang, container=c4)
shown = actions.filtered(plan, owner=owners, status=statuses, department=departments, touchpoint=touchpoints)
overdue = int(shown["overdue"].sum())
if overdue:
    st.warning(t("overdue_count", lang, n=overdue))
table = actions_table(shown, lang)
overdue_column = t("a_overdue", lang)
styler = format_table(table.frame, lang, table.format_kinds()).apply(
    lambda row: ["background-color: #fde0dc" if row[overdue_column] is True else "" for _ in row], axis=1)
table_with_downloads(table, "actions_table", "massnahmen" if lang == "de" else "actions", styler=styler)
if not may_edit or shown.empty:  # viewers browse, filter and download; edits and deletes check the role again
    st.stop()


def edit_form(action: dict) -> None:
    """Every field of one measure; saved together (a new touchpoint or baseline wave takes its baseline again)."""
    key = action["id"]
    names = inventory.load(con, ctx.study)["name"].tolist()
    names += [] if action["touchpoint"] in names else [action["touchpoint"]]
    waves = [None, *actions.waves(con, ctx.study)]
    with st.form(f"edit_action_{key}"):
        touchpoint = st.selectbox(t("touchpoint", lang), names, index=names.index(action["touchpoint"]), key=f"ea_touchpoint_{key}")
        title = st.text_input(t("a_title", lang), value=action["title"], key=f"ea_title_{key}")
        problem = st.text_area(t("a_problem", lang), value=action["problem"] or "", key=f"ea_problem_{key}")
        c1, c2, c3, c4, c5 = st.columns([2, 2, 2, 2, 3])
        owner = c1.text_input(t("a_owner", lang), value=action["owner"] or "", key=f"ea_owner_{key}")
        due = c2.date_input(t("a_due", lang), value=action["due"], key=f"ea_due_{key}",
                            format="DD.MM.YYYY" if lang == "de" else "YYYY-MM-DD")
        status = c3.selectbox(t("a_status", lang), actions.STATUSES, index=actions.STATUSES.index(action["status"]),
                              format_func=status_name, key=f"ea_status_{key}")
        steps = [None, *actions.STEPS]
        step = c4.selectbox(t("a_step", lang), steps, index=steps.index(action["step"]) if action["step"] in steps else 0,
                            format_func=lambda s: t("step_" + s, lang) if s else "—", key=f"ea_step_{key}")
        wave = c5.selectbox(t("a_baseline_wave", lang), waves, index=waves.index(action["baseline_wave"])
                            if action["baseline_wave"] in waves else 0,
                            format_func=lambda w: plain(w) if w else t("latest_wave", lang), key=f"ea_wave_{key}")
        if st.form_submit_button(t("save_changes", lang)):
            fields = dict(touchpoint=touchpoint, title=title, problem=problem, owner=owner, due=due, status=status, step=step,
                          baseline_wave=wave)
            try:
                perform(ctx, "action.update", int(key), target=int(key), details={"study_id": ctx.study, **fields}, **fields)
            except actions.ActionError as exc:
                st.error(plain(exc.text(lang)), icon=":material/block:")
            else:
                st.session_state["actions_flash"] = [t("saved", lang)]
                st.rerun()


st.subheader(t("edit_action", lang))
titles = dict(zip(shown["id"].astype(int), shown["title"]))
chosen = st.selectbox(t("edit_pick", lang), list(titles), format_func=lambda i: f"{i} – {titles[i][:60]}", key="edit_id")
current = actions.get(con, chosen)
edit_form(current)
with st.expander(t("delete_action", lang), icon=":material/delete:"):
    sure = st.checkbox(t("delete_action_confirm", lang, title=plain(current["title"])), key=f"delete_action_sure_{chosen}")
    if st.button(t("delete_action", lang), disabled=not sure, key="delete_action_button"):
        perform(ctx, "action.delete", int(chosen), target=int(chosen), details={"study_id": ctx.study, "title": current["title"]})
        st.session_state["actions_flash"] = [t("deleted_action", lang, title=plain(current["title"]))]
        st.rerun()
