"""Qualtrics: three header rows (ids, question texts, ``{"ImportId": …}``), the 2016 variant with
single quotes, and the legacy export whose first row is ``V1, V2, …``. Matrix items read
"Question-Option"; ``*_NPS_GROUP`` columns are Qualtrics' own NPS grouping, not an answer."""

from __future__ import annotations

import re

from tpm.ingest.platforms.base import Layout, Platform

#: embedded columns that keep their id (row 1) instead of their text (row 2)
EMBEDDED = frozenset({
    "startdate", "enddate", "status", "ipaddress", "progress", "duration (in seconds)", "finished", "recordeddate",
    "responseid", "recipientlastname", "recipientfirstname", "recipientemail", "externalreference", "externaldatareference",
    "locationlatitude", "locationlongitude", "locationaccuracy", "distributionchannel", "userlanguage", "responseset",
})
#: bookkeeping, never imported (dates and the response id are kept: they are the date and id roles)
META = frozenset({"progress", "duration (in seconds)", "finished", "status", "responseset", "locationaccuracy",
                  "q_recaptcharesult", "distributionchannel", "userlanguage", "re:.*_nps_group"})


def header(rows: list[list[str]]) -> Layout | None:
    r0, r1, r2 = (rows[i] if i < len(rows) else [] for i in range(3))
    if r2 and sum(v.startswith(("{\"ImportId\"", "{'ImportId'")) for v in r2) >= max(1, len(r2) // 2):
        names = [a if a.lower() in EMBEDDED or not b else b for a, b in zip(r0, r1)]
        return Layout(0, 3, names, "Qualtrics")
    return None


def legacy_header(rows: list[list[str]]) -> Layout | None:
    r0 = rows[0] if rows else []
    if r0 and sum(bool(re.fullmatch(r"V\d+", v)) for v in r0) >= 3 and len(rows) > 1 and rows[1]:
        return Layout(1, 1, rows[1], "Qualtrics (legacy)")
    return None


PLATFORM = Platform("Qualtrics", header=header, meta=META)
LEGACY = Platform("Qualtrics (legacy)", header=legacy_header)
