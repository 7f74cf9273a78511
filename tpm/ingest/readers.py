"""Bytes of an uploaded file → a raw table of cells (header + rows), nothing interpreted yet.

- ``.xlsx``/``.xlsm``/``.xls``/``.ods`` are read with fastexcel (Rust's calamine, straight into
  Arrow; about 20× faster than openpyxl and not vulnerable to XML entity expansion). Before
  that, the zip directory is checked so that a "zip bomb" (a tiny file that unpacks to
  gigabytes) is refused without being unpacked. Every cell arrives as text (numbers as
  "7" or "4.5", dates as ISO text), so Excel and CSV files share one parsing path.
- ``.csv``/``.txt``/``.tsv`` are decoded (UTF-8 with or without BOM, else cp1252), the
  delimiter is sniffed among ``, ; TAB |``, and cells are kept as strings.

The header is the first row in the first ten that is at least half filled; the rows
above it (titles, notes) are skipped and the report says so.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from pathlib import PurePath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tpm.ingest import mojibake
from tpm.ingest.errors import IngestError
from tpm.ingest.platforms import detect_layout
from tpm.ingest.table import RawTable
from tpm.ingest.values import compact
from tpm.workbook import MAX_FILE_BYTES, MAX_UNZIPPED_BYTES, Workbook, ZipTooLarge, unzipped_size

MAX_COLUMNS = 2000
MAX_ROWS = 2_000_000

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
DELIMITERS = [",", ";", "\t", "|"]
TEXT = pa.dictionary(pa.int32(), pa.string())  # how the CSV reader delivers cells


def read_table(file_name: str, data: bytes, sheet: str | int | None = None, choose=None,
               workbook: Workbook | None = None) -> RawTable:
    """Read ``data`` (the file's bytes) into a :class:`RawTable`; raise :class:`IngestError`.

    ``choose``: for a workbook with several sheets holding data and no ``sheet`` asked for, a
    function that picks one of their tables (:func:`tpm.ingest.read_table` picks the sheet with
    the most rating/NPS columns); without it, the first sheet with data. ``workbook``:
    ``tpm.workbook.open_workbook(data, sheet)`` when the caller opened it already (or None).
    """
    if len(data) == 0:
        raise IngestError(file_name, "the file is empty", hint="export the survey again")
    if len(data) > MAX_FILE_BYTES:
        raise IngestError(
            file_name,
            f"the file is {len(data) / 1e6:.0f} MB, more than the limit of {MAX_FILE_BYTES / 1e6:.0f} MB",
            hint="split the export or remove unused columns",
        )
    suffix = PurePath(file_name).suffix.lower()
    kind = _sniff_kind(data)
    if suffix in EXCEL_SUFFIXES or kind in {"zip", "ole"}:
        if kind not in {"zip", "ole"}:
            raise IngestError(
                file_name,
                "this is not an Excel workbook (its content does not match the file ending)",
                hint="export the survey as .xlsx or .csv again",
            )
        return _read_excel(file_name, data, kind, sheet, choose, workbook)
    if kind in {"pdf", "html"}:
        raise IngestError(file_name, f"this is a {kind.upper()} file, not a survey export", hint="upload the .xlsx or .csv export")
    if suffix and suffix not in TEXT_SUFFIXES:
        raise IngestError(file_name, f"files ending in '{suffix}' are not supported", hint="upload .xlsx, .xls or .csv")
    return _read_csv(file_name, data)


def _sniff_kind(data: bytes) -> str:
    head = data[:1024].lstrip()
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"  # .xls, or an encrypted (password-protected) .xlsx
    if head.startswith(b"%PDF"):
        return "pdf"
    lowered = head[:200].lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "text"


_ENCRYPTED_PACKAGE = "EncryptedPackage\0".encode("utf-16-le")


def _encrypted_package(data: bytes) -> bool:
    """Whether an OLE compound file (``D0 CF 11 E0 …``) is a password-protected .xlsx rather than
    an old .xls: Office stores the encrypted workbook as a stream named "EncryptedPackage". A
    directory entry is 128 bytes, aligned to 128 in the file (sectors are 512 or 4096 bytes), and
    starts with its name in UTF-16LE; bytes 64–65 hold the name's length in bytes with the NUL
    (34 here). Scanning for the name at such a place needs no OLE library."""
    start = data.find(_ENCRYPTED_PACKAGE)
    while start != -1:
        if start % 128 == 0 and data[start + 64:start + 66] == b"\x22\x00":
            return True
        start = data.find(_ENCRYPTED_PACKAGE, start + 1)
    return False


def _read_excel(file_name: str, data: bytes, kind: str, sheet: str | int | None, choose=None,
                workbook: Workbook | None = None) -> RawTable:
    if workbook is None:  # (one opened ahead by tpm.workbook.open_workbook was checked there)
        if kind == "zip":
            _check_zip(file_name, data)
        try:
            workbook = Workbook.open(data)
        except Exception as exc:  # calamine raises several types for broken files
            text = str(exc).lower()
            if "password" in text or "encrypt" in text or (kind == "ole" and _encrypted_package(data)):
                raise IngestError(file_name, "the workbook is password-protected", hint="save it without a password and upload again") from None
            raise IngestError(file_name, "the workbook cannot be read (damaged or not an Excel file)", hint="open it in Excel, save as .xlsx and upload again") from None
    names = workbook.names
    candidates = _candidate_sheets(file_name, names, sheet)
    tables: list[RawTable] = []
    chosen, columns = candidates[0], []
    for chosen in candidates:
        try:
            loaded = workbook.sheet(chosen)
        except Exception:
            raise IngestError(file_name, "the sheet cannot be read (damaged workbook)", sheet=chosen) from None
        columns = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in loaded.columns]
        if loaded.num_rows > 1 and len(columns) > 1:
            if choose is None or len(candidates) == 1:
                break  # the first sheet with data, unless one was asked for
            try:
                tables.append(_table_from_columns(file_name, columns, sheet=chosen))
            except IngestError:
                continue  # a sheet without responses (notes, a title page) is no candidate
    if tables:
        table = tables[0] if len(tables) == 1 else choose(tables)
    else:
        table = _table_from_columns(file_name, columns, sheet=chosen)
    table.sheets = names
    return table


def _check_zip(file_name: str, data: bytes) -> None:
    """Refuse a zip bomb before fastexcel unpacks it: :func:`tpm.workbook.unzipped_size` counts
    the real unpacked bytes in pieces (a lying directory does not get past it)."""
    try:
        unzipped_size(data, MAX_UNZIPPED_BYTES)
    except zipfile.BadZipFile:
        raise IngestError(file_name, "the workbook is damaged (truncated or not a valid .xlsx)", hint="export it again") from None
    except ZipTooLarge as exc:
        raise IngestError(file_name, exc.problem, hint="export the survey again from the survey tool, or split it") from None


def _candidate_sheets(file_name: str, names: list[str], sheet: str | int | None) -> list[str]:
    """The sheet asked for, or all sheets in order (the first with data is taken)."""
    if not names:
        raise IngestError(file_name, "the workbook has no sheets")
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise IngestError(file_name, f"there is no sheet number {sheet + 1}", hint=f"sheets: {', '.join(names)}")
        return [names[sheet]]
    if isinstance(sheet, str):
        if sheet not in names:
            raise IngestError(file_name, f"there is no sheet '{sheet}'", hint=f"sheets: {', '.join(names)}")
        return [sheet]
    return names


def _read_csv(file_name: str, data: bytes) -> RawTable:
    if b"\x00" in data[:1_000_000]:
        raise IngestError(file_name, "the file contains NUL bytes, so it is not a text CSV", hint="export it again as CSV (UTF-8)")
    encoding, head = _sniff_encoding(data)
    text = None
    if encoding is None:  # UTF-16, or mojibake to repair: the whole text, decoded here
        text, encoding = _decode(data)
        head = text[:65536]
    delimiter = _sniff_delimiter(head)
    if text is None:  # Arrow reads (and transcodes) the bytes itself: no copy of the file as one string
        columns = _arrow_csv(data, delimiter, "utf8" if encoding.startswith("utf-8") else encoding)
    else:
        columns = _arrow_csv(text.encode("utf-8"), delimiter)
    if columns is None:  # ragged lines, odd quoting: Python's csv module, which pads short rows
        if text is None:
            text, encoding = _decode(data)
        try:
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            rows = [row for row in reader]
        except csv.Error as exc:
            raise IngestError(file_name, f"the CSV cannot be parsed ({exc})", hint="check the quoting and export again") from None
        width = max((len(r) for r in rows), default=0)
        if width > MAX_COLUMNS:
            raise IngestError(file_name, f"the table has {width} columns, more than the limit of {MAX_COLUMNS}")
        if any(len(r) != width for r in rows):  # ragged lines: pad short rows, cut nothing
            rows = [r + [""] * (width - len(r)) for r in rows]
        columns = [pa.array(values, type=pa.string()) for values in zip(*rows)] if rows else []
    for i, column in enumerate(columns):
        columns[i] = _empty_as_null(column)
    table = _table_from_columns(file_name, columns, sheet=None)
    table.encoding = encoding
    table.delimiter = delimiter
    return table


def _sniff_encoding(data: bytes) -> tuple[str | None, str]:
    """The encoding :func:`_decode` would find and the first 65 536 characters, without decoding
    the whole file into one string; (None, "") when only a full decode can tell (UTF-16, mojibake)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, ""
    if data.startswith(b"\xef\xbb\xbf"):
        head = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data[3:1_000_000])
        return (None, "") if _mojibake_suspect(head) else ("utf-8-sig", head[:65536])
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        head = decoder.decode(data[:1_000_000])
        for start in range(1_000_000, len(data), 1 << 22):  # the rest only checked, in slices
            decoder.decode(data[start:start + (1 << 22)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        pass
    else:
        return (None, "") if _mojibake_suspect(head) else ("utf-8", head[:65536])
    # bytes that cp1252 leaves undefined: then latin-1 (as _decode)
    encoding = "latin-1" if any(bytes([b]) in data for b in (0x81, 0x8D, 0x8F, 0x90, 0x9D)) else "cp1252"
    return encoding, data[:65536].decode(encoding)


def _mojibake_suspect(head: str) -> bool:
    """Whether a file needs the full decode to repair mojibake: two or more markers
    (:mod:`tpm.ingest.mojibake`) in the first 200 000 characters. Cells beyond are repaired one by one."""
    return mojibake.count(head[:200_000]) >= 2


def repair_mojibake(text: str) -> str | None:
    """A whole decoded file with its mojibake repaired (:func:`tpm.ingest.mojibake.repair`), or None."""
    if not _mojibake_suspect(text):
        return None
    fixed = mojibake.repair(text)
    return fixed if fixed != text else None


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="replace")
        fixed = repair_mojibake(text)
        return (fixed, "utf-8-sig (mojibake repaired)") if fixed else (text, "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        text = data.decode("utf-8")
        fixed = repair_mojibake(text)
        return (fixed, "utf-8 (mojibake repaired)") if fixed else (text, "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _arrow_csv(data: bytes, delimiter: str, encoding: str = "utf8") -> list[pa.Array] | None:
    """All cells as text with Arrow's multi-threaded CSV reader (≈ 20× faster than the csv
    module on a 1M-row export), dictionary-encoded (a survey column holds few distinct answers:
    4 bytes a cell instead of a string); None when the file is not a clean rectangle (ragged
    lines, title lines with fewer fields), which the csv module then reads. ``encoding``: the
    file's, transcoded by Arrow block by block."""
    from pyarrow import csv as pacsv

    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    first = data[:65536].split(b"\n", 1)[0].rstrip(b"\r")
    try:
        width = len(next(csv.reader([first.decode("utf-8", errors="replace")], delimiter=delimiter), []))
    except csv.Error:
        return None
    if width < 2 or width > MAX_COLUMNS:
        return None
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 20, encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={f"f{i}": TEXT for i in range(width)},
                                                 strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    if table.num_columns != width or not all(f.type == TEXT for f in table.schema):
        return None  # Arrow saw another shape than the first line (a quoting mishap): the csv module decides
    columns = table.columns
    del table
    for i, column in enumerate(columns):  # one column at a time: the blocks of one column freed before the next
        columns[i] = compact(column.unify_dictionaries().combine_chunks())
    return columns


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most, equally wide, fields."""
    sample_lines = [line for line in text[:65536].splitlines()[:20] if line.strip()]
    best, best_score = ",", -1.0
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(sample_lines, delimiter=delimiter))
        except csv.Error:
            continue
        widths = [len(r) for r in rows]
        if not widths or max(widths) < 2:
            continue
        modal = max(set(widths), key=widths.count)
        consistency = widths.count(modal) / len(widths)
        score = consistency * 10 + min(modal, 50) / 50
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _table_from_columns(file_name: str, columns: list[pa.Array], sheet: str | None) -> RawTable:
    """Full-height text columns (empty cells null) → header found in the first rows, body below it.
    Mojibake in any cell (a header, a label, a comment) is repaired here, for CSV and workbook alike."""
    columns = [mojibake.repair_column(c) for c in columns]
    last = [int(np.flatnonzero(c.is_valid().to_numpy(zero_copy_only=False))[-1]) for c in columns if c.null_count < len(c)]
    if not last:
        raise IngestError(file_name, "the file has no rows", sheet=sheet, hint="export the survey with its responses")
    height = max(last) + 1  # trailing empty rows are dropped
    width = len(columns)
    if width > MAX_COLUMNS:
        raise IngestError(file_name, f"the table has {width} columns, more than the limit of {MAX_COLUMNS}", sheet=sheet)
    head = [[c[i].as_py() for c in columns] for i in range(min(height, 10))]
    layout = detect_layout(head)
    header_index, header = layout.first_row, layout.header
    data_start = layout.first_row + layout.rows
    body_rows = height - data_start
    if body_rows > MAX_ROWS:
        raise IngestError(file_name, f"the table has {body_rows} rows, more than the limit of {MAX_ROWS}", sheet=sheet)
    if body_rows <= 0:
        raise IngestError(file_name, "the file has a header but no responses", sheet=sheet, hint="export the survey with its responses")
    names = _unique_names(header)
    table_columns: dict[str, pa.Array] = {}
    for name, raw_name, column in zip(names, header, columns):
        body = column.slice(data_start, body_rows)
        if _blank(raw_name) and body.null_count == len(body):
            continue  # an empty column without a header (e.g. from trailing delimiters)
        table_columns[name] = body
    notes = []
    if header_index:
        notes.append(f"skipped {header_index} line(s) above the header")
    if layout.rows > 1:
        notes.append(f"{layout.rows} header rows ({layout.platform})")
    return RawTable(file_name=file_name, columns=table_columns, header_row=data_start, sheet=sheet, notes=notes,
                    platform=layout.platform)


def _empty_as_null(column: pa.Array) -> pa.Array:
    """Blank cells ("" or only spaces) as null, so that emptiness is Arrow's validity bitmap."""
    if pa.types.is_dictionary(column.type):  # blank among the distinct values → those cells null
        blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(column.dictionary), ""), False)
        if not pc.any(blank).as_py():
            return column
        cells = pc.fill_null(pc.take(blank, column.indices), False)
        indices = pc.if_else(cells, pa.scalar(None, column.indices.type), column.indices)
        return pa.DictionaryArray.from_arrays(indices, column.dictionary)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.string())  # a column Arrow typed itself (all-null, or numbers after a quote mishap): as text
    blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(column), ""), False)
    if not pc.any(blank).as_py():
        return column
    return pc.if_else(blank, pa.scalar(None, pa.string()), column)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _unique_names(header: list) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for i, value in enumerate(header):
        name = " ".join(str(value).split()) if not _blank(value) else f"Spalte {i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        names.append(name)
    return names
