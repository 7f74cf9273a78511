"""The DuckDB database below the compact tables and the studies: schema, writer lock, transactions,
memory and thread settings, dataset listing and deletion, health. Opening (with the migration) is
:mod:`tpm.store.opening`, an import :mod:`tpm.store.importing`; :mod:`tpm.store` offers all three.

One file (default ``data/tpm.duckdb``) holds everything. Tables follow DESIGN.md's
canonical model; ratings, segments and comments are long and sparse. No user text is
ever put into SQL: every value goes in as a bound parameter or a registered frame.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: the writer flag falls back to its age
    fcntl = None

import duckdb
import pandas as pd


DEFAULT_DB = Path("data") / "tpm.duckdb"
SCHEMA_VERSION = 8  # bump with a migration in migrate() when the tables change (2: studies; 3: weights; 4: study scopes;
                   # 5: dataset_files; 6: the compact count tables of tpm.compact; 7: those rebuilt, a multiple-choice
                   # question's options keyed as a set; 8: LOGIN_SCHEMA, the web sessions and failed logins)

SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS study_ids START 1;
CREATE TABLE IF NOT EXISTS studies (
    id INTEGER PRIMARY KEY DEFAULT nextval('study_ids'),
    name VARCHAR NOT NULL,          -- unique, case-insensitively (checked by tpm.studies)
    created_at TIMESTAMP NOT NULL,
    phases JSON                     -- the journey phases of this study (NULL: the defaults)
);
CREATE SEQUENCE IF NOT EXISTS dataset_ids START 1;
CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY DEFAULT nextval('dataset_ids'),
    study_id INTEGER,               -- every dataset (wave) belongs to exactly one study
    name VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL UNIQUE,
    platform VARCHAR,
    wave VARCHAR,
    uploaded_at TIMESTAMP NOT NULL,
    uploaded_by VARCHAR,
    rows INTEGER NOT NULL,
    mapping JSON NOT NULL,
    report JSON NOT NULL
);
CREATE TABLE IF NOT EXISTS respondents (
    dataset_id INTEGER NOT NULL,
    resp INTEGER NOT NULL,          -- 0-based row of the respondent within its dataset: the join key
    respondent_id VARCHAR NOT NULL, -- the id as the export gave it (or "row-N")
    row_number INTEGER,
    responded_at TIMESTAMP,
    nps DOUBLE,
    weight DOUBLE                   -- survey weight, rescaled to sum to n per dataset; NULL = unweighted
);
CREATE TABLE IF NOT EXISTS dont_know (  -- "weiß nicht" / "k.A." answers: not a score, counted
    dataset_id INTEGER NOT NULL,
    resp INTEGER NOT NULL,
    touchpoint VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS ratings (
    dataset_id INTEGER NOT NULL,
    resp INTEGER NOT NULL,
    touchpoint VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    scale_min SMALLINT NOT NULL,
    scale_max SMALLINT NOT NULL
);
CREATE TABLE IF NOT EXISTS segments (
    dataset_id INTEGER NOT NULL,
    resp INTEGER NOT NULL,
    segment VARCHAR NOT NULL,
    value VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS comments (
    dataset_id INTEGER NOT NULL,
    resp INTEGER NOT NULL,
    question VARCHAR NOT NULL,
    text VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS touchpoints (
    study_id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    PRIMARY KEY (study_id, name)
);
CREATE TABLE IF NOT EXISTS touchpoint_aliases (
    study_id INTEGER NOT NULL,
    alias VARCHAR NOT NULL,      -- lower-case header spelling from a survey ("telefon-hotline")
    name VARCHAR NOT NULL,       -- the inventory touchpoint it means ("Hotline")
    PRIMARY KEY (study_id, alias)
);
CREATE SEQUENCE IF NOT EXISTS action_ids START 1;
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY DEFAULT nextval('action_ids'),
    study_id INTEGER,
    touchpoint VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    problem VARCHAR,
    owner VARCHAR,
    due DATE,
    status VARCHAR NOT NULL,
    step VARCHAR,
    created_at TIMESTAMP NOT NULL,
    baseline_wave VARCHAR,
    baseline_score DOUBLE
);
CREATE TABLE IF NOT EXISTS weight_sets (
    dataset_id INTEGER PRIMARY KEY, -- the weight set now in respondents.weight of this dataset
    source VARCHAR NOT NULL,        -- 'file' (a weight column) or 'raking' (margins below)
    margins JSON,                   -- raking: [{"variable", "value", "share"}…]
    trim_low DOUBLE,
    trim_high DOUBLE,
    n INTEGER NOT NULL,
    n_eff DOUBLE NOT NULL,          -- Kish: (Σw)² / Σw²
    min_weight DOUBLE NOT NULL,
    max_weight DOUBLE NOT NULL,
    max_margin_error DOUBLE,        -- raking: largest |achieved − target| share (percentage points)
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS dataset_files (  -- the file a dataset was imported from: re-mapping re-reads it
    dataset_id INTEGER PRIMARY KEY,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    sheet VARCHAR,                  -- the sheet read (workbooks)
    include_incomplete BOOLEAN NOT NULL,
    size BIGINT NOT NULL,           -- bytes of the file
    data BLOB NOT NULL              -- the file, Zstandard-compressed (pyarrow.compress)
);
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS audit_ids START 1;
CREATE TABLE IF NOT EXISTS audit (
    id BIGINT PRIMARY KEY DEFAULT nextval('audit_ids'),
    at_utc TIMESTAMP NOT NULL,
    actor VARCHAR NOT NULL,         -- user name, e-mail (OIDC) or OS user (CLI)
    via VARCHAR NOT NULL,           -- local | password | oidc | cli
    action VARCHAR NOT NULL,        -- e.g. dataset.import, dataset.delete, inventory.save
    target VARCHAR,                 -- what: dataset id, touchpoint name, action id, user name
    details JSON
);
CREATE TABLE IF NOT EXISTS users (
    name VARCHAR PRIMARY KEY,
    role VARCHAR NOT NULL,
    password_hash VARCHAR NOT NULL,  -- scrypt$n$r$p$salt$hash (tpm.access.hash_password)
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS study_scopes (  -- a user limited to some studies (no row: every study)
    name VARCHAR PRIMARY KEY,       -- a built-in user's name or an OIDC e-mail address
    studies INTEGER[] NOT NULL      -- the study ids this user may see (may become empty: sees none)
);
CREATE TABLE IF NOT EXISTS mapping_templates (
    study_id INTEGER NOT NULL,
    signature VARCHAR NOT NULL,     -- hash of the file's column headers
    mapping JSON NOT NULL,          -- the confirmed column specs
    source_file VARCHAR,
    saved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (study_id, signature)
);
"""

