"""Column roles, touchpoint names, scales and missing values on exports built here."""

import datetime as dt
import io

import pandas as pd
import pytest
from conftest import german_csv_bytes, xlsx_bytes

from tpm.ingest import IngestError, ingest_bytes, touchpoint_name
from tpm.ingest.detect import infer_scale, scale_from_header
from tpm.ingest.values import to_numbers


def roles(result):
    return {s.column: s.role for s in result.specs}


@pytest.mark.parametrize(
    "header, expected",
    [
        ("Wie zufrieden sind Sie mit: Hotline?", "Hotline"),
        ("Zufriedenheit Lieferung (1-10)", "Lieferung"),
        ("Zufriedenheit mit der Rechnung", "Rechnung"),
        ("How satisfied are you with our website?", "website"),
        ("Bitte bewerten Sie folgende Kontaktpunkte [Filiale]", "Filiale"),
        ("Q5 - Außendienst", "Außendienst"),
        ("Zufriedenheit: Reklamation (1 = sehr unzufrieden, 10 = sehr zufrieden)", "Reklamation"),
        ("App", "App"),
    ],
)
def test_touchpoint_name_strips_question_boilerplate(header, expected):
    assert touchpoint_name(header) == expected


@pytest.mark.parametrize(
    "header, lo, hi, expected, sure",
    [
        ("Hotline (1-5)", 1, 4, (1, 5), True),
        ("Hotline 0 bis 10", 2, 9, (0, 10), True),
        ("Hotline", 1, 5, (1, 5), False),
        ("Hotline", 1, 7, (1, 7), False),  # a 1–10 item whose answers stop at 7: guessed, so unsure
        ("Hotline", 2, 9, (1, 9), False),  # the answers' range, never a top point nobody chose (1–10 is offered beside it)
        ("Hotline", 0, 10, (0, 10), True),  # no known scale is larger
        ("Hotline (1-5)", 1, 7, (1, 5), True),  # the header wins; 6 and 7 are reported at import
    ],
)
def test_scale(header, lo, hi, expected, sure):
    scale_min, scale_max, reason = infer_scale(header, lo, hi)
    assert (scale_min, scale_max) == expected
    assert (reason is None) == sure


def test_scale_from_header_with_labels():
    assert scale_from_header("Website (1 = sehr schlecht … 5 = sehr gut)") == (1, 5)


def test_numbers_german_and_plain():
    s = pd.Series(["7", "7,5", "1.234,56", 3, 4.5, "abc", "", "12.000"], dtype="object")
    out = to_numbers(s).tolist()
    assert out[:5] == [7.0, 7.5, 1234.56, 3.0, 4.5]
    assert pd.isna(out[5]) and pd.isna(out[6])
    assert out[7] == 12.0  # ambiguous "12.000" read as the plain number 12.0 (thousands need a comma part)


def sample_rows():
    header = ["ID", "Datum", "Region", "Kundenart", "Wie zufrieden sind Sie mit: Hotline?", "Zufriedenheit Website (1-5)",
              "Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen? (0-10)", "Bestellwert", "Kommentar", "E-Mail"]
    rows = [header]
    regions = ["Nord", "Süd", "Ost"]
    for i in range(1, 61):
        hotline = (i % 10) + 1 if i % 7 else "k.A."
        website = (i % 5) + 1 if i % 4 else None
        nps = i % 11
        comment = f"Die Lieferung war {'schön' if i % 2 else 'zu spät'} – Kunde {i}" if i % 3 == 0 else None
        rows.append([i, dt.datetime(2026, 3, 1) + dt.timedelta(days=i), regions[i % 3], "B2B" if i % 2 else "B2C",
                     hotline, website, nps, 10.5 * i + 0.25, comment, f"kunde{i}@example.org"])
    return rows


def test_roles_scales_and_missing_on_xlsx():
    result = ingest_bytes("welle.xlsx", xlsx_bytes(sample_rows()))
    r = roles(result)
    assert r["ID"] == "id"
    assert r["Datum"] == "date"
    assert r["Region"] == "segment" and r["Kundenart"] == "segment"
    assert r["Wie zufrieden sind Sie mit: Hotline?"] == "rating"
    assert r["Zufriedenheit Website (1-5)"] == "rating"
    assert r["Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen? (0-10)"] == "nps"
    assert r["Bestellwert"] == "ignore"
    assert r["Kommentar"] == "comment"
    # personal data: proposed as a contact column, unsure, and not imported until the analyst confirms it
    assert r["E-Mail"] == "contact" and result.canonical.contacts.empty
    specs = {s.touchpoint: s for s in result.specs if s.role == "rating"}
    assert (specs["Hotline"].scale_min, specs["Hotline"].scale_max) == (1, 10)
    assert (specs["Website"].scale_min, specs["Website"].scale_max) == (1, 5)
    c = result.canonical
    hotline = c.ratings[c.ratings.touchpoint == "Hotline"]
    # 60 rows, every 7th is "k.A." -> 8 missing, never a low score
    assert len(hotline) == 60 - 8
    assert hotline.score.min() >= 1
    assert len(c.ratings[c.ratings.touchpoint == "Website"]) == 45
    assert c.respondents.nps.notna().sum() == 60
    assert len(c.comments) == 20
    assert c.respondents.responded_at.iloc[0] == pd.Timestamp("2026-03-02")
    assert set(c.segments.segment) == {"Region", "Kundenart"}


