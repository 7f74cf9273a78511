"""Reports that travel: the workbook re-opens with the pages' numbers, user text never becomes a
formula, the deck has a picture per chart, LibreOffice converts both to PDF, the CLI refuses bad input."""

import io
import shutil
import subprocess
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import german_csv_bytes

from tpm import actions, store
from tpm.ingest import ingest_bytes
from tpm.metrics import Filter
from tpm.metrics.drivers import drivers_for
from tpm.metrics.nps import nps_for, respondent_count
from tpm.metrics.satisfaction import touchpoint_stats
from tpm.metrics.segments import segment_breakdown
from tpm.report import build
from tpm.report.content import ReportError, gather
from tpm.report.excel import sheet_names, table_xlsx, workbook
from tpm.report.tables import Table, display, excel_format

EVIL = ['=HYPERLINK("http://example.invalid","klick")', "+49 30 1234", "-2+3", "@SUM(A1)"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """The sample studies (the customer survey: three waves, 3 800 respondents), seeded once for this module."""
    from tpm.seed import seed_if_empty

    con = store.connect(tmp_path_factory.mktemp("seeded") / "tpm.duckdb")
    seed_if_empty(con)
    yield con
    con.close()


@pytest.fixture(scope="module")
def customers(seeded) -> Filter:
    """The customer survey's study, all of it."""
    from tpm import studies

    return Filter(study=studies.find(seeded, "Kundenbefragung 2026"))


@pytest.fixture(scope="module")
def evil(tmp_path_factory):
    """A small survey whose ids, segment values, dataset name and measure are formula-like text."""
    con = store.connect(tmp_path_factory.mktemp("evil") / "tpm.duckdb")
    rows = [["ID", "Region", "Hotline (1-10)", "Filiale (1-10)", "Wie wahrscheinlich würden Sie uns weiterempfehlen? (0-10)"]]
    rows += [[f"{EVIL[i % 4]} #{i}", EVIL[i % 4], i % 10 + 1, (i * 3) % 10 + 1, i % 11] for i in range(80)]
    store.save_import(con, ingest_bytes("evil.csv", german_csv_bytes(rows)), name="=Böse Welle")
    actions.create(con, "Hotline", "=cmd|' /C calc'!A0", owner="@Admin")
    yield con
    con.close()


def cells_of(wb):
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


def sheet_rows(ws, header_row: int = 1) -> pd.DataFrame:
    values = list(ws.iter_rows(min_row=header_row, values_only=True))
    return pd.DataFrame(values[1:], columns=values[0])


# --- the workbook ------------------------------------------------------------------------------


def test_workbook_reopens_with_the_numbers_of_the_metrics_api(seeded, customers):
    flt = Filter.of(segments={"Kundenart": ["B2B"]}, study=customers.study)
    report = gather(seeded, flt, "de")
    wb = openpyxl.load_workbook(io.BytesIO(workbook(report)))
    assert wb.sheetnames == sheet_names("de", with_comments=True) == [
        "Deckblatt", "Überblick", "Kontaktpunkte", "Heatmap", "Treiber", "Prioritäten-Matrix", "Soll–Ist", "Maßnahmen",
        "Kommentare", "Daten"]  # the sample has comments
    # overview: NPS and its interval, as the Overview page computes them
    nps = nps_for(seeded, flt)
    overview = {ws_row[0]: ws_row[1] for ws_row in wb["Überblick"].iter_rows(values_only=True) if ws_row[0]}
    assert overview["Net Promoter Score"] == pytest.approx(nps.score)
    assert overview["95-%-KI ↓"] == pytest.approx(nps.ci_low) and overview["95-%-KI ↑"] == pytest.approx(nps.ci_high)
    assert overview["Befragte"] == respondent_count(seeded, flt) < 3800
    # touchpoints: every metric, numbers as numbers with their format, header frozen
    ws = wb["Kontaktpunkte"]
    assert ws.freeze_panes == "B2"
    sheet = sheet_rows(ws).set_index("Kontaktpunkt")
    stats = touchpoint_stats(seeded, flt).set_index("touchpoint")
    assert sorted(sheet.index) == sorted(stats.index)
    assert np.allclose(sheet.loc[stats.index, "Mittelwert"].astype(float), stats["mean"])
    assert np.allclose(sheet.loc[stats.index, "Top-2-Box (%)"].astype(float), stats["top2_box"])
    assert (sheet.loc[stats.index, "n"] == stats["n"]).all()
    header = [c.value for c in ws[1]]
    assert ws.cell(row=2, column=header.index("Mittelwert") + 1).number_format == "0.00"
    assert ws.cell(row=2, column=header.index("NPS der Bewertenden") + 1).number_format == "+0.0;-0.0;0.0"
    # drivers: the shares of the Drivers page
    drivers = drivers_for(seeded, flt, outcome="nps", method="shapley", missing="pairwise").table.set_index("driver")
    ws = wb["Treiber"]
    start = next(r for r in range(1, 20) if ws.cell(row=r, column=1).value == "Kontaktpunkt")
    shares = sheet_rows(ws, start).set_index("Kontaktpunkt")["Anteil an der erklärten Varianz (%)"]
    assert np.allclose(shares.loc[drivers.index].astype(float), drivers["share"])
    # heatmap: a cell of each segment block equals the breakdown, with its n and marker
    ws = wb["Heatmap"]
    cells = segment_breakdown(seeded, flt, "Region", "score")
    tested = cells[cells["flag"].isin(["higher", "lower", "ns"])].iloc[0]
    block = next(r for r in range(1, ws.max_row) if ws.cell(row=r, column=1).value == "Kontaktpunkt (Score 0–100)"
                 and "Region" in str(ws.cell(row=r - 1, column=1).value))
    header = [c.value for c in ws[block]]
    row = next(r for r in range(block + 1, ws.max_row) if ws.cell(row=r, column=1).value == tested["touchpoint"])
    cell = ws.cell(row=row, column=header.index(tested["segment"]) + 1)
    assert cell.value == pytest.approx(tested["value"])
    n_header = next(r for r in range(block, ws.max_row) if ws.cell(row=r, column=1).value == "Kontaktpunkt (n)")
    n_row = next(r for r in range(n_header, ws.max_row) if ws.cell(row=r, column=1).value == tested["touchpoint"])
    assert ws.cell(row=n_row, column=header.index(tested["segment"]) + 1).value == tested["n"]
    assert ws.conditional_formatting  # colour scale on the tested cells
    # the cleaned respondent data: one row per respondent in the filter
    data = sheet_rows(wb["Daten"])
    assert len(data) == respondent_count(seeded, flt)
    assert {"Datensatz", "Befragten-ID", "Kundenart", "Hotline (1–10)"} <= set(data.columns)
    assert set(data["Kundenart"]) == {"B2B"}


def test_workbook_in_english_without_respondent_data(seeded, customers):
    report = gather(seeded, customers, "en", with_data=False)
    wb = openpyxl.load_workbook(io.BytesIO(workbook(report)))
    assert wb.sheetnames == sheet_names("en", with_data=False, with_comments=True) == [
        "Cover", "Overview", "Touchpoints", "Heatmap", "Key drivers", "Priority matrix", "Targets", "Action plan", "Comments"]
    assert [c.value for c in wb["Touchpoints"][1]][:3] == ["Touchpoint", "n", "don't know"]
    cover = [r for r in wb["Cover"].iter_rows(values_only=True) if r[0]]
    assert ("Weighting", "unweighted") in [r[:2] for r in cover]
    assert ("Study", "Kundenbefragung 2026") in [r[:2] for r in cover]
    assert any(str(r[0]).startswith("• Hotline: biggest lever") for r in cover)  # the finding of the priority matrix


def test_no_formula_cells_from_user_text(evil):
    report = gather(evil, Filter(), "de")
    data = workbook(report)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cells = cells_of(wb)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for evil_text in EVIL:  # the text kept exactly, as text with Excel's quote prefix
        assert evil_text in texts
        assert all(c.quotePrefix for c in cells if c.value == evil_text)
    assert "=cmd|' /C calc'!A0" in texts and "@Admin" in texts and "=Böse Welle" in texts
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # no formula element anywhere in the file
        assert not [n for n in archive.namelist() if n.startswith("xl/worksheets/") and b"<f>" in archive.read(n)]


def test_table_downloads_as_shown():
    frame = pd.DataFrame({"Kontaktpunkt": ["=1+1", "Hotline"], "Mittelwert": [7.123, 1234.5], "n": [1200, 30],
                          "Δ": [-1.25, 0.04], "klein": [True, False]})
    table = Table(frame, {"Mittelwert": "mean", "n": "count", "Δ": "diff"}, "Test", "de")
    csv = table.to_csv().decode("utf-8-sig").splitlines()
    assert csv[0] == "Kontaktpunkt;Mittelwert;n;Δ;klein"
    assert csv[1] == "'=1+1;7,12;1.200;-1,2;ja" and csv[2] == "Hotline;1.234,50;30;+0,0;nein"
    english = Table(frame, table.kinds, "Test", "en").to_csv().decode("utf-8-sig").splitlines()
    assert english[2] == 'Hotline,"1,234.50",30,+0.0,no'
    assert display(float("nan"), "mean", "de") == "" and excel_format("diff") == "+0.0;-0.0;0.0"
    ws = openpyxl.load_workbook(io.BytesIO(table_xlsx(table)))["Test"]
    assert ws["A2"].value == "=1+1" and ws["A2"].data_type == "s"
    assert ws["B3"].value == 1234.5 and ws["B3"].number_format == "0.00" and ws["C2"].number_format == "#,##0"


def test_empty_filter_is_refused(seeded, customers):
    with pytest.raises(ReportError, match="Keine Befragten"):
        gather(seeded, Filter.of(segments={"Region": ["Atlantis"]}, study=customers.study), "de")


def test_a_report_is_of_one_study(seeded):
    with pytest.raises(ReportError, match=r"several studies: .*Kundenbefragung 2026"):
        gather(seeded, Filter(), "de")  # never a pooled report
    from tpm import studies

    hotline = gather(seeded, Filter(study=studies.find(seeded, "Hotline-Befragung 2026")), "de", with_data=False)
    assert hotline.respondents == 500 and hotline.survey.startswith("Hotline-Befragung 2026: Servicehotline 2026 Q3")


# --- the deck and PDF ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deck_bytes(seeded, customers):
    return build(seeded, customers, "deck", "en")


def test_deck_has_a_slide_with_a_picture_per_chart(deck_bytes, seeded, customers):
    from PIL import Image
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    from tpm.report.deck import slides

    expected = slides(gather(seeded, customers, "en", with_data=False))
    # the sample study has comment themes (seeded): "What detractors say" follows the key drivers
    assert [s.key for s in expected] == ["overview", "heatmap", "priority", "drivers", "detractors", "journey", "targets",
                                         "tracking"]
    prs = Presentation(io.BytesIO(deck_bytes))
    assert len(prs.slides) == 1 + len(expected)
    assert prs.slides[0].shapes.title.text == "Touchpoint report"
    for slide, spec in zip(list(prs.slides)[1:], expected):
        assert slide.shapes.title.text == spec.headline
        if spec.key == "detractors":  # themes and quotes as text, no chart (tests/test_comment_highlights.py)
            assert not [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
            continue
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == len(spec.figures) >= 1
        for picture in pictures:
            assert picture.left >= 0 and picture.left + picture.width <= prs.slide_width
            assert picture.top + picture.height <= prs.slide_height
            assert Image.open(io.BytesIO(picture.image.blob)).width >= 2000  # high resolution
        assert "n = 3,800 respondents" in " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
    assert expected[2].headline == "Hotline: biggest lever, below target"


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_libreoffice_converts_workbook_and_deck_to_pdf(deck_bytes, evil, tmp_path):
    from PIL import Image

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed: apt-get install libreoffice-calc libreoffice-impress poppler-utils (make test does)"
    (tmp_path / "arbeitsbuch.xlsx").write_bytes(build(evil, Filter(), "workbook", "de"))
    (tmp_path / "praesentation.pptx").write_bytes(deck_bytes)
    out = subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
                          "--convert-to", "pdf", "--outdir", str(tmp_path),
                          str(tmp_path / "arbeitsbuch.xlsx"), str(tmp_path / "praesentation.pptx")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert pdf_pages(tmp_path / "praesentation.pdf") == 9  # title + 7 charts + what detractors say, one page each
    assert pdf_pages(tmp_path / "arbeitsbuch.pdf") >= 9  # at least a page per sheet
    # a rendered slide is a picture, not an empty page: the priority matrix has its red quadrant
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "3", "-l", "3", str(tmp_path / "praesentation.pdf"),
                    str(tmp_path / "slide")], check=True, timeout=60)
    image = np.asarray(Image.open(next(tmp_path.glob("slide*.png"))).convert("RGB")).astype(int)
    assert (image.sum(axis=2) < 600).mean() > 0.05  # well inked
    reddish = (image[..., 0] > 230) & (image[..., 1] < 235) & (image[..., 1] > 200) & (image[..., 2] < 230)
    assert reddish.mean() > 0.02  # the "concentrate here" quadrant (#fde0dc)


