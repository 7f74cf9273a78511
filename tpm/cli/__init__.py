"""``python -m tpm …``: import exports and read the figures from the shell.

Database: ``--db`` if given, else ``$TPM_DB``, else ``data/tpm.duckdb``.
Bad input: exit code 2, one line on stderr, nothing written.
Studies: every read command looks at one study (``--study NAME``, needed when the database
holds several; the command names them and exits 2 instead of pooling them).

The package: one module per job. ``common`` (lazy imports, CliError, opening the database, the
study and filter of a read command), ``options`` (shared options), ``parser`` (the command list),
and the commands: ``importing`` (ingest), ``figures`` (summary, drivers, segments, trend, weights,
report), ``comments`` (the comments, masked), ``catalogue`` (datasets, studies, study, move, delete, remap,
touchpoint), ``admin`` (health, users, audit, seed), ``themes`` (a study's code frame for its comments). Adding a
command: CONTRIBUTING.md, "Add a CLI command".
"""

from __future__ import annotations

import os
import sys

from tpm.cli.common import CliError, store
from tpm.cli.parser import build_parser

__all__ = ["build_parser", "main"]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `python -m tpm … | head`: the reader left; what was done is done
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
    except Exception as exc:
        import duckdb

        from tpm.access import UserError
        from tpm.ingest import IngestError
        from tpm.inventory import InventoryError
        from tpm.remap import RemapError
        from tpm.store import Busy
        from tpm.studies import StudyError
        from tpm.text.rules import ThemeError

        if isinstance(exc, (IngestError, CliError, StudyError, UserError, Busy, RemapError, InventoryError, ThemeError)):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if store.disk_full(exc):
            print(f"error: {store.DiskFull(store.db_path(getattr(args, 'db', None)))}", file=sys.stderr)
            return 2
        if isinstance(exc, duckdb.Error):  # e.g. a damaged file: one line, never a traceback
            print(f"error: database: {' '.join(str(exc).split())}", file=sys.stderr)
            return 2
        raise
