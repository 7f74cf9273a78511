"""Can the database be read end to end? (``tpm health``, the server's /_tpm/health)"""

from __future__ import annotations

import os

import duckdb

from tpm.store.files import db_path, is_locked
from tpm.store.schema import _schema_version


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
