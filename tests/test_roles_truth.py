"""Roles the detector must not get silently wrong (issue #20, items 6 and 8): dates written the
US/UK way, the recommend question by any name, outcome-like columns.

Every case is a small export built here; the truth is computed in the test from the raw cells
(``datetime.strptime``, plain numpy/pandas), never through TPM's own reading of them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import pytest

from tpm.i18n import ingest_text
from tpm.ingest import IngestError, ingest_bytes


def csv_bytes(rows) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


def spec_of(result, column):
    return next(s for s in result.specs if s.column == column)


# --- dates written day and month as numbers ----------------------------------------------------

def dated_file(stamps: list[str]) -> bytes:
    rows = [["ID", "Submitted", "Hotline (1-5)"]]
    rows += [[f"R{i}", stamp, 1 + i % 5] for i, stamp in enumerate(stamps)]
    return csv_bytes(rows)


def read_by_hand(stamps: list[str], fmt: str) -> list[dt.datetime]:
    return [dt.datetime.strptime(s, fmt) for s in stamps]


def responded_at(result) -> list[dt.datetime]:
    return [t.to_pydatetime() for t in result.canonical.respondents["responded_at"]]


AMBIGUOUS = ["11/04/2018 20:09", "4/11/2018 08:09", "12/01/2018 10:00", "1/2/2018 07:30"] * 8


def test_day_and_month_the_data_cannot_tell_apart_are_unsure_naming_both_readings():
    result = ingest_bytes("us.csv", dated_file(AMBIGUOUS))
    spec = spec_of(result, "Submitted")
    assert spec.role == "date"
    assert responded_at(result) == read_by_hand(AMBIGUOUS, "%m/%d/%Y %H:%M")
    # both readings of the first value are named, and the reason speaks German on the German page
    assert spec.unsure and "2018-11-04" in spec.unsure and "2018-04-11" in spec.unsure
    assert "Tag und Monat" in ingest_text(spec.unsure, "de")
    assert {"column": "Submitted", "reason": spec.unsure} in result.report()["unsure"]
    # the analyst's other reading is applied to every row
    spec.date_order, spec.unsure = "day-first", None
    other = ingest_bytes("us.csv", dated_file(AMBIGUOUS), specs=result.specs)
    assert responded_at(other) == read_by_hand(AMBIGUOUS, "%d/%m/%Y %H:%M")


def test_cli_strict_refuses_the_unsure_date_until_its_order_is_given(cli, tmp_path):
    import duckdb

    path, db = tmp_path / "us.csv", tmp_path / "t.duckdb"
    path.write_bytes(dated_file(AMBIGUOUS))
    refused = cli("ingest", path, "--db", db, "--strict")
    assert refused.returncode == 2 and "Submitted" in refused.stderr and "2018-04-11" in refused.stderr
    assert not db.exists()
    done = cli("ingest", path, "--db", db, "--strict", "--date-order", "Submitted=day-first")
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        stored = [r[0] for r in con.execute("SELECT responded_at FROM respondents ORDER BY resp").fetchall()]
    assert stored == read_by_hand(AMBIGUOUS, "%d/%m/%Y %H:%M")
    assert cli("ingest", path, "--db", db, "--date-order", "Hotline (1-5)=day-first").returncode == 2  # not a date


def test_a_first_part_above_12_makes_the_whole_column_day_first():
    stamps = ["11/04/2018 20:09", "4/11/2018 08:09", "21/04/2018 09:15"] * 10  # 21 can only be a day
    result = ingest_bytes("uk.csv", dated_file(stamps))
    spec = spec_of(result, "Submitted")
    assert spec.role == "date" and spec.unsure is None
    assert responded_at(result) == read_by_hand(stamps, "%d/%m/%Y %H:%M")


def test_a_second_part_above_12_makes_the_whole_column_month_first():
    stamps = ["11/04/2018 20:09", "4/11/2018 08:09", "4/13/2018 09:15"] * 10  # 13 can only be a day
    result = ingest_bytes("us.csv", dated_file(stamps))
    spec = spec_of(result, "Submitted")
    assert spec.role == "date" and spec.unsure is None
    assert responded_at(result) == read_by_hand(stamps, "%m/%d/%Y %H:%M")


def test_us_twelve_hour_clock_and_german_dots():
    pm = ["4/11/2018 8:09 PM", "4/13/2018 9:15 AM", "12/1/2018 12:30 PM"] * 10
    result = ingest_bytes("pm.csv", dated_file(pm))
    assert spec_of(result, "Submitted").role == "date"
    assert responded_at(result) == read_by_hand(pm, "%m/%d/%Y %I:%M %p")
    assert responded_at(result)[0] == dt.datetime(2018, 4, 11, 20, 9)

    dots = ["11.04.2018 20:09", "3.5.2018 10:00", "1.12.2018 07:45"] * 10  # the German way: day first, sure
    result = ingest_bytes("de.csv", dated_file(dots))
    spec = spec_of(result, "Submitted")
    assert spec.role == "date" and spec.unsure is None
    assert responded_at(result) == read_by_hand(dots, "%d.%m.%Y %H:%M")


def test_an_unknown_date_order_is_refused_naming_the_column():
    result = ingest_bytes("us.csv", dated_file(AMBIGUOUS))
    spec_of(result, "Submitted").date_order = "year-first"
    with pytest.raises(IngestError) as info:
        ingest_bytes("us.csv", dated_file(AMBIGUOUS), specs=result.specs)
    assert "Submitted" in str(info.value) and "year-first" in str(info.value)


# --- the recommend question by any name ------------------------------------------------------

def nps_by_hand(scores) -> float:
    """NPS = 100 · (promoters 9–10 − detractors 0–6) / answered, from the raw answers."""
    answered = [s for s in scores if s != ""]
    promoters = sum(1 for s in answered if int(s) >= 9)
    detractors = sum(1 for s in answered if int(s) <= 6)
    return 100.0 * (promoters - detractors) / len(answered)


def recommend_answers(n: int = 60) -> list:
    rng = np.random.default_rng(20)
    scores = [int(v) for v in rng.integers(0, 11, n)]
    scores[3] = ""  # one blank answer
    return scores


def summary(cli, tmp_path, data: bytes, name: str = "f.csv") -> dict:
    import json

    path = tmp_path / name
    path.write_bytes(data)
    db = tmp_path / "t.duckdb"
    imported = cli("ingest", path, "--db", db)
    assert imported.returncode == 0, imported.stderr + imported.stdout
    out = cli("summary", "--db", db, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.parametrize("header", ["Empfehlung", "NPS score", "NPS_Score", "Net Promoter Score", "NetPromoter",
                                    "Empfehlungsbereitschaft", "likelihood to recommend"])
def test_a_0_to_10_column_named_like_the_nps_is_the_nps_never_a_touchpoint(header, cli, tmp_path):
    scores = recommend_answers()
    rows = [["ID", "Hotline (1-5)", header]] + [[f"R{i}", 1 + i % 5, s] for i, s in enumerate(scores)]
    result = ingest_bytes("f.csv", csv_bytes(rows))
    assert spec_of(result, header).role == "nps"
    assert result.canonical.touchpoints == ["Hotline"]
    data = summary(cli, tmp_path, csv_bytes(rows))
    assert [t["name"] for t in data["touchpoints"]] == ["Hotline"]
    assert data["nps"]["n"] == len(scores) - 1
    assert data["nps"]["score"] == pytest.approx(nps_by_hand(scores))


def group_of(score) -> str:
    return "" if score == "" else "Promoter" if score >= 9 else "Passive" if score >= 7 else "Detractor"


def test_a_promoter_passive_detractor_column_finds_the_nps_question_and_is_no_segment(cli, tmp_path):
    scores = recommend_answers()
    rows = [["ID", "Region", "Hotline (1-5)", "Q7", "NPS category"]]
    rows += [[f"R{i}", ["Nord", "Süd"][i % 2], 1 + i % 5, s, group_of(s)] for i, s in enumerate(scores)]
    result = ingest_bytes("f.csv", csv_bytes(rows))
    assert spec_of(result, "Q7").role == "nps"  # the header says nothing; the groups do
    groups = spec_of(result, "NPS category")
    assert groups.role == "ignore" and "Q7" in groups.unsure
    assert set(result.canonical.segments["segment"]) == {"Region"}  # the groups do not duplicate NPS as a segment
    note = next(n for n in result.report()["notes"] if "NPS category" in n)
    assert "Spalte „NPS category“ ignoriert" in ingest_text(note, "de")
    data = summary(cli, tmp_path, csv_bytes(rows))
    assert data["nps"]["score"] == pytest.approx(nps_by_hand(scores))
    assert [t["name"] for t in data["touchpoints"]] == ["Hotline"]


def test_groups_that_disagree_with_the_nps_column_stay_a_segment_marked_unsure():
    scores = recommend_answers()
    labels = [group_of(s) for s in scores]
    labels[10] = "Promoter" if labels[10] != "Promoter" else "Detractor"  # one row disagrees
    rows = [["ID", "Hotline (1-5)", "NPS", "NPS Gruppe"]]
    rows += [[f"R{i}", 1 + i % 5, s, g] for i, (s, g) in enumerate(zip(scores, labels))]
    result = ingest_bytes("f.csv", csv_bytes(rows))
    groups = spec_of(result, "NPS Gruppe")
    assert groups.role == "segment" and "1 of 59 rows" in groups.unsure
    assert "1 von 59 Zeilen" in ingest_text(groups.unsure, "de")


def test_german_group_words_and_the_qualtrics_group_column():
    scores = recommend_answers()
    german = {"Promoter": "Promotoren", "Passive": "Passive", "Detractor": "Kritiker", "": ""}
    rows = [["ID", "Hotline (1-5)", "F12", "NPS-Gruppe"]]
    rows += [[f"R{i}", 1 + i % 5, s, german[group_of(s)]] for i, s in enumerate(scores)]
    result = ingest_bytes("f.csv", csv_bytes(rows))
    assert spec_of(result, "F12").role == "nps" and spec_of(result, "NPS-Gruppe").role == "ignore"
    # Qualtrics: "Q1_NPS_GROUP" (codes 1–3) groups the answers of "Q1"
    code = {"Detractor": 1, "Passive": 2, "Promoter": 3, "": ""}
    rows = [["ResponseId", "Q2 (1-5)", "Q1", "Q1_NPS_GROUP"]]
    rows += [[f"R_{i}", 1 + i % 5, s, code[group_of(s)]] for i, s in enumerate(scores)]
    result = ingest_bytes("q.csv", csv_bytes(rows))
    assert spec_of(result, "Q1").role == "nps" and spec_of(result, "Q1_NPS_GROUP").role == "ignore"
    answered = [s for s in scores if s != ""]
    assert result.canonical.respondents["nps"].dropna().tolist() == answered


def test_recommend_questions_that_are_not_the_nps_say_so():
    rows = [["ID", "Hotline (1-5)", "Weiterempfehlung (1-5)"]] + [[f"R{i}", 1 + i % 5, 1 + i % 5] for i in range(40)]
    spec = spec_of(ingest_bytes("f.csv", csv_bytes(rows)), "Weiterempfehlung (1-5)")
    assert (spec.role, spec.scale_min, spec.scale_max) == ("rating", 1, 5) and "0–10" in spec.unsure
    rows = [["ID", "Hotline (1-5)", "NPS"]] + [[f"R{i}", 1 + i % 5, 5 + (i % 10) / 4] for i in range(40)]  # decimals
    spec = spec_of(ingest_bytes("f.csv", csv_bytes(rows)), "NPS")
    assert spec.role == "rating" and "role 'nps'" in spec.unsure
    rows = [["ID", "Hotline (1-5)", "Empfehlung"]] + [[f"R{i}", 1 + i % 5, 1 + i % 5] for i in range(40)]  # stops at 5
    spec = spec_of(ingest_bytes("f.csv", csv_bytes(rows)), "Empfehlung")
    assert spec.role == "nps" and "stop at 5" in spec.unsure


# --- outcome-like columns ------------------------------------------------------------------------

def churn_study(n: int = 600, seed: int = 6):
    """Three touchpoints on 1–5; churn depends on the Hotline alone (planted): P(churn) = 0.8 when
    the Hotline is rated 1–2, else 0.1. Website and Filiale are noise."""
    rng = np.random.default_rng(seed)
    hotline, website, filiale = (rng.integers(1, 6, n) for _ in range(3))
    churn = rng.random(n) < np.where(hotline <= 2, 0.8, 0.1)
    rows = [["ID", "Region", "Hotline (1-5)", "Website (1-5)", "Filiale (1-5)", "Gekündigt"]]
    rows += [[f"K{i}", ["Nord", "Süd"][i % 2], int(h), int(w), int(f), "Ja" if c else "Nein"]
             for i, (h, w, f, c) in enumerate(zip(hotline, website, filiale, churn))]
    return rows, np.column_stack([hotline, website, filiale]).astype(float), churn.astype(float)


def shapley_by_hand(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Shapley shares (%) of R² and R² itself, from OLS fits (with intercept) on every subset."""
    from itertools import combinations
    from math import factorial

    p = X.shape[1]

    def r2(cols) -> float:
        if not cols:
            return 0.0
        A = np.column_stack([np.ones(len(y)), X[:, list(cols)]])
        resid = y - A @ np.linalg.lstsq(A, y, rcond=None)[0]
        return 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))

    raw = np.zeros(p)
    for j in range(p):
        others = [k for k in range(p) if k != j]
        for size in range(p):
            for subset in combinations(others, size):
                weight = factorial(size) * factorial(p - size - 1) / factorial(p)
                raw[j] += weight * (r2(subset + (j,)) - r2(subset))
    total = r2(tuple(range(p)))
    return 100 * raw / total, total


