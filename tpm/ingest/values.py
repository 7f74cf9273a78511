"""Cell-level parsing shared by all readers: missing-value tokens, numbers, dates.

Every function works on a whole column (a pandas Series of Python objects) at once,
so a 100 000-row export is parsed with vectorised pandas operations, not a Python loop.

Rules (DOMAIN.md): "k.A.", "keine Angabe", "weiß nicht", "N/A", "NA", blanks and
negative codes (-1, -2, -99 …) are *missing* — never a low score. German numbers use a
decimal comma and a thousands dot ("1.234,56"); dates may be ``dd.mm.yyyy``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

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
    }
)

_GERMAN_NUMBER = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")

#: Date formats tried on text columns, most specific first; day-first wins for dd.mm.
DATE_FORMATS: tuple[str, ...] = (
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%y",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y",
)


def text_of(column: pd.Series) -> pd.Series:
    """The column as stripped strings ("" for empty cells), whatever the reader gave."""
    out = column.astype("object").where(column.notna(), "")
    return out.map(str).str.strip()


def missing_mask(column: pd.Series) -> pd.Series:
    """True where a cell is empty or a no-answer token such as "k.A." or "weiß nicht"."""
    folded = text_of(column).str.casefold()
    return folded.isin(MISSING_TOKENS)


def to_numbers(column: pd.Series) -> pd.Series:
    """Parse a column to floats; NaN where a cell is missing or not a number.

    Accepts numbers as the reader gave them, plain strings ("7", "7.5") and German
    strings ("7,5", "1.234,56"). Negative codes are *not* removed here (see
    :func:`drop_negative_codes`): callers decide what a negative number means.
    """
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        return column.astype("float64")
    numbers = pd.to_numeric(column, errors="coerce")
    if pd.api.types.is_bool_dtype(numbers.dtype):
        return pd.Series(np.nan, index=column.index)
    numbers = numbers.astype("float64")
    # booleans are not numbers in a survey
    bools = column.map(lambda v: isinstance(v, bool))
    numbers[bools] = np.nan
    todo = numbers.isna() & column.map(lambda v: isinstance(v, str))
    if todo.any():
        text = column[todo].str.strip()
        german = text.str.match(_GERMAN_NUMBER) & ~text.str.match(r"^[+-]?\d{1,3}\.\d{3}$")
        converted = text[german].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        numbers.loc[converted.index] = pd.to_numeric(converted, errors="coerce")
    return numbers


def drop_negative_codes(numbers: pd.Series) -> pd.Series:
    """Negative codes (-1 "no basis", -99 "refused" …) become missing (DOMAIN.md)."""
    return numbers.where(~(numbers < 0))


def to_dates(column: pd.Series) -> tuple[pd.Series, float]:
    """Parse a column to timestamps; returns (values, share of non-missing cells parsed).

    Excel date cells arrive as ``datetime``/``date`` objects and are taken as they are;
    text is tried against :data:`DATE_FORMATS` and the format that parses most cells wins.
    """
    present = ~missing_mask(column)
    if not present.any():
        return pd.Series(pd.NaT, index=column.index, dtype="datetime64[ns]"), 0.0
    is_datetime = column.map(lambda v: hasattr(v, "year") and hasattr(v, "month"))
    if is_datetime[present].all():
        values = pd.to_datetime(column.where(present), errors="coerce")
        return values, float(values[present].notna().mean())
    text = text_of(column)
    best = pd.Series(pd.NaT, index=column.index, dtype="datetime64[ns]")
    best_share = 0.0
    for fmt in DATE_FORMATS:
        parsed = pd.to_datetime(text.where(present), format=fmt, errors="coerce")
        share = float(parsed[present].notna().mean())
        if share > best_share:
            best, best_share = parsed, share
            if share == 1.0:
                break
    return best, best_share


def looks_like_number_text(value: str) -> bool:
    """True for "7", "7.5", "7,5", "1.234,56" — used when profiling text columns."""
    value = value.strip()
    return bool(_PLAIN_NUMBER.match(value) or _GERMAN_NUMBER.match(value))
