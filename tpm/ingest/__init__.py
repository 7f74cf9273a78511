"""Import of survey exports: bytes in, canonical frames and a report out. Pure: writes nothing.

>>> result = ingest_bytes("welle1.xlsx", data)          # detect the mapping
>>> result = ingest_bytes("welle1.xlsx", data, specs)   # apply a corrected mapping

Storing is :func:`tpm.store.save_import`, one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from tpm.ingest.detect import ROLES, ColumnSpec, detect, touchpoint_name, unsure_specs
from tpm.ingest.errors import IngestError
from tpm.ingest.normalise import Canonical, normalise
from tpm.ingest.readers import MAX_FILE_BYTES
from tpm.ingest.readers import read_table as _read_table
from tpm.ingest.table import RawTable

__all__ = [
    "MAX_FILE_BYTES",
    "ROLES",
    "Canonical",
    "ColumnSpec",
    "ImportResult",
    "IngestError",
    "RawTable",
    "detect",
    "file_hash",
    "ingest_bytes",
    "read_table",
    "touchpoint_name",
    "unsure_specs",
]


@dataclass
class ImportResult:
    """What was read and understood from one file."""

    file_name: str
    sha256: str
    table: RawTable
    canonical: Canonical
    from_template: bool = False
    data: bytes | None = None  # the file as uploaded: stored with the dataset, so that it can be re-mapped
    include_incomplete: bool = False

    @property
    def specs(self) -> list[ColumnSpec]:
        return self.canonical.specs

    def report(self) -> dict:
        """A JSON-able summary: what was understood, and what was dropped."""
        specs = self.specs
        c = self.canonical
        nps_spec = next((s for s in specs if s.role == "nps"), None)
        counts = c.counts("ratings")
        dk = c.counts("dont_know")
        overall = next((s for s in specs if s.role == "overall"), None)
        multi: dict[str, int] = {}
        for s in specs:
            if s.role == "multi":
                multi[s.touchpoint] = multi.get(s.touchpoint, 0) + 1
        return {
            "file": self.file_name,
            "sheet": self.table.sheet,
            "sheets": self.table.sheets,
            "platform": self.table.platform,
            "encoding": self.table.encoding,
            "delimiter": self.table.delimiter,
            "header_row": self.table.header_row,
            "respondents": len(c.respondents),
            "touchpoints": [
                {"name": s.touchpoint, "column": s.column, "scale": [s.scale_min, s.scale_max],
                 "n": int(counts.get(s.touchpoint.strip(), 0)), "dont_know": int(dk.get(s.touchpoint.strip(), 0)),
                 "missing_codes": s.missing_codes or []}
                for s in specs if s.role == "rating"
            ],
            "nps_column": nps_spec.column if nps_spec else None,
            "nps_n": int(c.respondents["nps"].notna().sum()),
            "id_column": next((s.column for s in specs if s.role == "id"), None),
            "date_column": next((s.column for s in specs if s.role == "date"), None),
            "segments": [s.touchpoint or s.column for s in specs if s.role == "segment"] + list(multi),
            "multiple_choice": multi,
            "outcomes": [s.touchpoint or s.column for s in specs if s.role == "outcome"],
            "just_about_right": [{"question": s.touchpoint, "column": s.column} for s in specs if s.role == "jar"],
            "overall": {"column": overall.column, "scale": [overall.scale_min, overall.scale_max],
                        "n": int(c.respondents["overall"].notna().sum())} if overall else None,
            "weight_column": next((s.column for s in specs if s.role == "weight"), None),
            "unsure": [{"column": s.column, "reason": s.unsure, **({"candidates": s.candidates} if s.candidates else {})}
                       for s in unsure_specs(specs)],
            "comment_columns": [s.column for s in specs if s.role == "comment"],
            "comments": c.rows("comments"),
            "ignored_columns": [s.column for s in specs if s.role == "ignore"],
            "notes": c.notes,
            "template": self.from_template,
        }


def read_table(file_name: str, data: bytes, sheet: str | int | None = None, workbook=None) -> RawTable:
    """:func:`tpm.ingest.readers.read_table`; of a workbook's sheets the one with the most
    rating/NPS columns is taken (a notes or cleanup sheet before the data loses), and the
    report says which and why. ``workbook``: :func:`tpm.workbook.open_workbook` of ``data``, if
    the caller opened it already."""
    return _read_table(file_name, data, sheet=sheet, choose=choose_sheet, workbook=workbook)


def choose_sheet(tables: list[RawTable]) -> RawTable:
    """The sheet with the most scored columns (ties: the first), with a note naming the others."""
    from tpm.ingest.detect import SCORED

    counts = []
    for table in tables:
        try:
            counts.append(sum(s.role in SCORED for s in detect(arrange(table))))
        except IngestError:
            counts.append(-1)
    best = max(range(len(tables)), key=lambda i: (counts[i], -i))
    others = ", ".join(f"'{t.sheet}': {max(c, 0)}" for t, c in zip(tables, counts) if t is not tables[best])
    chosen = tables[best]
    chosen.notes.append(f"sheet '{chosen.sheet}' chosen: {max(counts[best], 0)} rating/NPS column(s) (other sheets: {others})")
    return chosen


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def arrange(table: RawTable, include_incomplete: bool = False) -> RawTable:
    """One row per complete response, by the platforms' row rules (:mod:`tpm.ingest.platforms`)."""
    from tpm.ingest.platforms import arrange as platform_rows

    return platform_rows(table, include_incomplete)


def ingest_bytes(file_name: str, data: bytes, specs: list[ColumnSpec] | None = None, sheet: str | int | None = None,
                 include_incomplete: bool = False) -> ImportResult:
    """Read, detect (unless ``specs`` are given) and normalise one file. Raises :class:`IngestError`."""
    table = read_table(file_name, data, sheet=sheet)
    table = arrange(table, include_incomplete)
    if specs is None:
        specs = detect(table)
    canonical = normalise(table, specs)
    return ImportResult(file_name=file_name, sha256=file_hash(data), table=table, canonical=canonical, data=data,
                        include_incomplete=include_incomplete)
