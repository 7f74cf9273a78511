"""Bytes of an uploaded file → a raw table of cells (header + rows), nothing interpreted yet.

- ``.xlsx``/``.xlsm``/``.xls``/``.ods`` are read with python-calamine (Rust; about 20× faster
  than openpyxl and not vulnerable to XML entity expansion). Before that, the zip
  directory is checked so that a "zip bomb" (a tiny file that unpacks to gigabytes) is
  refused without being unpacked.
- ``.csv``/``.txt``/``.tsv`` are decoded (UTF-8 with or without BOM, else cp1252), the
  delimiter is sniffed among ``, ; TAB |``, and cells are kept as strings.

The header is the first row in the first ten that is at least half filled; the rows
above it (titles, notes) are skipped and the report says so.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

import pandas as pd
import python_calamine

from tpm.ingest.errors import IngestError

#: Largest upload accepted (bytes); the Streamlit uploader is capped the same way.
MAX_FILE_BYTES = 200 * 1024 * 1024
#: Largest decompressed size of an xlsx (zip bomb guard).
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024
MAX_COLUMNS = 2000
MAX_ROWS = 2_000_000

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
DELIMITERS = [",", ";", "\t", "|"]


@dataclass
class RawTable:
    """Cells of one sheet: ``columns`` maps a unique header to a Series of cell values."""

    file_name: str
    columns: dict[str, pd.Series]
    header_row: int  # 1-based line/row number of the header in the file
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns)

    def sheet_row(self, index: int) -> int:
        """The row number a person sees in Excel/an editor for data row ``index`` (0-based)."""
        return self.header_row + 1 + index


def read_table(file_name: str, data: bytes, sheet: str | int | None = None) -> RawTable:
    """Read ``data`` (the file's bytes) into a :class:`RawTable`; raise :class:`IngestError`."""
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
        return _read_excel(file_name, data, kind, sheet)
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


def _read_excel(file_name: str, data: bytes, kind: str, sheet: str | int | None) -> RawTable:
    if kind == "zip":
        _check_zip(file_name, data)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise IngestError(file_name, "the workbook is password-protected", hint="save it without a password and upload again") from None
    except Exception as exc:  # calamine raises several types for broken files
        text = str(exc).lower()
        if "password" in text or "encrypt" in text:
            raise IngestError(file_name, "the workbook is password-protected", hint="save it without a password and upload again") from None
        raise IngestError(file_name, "the workbook cannot be read (damaged or not an Excel file)", hint="open it in Excel, save as .xlsx and upload again") from None
    names = list(workbook.sheet_names)
    chosen = _choose_sheet(file_name, workbook, names, sheet)
    try:
        rows = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except Exception:
        raise IngestError(file_name, "the sheet cannot be read (damaged workbook)", sheet=chosen) from None
    table = _table_from_rows(file_name, rows, sheet=chosen)
    table.sheets = names
    return table


def _check_zip(file_name: str, data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise IngestError(file_name, "the workbook is damaged (truncated or not a valid .xlsx)", hint="export it again") from None
    if total > MAX_UNZIPPED_BYTES:
        raise IngestError(
            file_name,
            f"the workbook unpacks to {total / 1e9:.1f} GB, more than the limit of {MAX_UNZIPPED_BYTES / 1e9:.0f} GB",
            hint="split the export",
        )


def _choose_sheet(file_name: str, workbook, names: list[str], sheet: str | int | None) -> str:
    if not names:
        raise IngestError(file_name, "the workbook has no sheets")
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise IngestError(file_name, f"there is no sheet number {sheet + 1}", hint=f"sheets: {', '.join(names)}")
        return names[sheet]
    if isinstance(sheet, str):
        if sheet not in names:
            raise IngestError(file_name, f"there is no sheet '{sheet}'", hint=f"sheets: {', '.join(names)}")
        return sheet
    # default: the first sheet that has data
    for name in names:
        try:
            s = workbook.get_sheet_by_name(name)
            if s.height > 1 and s.width > 1:
                return name
        except Exception:
            continue
    return names[0]


def _read_csv(file_name: str, data: bytes) -> RawTable:
    if b"\x00" in data[:1_000_000]:
        raise IngestError(file_name, "the file contains NUL bytes, so it is not a text CSV", hint="export it again as CSV (UTF-8)")
    text, encoding = _decode(data)
    delimiter = _sniff_delimiter(text)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows = [row for row in reader]
    except csv.Error as exc:
        raise IngestError(file_name, f"the CSV cannot be parsed ({exc})", hint="check the quoting and export again") from None
    table = _table_from_rows(file_name, rows, sheet=None)
    table.encoding = encoding
    table.delimiter = delimiter
    return table


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


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


def _table_from_rows(file_name: str, rows: list[list], sheet: str | None) -> RawTable:
    rows = [r for r in rows]
    while rows and all(_blank(v) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise IngestError(file_name, "the file has no rows", sheet=sheet, hint="export the survey with its responses")
    header_index = _find_header(rows)
    header = list(rows[header_index])
    width = max(len(r) for r in rows[header_index:])
    if width > MAX_COLUMNS:
        raise IngestError(file_name, f"the table has {width} columns, more than the limit of {MAX_COLUMNS}", sheet=sheet)
    body = rows[header_index + 1 :]
    if len(body) > MAX_ROWS:
        raise IngestError(file_name, f"the table has {len(body)} rows, more than the limit of {MAX_ROWS}", sheet=sheet)
    if not body:
        raise IngestError(file_name, "the file has a header but no responses", sheet=sheet, hint="export the survey with its responses")
    header += [""] * (width - len(header))
    names = _unique_names(header)
    # trailing empty columns (from trailing delimiters) are dropped
    padded = [r if len(r) == width else list(r) + [""] * (width - len(r)) for r in body]
    columns_data = list(zip(*padded))
    columns: dict[str, pd.Series] = {}
    for name, raw_name, values in zip(names, header, columns_data):
        series = pd.Series(values, dtype="object")
        if _blank(raw_name) and all(_blank(v) for v in values):
            continue
        columns[name] = series
    notes = []
    if header_index:
        notes.append(f"skipped {header_index} line(s) above the header")
    return RawTable(file_name=file_name, columns=columns, header_row=header_index + 1, sheet=sheet, notes=notes)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _find_header(rows: list[list]) -> int:
    width = max(len(r) for r in rows[:50])
    for i, row in enumerate(rows[:10]):
        filled = sum(not _blank(v) for v in row)
        if filled >= max(2, width / 2):
            return i
    return 0


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
