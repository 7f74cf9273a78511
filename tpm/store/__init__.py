"""The DuckDB database (one file, default ``data/tpm.duckdb``): every caller uses ``store.X``.

Tables follow DESIGN.md's canonical model; ratings, segments and comments are long and sparse. No
user text is ever put into SQL: every value goes in as a bound parameter or a registered frame.

- :mod:`tpm.store.core` — schema, writer lock, transactions, memory and thread settings, listing and
  deletion, health: below the compact tables (:mod:`tpm.compact`) and the studies (:mod:`tpm.studies`);
- :mod:`tpm.store.opening` — open, create and migrate (builds studies and compact tables of old files);
- :mod:`tpm.store.importing` — one import in one transaction (its study, its compact tables).

Modules below the studies import :mod:`tpm.store.core` itself (tests/test_architecture.py).
"""

from __future__ import annotations

from tpm.store.core import (DEFAULT_DB, SCHEMA_VERSION, SCHEMA, LOGIN_SCHEMA, COMPACT_TABLES, COMPACT_SCHEMA,
                            DERIVED_TABLES, TOUCHPOINT_TABLES, DATA_TABLES, PRIVATE_MODE, changing, bump_version,
                            transaction, db_path, Busy, is_locked, writer_flag, WRITER_FLAG_MAX_AGE, writer_waiting,
                            announced_writer, INVENTORY_COLUMNS, RESPONDENT_COLUMNS, create_tables, find_by_hash,
                            IMPORT_HEADROOM, lean_memory, insert_threads, duckdb_threads, weight_summary,
                            rescaled_weights, save_weight_set, weighted_datasets, weight_sets, record, audit_log,
                            header_signature, mapping_template, template_source, discard_template, list_datasets,
                            rename_dataset, dataset_ids_by_name, delete_dataset, data_version, segment_values,
                            is_empty, log, private_files, rollback_quietly, DiskFull, disk_full, health)
from tpm.store.opening import (open_retrying, writing, connect, migrate, needs_migration)
from tpm.store.importing import (Saved, save_import, save_file, COMPACT_BYTES_PER_RESPONDENT, insert_rows)

__all__ = [
    "annotations", "DEFAULT_DB", "SCHEMA_VERSION", "SCHEMA", "LOGIN_SCHEMA", "COMPACT_TABLES", "COMPACT_SCHEMA",
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
