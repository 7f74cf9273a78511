"""Bad and hostile input: one clear IngestError naming file/row/column, and nothing stored."""

import io
import zipfile

import pytest
from conftest import german_csv_bytes, table_counts, xlsx_bytes

from tpm import store
from tpm.ingest import ColumnSpec, IngestError, ingest_bytes, readers


def good_rows(n=10):
    return [["ID", "Hotline", "Website"]] + [[i, i % 10 + 1, (i * 3) % 10 + 1] for i in range(1, n + 1)]


def refuse(name, data, *words, specs=None):
    with pytest.raises(IngestError) as info:
        ingest_bytes(name, data, specs)
    message = str(info.value)
    assert name in message
    for word in words:
        assert word.lower() in message.lower(), message
    assert "\n" not in message
    return info.value


def test_empty_file():
    refuse("leer.csv", b"", "empty")


def test_pdf_renamed_to_xlsx():
    refuse("bericht.xlsx", b"%PDF-1.7\n1 0 obj <<>> endobj\n", "not an excel")


def test_html_renamed_to_csv():
    refuse("seite.csv", b"<!DOCTYPE html><html><body>hi</body></html>", "html")


def test_truncated_xlsx():
    data = xlsx_bytes(good_rows())
    refuse("kaputt.xlsx", data[: len(data) // 2], "damaged")


def test_zip_that_is_no_workbook():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    refuse("falsch.xlsx", buf.getvalue(), "cannot be read")


def test_zip_bomb_is_refused_without_unpacking(monkeypatch):
    monkeypatch.setattr(readers, "MAX_UNZIPPED_BYTES", 50_000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", "0" * 200_000)
    refuse("bombe.xlsx", buf.getvalue(), "unpacks to")


def test_password_protected_workbook():
    # an encrypted .xlsx is an OLE compound file, like an old .xls
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048
    error = refuse("geheim.xlsx", ole)
    assert "password" in str(error) or "cannot be read" in str(error)


def test_file_over_the_limit(monkeypatch):
    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 100)
    refuse("gross.csv", b"a,b\n" + b"1,2\n" * 100, "limit")


def test_header_only():
    refuse("kopf.csv", b"ID;Hotline;Website\r\n", "no responses")


def test_no_rating_column():
    refuse("ohne.csv", "Name;Stadt\nAnna;Köln\nBen;Bonn\n".encode(), "no rating")


def test_nul_bytes():
    refuse("nul.csv", b"a,b\n1,\x002\n", "nul")


def test_too_many_columns(monkeypatch):
    monkeypatch.setattr(readers, "MAX_COLUMNS", 50)
    header = ",".join(f"c{i}" for i in range(60))
    refuse("breit.csv", (header + "\n" + ",".join("1" for _ in range(60)) + "\n").encode(), "columns")


def test_rating_outside_scale_names_row_and_column():
    rows = good_rows()
    specs = [ColumnSpec("ID", "id"), ColumnSpec("Hotline", "rating", "Hotline", 1, 5), ColumnSpec("Website", "rating", "Website", 1, 10)]
    error = refuse("skala.xlsx", xlsx_bytes(rows), "outside the scale 1–5", specs=specs)
    # first Hotline value above 5 is in data row 5 (i=5 -> 6), i.e. Excel row 6
    assert error.row == 6 and error.column == "Hotline"
    assert "row 6" in str(error) and "'Hotline'" in str(error)


def test_text_in_a_rating_column_names_the_cell():
    rows = good_rows()
    rows[3][1] = "sehr gut"
    specs = [ColumnSpec("ID", "id"), ColumnSpec("Hotline", "rating", "Hotline", 1, 10)]
    error = refuse("text.xlsx", xlsx_bytes(rows), "sehr gut", specs=specs)
    assert error.row == 4


def test_duplicate_respondent_id():
    rows = good_rows()
    rows[5][0] = 1
    specs = [ColumnSpec("ID", "id"), ColumnSpec("Hotline", "rating", "Hotline", 1, 10)]
    refuse("doppelt.xlsx", xlsx_bytes(rows), "more than once", "rows 2 and 6", specs=specs)


def test_two_nps_columns_in_mapping():
    rows = [["A", "B"], [1, 2], [3, 4]]
    specs = [ColumnSpec("A", "nps", None, 0, 10), ColumnSpec("B", "nps", None, 0, 10)]
    refuse("zwei.xlsx", xlsx_bytes(rows), "2 columns are marked as 'nps'", specs=specs)


def test_unknown_column_in_mapping():
    specs = [ColumnSpec("Gibt es nicht", "rating", "X", 1, 10)]
    refuse("map.xlsx", xlsx_bytes(good_rows()), "does not have", specs=specs)


def test_bad_input_through_store_writes_nothing(con):
    store.save_import(con, ingest_bytes("ok.xlsx", xlsx_bytes(good_rows())))
    before = table_counts(con)
    for name, data in [("leer.csv", b""), ("ohne.csv", b"Name;Stadt\nAnna;Koeln\n")]:
        with pytest.raises(IngestError):
            store.save_import(con, ingest_bytes(name, data))
    assert table_counts(con) == before


def test_formula_text_is_stored_as_plain_text(con):
    rows = [["ID", "Hotline", "Kommentar"], [1, 5, '=HYPERLINK("http://evil.example","klick")'], [2, 6, "gut"]]
    result = ingest_bytes("formel.csv", german_csv_bytes(rows))
    store.save_import(con, result)
    texts = [r[0] for r in con.execute("SELECT text FROM comments ORDER BY resp").fetchall()]
    assert texts[0] == '=HYPERLINK("http://evil.example","klick")'


def test_xml_entity_bomb_is_refused_fast():
    import time

    lol = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes(good_rows())))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in base.infolist():
            data = base.read(item.filename)
            if item.filename.endswith("sheet1.xml") or item.filename == "xl/sharedStrings.xml":
                text = data.decode().split("?>", 1)[-1]
                data = (f'<?xml version="1.0"?><!DOCTYPE lolz [{lol}]>' + text.replace(">Hotline<", ">&lol9;<")).encode()
            z.writestr(item, data)
    start = time.perf_counter()
    refuse("bombe.xlsx", out.getvalue())
    assert time.perf_counter() - start < 2  # not expanded: a billion "lol"s would take minutes and GBs