def test_german_excel_csv():
    rows = [["Befragten-ID", "Datum", "Kanal", "Zufriedenheit Lieferung (1-10)", "Weiterempfehlung (0-10)", "Umsatz (EUR)", "Anmerkungen"]]
    for i in range(1, 41):
        lieferung = ["k.A.", "weiß nicht", "", "-99"][i % 4] if i % 5 == 0 else (i % 10) + 1
        rows.append([f"K-{i:03d}", f"{i % 28 + 1:02d}.04.2026", ["Online", "Filiale"][i % 2], lieferung, i % 11,
                     f"{i}.{i:03d},{i % 100:02d}", "Größere Auswahl wäre schön" if i % 4 == 1 else ""])
    result = ingest_bytes("export.csv", german_csv_bytes(rows))
    assert result.table.delimiter == ";" and result.table.encoding == "cp1252"
    r = roles(result)
    assert r["Zufriedenheit Lieferung (1-10)"] == "rating"
    assert r["Weiterempfehlung (0-10)"] == "nps"
    assert r["Umsatz (EUR)"] == "ignore"
    assert r["Datum"] == "date"
    c = result.canonical
    # every 5th is a no-answer code (k.A., weiß nicht, blank, -99): missing
    assert len(c.ratings) == 40 - 8
    assert c.respondents.responded_at.iloc[0] == pd.Timestamp("2026-04-02")
    assert "Größere Auswahl wäre schön" in set(c.comments.text)


def test_decimal_comma_ratings_are_read():
    rows = [["Nr", "Filiale"], ["1", "4,5"], ["2", "3"], ["3", "2,5"]]
    result = ingest_bytes("dezimal.csv", german_csv_bytes(rows))
    assert sorted(result.canonical.ratings.score) == [2.5, 3.0, 4.5]


def test_utf8_bom_and_comma_csv():
    data = "\ufeffid,Hotline,NPS\n1,5,10\n2,4,3\n3,,9\n".encode("utf-8")
    result = ingest_bytes("bom.csv", data)
    assert result.table.encoding == "utf-8-sig"
    assert roles(result) == {"id": "id", "Hotline": "rating", "NPS": "nps"}
    assert list(result.canonical.respondents.respondent_id) == ["1", "2", "3"]


def test_title_rows_above_header_are_skipped():
    rows = [["Kundenbefragung 2026"], [], ["ID", "Hotline", "Website", "Region"]] + [[i, i % 5 + 1, 5 - i % 5, "Nord"] for i in range(10)]
    result = ingest_bytes("titel.xlsx", xlsx_bytes(rows))
    assert result.table.header_row == 3
    assert result.canonical.touchpoints == ["Hotline", "Website"]
    assert result.canonical.respondents.row_number.iloc[0] == 4


def test_qualtrics_glued_options_only_in_qualtrics_exports():
    header = "Indicate how you feel about the following vegetables-Squash"
    assert touchpoint_name(header, "Qualtrics") == "Squash"
    assert touchpoint_name("How satisfied were you with the new Check-In") == "new Check-In"


@pytest.mark.parametrize("header, expected", [
    ("Rate the Check-in process", "Rate the Check-in process"),
    ("Bewertung der Kunden-Hotline", "Kunden-Hotline"),
    ("Which films have you seen? [Star Wars: Episode IV A New Hope]", "Episode IV A New Hope"),
])
def test_touchpoint_names_from_platform_headers(header, expected):
    assert touchpoint_name(header) == expected


