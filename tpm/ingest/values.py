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
import sys
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:  # annotations only: the readers work without pandas (it is imported where a Series is made)
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
        "unfamiliar (n/a)",
        "i don't know / na",
        "i don’t know / na",
        "i don't know",
        "i don’t know",
        "no basis for evaluation",
        "kann ich nicht beurteilen",
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
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",  # US exports: "4/11/2018 8:09 PM"
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%y",
    "%m/%d/%y %H:%M",
    "%d/%m/%y",
)
#: the two readings of a date written day and month first (the data decide: see :func:`_day_month`)
_OTHER_ORDER = {"%m/%d/": "%d/%m/", "%d/%m/": "%m/%d/", "%d.%m.": "%m.%d."}
#: an order chosen by the analyst (ColumnSpec.date_order): the format's first two parts
DATE_ORDERS = {"month-first": "%m/%d/", "day-first": "%d/%m/"}


#: Tokens that only mean "empty" (no answer given at all). Every other token is an answer of
#: its own — "weiß nicht", "k.A.", "N/A", "don't know" — counted as *don't know* (DOMAIN.md).
BLANK_TOKENS: frozenset[str] = frozenset({"", "-", "--", ".", "nan", "none", "null", "#n/a"})
DONT_KNOW_TOKENS: frozenset[str] = MISSING_TOKENS - BLANK_TOKENS

_NUMBER_START = frozenset("0123456789+-.")
_TOKEN_SETS: dict[str, pa.StringArray] = {}  # made on first use: pa.array() loads pandas, which a reader need not wait for


def _token_set(name: str) -> pa.StringArray:
    """The no-answer tokens (``"missing"``) or the don't-know ones (``"dont_know"``) as Arrow, "ss" also as "ß"."""
    if name not in _TOKEN_SETS:
        tokens = MISSING_TOKENS if name == "missing" else DONT_KNOW_TOKENS
        _TOKEN_SETS[name] = pa.array(sorted(tokens | {t.replace("ss", "ß") for t in tokens}))
    return _TOKEN_SETS[name]


# number patterns for Arrow's regex kernels (RE2 syntax): plain "7.5" and German "1.234,56"
_PLAIN_RE2 = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_GERMAN_RE2 = r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"


