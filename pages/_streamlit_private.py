"""Every call into Streamlit's private API, in one place, with the version they were written for.

Streamlit has no public API for these five needs; each hook below names the private object it uses,
and ``tests/test_streamlit_private.py`` checks each one against the installed Streamlit (a new
Streamlit version that renames or removes one fails that test, not a page at run time). On another
version than :data:`TESTED_WITH` the module logs a warning once at import.

Hooks:

- :func:`session_id` — the id of this browser session (``get_script_run_ctx().session_id``);
- :func:`forget_upload` — drop an uploaded file Streamlit would otherwise keep for the whole session
  (``UploadedFileManager.remove_file``);
- :func:`leave_pages_directory_mode` — stop Streamlit's multipage-v1 routing of the ``pages/`` folder
  before ``st.navigation`` has run once (``PagesManager.uses_pages_directory``);
- :func:`requested_page` / :func:`open_default_page` — read the page a URL asked for and turn the
  request into one for the default page (``PagesManager.intended_page_name`` / ``set_script_intent``);
- :func:`streamlit_login` — is a cookie jar's signed Streamlit login cookie (OIDC) valid
  (``starlette_websocket._get_signed_cookie_with_chunks``, the check Streamlit's websocket makes).
"""

from __future__ import annotations

import logging

import streamlit

#: the Streamlit version these hooks were written and tested for (requirements.txt pins it)
TESTED_WITH = "1.67.0"

if streamlit.__version__ != TESTED_WITH:
    logging.getLogger(__name__).warning(
        "Streamlit %s, but the private hooks of pages/_streamlit_private.py were tested with %s: "
        "run tests/test_streamlit_private.py", streamlit.__version__, TESTED_WITH)


def _run():
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    return get_script_run_ctx()


def session_id() -> str | None:
    """This browser session's id (None outside a script run)."""
    run = _run()
    return None if run is None else run.session_id


def forget_upload(file_id: str) -> None:
    """Forget an uploaded file's bytes now (Streamlit keeps an upload for the whole session unless the
    browser removes it)."""
    run = _run()
    if run is not None and run.uploaded_file_mgr is not None:
        run.uploaded_file_mgr.remove_file(session_id=run.session_id, file_id=file_id)


def leave_pages_directory_mode() -> None:
    """Switch off Streamlit's routing of the ``pages/`` folder (on in a fresh server process until
    ``st.navigation`` has run once)."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def requested_page() -> str | None:
    """The page name the request's URL asked for (before routing), if any."""
    manager = getattr(_run(), "pages_manager", None)
    return getattr(manager, "intended_page_name", None)


def open_default_page() -> None:
    """Turn this request into one for the default page."""
    manager = getattr(_run(), "pages_manager", None)
    if manager is not None and hasattr(manager, "set_script_intent"):
        manager.set_script_intent("", "")


def streamlit_login(cookies) -> bool:
    """OIDC mode: a valid (signed) Streamlit login cookie among ``cookies``."""
    from streamlit.web.server.starlette.starlette_websocket import _get_signed_cookie_with_chunks

    try:
        return _get_signed_cookie_with_chunks(dict(cookies), "_streamlit_user") is not None
    except Exception:  # no cookie secret configured, a broken cookie: not logged in
        return False