def test_text_scales_by_meaning_and_glued_numbers():
    from tpm.ingest.scales import match_labels

    lo, hi, mapping, name = match_labels(["Sehr zufrieden", "unzufrieden", "Zufrieden", "sehr unzufrieden"])
    assert (lo, hi, name) == (1, 5, "satisfaction_5")
    assert mapping["sehr zufrieden"] == 5 and mapping["sehr unzufrieden"] == 1 and mapping["zufrieden"] == 4
    _, hi, mapping, _ = match_labels(["Stimme gar nicht zu", "Stimme eher zu", "Stimme vollständig zu"])
    assert hi in (4, 5) and mapping["stimme vollständig zu"] == hi
    _, hi, mapping, _ = match_labels(["2", "9", "Very helpful10", "1 - gar nicht hilfreich"])
    assert hi == 10 and mapping["very helpful10"] == 10 and mapping["1 - gar nicht hilfreich"] == 1
    assert match_labels(["Agree (2)", "Strongly agree (1)"])[2]["agree (2)"] == 2
    assert match_labels(["Nord", "Süd", "Ost"]) is None  # an unknown label set is not guessed
    assert match_labels(["²", "3", "x"]) is None  # regression: unicode digits are no numbers


def test_mojibake_is_repaired():
    text = "ID;Zufriedenheit Lieferung (1-10);Anmerkungen\n1;7;Größere Auswahl wäre schön\n2;9;Sehr gut\n3;5;Lieferung zu spät\n"
    broken = text.encode("utf-8").decode("cp1252").encode("utf-8")  # UTF-8 read as cp1252 and saved again
    assert "Ã" in broken.decode("utf-8")
    result = ingest_bytes("kaputt.csv", broken)
    assert "mojibake repaired" in result.table.encoding
    assert "Größere Auswahl wäre schön" in set(result.canonical.comments.text)


def test_microsoft_forms_export():
    rows = [["ID", "Start time", "Completion time", "Email", "Name", "How satisfied are you with our Hotline?", "How likely are you to recommend us?"]]
    for i in range(1, 31):
        rows.append([i, f"3/{i % 28 + 1}/2026 10:00:00", f"3/{i % 28 + 1}/2026 10:05:00", "anonymous", "", i % 5 + 1, i % 11])
    result = ingest_bytes("msforms.xlsx", xlsx_bytes(rows))
    r = roles(result)
    assert r["ID"] == "id" and r["Start time"] == "date" and r["Completion time"] == "ignore"
    assert r["Email"] == "ignore" and r["How likely are you to recommend us?"] == "nps"
    assert [s.touchpoint for s in result.specs if s.role == "rating"] == ["Hotline"]


def test_long_format_becomes_one_row_per_respondent():
    rows = [["respondent_id", "touchpoint", "score", "Region", "Weiterempfehlung (0-10)"]]
    expected = {}
    for r in range(1, 41):
        for j, tp in enumerate(["Hotline", "Website", "Filiale"]):
            if (r + j) % 4 == 0:
                continue  # not every respondent rated every touchpoint
            score = (r * (j + 2)) % 10 + 1
            expected.setdefault(tp, []).append(score)
            rows.append([f"R{r}", tp, score, ["Nord", "Süd"][r % 2], r % 11])
    result = ingest_bytes("lang.csv", german_csv_bytes(rows))
    assert result.table.platform == "long format"
    c = result.canonical
    assert len(c.respondents) == 40
    assert set(c.ratings.touchpoint) == {"Hotline", "Website", "Filiale"}
    for tp, scores in expected.items():
        got = c.ratings[c.ratings.touchpoint == tp].score
        assert len(got) == len(scores) and got.mean() == pytest.approx(sum(scores) / len(scores))
    assert c.respondents.nps.notna().sum() == 40 and set(c.segments.value) == {"Nord", "Süd"}


def test_long_format_with_a_double_rating_is_refused():
    rows = [["respondent_id", "touchpoint", "score"], ["R1", "Hotline", 5], ["R1", "Hotline", 6], ["R2", "Hotline", 7]]
    with pytest.raises(IngestError, match="twice"):
        ingest_bytes("doppelt.csv", german_csv_bytes(rows))


def test_typeform_export():
    rows = [["#", "How satisfied were you with the delivery?", "How likely are you to recommend us to a friend?",
             "Anything else?", "Start Date (UTC)", "Submit Date (UTC)", "Network ID"]]
    for i in range(1, 41):
        rows.append([f"tf{i:04d}x", i % 5 + 1, i % 11, "Schnell und freundlich" if i % 3 else "",
                     f"2026-02-{i % 28 + 1:02d} 09:00:00", f"2026-02-{i % 28 + 1:02d} 09:04:00", f"net{i:05d}"])
    data = io.StringIO()
    import csv
    csv.writer(data).writerows(rows)
    result = ingest_bytes("typeform.csv", data.getvalue().encode())
    r = roles(result)
    assert r["#"] == "id" and r["Start Date (UTC)"] == "date" and r["Network ID"] == "ignore"
    assert r["How likely are you to recommend us to a friend?"] == "nps" and r["Anything else?"] == "comment"
    assert [s.touchpoint for s in result.specs if s.role == "rating"] == ["delivery"]


