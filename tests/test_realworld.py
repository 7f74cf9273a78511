"""Every real export in ../shared/realworld (see its SOURCES.md for origin and licence) either
imports with the right touchpoints, scales and n — checked against an independent reading with
Python's csv module / openpyxl — or is refused with its reason, writing nothing."""

import csv
import io

import openpyxl
import pytest
from conftest import REALWORLD, table_counts

from tpm import store
from tpm.ingest import IngestError, ingest_bytes


def rows(name, encoding="utf-8-sig", delimiter=","):
    return list(csv.reader(io.StringIO((REALWORLD / name).read_text(encoding=encoding)), delimiter=delimiter))


def imported(name):
    return ingest_bytes(name, (REALWORLD / name).read_bytes())


def stats(result, touchpoint):
    r = result.canonical.ratings
    scores = r[r.touchpoint == touchpoint].score
    spec = next(s for s in result.specs if s.touchpoint == touchpoint)
    return len(scores), scores.mean(), (spec.scale_min, spec.scale_max)


@pytest.mark.parametrize("name, words", [
    ("googleforms_autistica_citizen_science.csv", "no rating"),
    ("qualtrics_sample.csv", "no rating"),
    ("qualtrics_sample_legacy.csv", "no rating"),
    ("surveymonkey_ohbm2022_pandas_resaved.csv", "no rating scale TPM knows"),
])
def test_files_without_ratings_are_refused_with_a_reason(name, words, con):
    with pytest.raises(IngestError) as info:
        store.save_import(con, imported(name))
    assert name in str(info.value) and words in str(info.value)
    assert table_counts(con)["datasets"] == 0


def test_surveymonkey_starwars_cp1252_text_scale():
    result = imported("surveymonkey_starwars_538_cp1252.csv")
    assert result.table.platform == "SurveyMonkey" and result.table.encoding == "cp1252"
    assert len(result.canonical.respondents) == 1186
    raw = rows("surveymonkey_starwars_538_cp1252.csv", encoding="cp1252")
    column = raw[0].index("Please state whether you view the following characters favorably, unfavorably, or are unfamiliar with him/her.")
    assert raw[1][column] == "Han Solo"
    order = ["Very unfavorably", "Somewhat unfavorably", "Neither favorably nor unfavorably (neutral)", "Somewhat favorably", "Very favorably"]
    values = [order.index(r[column]) + 1 for r in raw[2:] if r[column] in order]
    n, mean, scale = stats(result, "Han Solo")
    assert (n, scale) == (len(values), (1, 5))
    assert mean == pytest.approx(sum(values) / len(values))
    touchpoints = [s.touchpoint for s in result.specs if s.role == "rating"]
    assert len(touchpoints) == 14 and "Jar Jar Binks" in touchpoints
    assert not any(s.role == "rating" and "rank" in s.column.lower() for s in result.specs)  # rankings are no ratings


def test_carpentries_nps_and_agreement_scale():
    result = imported("carpentries_surveymonkey_longterm_October2017.csv")
    raw = rows("carpentries_surveymonkey_longterm_October2017.csv")
    nps_col = raw[0].index("Likely-To-Recommend")
    answers = [r[nps_col] for r in raw[1:] if r[nps_col].strip()]
    assert result.canonical.respondents.nps.notna().sum() == len(answers)
    nps = next(s for s in result.specs if s.role == "nps")
    assert nps.column == "Likely-To-Recommend"
    agree = ["strongly disagree", "disagree", "neutral", "agree", "strongly agree"]
    spec = next(s for s in result.specs if s.role == "rating" and s.scale_max == 5)
    col = raw[0].index(spec.column)
    values = [agree.index(r[col].strip().rstrip(".").lower()) + 1 for r in raw[1:] if r[col].strip().rstrip(".").lower() in agree]
    n, mean, scale = stats(result, spec.touchpoint)
    assert (n, scale) == (len(values), (1, 5)) and mean == pytest.approx(sum(values) / len(values))


def test_limesurvey_german_semicolon_bom_two_header_rows():
    result = imported("limesurvey_de_semicolon_bom_automotive.csv")
    assert result.table.delimiter == ";" and result.table.encoding == "utf-8-sig"
    assert result.table.platform == "two header rows" and len(result.canonical.respondents) == 45
    raw = rows("limesurvey_de_semicolon_bom_automotive.csv", delimiter=";")
    order = ["gar nicht", "selten", "eher selten", "eher häufig", "sehr häufig"]
    col = raw[1].index("Communication")
    values = [order.index(r[col]) + 1 for r in raw[2:] if r[col] in order]
    n, mean, scale = stats(result, "Communication")
    assert (n, scale) == (len(values), (1, 5)) and mean == pytest.approx(sum(values) / len(values))
    assert all(r[col] in order + ["", "Keine Angabe"] for r in raw[2:])  # "Keine Angabe" is missing, not a score


