"""Long format — not a survey tool's, but how agencies and BI tools deliver data.

**Long format** (one row per respondent × touchpoint, as agencies and BI tools deliver it):
columns for the respondent id, the touchpoint and the score, plus respondent-level columns
(segments, NPS, dates) repeated on every row. It is turned into one row per respondent with one
column per touchpoint; the respondent-level columns take each respondent's first non-empty value.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa

from tpm.ingest.errors import IngestError
from tpm.ingest.platforms.base import Platform
from tpm.ingest.table import RawTable

_ID = re.compile(r"^(respondent[ _-]?id|befragten[ _-]?id|response[ _-]?id|teilnehmer[ _-]?id|id)$", re.I)
_TOUCHPOINT = re.compile(r"^(touchpoint|kontaktpunkt|touch point|item|aspekt|aspect)$", re.I)
_SCORE = re.compile(r"^(score|bewertung|rating|wert|value|note)$", re.I)


def _strings(series: pd.Series) -> pa.Array:
    return pa.array([None if pd.isna(v) else str(v) for v in series], type=pa.string())


def _find(table: RawTable, pattern: re.Pattern) -> str | None:
    return next((name for name in table.columns if pattern.match(name.strip())), None)


def is_long(table: RawTable) -> bool:
    """Long format: an id, a touchpoint and a score column, and ids that repeat."""
    columns = [_find(table, p) for p in (_ID, _TOUCHPOINT, _SCORE)]
    if None in columns:
        return False
    ids = table.parsed(columns[0]).text
    return len(set(ids)) < len(ids)


def long_to_wide(table: RawTable) -> RawTable:
    """One row per respondent, one column per touchpoint (see the module docstring)."""
    id_col, tp_col, score_col = (_find(table, p) for p in (_ID, _TOUCHPOINT, _SCORE))
    frame = pd.DataFrame({name: table.parsed(name).text for name in table.columns})
    frame = frame.replace("", np.nan)
    frame = frame[frame[id_col].notna()]
    doubled = frame.duplicated([id_col, tp_col]) & frame[tp_col].notna()
    if doubled.any():
        i = int(np.flatnonzero(doubled.to_numpy())[0])
        raise IngestError(table.file_name, f"respondent '{frame[id_col].iloc[i]}' rated '{frame[tp_col].iloc[i]}' twice",
                          sheet=table.sheet, row=table.sheet_row(int(frame.index[i])), column=tp_col,
                          hint="a long-format file needs one row per respondent and touchpoint")
    order = pd.unique(frame[id_col])
    scores = frame.dropna(subset=[tp_col]).pivot(index=id_col, columns=tp_col, values=score_col).reindex(order)
    others = [c for c in frame.columns if c not in (id_col, tp_col, score_col)]
    people = frame.groupby(id_col, sort=False)[others].first().reindex(order) if others else pd.DataFrame(index=order)
    columns: dict[str, pa.Array] = {id_col: pa.array(list(order), type=pa.string())}
    for name in others:
        columns[name] = _strings(people[name])
    for touchpoint in scores.columns:
        header = str(touchpoint) if str(touchpoint) not in columns else f"{touchpoint} (Bewertung)"
        columns[header] = _strings(scores[touchpoint])
    notes = table.notes + [f"long format: {len(frame)} rows of respondent × touchpoint became {len(order)} respondents"]
    first_rows = frame.groupby(id_col, sort=False).apply(lambda g: g.index[0], include_groups=False).reindex(order)
    return RawTable(file_name=table.file_name, columns=columns, header_row=table.header_row, sheet=table.sheet,
                    sheets=table.sheets, encoding=table.encoding, delimiter=table.delimiter, notes=notes,
                    platform="long format", row_numbers=np.array([table.sheet_row(int(i)) for i in first_rows]))


def reshape(table: RawTable, include_incomplete: bool = False) -> RawTable:
    return long_to_wide(table) if is_long(table) else table


PLATFORM = Platform("long format", rows=reshape)