def test_qualtrics_nps_group_column_is_not_a_segment():
    rows = [["ResponseId", "Q1_NPS_GROUP", "Q1"]] + [[f"R_{i}", ["1", "2", "3"][i % 3], i % 11] for i in range(30)]
    result = ingest_bytes("q.xlsx", xlsx_bytes(rows))
    assert roles(result)["Q1_NPS_GROUP"] == "ignore"


def test_merged_header_cells_and_a_chosen_sheet():
    import openpyxl

    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Hinweise"
    notes.append(["Export der Agentur, Stand März"])
    ws = wb.create_sheet("Daten")
    ws.append(["ID", "Wie zufrieden sind Sie mit …", None, None, "Region"])
    ws.append([None, "Hotline", "Filiale", "Website", None])
    ws.merge_cells("B1:D1")
    for i in range(1, 31):
        ws.append([i, i % 5 + 1, (i + 1) % 5 + 1, (i + 2) % 5 + 1, ["Nord", "Süd"][i % 2]])
    buffer = io.BytesIO()
    wb.save(buffer)
    result = ingest_bytes("agentur.xlsx", buffer.getvalue())
    assert result.table.sheet == "Daten" and result.table.sheets == ["Hinweise", "Daten"]
    assert [s.touchpoint for s in result.specs if s.role == "rating"] == ["Hotline", "Filiale", "Website"]
    assert len(result.canonical.respondents) == 30
    assert roles(result)["ID"] == "id" and roles(result)["Region"] == "segment"


@pytest.mark.parametrize("values", [
    ["R0001", "R0002", "R0003"],                       # ids: no value starts with a digit
    ["Lieferung 3 Tage zu spät", "ok (Auftrag 7)"],   # comments with digits inside
    ["today", "now", "x1"],                            # pandas reads "now" and "today" in any format
    ["-2026-01-05", "-2026-02-01"],                    # and an ISO date after a minus
    ["05.01.2026", "6.1.2026", "kaputt 1"],
    ["2026-01-05 00:00:00", "2026-02-01 12:30:00"],
    ["30–49", "unter 30", "50–64"],
])
def test_date_detection_matches_trying_every_format(values):
    """The shortcut (no value can begin a date: no format is tried) finds what trying all formats finds."""
    from tpm.ingest.values import DATE_FORMATS, ParsedColumn, to_dates

    column = values * 30
    _, share = to_dates(column)
    sample = pd.Series(ParsedColumn(column).first(200), dtype=object)
    best = max(float(pd.to_datetime(sample, format=f, errors="coerce").notna().mean()) for f in DATE_FORMATS)
    assert share == pytest.approx(best) if best >= 0.5 else share <= best


def test_numbers_of_a_column_whose_first_answers_are_not_numbers():
    """A column whose sample is no number (dates) is parsed value by value; later numbers are still read."""
    column = ["2026-01-05"] * 300 + ["7", "7,5", "1.234,5"]
    numbers = to_numbers(column)
    assert numbers[:300].isna().all()
    assert numbers[300:].tolist() == [7.0, 7.5, 1234.5]


def test_the_readers_load_without_pandas():
    """`tpm.ingest` (readers, detection) imports without pandas: the CLI starts reading a file
    on one core while pandas and DuckDB load on the other."""
    import subprocess
    import sys

    from conftest import ROOT

    code = "import sys, tpm.ingest; print(sorted(m for m in ('pandas', 'duckdb') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_one_text_in_every_answer_is_read_as_an_option_and_shown_as_unsure():
    """A flattened multiple-choice option ("Column27" = "Using version control" in every answer) is read as a
    segment — a guess from the values alone, so the Upload page shows it as unsure; a comment header stays a comment."""
    from tpm.ingest import read_table
    from tpm.ingest.detect import detect

    rows = ["id;NPS;Kommentar;Column27"] + [f"R{i};{i};Text {i} ganz anders {i * 7};Using version control" for i in range(10)]
    data = "\n".join(rows).encode()
    specs = {s.column: s for s in detect(read_table("survey.csv", data))}
    assert specs["Column27"].role == "segment" and "multiple-choice" in specs["Column27"].unsure
    assert specs["Kommentar"].role == "comment"
    from tpm.i18n import ingest_text

    assert "Mehrfachauswahl" in ingest_text(specs["Column27"].unsure, "de")
