"""Opening the database: create or migrate it (building studies and compact tables, which sit above
the store's own modules), retried while another process writes, announced for a CLI writer."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

from tpm import compact, studies
from tpm.store.comment_text import fill as fill_comment_text
from tpm.store.files import Busy, _private_umask, announced_writer, db_path, is_locked, private_files, writer_waiting
from tpm.store.memory import _returning_memory
from tpm.store.schema import COMMENT_TEXT_SCHEMA, SCHEMA_VERSION, _schema_version, create_tables
from tpm.store.transactions import transaction


def open_retrying(path: str | os.PathLike | None = None, wait: float = 30.0, on_wait=None, migrate_schema: bool = True,
                  yield_to_writer: bool = False, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """:func:`connect`, retried for up to ``wait`` seconds while another process holds the file.

    ``on_wait(seconds_waited)`` is called once, when the first attempt finds the file busy (to say so).
    With ``yield_to_writer`` (the dashboard), a waiting CLI writer goes first. Raises :class:`Busy`.
    """
    path = db_path(path)
    start, delay, told = time.monotonic(), 0.02, False
    while True:
        if not (yield_to_writer and writer_waiting(path)):
            try:
                if read_only:
                    return connect(path, read_only=True)
                if migrate_schema or not path.exists():
                    return connect(path)
                _private_umask()
                con = _returning_memory(duckdb.connect(str(path)))
                private_files(path)
                return con
            except duckdb.IOException as exc:
                if not is_locked(exc):
                    raise
        waited = time.monotonic() - start
        if waited >= wait:
            raise Busy(f"the database '{path.name}' is in use by another process; gave up after {waited:.0f} s")
        if on_wait and not told:
            on_wait(waited)
            told = True
        time.sleep(min(delay, max(0.0, wait - waited)))
        delay = min(delay * 2, 0.5)


@contextmanager
def writing(path: str | os.PathLike | None = None, wait: float = 30.0, on_wait=None):
    """The database for one write from a separate process (the CLI): announce it so the dashboard
    steps back between its script runs, take the lock (waiting up to ``wait`` s), close right after."""
    path = db_path(path)
    _private_umask()
    path.parent.mkdir(parents=True, exist_ok=True)
    with announced_writer(path):
        con = open_retrying(path, wait, on_wait)
        try:
            yield con
        finally:
            con.close()


def connect(path: str | os.PathLike | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and create/migrate) the database file."""
    path = db_path(path)
    _private_umask()
    if read_only and path.exists():
        if needs_migration(path):  # a file of an older version: migrate once, then read
            connect(path).close()
        private_files(path)
        return _returning_memory(duckdb.connect(str(path), read_only=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _returning_memory(duckdb.connect(str(path)))
    private_files(path)
    migrate(con)
    return con


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    before_studies = studies.needs_migration(con)
    if before_studies:  # version 1: datasets grouped into studies, the inventory given to them
        create_tables(con)
        studies.migrate_to_studies(con)
    with transaction(con, bump=False):  # one commit, not one per table (a new file: 0.13 s → 0.02 s)
        if not before_studies:
            create_tables(con)
        if before_studies or _schema_version(con) < 7:  # made before the compact tables (or their set keys): built anew
            compact.refresh_all(con)
        if _schema_version(con) < COMMENT_TEXT_SCHEMA:  # comments stored before their folded text and lemmas: filled once
            fill_comment_text(con)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])


def needs_migration(path: Path) -> bool:
    """True if the database file was made by an older version (opened read-only to look)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return studies.needs_migration(con) or _schema_version(con) < SCHEMA_VERSION
    finally:
        con.close()
