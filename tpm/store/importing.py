"""One import into the database, in one transaction: the dataset, its rows, its file, its study
(:mod:`tpm.studies`) and its compact tables (:mod:`tpm.compact`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from tpm import compact, studies
from tpm.ingest import ImportResult
from tpm.store import coding, comment_text, memory
from tpm.store.audit import record
from tpm.store.datasets import find_by_hash
from tpm.store.memory import duckdb_threads, lean_memory
from tpm.store.schema import TOUCHPOINT_TABLES
from tpm.store.templates import header_signature
from tpm.store.transactions import _bump_version, rollback_quietly
from tpm.store.weightsets import rescaled_weights, save_weight_set


@dataclass
class Saved:
    dataset_id: int
    name: str
    duplicate: bool  # True: the same file (same sha256) was already stored; nothing written
    report: dict | None = None  # the import report as stored (with the weights rescaling note)
    study_id: int | None = None
    study_name: str | None = None
    study_created: bool = False  # the import made a new study


def save_import(
    con: duckdb.DuckDBPyConnection,
    result: ImportResult,
    name: str | None = None,
    wave: str | None = None,
    uploaded_by: str | None = None,
    platform: str | None = None,
    audit: tuple[str, str] | None = None,
    transaction: bool = True,
    study: int | str | None = None,
    then: Callable[[duckdb.DuckDBPyConnection, int, int], None] | None = None,
) -> Saved:
    """Store one import in a single transaction: all of it, or (on any error) nothing.

    ``study``: a study id, a study name (created if missing) or None: the proposed study
    (:func:`tpm.studies.propose` — the one whose template or touchpoints match, else a new one).
    Re-importing a file with the same SHA-256 stores nothing and returns the existing dataset.
    ``audit`` = (actor, via): an audit record is written in the same transaction.
    ``transaction=False``: the caller holds one open transaction around several imports.
    ``then(con, dataset_id, study_id)``: run inside the transaction once the rows are stored (the alert rules,
    :func:`tpm.followup.cases.save_import`), so a failed import leaves nothing of it either.
    """
    existing = find_by_hash(con, result.sha256)
    if existing:
        study_id = con.execute("SELECT study_id FROM datasets WHERE id = ?", [existing[0]]).fetchone()[0]
        return Saved(existing[0], existing[1], duplicate=True, study_id=study_id, study_name=studies.name_of(con, study_id))
    name = (name or Path(result.file_name).stem).strip() or result.file_name
    if study is None:
        proposal = studies.propose_for(con, result)
        study = proposal.study_id if proposal.study_id is not None else proposal.name
    c = result.canonical
    report = result.report()
    respondents, weights = rescaled_weights(c.respondents)
    if weights:
        report["weights"] = weights
        report["notes"] = [*report.get("notes", []), weights["note"]]
    if transaction:
        con.execute("BEGIN TRANSACTION")
    lean = lean_memory(con)
    try:
        lean.__enter__()
        study_id, study_created = studies.ensure(con, study)
        dataset_id = con.execute(
            """INSERT INTO datasets (study_id, name, source_file, sha256, platform, wave, uploaded_at, uploaded_by, rows, mapping, report)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
            [
                study_id,
                name,
                result.file_name,
                result.sha256,
                platform,
                wave or name,
                datetime.now(UTC).replace(tzinfo=None),
                uploaded_by,
                len(c.respondents),
                json.dumps([s.as_dict() for s in c.specs], ensure_ascii=False),
                json.dumps(report, ensure_ascii=False, default=str),
            ],
        ).fetchone()[0]
        insert_rows(con, dataset_id, study_id, result, respondents, lean)
        if then is not None:
            then(con, int(dataset_id), int(study_id))
        if weights:
            save_weight_set(con, dataset_id, "file", weights)
        if result.data is not None:
            save_file(con, dataset_id, result, lean)
        _bump_version(con)
        if audit:
            record(con, audit[0], audit[1], "dataset.import", str(dataset_id),
                   {"study_id": study_id, "name": name, "wave": wave or name, "file": result.file_name, "sha256": result.sha256,
                    "respondents": len(c.respondents)})
        if transaction:
            con.execute("COMMIT")
    except BaseException:
        if transaction:
            rollback_quietly(con)
        raise
    finally:
        lean.__exit__(None, None, None)
    return Saved(int(dataset_id), name, duplicate=False, study_id=study_id, study_name=studies.name_of(con, study_id),
                 study_created=study_created, report=report)


