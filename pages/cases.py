"""Cases: the follow-up cases of the study's alert rules (issue #22) and the rules themselves, in two tabs (``k.tab``).

The list comes from tpm/followup/caselist.py (overdue first; contact columns only through with_contacts). Viewers see
the counts only. Analysts assign, set the status, close with an outcome and add notes to the selected cases, and add,
remove and run rules — every write through the one door (pages/_auth.py ``perform``: role, scope, audit). Every
user text is shown as plain text; a rule the parser refuses is named in the user's language and nothing is stored.
"""

import streamlit as st

from pages._auth import perform
from pages._db import cursor
from pages._text import plain
from pages._ui import choice, page_start
from tpm import access
from tpm.followup import cases as followup
from tpm.followup.caselist import case_list
from tpm.followup.notify import failures
from tpm.followup.rules import RuleError
from tpm.formatting import fmt_date, fmt_number
from tpm.i18n import t

FLASH = "cases_flash"  # the message of a write, shown after the rerun that shows its result

ctx = page_start("page_cases")
lang = ctx.lang
may_edit = access.allowed(ctx.user, "edit")


def attempt(write) -> bool:
    """Run a write; a refused value (RuleError) is shown in the user's language, as plain text."""
    try:
        write()
    except RuleError as exc:
        st.error(plain(exc.text(lang)), icon=":material/error:")
        return False
    return True


def done(message: str) -> None:
    st.session_state[FLASH] = message
    st.rerun()


def shown(frame):
    """The analyst's table: translated headers, dates in the user's language, overdue marked, status labels."""
    table = frame.drop(columns=["overdue"]).copy()
    # contact columns only where the study has contact data (a file without a contact column: no empty columns)
    table = table.drop(columns=[c for c in ("email", "phone", "customer_no") if c in table and table[c].isna().all()])
    table["opened_at"] = [fmt_date(v, lang) for v in frame["opened_at"]]
    table["due_at"] = [fmt_date(v, lang) + (f" {t('cases_overdue_mark', lang)}" if late else "")
                       for v, late in zip(frame["due_at"], frame["overdue"], strict=True)]
    table["status"] = [t(f"case_status_{s}", lang) for s in frame["status"]]
    table["nps"] = [fmt_number(v, 0, lang) if v == v and v is not None else "" for v in frame["nps"]]
    names = {"id": "id", "opened_at": "opened", "due_at": "due", "respondent_id": "respondent"}
    return table.rename(columns={c: t(f"cases_col_{names.get(c, c)}", lang) if c != "nps" else "NPS" for c in table.columns})


def actions(ids: list[int]) -> None:
    """Assign, set the status, close with an outcome, add a note — for the selected cases."""
    c1, c2 = st.columns(2)
    owner = c1.text_input(t("cases_assign_to", lang), key="k_owner")
    if c1.button(t("cases_assign", lang), key="k_assign", disabled=not ids) and attempt(
            lambda: perform(ctx, "case.assign", ids, owner, target=",".join(map(str, ids)), details={"to": owner})):
        done(t("cases_done", lang, n=len(ids)))
    status = c2.selectbox(t("cases_set_status", lang), list(followup.STATUSES), key="k_status",
                          format_func=lambda s: t(f"case_status_{s}", lang))
    if c2.button(t("cases_set_status", lang), key="k_set_status", disabled=not ids) and attempt(
            lambda: perform(ctx, "case.status", ids, status, target=",".join(map(str, ids)), details={"status": status})):
        done(t("cases_done", lang, n=len(ids)))
    outcome = c1.text_input(t("cases_outcome", lang), key="k_outcome")
    if c1.button(t("cases_close", lang), key="k_close", disabled=not ids) and attempt(
            lambda: [perform(ctx, "case.close", i, outcome, target=i, details={"outcome": outcome}) for i in ids]):
        done(t("cases_done", lang, n=len(ids)))
    note = c2.text_area(t("cases_note", lang), key="k_note")
    if c2.button(t("cases_add_note", lang), key="k_add_note", disabled=not ids) and attempt(
            lambda: [perform(ctx, "case.note", i, note, ctx.user.name, target=i) for i in ids]):
        done(t("cases_done", lang, n=len(ids)))


