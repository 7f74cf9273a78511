"""Typeform: ``#`` as the response id, ``Submit Date (UTC)``, ``Start Date (UTC)``, ``Network ID``."""

from __future__ import annotations

from tpm.ingest.platforms.base import Platform

META = frozenset({"network id", "response type", "stage", "tags", "ending"})


def recognise(columns: list[str]) -> bool:
    return "submit date (utc)" in columns or ("#" in columns and "network id" in columns)


PLATFORM = Platform("Typeform", recognise=recognise, meta=META)
