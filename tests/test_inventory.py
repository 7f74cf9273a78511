"""Touchpoint inventory: classification, validation, alias merging across waves, Excel round trip."""

import io

import pandas as pd
import pytest
from conftest import xlsx_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from tpm import inventory, store
from tpm.ingest import ingest_bytes
from tpm.metrics import Filter
from tpm.metrics.satisfaction import touchpoint_stats


def wave(name, hotline_header, offset=0, hotline=None):
    rows = [["ID", hotline_header, "Website"]]
    for i in range(40):
        rows.append([i + offset, hotline(i) if hotline else i % 10 + 1, (i * 3) % 10 + 1])
    return ingest_bytes(f"{name}.xlsx", xlsx_bytes(rows))


def test_new_touchpoints_join_unclassified(con):
    store.save_import(con, wave("w1", "Hotline"))
    inv = inventory.load(con)
    assert set(inv.name) == {"Hotline", "Website"}
    assert not inv.classified.any()


def test_edit_validate_and_persist(con, db_path):
    store.save_import(con, wave("w1", "Hotline"))
    inv = inventory.load(con)
    inv.loc[inv.name == "Hotline", ["phase", "channel", "contact", "department", "manager", "target", "benchmark", "moment_of_truth"]] = \
        ["Service", "offline", "direct", "Service", "Frau Krüger", 75, 85, True]
    inventory.save(con, inv)
    con.close()
    again = store.connect(db_path)
    row = inventory.load(again).set_index("name").loc["Hotline"]
    assert (row.phase, row.department, row.target, row.benchmark, bool(row.moment_of_truth)) == ("Service", "Service", 75, 85, True)
    assert bool(row.classified)
    again.close()


@pytest.mark.parametrize("field, value, words", [
    ("phase", "Irgendwann", "phase"), ("channel", "Brieftaube", "channel"), ("target", "120", "outside 0–100"),
    ("target", "hoch", "not a number"), ("contact", "maybe", "contact"),
])
def test_invalid_edits_are_refused_and_nothing_changes(con, field, value, words):
    store.save_import(con, wave("w1", "Hotline"))
    inv = inventory.load(con)
    inv[field] = inv[field].astype(object)
    inv.loc[inv.name == "Hotline", field] = value
    with pytest.raises(inventory.InventoryError, match=words):
        inventory.save(con, inv)
    assert inventory.load(con).set_index("name").loc["Hotline", field] is None or pd.isna(
        inventory.load(con).set_index("name").loc["Hotline", field])


def test_alias_merges_two_waves_with_different_spellings(con):
    store.save_import(con, wave("w1", "Wie zufrieden sind Sie mit: Hotline?"), study="Service")
    store.save_import(con, wave("w2", "Zufriedenheit Telefon-Hotline (1-10)", offset=100, hotline=lambda i: 9 + i % 2), study="Service")
    assert {"Hotline", "Telefon-Hotline"} <= set(inventory.load(con).name)
    inv = inventory.load(con)
    inv.loc[inv.name == "Hotline", "aliases"] = "Telefon-Hotline; Kundenservice (Telefon)"
    merged = inventory.save(con, inv)
    assert merged == ["Telefon-Hotline"]
    assert "Telefon-Hotline" not in set(inventory.load(con).name)
    stats = touchpoint_stats(con, Filter()).set_index("touchpoint")
    assert stats.loc["Hotline", "n"] == 80
    # the next wave with the third spelling maps on import
    store.save_import(con, wave("w3", "Kundenservice (Telefon)", offset=200), study="Service")
    assert touchpoint_stats(con, Filter()).set_index("touchpoint").loc["Hotline", "n"] == 120
    assert "Kundenservice (Telefon)" not in set(inventory.load(con).name)


