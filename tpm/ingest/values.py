"""Cell-level parsing shared by all readers: missing-value tokens, numbers, dates.

Readers deliver every column as an Arrow string array (Excel numbers and dates as their
text, empty cells as null). Parsing runs as vectorised Arrow compute kernels (C++), so a
100 000-row export is parsed without a Python loop over cells.

Rules (DOMAIN.md): "k.A.", "keine Angabe", "weiß nicht", "N/A", "NA", blanks and
negative codes (-1, -2, -99 …) are *missing* — never a low score. German numbers use a
decimal comma and a thousands dot ("1.234,56"); dates may be ``dd.mm.yyyy``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Answers that mean "no answer". Compared after ``strip().casefold()``.
MISSING_TOKENS: frozenset[str] = frozenset(
    {
        "",
        "-",
        "--",
        ".",
        "k.a.",
        "k.a",
        "k. a.",
        "ka",
        "keine angabe",
        "keine antwort",
        "weiß nicht",
        "weiss nicht",
        "weiß nicht / keine angabe",
        "trifft nicht zu",
        "nicht zutreffend",
        "n/a",
        "n.a.",
        "na",
        "nan",
        "none",
        "null",
        "#n/a",
        "not applicable",
        "don't know",
        "dont know",
        "do not know",
        "prefer not to say",
        "no answer",
        "unfamiliar (n/a)",
        "i don't know / na",
        "i don’t know / na",
        "i don't know",
        "i don’t know",
        "no basis for evaluation",
        "kann ich nicht beurteilen",
        "weiß nicht / keine angabe",
    }
)


#: Date formats tried on text columns, most specific first; day-first wins for dd.mm.
DATE_FORMATS: tuple[str, ...] = (
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%y",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",  # Google Sheets date-times with milliseconds
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%d.%m.%Y %H:%M:%S.%f",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y",
)


#: Tokens that only mean "empty" (no answer given at all). Every other token is an answer of
#: its own — "weiß nicht", "k.A.", "N/A", "don't know" — counted as *don't know* (DOMAIN.md).
BLANK_TOKENS: frozenset[str] = frozenset({"", "-", "--", ".", "nan", "none", "null", "#n/a"})
DONT_KNOW_TOKENS: frozenset[str] = MISSING_TOKENS - BLANK_TOKENS

_NUMBER_START = frozenset("0123456789+-.")
_TOKENS = pa.array(sorted(MISSING_TOKENS | {t.replace("ss", "ß") for t in MISSING_TOKENS}))
_DK = pa.array(sorted(DONT_KNOW_TOKENS | {t.replace("ss", "ß") for t in DONT_KNOW_TOKENS}))
# number patterns for Arrow's regex kernels (RE2 syntax): plain "7.5" and German "1.234,56"
_PLAIN_RE2 = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_GERMAN_RE2 = r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"


def as_text_array(values) -> pa.StringArray:
    """Any column (Arrow array, pandas Series, list) as an Arrow string array; empty → null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if pa.types.is_string(values.type) else pc.cast(values, pa.string())
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=object)
    return pa.array([cell_text(v) for v in values], type=pa.string())


def cell_text(value) -> str | None:
    """A Python cell value as text: 5.0 → "5", None/NaN → None, True → "True"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class ParsedColumn:
    """One pass over a column's cells, shared by detection and normalisation.

    - ``missing``: empty cell or a no-answer token ("k.A.", "weiß nicht", …);
    - ``dont_know``: the part of ``missing`` that is a *don't know* answer, not an empty cell;
    - ``numbers``: float value of numeric text ("7", "7.5", "7,5", "1.234,56"), NaN elsewhere
      (negative codes are kept; normalisation treats them as missing);
    - ``text``: every cell as stripped text ("" for empty), a numpy object array, made on first use.
    """

    def __init__(self, values) -> None:
        stripped = pc.utf8_trim_whitespace(as_text_array(values))
        self.stripped = stripped
        tokens = pc.fill_null(pc.is_in(pc.utf8_lower(stripped), value_set=_TOKENS), False)
        self.missing = pc.or_(pc.is_null(stripped), tokens).to_numpy(zero_copy_only=False)
        if pc.any(tokens).as_py():
            dk = pc.fill_null(pc.is_in(pc.utf8_lower(stripped), value_set=_DK), False)
            self.dont_know = dk.to_numpy(zero_copy_only=False)
        else:
            self.dont_know = np.zeros(len(stripped), dtype=bool)
        answers = pc.if_else(self.missing, pa.scalar(None, pa.string()), stripped)
        sample = answers.drop_null()[:200].to_pylist()
        if not any(v[:1] in _NUMBER_START for v in sample):
            # a text column (ids like "R0001", regions, comments): no number to look for
            numbers = pa.nulls(len(answers), pa.float64())
        else:
            try:  # fast path: every answer is a plain number (most rating columns)
                numbers = pc.cast(answers, pa.float64())
            except pa.ArrowInvalid:
                numbers = _parse_numbers(answers)
        self.numbers = numbers.to_numpy(zero_copy_only=False).astype(np.float64)
        self._text: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.stripped)

    @property
    def text(self) -> np.ndarray:
        if self._text is None:
            self._text = pc.fill_null(self.stripped, "").to_numpy(zero_copy_only=False)
        return self._text


def _parse_numbers(answers: pa.StringArray) -> pa.DoubleArray:
    """Plain ("7.5") and German ("7,5", "1.234,56") numbers; null for anything else."""
    null = pa.scalar(None, pa.string())
    plain = pc.fill_null(pc.match_substring_regex(answers, _PLAIN_RE2), False)
    numbers = pc.cast(pc.if_else(plain, answers, null), pa.float64())
    german = pc.and_(pc.fill_null(pc.match_substring_regex(answers, _GERMAN_RE2), False), pc.invert(plain))
    if pc.any(german).as_py():
        text = pc.if_else(german, answers, null)
        text = pc.replace_substring(pc.replace_substring(text, ".", ""), ",", ".")
        numbers = pc.coalesce(numbers, pc.cast(text, pa.float64()))
    return numbers






def to_numbers(column) -> pd.Series:
    """Parse a column to floats; NaN where a cell is missing or not a number.

    Accepts plain ("7", "7.5") and German ("7,5", "1.234,56") notation. Negative codes are
    *not* removed here: callers decide what they mean.
    """
    return pd.Series(ParsedColumn(column).numbers)




def to_dates(column, parsed: ParsedColumn | None = None) -> tuple[pd.Series, float]:
    """Parse a column to timestamps; returns (values, share of non-missing cells parsed).

    The :data:`DATE_FORMATS` are tried on a sample of 200 cells and only the best format is
    applied to the whole column (Excel date cells arrive as ISO text, "2026-01-05 00:00:00").
    """
    parsed = parsed or ParsedColumn(column)
    present = ~parsed.missing
    n = len(parsed)
    empty = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    if not present.any():
        return empty, 0.0
    text = pd.Series(np.where(present, parsed.text, None), dtype=object)
    sample = text[present][:200]
    if not any(any(ch.isdigit() for ch in value) for value in sample[:20]):
        return empty, 0.0  # no digits, no dates
    best_format, best_share = None, 0.0
    for fmt in DATE_FORMATS:
        share = float(pd.to_datetime(sample, format=fmt, errors="coerce").notna().mean())
        if share > best_share:
            best_format, best_share = fmt, share
            if share == 1.0:
                break
    if best_format is None or best_share < 0.5:
        return empty, best_share
    values = pd.to_datetime(text, format=best_format, errors="coerce")
    return values, float(values[present].notna().mean())