def cases_tab(con) -> None:
    c1, c2 = st.columns(2)
    mine = c1.toggle(t("cases_mine", lang), key="k_mine")
    status = choice(t("cases_status_filter", lang), ["", *followup.STATUSES], "k.status", "",
                    lambda s: t(f"case_status_{s}", lang) if s else t("cases_any_status", lang), c2)
    frame = case_list(con, ctx.study, ctx.user.role, access.visible_studies(con, ctx.user), lang,
                      status=status or None, owner=ctx.user.name if mine else None)
    st.markdown(t("cases_count", lang, n=fmt_number(len(frame), 0, lang), overdue=fmt_number(int(frame["overdue"].sum()), 0, lang)))
    if not may_edit:  # viewers: the counts, no table, no contact data
        st.caption(t("cases_viewer_counts", lang))
        return
    failed = failures(con, ctx.study)
    if len(failed):
        st.warning("\n".join([t("cases_failures", lang)] + [
            "- " + plain(t("notify_failed", lang, channel=r.channel, case_id=r.case_id, tries=r.tries, error=r.last_error))
            for r in failed.itertuples(index=False)]), icon=":material/notifications_off:")
    if frame.empty:
        st.info(t("cases_none", lang))
        return
    st.dataframe(shown(frame), hide_index=True, key="k_table")
    ids = st.multiselect(t("cases_pick", lang), [int(i) for i in frame["id"]], key="k_pick", format_func=lambda i: f"#{i}",
                         help=t("cases_pick_help", lang), placeholder=t("cases_pick_none", lang))
    actions(ids)


def rules_tab(con) -> None:
    frame = followup.rules(con, ctx.study)
    if frame.empty:
        st.info(t("rules_none", lang))
    else:
        table = frame.assign(
            conditions=[" · ".join(c) for c in frame["conditions"]],
            any_of=[t("rules_or" if v else "rules_and", lang) for v in frame["any_of"]],
            sla_days=[fmt_number(v, 0, lang) if v == v and v is not None else "–" for v in frame["sla_days"]],
        )[["name", "conditions", "any_of", "sla_days", "cases"]]
        names = {"any_of": "combine", "sla_days": "sla"}
        st.dataframe(table.rename(columns={c: t(f"rules_col_{names.get(c, c)}", lang) for c in table.columns}),
                     hide_index=True, key="k_rules")
    if not may_edit:
        return
    st.subheader(t("rules_add", lang))
    name = st.text_input(t("rules_name", lang), key="k_rule_name")
    conditions = st.text_area(t("rules_conditions", lang), key="k_rule_conditions", help=t("rules_conditions_help", lang))
    any_of = st.toggle(t("rules_any", lang), key="k_rule_any")
    sla = st.number_input(t("rules_sla", lang), min_value=0, value=followup.DEFAULT_SLA_DAYS, step=1, key="k_rule_sla")
    lines = [line for line in conditions.splitlines() if line.strip()]
    if st.button(t("rules_add", lang), key="k_rule_add", type="primary") and attempt(
            lambda: perform(ctx, "alert.add", ctx.study, name, lines, any_of=any_of, sla_days=int(sla), target=name,
                            details={"study_id": ctx.study, "conditions": lines, "any_of": any_of, "sla_days": int(sla)})):
        done(t("rules_added", lang, name=plain(name)))
    ran = {}
    if st.button(t("rules_run", lang), key="k_rule_run") and attempt(
            lambda: ran.update(n=perform(ctx, "alert.run", ctx.study, target=str(ctx.study), details={"study_id": ctx.study}))):
        done(t("rules_run_done", lang, n=fmt_number(ran["n"], 0, lang)))
    if not frame.empty:
        st.subheader(t("rules_remove", lang))
        gone = st.selectbox(t("rules_remove", lang), list(frame["name"]), key="k_rule_gone", format_func=plain,
                            label_visibility="collapsed")
        if st.button(t("rules_remove_button", lang), key="k_rule_remove") and attempt(
                lambda: perform(ctx, "alert.remove", ctx.study, gone, target=gone, details={"study_id": ctx.study})):
            done(t("rules_removed", lang, name=plain(gone)))


if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH), icon=":material/check:")
con = cursor()
tabs = st.tabs([t("cases_tab_cases", lang), t("cases_tab_rules", lang)], key="k.tab", bind="query-params",
               on_change="rerun")
for tab, draw in zip(tabs, (cases_tab, rules_tab), strict=True):
    if tab.open:
        with tab:
            draw(con)