def test_a_churn_column_is_an_outcome_the_drivers_explain(cli, tmp_path):
    import json

    rows, X, churn = churn_study()
    result = ingest_bytes("churn.csv", csv_bytes(rows))
    spec = spec_of(result, "Gekündigt")
    assert spec.role == "outcome" and "outcome" in spec.unsure  # the header alone decided: unsure
    assert "Ergebnis" in ingest_text(spec.unsure, "de")
    assert result.canonical.touchpoints == ["Hotline", "Website", "Filiale"]
    stored = result.canonical.segments
    assert (stored[stored.segment == "Gekündigt"].value == "Ja").sum() == int(churn.sum())  # also a filter

    path = tmp_path / "churn.csv"
    path.write_bytes(csv_bytes(rows))
    db = tmp_path / "t.duckdb"
    assert cli("ingest", path, "--db", db).returncode == 0
    out = cli("drivers", "--db", db, "--outcome", "Gekündigt", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    shares, r2 = shapley_by_hand(X, churn)
    got = {d["name"]: d for d in data["drivers"]}
    assert data["n"] == len(churn) and data["r2"] == pytest.approx(r2, abs=5e-5)  # JSON: 4 decimals
    for name, share in zip(["Hotline", "Website", "Filiale"], shares):
        assert got[name]["share"] == pytest.approx(share, abs=5e-5)
    assert got["Hotline"]["share"] > 90 and got["Hotline"]["sign"] == -1  # the planted driver: low rating, more churn


def test_outcome_with_a_filter_and_as_numbers(tmp_path):
    """0/1 numbers under "Churn" are an outcome too; a segment filter keeps its respondents only."""
    from tpm import store
    from tpm.metrics import Filter
    from tpm.metrics.drivers import drivers_for

    rows, X, churn = churn_study(seed=8)
    rows = [r[:5] + ["Churn"] if i == 0 else r[:5] + [1 if r[5] == "Ja" else 0] for i, r in enumerate(rows)]
    for i in (4, 9, 30):  # a negative code: no answer, never an outcome of −1
        rows[i + 1][5], churn[i] = -1, np.nan
    result = ingest_bytes("churn.csv", csv_bytes(rows))
    assert spec_of(result, "Churn").role == "outcome"
    con = store.connect(tmp_path / "t.duckdb")
    try:
        store.save_import(con, result)
        res = drivers_for(con, Filter.of(segments={"Region": ["Nord"]}), outcome="Churn")
    finally:
        con.close()
    nord = (np.arange(len(churn)) % 2 == 0) & ~np.isnan(churn)
    shares, r2 = shapley_by_hand(X[nord], churn[nord])
    assert res.n == int(nord.sum()) and res.r2 == pytest.approx(r2, abs=1e-9)
    table = res.table.set_index("driver")
    for name, share in zip(["Hotline", "Website", "Filiale"], shares):
        assert table.loc[name, "share"] == pytest.approx(share, abs=1e-6)


def test_outcome_headers_that_are_not_yes_no():
    rng = np.random.default_rng(3)
    rows = [["ID", "Hotline (1-5)", "Kündigungsgrund", "Wiederkaufabsicht", "Churn status"]]
    rows += [[f"R{i}", 1 + i % 5, ["Preis", "Service", "Umzug"][i % 3], int(rng.integers(1, 6)), ["aktiv", "gekündigt"][i % 2]]
             for i in range(40)]
    result = ingest_bytes("f.csv", csv_bytes(rows))
    assert spec_of(result, "Kündigungsgrund").role == "segment" and spec_of(result, "Kündigungsgrund").unsure is None
    intention = spec_of(result, "Wiederkaufabsicht")
    assert intention.role == "rating" and "role 'outcome'" in intention.unsure
    status = spec_of(result, "Churn status")
    assert status.role == "segment" and "role 'outcome'" in status.unsure
    # set as an outcome by hand: answers that are not yes/no are refused with their row, nothing read
    status.role = "outcome"
    with pytest.raises(IngestError) as info:
        ingest_bytes("f.csv", csv_bytes(rows), specs=result.specs)
    message = str(info.value)
    assert "Churn status" in message and "aktiv" in message and "row 2" in message


def test_drivers_page_offers_the_outcome_column(db_path, monkeypatch):
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    from tpm import store

    rows, _X, _churn = churn_study()
    con = store.connect(db_path)
    try:
        store.save_import(con, ingest_bytes("churn.csv", csv_bytes(rows)))
    finally:
        con.close()
    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["outcome"] = "Gekündigt"
    app.run()
    app.switch_page("pages/drivers.py").run()
    assert not app.exception and not app.error, [e.value for e in app.exception or app.error]
    outcome = app.selectbox(key="q_outcome")
    assert "Gekündigt" in outcome.options and outcome.value == "Gekündigt"
    assert "Hotline" in app.markdown[0].value and "Gekündigt" in app.markdown[0].value
