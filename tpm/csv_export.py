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


def neutralise_reversibly(value):
    """:func:`neutralise` for a sheet that is meant to come back (the inventory's Excel round trip):
    a text starting with an apostrophe gets one more too, so that :func:`restore` can tell the
    added apostrophe from one the text had: ``restore(neutralise_reversibly(v)) == v`` for every v."""
    if isinstance(value, str) and value.startswith(FORMULA_START + ("'",)):
        return "'" + value
    return value


def restore(value):
    """The text before :func:`neutralise_reversibly`: an apostrophe followed by a formula start or
    by another apostrophe was added on export and goes; any other text is left as it is."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START + ("'",):
        return value[1:]
    return value


def to_safe_csv(frame: pd.DataFrame, sep: str = ";", decimal: str = ",") -> bytes:
    """UTF-8 with BOM (Excel detects it), German separators by default."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe.to_csv(index=False, sep=sep, decimal=decimal).encode("utf-8-sig")
