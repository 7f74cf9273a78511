"""LimeSurvey: codes such as ``g2[SQ001]``, ``;`` + BOM, its bookkeeping columns, and responses
with an empty ``submitdate`` — unfinished ones — left out unless asked for."""

from __future__ import annotations

from tpm.ingest.platforms.base import Platform

META = frozenset({"lastpage", "startlanguage", "seed", "datestamp", "ipaddr", "refurl", "submitdate", "interviewtime"})


def recognise(columns: list[str]) -> bool:
    return sum(c in META for c in columns) >= 3


def drop_incomplete(table, include_incomplete: bool = False):
    """Unfinished responses (empty ``submitdate``) are left out, with a note."""
    column = next((name for name in table.columns if name.strip().lower() == "submitdate"), None)
    if column is None or include_incomplete:
        return table
    complete = ~table.parsed(column).missing
    if not complete.all():
        table.keep_rows(complete, f"{int((~complete).sum())} incomplete response(s) (empty submitdate) left out")
    return table


PLATFORM = Platform("LimeSurvey", recognise=recognise, meta=META, rows=drop_incomplete)
