"""Raking to known margins: analytic answers, margins met to 1e-6, clear refusals, CLI."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import xlsx_bytes
from test_cli import tpm

from tpm import store
from tpm.ingest import ingest_bytes
from tpm.weights import Margin, WeightsError, margins_from_rows, rake, rake_dataset, read_margins, trimmed


def cells(counts: dict) -> pd.DataFrame:
    """Respondents from a cross-table {(region, kind): count}."""
    rows = [(r, k) for (r, k), c in counts.items() for _ in range(c)]
    return pd.DataFrame(rows, columns=["Region", "Art"])


MARGINS = margins_from_rows("m", [["Region", "Nord", 30], ["Region", "Süd", 70], ["Art", "Privat", 60], ["Art", "Firma", 40]])


def test_independent_sample_has_the_analytic_weights():
    # sample shares Region 50/50, Art 25/75, independent: the raked weight of a cell is the
    # product of the two target/sample ratios (IPF's fixed point), e.g. Nord×Privat = (0.3/0.5)·(0.6/0.25)
    frame = cells({("Nord", "Privat"): 50, ("Nord", "Firma"): 150, ("Süd", "Privat"): 50, ("Süd", "Firma"): 150})
    result = rake(frame, MARGINS)
    ratio = {"Nord": 0.3 / 0.5, "Süd": 0.7 / 0.5, "Privat": 0.6 / 0.25, "Firma": 0.4 / 0.75}
    expected = frame["Region"].map(ratio) * frame["Art"].map(ratio)
    np.testing.assert_allclose(result.weights, expected, rtol=1e-9)
    assert result.summary["n_eff"] == pytest.approx(expected.sum() ** 2 / (expected**2).sum())
    assert result.summary["min"] == pytest.approx(0.3 / 0.5 * 0.4 / 0.75) and result.summary["max"] == pytest.approx(0.7 / 0.5 * 0.6 / 0.25)


def test_dependent_sample_meets_every_margin_and_keeps_the_odds_ratio():
    frame = cells({("Nord", "Privat"): 120, ("Nord", "Firma"): 30, ("Süd", "Privat"): 90, ("Süd", "Firma"): 160})
    result = rake(frame, MARGINS)
    w = pd.Series(result.weights)
    assert w.sum() == pytest.approx(len(frame))
    for m in MARGINS:
        assert w[(frame[m.variable] == m.value).to_numpy()].sum() / w.sum() == pytest.approx(m.share / 100, abs=1e-6)
    assert result.max_error <= 1e-4  # percentage points (= 1e-6 as a proportion)
    t = {k: w[((frame["Region"] == k[0]) & (frame["Art"] == k[1])).to_numpy()].sum() for k in
         [("Nord", "Privat"), ("Nord", "Firma"), ("Süd", "Privat"), ("Süd", "Firma")]}
    # IPF keeps the sample's cross-ratio (Deming & Stephan 1940): 120·160 / (30·90)
    assert t[("Nord", "Privat")] * t[("Süd", "Firma")] / (t[("Nord", "Firma")] * t[("Süd", "Privat")]) == pytest.approx(120 * 160 / (30 * 90))


def test_trimming_keeps_weights_inside_and_reports_the_margin_cost():
    frame = cells({("Nord", "Privat"): 10, ("Nord", "Firma"): 30, ("Süd", "Privat"): 200, ("Süd", "Firma"): 160})
    untrimmed = rake(frame, MARGINS)
    assert untrimmed.summary["max"] > 3
    result = rake(frame, MARGINS, trim=(0.3, 3))
    assert result.weights.min() >= 0.3 - 1e-9 and result.weights.max() <= 3 + 1e-9
    assert result.weights.mean() == pytest.approx(1)
    assert result.max_error > 0.01 and result.summary["efficiency"] > untrimmed.summary["efficiency"]
    with pytest.raises(ValueError, match="0 < low < 1 < high"):
        trimmed(result.weights, 3, 0.3)


@pytest.mark.parametrize("rows, message", [
    ([["Region", "Nord", 30], ["Region", "Süd", 60]], "sum to 90 %, not 100 %"),
    ([["Region", "Nord", 30], ["Region", "", 70]], "row 2, column 'value': the cell is empty"),
    ([["Region", "Nord", "viel"], ["Region", "Süd", 70]], "row 1, column 'share': 'viel' is not a number"),
    ([["Region", "Nord", 0], ["Region", "Süd", 100]], "must be above 0"),
    ([["Region", "Nord", 30], ["Region", "Nord", 70]], "given twice"),
])
def test_bad_margins_are_refused_with_row_and_column(rows, message):
    with pytest.raises(WeightsError, match=message):
        margins_from_rows("ziele.csv", rows)


@pytest.mark.parametrize("margins, message", [
    ([Margin("Region", "Nord", 30), Margin("Region", "Süd", 50), Margin("Region", "West", 20)], "'Region = West' has a target but no respondent"),
    ([Margin("Region", "Nord", 100)], "'Region = Süd' .* has no target share"),
    ([Margin("Alter", "jung", 100)], "'Alter' is not a segment of this dataset"),
])
def test_margins_that_do_not_fit_the_data_are_refused(margins, message):
    frame = cells({("Nord", "Privat"): 10, ("Süd", "Firma"): 10})
    with pytest.raises(WeightsError, match=message):
        rake(frame, margins)


def test_an_empty_cell_that_makes_the_margins_impossible_is_named():
    # every Nord respondent is Privat: Nord 60 % but Privat 20 % cannot both hold
    frame = cells({("Nord", "Privat"): 50, ("Süd", "Privat"): 50, ("Süd", "Firma"): 50})
    margins = margins_from_rows("m", [["Region", "Nord", 60], ["Region", "Süd", 40], ["Art", "Privat", 20], ["Art", "Firma", 80]])
    with pytest.raises(WeightsError, match=r"did not converge.*Region = Nord × Art = Firma"):
        rake(frame, margins)


def test_margins_csv_german_excel_style():
    data = "Merkmal;Wert;Anteil\r\nRegion;Nord;33,3\r\nRegion;Süd;66,7\r\n".encode("cp1252")
    margins = read_margins("ziele.csv", data)
    assert [(m.value, round(m.share, 6)) for m in margins] == [("Nord", 33.3), ("Süd", 66.7)]
    fractions = read_margins("z.csv", "variable,value,share\nRegion,Nord,0.25\nRegion,Süd,0.75\n")
    assert [m.share for m in fractions] == [25.0, 75.0]
    with pytest.raises(WeightsError, match=r"row 1.*no column 'share'"):
        read_margins("z.csv", "variable,value,anzahl\nRegion,Nord,1\n")


def survey_rows(n_nord=120, n_sued=280):
    rows = [["ID", "Region", "Hotline", "Weiterempfehlung (0-10)"]]
    rows += [[f"n{i}", "Nord", 9, 10] for i in range(n_nord)] + [[f"s{i}", "Süd", 5, 3] for i in range(n_sued)]
    return rows


def test_rake_dataset_stores_the_weight_set_and_moves_the_figures(con):
    from tpm.metrics import Filter
    from tpm.metrics.nps import nps_for

    dataset = store.save_import(con, ingest_bytes("w.xlsx", xlsx_bytes(survey_rows())), name="Welle").dataset_id
    before = nps_for(con, Filter())
    assert not before.weighted and before.score == pytest.approx(100 * (120 - 280) / 400)
    version = int(store.data_version(con))
    result = rake_dataset(con, "Welle", margins_from_rows("m", [["Region", "Nord", 50], ["Region", "Süd", 50]]))
    after = nps_for(con, Filter())
    assert after.weighted and after.score == pytest.approx(0.0, abs=1e-9)  # half promoters, half detractors
    assert after.n == 400 and after.n_eff == pytest.approx(result.summary["n_eff"])
    stored = con.execute("SELECT sum(weight), min(weight), max(weight) FROM respondents").fetchone()
    assert stored == pytest.approx((400, 200 / 280, 200 / 120))
    row = con.execute("SELECT source, margins, n_eff FROM weight_sets WHERE dataset_id = ?", [dataset]).fetchone()
    assert row[0] == "raking" and json.loads(row[1])[0] == {"variable": "Region", "value": "Nord", "share": 50.0}
    assert nps_for(con, Filter(weighted=False)).score == before.score
    assert int(store.data_version(con)) == version + 1  # the pages' caches see new figures


def test_a_refused_raking_writes_nothing(con):
    store.save_import(con, ingest_bytes("w.xlsx", xlsx_bytes(survey_rows())), name="Welle")
    version = store.data_version(con)
    with pytest.raises(WeightsError, match="sum to 90 %"):
        rake_dataset(con, "Welle", margins_from_rows("m", [["Region", "Nord", 40], ["Region", "Süd", 50]]))
    with pytest.raises(WeightsError, match="no single dataset 'Welle 9'"):
        rake_dataset(con, "Welle 9", MARGINS)
    assert con.execute("SELECT count(weight) FROM respondents").fetchone()[0] == 0
    assert store.data_version(con) == version


def test_cli_weights_then_weighted_summary(tmp_path, db_path):
    survey = tmp_path / "welle.xlsx"
    survey.write_bytes(xlsx_bytes(survey_rows()))
    assert tpm("ingest", survey, "--db", db_path, "--dataset", "Welle").returncode == 0
    margins = tmp_path / "ziele.csv"
    margins.write_text("variable,value,share\nRegion,Nord,50\nRegion,Süd,50\n")
    out = tpm("weights", "--db", db_path, "--dataset", "Welle", "--margins", margins, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["n_eff"] == pytest.approx(400**2 / (120 * (200 / 120) ** 2 + 280 * (200 / 280) ** 2), abs=1e-3)
    summary = json.loads(tpm("summary", "--db", db_path, "--json").stdout)
    assert summary["weighted"] and summary["nps"]["score"] == pytest.approx(0, abs=1e-4)
    assert summary["nps"]["n"] == 400 and summary["nps"]["n_eff"] < 400
    plain = json.loads(tpm("summary", "--db", db_path, "--json", "--unweighted").stdout)
    assert not plain["weighted"] and plain["nps"]["score"] == -40 and plain["nps"]["n_eff"] == 400
    margins.write_text("variable,value,share\nRegion,Nord,50\nRegion,Ost,50\n")
    bad = tpm("weights", "--db", db_path, "--dataset", "Welle", "--margins", margins)
    assert bad.returncode == 2 and "'ziele.csv', row 3: 'Region = Ost' has a target but no respondent" in bad.stderr
