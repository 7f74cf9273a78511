"""Issue 21 on real exports (../shared/realworld, origin and licence in its SOURCES.md): every file goes through the
import (ingest + store, as ``python -m tpm ingest``), then the Comments page's query, the suggested terms and the
themes' impact — no crash, the comment columns read as people wrote them (English and German), checked against
an independent reading with Python's csv module where a file has comments; a file without a comment column has
none stored."""

import csv
import io

import pytest
from conftest import REALWORLD

from tpm import store
from tpm.ingest import IngestError, ingest_bytes
from tpm.metrics import Filter
from tpm.metrics.rules import ANONYMITY

FILES = sorted(p.name for p in REALWORLD.iterdir() if p.suffix in (".csv", ".xlsx"))
#: files the import refuses (no rating, no NPS: tests/test_realworld.py checks the reason)
REFUSED = {"googleforms_autistica_citizen_science.csv", "qualtrics_sample.csv", "qualtrics_sample_legacy.csv",
           "surveymonkey_ohbm2022_pandas_resaved.csv"}
#: files without any free-text column
WITHOUT_COMMENTS = {"qualtrics_qtools_no_basis_insights_2016.csv", "surveymonkey_starwars_538_cp1252.csv"}


def csv_column(name: str, header: str, *, delimiter: str = ",", header_row: int = 0) -> list[str]:
    """The non-empty cells below the first column whose header in row ``header_row`` is ``header`` (read with
    the csv module)."""
    rows = list(csv.reader(io.StringIO((REALWORLD / name).read_text(encoding="utf-8-sig")), delimiter=delimiter))
    column = rows[header_row].index(header)
    return [r[column] for r in rows[header_row + 1:] if column < len(r) and r[column].strip()]


def test_every_file_is_listed():
    assert set(FILES) == REFUSED | WITHOUT_COMMENTS | {
        "carpentries_surveymonkey_longterm_October2017.csv", "limesurvey_de_semicolon_bom_automotive.csv",
        "limesurvey_raw_xlsx_artifact_eval.xlsx"}


@pytest.mark.parametrize("name", FILES)
def test_comments_of_a_real_export_read_search_suggest_and_measure(name, con):
    from tpm.comments.figures import impact, suggestions
    from tpm.comments.query import comment_page
    from tpm.comments.themes import Theme, add_theme
    from tpm.text.mask import mask

    if name in REFUSED:
        with pytest.raises(IngestError):
            store.save_import(con, ingest_bytes(name, (REALWORLD / name).read_bytes()))
        assert con.execute("SELECT count(*) FROM comments").fetchone()[0] == 0
        return
    saved = store.save_import(con, ingest_bytes(name, (REALWORLD / name).read_bytes()))
    flt = Filter.of(study=saved.study_id)
    stored, unread = con.execute("SELECT count(*), count(*) FILTER (WHERE lemmas IS NULL OR folded IS NULL) "
                                 "FROM comments").fetchone()
    page = comment_page(con, flt, base=1)
    assert page.total == stored and unread == 0
    if name in WITHOUT_COMMENTS:
        assert stored == 0 and page.rows.empty
        return
    assert stored > 0
    # a column with one and the same text in every answer is a ticked option, never a comment
    same = con.execute("SELECT question FROM comments GROUP BY question HAVING count(DISTINCT text) = 1 "
                       f"AND count(*) >= {ANONYMITY}").fetchall()
    assert same == []
    common = con.execute("SELECT w FROM (SELECT unnest(string_split(lemmas, ' ')) AS w FROM comments) WHERE length(w) > 5 "
                         "GROUP BY w ORDER BY count(*) DESC, w LIMIT 1").fetchone()[0]
    found = comment_page(con, flt, search=common, sort="relevance", base=1)
    assert 0 < found.matched <= stored
    add_theme(con, saved.study_id, Theme("common", words=(common,)))
    result = impact(con, flt, lang="en")
    assert list(result.table["theme"]) == ["common"]
    assert result.table["mentions"].iloc[0] >= 1 or result.table["hidden"].iloc[0]
    terms = suggestions(con, flt)
    assert (terms["n_a"] >= ANONYMITY).all() and (terms["z"] > 0).all()
    assert all(mask(text) == text for texts in terms["example_texts"] for text in texts)  # already masked


def test_english_and_german_comment_columns_match_an_independent_reading(con):
    for name, header, delimiter, row in (("carpentries_surveymonkey_longterm_October2017.csv", "Position-Other", ",", 0),
                                         ("limesurvey_de_semicolon_bom_automotive.csv", "Sonstiges", ";", 1)):
        saved = store.save_import(con, ingest_bytes(name, (REALWORLD / name).read_bytes()))
        texts = csv_column(name, header, delimiter=delimiter, header_row=row)
        stored = [r[0] for r in con.execute("SELECT c.text FROM comments c WHERE c.dataset_id = ? AND c.question LIKE ? "
                                            "ORDER BY c.resp", [saved.dataset_id, "%"]).fetchall()]
        assert texts and all(t.strip() in stored for t in texts), (name, texts[:3])
    # the flattened options of a SurveyMonkey multiple-choice question are no comments
    options = csv_column("carpentries_surveymonkey_longterm_October2017.csv", "Column27")
    assert len(set(options)) == 1 and len(options) >= ANONYMITY
    assert con.execute("SELECT count(*) FROM comments WHERE question = 'Column27'").fetchone()[0] == 0
