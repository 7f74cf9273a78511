"""The slow first step of reading a workbook — unzip, parse the sheet's XML, cells into Arrow —
with nothing but fastexcel and the standard library.

:mod:`tpm.ingest.readers` reads every Excel file through :func:`open_workbook` and :func:`load`.
The import command calls :func:`open_workbook` on a thread of its own as soon as it starts: this
module loads in milliseconds (``tpm.ingest`` needs NumPy and Arrow first, ~0.2 s), and fastexcel
lets go of the GIL while it parses, so the file is read while pandas and DuckDB load.

Nothing here raises for a bad file: a file this module cannot open or load is left to the
reader, which says what is wrong with it (:class:`tpm.ingest.IngestError`).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

import fastexcel

#: Largest upload accepted (bytes); the Streamlit uploader is capped the same way.
MAX_FILE_BYTES = 200 * 1024 * 1024
#: Largest decompressed size of an xlsx (zip bomb guard).
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, or an encrypted (password-protected) .xlsx


@dataclass
class Workbook:
    """An opened workbook: fastexcel's reader, its sheet names and the sheets loaded so far."""

    reader: fastexcel.ExcelReader
    names: list[str]
    loaded: dict = field(default_factory=dict)  # sheet name → its cells (an Arrow record batch)

    @classmethod
    def open(cls, data: bytes) -> Workbook:
        """Open (no sheet loaded yet). Raises what fastexcel raises for a damaged or encrypted file."""
        reader = fastexcel.read_excel(data)
        return cls(reader, list(reader.sheet_names))

    def sheet(self, name: str):
        """The cells of sheet ``name``, every cell as text (loaded once). Raises what fastexcel raises."""
        if name not in self.loaded:
            self.loaded[name] = self.reader.load_sheet(name, header_row=None, dtypes="string").to_arrow()
        return self.loaded[name]


def unzipped_size(data: bytes) -> int:
    """The bytes a zip file unpacks to, from its directory (nothing is unpacked). Raises zipfile.BadZipFile."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())


def open_workbook(data: bytes, sheet: str | int | None = None) -> Workbook | None:
    """The workbook in ``data`` with the sheet that reading starts with already loaded (``sheet``,
    else the first); None when ``data`` is no workbook this module can read (the reader then
    decides, and explains). A zip that would unpack to more than :data:`MAX_UNZIPPED_BYTES` is
    not opened."""
    if not data.startswith((ZIP_MAGIC, OLE_MAGIC)) or len(data) > MAX_FILE_BYTES:
        return None
    try:
        if data.startswith(ZIP_MAGIC) and unzipped_size(data) > MAX_UNZIPPED_BYTES:
            return None
        workbook = Workbook.open(data)
        first = workbook.names[sheet] if isinstance(sheet, int) else sheet if sheet is not None else workbook.names[0]
        if first in workbook.names:
            workbook.sheet(first)
        return workbook
    except Exception:  # damaged, encrypted, no sheets: the reader says what is wrong
        return None
