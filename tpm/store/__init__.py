"""The DuckDB database (one file, default ``data/tpm.duckdb``): every caller uses ``store.X``.

Tables follow DESIGN.md's canonical model; ratings, segments and comments are long and sparse. No
user text is ever put into SQL: every value goes in as a bound parameter or a registered frame.

- below the compact tables (:mod:`tpm.compact`) and the studies (:mod:`tpm.studies`): :mod:`~tpm.store.schema`,
  :mod:`~tpm.store.files` (path, private modes, the writer's flag), :mod:`~tpm.store.transactions`,
  :mod:`~tpm.store.memory` (DuckDB's memory limit and threads), :mod:`~tpm.store.datasets` (listing,
  renaming, deletion), :mod:`~tpm.store.templates` (mapping templates), :mod:`~tpm.store.weightsets`,
  :mod:`~tpm.store.audit`, :mod:`~tpm.store.health`;
- :mod:`tpm.store.opening` — open, create and migrate (builds studies and compact tables of old files);
- :mod:`tpm.store.importing` — one import in one transaction (its study, its compact tables).

Modules below the studies import those modules themselves (tests/test_architecture.py).
"""

from __future__ import annotations

from tpm.store.audit import audit_log, record
from tpm.store.datasets import (
    dataset_ids_by_name,
    delete_dataset,
    find_by_hash,
    is_empty,
    list_datasets,
    rename_dataset,
    segment_values,
)
from tpm.store.files import (
    DEFAULT_DB,
    PRIVATE_MODE,
    WRITER_FLAG_MAX_AGE,
    Busy,
    announced_writer,
    db_path,
    is_locked,
    log,
    private_files,
    writer_flag,
    writer_waiting,
)
from tpm.store.health import health
from tpm.store.importing import COMPACT_BYTES_PER_RESPONDENT, Saved, insert_rows, save_file, save_import
from tpm.store.memory import IMPORT_HEADROOM, duckdb_threads, insert_threads, lean_memory
from tpm.store.opening import connect, migrate, needs_migration, open_retrying, writing
from tpm.store.schema import (
    COMPACT_SCHEMA,
    COMPACT_TABLES,
    DATA_TABLES,
    DERIVED_TABLES,
    INVENTORY_COLUMNS,
    LOGIN_SCHEMA,
    RESPONDENT_COLUMNS,
    SCHEMA,
    SCHEMA_VERSION,
    TOUCHPOINT_TABLES,
    create_tables,
)
from tpm.store.templates import discard_template, header_signature, mapping_template, template_source
from tpm.store.transactions import (
    DiskFull,
    bump_version,
    changing,
    data_version,
    disk_full,
    rollback_quietly,
    transaction,
)
from tpm.store.weightsets import rescaled_weights, save_weight_set, weight_sets, weight_summary, weighted_datasets

__all__ = [
    "DEFAULT_DB", "SCHEMA_VERSION", "SCHEMA", "LOGIN_SCHEMA", "COMPACT_TABLES", "COMPACT_SCHEMA",
    "DERIVED_TABLES", "TOUCHPOINT_TABLES", "DATA_TABLES", "PRIVATE_MODE", "changing", "bump_version", "transaction",
    "db_path", "Busy", "is_locked", "writer_flag", "WRITER_FLAG_MAX_AGE", "writer_waiting", "announced_writer",
    "INVENTORY_COLUMNS", "RESPONDENT_COLUMNS", "create_tables", "find_by_hash", "IMPORT_HEADROOM", "lean_memory",
    "insert_threads", "duckdb_threads", "weight_summary", "rescaled_weights", "save_weight_set", "weighted_datasets",
    "weight_sets", "record", "audit_log", "header_signature", "mapping_template", "template_source",
    "discard_template", "list_datasets", "rename_dataset", "dataset_ids_by_name", "delete_dataset", "data_version",
    "segment_values", "is_empty", "log", "private_files", "rollback_quietly", "DiskFull", "disk_full", "health",
    "open_retrying", "writing", "connect", "migrate", "needs_migration", "Saved", "save_import", "save_file",
    "COMPACT_BYTES_PER_RESPONDENT", "insert_rows",
]
