"""The action plan: measures linked to a touchpoint, with owner, due date, status and the step
of the management cycle — and whether they worked.

On creation a measure records its *baseline*: the touchpoint's 0–100 score in the latest wave
then. The follow-up is the score in the latest wave after that one; the change is tested with
Welch's t-test (:mod:`tpm.metrics.significance`) where both waves have ratings.

Measures belong to a study (``study``: its id; None only for a database holding a single
study): baselines, follow-ups and the plan come from that study's waves alone.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd

from tpm import store, studies
from tpm.i18n import MessageError
from tpm.metrics import Filter
from tpm.metrics.significance import welch_t
from tpm.metrics.trend import touchpoint_trend

STATUSES = ("open", "in_progress", "done", "dropped")
#: the eight steps of the touchpoint management cycle (the seeds)
STEPS = ("analysis", "documentation", "target", "processes", "plan", "implement", "review", "optimise")
CLOSED = ("done", "dropped")


class ActionError(MessageError):
    """An invalid measure (names the field); ``text(lang)`` for the UI."""


def _baseline(con, study: int, touchpoint: str, wave: str | None = None) -> tuple[str | None, float | None]:
    """The touchpoint's score in ``wave`` of the study (default: the latest wave with ratings of it)."""
    trend = touchpoint_trend(con, Filter(study=study), "score")
    rows = trend[trend["touchpoint"] == touchpoint].sort_values("wave_no")
    if wave is not None:
        rows = rows[rows["wave"] == wave]
        if rows.empty:
            raise ActionError("err_action_wave", touchpoint=touchpoint, wave=wave)
    if rows.empty:
        return None, None
    last = rows.iloc[-1]
    return str(last["wave"]), float(last["value"])


def _check(touchpoint: str, title: str, status: str, step: str | None, due) -> None:
    if not (touchpoint or "").strip():
        raise ActionError("err_action_touchpoint")
    if not (title or "").strip():
        raise ActionError("err_action_title")
    if status not in STATUSES:
        raise ActionError("err_action_status", allowed=", ".join(STATUSES))
    if step is not None and step not in STEPS:
        raise ActionError("err_action_step", allowed=", ".join(STEPS))
    if due is not None and not isinstance(due, date):
        raise ActionError("err_action_due")


def create(con: duckdb.DuckDBPyConnection, touchpoint: str, title: str, problem: str | None = None, owner: str | None = None,
           due: date | None = None, status: str = "open", step: str | None = "plan", now: datetime | None = None,
           baseline_wave: str | None = None, study: int | str | None = None) -> int:
    """Store a measure of the study with its baseline (the touchpoint's score in the latest wave,
    or in ``baseline_wave`` for a measure recorded after the fact); returns its id."""
    _check(touchpoint, title, status, step, due)
    sid = studies.resolve(con, study)
    wave, score = _baseline(con, sid, touchpoint, baseline_wave)
    row = con.execute(
        """INSERT INTO actions (study_id, touchpoint, title, problem, owner, due, status, step, created_at, baseline_wave,
                                baseline_score)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
        [sid, touchpoint.strip(), title.strip(), problem, owner, due, status, step, now or datetime.now(), wave, score],
    ).fetchone()
    store.bump_version(con)
    return int(row[0])


#: the fields of a measure that can be changed after its creation (created_at and the baseline score follow)
EDITABLE = ("touchpoint", "title", "problem", "owner", "due", "status", "step", "baseline_wave")


def get(con: duckdb.DuckDBPyConnection, action_id: int) -> dict:
    """One measure as a dict (its columns); ActionError if there is none with this id."""
    frame = con.execute("SELECT * FROM actions WHERE id = ?", [int(action_id)]).df()
    if frame.empty:
        raise ActionError("err_action_missing", id=action_id)
    row = {k: (None if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)) else v)
           for k, v in frame.iloc[0].to_dict().items()}
    if row["due"] is not None:
        row["due"] = pd.Timestamp(row["due"]).date()
    return row


def update(con: duckdb.DuckDBPyConnection, action_id: int, **fields) -> dict:
    """Change any field of a measure (:data:`EDITABLE`), in one transaction. Empty text is no value.
    A new touchpoint or baseline wave takes its baseline again: the touchpoint's score in that wave
    (no wave: the latest with its ratings). Returns the fields that changed, as {field: [before, after]}."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ActionError("err_action_field", fields=", ".join(sorted(unknown)))
    current = get(con, action_id)
    fields = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in fields.items()}
    if isinstance(fields.get("due"), datetime):
        fields["due"] = fields["due"].date()
    merged = current | fields
    _check(merged["touchpoint"] or "", merged["title"] or "", merged["status"], merged["step"], merged["due"])
    changed = {k: [current[k], v] for k, v in fields.items() if current[k] != v}
    if "touchpoint" in changed or "baseline_wave" in changed:
        wave, score = _baseline(con, int(current["study_id"]), merged["touchpoint"], merged["baseline_wave"])
        changed["baseline_wave"], fields["baseline_wave"] = [current["baseline_wave"], wave], wave
        fields["baseline_score"] = score
    with store.transaction(con):
        for key, value in fields.items():  # column names come from EDITABLE (and baseline_score), values are bound
            con.execute(f"UPDATE actions SET {key} = ? WHERE id = ?", [value, int(action_id)])
    return changed