def save_file(con: duckdb.DuckDBPyConnection, dataset_id: int, result: ImportResult, lean: lean_memory | None = None) -> None:
    """The file itself (inside the caller's transaction), so that a wrong column can be re-mapped later.

    Compressed (CSV exports shrink 4–20×: DuckDB holds a BLOB several times over while it writes
    it, which took a 50 MB upload's peak from 5× to 10× the file), and as a zero-copy Arrow value:
    as a bound parameter DuckDB copies it twice more. The compressed copy is dropped as soon as
    DuckDB has its own."""
    packed = pa.compress(result.data, codec="zstd", asbytes=False)
    if lean is not None:
        lean.need(packed.size)
    incoming = pa.table({"data": pa.Array.from_buffers(pa.large_binary(), 1, [None, pa.py_buffer(
        np.array([0, packed.size], dtype=np.int64)), packed])})
    del packed
    con.register("incoming", incoming)
    try:
        con.execute("INSERT INTO dataset_files SELECT ?, ?, ?, ?, ?, ?, data FROM incoming",
                    [dataset_id, result.file_name, result.sha256, result.table.sheet if result.table is not None else None,
                     bool(result.include_incomplete), len(result.data)])
    finally:
        con.unregister("incoming")


#: DuckDB memory the compact tables' build of an import may take at once, per respondent (measured
#: on a 609 637-respondent upload: with DuckDB on several threads it ran out of memory at the import's
#: 64 MB headroom; on one thread (tpm.compact) 64 bytes each gave the lowest peak — a higher limit
#: lets DuckDB hold more: 160 bytes, +110–140 MB)
COMPACT_BYTES_PER_RESPONDENT = 64


def insert_rows(con: duckdb.DuckDBPyConnection, dataset_id: int, study_id: int, result: ImportResult,
                respondents: pd.DataFrame, lean: lean_memory | None = None) -> None:
    """The rows of one import (inside the caller's transaction): respondents, ratings, don't-know
    answers, segments and comments (their folded text and lemmas, :mod:`tpm.store.comment_text`, and
    their coding with the study's themes, :mod:`tpm.store.coding`); the study's aliases applied, new
    touchpoints added to its inventory, the confirmed mapping kept as the template for the next wave,
    and the compact count tables of the dataset built (:mod:`tpm.compact`)."""
    c = result.canonical
    with duckdb_threads(con, memory._insert_threads):
        for table in ("respondents", "ratings", "dont_know", "segments", "comments", "contacts"):
            # as Arrow (touchpoint names dictionary-encoded, ~2x faster than from pandas); the long
            # tables streamed a column at a time, never all of them as one frame
            rows = pa.Table.from_pandas(respondents, preserve_index=False) if table == "respondents" else c.arrow(table)
            if rows is not None and table == "comments":  # with their folded text and lemmas
                comment_text.insert(con, dataset_id, rows)
            elif rows is not None:
                con.register("incoming", rows)
                columns = ", ".join(rows.schema.names)
                con.execute(f"INSERT INTO {table} (dataset_id, {columns}) SELECT ?, {columns} FROM incoming", [dataset_id])
                con.unregister("incoming")
    # survey headers that are aliases of an inventory touchpoint take its name
    rated = list(c.counts("ratings"))
    names = set(rated) | set(c.counts("dont_know"))
    aliases = {a for (a,) in con.execute("SELECT alias FROM touchpoint_aliases WHERE study_id = ?", [study_id]).fetchall()}
    if any(name.lower() in aliases for name in names):
        for table in TOUCHPOINT_TABLES:
            con.execute(
                f"""UPDATE {table} SET touchpoint = a.name FROM touchpoint_aliases a
                   WHERE {table}.dataset_id = ? AND a.study_id = ? AND lower({table}.touchpoint) = a.alias""",
                [dataset_id, study_id],
            )
        con.execute(
            """INSERT INTO touchpoints (study_id, name, first_seen)
               SELECT DISTINCT ?, touchpoint, now()::TIMESTAMP FROM ratings WHERE dataset_id = ?
               ON CONFLICT DO NOTHING""",
            [study_id, dataset_id],
        )
    elif rated:  # no alias applies: the rated touchpoints are known without reading the ratings back
        con.execute(
            """INSERT INTO touchpoints (study_id, name, first_seen)
               SELECT DISTINCT ?, unnest(?::VARCHAR[]), now()::TIMESTAMP ON CONFLICT DO NOTHING""",
            [study_id, rated],
        )
    if result.table is not None:  # remember the confirmed mapping for the next wave of this survey
        con.execute(
            """INSERT OR REPLACE INTO mapping_templates (study_id, signature, mapping, source_file, saved_at)
               VALUES (?, ?, ?, ?, now()::TIMESTAMP)""",
            [study_id, header_signature(list(result.table.columns)),
             json.dumps([s.as_dict() for s in c.specs], ensure_ascii=False), result.file_name],
        )
    if c.rows("comments"):
        coding.code(con, study_id, [dataset_id])
    if lean is not None:  # the compact tables' build holds its respondents' profile numbers and counts at once
        lean.need(COMPACT_BYTES_PER_RESPONDENT * len(c.respondents))
    compact.refresh(con, [dataset_id])
