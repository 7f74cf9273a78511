"""The Upload page's logic, UI-free: a file prepared for review, the mapping as an editable table.

The page shows :func:`mapping_frame`; what the analyst edits comes back through
:func:`specs_from_frame` and :meth:`Prepared.apply`, which validates and normalises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import PurePath

import pandas as pd

from tpm import store
from tpm.ingest import ColumnSpec, ImportResult, IngestError, RawTable, arrange, detect, file_hash, read_table
from tpm.ingest.detect import SCORED, header_contact_kind
from tpm.ingest.normalise import normalise
from tpm.ingest.values import cell_text

MAPPING_COLUMNS = ["column", "role", "confirmed", "unsure", "name", "scale_min", "scale_max", "missing_codes", "examples"]


@dataclass
class Prepared:
    """A read file with its detected mapping, before anything is stored."""

    file_name: str
    sha256: str
    table: RawTable
    specs: list[ColumnSpec]
    from_template: bool = False  # the specs are an earlier wave's confirmed mapping
    data: bytes | None = None  # the file's bytes, stored with the import (re-mapping reads them again)
    include_incomplete: bool = False

    @property
    def default_name(self) -> str:
        return PurePath(self.file_name).stem

    def apply(self, specs: list[ColumnSpec], data: bytes | None = None) -> ImportResult:
        """Validate and normalise with the (possibly corrected) mapping. Raises IngestError.

        The detected mapping's result, made once by :meth:`problem`, is reused when the mapping
        is imported unchanged (the file is not normalised twice). ``data``: the file's bytes to
        store with the import, for a Prepared that does not keep them (the Upload page takes them
        from the upload widget again: a copy kept across reruns would add to the import's peak)."""
        from dataclasses import replace

        data = data if data is not None else self.data
        mapping = [s.as_dict() for s in specs]
        checked = self.__dict__.get("_checked")
        if checked is not None and checked[0] == mapping:
            return checked[1] if checked[1].data is data else replace(checked[1], data=data)
        result = ImportResult(self.file_name, self.sha256, self.table, normalise(self.table, specs),
                              from_template=self.from_template, data=data, include_incomplete=self.include_incomplete)
        return result

    def apply_detected(self) -> ImportResult:
        return self.apply(self.specs)

    def problem(self) -> str | None:
        """Why the detected mapping cannot be imported (None if it can); checked once per file."""
        if not hasattr(self, "_problem"):
            try:
                self._checked = ([s.as_dict() for s in self.specs], self.apply_detected())
                self._problem = None
            except IngestError as exc:
                self._problem = str(exc)
        return self._problem

    def problem_with(self, specs: list[ColumnSpec] | None) -> str | None:
        """Why the mapping as the analyst corrected it (``specs``) cannot be imported: the detected
        mapping's :meth:`problem` while it is unchanged, else the corrected one, checked once per
        mapping (the last one kept; :meth:`apply` reuses its result). So a warning about the detected
        mapping goes once the analyst fixed its cause (e.g. declared the missing code). None: importable."""
        if specs is None:
            return self.problem()
        mapping = [s.as_dict() for s in specs]
        if mapping == [s.as_dict() for s in self.specs]:
            return self.problem()
        kept = self.__dict__.get("_edited")
        if kept is None or kept[0] != mapping:
            try:
                self._checked = (mapping, self.apply(specs))
                kept = (mapping, None)
            except IngestError as exc:
                kept = (mapping, str(exc))
            self._edited = kept
        return kept[1]


def prepare(file_name: str, data: bytes, sheet: str | int | None = None, include_incomplete: bool = False,
            con=None, release: bool = True, table: RawTable | None = None) -> Prepared:
    """Read and detect; with a database ``con``, an earlier wave's confirmed mapping of the same
    columns (a mapping template) is used instead of detection. ``release``: hand the memory that
    reading and detection freed back to the system (a server; a one-off command need not).
    ``table``: ``read_table(file_name, data, sheet=sheet)`` when the caller read it already."""
    table = arrange(read_table(file_name, data, sheet=sheet) if table is None else table, include_incomplete)
    if release:
        release_memory()  # the reader's freed blocks, before detection and the import build on top of them
    template = _template(con, table) if con is not None else None
    prepared = Prepared(file_name, file_hash(data), table, template or detect(table), from_template=template is not None,
                        data=data, include_incomplete=include_incomplete)
    if release:
        release_memory()  # and detection's
    return prepared


def _template(con, table: RawTable) -> list[ColumnSpec] | None:
    """An earlier wave's confirmed mapping for these columns, without that file's scale readings
    (their scores are the earlier file's, not this one's)."""
    template = store.mapping_template(con, list(table.columns))
    for spec in template or []:
        spec.candidates = None
    return template


def use_template(prepared: Prepared, con) -> Prepared:
    """Apply an earlier wave's confirmed mapping (if the database has one for these columns), for a
    file that was prepared without the database (the CLI reads files before it opens the database)."""
    template = _template(con, prepared.table)
    if template is not None:
        prepared.specs, prepared.from_template = template, True
        prepared.__dict__.pop("_problem", None)
        prepared.__dict__.pop("_checked", None)
    return prepared


def lighten(result: ImportResult) -> ImportResult:
    """Before the save: drop the parsed values the save does not read (id, date, NPS: their values
    are in the respondents frame already; a failed import's page parses them again if asked), then
    :func:`release_memory`. The 52 MB CSV of ``benchmarks/import_memory.py``: ~18 MB less held
    through the save."""
    if result.table is not None:
        result.table.forget_parsed(result.canonical.columns_read())
    release_memory()
    return result


def release_memory() -> None:
    """Give freed memory back to the operating system after a large file was dropped.

    Arrow's pool and glibc's malloc keep freed blocks for reuse; a server that parsed a 50 MB CSV
    would otherwise hold its peak for good. Call after the last reference is gone; objects only
    reachable through reference cycles are collected first.
    """
    import ctypes
    import ctypes.util
    import gc
    from contextlib import suppress

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    if libc:
        with suppress(OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
            ctypes.CDLL(libc).malloc_trim(0)


def display_value(value) -> str:
    """A cell as a person reads it: 5.0 shows as "5", empty as ""."""
    return cell_text(value) or ""


def preview(table: RawTable, rows: int = 20) -> pd.DataFrame:
    """The first rows as text, as the file shows them."""
    return pd.DataFrame({name: [v or "" for v in column.slice(0, rows).to_pylist()] for name, column in table.columns.items()})


def examples(table: RawTable, column: str, k: int = 4, labels: dict[str, float] | None = None) -> str:
    """Up to ``k`` distinct answers of a column, for the mapping table; a text scale shows its mapping."""
    if labels:
        return " · ".join(f"{label} = {value:g}" for label, value in sorted(labels.items(), key=lambda kv: kv[1]))
    values = table.parsed(column).first(500)
    return " · ".join(v[:30] for v in list(dict.fromkeys(values))[:k])


def mapping_frame(table: RawTable, specs: list[ColumnSpec], role_labels: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per column: column, role (as ``role_labels`` names it), name, scale, missing codes,
    why the detector is unsure (empty: sure), whether the analyst confirmed it, examples. A comment's name is
    the touchpoint its column is tied to (empty: a general comment)."""
    role_labels = role_labels or {}
    rows = []
    for spec in specs:
        named = spec.role in ("rating", "overall", "multi", "jar")
        name = spec.touchpoint if named else (spec.touchpoint or (spec.column if spec.role in ("segment", "outcome") else None))
        unsure = spec.doubt or ""
        rows.append({
            "column": spec.column, "role": role_labels.get(spec.role, spec.role), "name": name or "",
            "scale_min": spec.scale_min, "scale_max": spec.scale_max,
            "missing_codes": format_codes(spec.missing_codes),
            "unsure": unsure, "confirmed": not unsure,
            "examples": (f"[{spec.option}] " if spec.option else "") + examples(table, spec.column, labels=spec.labels),
        })
    frame = pd.DataFrame(rows, columns=MAPPING_COLUMNS)
    for c in ("scale_min", "scale_max"):
        frame[c] = frame[c].astype("Int64")
    frame["confirmed"] = frame["confirmed"].astype(bool)
    return frame


def format_codes(codes: list[float] | None) -> str:
    return "; ".join(f"{c:g}" for c in codes) if codes else ""


def parse_codes(text, column: str = "") -> list[float] | None:
    """"0; 99" → [0.0, 99.0]; empty → None. Raises IngestError naming the column otherwise."""
    text = "" if text is None or text is pd.NA or (isinstance(text, float) and math.isnan(text)) else str(text)
    parts = [p.strip() for p in text.replace(",", ";").split(";") if p.strip()]
    try:
        return [float(p) for p in parts] or None
    except ValueError:
        raise IngestError(column or "mapping", f"missing codes must be numbers separated by ';', not '{text[:30]}'",
                          hint="e.g. 0; 99") from None


def _int_or_none(value) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def specs_from_frame(frame: pd.DataFrame, role_labels: dict[str, str] | None = None,
                     detected: list[ColumnSpec] | None = None) -> list[ColumnSpec]:
    """The edited table back to specs. NPS is always 0–10; a rating without a scale keeps None (and
    fails validation). A text scale's label mapping (from ``detected``) is kept while its column
    stays a rating on the same scale. A detector doubt stays until the analyst ticks *confirmed*
    or decides otherwise (another role, scale or missing code)."""
    role_of = {label: role for role, label in (role_labels or {}).items()}
    known = {spec.column: spec for spec in detected or []}
    specs = []
    for row in frame.to_dict("records"):
        role = role_of.get(row["role"], row["role"])
        name = str(row.get("name") or "").strip() or None
        lo, hi = _int_or_none(row.get("scale_min")), _int_or_none(row.get("scale_max"))
        if role == "nps":
            lo, hi = 0, 10
        if role not in SCORED:
            lo = hi = None
        codes = parse_codes(row.get("missing_codes"), row["column"]) if role in SCORED else None
        before = known.get(row["column"])
        same = before is not None and before.role == role and (before.scale_min, before.scale_max) == (lo, hi)
        labels = before.labels if same and before.labels else None  # a text scale's points, a just-about-right set's sides
        unsure = row.get("unsure") or None
        if bool(row.get("confirmed")) or (before is not None and not (same and (before.missing_codes or None) == codes)):
            unsure = None
        specs.append(ColumnSpec(column=row["column"], role=role,
                                touchpoint=name if role in ("rating", "overall", "segment", "outcome", "multi", "jar", "comment") else None,
                                scale_min=lo, scale_max=hi, labels=labels, missing_codes=codes,
                                option=before.option if before is not None and role == "multi" else None,
                                unsure=unsure, date_order=before.date_order if before is not None and role == "date" else None,
                                contact_kind=_contact_kind(before, row["column"]) if role == "contact" else None,
                                candidates=before.candidates if before is not None and role in SCORED else None))
    return specs


def _contact_kind(before: ColumnSpec | None, column: str) -> str:
    """A column the analyst made a contact column: the detected kind, else the one its header names, else a
    customer number (an identifier to look the customer up by: the least assuming kind)."""
    return (before.contact_kind if before is not None else None) or header_contact_kind(column) or "customer_no"


def label_choices(table: RawTable, column: str) -> pd.DataFrame:
    """The distinct text answers of a column for ordering: label, rank (empty), missing (False)."""
    labels = [v for v in table.parsed(column).distinct() if v][:20]
    return pd.DataFrame({"label": labels, "rank": pd.array([None] * len(labels), dtype="Int64"),
                         "missing": [False] * len(labels)})


def choose_scale(prepared: Prepared, column: str, index: int) -> ColumnSpec:
    """The analyst's reading of a guessed scale: ``column``'s ``index``-th candidate (see
    :func:`tpm.ingest.detect.scale_candidates`) becomes its scale and missing codes; the column is
    then confirmed. Returns the changed spec."""
    spec = next(s for s in prepared.specs if s.column == column)
    chosen = (spec.candidates or [])[index]
    spec.scale_min, spec.scale_max = chosen["scale_min"], chosen["scale_max"]
    spec.missing_codes = list(chosen["missing_codes"]) if chosen.get("missing_codes") else None
    spec.unsure = None
    prepared.__dict__.pop("_problem", None)
    prepared.__dict__.pop("_checked", None)
    return spec


def chosen_reading(spec: ColumnSpec) -> int | None:
    """Which candidate the spec's scale and missing codes are (None: none, or no candidates)."""
    for i, c in enumerate(spec.candidates or []):
        if (c["scale_min"], c["scale_max"], c.get("missing_codes") or None) == (spec.scale_min, spec.scale_max,
                                                                                spec.missing_codes or None):
            return i
    return None


def set_label_scale(prepared: Prepared, column: str, choices: pd.DataFrame) -> bool:
    """Turn ``column`` into a rating on the analyst's order (ranks 1…k, each used once; answers
    marked *missing* are no answer). The label set travels with the mapping template, so the
    next wave imports by itself. False (and nothing changed) if the ranks are not 1…k."""
    from tpm.ingest.detect import touchpoint_name
    from tpm.ingest.scales import normalise_label

    ranked = choices[~choices["missing"].astype(bool)]
    ranks = [_int_or_none(r) for r in ranked["rank"]]
    if not ranks or None in ranks or sorted(ranks) != list(range(1, len(ranks) + 1)) or len(ranks) < 2:
        return False
    spec = next(s for s in prepared.specs if s.column == column)
    spec.role, spec.touchpoint = "rating", touchpoint_name(column, prepared.table.platform)
    spec.scale_min, spec.scale_max = 1, len(ranks)
    spec.labels = {normalise_label(str(label)): float(rank) for label, rank in zip(ranked["label"], ranks)}
    spec.missing_codes, spec.unsure = None, None
    missing = [normalise_label(str(v)) for v in choices.loc[choices["missing"].astype(bool), "label"]]
    if missing:
        spec.labels.update({label: -1.0 for label in missing})  # a negative code: no answer
    if hasattr(prepared, "_problem"):
        del prepared._problem
    prepared.__dict__.pop("_checked", None)
    return True
