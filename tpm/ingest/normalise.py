"""Raw cells + confirmed column specs → validated canonical frames (DESIGN.md's model).

Frames (one row per respondent / per given answer, long and sparse):

- ``respondents``: resp, respondent_id, row_number, responded_at, nps, overall, overall_min,
  overall_max, weight (NaN without a weight column; else rescaled to sum to n)
- ``ratings``: resp, touchpoint, score, scale_min, scale_max (answered cells only)
- ``dont_know``: resp, touchpoint — a "weiß nicht"/"k.A."/"N/A" answer: not a score, counted
- ``segments``: resp, segment, value (a multiple-choice question: one row per ticked option; an
  outcome column — role ``outcome`` — as its answers, read as numbers by :func:`~tpm.ingest.detect.outcome_value`;
  a just-about-right question: its answer)
- ``comments``: resp, question, text, touchpoint (the comment column's touchpoint, ColumnSpec.touchpoint; None: general)
- ``contacts``: resp, kind, value — a confirmed ``contact`` column's answers (kind: ColumnSpec.contact_kind); a contact
  column the analyst has not confirmed is not read (a note says so): contact data only where a person chose it

``resp`` is the respondent's 0-based row in the file: a compact integer join key.

Validation raises :class:`IngestError` naming the column and, for a value, the row as
the user sees it in Excel: a rating outside its scale, a duplicate respondent id, a
mapping with two NPS columns, an empty, zero or negative weight. Missing answers (blank,
negative codes, the analyst's missing codes) are dropped and "don't know" answers counted,
never scored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tpm.ingest.detect import CONTACT_KINDS, ROLES, SCORED, UNTICKED, ColumnSpec, outcome_value
from tpm.ingest.errors import IngestError
from tpm.ingest.scales import normalise_label
from tpm.ingest.table import RawTable
from tpm.ingest.values import DATE_ORDERS, ParsedColumn, to_dates

if TYPE_CHECKING:  # annotations only: pandas is imported where a frame is made (below)
    import pandas as pd

# pandas is imported where a frame is made: the readers and detection (imported with this
# module by tpm.ingest) work without it, so a command can start reading a file while pandas loads


class _Long:
    """A canonical table held as a frame, or as long rows (:class:`LongScores`, :class:`LongTexts`)
    that become a frame when read."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc

    def __set_name__(self, owner, name: str) -> None:
        self.attr = "_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        part = getattr(obj, self.attr)
        return part.frame() if isinstance(part, (LongScores, LongTexts)) else part

    def __set__(self, obj, value) -> None:
        setattr(obj, self.attr, value)


class Canonical:
    """The canonical frames of one import (see the module docstring).

    ``ratings`` and ``dont_know`` may be given as :class:`LongScores`, ``segments`` and
    ``comments`` as :class:`LongTexts`: the long rows are then
    not held in memory but made when asked for — as a frame (``canonical.ratings``), or batch by
    batch for the database (:meth:`arrow`), so an import never holds its millions of rating rows
    twice (once as a frame, once in DuckDB's insert).
    """

    def __init__(self, respondents: pd.DataFrame, ratings, segments: pd.DataFrame, comments: pd.DataFrame,
                 specs: list[ColumnSpec], dont_know=None, notes: list[str] | None = None, contacts=None) -> None:
        self.respondents, self.specs = respondents, specs
        self._ratings, self._segments, self._comments = ratings, segments, comments
        self._contacts = _empty(["resp", "kind", "value"]) if contacts is None else contacts
        self._dont_know = _empty(["resp", "touchpoint"]) if dont_know is None else dont_know
        self.notes = notes if notes is not None else []

    ratings = _Long(doc="resp, touchpoint (categorical), score, scale_min, scale_max: one row per answered cell")
    dont_know = _Long(doc='resp, touchpoint: one row per "weiß nicht"/"k.A." answer')
    segments = _Long(doc="resp, segment, value")
    comments = _Long(doc="resp, question, text, touchpoint")
    contacts = _Long(doc="resp, kind, value: confirmed contact columns only")

    def rows(self, name: str) -> int:
        """How many rows ``comments`` (or another long table) has, without making it."""
        part = getattr(self, "_" + name)
        return part.rows() if isinstance(part, (LongScores, LongTexts)) else len(part)

    def counts(self, name: str) -> dict[str, int]:
        """Rows per touchpoint of ``ratings`` or ``dont_know``."""
        part = getattr(self, "_" + name)
        if isinstance(part, LongScores):
            return part.counts()
        return {str(k): int(v) for k, v in part["touchpoint"].value_counts().items() if v} if len(part) else {}

    def arrow(self, name: str) -> pa.RecordBatchReader | pa.Table | None:
        """One table's rows as Arrow for the database (None: no rows): the long ones as a stream
        of one batch per touchpoint."""
        part = self.respondents if name == "respondents" else getattr(self, "_" + name)
        if isinstance(part, (LongScores, LongTexts)):
            return part.reader() if part.rows() else None
        # as Arrow: touchpoint names go in dictionary-encoded, ~2x faster than from pandas
        return pa.Table.from_pandas(part, preserve_index=False) if len(part) else None

    @property
    def touchpoints(self) -> list[str]:
        return [s.touchpoint for s in self.specs if s.role == "rating"]

    def columns_read(self) -> set[str]:
        """The file's columns whose parsed cells the long tables still read when they are stored
        (the other columns' values are in ``respondents`` already)."""
        names: set[str] = set()
        for part in (self._ratings, self._dont_know):
            if isinstance(part, LongScores):
                names |= {spec.column for spec in part.specs}
        for part in (self._segments, self._comments, self._contacts):
            if isinstance(part, LongTexts):
                names |= {spec.column for spec, _ in part.parts}
        return names