# --- where: the CLI and the Report page ------------------------------------------------------


def small_db(path):
    con = store.connect(path)
    rows = [["ID", "Region", "Hotline (1-10)", "Filiale (1-10)", "Wie wahrscheinlich würden Sie uns weiterempfehlen? (0-10)"]]
    rows += [[i, ["Nord", "Süd"][i % 2], i % 10 + 1, (i * 3) % 10 + 1, i % 11] for i in range(60)]
    store.save_import(con, ingest_bytes("klein.csv", german_csv_bytes(rows)), name="Klein")
    con.close()
    return path


def test_cli_report_writes_the_workbook_and_refuses_bad_input(tmp_path, capsys):
    from tpm.cli import main

    db = small_db(tmp_path / "tpm.duckdb")
    assert main(["report", "--db", str(db), "--lang", "en", "--out", str(tmp_path / "r.xlsx")]) == 0
    assert "r.xlsx: written in" in capsys.readouterr().out
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert wb.sheetnames[:3] == ["Cover", "Overview", "Touchpoints"] and wb.sheetnames[-1] == "Data"
    assert main(["report", "--db", str(db), "--out", str(tmp_path / "r.pdf")]) == 2
    assert "must end in .xlsx (workbook) or .pptx (deck)" in capsys.readouterr().err
    assert main(["report", "--db", str(db), "--dataset", "Nope", "--out", str(tmp_path / "n.xlsx")]) == 2
    assert "unknown dataset" in capsys.readouterr().err
    assert main(["report", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "m.xlsx")]) == 2
    assert main(["report", "--db", str(db), "--out", str(tmp_path / "no" / "dir.xlsx")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".xlsx", ".pptx", ".pdf")) == ["r.xlsx"]  # nothing else written
    con = store.connect(db)  # a second study: now the report must be told which one
    rows = [["ID", "Hotline (1-5)", "Wie wahrscheinlich würden Sie uns weiterempfehlen? (0-10)"]] + [[i, i % 5 + 1, i % 11] for i in range(40)]
    store.save_import(con, ingest_bytes("zwei.csv", german_csv_bytes(rows)), name="Zwei", study="Zweite Studie")
    con.close()
    assert main(["report", "--db", str(db), "--out", str(tmp_path / "s.xlsx")]) == 2
    assert "several studies" in capsys.readouterr().err and not (tmp_path / "s.xlsx").exists()
    assert main(["report", "--db", str(db), "--study", "Zweite Studie", "--out", str(tmp_path / "s.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "s.xlsx")["Überblick"]["B3"].value == 40  # respondents of that study only


def test_report_page_builds_the_workbook(db_path, monkeypatch):
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    small_db(db_path)
    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["lang"] = "en"
    app.run()
    app.switch_page("pages/report.py").run()
    assert not app.exception and app.title[0].value == "Report"
    assert not app.get("download_button")
    app.button(key="make_workbook").click().run()
    assert not app.exception and not app.error
    assert [b.proto.label for b in app.get("download_button")] == ["Download workbook (.xlsx)"]
    assert app.session_state["report_workbook"][1][:2] == b"PK"  # the .xlsx (a zip) made for this filter


def test_no_browser_is_a_clear_error_and_nothing_is_written(tmp_path, monkeypatch, capsys):
    from tpm.cli import main

    db = small_db(tmp_path / "tpm.duckdb")
    monkeypatch.setenv("TPM_CHROMIUM", str(tmp_path / "no-chromium"))
    assert main(["report", "--db", str(db), "--out", str(tmp_path / "deck.pptx")]) == 2
    assert "no browser at" in capsys.readouterr().err and not (tmp_path / "deck.pptx").exists()


def test_report_of_one_dataset_names_only_it(seeded, customers):
    first = int(store.list_datasets(seeded, customers.study)["id"].iloc[0])
    report = gather(seeded, Filter.of([first], study=customers.study), "de", with_data=False)
    assert report.survey == "Kundenbefragung 2026: Kundenbefragung 2026 Welle 1" and report.respondents == 1500
    assert report.nps_waves is None and not report.weighted  # one wave: no tracking slide; no weights in the samples
    assert report.base_text() == "Basis: n = 1.500 Befragte · alle Befragten · ungewichtet"


def test_journey_headline_names_no_unassigned_phase(seeded):
    """The hotline study's touchpoints have no journey phase yet: the headline said "Low point of the journey: —
    (score 63)"; it names a phase only among assigned ones, else says that none is assigned."""
    from tpm import studies
    from tpm.report.findings import journey

    hotline = gather(seeded, Filter(study=studies.find(seeded, "Hotline-Befragung 2026")), "en", with_data=False)
    assert set(hotline.curve["phase"]) == {"—"}  # the planted situation: no phase assigned
    text = journey(hotline)
    assert "—" not in text and "no touchpoint has a journey phase yet" in text
    below = int((hotline.cards["status"] == "below").sum())
    assert text.startswith(f"{below} touchpoints below target or mean")
    customers = gather(seeded, Filter(study=studies.find(seeded, "Kundenbefragung 2026")), "en", with_data=False)
    low = customers.curve.loc[customers.curve["score"].idxmin(), "phase"]
    assert journey(customers).startswith(f"Low point of the journey: {low} ")
