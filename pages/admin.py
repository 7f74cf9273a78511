"""Administration (admins only): users of the built-in login, and the audit trail (table + CSV)."""

import pandas as pd
import streamlit as st

from pages._auth import perform, require_role
from pages._db import cursor
from pages._text import plain
from pages._ui import page_context
from tpm import access, store, studies
from tpm.csv_export import to_safe_csv
from tpm.i18n import t

ctx = page_context()
lang = ctx.lang
st.title(t("page_admin", lang))
require_role(ctx, "users")
for message in st.session_state.pop("admin_flash", []):
    st.success(message, icon=":material/check_circle:")

st.subheader(t("users_title", lang))
mode = ctx.user.via
if mode == "off":
    st.caption(t("users_local", lang))
elif mode == "oidc":
    st.caption(t("users_oidc", lang))
else:
    users = access.list_users(cursor())
    st.dataframe(users, hide_index=True, width="stretch")
    roles = {r: t("role_name_" + r, lang) for r in access.ROLES}
    with st.expander(t("user_add", lang)), st.form("user_add", clear_on_submit=True):
        name = st.text_input(t("user_name", lang), key="ua_name")
        password = st.text_input(t("password", lang), type="password", key="ua_password")
        role = st.selectbox(t("user_role", lang), list(roles), format_func=roles.get, key="ua_role")
        if st.form_submit_button(t("user_add", lang)):
            try:
                perform(ctx, "user.add", name, role, password, target=name, details={"role": role})
            except access.UserError as exc:
                st.error(plain(str(exc)))
            else:
                st.session_state["admin_flash"] = [t("user_added", lang, name=plain(name))]
                st.rerun()
    if not users.empty:
        c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
        who = c1.selectbox(t("user_name", lang), users["name"].tolist(), key="um_name")
        new_role = c2.selectbox(t("user_role", lang), list(roles), format_func=roles.get, key="um_role")
        if c3.button(t("user_set_role", lang), key="um_set_role"):
            perform(ctx, "user.set_role", who, new_role, target=who, details={"role": new_role})
            st.session_state["admin_flash"] = [t("saved", lang)]
            st.rerun()
        if c4.button(t("user_remove", lang), key="um_remove", disabled=who == ctx.user.name):
            perform(ctx, "user.remove", who, target=who)
            st.session_state["admin_flash"] = [t("user_removed", lang, name=plain(who))]
            st.rerun()

st.subheader(t("scopes_title", lang))
all_studies = studies.list_studies(cursor())
if mode == "off":
    st.caption(t("users_local", lang))
elif not all_studies.empty:
    st.caption(t("scopes_help", lang))
    scopes = studies.list_scopes(cursor())
    if scopes.empty:
        st.info(t("scope_none", lang))
    else:
        st.dataframe(pd.DataFrame({t("scope_user", lang): scopes["name"],
                                   t("scope_studies", lang): [", ".join(names) for names in scopes["studies"]]}),
                     hide_index=True, width="stretch")
    names = dict(zip(all_studies["id"].astype(int), all_studies["name"]))
    with st.form("scope"):
        if mode == "password":
            who = st.selectbox(t("scope_user", lang), users["name"].tolist(), key="scope_user")  # (listed above)
        else:  # OIDC: users are known by their e-mail address
            who = st.text_input(t("scope_user", lang), key="scope_user_text").strip()
        picked = st.multiselect(t("scope_studies", lang), list(names), format_func=names.get, key="scope_studies",
                                placeholder=t("scope_pick", lang), select_all=False)
        c1, c2 = st.columns(2)
        limit, lift = c1.form_submit_button(t("scope_save", lang)), c2.form_submit_button(t("scope_lift", lang))
    if (limit or lift) and who:
        try:
            chosen = None if lift else picked
            perform(ctx, "user.studies", who, chosen, target=who, details={"studies": chosen})
        except studies.StudyError as exc:
            st.error(plain(str(exc)))
        else:
            st.session_state["admin_flash"] = [t("saved", lang)]
            st.rerun()

st.subheader(t("audit_title", lang))
log = store.audit_log(cursor())
if log.empty:
    st.info(t("audit_empty", lang))
else:
    st.dataframe(log, hide_index=True, width="stretch")
    st.download_button(t("audit_export", lang), to_safe_csv(log), file_name="tpm-audit.csv", mime="text/csv", key="audit_csv")
