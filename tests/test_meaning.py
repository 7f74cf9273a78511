"""What each file *means* (issue: scales, don't know, weights, overall, sheets, names).

Every case is a small constructed export with a planted truth computed here by hand, not by
the code under test.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import openpyxl
import pytest
from conftest import table_counts, xlsx_bytes

from tpm import cli, store
from tpm.ingest import IngestError, ingest_bytes, touchpoint_name
from tpm.metrics import Filter
from tpm.metrics.drivers import drivers_for
from tpm.metrics.satisfaction import overall_stats, touchpoint_stats
from tpm.upload import label_choices, prepare, set_label_scale

RNG = np.random.default_rng(7)


def roles(result_or_specs):
    specs = getattr(result_or_specs, "specs", result_or_specs)
    return {s.column: s.role for s in specs}


def spec_of(specs, column):
    return next(s for s in specs if s.column == column)


def csv_bytes(rows) -> bytes:
    import csv

    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


# --- 1. a 1–5 item with one stray 0 --------------------------------------------------------

def stray_zero_rows(header):
    values = [1 + (i * 7) % 5 for i in range(400)]
    values[17] = 0
    return [["ID", header]] + [[f"R{i}", v] for i, v in enumerate(values)], values


@pytest.mark.parametrize("header", ["Hotline (1-5)", "Hotline"])
def test_stray_zero_is_outside_the_scale_not_a_reason_for_0_to_10(header):
    rows, values = stray_zero_rows(header)
    data = csv_bytes(rows)
    p = prepare("stray.csv", data)
    spec = spec_of(p.specs, header)
    assert (spec.scale_min, spec.scale_max) == (1, 5)
    assert spec.unsure and "0" in spec.unsure  # visible, never silent
    with pytest.raises(IngestError) as err:
        p.apply_detected()
    message = str(err.value)
    assert "row 19" in message and header in message and "outside the scale 1–5" in message  # row 19: header + 18th answer
    # the analyst declares 0 a missing code: scores on 1–5 without the 0
    spec.missing_codes = [0.0]
    result = p.apply(p.specs)
    kept = [v for v in values if v != 0]
    scores = result.canonical.ratings["score"].to_numpy()
    assert len(scores) == 399
    assert scores.mean() == pytest.approx(np.mean(kept))
    top2 = np.mean([v >= 4 for v in kept]) * 100
    assert top2 > 30  # on 0–10 the top-2 box was 0 %


def test_stray_zero_via_cli_missing_code(tmp_path, capsys):
    rows, values = stray_zero_rows("Hotline (1-5)")
    path = tmp_path / "stray.csv"
    path.write_bytes(csv_bytes(rows))
    db = tmp_path / "t.duckdb"
    assert cli.main(["ingest", str(path), "--db", str(db)]) == 2
    assert "row 19" in capsys.readouterr().err
    assert cli.main(["ingest", str(path), "--db", str(db), "--missing", "Hotline (1-5)=0"]) == 0
    capsys.readouterr()
    assert cli.main(["summary", "--db", str(db), "--json"]) == 0
    tp = json.loads(capsys.readouterr().out)["touchpoints"][0]
    kept = [v for v in values if v != 0]
    assert tp["n"] == 399 and tp["mean"] == pytest.approx(np.mean(kept), abs=1e-4)
    assert tp["score_0_100"] == pytest.approx((np.mean(kept) - 1) / 4 * 100, abs=1e-3)


# --- 2. a 1–10 item whose answers stop at 7 ------------------------------------------------

def test_guessed_scale_is_unsure_and_cli_scale_settles_it(tmp_path, capsys):
    values = [1 + i % 7 for i in range(300)]
    rows = [["ID", "Website"]] + [[i, v] for i, v in enumerate(values)]
    path = tmp_path / "web.csv"
    path.write_bytes(csv_bytes(rows))
    p = prepare("web.csv", path.read_bytes())
    spec = spec_of(p.specs, "Website")
    assert (spec.scale_min, spec.scale_max) == (1, 7) and "guessed" in spec.unsure
    db = tmp_path / "t.duckdb"
    # --strict refuses while anything is unsure: exit 2, one line per unsure column, nothing written
    assert cli.main(["ingest", str(path), "--db", str(db), "--strict"]) == 2
    err = capsys.readouterr().err
    assert "'Website': scale 1–7 guessed" in err
    con = store.connect(db)
    assert table_counts(con)["datasets"] == 0
    con.close()
    # the analyst states the scale: 1–10, settled, so --strict passes
    assert cli.main(["ingest", str(path), "--db", str(db), "--strict", "--scale", "Website=1-10"]) == 0
    capsys.readouterr()
    cli.main(["summary", "--db", str(db), "--json"])
    tp = json.loads(capsys.readouterr().out)["touchpoints"][0]
    assert (tp["scale_min"], tp["scale_max"]) == (1, 10)
    assert tp["score_0_100"] == pytest.approx((np.mean(values) - 1) / 9 * 100, abs=1e-3)


def test_cli_report_lists_unsure_columns(tmp_path, capsys):
    path = tmp_path / "web.csv"
    path.write_bytes(csv_bytes([["ID", "Website"]] + [[i, 1 + i % 7] for i in range(50)]))
    assert cli.main(["ingest", str(path), "--db", str(tmp_path / "t.duckdb")]) == 0
    assert "unsure: 'Website': scale 1–7 guessed" in capsys.readouterr().out


def test_cli_scale_for_unknown_header_is_refused(tmp_path, capsys):
    path = tmp_path / "web.csv"
    path.write_bytes(csv_bytes([["ID", "Website"]] + [[i, 1 + i % 7] for i in range(50)]))
    assert cli.main(["ingest", str(path), "--db", str(tmp_path / "t.duckdb"), "--scale", "Webseite=1-10"]) == 2
    assert "no column 'Webseite'" in capsys.readouterr().err
    assert cli.main(["ingest", str(path), "--db", str(tmp_path / "t.duckdb"), "--scale", "Website=ten"]) == 2


# --- 3. "trifft nicht zu" as a scale point ------------------------------------------------

def test_label_set_own_labels_win_over_missing_words():
    points = ["trifft gar nicht zu", "trifft nicht zu", "teils/teils", "trifft zu", "trifft voll zu"]
    answers = [points[i % 5] for i in range(400)]
    rows = [["ID", "Die Beratung war kompetent"]] + [[i, a] for i, a in enumerate(answers)]
    result = ingest_bytes("agree.xlsx", xlsx_bytes(rows))
    spec = spec_of(result.specs, "Die Beratung war kompetent")
    assert spec.role == "rating" and (spec.scale_min, spec.scale_max) == (1, 5)
    ratings = result.canonical.ratings
    assert len(ratings) == 400  # not 320: "trifft nicht zu" is point 2 here
    assert (ratings["score"] == 2).sum() == 80
    assert len(result.canonical.dont_know) == 0


def test_four_point_set_starting_with_trifft_nicht_zu():
    points = ["trifft nicht zu", "trifft eher nicht zu", "trifft eher zu", "trifft zu"]
    rows = [["ID", "Lieferung"]] + [[i, points[i % 4]] for i in range(40)]
    result = ingest_bytes("agree4.csv", csv_bytes(rows))
    spec = spec_of(result.specs, "Lieferung")
    assert (spec.scale_min, spec.scale_max) == (1, 4)
    assert spec.labels["trifft nicht zu"] == 1 and spec.labels["trifft zu"] == 4


def test_not_applicable_stays_missing_outside_agreement_sets():
    rows = [["ID", "Hotline (1-5)"]] + [[i, ["trifft nicht zu", 3, 4, 5][i % 4]] for i in range(40)]
    result = ingest_bytes("na.csv", csv_bytes(rows))
    assert len(result.canonical.ratings) == 30
    assert len(result.canonical.dont_know) == 10


# --- 4. don't know answers are kept, counted, never scored --------------------------------

def dk_rows():
    rows = [["ID", "Filiale (1-10)", "Hotline (1-10)", "Weiterempfehlung (0-10)"]]
    for i in range(120):
        filiale = ["weiß nicht", "k.A.", "", "N/A"][(i // 6) % 4] if i % 6 == 0 else 1 + i % 10
        hotline = "don't know" if i % 10 == 0 else 1 + i % 10
        rows.append([i, filiale, hotline, i % 11])
    return rows


def test_dont_know_counted_per_touchpoint(con, capsys, db_path):
    result = ingest_bytes("dk.xlsx", xlsx_bytes(dk_rows()))
    c = result.canonical
    # Filiale: every 6th answer is a no-answer word or blank: 20 in all, 5 of them blank
    assert (c.dont_know["touchpoint"] == "Filiale").sum() == 15
    assert (c.dont_know["touchpoint"] == "Hotline").sum() == 12
    assert (c.ratings["touchpoint"] == "Filiale").sum() == 100
    store.save_import(con, result)
    stats = touchpoint_stats(con, Filter()).set_index("touchpoint")
    assert stats.loc["Filiale", "n"] == 100 and stats.loc["Filiale", "dont_know"] == 15
    assert stats.loc["Filiale", "dont_know_rate"] == pytest.approx(100 * 15 / 115)
    assert stats.loc["Hotline", "dont_know"] == 12
    con.close()
    capsys.readouterr()
    assert cli.main(["summary", "--db", str(db_path), "--json"]) == 0
    tps = {tp["name"]: tp for tp in json.loads(capsys.readouterr().out)["touchpoints"]}
    assert tps["Filiale"]["dont_know"] == 15 and tps["Filiale"]["n"] == 100


def test_dont_know_removed_with_its_dataset(con):
    saved = store.save_import(con, ingest_bytes("dk.xlsx", xlsx_bytes(dk_rows())))
    assert con.execute("SELECT count(*) FROM dont_know").fetchone()[0] == 27
    store.delete_dataset(con, saved.dataset_id)
    assert con.execute("SELECT count(*) FROM dont_know").fetchone()[0] == 0


# --- 5. weights ---------------------------------------------------------------------------

@pytest.mark.parametrize("header", ["weight", "Gewichtungsfaktor", "Gewicht", "wt", "design_weight"])
def test_weight_column_is_a_weight_never_a_rating(header):
    w = [0.5 + (i % 5) * 0.5 for i in range(60)]  # 0.5 … 2.5, looks like a 1–5 rating to a naive reader
    rows = [["ID", "Hotline (1-10)", header]] + [[i, 1 + i % 10, w[i]] for i in range(60)]
    result = ingest_bytes("w.xlsx", xlsx_bytes(rows))
    assert roles(result)[header] == "weight"
    assert [s.touchpoint for s in result.specs if s.role == "rating"] == ["Hotline"]
    stored = result.canonical.respondents["weight"].to_numpy()
    assert stored.sum() == pytest.approx(60)  # rescaled to sum to n
    assert stored == pytest.approx(np.array(w) * 60 / sum(w))
    assert any("rescaled" in note for note in result.canonical.notes)


@pytest.mark.parametrize("bad, what", [(0, "not positive"), (-1.5, "not positive"), ("", "empty"), ("abc", "not a number")])
def test_bad_weights_are_refused_with_row_and_column(bad, what):
    rows = [["ID", "Hotline (1-10)", "Gewicht"]] + [[i, 1 + i % 10, 1.0] for i in range(30)]
    rows[12][2] = bad
    with pytest.raises(IngestError) as err:
        ingest_bytes("w.xlsx", xlsx_bytes(rows))
    message = str(err.value)
    assert what in message and "row 13" in message and "Gewicht" in message


def test_body_weight_in_kg_is_not_a_survey_weight():
    rows = [["ID", "Hotline (1-10)", "Paketgewicht (kg)"]] + [[i, 1 + i % 10, 2 + i % 7] for i in range(30)]
    assert roles(ingest_bytes("kg.csv", csv_bytes(rows)))["Paketgewicht (kg)"] != "weight"


# --- 6. the overall satisfaction question ----------------------------------------------------

@pytest.mark.parametrize("header", ["Satisfaction with a product or service", "Gesamtzufriedenheit",
                                    "Overall satisfaction", "Wie zufrieden sind Sie insgesamt mit uns?"])
def test_overall_satisfaction_is_an_outcome_not_a_touchpoint(header):
    rows = [["ID", "Hotline (1-5)", header]] + [[i, 1 + i % 5, 1 + (i * 3) % 5] for i in range(40)]
    result = ingest_bytes("o.csv", csv_bytes(rows))
    assert roles(result)[header] == "overall"
    assert result.report()["touchpoints"][0]["name"] == "Hotline" and len(result.report()["touchpoints"]) == 1
    assert result.canonical.respondents["overall"].notna().sum() == 40


def test_hotline_overall_satisfaction_is_still_the_hotline():
    rows = [["ID", "Wie zufrieden sind Sie insgesamt mit der Hotline?"]] + [[i, 1 + i % 5] for i in range(40)]
    result = ingest_bytes("h.csv", csv_bytes(rows))
    assert [s.touchpoint for s in result.specs if s.role == "rating"] == ["Hotline"]


def test_overall_is_the_drivers_outcome(con):
    n = 400
    x1, x2 = RNG.integers(1, 11, n), RNG.integers(1, 11, n)
    overall = np.clip(np.round(0.8 * x1 + 0.1 * x2 + RNG.normal(0, 1, n)), 1, 10).astype(int)
    rows = [["ID", "Hotline (1-10)", "Website (1-10)", "Gesamtzufriedenheit (1-10)"]]
    rows += [[i, int(a), int(b), int(c)] for i, (a, b, c) in enumerate(zip(x1, x2, overall))]
    store.save_import(con, ingest_bytes("o.xlsx", xlsx_bytes(rows)))
    stats = overall_stats(con, Filter())
    assert stats.loc[0, "n"] == n and stats.loc[0, "mean"] == pytest.approx(overall.mean())
    assert "Gesamtzufriedenheit" not in set(touchpoint_stats(con, Filter())["touchpoint"])
    result = drivers_for(con, Filter(), outcome="overall")
    shares = dict(zip(result.table["driver"], result.table["share"]))
    assert shares["Hotline"] > 80  # planted: the overall rating follows the hotline
    r = np.corrcoef(overall, x1)[0, 1]
    assert result.r2 > r ** 2 - 1e-9


# --- 7. counts are never ratings ---------------------------------------------------------

@pytest.mark.parametrize("header", ["How many people live in this household?", "Wie viele Bestellungen hatten Sie?",
                                    "Anzahl Mitarbeiter", "Number of visits"])
def test_count_questions_are_ignored(header):
    rows = [["ID", "Hotline (1-10)", header]] + [[i, 1 + i % 10, 1 + i % 5] for i in range(40)]
    assert roles(ingest_bytes("c.csv", csv_bytes(rows)))[header] == "ignore"


# --- 8. the sheet with the survey is chosen ----------------------------------------------

def test_data_sheet_after_a_notes_sheet_is_chosen():
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Cleanup notes"
    notes.append(["Step", "Description", "Who"])
    for i in range(12):
        notes.append([i, f"removed duplicate response batch {i}", "analyst"])
    data = wb.create_sheet("Data")
    data.append(["ID", "Hotline (1-10)", "Filiale (1-10)", "Weiterempfehlung (0-10)"])
    for i in range(40):
        data.append([i, 1 + i % 10, 1 + (i * 3) % 10, i % 11])
    buf = io.BytesIO()
    wb.save(buf)
    result = ingest_bytes("two_sheets.xlsx", buf.getvalue())
    assert result.table.sheet == "Data"
    assert any("sheet 'Data' chosen" in note and "'Cleanup notes': 0" in note for note in result.canonical.notes)
    assert len(result.report()["touchpoints"]) == 2


# --- 9. names keep their words ---------------------------------------------------------------

@pytest.mark.parametrize("header, expected", [
    ("Die informellen Modelle werden häufig genutzt", "Die informellen Modelle werden häufig genutzt"),
    ("Das manuelle Übertragen ist aufwendig", "Das manuelle Übertragen ist aufwendig"),
    ("Zufriedenheit mit der Rechnung", "Rechnung"),
    ("How satisfied are you with our website?", "website"),
])
def test_only_boilerplate_is_stripped(header, expected):
    assert touchpoint_name(header) == expected


# --- 10. Google Sheets date-times with milliseconds ----------------------------------------

def test_millisecond_timestamps_are_dates():
    start = dt.datetime(2024, 1, 28, 14, 7, 42, 471000)
    rows = [["Timestamp", "Hotline (1-5)"]]
    rows += [[(start + dt.timedelta(hours=7 * i)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3], 1 + i % 5] for i in range(30)]
    result = ingest_bytes("gs.csv", csv_bytes(rows))
    assert roles(result)["Timestamp"] == "date"
    assert result.canonical.respondents["responded_at"].iloc[0].month == 1


# --- 11. a pre-filled id ------------------------------------------------------------------

def test_prefilled_enquiry_id_is_the_id():
    rows = [["Your Enquiry ID (pre-filled)", "Hotline (1-5)"]] + [[f"ENQ-{1000 + i}", 1 + i % 5] for i in range(30)]
    result = ingest_bytes("enq.csv", csv_bytes(rows))
    assert roles(result)["Your Enquiry ID (pre-filled)"] == "id"
    assert result.canonical.respondents["respondent_id"].iloc[0] == "ENQ-1000"


# --- 12. multiple choice ----------------------------------------------------------------------

def test_multiple_choice_columns_are_one_question(con):
    options = ["Maschinenbau", "Informatik", "Elektrotechnik", "Mechatronik", "Betriebswirtschaft"]
    header = ["ID", "Hotline (1-5)"] + [f"Welchen Hintergrund haben Sie? [{o}]" for o in options]
    rows = [header]
    for i in range(60):
        rows.append([i, 1 + i % 5] + [("Ja" if (i + k) % 3 == 0 else "") for k in range(len(options))])
    result = ingest_bytes("mc.csv", csv_bytes(rows))
    multi = [s for s in result.specs if s.role == "multi"]
    assert len(multi) == 5 and {s.touchpoint for s in multi} == {"Welchen Hintergrund haben Sie?"}
    assert result.report()["segments"] == ["Welchen Hintergrund haben Sie?"]
    store.save_import(con, result)
    assert store.segment_values(con) == {"Welchen Hintergrund haben Sie?": sorted(options)}
    # one filter, "any of": respondents who ticked Informatik or Mechatronik
    flt = Filter.of(segments={"Welchen Hintergrund haben Sie?": ["Informatik", "Mechatronik"]})
    expected = sum(1 for i in range(60) if (i + 1) % 3 == 0 or (i + 3) % 3 == 0)
    from tpm.metrics.nps import respondent_count

    assert respondent_count(con, flt) == expected


# --- 13. boxes by scale length ------------------------------------------------------------

def test_three_point_scale_uses_top1_and_bottom1(con, capsys, db_path):
    values = [1 + i % 3 for i in range(90)]  # 30 of each point
    rows = [["ID", "Squash (1-3)", "Hotline (1-5)"]] + [[i, v, 1 + i % 5] for i, v in enumerate(values)]
    store.save_import(con, ingest_bytes("three.csv", csv_bytes(rows)))
    stats = touchpoint_stats(con, Filter()).set_index("touchpoint")
    assert stats.loc["Squash", "top2_box"] == pytest.approx(100 / 3)
    assert stats.loc["Squash", "bottom2_box"] == pytest.approx(100 / 3)
    assert stats.loc["Squash", "top2_box"] + stats.loc["Squash", "bottom2_box"] <= 100
    assert stats.loc["Squash", "box_points"] == 1
    assert stats.loc["Hotline", "top2_box"] == pytest.approx(40) and stats.loc["Hotline", "box_points"] == 2
    con.close()
    capsys.readouterr()
    cli.main(["summary", "--db", str(db_path), "--json"])
    tps = {tp["name"]: tp for tp in json.loads(capsys.readouterr().out)["touchpoints"]}
    assert tps["Squash"]["box_points"] == 1 and tps["Hotline"]["box_points"] == 2


@pytest.mark.parametrize("lo, hi, points", [(1, 3, 1), (1, 4, 1), (1, 5, 2), (1, 7, 2), (0, 10, 2), (1, 10, 2)])
def test_box_rule_for_every_scale_length(lo, hi, points):
    from tpm.metrics.satisfaction import box_points

    assert box_points(lo, hi) == points
    top = set(range(hi - points + 1, hi + 1))
    bottom = set(range(lo, lo + points))
    assert not top & bottom


# --- custom label sets travel into the next wave -----------------------------------------

def test_custom_label_set_round_trips_into_the_next_wave(con):
    labels = ["mies", "naja", "passt", "super"]
    def wave(seed):
        return csv_bytes([["ID", "Region", "Eindruck Filiale"]]
                         + [[f"{seed}-{i}", ["Nord", "Süd"][i % 2], labels[(i * seed) % 4] if i % 9 else "weiß nicht"]
                            for i in range(60)])
    first = prepare("welle1.csv", wave(1), con=con)
    assert "Eindruck Filiale" not in {s.column for s in first.specs if s.role == "rating"}
    choices = label_choices(first.table, "Eindruck Filiale")
    assert set(choices["label"]) == set(labels)
    assert not set_label_scale(first, "Eindruck Filiale", choices)  # no ranks yet: refused, nothing changed
    choices["rank"] = [labels.index(label) + 1 for label in choices["label"]]
    assert set_label_scale(first, "Eindruck Filiale", choices)
    result = first.apply(first.specs)
    scores = result.canonical.ratings["score"]
    assert set(scores) == {1.0, 2.0, 3.0, 4.0}
    store.save_import(con, result)
    second = prepare("welle2.csv", wave(3), con=con)
    assert second.from_template
    spec = spec_of(second.specs, "Eindruck Filiale")
    assert spec.role == "rating" and spec.labels["super"] == 4 and spec.scale_max == 4
    again = second.apply(second.specs).canonical
    assert len(again.ratings) == 60 - 7 and len(again.dont_know) == 7


def test_dont_know_in_the_heatmap_hover(con):
    from tpm.charts.heatmap import segment_heatmap
    from tpm.metrics.segments import segment_breakdown, total_values

    rows = [["ID", "Region", "Filiale (1-10)"]]
    rows += [[i, ["Nord", "Süd"][i % 2], "weiß nicht" if i % 10 == 0 else 1 + i % 10] for i in range(200)]
    store.save_import(con, ingest_bytes("hm.csv", csv_bytes(rows)))
    cells = segment_breakdown(con, Filter(), "Region", "mean")
    counts = dict(zip(cells["segment"], cells["dont_know"]))
    assert counts == {"Nord": 20, "Süd": 0}  # i % 10 == 0 is always even: all in Nord
    fig = segment_heatmap(cells, total_values(con, Filter(), "mean"), "mean", "Region", "de")
    assert "weiß nicht: %{customdata[6]}" in fig.data[0].hovertemplate
    custom = np.asarray(fig.data[0].customdata)
    assert sorted(custom[0, :, 6].tolist()) == [0, 20, 20]  # Nord, Süd, total
