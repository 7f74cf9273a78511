"""Mapping templates: a confirmed column mapping kept per header signature for the next wave."""

from __future__ import annotations

import json

import duckdb


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
        """SELECT t.source_file, t.saved_at, EXISTS (SELECT 1 FROM datasets d WHERE d.source_file = t.source_file),
                  (SELECT list(DISTINCT d.study_id) FROM datasets d WHERE d.source_file = t.source_file)
           FROM mapping_templates t WHERE t.signature = ? ORDER BY t.saved_at DESC LIMIT 1""",
        [header_signature(headers)]).fetchone()
    return ({"source_file": row[0], "saved_at": row[1], "dataset_kept": bool(row[2]), "studies": set(row[3] or [])}
            if row else None)


def discard_template(con: duckdb.DuckDBPyConnection, headers: list[str]) -> None:
    """Forget the mapping templates for these headers: the next upload is detected afresh."""
    con.execute("DELETE FROM mapping_templates WHERE signature = ?", [header_signature(headers)])