def validate_specs(table: RawTable, specs: list[ColumnSpec]) -> None:
    name = table.file_name
    known = set(table.columns)
    for spec in specs:
        if spec.column not in known:
            raise IngestError(name, "the mapping names a column the file does not have", column=spec.column, sheet=table.sheet)
        if spec.role not in ROLES:
            raise IngestError(name, f"unknown role '{spec.role}'", column=spec.column, hint=f"use one of {', '.join(ROLES)}")
        if spec.role in SCORED:
            lo, hi = spec.scale_min, spec.scale_max
            if lo is None or hi is None or not (0 <= lo < hi <= 100):
                raise IngestError(name, f"the scale {lo}–{hi} is not valid", column=spec.column, hint="set a scale such as 1–10 or 1–5")
        if spec.role == "rating" and not (spec.touchpoint or "").strip():
            raise IngestError(name, "a rating column needs a touchpoint name", column=spec.column)
        if spec.role == "multi" and not ((spec.touchpoint or "").strip() and (spec.option or "").strip()):
            raise IngestError(name, "a multiple-choice option needs its question and option", column=spec.column)
        if spec.role == "date" and spec.date_order not in (None, *DATE_ORDERS):
            raise IngestError(name, f"unknown date order '{spec.date_order}'", column=spec.column, hint="use day-first or month-first")
        if spec.role == "jar":
            _jar_labels(table, spec)
        if spec.role == "contact" and spec.contact_kind not in CONTACT_KINDS:
            raise IngestError(name, f"a contact column needs its kind, not '{spec.contact_kind}'", column=spec.column,
                              hint=f"use one of {', '.join(CONTACT_KINDS)}")
    for role in ("id", "date", "nps", "overall", "weight"):
        chosen = [s.column for s in specs if s.role == role]
        if len(chosen) > 1:
            raise IngestError(name, f"{len(chosen)} columns are marked as '{role}': {', '.join(chosen)}", hint="keep one, set the others to 'ignore'")
    touchpoints = Counter(s.touchpoint.strip() for s in specs if s.role == "rating")
    doubled = [t for t, c in touchpoints.items() if c > 1]
    if doubled:
        raise IngestError(name, f"the touchpoint '{doubled[0]}' is mapped from {touchpoints[doubled[0]]} columns", hint="give each rating column its own touchpoint name")
    if not any(s.role in SCORED for s in specs):
        hint = "the file needs at least one column of numeric ratings (e.g. 1–10) or the 0–10 recommend question"
        if table.unknown_scales:
            shown = ", ".join(f"'{c[:40]}'" for c in table.unknown_scales[:3])
            hint += f"; the text answers in {shown} are no rating scale TPM knows (their order is unknown) — recode them to numbers in the export"
        raise IngestError(name, "no rating or recommendation (NPS) column was found", sheet=table.sheet, hint=hint)


