"""The stored datasets: found by file hash, listed, renamed, deleted; their segment values."""

from __future__ import annotations

import duckdb
import pandas as pd

from tpm.store.schema import DATA_TABLES
from tpm.store.transactions import transaction


def find_by_hash(con: duckdb.DuckDBPyConnection, sha256: str) -> tuple[int, str] | None:
    row = con.execute("SELECT id, name FROM datasets WHERE sha256 = ?", [sha256]).fetchone()
    return (int(row[0]), str(row[1])) if row else None


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
