"""The argparse parser of ``python -m tpm``: each command's options are added by a function next to
that command (``add_NAME`` in its module); :data:`COMMANDS` lists them in the order of ``--help``."""

from __future__ import annotations

import argparse

from tpm.cli import admin, catalogue, comments, figures, followup_ops, importing, themes

#: one line per command, in the order ``python -m tpm --help`` (and docs/cli.md) lists them
COMMANDS = [
    importing.add_ingest,
    admin.add_health,
    figures.add_summary,
    figures.add_drivers,
    figures.add_segments,
    figures.add_trend,
    figures.add_weights,
    figures.add_report,
    comments.add_comments,
    catalogue.add_datasets,
    catalogue.add_studies,
    catalogue.add_study,
    catalogue.add_move,
    catalogue.add_delete,
    catalogue.add_remap,
    catalogue.add_touchpoint,
    themes.add_themes,
    followup_ops.add_purge,
    admin.add_users,
    admin.add_audit,
    admin.add_seed,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tpm", description="TPM — touchpoint survey analysis")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    return parser