def delete(con: duckdb.DuckDBPyConnection, action_id: int) -> dict:
    """Delete a measure; returns what it was (for the audit trail). ActionError if there is none."""
    current = get(con, action_id)
    with store.transaction(con):
        con.execute("DELETE FROM actions WHERE id = ?", [int(action_id)])
    return current


def filtered(plan: pd.DataFrame, **chosen: list) -> pd.DataFrame:
    """The measures of ``plan`` whose column matches one of the chosen values, for every column
    given (``owner=[…]``, ``status=[…]`` …; an empty choice keeps all)."""
    keep = pd.Series(True, index=plan.index)
    for column, values in chosen.items():
        if values:
            keep &= plan[column].isin(values)
    return plan[keep]


def waves(con: duckdb.DuckDBPyConnection, study: int | str | None = None) -> list[str]:
    """The study's wave labels in import order: the choices for a measure's baseline wave."""
    sid = studies.resolve_or_none(con, study)
    rows = con.execute("SELECT wave FROM datasets WHERE study_id = ? GROUP BY wave ORDER BY min(id)", [sid]).fetchall()
    return [r[0] for r in rows]


def plan(con: duckdb.DuckDBPyConnection, today: date | None = None, study: int | str | None = None) -> pd.DataFrame:
    """The study's measures with department, overdue flag and follow-up: the touchpoint's score in
    the latest wave after the baseline wave, the change and its p-value (Welch)."""
    today = today or date.today()
    sid = studies.resolve_or_none(con, study)
    frame = con.execute(
        """SELECT a.* EXCLUDE (study_id), t.department FROM actions a
           LEFT JOIN touchpoints t ON t.name = a.touchpoint AND t.study_id = a.study_id
           WHERE a.study_id = ? ORDER BY a.id""", [sid]
    ).df()
    if frame.empty:
        return frame.assign(overdue=pd.Series(dtype=bool), follow_wave=None, follow_score=np.nan, change=np.nan, p=np.nan,
                            significant=pd.Series(dtype=bool))
    trend = touchpoint_trend(con, Filter(study=sid), "score")
    follow = []
    for action in frame.itertuples():
        rows = trend[trend["touchpoint"] == action.touchpoint].sort_values("wave_no")
        base = rows[rows["wave"] == action.baseline_wave]
        later = rows[rows["wave_no"] > base["wave_no"].max()] if len(base) else rows.iloc[0:0]
        if base.empty or later.empty:
            follow.append((None, np.nan, np.nan, np.nan))
            continue
        b, f = base.iloc[-1], later.iloc[-1]
        _, p = welch_t(f["value"], f["sd"], f["n"], b["value"], b["sd"], b["n"])
        follow.append((f["wave"], float(f["value"]), float(f["value"] - action.baseline_score), float(p)))
    frame[["follow_wave", "follow_score", "change", "p"]] = pd.DataFrame(follow, index=frame.index)
    frame["significant"] = frame["p"] < 0.05
    due = pd.to_datetime(frame["due"])
    frame["overdue"] = due.notna() & (due < pd.Timestamp(today)) & ~frame["status"].isin(CLOSED)
    return frame
