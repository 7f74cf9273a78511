"""Microsoft Forms: ``ID``, ``Start time``, ``Completion time``, ``Email``, ``Name`` (German:
``Startzeit``, ``Fertigstellungszeit``, ``E-Mail``); the personal columns are never imported."""

from __future__ import annotations

from tpm.ingest.platforms.base import Platform

SIGNATURE = ({"start time", "completion time"}, {"startzeit", "fertigstellungszeit"})


def recognise(columns: list[str]) -> bool:
    return any(signature <= set(columns) for signature in SIGNATURE)


PLATFORM = Platform("Microsoft Forms", recognise=recognise,
                    meta=frozenset({"last modified time", "zeitpunkt der letzten änderung"}))
