"""The server: ``streamlit run serve.py`` serves app.py behind the web gate (tpm/gate.py: login cookie,
refusals of anonymous uploads/downloads/websockets, security headers, /_tpm/login, /_tpm/health)."""

import streamlit as st

from pages import _streamlit_private as private
from tpm import gate

app = st.App("app.py", routes=gate.routes(), middleware=gate.middleware(oidc_user=private.streamlit_login))
