"""Writes in one transaction (all or nothing), the data version they bump (the pages' caches key on
it), and a full disk told apart from other errors."""

from __future__ import annotations

import errno
import os
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb


@contextmanager
def changing(con: duckdb.DuckDBPyConnection):
    """One transaction that changes the data: committed with a raised data version, or rolled back."""
    with transaction(con, bump=True):
        yield con


def bump_version(con: duckdb.DuckDBPyConnection) -> None:
    """Mark the data as changed (cached aggregates are recomputed)."""
    _bump_version(con)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, bump: bool = True):
    """One transaction: all of the block's changes, or (on any error) none; ``bump`` marks the data as changed."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        if bump:
            _bump_version(con)
        con.execute("COMMIT")
    except BaseException:
        rollback_quietly(con)
        raise


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    """A counter raised by every change of the data: the cache key for aggregates."""
    row = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
    return row[0] if row else "0"


def _bump_version(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """INSERT INTO meta VALUES ('data_version', '1')
           ON CONFLICT (key) DO UPDATE SET value = (CAST(meta.value AS BIGINT) + 1)::VARCHAR"""
    )


def rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back after an error without hiding it: DuckDB may have ended the transaction itself
    (a failed commit on a full disk), and "no transaction is active" would replace the real cause."""
    with suppress(duckdb.Error):
        con.execute("ROLLBACK")


class DiskFull(Exception):
    """The disk holding the database (or DuckDB's spill files next to it) has no space left."""

    def __init__(self, path: str | os.PathLike):
        from tpm.i18n import t

        self.path = Path(path)
        super().__init__(t("disk_full", "en", path=str(self.path)))


def disk_full(exc: BaseException) -> bool:
    """True if ``exc`` means "no space left on the disk".

    DuckDB says so in two ways: ``Could not write file "…": No space left on device`` (writing the
    file or its log; also inside a later "database has been invalidated" error), and, when a query
    spills to its temporary directory (``<db>.tmp``) on a full disk, ``Out of Memory Error: failed to
    offload data block …`` naming ``max_temp_directory_size`` — whose default is the free disk space
    (TPM never sets it), so there that is a full disk, not a lack of memory."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and (
        "no space left on device" in text or ("failed to offload" in text and "max_temp_directory_size" in text))