def _jar_labels(table: RawTable, spec: ColumnSpec) -> None:
    """A just-about-right column's answers and their sides (too little −, just right 0, too much +):
    the detected ones, or found now for a column the analyst set to this role; an answer outside
    them is refused with its row."""
    from tpm.ingest.scales import jar_sides

    parsed = table.parsed(spec.column)
    if not spec.labels:
        found = jar_sides(list(parsed.value_text[(parsed.counts > 0) & ~parsed.value_missing]))
        if found is None:
            raise IngestError(table.file_name, "the answers are no just-about-right scale (too little / just right / too much)",
                              column=spec.column, sheet=table.sheet, hint="choose another role for the column")
        spec.labels = found[0]
    known = {normalise_label(k) for k in spec.labels}
    codes = parsed.codes()
    unknown = np.array([bool(v) and normalise_label(v) not in known for v in parsed.value_text]) & ~parsed.value_missing \
        & (parsed.counts > 0)
    if unknown.any():
        i = _first_cell(codes, unknown)
        raise IngestError(table.file_name, f"'{parsed.value_text[codes[i]][:40]}' is not an answer of the just-about-right scale",
                          sheet=table.sheet, row=table.sheet_row(i), column=spec.column,
                          hint="fix the cell, or mark the column as 'ignore' or 'segment'")


@dataclass
class _Scores:
    """A scored column by its distinct values: ``values`` (float, NaN = no score) and
    ``dont_know`` per value; ``parsed.codes()`` gives each cell's value (see
    :class:`~tpm.ingest.values.ParsedColumn`)."""

    values: np.ndarray
    dont_know: np.ndarray
    parsed: ParsedColumn

    @property
    def counts(self) -> np.ndarray:
        return self.parsed.counts

    def per_cell(self) -> np.ndarray:
        return self.values[self.parsed.codes()]


def _first_cell(codes: np.ndarray, flagged: np.ndarray) -> int:
    """The first row whose value is flagged."""
    return int(np.argmax(flagged[codes]))


def _scored(table: RawTable, spec: ColumnSpec) -> _Scores:
    """A rating/NPS/overall column as floats, missing as NaN, checked against the scale; and its
    *don't know* answers — decided once per distinct value, not per cell.

    Missing: blanks, no-answer words, negative codes and the analyst's ``missing_codes``. A
    label set's own labels win over no-answer words ("trifft nicht zu" in an agreement set).
    """
    parsed = table.parsed(spec.column)
    raw = parsed.value_numbers
    missing = parsed.value_missing
    dont_know = parsed.value_dont_know
    used = parsed.counts > 0
    if spec.labels:  # a scale written as words: each answer through the confirmed mapping
        labels = {normalise_label(k): v for k, v in spec.labels.items()}
        raw = np.array([labels.get(normalise_label(v), np.nan) if v else np.nan for v in parsed.value_text], dtype=np.float64)
        labelled = ~np.isnan(raw)
        missing = missing & ~labelled
        dont_know = dont_know & ~labelled
    codes = parsed.codes()
    unreadable = ~missing & np.isnan(raw) & used
    if unreadable.any():
        i = _first_cell(codes, unreadable)
        raise IngestError(
            table.file_name,
            f"'{parsed.value_text[codes[i]][:40]}' is not " + ("one of the scale's labels" if spec.labels else
                                                             f"a number on the scale {spec.scale_min}–{spec.scale_max}"),
            sheet=table.sheet,
            row=table.sheet_row(i),
            column=spec.column,
            hint="fix the cell, or mark the column as 'ignore' or 'segment'",
        )
    numbers = np.where(missing | (raw < 0), np.nan, raw)
    if spec.missing_codes:
        numbers = np.where(np.isin(numbers, np.asarray(spec.missing_codes, dtype=np.float64)), np.nan, numbers)
    with np.errstate(invalid="ignore"):
        outside = ((numbers < spec.scale_min) | (numbers > spec.scale_max)) & used
    if outside.any():
        i = _first_cell(codes, outside)
        value = numbers[codes[i]]
        raise IngestError(
            table.file_name,
            f"the value {value:g} is outside the scale {spec.scale_min}–{spec.scale_max} "
            f"({int(parsed.counts[outside].sum())} value(s) in this column)",
            sheet=table.sheet,
            row=table.sheet_row(i),
            column=spec.column,
            hint=f"fix the data, correct the scale in the mapping, or declare {value:g} a missing code "
                 f"(Upload page: column 'missing codes'; CLI: --missing \"{spec.column[:40]}={value:g}\")",
        )
    return _Scores(numbers, dont_know, parsed)