def test_excel_round_trip_for_a_workshop(con):
    store.save_import(con, wave("w1", "Hotline"))
    data = inventory.to_excel(con)
    sheet = pd.read_excel(io.BytesIO(data), sheet_name=inventory.SHEET, engine="openpyxl")
    assert list(sheet.columns) == inventory.FIELDS
    sheet = sheet.astype(object)
    sheet.loc[sheet.name == "Website", ["phase", "department", "target", "pain_points"]] = ["Vorkauf", "Marketing", 70, "Ladezeit zu lang"]

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        sheet.to_excel(writer, sheet_name=inventory.SHEET, index=False)
    inventory.from_excel(con, buffer.getvalue())
    row = inventory.load(con).set_index("name").loc["Website"]
    assert (row.phase, row.department, row.target, row.pain_points) == ("Vorkauf", "Marketing", 70, "Ladezeit zu lang")
    inv = inventory.load(con)
    inv.loc[inv.name == "Website", "pain_points"] = '=HYPERLINK("http://x","y")'
    inventory.save(con, inv)
    exported = pd.read_excel(io.BytesIO(inventory.to_excel(con)), sheet_name=inventory.SHEET, engine="openpyxl")
    assert exported.set_index("name").loc["Website", "pain_points"] == "'=HYPERLINK(\"http://x\",\"y\")"  # text, not a formula
    with pytest.raises(inventory.InventoryError, match="cannot be read"):
        inventory.from_excel(con, b"not a workbook")


def test_phases_are_configurable_per_study(con):
    from tpm import studies

    a, b = studies.create(con, "A"), studies.create(con, "B")
    assert inventory.phases(con, a) == inventory.DEFAULT_PHASES
    inventory.set_phases(con, ["Aufmerksamkeit", " Kauf ", "Service"], a)
    assert inventory.phases(con, a) == ["Aufmerksamkeit", "Kauf", "Service"]
    assert inventory.phases(con, b) == inventory.DEFAULT_PHASES
    with pytest.raises(inventory.InventoryError):
        inventory.set_phases(con, ["Kauf", "Kauf"], a)
    with pytest.raises(studies.StudyError, match="several studies: B, A"):  # never a pooled guess
        inventory.phases(con)


def test_excel_round_trip_keeps_formula_like_and_apostrophe_names(con):
    """Export → import is the identity: the apostrophe that neutralises "=Hotline" in the sheet is
    not stored as part of the name, and an apostrophe the name really has survives (issue #27)."""
    from conftest import german_csv_bytes

    headers = ["=Hotline", "+49 Service", "-Rabatt", "@Shop", "Zitat", "schon", "Website"]
    rows = [["ID", *headers]] + [[i, *[(i + k) % 10 + 1 for k in range(len(headers))]] for i in range(1, 31)]
    store.save_import(con, ingest_bytes("welle.csv", german_csv_bytes(rows)))
    inventory.rename(con, "Zitat", "'Zitat")  # names an import never makes (it strips quotes): renamed by hand
    inventory.rename(con, "schon", "'=schon")
    names = ["=Hotline", "+49 Service", "-Rabatt", "@Shop", "'Zitat", "'=schon", "Website"]
    inv = inventory.load(con)
    assert set(inv.name) == set(names)
    inv.loc[inv.name == "=Hotline", "pain_points"] = "-lange Wartezeit"
    inventory.save(con, inv)
    data = inventory.to_excel(con)
    cells = pd.read_excel(io.BytesIO(data), sheet_name=inventory.SHEET, engine="openpyxl", dtype=str)
    assert "'=Hotline" in set(cells.name) and "=Hotline" not in set(cells.name)  # still neutralised in the file
    inventory.from_excel(con, data)
    after = inventory.load(con)
    assert sorted(after.name) == sorted(names)
    assert after.set_index("name").loc["=Hotline", "pain_points"] == "-lange Wartezeit"


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from("'=+-@\t\rHa ä"), max_size=6))
def test_the_export_apostrophe_is_undone_exactly(value):
    from tpm.csv_export import FORMULA_START, neutralise_reversibly, restore

    exported = neutralise_reversibly(value)
    assert not exported.startswith(FORMULA_START)  # still no formula in the sheet
    assert restore(exported) == value
