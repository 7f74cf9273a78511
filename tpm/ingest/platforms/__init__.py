"""One home per survey platform: how its exports are laid out and what in them is not a survey answer.

Each platform is one module here that defines ``PLATFORM``, a :class:`Platform` with any of:

- ``header(head)``: recognises the platform's header rows in the first lines of the file and
  returns the :class:`Layout` (how many header rows, the combined column names), or None;
- ``recognise(columns)``: recognises a one-row export by its column names (to name it in the report);
- ``meta``: column names (lower case, or ``re:`` patterns) of the platform's own bookkeeping —
  progress, seeds, languages, device ids — never imported;
- ``rows(table, include_incomplete)``: the platform's row rules (LimeSurvey: incomplete responses
  left out; long format: respondent × touchpoint rows reshaped to one row per respondent).

Adding a platform is one module and its tests: write it, add it to :data:`PLATFORMS`.
"""

from __future__ import annotations

from tpm.ingest.platforms.base import Layout, Platform, blank, number_like, text  # noqa: F401  (the names a platform module uses)


def _platforms() -> list[Platform]:
    from tpm.ingest.platforms import googleforms, limesurvey, long_format, msforms, qualtrics, surveymonkey, typeform

    return [qualtrics.PLATFORM, qualtrics.LEGACY, surveymonkey.PLATFORM, limesurvey.PLATFORM, googleforms.PLATFORM,
            msforms.PLATFORM, typeform.PLATFORM, long_format.PLATFORM]


PLATFORMS: list[Platform] = []


def platforms() -> list[Platform]:
    if not PLATFORMS:
        PLATFORMS.extend(_platforms())
    return PLATFORMS


def detect_layout(head: list[list]) -> Layout:
    """The header rows of the first platform that recognises them, else the first well-filled
    row (titles and notes above it are skipped)."""
    rows = [[text(v) for v in row] for row in head]
    for platform in platforms():
        if platform.header:
            layout = platform.header(rows)
            if layout is not None:
                return layout
    first = _find_header(head)
    return Layout(first, 1, head[first])


def recognise(table) -> str | None:
    """The platform a one-row export comes from, by its column names (None: unknown)."""
    names = [" ".join(c.split()).casefold() for c in table.columns]
    return next((p.name for p in platforms() if p.recognise and p.recognise(names)), None)


def is_meta(column: str) -> bool:
    """A platform's bookkeeping column (progress, seed, language …), whatever the file's platform."""
    return any(p.is_meta(column) for p in platforms())


def arrange(table, include_incomplete: bool = False):
    """Every platform's row rules, in order (long format reshaped, incomplete responses left out)."""
    if table.platform is None:
        table.platform = recognise(table)
    for platform in platforms():
        if platform.rows:
            table = platform.rows(table, include_incomplete)
    return table


def _find_header(rows: list[list]) -> int:
    width = max(len(r) for r in rows)
    for i, row in enumerate(rows[:10]):
        filled = sum(not blank(v) for v in row)
        if filled >= max(2, width / 2):
            return i
    return 0
