"""The list of cases the Cases page shows: :func:`tpm.followup.cases.cases` plus what the response said — its
touchpoint ratings and its comment (masked: :func:`tpm.text.mask.mask`) — and the contact columns only through
:func:`tpm.followup.contacts.with_contacts` (the one place deciding who sees them; viewers never do).

Read-only; the page renders every cell as plain text.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from tpm.followup.cases import cases
from tpm.followup.contacts import with_contacts
from tpm.formatting import fmt_number
from tpm.ingest.detect import CONTACT_KINDS
from tpm.text.mask import mask

#: the columns of :func:`case_list` in the page's order (contact columns, when allowed, follow ``respondent_id``)
COLUMNS = ("id", "opened_at", "due_at", "overdue", "rule", "respondent_id", "nps", "ratings", "comment", "owner",
           "status", "outcome", "notes")


def _score(value: float, lang: str) -> str:
    return fmt_number(value, 0 if float(value).is_integer() else 1, lang)


def case_list(con: duckdb.DuckDBPyConnection, study: int | str | None, role: str | None, visible: set[int] | None,
              lang: str = "de", status: str | None = None, owner: str | None = None,
              now: datetime | None = None) -> pd.DataFrame:
    """The study's cases (overdue first, as :func:`cases` orders them) with ``ratings`` ("Hotline 1 · Website 4",
    the response's touchpoints by name), ``comment`` (its comments joined, masked) and — for a ``role`` that may
    see them, within ``visible`` studies — the contact columns."""
    frame = cases(con, study, status=status, owner=owner, now=now)
    keys = con.execute("SELECT id, study_id, dataset_id, resp FROM cases WHERE id IN (SELECT unnest(?::BIGINT[]))",
                       [[int(i) for i in frame["id"]]]).df()
    frame = frame.merge(keys, on="id", how="left")
    said = con.execute(
        """SELECT k.dataset_id, k.resp,
                  (SELECT list(struct_pack(tp := x.touchpoint, score := x.score) ORDER BY x.touchpoint) FROM ratings x
                   WHERE x.dataset_id = k.dataset_id AND x.resp = k.resp) AS ratings,
                  (SELECT string_agg(x.text, ' / ' ORDER BY x.question) FROM comments x
                   WHERE x.dataset_id = k.dataset_id AND x.resp = k.resp) AS comment
           FROM (SELECT DISTINCT dataset_id, resp FROM cases WHERE id IN (SELECT unnest(?::BIGINT[]))) k""",
        [[int(i) for i in frame["id"]]]).df()
    said["ratings"] = [" · ".join(f"{r['tp']} {_score(r['score'], lang)}" for r in (v if v is not None else []))
                       for v in said["ratings"]]
    said["comment"] = [mask(v) if isinstance(v, str) else "" for v in said["comment"]]
    frame = frame.merge(said, on=["dataset_id", "resp"], how="left")
    frame = with_contacts(con, frame, role, visible)
    contacts = [c for c in CONTACT_KINDS if c in frame.columns]
    order = [*COLUMNS[:6], *contacts, *COLUMNS[6:]]
    return frame[order].reset_index(drop=True)
