"""The database of a script run: created, migrated and seeded once per server process, opened for each
run and closed at its end (so that a CLI import can take the file between runs)."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from datetime import date

import streamlit as st

from pages._text import language
from tpm import store
from tpm.followup.retention import purge
from tpm.i18n import t
from tpm.seed import seed_if_empty

# One connection per script run, so that a CLI import can take the file between runs.
#
# DuckDB lets one process at a time open a file for writing. A connection kept for the server's
# lifetime would lock the analysts' `python -m tpm ingest` out for good; here each script run opens
# the file (the connections of concurrent runs share one database instance: ~18 ms for the first,
# nothing for the others) and closes it at its end, and a waiting CLI writer goes first.

_run = threading.local()
_orphans: list[tuple[threading.Thread, object]] = []  # connections of runs that did not start in app.py
_orphans_lock = threading.Lock()
BUSY_WAIT = 60.0  # seconds a visitor waits for an import to finish before a message instead of the page


_ready: set[str] = set()
_ready_lock = threading.Lock()


def database(path: str, on_wait=None) -> str:
    """Create, migrate and (on first start) seed the database file, once per server process."""
    if path not in _ready:
        with _ready_lock:
            if path not in _ready:
                con = store.open_retrying(path, wait=BUSY_WAIT, on_wait=on_wait)
                try:
                    if os.environ.get("TPM_SEED", "1") != "0":  # a hosted installation starts empty (Dockerfile)
                        seed_if_empty(con)
                    purge(con, date.today(), via="server")  # retention of follow-up data, once per server start
                finally:
                    con.close()
                _ready.add(path)
    return path


def _open(path: str):
    """This run's connection; while an import holds the file, "busy, retrying" instead of an error."""
    note = st.empty()

    def busy(_seconds):
        note.info(t("db_busy", language()), icon=":material/hourglass_top:")

    try:
        database(path, busy)
        con = store.open_retrying(path, wait=BUSY_WAIT, migrate_schema=False, yield_to_writer=True, on_wait=busy)
    except store.Busy:
        note.error(t("db_busy_gave_up", language()), icon=":material/block:")
        st.stop()
    note.empty()
    return con


def _close_orphans() -> None:
    with _orphans_lock:
        for thread, con in list(_orphans):
            if not thread.is_alive():
                con.close()
                _orphans.remove((thread, con))


@contextmanager
def run_database():
    """The database for this script run (app.py wraps the whole run in it): closed when the run ends."""
    _close_orphans()
    con = _open(str(store.db_path()))
    _run.con = con
    try:
        yield con
    finally:
        _run.con = None
        con.close()


def cursor():
    """The database connection of this script run."""
    con = getattr(_run, "con", None)
    if con is None:  # a page run without app.py (see page_context): closed once its thread has ended
        _close_orphans()
        con = _run.con = _open(str(store.db_path()))
        with _orphans_lock:
            _orphans.append((threading.current_thread(), con))
    return con