def _check_outcome(table: RawTable, spec: ColumnSpec) -> None:
    """Every answer of an outcome column reads as a number (yes = 1, no = 0, a number, or the
    mapping's labels: :func:`~tpm.ingest.detect.outcome_value`); else the first other answer is
    refused with its row."""
    parsed = table.parsed(spec.column)
    unreadable = np.array([not missing and count > 0 and outcome_value(text, spec.labels) is None
                           for text, missing, count in zip(parsed.value_text, parsed.value_missing, parsed.counts)])
    if unreadable.any():
        i = _first_cell(parsed.codes(), unreadable)
        raise IngestError(table.file_name, f"'{parsed.value_text[parsed.codes()[i]][:40]}' is not yes/no or a number "
                                           "(an outcome's answers)", sheet=table.sheet, row=table.sheet_row(i),
                          column=spec.column, hint="recode the answers as yes/no or 1/0, or mark the column as 'segment'")


def _weights(table: RawTable, spec: ColumnSpec) -> tuple[np.ndarray, str]:
    """The weight column, checked (every respondent needs a positive number) and rescaled so the
    weights sum to n (the unweighted count): w_i · n / Σw. Returns (weights, note)."""
    parsed = table.parsed(spec.column)
    w = parsed.numbers
    for bad, what in ((parsed.missing, "is empty"), (~parsed.missing & np.isnan(w), "is not a number"),
                      (~np.isnan(w) & (w <= 0), "is not positive")):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise IngestError(table.file_name, f"the weight {what} ({int(bad.sum())} row(s) in this column)",
                              sheet=table.sheet, row=table.sheet_row(i), column=spec.column,
                              hint="every respondent needs a positive weight; fix the file, or set the column to 'ignore'")
    factor = len(w) / float(w.sum())
    note = f"weights from '{spec.column}' rescaled to sum to n = {len(w)} (factor {factor:.6g})"
    return w * factor, note


def normalise(table: RawTable, specs: list[ColumnSpec]) -> Canonical:
    import pandas as pd

    validate_specs(table, specs)
    n = table.n_rows
    by_role = {role: [s for s in specs if s.role == role] for role in ROLES}
    notes = list(table.notes)
    for spec in by_role["ignore"]:
        if spec.unsure:  # why the detector set a column aside (e.g. the export's own NPS groups)
            notes.append(f"column '{spec.column}' ignored: {spec.unsure}")

    if by_role["id"]:
        respondent_ids = _respondent_ids(table, by_role["id"][0])
    else:
        rows = table.row_numbers if table.row_numbers is not None else np.arange(n) + table.header_row + 1
        respondent_ids = pc.binary_join_element_wise("row-", pc.cast(pa.array(rows, type=pa.int64()), pa.string()), "")

    resp = np.arange(n, dtype=np.int32)
    respondents = pd.DataFrame({"resp": resp, "respondent_id": _strings(respondent_ids),
                                "row_number": resp + table.header_row + 1})
    if by_role["date"]:
        dated = by_role["date"][0]
        dates, _ = to_dates(None, table.parsed(dated.column), order=dated.date_order)
        respondents["responded_at"] = pd.to_datetime(dates).astype("datetime64[us]").to_numpy()
    else:
        respondents["responded_at"] = pd.Series(pd.NaT, index=range(n), dtype="datetime64[us]")
    respondents["nps"] = _scored(table, by_role["nps"][0]).per_cell() if by_role["nps"] else np.nan
    overall = by_role["overall"][0] if by_role["overall"] else None
    respondents["overall"] = _scored(table, overall).per_cell() if overall else np.nan
    respondents["overall_min"] = np.int16(overall.scale_min if overall else 0)
    respondents["overall_max"] = np.int16(overall.scale_max if overall else 0)
    if by_role["weight"]:
        respondents["weight"], note = _weights(table, by_role["weight"][0])
        notes.append(note)
    else:
        respondents["weight"] = np.nan

    scored = [_scored(table, spec) for spec in by_role["rating"]]
    ratings, dont_know = LongScores(by_role["rating"], scored), LongScores(by_role["rating"], scored, dont_know=True)
    for spec in by_role["outcome"]:
        _check_outcome(table, spec)
    # a just-about-right question is stored like a segment (its answers as values); its sides stay in the mapping
    segments = LongTexts(table, by_role["segment"] + by_role["outcome"] + by_role["multi"] + by_role["jar"], "segment", "value")
    comments = LongTexts(table, by_role["comment"], "question", "text")
    for spec in by_role["contact"]:
        if spec.doubt:
            notes.append(f"contact column '{spec.column}' not stored: confirm the role 'contact' to keep it for follow-up")
    contacts = LongTexts(table, [s for s in by_role["contact"] if not s.doubt], "kind", "value")
    return Canonical(respondents=respondents, ratings=ratings, segments=segments, comments=comments, specs=list(specs),
                     notes=notes, dont_know=dont_know, contacts=contacts)