def test_arrow_csv_path_reads_like_the_csv_module():
    """The fast Arrow reader and the csv-module fallback give the same cells (quotes, multi-line
    cells, empty cells, German numbers, BOM)."""
    import csv as pycsv

    from tpm.ingest.readers import _arrow_csv

    text = ('\ufeffID;Kommentar;Hotline (1-10);Region\r\n1;"Sehr gut;\r\nschnell";7;Nord\r\n'
            '2;;8,5;"Süd"\r\n3;"sagt ""danke""";;Ost\r\n')
    data = text.encode("utf-8")
    fast = [c.to_pylist() for c in _arrow_csv(data, ";")]
    rows = list(pycsv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";"))
    slow = [[v or None for v in col] for col in zip(*rows)]
    assert fast == slow


def _two_sheets() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Hinweise"
    wb.active.append(["Export der Agentur, Stand März"])
    ws = wb.create_sheet("Daten")
    ws.append(["ID", "Hotline (1-5)", "Region"])
    for i in range(1, 31):
        ws.append([i, i % 5 + 1, ["Nord", "Süd"][i % 2]])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("sheet", [None, "Daten", 1, 0])
def test_a_workbook_opened_ahead_reads_as_the_reader_would(sheet):
    """The import command opens a workbook (:mod:`tpm.workbook`) before ``tpm.ingest`` loads: the
    reader then gives the same table, sheet choice and notes as when it opens the file itself."""
    from tpm.ingest import read_table
    from tpm.workbook import open_workbook

    data = _two_sheets()
    workbook = open_workbook(data, sheet)
    assert workbook is not None and workbook.names == ["Hinweise", "Daten"]
    assert list(workbook.loaded) == [workbook.names[sheet] if isinstance(sheet, int) else sheet or "Hinweise"]
    try:
        alone = read_table("agentur.xlsx", data, sheet=sheet)
    except IngestError as error:  # the notes sheet asked for: the same error either way
        with pytest.raises(IngestError, match=str(error)[:40]):
            read_table("agentur.xlsx", data, sheet=sheet, workbook=workbook)
        return
    ahead = read_table("agentur.xlsx", data, sheet=sheet, workbook=workbook)
    assert (ahead.sheet, ahead.sheets, ahead.notes, ahead.header_row) == (alone.sheet, alone.sheets, alone.notes, alone.header_row)
    assert {k: v.to_pylist() for k, v in ahead.columns.items()} == {k: v.to_pylist() for k, v in alone.columns.items()}


def test_opening_ahead_leaves_bad_files_to_the_reader(monkeypatch):
    """What :func:`tpm.workbook.open_workbook` cannot open is None (the reader then explains), and
    a zip bomb is not opened there either."""
    from tpm import workbook

    data = xlsx_bytes(good_rows())
    for bad in [b"ID;Hotline\r\n1;5\r\n", data[: len(data) // 2], b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048, b"PK\x03\x04junk"]:
        assert workbook.open_workbook(bad) is None
    assert workbook.open_workbook(data, "Keine") is not None  # no such sheet: opened, nothing loaded (the reader says so)
    monkeypatch.setattr(workbook, "MAX_UNZIPPED_BYTES", 1000)
    assert workbook.open_workbook(data) is None


def test_the_workbook_step_loads_without_numpy_or_arrow():
    import subprocess
    import sys

    from conftest import ROOT

    code = "import sys, tpm.workbook; print(sorted(m for m in ('numpy', 'pyarrow', 'pandas', 'duckdb') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
