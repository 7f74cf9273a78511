"""Retention of follow-up data: per study, contact data and notes of cases closed more than N days ago are deleted.

The period is a study's ``study_settings.retention_days`` (NULL or no row: kept). A case is *expired* on ``today``
when ``closed_at < today − N days``. :func:`purge` then deletes

- its notes (``case_notes`` of the case), and
- the contact data of its response (``contacts`` at its dataset and row) — unless another case of the same response
  is still open or closed within the period: the contact is needed there.

Nothing else is touched (the case row, its outcome and the survey answers stay for the loop-closing figures).
Each study with something deleted gets one audit line ``cases.purge`` with the counts. Run by
``python -m tpm cases purge`` (a cron job) and once at server start (pages/_db.py): one DELETE per table, cheap.
"""

from __future__ import annotations

from datetime import date, datetime, time

import duckdb

from tpm.store.audit import record
from tpm.store.transactions import transaction


class RetentionError(ValueError):
    """A bad retention period (the message says what is allowed)."""


def set_retention(con: duckdb.DuckDBPyConnection, study_id: int, days: int | None) -> None:
    """The study's retention period in days (None: keep contact data and notes of closed cases)."""
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
        raise RetentionError(f"retention: a whole number of days >= 0, not '{days}'")
    con.execute("INSERT OR REPLACE INTO study_settings (study_id, retention_days) VALUES (?, ?)", [study_id, days])


def retention_of(con: duckdb.DuckDBPyConnection, study_id: int) -> int | None:
    row = con.execute("SELECT retention_days FROM study_settings WHERE study_id = ?", [study_id]).fetchone()
    return row[0] if row else None


def _has_cases(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('cases', 'case_notes')").fetchone()[0] == 2


#: the expired cases: closed before today minus their study's period
_EXPIRED = """
CREATE OR REPLACE TEMP TABLE purge_expired AS
SELECT c.id, c.study_id, c.dataset_id, c.resp FROM cases c JOIN study_settings s ON s.study_id = c.study_id
WHERE s.retention_days IS NOT NULL AND c.closed_at IS NOT NULL
  AND c.closed_at < ?::TIMESTAMP - to_days(s.retention_days)
"""
#: the responses whose contact data goes: every case of the response expired (none open or closed recently)
_RESPONSES = """
CREATE OR REPLACE TEMP TABLE purge_responses AS
SELECT DISTINCT e.study_id, e.dataset_id, e.resp FROM purge_expired e
WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.dataset_id = e.dataset_id AND c.resp = e.resp
                  AND c.id NOT IN (SELECT id FROM purge_expired))
"""


def purge(con: duckdb.DuckDBPyConnection, today: date, actor: str = "retention", via: str = "cli") -> dict[int, dict]:
    """Delete the notes and contact data of expired cases (module docstring); per study the counts deleted."""
    if not _has_cases(con):  # a database before the follow-up tables: nothing to purge
        return {}
    done: dict[int, dict] = {}
    with transaction(con):
        con.execute(_EXPIRED, [datetime.combine(today, time())])
        con.execute(_RESPONSES)
        notes = dict(con.execute("SELECT e.study_id, count(*) FROM case_notes n JOIN purge_expired e ON n.case_id = e.id "
                                 "GROUP BY ALL").fetchall())
        contacts = dict(con.execute("SELECT r.study_id, count(*) FROM contacts k JOIN purge_responses r "
                                    "ON k.dataset_id = r.dataset_id AND k.resp = r.resp GROUP BY ALL").fetchall())
        if notes:
            con.execute("DELETE FROM case_notes WHERE case_id IN (SELECT id FROM purge_expired)")
        if contacts:
            con.execute("DELETE FROM contacts WHERE (dataset_id, resp) IN (SELECT dataset_id, resp FROM purge_responses)")
        cases = dict(con.execute("SELECT study_id, count(*) FROM purge_expired GROUP BY ALL").fetchall())
        for study_id in sorted(set(notes) | set(contacts)):
            done[study_id] = {"cases": cases[study_id], "notes": notes.get(study_id, 0), "contacts": contacts.get(study_id, 0)}
            record(con, actor, via, "cases.purge", str(study_id), {**done[study_id], "today": today.isoformat()})
        con.execute("DROP TABLE purge_expired")
        con.execute("DROP TABLE purge_responses")
    return done
