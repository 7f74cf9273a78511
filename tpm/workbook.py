"""The slow first step of reading a workbook — unzip, parse the sheet's XML, cells into Arrow —
with nothing but fastexcel and the standard library.

:mod:`tpm.ingest.readers` reads every Excel file through :func:`open_workbook` and :func:`load`.
The import command calls :func:`open_workbook` on a thread of its own as soon as it starts: this
module loads in milliseconds (``tpm.ingest`` needs NumPy and Arrow first, ~0.2 s), and fastexcel
lets go of the GIL while it parses, so the file is read while pandas and DuckDB load.

Nothing here raises for a bad file: a file this module cannot open or load is left to the
reader, which says what is wrong with it (:class:`tpm.ingest.IngestError`). Before fastexcel
sees a zip, :func:`unzipped_size` unpacks it once in pieces, counting the real bytes (a zip
bomb's directory may lie about them), so that a bomb is refused before anything holds it.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

import fastexcel

#: Largest upload accepted (bytes); the Streamlit uploader is capped the same way.
MAX_FILE_BYTES = 200 * 1024 * 1024
#: Largest decompressed size of an xlsx (zip bomb guard), counted while unpacking, not as declared.
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024
#: Largest ratio of unpacked to packed size of one part of a workbook, once that part passes
#: :data:`RATIO_FROM_BYTES` (a survey's sheet XML packs 5–60 : 1; deflate's ceiling is ~1032 : 1).
MAX_RATIO = 200
RATIO_FROM_BYTES = 64 * 1024 * 1024
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # a zip member's local header (as zipfile.structFileHeader)
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


class ZipTooLarge(Exception):
    """A zip that unpacks to more than allowed, or to more than its directory says; ``problem``
    names what was found (English, as :class:`tpm.ingest.IngestError` words it)."""

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(problem)


def unzipped_size(data: bytes, limit: int | None = None) -> int:
    """The bytes the zip in ``data`` really unpacks to, counted while unpacking each member in
    1 MB pieces (never more than ~1 MB of unpacked bytes held) — the sizes its directory declares
    are not trusted: a "zip bomb" can declare a few KB for a part that inflates to gigabytes.

    Raises :class:`ZipTooLarge` as soon as (a) the declared total exceeds ``limit`` (default
    :data:`MAX_UNZIPPED_BYTES`; nothing unpacked), (b) a member inflates to more bytes than it
    declares (a lying directory: stopped one piece after the declared size), or (c) a member
    passes :data:`RATIO_FROM_BYTES` at more than :data:`MAX_RATIO` × its packed size. Since every
    member then unpacks to at most what it declares, the real total is at most ``limit``.
    Raises ``zipfile.BadZipFile`` for a damaged zip or a compression method Excel never writes."""
    limit = MAX_UNZIPPED_BYTES if limit is None else limit
    view = memoryview(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        declared = sum(info.file_size for info in members)
        if declared > limit:
            raise ZipTooLarge(f"the workbook unpacks to {declared / 1e9:.1f} GB, more than the limit of {limit / 1e9:.0f} GB")
        return sum(_member_size(view, info) for info in members)


def _member_size(view: memoryview, info: zipfile.ZipInfo) -> int:
    """The bytes member ``info`` inflates to, stopped past its declared size or ratio (see :func:`unzipped_size`)."""
    header = view[info.header_offset:info.header_offset + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size or bytes(header[:4]) != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"no local header for {info.filename!r}")
    *_, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    if info.compress_type == zipfile.ZIP_STORED:
        real = min(info.compress_size, len(view) - start)
        if real > info.file_size:
            raise _lying(info, real)
        return real
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise zipfile.BadZipFile(f"compression method {info.compress_type} in {info.filename!r}")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    real = packed = 0
    position = start
    pending = b""
    while not inflater.eof:
        if not pending:  # next piece of packed bytes, to the file's end (a reader may not stop at the declared size)
            if position >= len(view):
                break
            pending = view[position:position + (1 << 16)]
            position += len(pending)
            packed += len(pending)
        try:
            real += len(inflater.decompress(pending, 1 << 20))
        except zlib.error as exc:
            raise zipfile.BadZipFile(f"{info.filename!r}: {exc}") from None
        pending = inflater.unconsumed_tail
        if real > info.file_size:
            raise _lying(info, real)
        if real > RATIO_FROM_BYTES and real > MAX_RATIO * max(packed - len(pending), 1):
            raise ZipTooLarge(
                f"the part '{info.filename}' of the workbook unpacks to more than {MAX_RATIO} times its packed size "
                f"(a zip bomb, not a survey export)")
    return real


def _lying(info: zipfile.ZipInfo, real: int) -> ZipTooLarge:
    return ZipTooLarge(f"the part '{info.filename}' of the workbook unpacks to more than the {info.file_size} bytes "
                       f"its table of contents declares (a manipulated file, a zip bomb)")


def open_workbook(data: bytes, sheet: str | int | None = None) -> Workbook | None:
    """The workbook in ``data`` with the sheet that reading starts with already loaded (``sheet``,
    else the first); None when ``data`` is no workbook this module can read (the reader then
    decides, and explains). A zip that would unpack to more than :data:`MAX_UNZIPPED_BYTES` is
    not opened."""
    if not data.startswith((ZIP_MAGIC, OLE_MAGIC)) or len(data) > MAX_FILE_BYTES:
        return None
    try:
        if data.startswith(ZIP_MAGIC):
            unzipped_size(data, MAX_UNZIPPED_BYTES)  # raises for a zip bomb
        workbook = Workbook.open(data)
        first = workbook.names[sheet] if isinstance(sheet, int) else sheet if sheet is not None else workbook.names[0]
        if first in workbook.names:
            workbook.sheet(first)
        return workbook
    except Exception:  # damaged, encrypted, no sheets: the reader says what is wrong
        return None
