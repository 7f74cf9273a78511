"""Each private Streamlit hook of pages/_streamlit_private.py against the installed Streamlit: a new
version that renames or changes one fails here (and the module warns at import on another version)."""

import inspect

import streamlit

from pages import _streamlit_private as private


def test_the_pinned_streamlit_is_the_tested_one():
    from conftest import ROOT

    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pinned = next(line.split("==")[1].split()[0] for line in lines if line.startswith("streamlit=="))
    assert streamlit.__version__ == pinned == private.TESTED_WITH


def test_session_id_and_forget_upload_hooks():
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext

    fields = {f for f in getattr(ScriptRunContext, "__dataclass_fields__", {})}
    assert {"session_id", "uploaded_file_mgr", "pages_manager"} <= fields
    assert list(inspect.signature(MemoryUploadedFileManager.remove_file).parameters)[1:] == ["session_id", "file_id"]  # the server's
    assert get_script_run_ctx() is None and private.session_id() is None  # outside a run: no session, no error
    private.forget_upload("nothing")  # outside a run: nothing to forget, no error


def test_pages_directory_and_routing_hooks():
    from streamlit.runtime.pages_manager import PagesManager

    assert isinstance(PagesManager.uses_pages_directory, (bool, type(None)))
    assert callable(PagesManager.set_script_intent)
    assert list(inspect.signature(PagesManager.set_script_intent).parameters)[1:3] == ["page_script_hash", "page_name"]
    assert "intended_page_name" in dir(PagesManager) or "intended_page_name" in inspect.getsource(PagesManager)
    before = PagesManager.uses_pages_directory
    try:
        private.leave_pages_directory_mode()
        assert PagesManager.uses_pages_directory is False
    finally:
        PagesManager.uses_pages_directory = before
    assert private.requested_page() is None  # outside a run


def test_streamlit_login_cookie_hook():
    from streamlit.web.server.starlette import starlette_websocket

    assert callable(starlette_websocket._get_signed_cookie_with_chunks)
    assert private.streamlit_login({}) is False
    assert private.streamlit_login({"_streamlit_user": "forged"}) is False
