"""CSV downloads that a spreadsheet opens as data, never as formulas.

A text cell starting with ``=``, ``+``, ``-``, ``@``, TAB or CR would be run as a formula by
Excel/LibreOffice (CSV injection, OWASP); such cells get a leading apostrophe. Numbers stay numbers.
"""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_safe_csv(frame: pd.DataFrame, sep: str = ";", decimal: str = ",") -> bytes:
    """UTF-8 with BOM (Excel detects it), German separators by default."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe.to_csv(index=False, sep=sep, decimal=decimal).encode("utf-8-sig")
