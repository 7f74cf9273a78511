"""The audit log: who changed what, when, through which door (page, CLI)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import pandas as pd


def record(con: duckdb.DuckDBPyConnection, actor: str, via: str, action: str, target: str | None = None,
           details: dict | None = None) -> None:
    """One line of the audit trail (inside the caller's transaction, if any)."""
    con.execute(
        "INSERT INTO audit (at_utc, actor, via, action, target, details) VALUES (?, ?, ?, ?, ?, ?)",
        [datetime.now(UTC).replace(tzinfo=None), actor, via, action, target,
         json.dumps(details or {}, ensure_ascii=False, default=str)],
    )


def audit_log(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> pd.DataFrame:
    """The audit trail, newest first."""
    return con.execute(
        "SELECT id, at_utc, actor, via, action, target, details FROM audit ORDER BY id DESC LIMIT ?", [limit or 2**62]
    ).df()
