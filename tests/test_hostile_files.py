"""Hostile and awkward files (issue #27): zip bombs whose directory lies, password-protected
workbooks, and text that was mangled on the way (mojibake)."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile

import pytest
from conftest import table_counts, xlsx_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from tpm import store, workbook
from tpm.ingest import IngestError, ingest_bytes


def good_rows(n=10):
    return [["ID", "Hotline", "Website"]] + [[i, i % 10 + 1, (i * 3) % 10 + 1] for i in range(1, n + 1)]


def lying_bomb(expanded: int = 60 * 1024 * 1024, declared: int = 2000) -> bytes:
    """A real .xlsx (openpyxl) whose sheet XML is followed by ``expanded`` bytes of spaces, with the
    sheet's declared unpacked size (local header and central directory) rewritten to ``declared``."""
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes(good_rows())))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in base.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(item.filename, base.read(item.filename))
                continue
            with archive.open(item.filename, "w") as member:  # streamed: the test never holds the 60 MB
                member.write(base.read(item.filename))
                piece = b" " * (1 << 20)
                for _ in range(expanded >> 20):
                    member.write(piece)
    data = bytearray(out.getvalue())
    name = b"xl/worksheets/sheet1.xml"
    local = data.index(b"PK\x03\x04")
    while data[local + 30:local + 30 + len(name)] != name:
        local = data.index(b"PK\x03\x04", local + 4)
    struct.pack_into("<L", data, local + 22, declared)
    central = data.index(b"PK\x01\x02")
    while data[central + 46:central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<L", data, central + 24, declared)
    return bytes(data)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return lying_bomb()


def test_a_lying_zip_directory_is_caught_while_unpacking_without_holding_it(bomb):
    declared = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist())
    assert declared < 100_000 and len(bomb) < 1_000_000  # what the old guard trusted
    tracemalloc.start()
    try:
        with pytest.raises(workbook.ZipTooLarge) as info:
            workbook.unzipped_size(bomb, 1_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "xl/worksheets/sheet1.xml" in info.value.problem and "zip bomb" in info.value.problem
    assert peak < 8 * 1024 * 1024, peak  # pieces of 1 MB, not the 60 MB it expands to


def test_a_lying_zip_bomb_is_refused_by_name_and_nothing_is_written(bomb, con):
    store.save_import(con, ingest_bytes("ok.xlsx", xlsx_bytes(good_rows())))
    before = table_counts(con)
    with pytest.raises(IngestError) as info:
        store.save_import(con, ingest_bytes("bombe.xlsx", bomb))
    message = str(info.value)
    assert "'bombe.xlsx'" in message and "zip bomb" in message and "sheet1.xml" in message, message
    assert table_counts(con) == before
    assert workbook.open_workbook(bomb) is None  # the CLI's early open refuses it too


def test_an_honest_directory_over_the_compression_ratio_is_refused(monkeypatch):
    """Deflate packs a repeated byte ~1000 : 1; a survey's sheet XML 5–60 : 1."""
    monkeypatch.setattr(workbook, "RATIO_FROM_BYTES", 1 << 20)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (4 << 20))
    with pytest.raises(workbook.ZipTooLarge, match="times its packed size"):
        workbook.unzipped_size(out.getvalue())
    data = xlsx_bytes(good_rows(2000))  # a real workbook passes, counted to the byte
    assert workbook.unzipped_size(data) == sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())


def test_the_zip_bomb_message_speaks_german(bomb, monkeypatch):
    from tpm.i18n import ingest_text

    with pytest.raises(IngestError) as info:
        ingest_bytes("bombe.xlsx", bomb)
    german = ingest_text(str(info.value), "de")
    assert "Zip-Bombe" in german and "Inhaltsverzeichnis" in german and "exportieren Sie die Umfrage erneut" in german, german
    monkeypatch.setattr(workbook, "RATIO_FROM_BYTES", 1 << 20)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (4 << 20))
    with pytest.raises(IngestError) as info:
        ingest_bytes("dicht.xlsx", out.getvalue())
    assert "gepackten Größe" in ingest_text(str(info.value), "de")


def compound_file(*streams: str) -> bytes:
    """A minimal OLE compound file (512-byte sectors: header, one FAT sector, one directory sector)
    with a root entry and empty streams of the given names — how Office wraps a password-protected
    .xlsx ("EncryptionInfo", "EncryptedPackage") and how an old .xls holds its "Workbook"."""
    free, end, fat_sector = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    header = struct.pack("<8s16s5H6s9L", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", bytes(16), 0x3E, 3, 0xFFFE, 9, 6,
                         bytes(6), 0, 1, 1, 0, 4096, end, 0, end, 0) + struct.pack("<109L", 0, *[free] * 108)
    fat = struct.pack("<128L", fat_sector, end, *[free] * 126)

    def entry(name: str, kind: int, child: int = free, right: int = free) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return struct.pack("<64sHBB3L16sL16sLQ", encoded, len(encoded), kind, 1, free, right, child, bytes(16), 0,
                           bytes(16), end, 0)

    names = list(streams)
    entries = [entry("Root Entry", 5, child=1)] + [
        entry(name, 2, right=i + 2 if i + 1 < len(names) else free) for i, name in enumerate(names)]
    directory = b"".join(entries).ljust(512, b"\0")
    return header + fat + directory


def test_a_password_protected_xlsx_is_called_so_and_an_old_xls_is_not():
    with pytest.raises(IngestError) as info:
        ingest_bytes("geheim.xlsx", compound_file("\x06DataSpaces", "EncryptionInfo", "EncryptedPackage"))
    assert "password-protected" in str(info.value) and "without a password" in str(info.value), str(info.value)
    with pytest.raises(IngestError) as info:  # an old .xls (here without sheets) is read as one, no "password"
        ingest_bytes("alt.xls", compound_file("Workbook", "\x05SummaryInformation"))
    assert "password" not in str(info.value) and "no sheets" in str(info.value), str(info.value)


GERMAN = "abcxyzABCXYZ019 .,;:!?-'\"()/äöüÄÖÜßéèàç€„“”‚‘’–—…°§\u00a0"


def mangle(text: str) -> str:
    """UTF-8 read as cp1252 (latin-1 for the five bytes cp1252 leaves undefined): the mishap."""
    from tpm.ingest.mojibake import _cp1252

    return "".join(_cp1252(b) for b in text.encode("utf-8"))


@settings(max_examples=300)
@given(st.text(alphabet=GERMAN, max_size=30), st.text(alphabet=GERMAN, max_size=30))
def test_proper_text_is_left_alone_and_mangled_text_comes_back(proper, other):
    from tpm.ingest.mojibake import repair

    assert repair(proper) == proper  # correct text with umlauts is never changed
    assert repair(mangle(proper)) == proper
    assert repair(other + " " + mangle(proper)) == other + " " + proper  # one cell half right, half mangled
    assert repair(mangle(mangle(proper))) == proper  # twice through the mishap


def test_the_inventory_upload_refuses_a_zip_bomb_too(bomb, con):
    """The inventory's Excel import reads uploaded workbooks as well: the same guard, nothing written."""
    from tpm import inventory

    store.save_import(con, ingest_bytes("ok.xlsx", xlsx_bytes(good_rows())))
    before = inventory.load(con)
    with pytest.raises(inventory.InventoryError) as info:
        inventory.from_excel(con, bomb)
    assert "zip bomb" in str(info.value) and "sheet1.xml" in str(info.value), str(info.value)
    assert "Zip-Bombe" in info.value.text("de") and "Inventardatei" in info.value.text("de")
    assert inventory.load(con).equals(before)
