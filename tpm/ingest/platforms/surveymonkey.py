"""SurveyMonkey (and LimeSurvey's two-row export): the question stands over its first column only,
row 2 names the option (``Response``, a matrix row, a choice). Placeholders such as ``Unnamed: 5``
(after a pandas round trip) or ``Column5`` (Excel) count as empty. Columns become
``Question [Option]`` (just ``Question`` for a plain ``Response``)."""

from __future__ import annotations

import re

from tpm.ingest.platforms.base import Layout, Platform, number_like

PLACEHOLDER = re.compile(r"^(unnamed: ?\d+(_level_\d+)?|column\d+)$", re.I)
RESPONSE = {"response", "open-ended response", "other (please specify)"}


def header(rows: list[list[str]]) -> Layout | None:
    r0, r1 = (rows[i] if i < len(rows) else [] for i in range(2))
    if not (r0 and r1):
        return None
    blank0 = [i for i, v in enumerate(r0) if not v or PLACEHOLDER.match(v)]
    filled1 = [v for v in r1 if v]
    textual = sum(not number_like(v) for v in filled1) >= 0.9 * max(len(filled1), 1)
    covered = sum(bool(r1[i]) for i in blank0) >= 0.8 * len(blank0) if blank0 else False
    if not (blank0 and covered and textual and len(filled1) >= 0.6 * len(r1)):
        return None
    names, question = [], ""
    for top, sub in zip(r0, r1):
        if top and not PLACEHOLDER.match(top):
            question = top
        names.append(question if not sub or (sub.lower() in RESPONSE and question) else
                     f"{question} [{sub}]" if question and question != sub else sub)
    platform = "SurveyMonkey" if any(v.lower() in RESPONSE for v in r1) else "two header rows"
    return Layout(0, 2, names, platform)


PLATFORM = Platform("SurveyMonkey", header=header,
                    meta=frozenset({"collector id", "custom data 1"}))