def as_text_array(values) -> pa.StringArray:
    """Any column (Arrow array, pandas Series, list) as an Arrow string array; empty → null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if pa.types.is_string(values.type) else pc.cast(values, pa.string())
    pd = sys.modules.get("pandas")  # not imported: then no Series (the reader works without pandas)
    if pd is not None and isinstance(values, pd.Series):
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
    """One pass over a column's *distinct* values, shared by detection and normalisation.

    The column is dictionary-encoded (survey columns hold a few distinct answers: ratings
    "1"…"10", regions, "weiß nicht"), and every value is parsed once: stripped, matched against
    the no-answer tokens, read as a number. The cells keep only their code into that dictionary
    (the Arrow dictionary array, shared with the :class:`~tpm.ingest.readers.RawTable`), so a
    640 000-row column costs 4 bytes a cell, not a string and a float per cell. Per cell:

    - ``missing``: empty cell or a no-answer token ("k.A.", "weiß nicht", …) (kept: 1 byte a cell);
    - ``dont_know``: the part of ``missing`` that is a *don't know* answer, not an empty cell;
    - ``numbers``: float value of numeric text ("7", "7.5", "7,5", "1.234,56"), NaN elsewhere
      (negative codes are kept; normalisation treats them as missing);
    - ``text``: every cell as stripped text ("" for empty), a numpy object array made on each use.

    Per distinct value (index ``k`` = the empty cell): ``value_text``, ``value_missing``,
    ``value_dont_know``, ``value_numbers`` and ``counts`` (cells per value); ``codes()`` maps
    the cells to them. Detection works on the values and their counts, not on every cell.
    """

    def __init__(self, values) -> None:
        column = as_dictionary(values)
        if column.null_count:  # empty cells as a "" value of their own: codes() is then the indices, no copy
            empty = len(column.dictionary)
            column = compact(pa.DictionaryArray.from_arrays(pc.fill_null(column.indices, pa.scalar(empty, column.indices.type)),
                                                            pa.concat_arrays([column.dictionary, pa.array([""])])))
        self.column = column
        self._n = len(column)
        stripped = pc.utf8_trim_whitespace(column.dictionary)
        k = len(stripped)
        self.stripped = stripped  # the distinct values, stripped (the empty cell is not among them)
        lowered = pc.utf8_lower(stripped)
        tokens = pc.fill_null(pc.is_in(lowered, value_set=_token_set("missing")), False).to_numpy(zero_copy_only=False)
        dk = pc.fill_null(pc.is_in(lowered, value_set=_token_set("dont_know")), False).to_numpy(zero_copy_only=False)
        blank = pc.fill_null(pc.equal(stripped, ""), True).to_numpy(zero_copy_only=False)
        # index k: the empty cell (Arrow null)
        self.value_missing = np.append(tokens | blank, True)
        self.value_dont_know = np.append(dk & tokens, False)
        self.counts = np.bincount(self.codes(), minlength=k + 1)
        self.value_numbers = self._parse_values(stripped, k)

    def codes(self) -> np.ndarray:
        """Each cell's index into the distinct values (``k`` for an empty cell), in the column's
        own integer width (see :func:`compact`)."""
        indices = self.column.indices
        k = len(self.column.dictionary)
        if k >= np.iinfo(indices.type.to_pandas_dtype()).max:
            indices = indices.cast(pa.int32())
        if indices.null_count:
            indices = pc.fill_null(indices, pa.scalar(k, indices.type))
        return indices.to_numpy(zero_copy_only=False)

    def _parse_values(self, stripped: pa.StringArray, k: int) -> np.ndarray:
        present = self.counts[:k] > 0
        answers = pc.if_else(pa.array(~self.value_missing[:k] & present), stripped, pa.scalar(None, pa.string()))
        sample = self.first(200)
        if not any(v[:1] in _NUMBER_START for v in sample):
            # a text column (ids like "R0001", regions, comments): no number to look for
            return np.full(k + 1, np.nan)
        # fast path: every answer is a plain number (most rating columns). The sample's answers
        # are among them and tried first: a cast failing on 100 000 dates takes 30 ms, on 200 none
        try:
            pc.cast(pa.array(sample, pa.string()), pa.float64())
            numbers = pc.cast(answers, pa.float64())
        except pa.ArrowInvalid:
            numbers = _parse_numbers(answers)
        return np.append(numbers.to_numpy(zero_copy_only=False).astype(np.float64), np.nan)

    def __len__(self) -> int:
        return self._n

    @property
    def value_text(self) -> np.ndarray:
        """The distinct values as stripped Python strings (object array), "" for the empty cell."""
        return np.array(self.stripped.to_pylist() + [""], dtype=object)

    # per cell, made on each use from the distinct values
    missing = property(lambda self: self.value_missing[self.codes()])
    dont_know = property(lambda self: self.value_dont_know[self.codes()])
    numbers = property(lambda self: self.value_numbers[self.codes()])
    text = property(lambda self: self.value_text[self.codes()])

    def texts_at(self, rows: np.ndarray) -> pa.StringArray:
        """The stripped text of the cells at ``rows`` (Arrow; "" for empty cells)."""
        return pa.concat_arrays([self.stripped, pa.array([""])]).take(pa.array(self.codes()[rows]))

    def first(self, limit: int, missing: bool = False) -> list[str]:
        """The stripped texts of the first ``limit`` present (or missing) cells, in row order."""
        wanted = self.missing if missing else ~self.missing
        rows, start, step = [], 0, max(1024, 4 * limit)
        while start < self._n and sum(map(len, rows)) < limit:
            rows.append(np.flatnonzero(wanted[start:start + step]) + start)
            start, step = start + step, step * 4
        rows = np.concatenate(rows)[:limit] if rows else np.zeros(0, dtype=np.int64)
        return self.texts_at(rows).to_pylist()

    def distinct(self, missing: bool = False) -> list[str]:
        """The distinct stripped texts of the present (or missing) cells, in order of first appearance."""
        used, first_row = np.unique(self.codes(), return_index=True)
        wanted = self.value_missing[used] if missing else ~self.value_missing[used]
        rows = np.sort(first_row[wanted])
        return list(dict.fromkeys(self.texts_at(rows).to_pylist()))


def as_dictionary(values) -> pa.DictionaryArray:
    """A column as an Arrow dictionary array of strings (empty cells null)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.DictionaryArray):
        if not pa.types.is_string(values.dictionary.type):
            values = pc.dictionary_encode(values.cast(pa.string()))
        return compact(values)
    return compact(pc.dictionary_encode(as_text_array(values)))


def compact(column: pa.DictionaryArray) -> pa.DictionaryArray:
    """The same cells with the narrowest codes that hold the dictionary and one more (the empty
    cell's code): a rating column's 12 answers in 1 byte a cell instead of 4."""
    k = len(column.dictionary)
    narrow = pa.int8() if k < 127 else pa.int16() if k < 32767 else pa.int32()
    if column.indices.type == narrow:
        return column
    return pa.DictionaryArray.from_arrays(column.indices.cast(narrow), column.dictionary)


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
    import pandas as pd

    return pd.Series(ParsedColumn(column).numbers)




