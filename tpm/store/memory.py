"""DuckDB's memory and threads while writing: the memory limit lowered during an import, the thread
setting shared by the blocks that change it, freed memory handed back to the system."""

from __future__ import annotations

import threading
from contextlib import contextmanager, suppress

import duckdb


def _returning_memory(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """DuckDB's allocator hands freed memory back to the system in the background: after an import
    (a 52 MB file kept as a BLOB) the server holds ~50 MB instead of ~150 MB of freed buffers."""
    con.execute("SET allocator_background_threads = true")
    return con


IMPORT_HEADROOM = 64 * 1024 * 1024  # bytes DuckDB may hold beyond what it held when an import began
_UNITS = {"B": 1, "BYTES": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
          "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3, "TIB": 1024**4}


def _size_bytes(text: str, middle: bool = False) -> int | None:
    """DuckDB's spelling of a size ("18.8 GiB", "64.0 MiB", "134217728B") in bytes; None if unreadable.
    ``middle``: the middle of the range DuckDB shows that way (it shows one decimal, rounded down),
    so that setting it again shows the same text."""
    import re

    match = re.fullmatch(r"\s*([0-9]+)(?:\.([0-9]*))?\s*([A-Za-z]*)\s*", text or "")
    unit = _UNITS.get((match.group(3) or "B").upper()) if match else None
    if not unit:
        return None
    decimals = match.group(2) or ""
    value = float(f"{match.group(1)}.{decimals or 0}")
    return int((value + (0.5 * 10 ** -len(decimals) if middle else 0)) * unit)


class lean_memory:
    """DuckDB's memory limit lowered while an import writes (a context manager), restored afterwards.

    With its default limit (80 % of the RAM) DuckDB keeps what an insert buffered — row groups
    already written to the file, the copies of the kept file's BLOB — in memory until the limit
    presses: a 50 MB upload's import held ~140 MB more at its commit, ~60 MB less with a limit of
    64 MB (DuckDB frees or spills its buffers earlier; the import is as fast). The limit is what
    DuckDB holds when the import begins plus :data:`IMPORT_HEADROOM`, raised by :meth:`need` for
    a value that must fit at once (the kept file); never above the limit that was set. Nested or
    concurrent imports share one lowering: the last one out restores the setting. Other queries
    running meanwhile share the lower limit (DuckDB spills their intermediates to disk if need be).
    """

    _lock = threading.Lock()
    _users = 0
    _restore: str | None = None

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        # a connection of its own to the same database (the setting is the database's): it works
        # while the import's transaction is open, or aborted by an error
        self.con, self.entered = con.cursor(), False

    def _setting(self) -> str:
        return str(self.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])

    def __enter__(self) -> lean_memory:
        cls = type(self)
        with cls._lock:
            if cls._users == 0:
                cls._restore = self._setting()
            cls._users += 1
            self.entered = True
        self.need(0)
        return self

    def need(self, nbytes: int) -> None:
        """Room for ``nbytes`` that DuckDB must hold in memory at once, on top of what it holds now."""
        used = int(self.con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchall()[0][0])
        limit = used + max(IMPORT_HEADROOM, 2 * nbytes)
        now, configured = _size_bytes(self._setting()), _size_bytes(type(self)._restore or "")
        if configured is not None and limit >= configured:
            return
        if nbytes and now is not None and now >= limit:
            return  # never lowered further while the import runs
        self.con.execute(f"SET memory_limit = '{limit}B'")

    def __exit__(self, *exc) -> None:
        cls = type(self)
        try:
            with cls._lock:
                if not self.entered:
                    return
                self.entered = False
                cls._users -= 1
                if cls._users == 0 and cls._restore is not None:
                    self._evict()
                    self.con.execute("RESET memory_limit")  # the default (80 % of the RAM) exactly, not a rounded copy
                    if self._setting() != cls._restore and _size_bytes(cls._restore) is not None:  # a limit that was set
                        self.con.execute(f"SET memory_limit = '{_size_bytes(cls._restore, middle=True)}B'")
                    cls._restore = None
        finally:
            self.con.close()

    def _evict(self) -> None:
        """Drop the blocks the import left in DuckDB's cache (the rows just written, the kept file:
        ~27 MB of the 52 MB CSV's import) by a moment's limit of :data:`EVICT_TO`: they are on disk
        and read again when a page asks. Best effort: where DuckDB cannot free that much (pinned
        blocks of a query running meanwhile) the limit is simply restored."""
        with suppress(duckdb.Error):
            self.con.execute(f"SET memory_limit = '{EVICT_TO}B'")


#: the memory limit for a moment at an import's end, to empty DuckDB's cache (see lean_memory._evict)
EVICT_TO = 16 * 1024 * 1024


_insert_threads: int | None = None  # see insert_threads


@contextmanager
def insert_threads(n: int):
    """Inside, :func:`insert_rows` inserts an import's rows on ``n`` DuckDB threads, then sets the
    setting back. For a process alone with its DuckDB (the import command): on one thread the rows
    go in, in file order, with less work than on two (DuckDB's parallel insert has to restore their
    order; 100 000 × 28 xlsx: 0.45 → 0.30 s); what follows them runs with the setting as it was
    (the compact tables choose their own). A server leaves it be (its pages query meanwhile; the
    setting is the database's)."""
    global _insert_threads
    before, _insert_threads = _insert_threads, n
    try:
        yield
    finally:
        _insert_threads = before


_THREADS = {"lock": threading.Lock(), "users": 0, "before": 0}


@contextmanager
def duckdb_threads(con: duckdb.DuckDBPyConnection, n: int | None):
    """DuckDB on ``n`` threads inside (None: as it is), then the setting as it was. The setting is
    the database's: queries of other sessions share it meanwhile, and blocks running at the same
    time share one change (the first in records the setting, the last out restores it). Set
    through a cursor of its own, which works while the caller's transaction is open or aborted."""
    if n is None:
        yield
        return
    own = con.cursor()
    try:
        with _THREADS["lock"]:
            if _THREADS["users"] == 0:
                _THREADS["before"] = int(own.execute("SELECT current_setting('threads')").fetchall()[0][0])
            _THREADS["users"] += 1
            own.execute(f"SET threads = {int(n)}")
        try:
            yield
        finally:
            with _THREADS["lock"]:
                _THREADS["users"] -= 1
                if _THREADS["users"] == 0:
                    own.execute(f"SET threads = {_THREADS['before']}")
    finally:
        own.close()
