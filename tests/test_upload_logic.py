"""The Upload page's UI-free logic: mapping table round trip with translated role labels."""

import pytest
from conftest import xlsx_bytes

from tpm.ingest import IngestError
from tpm.upload import display_value, mapping_frame, prepare, specs_from_frame

LABELS = {"id": "ID", "date": "Datum", "rating": "Kontaktpunkt-Bewertung", "nps": "NPS (0–10)",
          "segment": "Segment", "comment": "Kommentar", "ignore": "ignorieren"}


def prepared():
    rows = [["ID", "Region", "Hotline", "Website", "NPS"]] + [[i, ["Nord", "Süd"][i % 2], i % 5 + 1, i % 4 + 1, i % 11] for i in range(40)]
    return prepare("karte.xlsx", xlsx_bytes(rows))


def test_round_trip_keeps_the_detected_mapping():
    p = prepared()
    frame = mapping_frame(p.table, p.specs, LABELS)
    assert list(frame["role"]) == ["ID", "Segment", "Kontaktpunkt-Bewertung", "Kontaktpunkt-Bewertung", "NPS (0–10)"]
    assert specs_from_frame(frame, LABELS) == p.specs


def test_corrections_are_applied():
    p = prepared()
    frame = mapping_frame(p.table, p.specs, LABELS)
    frame.loc[frame.column == "Region", "role"] = "ignorieren"
    frame.loc[frame.column == "Website", ["name", "scale_min", "scale_max"]] = ["Webshop", 1, 7]
    result = p.apply(specs_from_frame(frame, LABELS))
    assert result.canonical.segments.empty
    assert set(result.canonical.ratings.touchpoint) == {"Hotline", "Webshop"}
    assert set(result.canonical.ratings.query("touchpoint == 'Webshop'").scale_max) == {7}


def test_a_wrong_correction_is_refused_with_the_column():
    p = prepared()
    frame = mapping_frame(p.table, p.specs, LABELS)
    frame.loc[frame.column == "Hotline", ["scale_min", "scale_max"]] = [1, 3]
    with pytest.raises(IngestError, match=r"'Hotline'.*outside the scale 1–3"):
        p.apply(specs_from_frame(frame, LABELS))
    frame.loc[frame.column == "Hotline", ["scale_min", "scale_max"]] = [None, None]
    with pytest.raises(IngestError, match="scale"):
        p.apply(specs_from_frame(frame, LABELS))


def test_display_value():
    assert [display_value(v) for v in (5.0, 4.5, None, "k.A.", float("nan"))] == ["5", "4.5", "", "k.A.", ""]


def test_problem_is_reported_before_import_and_checked_once():
    bad = prepare("ohne.xlsx", xlsx_bytes([["Name", "Stadt"], ["Anna", "Köln"], ["Ben", "Bonn"]]))
    assert "no rating" in bad.problem()
    bad.apply_detected = lambda: pytest.fail("normalised again on a rerun")  # the page asks on every rerun
    assert "no rating" in bad.problem()
    assert prepared().problem() is None
