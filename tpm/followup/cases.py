"""Alert rules per study and the follow-up cases they open: one case per response and rule, never two.

- A rule (:func:`add_rule`) is a name, conditions (:mod:`tpm.followup.rules`, checked against the study's names when
  added), AND or OR, and an SLA in days. Its id comes from a sequence, so a removed rule's cases never block a new one.
- :func:`run_rules` opens a case for every response of the study (or of ``dataset_ids``) matching a rule that has
  none yet — an anti-join on (rule, dataset, respondent), backed by the table's UNIQUE constraint: re-runs and
  re-imports of the same file add nothing. Every import runs the rules inside its own transaction
  (:func:`save_import`, the function behind the ``dataset.import`` write): a failed import leaves no case.
- ``due_at = opened_at + sla_days`` days (exact: a timestamp plus whole days). The owner is the inventory's
  manager of the rule's first touchpoint condition, else its department, else nobody (NULL).
- Status: ``new`` → ``in_progress`` → ``done`` | ``unreachable`` (German labels: tpm.i18n ``case_status_*``);
  the two closed states set ``closed_at``. :func:`cases` lists overdue open cases first, then by due date.

Every write goes through :func:`tpm.access.perform` (analyst role, the study's scope, audited).
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime

import duckdb
import pandas as pd

from tpm import store, studies
from tpm.followup.rules import Known, RuleError, from_stored, matches_sql, parse_all

#: the states of a case, in order (stable keys; labels via tpm.i18n ``case_status_<key>``)
STATUSES = ("new", "in_progress", "done", "unreachable")
#: the states of a closed case
CLOSED = ("done", "unreachable")
#: the SLA of a rule when none is given: a week
DEFAULT_SLA_DAYS = 7


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _name(name: str) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise RuleError("err_alert_name_empty")
    return name


def _rule_id(con, study_id: int, name: str) -> int:
    row = con.execute("SELECT id FROM alert_rules WHERE study_id = ? AND lower(name) = lower(?)",
                      [study_id, _name(name)]).fetchone()
    if row is None:
        raise RuleError("err_alert_unknown", name=_name(name))
    return int(row[0])


# --- rules


def add_rule(con: duckdb.DuckDBPyConnection, study: int | str | None, name: str, conditions: list[str],
             any_of: bool = False, sla_days: int | None = DEFAULT_SLA_DAYS) -> int:
    """Store a rule (its conditions checked against the study's touchpoints, segments and themes); its id."""
    sid = studies.resolve(con, study)
    name = _name(name)
    if con.execute("SELECT count(*) FROM alert_rules WHERE study_id = ? AND lower(name) = lower(?)", [sid, name]).fetchone()[0]:
        raise RuleError("err_alert_exists", name=name)
    if sla_days is not None and (isinstance(sla_days, bool) or not isinstance(sla_days, int) or sla_days < 0):
        raise RuleError("err_alert_sla", value=sla_days)
    parsed = parse_all(list(conditions), Known.of(con, sid))
    return int(con.execute(
        """INSERT INTO alert_rules (study_id, id, name, conditions, any_of, sla_days, created_at)
           VALUES (?, nextval('alert_rule_ids'), ?, ?, ?, ?, ?) RETURNING id""",
        [sid, name, json.dumps([c.as_dict() for c in parsed], ensure_ascii=False), bool(any_of), sla_days, _now()],
    ).fetchone()[0])


def remove_rule(con: duckdb.DuckDBPyConnection, study: int | str | None, name: str) -> None:
    """Delete a rule; the cases it opened stay (work done on them is kept)."""
    sid = studies.resolve(con, study)
    con.execute("DELETE FROM alert_rules WHERE study_id = ? AND id = ?", [sid, _rule_id(con, sid, name)])


def rules(con: duckdb.DuckDBPyConnection, study: int | str | None) -> pd.DataFrame:
    """The study's rules: id, name, conditions (their texts), any_of, sla_days, created_at, cases (opened so far)."""
    sid = studies.resolve(con, study)
    frame = con.execute(
        """SELECT a.id, a.name, a.conditions, a.any_of, a.sla_days, a.created_at,
                  (SELECT count(*) FROM cases c WHERE c.rule_id = a.id) AS cases
           FROM alert_rules a WHERE a.study_id = ? ORDER BY a.id""", [sid]).df()
    frame["conditions"] = [[c["text"] for c in json.loads(v)] for v in frame["conditions"]]
    return frame


# --- opening cases


def _owner(con, study_id: int, conditions) -> str | None:
    first = next((c for c in conditions if c.kind in ("rating", "dont_know")), None)
    if first is None:
        return None
    row = con.execute("SELECT coalesce(manager, department) FROM touchpoints WHERE study_id = ? AND name = ?",
                      [study_id, first.name]).fetchone()
    return row[0] if row else None


def open_cases(con: duckdb.DuckDBPyConnection, study_id: int, dataset_ids: list[int] | None = None,
               now: datetime | None = None) -> int:
    """Open the missing cases of every rule of the study (inside the caller's transaction); how many were opened."""
    now = now or _now()
    opened = 0
    for rule_id, stored, any_of, sla in con.execute(
            "SELECT id, conditions, any_of, sla_days FROM alert_rules WHERE study_id = ? ORDER BY id", [study_id]).fetchall():
        conditions = from_stored(json.loads(stored))
        matches, params = matches_sql(conditions, any_of, study_id, dataset_ids)
        opened += con.execute(
            f"""INSERT INTO cases (id, study_id, rule_id, dataset_id, resp, opened_at, due_at, owner, status)
                SELECT nextval('case_ids'), ?, ?, m.dataset_id, m.resp, ?::TIMESTAMP,
                       ?::TIMESTAMP + to_days(?::INTEGER), ?, 'new'
                FROM ({matches}) m
                WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.rule_id = ? AND c.dataset_id = m.dataset_id AND c.resp = m.resp)
                ORDER BY m.dataset_id, m.resp""",
            [study_id, rule_id, now, now, sla, _owner(con, study_id, conditions), *params, rule_id],
        ).fetchone()[0]
    return opened


def run_rules(con: duckdb.DuckDBPyConnection, study: int | str | None, dataset_ids: list[int] | None = None,
              now: datetime | None = None) -> int:
    """Run the study's rules over its stored waves (or ``dataset_ids``), in one transaction; the number of new cases."""
    sid = studies.resolve(con, study)
    with store.transaction(con):
        return open_cases(con, sid, dataset_ids, now)


@functools.wraps(store.save_import)
def save_import(con, *args, **kwargs):
    """:func:`tpm.store.save_import` that opens the new dataset's cases inside the import's transaction."""
    return store.save_import(con, *args, then=lambda c, dataset_id, study_id: open_cases(c, study_id, [dataset_id]),
                             **kwargs)


# --- working on cases


def _ids(con, case_ids) -> list[int]:
    ids = sorted({int(i) for i in ([case_ids] if isinstance(case_ids, int) else case_ids)})
    found = {r[0] for r in con.execute("SELECT id FROM cases WHERE id IN (SELECT unnest(?::BIGINT[]))", [ids]).fetchall()}
    missing = [i for i in ids if i not in found]
    if missing or not ids:
        raise RuleError("err_case_unknown", ids=", ".join(map(str, missing)) or "—")
    return ids


def set_status(con: duckdb.DuckDBPyConnection, case_ids: list[int], status: str) -> None:
    """Set the status of cases; ``done``/``unreachable`` close them (``closed_at``), the others reopen them."""
    if status not in STATUSES:
        raise RuleError("err_case_status", status=status, allowed=", ".join(STATUSES))
    ids = _ids(con, case_ids)
    con.execute(
        """UPDATE cases SET status = ?, closed_at = CASE WHEN ? THEN coalesce(closed_at, ?::TIMESTAMP) END
           WHERE id IN (SELECT unnest(?::BIGINT[]))""", [status, status in CLOSED, _now(), ids])


def assign(con: duckdb.DuckDBPyConnection, case_ids: list[int], owner: str) -> None:
    """Give cases (many at once) to a user."""
    owner = " ".join(str(owner or "").split())
    if not owner:
        raise RuleError("err_case_owner_empty")
    con.execute("UPDATE cases SET owner = ? WHERE id IN (SELECT unnest(?::BIGINT[]))", [owner, _ids(con, case_ids)])


def close(con: duckdb.DuckDBPyConnection, case_id: int, outcome: str) -> None:
    """Close a case as done with its outcome ("Problem gelöst", "Gutschrift")."""
    outcome = " ".join(str(outcome or "").split())
    if not outcome:
        raise RuleError("err_case_outcome_empty")
    con.execute("UPDATE cases SET status = 'done', outcome = ?, closed_at = ? WHERE id = ?",
                [outcome, _now(), _ids(con, [case_id])[0]])


def add_note(con: duckdb.DuckDBPyConnection, case_id: int, text: str, by_user: str | None = None) -> None:
    if not str(text or "").strip():
        raise RuleError("err_case_note_empty")
    con.execute('INSERT INTO case_notes (case_id, "at", by_user, text) VALUES (?, ?, ?, ?)',
                [_ids(con, [case_id])[0], _now(), by_user, str(text).strip()])


def cases(con: duckdb.DuckDBPyConnection, study: int | str | None, status: str | None = None, owner: str | None = None,
          now: datetime | None = None) -> pd.DataFrame:
    """The cases of the study's responses (of ``status``, of ``owner``; a moved wave's cases go with it): overdue open
    cases first, then by due date (none: last)."""
    sid = studies.resolve(con, study)
    if status is not None and status not in STATUSES:
        raise RuleError("err_case_status", status=status, allowed=", ".join(STATUSES))
    return con.execute(
        """SELECT c.id, a.name AS rule, d.name AS dataset, r.respondent_id, r.nps, c.opened_at, c.due_at, c.owner,
                  c.status, c.outcome, c.measure_id, c.closed_at,
                  coalesce(c.status IN ('new', 'in_progress') AND c.due_at < ?::TIMESTAMP, false) AS overdue,
                  (SELECT count(*) FROM case_notes n WHERE n.case_id = c.id) AS notes
           FROM cases c
           LEFT JOIN alert_rules a ON a.id = c.rule_id
           JOIN datasets d ON d.id = c.dataset_id
           LEFT JOIN respondents r ON r.dataset_id = c.dataset_id AND r.resp = c.resp
           WHERE d.study_id = ? AND (? IS NULL OR c.status = ?) AND (? IS NULL OR c.owner = ?)
           ORDER BY overdue DESC, c.due_at NULLS LAST, c.id""",
        [now or _now(), sid, status, status, owner, owner]).df()
