"""Raw cells + confirmed column specs → validated canonical frames (DESIGN.md's model).

Frames (one row per respondent / per given answer, long and sparse):

- ``respondents``: respondent_id, row_number, responded_at, nps
- ``ratings``: respondent_id, touchpoint, score, scale_min, scale_max (answered cells only)
- ``segments``: respondent_id, segment, value
- ``comments``: respondent_id, question, text

Validation raises :class:`IngestError` naming the column and, for a value, the row as
the user sees it in Excel: a rating outside its scale, a duplicate respondent id, a
mapping with two NPS columns. Missing answers (blank, "k.A.", negative codes) are
dropped, never scored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tpm.ingest.detect import ROLES, ColumnSpec
from tpm.ingest.errors import IngestError
from tpm.ingest.readers import RawTable
from tpm.ingest.values import drop_negative_codes, missing_mask, text_of, to_dates, to_numbers


@dataclass
class Canonical:
    respondents: pd.DataFrame
    ratings: pd.DataFrame
    segments: pd.DataFrame
    comments: pd.DataFrame
    specs: list[ColumnSpec]
    notes: list[str] = field(default_factory=list)

    @property
    def touchpoints(self) -> list[str]:
        return [s.touchpoint for s in self.specs if s.role == "rating"]


def validate_specs(table: RawTable, specs: list[ColumnSpec]) -> None:
    name = table.file_name
    known = set(table.columns)
    for spec in specs:
        if spec.column not in known:
            raise IngestError(name, "the mapping names a column the file does not have", column=spec.column, sheet=table.sheet)
        if spec.role not in ROLES:
            raise IngestError(name, f"unknown role '{spec.role}'", column=spec.column, hint=f"use one of {', '.join(ROLES)}")
        if spec.role in {"rating", "nps"}:
            lo, hi = spec.scale_min, spec.scale_max
            if lo is None or hi is None or not (0 <= lo < hi <= 100):
                raise IngestError(name, f"the scale {lo}–{hi} is not valid", column=spec.column, hint="set a scale such as 1–10 or 1–5")
        if spec.role == "rating" and not (spec.touchpoint or "").strip():
            raise IngestError(name, "a rating column needs a touchpoint name", column=spec.column)
    for role in ("id", "date", "nps"):
        chosen = [s.column for s in specs if s.role == role]
        if len(chosen) > 1:
            raise IngestError(name, f"{len(chosen)} columns are marked as '{role}': {', '.join(chosen)}", hint="keep one, set the others to 'ignore'")
    touchpoints = Counter(s.touchpoint.strip() for s in specs if s.role == "rating")
    doubled = [t for t, c in touchpoints.items() if c > 1]
    if doubled:
        raise IngestError(name, f"the touchpoint '{doubled[0]}' is mapped from {touchpoints[doubled[0]]} columns", hint="give each rating column its own touchpoint name")
    if not any(s.role in {"rating", "nps"} for s in specs):
        raise IngestError(
            name,
            "no rating or recommendation (NPS) column was found",
            sheet=table.sheet,
            hint="the file needs at least one column of numeric ratings (e.g. 1–10) or the 0–10 recommend question",
        )


def _scored(table: RawTable, spec: ColumnSpec) -> pd.Series:
    """A rating/NPS column as floats, missing as NaN, checked against the scale."""
    column = table.columns[spec.column]
    missing = missing_mask(column)
    numbers = drop_negative_codes(to_numbers(column))
    unreadable = ~missing & numbers.isna() & ~(to_numbers(column) < 0)
    if unreadable.any():
        i = int(np.flatnonzero(unreadable.to_numpy())[0])
        raise IngestError(
            table.file_name,
            f"'{text_of(column.iloc[[i]]).iloc[0][:40]}' is not a number on the scale {spec.scale_min}–{spec.scale_max}",
            sheet=table.sheet,
            row=table.sheet_row(i),
            column=spec.column,
            hint="fix the cell, or mark the column as 'ignore' or 'segment'",
        )
    outside = (numbers < spec.scale_min) | (numbers > spec.scale_max)
    if outside.any():
        i = int(np.flatnonzero(outside.to_numpy())[0])
        raise IngestError(
            table.file_name,
            f"the value {numbers.iloc[i]:g} is outside the scale {spec.scale_min}–{spec.scale_max} "
            f"({int(outside.sum())} value(s) in this column)",
            sheet=table.sheet,
            row=table.sheet_row(i),
            column=spec.column,
            hint="correct the scale in the mapping or fix the data",
        )
    return numbers


def normalise(table: RawTable, specs: list[ColumnSpec]) -> Canonical:
    validate_specs(table, specs)
    n = table.n_rows
    by_role = {role: [s for s in specs if s.role == role] for role in ROLES}
    notes = list(table.notes)

    if by_role["id"]:
        spec = by_role["id"][0]
        ids = text_of(table.columns[spec.column])
        empty = ids == ""
        if empty.any():
            i = int(np.flatnonzero(empty.to_numpy())[0])
            raise IngestError(table.file_name, "a respondent id is empty", sheet=table.sheet, row=table.sheet_row(i), column=spec.column,
                              hint="fill it, or set the column to 'ignore' to number respondents by row")
        doubled = ids.duplicated(keep=False)
        if doubled.any():
            rows = [table.sheet_row(int(i)) for i in np.flatnonzero(doubled.to_numpy())[:2]]
            raise IngestError(table.file_name, f"the respondent id '{ids[doubled].iloc[0]}' appears more than once (rows {rows[0]} and {rows[1]})",
                              sheet=table.sheet, column=spec.column, hint="remove duplicate responses, or set the column to 'ignore'")
        respondent_ids = ids
    else:
        respondent_ids = pd.Series([f"row-{table.sheet_row(i)}" for i in range(n)], dtype="object")

    respondents = pd.DataFrame({"respondent_id": respondent_ids.astype(str).to_numpy(), "row_number": np.arange(n) + table.header_row + 1})
    if by_role["date"]:
        dates, _ = to_dates(table.columns[by_role["date"][0].column])
        respondents["responded_at"] = pd.to_datetime(dates).astype("datetime64[us]").to_numpy()
    else:
        respondents["responded_at"] = pd.Series(pd.NaT, index=range(n), dtype="datetime64[us]")
    if by_role["nps"]:
        respondents["nps"] = _scored(table, by_role["nps"][0]).to_numpy()
    else:
        respondents["nps"] = np.nan

    rating_parts = []
    for spec in by_role["rating"]:
        scores = _scored(table, spec)
        keep = scores.notna().to_numpy()
        rating_parts.append(
            pd.DataFrame(
                {
                    "respondent_id": respondents["respondent_id"].to_numpy()[keep],
                    "touchpoint": spec.touchpoint.strip(),
                    "score": scores.to_numpy()[keep],
                    "scale_min": spec.scale_min,
                    "scale_max": spec.scale_max,
                }
            )
        )
    ratings = pd.concat(rating_parts, ignore_index=True) if rating_parts else _empty(["respondent_id", "touchpoint", "score", "scale_min", "scale_max"])

    segments = _long_text(table, by_role["segment"], respondents["respondent_id"], "segment", "value")
    comments = _long_text(table, by_role["comment"], respondents["respondent_id"], "question", "text")
    return Canonical(respondents=respondents, ratings=ratings, segments=segments, comments=comments, specs=list(specs), notes=notes)


def _long_text(table: RawTable, specs: list[ColumnSpec], ids: pd.Series, key: str, value: str) -> pd.DataFrame:
    parts = []
    for spec in specs:
        column = table.columns[spec.column]
        keep = ~missing_mask(column).to_numpy()
        label = (spec.touchpoint or spec.column).strip() if key == "segment" else spec.column
        parts.append(pd.DataFrame({"respondent_id": ids.to_numpy()[keep], key: label, value: text_of(column).to_numpy()[keep]}))
    if not parts:
        return _empty(["respondent_id", key, value])
    return pd.concat(parts, ignore_index=True)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
