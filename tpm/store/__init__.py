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
    "COMPACT_BYTES_PER_RESPONDENT",
    "COMPACT_SCHEMA",
    "COMPACT_TABLES",
    "DATA_TABLES",
    "DEFAULT_DB",
    "DERIVED_TABLES",
    "IMPORT_HEADROOM",
    "INVENTORY_COLUMNS",
    "LOGIN_SCHEMA",
    "PRIVATE_MODE",
    "RESPONDENT_COLUMNS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "TOUCHPOINT_TABLES",
    "WRITER_FLAG_MAX_AGE",
    "Busy",
    "DiskFull",
    "Saved",
    "announced_writer",
    "audit_log",
    "bump_version",
    "changing",
    "connect",
    "create_tables",
    "data_version",
    "dataset_ids_by_name",
    "db_path",
    "delete_dataset",
    "discard_template",
    "disk_full",
    "duckdb_threads",
    "find_by_hash",
    "header_signature",
    "health",
    "insert_rows",
    "insert_threads",
    "is_empty",
    "is_locked",
    "lean_memory",
    "list_datasets",
    "log",
    "mapping_template",
    "migrate",
    "needs_migration",
    "open_retrying",
    "private_files",
    "record",
    "rename_dataset",
    "rescaled_weights",
    "rollback_quietly",
    "save_file",
    "save_import",
    "save_weight_set",
    "segment_values",
    "template_source",
    "transaction",
    "weight_sets",
    "weight_summary",
    "weighted_datasets",
    "writer_flag",
    "writer_waiting",
    "writing",
]
