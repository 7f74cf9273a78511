"""Google Forms (and Google Sheets): ``Timestamp`` / ``Zeitstempel`` first, grids as
``Question [Row]``, date-times with milliseconds (read by :mod:`tpm.ingest.values`)."""

from __future__ import annotations

from tpm.ingest.platforms.base import Platform


def recognise(columns: list[str]) -> bool:
    return bool(columns) and columns[0] in {"timestamp", "zeitstempel", "horodateur", "marca temporal"}


PLATFORM = Platform("Google Forms", recognise=recognise)
