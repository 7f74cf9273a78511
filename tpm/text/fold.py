"""Folding text for search: one rule, as a DuckDB expression and in Python.

A German comment says "Straße", "Müller", "GRÖSSER"; a user searches "strasse", "mueller", "grosser". Both sides
are folded the same way before they are compared:

1. lower case;
2. ``ß`` → ``ss``;
3. accents stripped (``ä`` → ``a``, ``é`` → ``e``; Unicode NFD without combining marks);
4. the transcriptions ``ae``, ``oe``, ``ue`` → ``a``, ``o``, ``u`` — so "Mueller", "Müller" and "Muller" meet.

Step 4 also folds words that never had an umlaut ("neue" → "neu", "Quelle" → "qulle"); as text and query are folded
alike this costs no match, only a rare extra one. :func:`fold_sql` is the rule as SQL (the import stores the folded
text of every comment, so a search scans one column); :func:`fold` is the same rule in Python (for the search
terms); ``tests/test_text.py`` proves they agree.
"""

from __future__ import annotations

import unicodedata

__all__ = ["fold", "fold_sql"]

_TRANSCRIPTIONS = (("ae", "a"), ("oe", "o"), ("ue", "u"))


def fold_sql(expr: str) -> str:
    """The folding rule as one DuckDB expression over the SQL expression ``expr`` (a column or ``?``)."""
    sql = f"strip_accents(replace(lower({expr}), 'ß', 'ss'))"
    for old, new in _TRANSCRIPTIONS:
        sql = f"replace({sql}, '{old}', '{new}')"
    return sql


def fold(text: str) -> str:
    """``text`` folded for search (the rule of the module docstring), e.g. ``fold("Größe") == "grosse"``."""
    text = text.lower().replace("ß", "ss")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    for old, new in _TRANSCRIPTIONS:
        text = text.replace(old, new)
    return text