def to_dates(column, parsed: ParsedColumn | None = None, order: str | None = None) -> tuple[pd.Series, float]:
    """Parse a column to timestamps; returns (values, share of non-missing cells parsed).

    The :data:`DATE_FORMATS` are tried on a sample of 200 cells and only the best format is
    applied to the column's distinct values (Excel date cells arrive as ISO text,
    "2026-01-05 00:00:00"). Day and month written as numbers ("11/04/2018 20:09") are ordered by
    the data (:func:`_day_month`), or by ``order`` ("day-first"/"month-first", the analyst's
    choice). The parsed values are kept on ``parsed``: detection and normalisation parse a date
    column once.
    """
    import pandas as pd

    parsed = parsed or ParsedColumn(column)
    if order in DATE_ORDERS:
        values, share, _, _ = _to_dates(parsed, order)
    else:
        if getattr(parsed, "_dates", None) is None:
            parsed._dates = _to_dates(parsed)
        values, share, _, _ = parsed._dates
    if values is None:
        return pd.Series(pd.NaT, index=range(len(parsed)), dtype="datetime64[ns]"), share
    return pd.Series(values[parsed.codes()]), share


def date_doubt(parsed: ParsedColumn) -> str | None:
    """Why the reading of a date column is unsure (None: sure): day and month that the data
    cannot tell apart (see :func:`_day_month`). Call after :func:`to_dates`."""
    dates = getattr(parsed, "_dates", None)
    return dates[3] if dates else None


def _day_month(fmt: str, texts: pa.StringArray) -> tuple[str, str | None]:
    """The format with day and month in the order the data show, and why it is unsure.

    Of "a/b/yyyy" a first part above 12 can only be a day (day first), a second part above 12
    only a day (month first). When no value has either, both readings fit: month first is
    taken for slashes (the US exporters' way: Google Forms, SurveyMonkey, Qualtrics) and *unsure*
    naming both readings; dots ("11.04.2018") are day first, the German and European way.
    """
    key = next((k for k in _OTHER_ORDER if fmt.startswith(k)), None)
    if key is None:
        return fmt, None
    parts = pc.extract_regex(texts, r"^(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.]")
    a = pc.cast(pc.struct_field(parts, "a"), pa.int32())
    b = pc.cast(pc.struct_field(parts, "b"), pa.int32())
    first, second = (pc.max(x).as_py() or 0 for x in (a, b))
    day_first = key.startswith("%d")
    if first > 12 and second <= 12:
        day_first = True
    elif second > 12 and first <= 12:
        day_first = False
    elif first <= 12 and second <= 12 and key.startswith("%m/"):
        example = texts[int(np.flatnonzero(pc.is_valid(a).to_numpy(zero_copy_only=False))[0])].as_py()
        import pandas as pd

        readings = [pd.to_datetime(example, format=f) for f in (fmt, fmt.replace(key, _OTHER_ORDER[key], 1))]
        doubt = (f"day and month cannot be told apart (no part above 12): '{example}' is read month first as "
                 f"{readings[0]:%Y-%m-%d}; day first it would be {readings[1]:%Y-%m-%d}")
        return fmt, doubt
    wanted = ("%d" if day_first else "%m") + key[2] + ("%m" if day_first else "%d") + key[5]
    return fmt.replace(key, wanted, 1), None


def _to_dates(parsed: ParsedColumn, order: str | None = None) -> tuple[np.ndarray | None, float, str | None, str | None]:
    """Per distinct value (index k: the empty cell): its timestamp (NaT if none); the share
    parsed; the format; why its day/month order is unsure (:func:`_day_month`; None when
    ``order`` is given)."""
    import pandas as pd

    present = ~parsed.value_missing & (parsed.counts > 0)
    if not present.any():
        return None, 0.0, None, None
    sample = pd.Series(parsed.first(200), dtype=object)
    if not any(any(ch.isdigit() for ch in value) for value in sample[:20]):
        return None, 0.0, None, None  # no digits, no dates
    if not any(v[:1].isdigit() or v[:1] in "+- " or v in ("now", "today") for v in sample):
        return None, 0.0, None, None  # each format begins with a number (pandas also reads "now", "today"): none would parse
    best_format, best_share = None, 0.0
    for fmt in DATE_FORMATS:
        share = float(pd.to_datetime(sample, format=fmt, errors="coerce").notna().mean())
        if share > best_share:
            best_format, best_share = fmt, share
            if share == 1.0:
                break
    if best_format is None or best_share < 0.5:
        return None, best_share, None, None
    doubt = None
    key = next((k for k in _OTHER_ORDER if best_format.startswith(k)), None)
    if key and order in DATE_ORDERS and key[2] == "/":
        best_format = best_format.replace(key, DATE_ORDERS[order], 1)
    elif key:
        best_format, doubt = _day_month(best_format, parsed.stripped.filter(pa.array(present[:-1])))
    text = pd.Series(np.where(present, parsed.value_text, None), dtype=object)
    values = pd.to_datetime(text, format=best_format, errors="coerce").to_numpy()
    counts = parsed.counts
    return values, float(counts[present & ~np.isnat(values)].sum() / counts[present].sum()), best_format, doubt