class LongScores:
    """The long rows of the rating columns (``dont_know=False``: the scores; True: the "don't
    know" answers), kept as each column's codes and its distinct values' scores until asked for."""

    def __init__(self, specs: list[ColumnSpec], scored: list[_Scores], dont_know: bool = False) -> None:
        self.specs, self.scored, self.dont_know = specs, scored, dont_know
        self.names = [spec.touchpoint.strip() for spec in specs]
        self.code_type = np.int8 if len(specs) < 128 else np.int16 if len(specs) < 32768 else np.int32

    def _wanted(self, s: _Scores) -> np.ndarray:
        return s.dont_know if self.dont_know else ~np.isnan(s.values)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, s in zip(self.names, self.scored):
            n = int(s.counts[self._wanted(s)].sum())
            if n:
                out[name] = n
        return out

    def rows(self) -> int:
        return sum(self.counts().values())

    def _columns(self, s: _Scores, spec: ColumnSpec) -> tuple[np.ndarray, dict]:
        codes = s.parsed.codes()
        keep = np.flatnonzero(self._wanted(s)[codes])
        if self.dont_know:
            return keep, {}
        return keep, {"score": s.values[codes[keep]], "scale_min": np.full(len(keep), spec.scale_min, np.int16),
                      "scale_max": np.full(len(keep), spec.scale_max, np.int16)}

    def frame(self) -> pd.DataFrame:
        """All rows as one frame, written straight into arrays of their final size."""
        import pandas as pd

        columns = ["resp", "touchpoint"] + ([] if self.dont_know else ["score", "scale_min", "scale_max"])
        if not self.specs:
            return _empty(columns)
        total = self.rows()
        resp, codes = np.empty(total, np.int32), np.empty(total, self.code_type)
        rest = {} if self.dont_know else {"score": np.empty(total, np.float64), "scale_min": np.empty(total, np.int16),
                                          "scale_max": np.empty(total, np.int16)}
        at = 0
        for code, (spec, s) in enumerate(zip(self.specs, self.scored)):
            keep, values = self._columns(s, spec)
            end = at + len(keep)
            resp[at:end], codes[at:end] = keep, code
            for name, array in values.items():
                rest[name][at:end] = array
            at = end
        return pd.DataFrame({"resp": resp, "touchpoint": pd.Categorical.from_codes(codes, categories=self.names), **rest})

    def reader(self) -> pa.RecordBatchReader:
        """The rows as Arrow batches, one per touchpoint (the touchpoint dictionary-encoded)."""
        names = pa.array(self.names, pa.string())
        fields = [("resp", pa.int32()), ("touchpoint", pa.dictionary(pa.int32(), pa.string()))]
        if not self.dont_know:
            fields += [("score", pa.float64()), ("scale_min", pa.int16()), ("scale_max", pa.int16())]
        schema = pa.schema(fields)

        def batches():
            for code, (spec, s) in enumerate(zip(self.specs, self.scored)):
                keep, values = self._columns(s, spec)
                if len(keep):
                    touchpoint = pa.DictionaryArray.from_arrays(pa.array(np.full(len(keep), code, np.int32)), names)
                    yield pa.record_batch([pa.array(keep.astype(np.int32)), touchpoint, *map(pa.array, values.values())],
                                          schema=schema)

        return pa.RecordBatchReader.from_batches(schema, batches())


def _respondent_ids(table: RawTable, spec: ColumnSpec) -> pa.Array:
    """The id column's stripped texts, checked: none empty, none twice (error names the rows)."""
    parsed = table.parsed(spec.column)
    codes = parsed.codes()
    empty = np.append(pc.fill_null(pc.equal(parsed.stripped, ""), True).to_numpy(zero_copy_only=False), True)
    if (empty & (parsed.counts > 0)).any():
        i = _first_cell(codes, empty)
        raise IngestError(table.file_name, "a respondent id is empty", sheet=table.sheet, row=table.sheet_row(i), column=spec.column,
                          hint="fill it, or set the column to 'ignore' to number respondents by row")
    ids = parsed.texts_at(np.arange(len(parsed)))
    if parsed.counts.max() > 1 or len(pc.unique(ids)) < len(ids):  # some id twice: the rows, as pandas finds them
        import pandas as pd

        series = pd.Series(ids.to_pylist(), dtype=object)
        doubled = series.duplicated(keep=False)
        rows = [table.sheet_row(int(i)) for i in np.flatnonzero(doubled.to_numpy())[:2]]
        raise IngestError(table.file_name, f"the respondent id '{series[doubled].iloc[0]}' appears more than once (rows {rows[0]} and {rows[1]})",
                          sheet=table.sheet, column=spec.column, hint="remove duplicate responses, or set the column to 'ignore'")
    return ids