#: the web gate's tables (tpm.logins): a login that survives reloads, and the failed logins behind the lockout.
#: Created with IF NOT EXISTS by :func:`create_tables`, so older files simply gain them (schema 8).
LOGIN_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_sessions (  -- one row per browser login (the cookie holds the token)
    token_sha256 VARCHAR PRIMARY KEY,  -- the token's SHA-256: the file alone does not give a valid cookie
    user_name VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (  -- failed logins per user name and per client address
    kind VARCHAR NOT NULL,          -- user | addr
    key VARCHAR NOT NULL,           -- the lower-cased user name, or the client address
    failures INTEGER NOT NULL,
    last_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, key)
);
"""

#: the compact count tables (:mod:`tpm.compact` fills them), each with a ``dataset_id`` column
COMPACT_TABLES = ("segment_profiles", "profiles", "profile_ratings", "profile_dont_know", "profile_pairs", "pair_sets")

COMPACT_SCHEMA = """
CREATE TABLE IF NOT EXISTS segment_profiles (
    dataset_id INTEGER NOT NULL,
    sp INTEGER NOT NULL,            -- segment profile: one combination of segment values within the dataset
    segment VARCHAR NOT NULL,
    value VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS profiles (   -- respondents alike in everything a filter or a page groups by
    dataset_id INTEGER NOT NULL,
    profile INTEGER NOT NULL,
    sp INTEGER NOT NULL,
    nps DOUBLE,
    first_at TIMESTAMP,             -- earliest response date (all of one month)
    overall DOUBLE,
    overall_min SMALLINT,
    overall_max SMALLINT,
    c BIGINT NOT NULL,              -- respondents
    s1 DOUBLE NOT NULL,             -- Σ weight (1 for a respondent without one)
    s2 DOUBLE NOT NULL,             -- Σ weight²
    has_weight BOOLEAN NOT NULL     -- some respondent carries a survey weight
);
CREATE TABLE IF NOT EXISTS profile_ratings (
    dataset_id INTEGER NOT NULL,
    profile INTEGER NOT NULL,
    touchpoint VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    scale_min SMALLINT NOT NULL,
    scale_max SMALLINT NOT NULL,
    c BIGINT NOT NULL,
    s1 DOUBLE NOT NULL,
    s2 DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS profile_dont_know (
    dataset_id INTEGER NOT NULL,
    profile INTEGER NOT NULL,
    touchpoint VARCHAR NOT NULL,
    c BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS profile_pairs (  -- key-driver sums per segment profile, outcome and pair of variables
    dataset_id INTEGER NOT NULL,
    sp INTEGER NOT NULL,
    outcome VARCHAR NOT NULL,       -- nps | overall
    a VARCHAR NOT NULL,             -- '' = the outcome, else a touchpoint
    b VARCHAR NOT NULL,
    n DOUBLE NOT NULL, ux DOUBLE NOT NULL, uxx DOUBLE NOT NULL, uxy DOUBLE NOT NULL,
    sw DOUBLE NOT NULL, sw2 DOUBLE NOT NULL, sx DOUBLE NOT NULL, sxx DOUBLE NOT NULL, sxy DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS pair_sets (
    dataset_id INTEGER NOT NULL,
    outcome VARCHAR NOT NULL,
    built BOOLEAN NOT NULL          -- false: too many small segment profiles; drivers read the ratings
);
"""


#: the rows derived from a file by its mapping (replaced together when a dataset is re-mapped),
#: and the compact count tables made from them (:mod:`tpm.compact`, rebuilt by :func:`insert_rows`)
DERIVED_TABLES = ("respondents", "ratings", "dont_know", "segments", "comments", *COMPACT_TABLES)
#: the tables holding touchpoint names of answers (a rename changes them, then :func:`tpm.compact.refresh_study`)
TOUCHPOINT_TABLES = ("ratings", "dont_know")
DATA_TABLES = (*DERIVED_TABLES, "weight_sets", "dataset_files")
PRIVATE_MODE = 0o600  # the database, its write-ahead log and writer flag: the owner only (survey answers)


@contextmanager
def changing(con: duckdb.DuckDBPyConnection):
    """One transaction that changes the data: committed with a raised data version, or rolled back."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        _bump_version(con)
        con.execute("COMMIT")
    except BaseException:
        rollback_quietly(con)
        raise


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


def db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """``--db`` if given, else ``$TPM_DB``, else ``data/tpm.duckdb``."""
    return Path(cli_value or os.environ.get("TPM_DB") or DEFAULT_DB)


class Busy(Exception):
    """The database file is held by another process (an import from the CLI, or the dashboard) for too long."""


def is_locked(exc: BaseException) -> bool:
    """DuckDB refused the file because another process holds its lock."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def writer_flag(path: str | os.PathLike) -> Path:
    """A file that says "a writer (the CLI) waits for or holds this database": readers then step back."""
    path = Path(path)
    return path.with_name(path.name + ".writer")


WRITER_FLAG_MAX_AGE = 120.0  # seconds; without fcntl (Windows) an older flag was left by a killed process


def writer_waiting(path: str | os.PathLike) -> bool:
    """True while a live writer announces itself on :func:`writer_flag`.

    The writer holds a shared ``flock`` on the flag for as long as it waits or writes; the kernel
    drops it the moment the process ends, however it ends (a SIGKILLed import left the file behind,
    and visitors saw "busy" for two minutes). So the lock is the signal, not the file: a reader
    asks for an exclusive lock without blocking, which is refused exactly while a writer lives.
    Two readers asking at the same instant refuse each other for microseconds: asked again.
    """
    flag = writer_flag(path)
    if fcntl is None:
        try:
            return time.time() - flag.stat().st_mtime < WRITER_FLAG_MAX_AGE
        except OSError:
            return False
    try:
        fd = os.open(flag, os.O_RDONLY)
    except OSError:
        return False
    try:
        for _ in range(3):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        return True
    finally:
        os.close(fd)


@contextmanager
def announced_writer(path: str | os.PathLike):
    """Hold the writer flag of ``path`` (see :func:`writer_waiting`) for the block.

    The flag file stays when the block ends: removing it could race with the next writer, who may
    already hold a lock on it, and a file without a lock means nothing.
    """
    flag = writer_flag(path)
    fd = os.open(flag, os.O_RDWR | os.O_CREAT, PRIVATE_MODE)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_SH)  # shared: several CLI writers may wait at once
        else:
            os.utime(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())  # for a person looking at it
        yield flag
    finally:
        os.close(fd)  # releases the lock


def _returning_memory(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """DuckDB's allocator hands freed memory back to the system in the background: after an import
    (a 52 MB file kept as a BLOB) the server holds ~50 MB instead of ~150 MB of freed buffers."""
    con.execute("SET allocator_background_threads = true")
    return con


#: inventory columns added to ``touchpoints`` (the table predates them in older files)
INVENTORY_COLUMNS = {
    "phase": "VARCHAR", "channel": "VARCHAR", "contact": "VARCHAR", "department": "VARCHAR", "manager": "VARCHAR",
    "target": "DOUBLE", "benchmark": "DOUBLE", "moment_of_truth": "BOOLEAN DEFAULT false", "pain_points": "VARCHAR",
}


#: respondent columns added after the first release: the overall-satisfaction question (on its
#: own scale) and the survey weight (NULL: unweighted)
RESPONDENT_COLUMNS = {"overall": "DOUBLE", "overall_min": "SMALLINT", "overall_max": "SMALLINT", "weight": "DOUBLE"}


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The tables that are missing, and the columns that older files lack."""
    con.execute(SCHEMA)
    con.execute(LOGIN_SCHEMA)
    con.execute(COMPACT_SCHEMA)
    for table in ("datasets", "actions"):
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS study_id INTEGER")
    for column, kind in INVENTORY_COLUMNS.items():
        con.execute(f"ALTER TABLE touchpoints ADD COLUMN IF NOT EXISTS {column} {kind}")
    for column, kind in RESPONDENT_COLUMNS.items():  # schema 2: older files get these (empty) columns
        con.execute(f"ALTER TABLE respondents ADD COLUMN IF NOT EXISTS {column} {kind}")


def _schema_version(con: duckdb.DuckDBPyConnection) -> int:
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except duckdb.CatalogException:
        return 0
    return int(row[0]) if row else 0


def find_by_hash(con: duckdb.DuckDBPyConnection, sha256: str) -> tuple[int, str] | None:
    row = con.execute("SELECT id, name FROM datasets WHERE sha256 = ?", [sha256]).fetchone()
    return (int(row[0]), str(row[1])) if row else None


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

    def __enter__(self) -> "lean_memory":
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
                    self.con.execute("RESET memory_limit")  # the default (80 % of the RAM) exactly, not a rounded copy
                    if self._setting() != cls._restore and _size_bytes(cls._restore) is not None:  # a limit that was set
                        self.con.execute(f"SET memory_limit = '{_size_bytes(cls._restore, middle=True)}B'")
                    cls._restore = None
        finally:
            self.con.close()


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


def weight_summary(w) -> dict:
    """n, Kish effective n = (Σw)²/Σw², efficiency n_eff/n, min and max of a weight vector."""
    import numpy as np

    w = np.asarray(w, dtype=float)
    n_eff = float(w.sum() ** 2 / (w**2).sum())
    return {"n": int(len(w)), "n_eff": n_eff, "efficiency": n_eff / len(w), "min": float(w.min()), "max": float(w.max())}


def rescaled_weights(respondents: pd.DataFrame) -> tuple[pd.DataFrame, dict | None]:
    """The respondents with their ``weight`` rescaled to sum to n (the unweighted count), and a
    summary for the import report (None when the file has no weights).

    Rescaling changes no weighted estimate (Σwy/Σw is scale-free) but makes pooled datasets
    count by their respondents, and the weights readable (1 = an average respondent).
    """
    if "weight" not in respondents or respondents["weight"].isna().all():
        return respondents.drop(columns="weight", errors="ignore"), None
    w = respondents["weight"].astype(float)
    if w.isna().any() or (w <= 0).any():  # the ingest refuses these with row and column; never store them
        raise ValueError("weights must be positive numbers for every respondent")
    factor = len(w) / float(w.sum())
    out = respondents.assign(weight=w * factor)
    summary = weight_summary(out["weight"])
    summary["factor"] = factor
    rescaled = f"weights rescaled to sum to n = {len(w)} (factor {factor:.6g}); " if abs(factor - 1) > 1e-9 else "weights: "
    summary["note"] = (f"{rescaled}Kish effective n = {summary['n_eff']:.1f} ({100 * summary['efficiency']:.1f} %), "
                       f"weights {summary['min']:.3g} to {summary['max']:.3g}")
    return out, summary


def save_weight_set(con: duckdb.DuckDBPyConnection, dataset_id: int, source: str, summary: dict, margins=None,
                    trim: tuple[float, float] | None = None, max_margin_error: float | None = None) -> None:
    """Record which weight set is in ``respondents.weight`` of a dataset (inside the caller's transaction)."""
    con.execute(
        "INSERT OR REPLACE INTO weight_sets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [int(dataset_id), source, json.dumps(margins, ensure_ascii=False) if margins is not None else None,
         trim[0] if trim else None, trim[1] if trim else None, summary["n"], summary["n_eff"], summary["min"],
         summary["max"], max_margin_error],
    )


def weighted_datasets(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Ids of the datasets whose respondents carry weights."""
    return {int(r[0]) for r in con.execute("SELECT DISTINCT dataset_id FROM respondents WHERE weight IS NOT NULL").fetchall()}


def weight_sets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The weight set of every weighted dataset, with the dataset name."""
    return con.execute(
        """SELECT d.name AS dataset, w.* FROM weight_sets w JOIN datasets d ON d.id = w.dataset_id ORDER BY d.id"""
    ).df()


def record(con: duckdb.DuckDBPyConnection, actor: str, via: str, action: str, target: str | None = None,
           details: dict | None = None) -> None:
    """One line of the audit trail (inside the caller's transaction, if any)."""
    con.execute(
        "INSERT INTO audit (at_utc, actor, via, action, target, details) VALUES (?, ?, ?, ?, ?, ?)",
        [datetime.now(timezone.utc).replace(tzinfo=None), actor, via, action, target,
         json.dumps(details or {}, ensure_ascii=False, default=str)],
    )


def audit_log(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> pd.DataFrame:
    """The audit trail, newest first."""
    return con.execute(
        "SELECT id, at_utc, actor, via, action, target, details FROM audit ORDER BY id DESC LIMIT ?", [limit or 2**62]
    ).df()


def header_signature(headers: list[str]) -> str:
    """Identifies a survey's layout: the same questions in the same order give the same signature."""
    import hashlib

    return hashlib.sha256("\x1f".join(" ".join(h.split()).casefold() for h in headers).encode()).hexdigest()


def mapping_template(con: duckdb.DuckDBPyConnection, headers: list[str]):
    """The confirmed mapping of an earlier import with the same headers (next wave), or None."""
    from tpm.ingest import ColumnSpec

    row = con.execute("SELECT mapping FROM mapping_templates WHERE signature = ? ORDER BY saved_at DESC LIMIT 1",
                      [header_signature(headers)]).fetchone()
    return [ColumnSpec.from_dict(spec) for spec in json.loads(row[0])] if row else None


def template_source(con: duckdb.DuckDBPyConnection, headers: list[str]) -> dict | None:
    """Where the mapping template for these headers (the one :func:`mapping_template` applies) comes from:
    the file it was confirmed on, when, and whether a dataset imported from that file is still stored."""
    row = con.execute(
        """SELECT t.source_file, t.saved_at, EXISTS (SELECT 1 FROM datasets d WHERE d.source_file = t.source_file)
           FROM mapping_templates t WHERE t.signature = ? ORDER BY t.saved_at DESC LIMIT 1""",
        [header_signature(headers)]).fetchone()
    return {"source_file": row[0], "saved_at": row[1], "dataset_kept": bool(row[2])} if row else None


def discard_template(con: duckdb.DuckDBPyConnection, headers: list[str]) -> None:
    """Forget the mapping templates for these headers: the next upload is detected afresh."""
    con.execute("DELETE FROM mapping_templates WHERE signature = ?", [header_signature(headers)])


def list_datasets(con: duckdb.DuckDBPyConnection, study: int | None = None) -> pd.DataFrame:
    """The datasets of ``study`` (all if None), oldest first, with counts and the period their responses cover."""
    return con.execute(
        """SELECT d.id, d.name, d.wave, d.source_file, d.uploaded_at, d.rows AS respondents,
                  (SELECT count(*) FROM ratings r WHERE r.dataset_id = d.id) AS ratings,
                  (SELECT count(DISTINCT touchpoint) FROM ratings r WHERE r.dataset_id = d.id) AS touchpoints,
                  (SELECT min(responded_at)::DATE FROM respondents p WHERE p.dataset_id = d.id) AS first_response,
                  (SELECT max(responded_at)::DATE FROM respondents p WHERE p.dataset_id = d.id) AS last_response
           FROM datasets d WHERE ?::INTEGER IS NULL OR d.study_id = ? ORDER BY d.id""",
        [study, study],
    ).df()


def rename_dataset(con: duckdb.DuckDBPyConnection, dataset_id: int, name: str, wave: str) -> None:
    """Set a dataset's name and wave label (both must be non-empty)."""
    name, wave = (name or "").strip(), (wave or "").strip()
    if not name or not wave:
        raise ValueError("a dataset needs a name and a wave label")
    with transaction(con):
        con.execute("UPDATE datasets SET name = ?, wave = ? WHERE id = ?", [name, wave, int(dataset_id)])


def dataset_ids_by_name(con: duckdb.DuckDBPyConnection, names: list[str], study: int | None = None) -> list[int]:
    rows = con.execute("""SELECT id, name FROM datasets WHERE list_contains(?, name) AND (?::INTEGER IS NULL OR study_id = ?)
                          ORDER BY id""", [list(names), study, study]).fetchall()
    return [int(r[0]) for r in rows]


def delete_dataset(con: duckdb.DuckDBPyConnection, dataset_id: int) -> bool:
    """Delete one dataset and all its rows, in one transaction. False if it did not exist."""
    with transaction(con):
        found = con.execute("SELECT count(*) FROM datasets WHERE id = ?", [dataset_id]).fetchone()[0]
        for table in DATA_TABLES:
            con.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [dataset_id])
        con.execute("DELETE FROM datasets WHERE id = ?", [dataset_id])
    return bool(found)


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    """A counter raised by every change of the data: the cache key for aggregates."""
    row = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
    return row[0] if row else "0"


def _bump_version(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """INSERT INTO meta VALUES ('data_version', '1')
           ON CONFLICT (key) DO UPDATE SET value = (CAST(meta.value AS BIGINT) + 1)::VARCHAR"""
    )


def segment_values(con: duckdb.DuckDBPyConnection, dataset_ids: list[int] | None = None,
                   study: int | None = None) -> dict[str, list[str]]:
    """Segment name → its values (sorted), within the given datasets (all of ``study`` if None/empty);
    read from the segment profiles of :mod:`tpm.compact` (the same pairs, a few rows per dataset)."""
    rows = con.execute(
        """SELECT segment, value FROM segment_profiles
           WHERE (len(?::INTEGER[]) = 0 OR list_contains(?::INTEGER[], dataset_id))
             AND (?::INTEGER IS NULL OR dataset_id IN (SELECT id FROM datasets WHERE study_id = ?))
           GROUP BY ALL ORDER BY segment, value""",
        [list(dataset_ids or []), list(dataset_ids or []), study, study],
    ).fetchall()
    out: dict[str, list[str]] = {}
    for segment, value in rows:
        out.setdefault(segment, []).append(value)
    return out


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT count(*) FROM datasets").fetchone()[0] == 0


# --- operations: private files, a full disk, a damaged file

log = logging.getLogger(__name__)


def _private_umask() -> None:
    """This process creates no file that others may read (its umask gains 077).

    DuckDB makes the write-ahead log anew at the first write after each checkpoint, with the
    process's umask: a chmod afterwards would leave every new log (the rows just imported)
    readable by everyone until then. Set before the first file is made; never loosened."""
    os.umask(os.umask(0o077) | 0o077)


def private_files(path: str | os.PathLike) -> None:
    """The database, its write-ahead log and writer flag: the owner's only (:data:`PRIVATE_MODE`).

    A file made by an older version (or copied in) that group or others may read is tightened,
    with a warning in the log: it held the survey answers open to every account on the machine."""
    path = Path(path)
    for file in (path, path.with_name(path.name + ".wal"), writer_flag(path)):
        try:
            mode = file.stat().st_mode & 0o777
        except OSError:
            continue
        if mode & 0o077:
            os.chmod(file, mode & ~0o077)
            log.warning("%s was readable by %s (mode %o): now %o", file, "others" if mode & 0o007 else "its group",
                        mode, mode & ~0o077)


def rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back after an error without hiding it: DuckDB may have ended the transaction itself
    (a failed commit on a full disk), and "no transaction is active" would replace the real cause."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


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


def health(path: str | os.PathLike | None = None) -> tuple[bool, str]:
    """``(ok, detail)``: can the database be read end to end? Writes nothing, waits for nobody.

    Opened read-only (no migration): a file another process is writing (an import) is busy, not
    ill. Then ``meta`` must name a schema version, and every table is read in full — a hash over
    each row, so that every data block is loaded and its checksum checked (``count(*)`` answers
    from metadata alone and passed a file with overwritten data blocks). A few hundredths of a
    second per 10 MB. No file yet is healthy: the server makes it on the first visit."""
    path = db_path(path)
    if not path.exists():
        return True, f"ok: no database yet at {path} (made on the first visit)"
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException:  # this process has it open for writing (the server): use that
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        if is_locked(exc):
            return True, f"ok: {path} is busy (another process is writing)"
        return False, f"damaged: {path}: {' '.join(str(exc).split())}"
    try:
        version = _schema_version(con)
        if not version:
            return False, f"damaged: {path} has no schema version (not a TPM database, or its meta table is lost)"
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1").fetchall()]
        for table in tables:
            con.execute(f'SELECT bit_xor(hash(x)) FROM "{table}" AS x').fetchall()
        datasets = con.execute("SELECT count(*) FROM datasets").fetchone()[0] if "datasets" in tables else 0
    except duckdb.Error as exc:
        return False, f"damaged: {path}: {' '.join(str(exc).split())}"
    finally:
        con.close()
    return True, f"ok: {path}: schema {version}, {len(tables)} tables read, {datasets} datasets"
