"""The server: ``streamlit run serve.py`` serves app.py behind the web gate (tpm/gate.py: login cookie,
refusals of anonymous uploads/downloads/websockets, security headers, /_tpm/login, /_tpm/health)."""

import streamlit as st

from tpm import gate


def _streamlit_login(cookies) -> bool:
    """OIDC mode: a valid (signed) Streamlit login cookie — the same check Streamlit's websocket makes."""
    from streamlit.web.server.starlette.starlette_websocket import _get_signed_cookie_with_chunks

    try:
        return _get_signed_cookie_with_chunks(dict(cookies), "_streamlit_user") is not None
    except Exception:  # no cookie secret configured, a broken cookie: not logged in
        return False


app = st.App("app.py", routes=gate.routes(), middleware=gate.middleware(oidc_user=_streamlit_login))