def _strings(values: pa.Array) -> pd.Series:
    """Arrow text as pandas' default string column (what pandas makes of Python strings), without a copy."""
    import pandas as pd

    return pd.Series(values, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


class LongTexts:
    """Segments (``key="segment"``) or comments (``key="question"``), one row per answered cell,
    kept as the columns' codes until asked for: as a frame, or as Arrow batches (a column at a
    time, texts dictionary-encoded) for the database. A multiple-choice option column gives a
    row per ticked cell: segment = the question, value = the option."""

    def __init__(self, table: RawTable, specs: list[ColumnSpec], key: str, value: str) -> None:
        self.key, self.value = key, value
        self.parts = [(spec, table.parsed(spec.column)) for spec in specs]

    def _label(self, spec: ColumnSpec) -> str:
        if spec.role == "multi":
            return spec.touchpoint.strip()
        if spec.role == "contact":
            return spec.contact_kind
        return (spec.touchpoint or spec.column).strip() if self.key == "segment" else spec.column

    @staticmethod
    def _kept(spec: ColumnSpec, parsed: ParsedColumn) -> np.ndarray:
        """Per distinct value: a row? (an answer; for an option: ticked)"""
        if spec.role != "multi":
            return ~parsed.value_missing
        answers = np.array([v.casefold() for v in parsed.value_text], dtype=object)
        return ~parsed.value_missing & ~np.isin(answers, list(UNTICKED))

    def rows(self) -> int:
        return sum(int(parsed.counts[self._kept(spec, parsed)].sum()) for spec, parsed in self.parts)

    def _columns(self, spec: ColumnSpec, parsed: ParsedColumn, arrow: bool):
        codes = parsed.codes()
        rows = np.flatnonzero(self._kept(spec, parsed)[codes])
        if spec.role == "multi":
            values = pa.DictionaryArray.from_arrays(pa.array(np.zeros(len(rows), np.int32)), pa.array([spec.option.strip()]))
        else:
            values = pa.DictionaryArray.from_arrays(pa.array(codes[rows]), parsed.stripped)
        return rows.astype(np.int32), values if arrow else values.cast(pa.string())

    @property
    def _tied(self) -> bool:
        """Comments carry the touchpoint their column is tied to (ColumnSpec.touchpoint; None: general)."""
        return self.key == "question"

    @staticmethod
    def _touchpoint(spec: ColumnSpec) -> str | None:
        return (spec.touchpoint or "").strip() or None

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        columns = ["resp", self.key, self.value, *(["touchpoint"] if self._tied else [])]
        if not self.parts:
            return _empty(columns)
        frames = []
        if all(spec.role == "multi" for spec, _ in self.parts):
            frames.append(_empty(columns))  # as before: options after the (no) segments
        for spec, parsed in self.parts:
            rows, values = self._columns(spec, parsed, arrow=False)
            frame = pd.DataFrame({"resp": rows, self.key: self._label(spec), self.value: _strings(values)})
            if self._tied:
                frame["touchpoint"] = pd.Series([self._touchpoint(spec)] * len(rows), dtype=object)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def reader(self) -> pa.RecordBatchReader:
        text = pa.dictionary(pa.int32(), pa.string())
        fields = [("resp", pa.int32()), (self.key, text), (self.value, text)]
        schema = pa.schema(fields + ([("touchpoint", text)] if self._tied else []))

        def constant(value: str | None, n: int) -> pa.DictionaryArray:
            return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value], pa.string()))

        def batches():
            for spec, parsed in self.parts:
                rows, values = self._columns(spec, parsed, arrow=True)
                if len(rows):
                    tied = [constant(self._touchpoint(spec), len(rows))] if self._tied else []
                    yield pa.record_batch([pa.array(rows), constant(self._label(spec), len(rows)), values, *tied], schema=schema)

        return pa.RecordBatchReader.from_batches(schema, batches())


def _empty(columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
