"""Mojibake: UTF-8 text that was once read as cp1252 (Windows' Western code page) and saved again,
so that "ä" (bytes C3 A4) reads "Ã¤", "’" (E2 80 99) reads "â€™" and "°" (C2 B0) reads "Â°".

The rule, applied to a whole decoded file and to every cell (of a CSV or a workbook):

- a text is touched only if it shows a *marker*: "Ã" or "Â" followed by a character that cp1252
  gives a byte 80–BF (a UTF-8 continuation byte), or "â€", "â‚" or "â„" (punctuation, currency,
  "™") followed by one. None occurs in real German, English or French text ("Ã" and "Â" are no
  letters of these languages; "â" is followed by a letter, not by "€");
- in a text with a marker, every run "Â, Ã (or Å, Æ, Ë: cp1252's "Œ", "ƒ", "˜" … mangled again) + one
  continuation character" or "â + two" is turned back
  into the bytes cp1252 (or latin-1, for the five bytes cp1252 leaves undefined: 81 8D 8F 90 9D)
  gives it and decoded as UTF-8 — a run that does not decode stays as it is. Only these leads are
  undone, so a proper "Ä" or "é" next to a symbol in the same cell is left alone;
- repeated (up to three times) for text that went through the mishap twice ("ÃƒÂ¤" → "Ã¤" → "ä").

So one wrong cell in an otherwise correct file is repaired, and a correct file, with its umlauts,
is never changed (the tests check both, the latter as a property).
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def _cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)  # undefined in cp1252: read as latin-1


#: The characters a UTF-8 continuation byte (80–BF) becomes when read as cp1252.
CONTINUATION = "".join(_cp1252(b) for b in range(0x80, 0xC0))
_CLASS = f"[{CONTINUATION}]"  # none of them special in a class, for Python's re and Arrow's RE2 alike
MARKER = f"[ÂÃ]{_CLASS}|â[€‚„]{_CLASS}"
_MARKER = re.compile(MARKER)
_RUN = re.compile(f"[ÂÃÅÆË]{_CLASS}|â{_CLASS}{{2}}")
_TO_BYTE = {c: bytes([0x80 + i]) for i, c in enumerate(CONTINUATION)} | {"Â": b"\xc2", "Ã": b"\xc3", "Å": b"\xc5", "Æ": b"\xc6", "Ë": b"\xcb", "â": b"\xe2"}


def _undo(match: re.Match) -> str:
    run = match.group()
    try:
        return b"".join(_TO_BYTE[c] for c in run).decode("utf-8")
    except UnicodeDecodeError:
        return run


def count(text: str) -> int:
    """The markers in ``text`` (how :func:`tpm.ingest.readers` decides a file needs the full decode)."""
    return len(_MARKER.findall(text))


def repair(text: str) -> str:
    """``text`` with its mojibake undone (see the module's rule); unchanged without a marker."""
    if not _MARKER.search(text):
        return text
    for _ in range(3):
        fixed = _RUN.sub(_undo, text)
        if fixed == text:
            break
        text = fixed
    return text


def _may_have_marker(values: pa.Array) -> bool:
    """Whether the text bytes behind ``values`` hold "Â", "Ã" or "â" (UTF-8 C3 82, C3 83, C3 A2),
    which every marker starts with: one vectorised pass over the bytes (~10 ms for 2.8 M cells,
    a regex over the cells takes 20 times as long). False positives are possible, misses are not."""
    data = values.buffers()[2]
    if data is None:
        return False
    raw = np.frombuffer(data, dtype=np.uint8)
    lead = np.flatnonzero(raw[:-1] == 0xC3)
    return bool(np.isin(raw[lead + 1], (0x82, 0x83, 0xA2)).any())


def repair_column(column: pa.Array) -> pa.Array:
    """A text column (plain or dictionary-encoded) with every cell repaired. The distinct values
    are searched for a marker with Arrow's regex (no Python per cell); only if one has a marker are
    the distinct values repaired in Python and the column encoded anew (repaired values may merge)."""
    if not (pa.types.is_dictionary(column.type) or pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column
    values = column.dictionary if pa.types.is_dictionary(column.type) else column
    if len(values) == 0 or not _may_have_marker(values) or not pc.any(pc.match_substring_regex(values, MARKER)).as_py():
        return column
    dictionary = column if pa.types.is_dictionary(column.type) else column.dictionary_encode()
    repaired = pa.array([None if v is None else repair(v) for v in dictionary.dictionary.to_pylist()], type=pa.string())
    cells = pc.take(repaired, dictionary.indices)
    return cells.dictionary_encode() if pa.types.is_dictionary(column.type) else cells
