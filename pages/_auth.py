"""Who is using the dashboard: the login of each run (from the signed cookie of tpm/gate.py, or OIDC),
the way out, and the page side of the one door for writes (role and study scope checked in tpm/access.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from pages import _streamlit_private as private
from pages._db import cursor
from pages._text import plain
from tpm import access, gate, logins, store
from tpm.i18n import t

if TYPE_CHECKING:
    from pages._ui import Context

def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets.toml: a local installation
        return {}


def authenticate(lang: str) -> access.Actor:
    """The logged-in user (stops the script with a login form or button until there is one)."""
    mode = access.auth_mode(secrets=_secrets())
    if mode == "off":
        if access.open_without_login(st.get_option("server.address")):
            st.error(t("open_refused", lang), icon=":material/lock_open:")
            st.stop()
        return access.LOCAL
    if mode == "oidc":
        return _oidc_user(lang)
    if not gate.SERVING:  # `streamlit run app.py`: nothing serves the login page
        st.error(t("gate_missing", lang), icon=":material/block:")
        st.stop()
    token, user = gate.user_of_cookie(cursor(), _login_cookie())  # on every run: never from session_state
    if user is None:  # logged out (here or in another tab) or expired while the page stayed open
        st.title(t("app_title", lang))
        st.info(t("logged_out", lang), icon=":material/logout:")
        st.link_button(t("login", lang), gate.LOGIN_PATH + f"?lang={lang}", type="primary")
        st.stop()
    session = private.session_id()
    if session is not None:  # uploads to this Streamlit session are accepted from this login only (tpm/gate.py)
        gate.bind(session, token)
    st.session_state["login_token"] = token
    return user


def _login_cookie() -> str | None:
    """The login cookie of this browser (tpm/gate.py sets it on /_tpm/login; the websocket brought it)."""
    return st.context.cookies.get(gate.COOKIE)


def _oidc_user(lang: str) -> access.Actor:
    if not st.user.is_logged_in:
        st.title(t("app_title", lang))
        st.button(t("login_oidc", lang), on_click=st.login, type="primary", key="login_oidc")
        st.stop()
    email = st.user.get("email")
    role = access.role_for_email(email, (_secrets().get("tpm") or {}).get("roles") or {})
    if role is None:
        st.error(t("no_role", lang, email=plain(email or "?")), icon=":material/block:")
        st.button(t("logout", lang), on_click=st.logout, key="logout_norole")
        st.stop()
    return access.Actor(email, role, "oidc")


def logout_button(user: access.Actor, lang: str) -> None:
    """Who is logged in, and the way out (in the sidebar)."""
    if user.via == "off":
        st.caption(t("local_mode", lang))
        return
    st.caption(t("logged_in_as", lang, name=plain(user.name), role=t("role_name_" + user.role, lang)))
    if st.button(t("logout", lang), key="logout"):
        if user.via == "oidc":
            st.logout()
        token = st.session_state.pop("login_token", None)
        logins.end(cursor(), token)  # this login ends in every tab and browser; the next run shows "logged out"
        gate.forget(token)
        st.rerun()


def require_role(ctx: Context, what: str) -> None:
    """Stop a page the user's role does not allow (the navigation hides it, too)."""
    if not access.allowed(ctx.user, what):
        st.error(t("not_allowed", ctx.lang), icon=":material/block:")
        st.stop()


def perform(ctx: Context, action: str, *args, **kwargs):
    """A write through the one door (role check + audit); its data changes refresh every cache."""
    try:
        result = access.perform(cursor(), ctx.user, action, *args, **kwargs)
    except access.OutOfScope:
        st.error(t("not_in_scope", ctx.lang), icon=":material/lock:")
        st.stop()
    except access.Denied:
        st.error(t("not_allowed", ctx.lang), icon=":material/block:")
        st.stop()
    except Exception as exc:
        if not store.disk_full(exc):
            raise
        st.error(t("disk_full", ctx.lang, path=plain(str(store.db_path()))), icon=":material/hard_drive:")
        st.stop()
    st.cache_data.clear()
    return result