def test_limesurvey_xlsx_codes_incomplete_and_glued_labels():
    result = imported("limesurvey_raw_xlsx_artifact_eval.xlsx")
    ws = openpyxl.load_workbook(REALWORLD / "limesurvey_raw_xlsx_artifact_eval.xlsx", read_only=True).active
    table = list(ws.iter_rows(values_only=True))
    header = list(table[0])
    complete = [r for r in table[1:] if r[header.index("submitdate")] not in (None, "")]
    assert len(result.canonical.respondents) == len(complete)
    assert any("incomplete" in note for note in result.canonical.notes)
    col = header.index("g2[SQ001]")
    values = [int(str(r[col]).replace("Very helpful", "")) for r in complete if r[col] not in (None, "")]
    n, mean, scale = stats(result, "SQ001")
    assert (n, scale) == (len(values), (1, 10)) and mean == pytest.approx(sum(values) / len(values))
    assert max(values) == 10  # "Very helpful10" counts as 10
    everything = ingest_bytes("x.xlsx", (REALWORLD / "limesurvey_raw_xlsx_artifact_eval.xlsx").read_bytes(), include_incomplete=True)
    assert len(everything.canonical.respondents) == len(table) - 1


def test_qualtrics_2016_no_basis_codes_are_missing():
    result = imported("qualtrics_qtools_no_basis_insights_2016.csv")
    assert result.table.platform == "Qualtrics" and len(result.canonical.respondents) == 15
    raw = rows("qualtrics_qtools_no_basis_insights_2016.csv")
    col = raw[0].index("Q3_1")
    values = [int(r[col]) for r in raw[3:] if r[col].strip() and int(r[col]) > 0]  # -1/-2 = no basis
    n, mean, scale = stats(result, "Squash")
    assert (n, scale) == (len(values), (1, 3)) and mean == pytest.approx(sum(values) / len(values))
    assert result.canonical.ratings.score.min() >= 1


def test_every_importable_file_stores_in_one_transaction(con):
    stored = 0
    for path in sorted(REALWORLD.glob("*")):
        if path.suffix not in (".csv", ".xlsx"):
            continue
        try:
            result = ingest_bytes(path.name, path.read_bytes())
        except IngestError:
            continue
        store.save_import(con, result)
        stored += 1
    assert stored == 5 and table_counts(con)["datasets"] == 5


def mangled(text: str) -> str:
    """UTF-8 read as cp1252 and saved again (Ã¼ for ü, â€“ for –)."""
    return text.encode("utf-8").decode("cp1252")


@pytest.mark.parametrize("where", ["throughout", "only in the last row"])
def test_carpentries_with_mojibake_in_some_cells_is_repaired(where, con):
    """The Carpentries export with some cells mangled and others correct UTF-8 (a file put together
    from two sources): the mangled header, segment label and comment come back, the correct ones stay.
    "only in the last row": past the first 200 000 characters, where the whole-file check does not look."""
    name = "carpentries_surveymonkey_longterm_October2017.csv"
    text = (REALWORLD / name).read_text(encoding="utf-8")
    assert text.isascii()  # the export as published has no mojibake (nor any non-ASCII character)
    first, *lines = text.split("\n")
    last = max(i for i, line in enumerate(lines) if line.startswith("Norway,"))
    rows_to_mangle = [last] if where == "only in the last row" else [i for i, line in enumerate(lines) if line.startswith("Norway,")]
    for i in rows_to_mangle:
        lines[i] = mangled("Österreich") + lines[i][len("Norway"):]
    lines = [line.replace("Research Software Engineer", mangled("Research Software Engineer – Zürich"))
                 .replace("HPC Director", "HPC Director – Größe (Köln)") for line in lines]  # correct UTF-8
    if where == "throughout":
        first = first.replace("Improved Coding Practices", mangled("Improved Coding Practices in Zürich"))
    data = "\n".join([first, *lines]).encode("utf-8")
    store.save_import(con, ingest_bytes(name, data))
    texts = [r[0] for r in con.execute("""SELECT touchpoint FROM ratings UNION SELECT segment FROM segments
                                           UNION SELECT value FROM segments UNION SELECT text FROM comments""").fetchall()]
    assert not [t for t in texts if t and ("Ã" in t or "â€" in t)]
    assert {"Österreich", "Research Software Engineer – Zürich", "HPC Director – Größe (Köln)"} <= set(texts)
    if where == "throughout":
        assert "Improved Coding Practices in Zürich" in texts
