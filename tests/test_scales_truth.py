"""Scales read as the file means them (issue #20, part "ingest: scales").

Every case is a small export built here; the truth (n, don't know, 0–100 score, boxes) is
computed in the test from the raw answers with plain Python/pandas and a mapping written by
hand — never through TPM's own reading of the file.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from conftest import xlsx_bytes

from tpm import store
from tpm.ingest import ingest_bytes
from tpm.metrics import Filter
from tpm.metrics.satisfaction import touchpoint_stats


def csv_bytes(rows) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


def spec_of(specs, column):
    return next(s for s in specs if s.column == column)


def truth(answers: list, points: dict, dont_know: set, lo: int, hi: int, box: int) -> dict:
    """n, don't know, 0–100 score and top/bottom box of raw answers, by hand: ``points`` maps an
    answer to its scale point, ``dont_know`` are the answers that are no score but counted."""
    scores = pd.Series([points[a] for a in answers if a in points], dtype=float)
    return {"n": len(scores), "dont_know": sum(a in dont_know for a in answers),
            "score": float(((scores - lo) / (hi - lo) * 100).mean()),
            "top": float(100 * (scores > hi - box).mean()), "bottom": float(100 * (scores < lo + box).mean())}


def stored_stats(con, result, touchpoint: str) -> pd.Series:
    store.save_import(con, result)
    return touchpoint_stats(con, Filter()).set_index("touchpoint").loc[touchpoint]


# --- (a) an agreement set beside "weiß nicht" / "k.A." ------------------------------------

AGREE_DE = ["trifft gar nicht zu", "trifft nicht zu", "teils/teils", "trifft zu", "trifft voll zu"]
AGREE_EN = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]


def agreement_answers(points: list[str], dont_know: list[str], n: int = 300, seed: int = 11) -> list[str]:
    """Random answers, skewed to the low end (so that reading point 2 as don't know moves the score)."""
    rng = np.random.default_rng(seed)
    answers = list(rng.choice(points, size=n, p=[0.2, 0.3, 0.2, 0.2, 0.1][:len(points)] if len(points) == 5 else None))
    for i in rng.choice(n, size=20, replace=False):
        answers[i] = dont_know[i % len(dont_know)]
    return answers


@pytest.mark.parametrize("points, dk", [
    (AGREE_DE, ["weiß nicht", "k.A."]),
    (AGREE_DE, ["weiß nicht"]),
    (AGREE_DE, ["k.A."]),
    (AGREE_EN, ["Don't know", "N/A"]),
    (["trifft nicht zu", "trifft eher nicht zu", "trifft eher zu", "trifft zu"], ["weiß nicht", "keine Angabe"]),
])
def test_agreement_point_is_not_a_dont_know_answer(con, points, dk):
    answers = agreement_answers(points, dk)
    rows = [["ID", "Die Beratung war kompetent"]] + [[f"R{i}", a] for i, a in enumerate(answers)]
    result = ingest_bytes("agree.xlsx", xlsx_bytes(rows))
    spec = spec_of(result.specs, "Die Beratung war kompetent")
    k = len(points)
    assert spec.role == "rating" and (spec.scale_min, spec.scale_max) == (1, k)
    assert spec.labels == {p.casefold(): float(i + 1) for i, p in enumerate(points)}
    box = 2 if k >= 5 else 1
    expected = truth(answers, {p: i + 1 for i, p in enumerate(points)}, set(dk), 1, k, box)
    stats = stored_stats(con, result, "Die Beratung war kompetent")
    assert stats["n"] == expected["n"] == 280
    assert stats["dont_know"] == expected["dont_know"] == 20
    assert stats["score_0_100"] == pytest.approx(expected["score"], abs=1e-9)
    assert stats["bottom2_box"] == pytest.approx(expected["bottom"], abs=1e-9)
    assert stats["top2_box"] == pytest.approx(expected["top"], abs=1e-9)


def test_dont_know_word_on_its_own_is_still_dont_know():
    """"trifft nicht zu" beside numbers (a 1–5 item) is "not applicable", as before."""
    answers = [["trifft nicht zu", "3", "4", "5", "k.A."][i % 5] for i in range(50)]
    result = ingest_bytes("na.csv", csv_bytes([["ID", "Hotline (1-5)"]] + [[i, a] for i, a in enumerate(answers)]))
    assert len(result.canonical.ratings) == 30
    assert len(result.canonical.dont_know) == 20


# --- (b) a scale stated in the header, whatever its length --------------------------------

@pytest.mark.parametrize("header, lo, hi, name", [
    ("Hotline (1-4)", 1, 4, "Hotline"),
    ("Hotline (1-3)", 1, 3, "Hotline"),
    ("Zufriedenheit Hotline 1–6", 1, 6, "Hotline"),
    ("Hotline von 1 bis 4", 1, 4, "Hotline"),
    ("Hotline auf einer Skala von 1 bis 6", 1, 6, "Hotline"),
    ("Hotline (0-10)", 0, 10, "Hotline"),
    ("Hotline (0-6)", 0, 6, "Hotline"),
    ("Hotline (1 = gar nicht zufrieden, 4 = voll zufrieden)", 1, 4, "Hotline"),
    ("Hotline (1 (schlecht) bis 4 (gut))", 1, 4, "Hotline"),
    ("How satisfied were you with the hotline (1 to 4)?", 1, 4, "hotline"),
])
def test_stated_scale_is_the_scale(con, header, lo, hi, name):
    rng = np.random.default_rng(5)
    # answers that do not reach the top: the data alone would propose a shorter scale
    answers = [int(v) for v in rng.integers(lo, hi, size=200)]  # lo … hi-1
    rows = [["ID", header]] + [[f"R{i}", a] for i, a in enumerate(answers)]
    result = ingest_bytes("stated.csv", csv_bytes(rows))
    spec = spec_of(result.specs, header)
    assert spec.role == "rating" and spec.touchpoint == name
    assert (spec.scale_min, spec.scale_max) == (lo, hi) and spec.unsure is None
    box = 1 if hi - lo + 1 <= 4 else 2
    expected = truth(answers, {v: v for v in range(lo, hi + 1)}, set(), lo, hi, box)
    stats = stored_stats(con, result, name)
    assert (stats["scale_min"], stats["scale_max"], stats["box_points"]) == (lo, hi, box)
    assert stats["n"] == expected["n"] == 200
    assert stats["score_0_100"] == pytest.approx(expected["score"], abs=1e-9)
    assert stats["top2_box"] == pytest.approx(expected["top"], abs=1e-9)
    assert stats["bottom2_box"] == pytest.approx(expected["bottom"], abs=1e-9)


def test_answers_outside_a_stated_four_point_scale_are_unsure_then_refused():
    rows = [["ID", "Hotline (1-4)"]] + [[i, 1 + i % 5] for i in range(50)]  # 5 is not on 1–4
    from tpm.ingest import IngestError
    from tpm.upload import prepare

    spec = spec_of(prepare("out.csv", csv_bytes(rows)).specs, "Hotline (1-4)")
    assert (spec.scale_min, spec.scale_max) == (1, 4)
    assert spec.unsure and "outside the stated scale 1–4" in spec.unsure
    with pytest.raises(IngestError, match="the value 5 is outside the scale 1–4"):
        ingest_bytes("out.csv", csv_bytes(rows))


@pytest.mark.parametrize("header", ["Terminal 1-2", "Alter 18-25", "Q1-4 Hotline", "Hotline 0-100"])
def test_ranges_that_are_no_rating_scale_are_not_read_as_one(header):
    from tpm.ingest.detect import scale_from_header

    assert scale_from_header(header) is None


# --- (c) a scale guessed from the answers: the readings, each with its score ----------------

def six_point_answers(n: int = 240, seed: int = 3) -> list[int]:
    rng = np.random.default_rng(seed)
    return [int(v) for v in rng.choice([1, 2, 3, 4, 5, 6], size=n, p=[0.05, 0.1, 0.15, 0.3, 0.25, 0.15])]


def six_point_truth(answers: list[int]) -> dict:
    """The three readings of answers 1–6, by hand: 1–6, 1–7, and 1–5 with 6 = not applicable."""
    a = np.array(answers, dtype=float)
    below = a[a <= 5]
    return {(1, 6, None): ((a.mean() - 1) / 5 * 100, len(a)), (1, 7, None): ((a.mean() - 1) / 6 * 100, len(a)),
            (1, 5, (6.0,)): ((below.mean() - 1) / 4 * 100, len(below))}


def readings_of(spec) -> dict:
    return {(c["scale_min"], c["scale_max"], tuple(c["missing_codes"]) if c["missing_codes"] else None): (c["score"], c["n"])
            for c in spec.candidates}


def test_answers_one_to_six_are_not_silently_one_to_seven():
    from tpm.upload import prepare

    answers = six_point_answers()
    rows = [["ID", "Website"]] + [[f"R{i}", a] for i, a in enumerate(answers)]
    spec = spec_of(prepare("six.csv", csv_bytes(rows)).specs, "Website")
    # the proposal is the answers' range, never a scale whose top point nobody chose — and it says so
    assert (spec.scale_min, spec.scale_max) == (1, 6) == (1, max(answers))
    assert spec.unsure and "guessed" in spec.unsure
    assert [c["kind"] for c in spec.candidates] == ["observed", "common", "last_na"]
    expected = six_point_truth(answers)
    got = readings_of(spec)
    assert set(got) == set(expected)
    for key, (score, n) in expected.items():
        assert got[key][0] == pytest.approx(score, abs=1e-4) and got[key][1] == n


@pytest.mark.parametrize("index", [0, 1, 2])
def test_the_chosen_reading_is_what_is_stored(con, index):
    from tpm.upload import choose_scale, chosen_reading, prepare

    answers = six_point_answers()
    rows = [["ID", "Website"]] + [[f"R{i}", a] for i, a in enumerate(answers)]
    prepared = prepare("six.csv", csv_bytes(rows))
    spec = choose_scale(prepared, "Website", index)
    assert spec.unsure is None and chosen_reading(spec) == index
    key = (spec.scale_min, spec.scale_max, tuple(spec.missing_codes) if spec.missing_codes else None)
    score, n = six_point_truth(answers)[key]
    stats = stored_stats(con, prepared.apply(prepared.specs), "Website")
    assert (stats["scale_min"], stats["scale_max"]) == key[:2]
    assert stats["n"] == n
    assert stats["score_0_100"] == pytest.approx(score, abs=1e-9)


def test_stray_zero_offers_zero_as_not_applicable():
    from tpm.upload import prepare

    answers = [1 + (i * 7) % 5 for i in range(400)]
    answers[17] = 0
    rows = [["ID", "Hotline"]] + [[i, a] for i, a in enumerate(answers)]
    spec = spec_of(prepare("zero.csv", csv_bytes(rows)).specs, "Hotline")
    assert (spec.scale_min, spec.scale_max) == (1, 5) and "0" in spec.unsure
    got = readings_of(spec)
    rated = [a for a in answers if a > 0]
    assert got[(1, 5, (0.0,))] == (pytest.approx((np.mean(rated) - 1) / 4 * 100, abs=1e-4), 399)
    assert got[(0, 10, None)] == (pytest.approx(np.mean(answers) / 10 * 100, abs=1e-4), 400)
    assert all(c["scale_min"] <= min(a for a in answers if a not in (c["missing_codes"] or []))
               for c in spec.candidates)  # no reading leaves an answer outside its scale


def test_stated_or_worded_scales_have_no_readings():
    from tpm.upload import prepare

    rows = [["ID", "Hotline (1-6)", "Beratung"]] + [[i, 1 + i % 4, AGREE_DE[i % 5]] for i in range(50)]
    specs = prepare("sure.csv", csv_bytes(rows)).specs
    assert spec_of(specs, "Hotline (1-6)").candidates is None and spec_of(specs, "Beratung").candidates is None


def test_cli_lists_the_readings_and_takes_one(tmp_path, capsys):
    import json

    from tpm import cli

    answers = six_point_answers()
    path = tmp_path / "six.csv"
    path.write_bytes(csv_bytes([["ID", "Website"]] + [[f"R{i}", a] for i, a in enumerate(answers)]))
    db = tmp_path / "t.duckdb"
    assert cli.main(["ingest", str(path), "--db", str(db), "--strict"]) == 2
    err = capsys.readouterr().err
    truth_scores = six_point_truth(answers)
    assert "reading 1–6 (the answers' range): score " + f"{truth_scores[(1, 6, None)][0]:.1f}" in err
    assert "reading 1–7 (nearest common scale): score " + f"{truth_scores[(1, 7, None)][0]:.1f}" in err
    assert ("reading 1–5, 6 = not applicable: score " + f"{truth_scores[(1, 5, (6.0,))][0]:.1f}"
            + f" (n = {truth_scores[(1, 5, (6.0,))][1]})") in err
    assert '--scale "Website=1-5" --missing "Website=6"' in err
    assert cli.main(["ingest", str(path), "--db", str(db), "--strict", "--scale", "Website=1-5", "--missing", "Website=6"]) == 0
    capsys.readouterr()
    assert cli.main(["summary", "--db", str(db), "--json"]) == 0
    tp = json.loads(capsys.readouterr().out)["touchpoints"][0]
    assert (tp["scale_min"], tp["scale_max"], tp["n"]) == (1, 5, truth_scores[(1, 5, (6.0,))][1])
    assert tp["score_0_100"] == pytest.approx(truth_scores[(1, 5, (6.0,))][0], abs=1e-3)


def test_cli_report_without_strict_shows_the_readings(tmp_path, capsys):
    from tpm import cli

    path = tmp_path / "six.csv"
    path.write_bytes(csv_bytes([["ID", "Website"]] + [[f"R{i}", a] for i, a in enumerate(six_point_answers())]))
    assert cli.main(["ingest", str(path), "--db", str(tmp_path / "t.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "unsure: 'Website': scale 1–6 guessed" in out and "reading 1–7 (nearest common scale)" in out


def test_upload_page_offers_the_readings(db_path, monkeypatch):
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    app.switch_page("pages/upload.py").run()
    answers = six_point_answers()
    data = csv_bytes([["Kunden-Nr", "Website"]] + [[f"K{i}", a] for i, a in enumerate(answers)])
    app.file_uploader(key="upload").set_value(("sechs.csv", data, "text/csv")).run()
    assert not app.exception and not app.error
    radio = next(r for r in app.radio if r.key and r.key.startswith("reading_"))
    truth_scores = six_point_truth(answers)
    shown = list(radio.options)
    assert any("1–5, 6 = " in o and f"{truth_scores[(1, 5, (6.0,))][0]:.1f}".replace(".", ",") in o for o in shown), shown
    assert app.button(key="upload_import").disabled  # not chosen yet
    radio.set_value(2).run()
    assert not app.exception and not app.error
    editor = next(e for e in app.data_editor if e.key and e.key.startswith("mapping_"))
    row = editor.value.set_index("column").loc["Website"]
    assert (row["scale_min"], row["scale_max"], row["missing_codes"], bool(row["confirmed"])) == (1, 5, "6", True)
    assert not app.button(key="upload_import").disabled
    app.button(key="upload_import").click().run()
    assert not app.exception and not app.error
    connection = store.connect(db_path)
    got = connection.execute("SELECT count(*), avg((score - 1) / 4 * 100), min(scale_max) FROM ratings WHERE dataset_id = "
                             "(SELECT id FROM datasets WHERE source_file = 'sechs.csv')").fetchone()
    connection.close()
    assert got[0] == truth_scores[(1, 5, (6.0,))][1] and got[2] == 5
    assert got[1] == pytest.approx(truth_scores[(1, 5, (6.0,))][0], abs=1e-9)


# --- (d) just-about-right scales: a distribution, never a rating ---------------------------

JAR_SHAPES = {
    "de3": (["zu kurz", "genau richtig", "zu lang"], [-1, 0, 1]),
    "de5": (["viel zu wenig", "etwas zu wenig", "genau richtig", "etwas zu viel", "viel zu viel"], [-2, -1, 0, 1, 2]),
    "en3": (["Too short", "About right", "Too long"], [-1, 0, 1]),
    "en3_little": (["Too little", "Just right", "Too much"], [-1, 0, 1]),
    "en5": (["Much too slow", "Somewhat too slow", "Just right", "Somewhat too fast", "Much too fast"], [-2, -1, 0, 1, 2]),
    "numbered": (["1 - zu niedrig", "2", "3 - genau richtig", "4", "5 - zu hoch"], [-2, -1, 0, 1, 2]),
    "reversed": (["1 = too long", "2", "3 = just right", "4", "5 = too short"], [2, 1, 0, -1, -2]),
}


def jar_rows(answers_of: list[str], header: str, n: int = 300, seed: int = 9, weights: bool = False):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"ID": [f"R{i}" for i in range(n)],
                          "Hotline (1-5)": rng.integers(1, 6, size=n),
                          "Region": rng.choice(["Nord", "Süd"], size=n),
                          header: rng.choice(answers_of + ["weiß nicht", ""], size=n)})
    if weights:
        frame["Gewicht"] = rng.uniform(0.3, 3.0, size=n).round(3)
    return frame


def jar_truth(frame: pd.DataFrame, header: str, answers: list[str], sides: list[int], weight: str | None = None) -> dict:
    """Shares by hand: the answers' weights summed per side over the answered rows."""
    side_of = dict(zip(answers, sides))
    answered = frame[frame[header].isin(answers)]
    w = answered[weight] if weight else pd.Series(1.0, index=answered.index)
    side = answered[header].map(side_of)
    total = w.sum()
    return {"n": len(answered), "too_little": 100 * w[side < 0].sum() / total,
            "just_right": 100 * w[side == 0].sum() / total, "too_much": 100 * w[side > 0].sum() / total}


@pytest.mark.parametrize("shape", list(JAR_SHAPES))
def test_just_about_right_is_a_distribution_never_a_rating(con, shape):
    from tpm.metrics.jar import jar_distribution

    answers, sides = JAR_SHAPES[shape]
    header = "Die Wartezeit war …"
    frame = jar_rows(answers, header, weights=shape == "de5")
    rows = [list(frame.columns)] + frame.astype(object).values.tolist()
    result = ingest_bytes("jar.xlsx", xlsx_bytes(rows))
    spec = spec_of(result.specs, header)
    assert spec.role == "jar" and spec.unsure is None
    assert header not in result.canonical.touchpoints and set(result.canonical.ratings["touchpoint"]) == {"Hotline"}
    assert result.report()["just_about_right"] == [{"question": header, "column": header}]
    store.save_import(con, result)
    assert list(touchpoint_stats(con, Filter())["touchpoint"]) == ["Hotline"]  # never scored, never ranked
    weight = "Gewicht" if shape == "de5" else None
    for flt, rows_in in ((Filter(), frame), (Filter.of(segments={"Region": ["Nord"]}), frame[frame["Region"] == "Nord"])):
        got = jar_distribution(con, flt).set_index("question").loc[header]
        expected = jar_truth(rows_in, header, answers, sides, weight)
        assert got["n"] == expected["n"]
        for key in ("too_little", "just_right", "too_much"):
            assert got[key] == pytest.approx(expected[key], abs=1e-9), key


def test_numeric_just_about_right_item_named_in_the_header(con):
    from tpm.metrics.jar import jar_distribution

    header = "Länge des Gesprächs (1 = viel zu kurz, 3 = genau richtig, 5 = viel zu lang)"
    rng = np.random.default_rng(4)
    values = [int(v) for v in rng.integers(1, 6, size=200)] + ["weiß nicht"]
    rows = [["ID", "Hotline (1-5)", header]] + [[i, 1 + i % 5, v] for i, v in enumerate(values)]
    result = ingest_bytes("jarnum.csv", csv_bytes(rows))
    spec = spec_of(result.specs, header)
    assert spec.role == "jar" and set(result.canonical.ratings["touchpoint"]) == {"Hotline"}
    store.save_import(con, result)
    got = jar_distribution(con, Filter()).set_index("question").loc[header]
    numbers = np.array(values[:-1])
    assert got["n"] == 200
    assert got["too_little"] == pytest.approx(100 * (numbers < 3).mean(), abs=1e-9)
    assert got["just_right"] == pytest.approx(100 * (numbers == 3).mean(), abs=1e-9)
    assert got["too_much"] == pytest.approx(100 * (numbers > 3).mean(), abs=1e-9)


def test_just_about_right_in_cli_summary(tmp_path, capsys):
    import json

    from tpm import cli

    answers, sides = JAR_SHAPES["en3"]
    header = "The call was …"
    frame = jar_rows(answers, header)
    path = tmp_path / "jar.csv"
    path.write_bytes(csv_bytes([list(frame.columns)] + frame.astype(object).values.tolist()))
    db = tmp_path / "t.duckdb"
    assert cli.main(["ingest", str(path), "--db", str(db)]) == 0
    assert "just-about-right (a distribution, not a rating): The call was …" in capsys.readouterr().out
    assert cli.main(["summary", "--db", str(db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [tp["name"] for tp in data["touchpoints"]] == ["Hotline"]
    expected = jar_truth(frame, header, answers, sides)
    (got,) = data["just_about_right"]
    assert got["question"] == header and got["n"] == expected["n"]
    for key in ("too_little", "just_right", "too_much"):
        assert got[key] == pytest.approx(expected[key], abs=1e-3)
    assert cli.main(["summary", "--db", str(db)]) == 0
    assert "just about right" in capsys.readouterr().out


def test_just_about_right_sides_unknown_are_unsure():
    from tpm.upload import prepare

    rows = [["ID", "Hotline (1-5)", "Geschmack"]] + [[i, 1 + i % 5, ["too sweet", "just right", "too sour"][i % 3]]
                                                       for i in range(60)]
    spec = spec_of(prepare("taste.csv", csv_bytes(rows)).specs, "Geschmack")
    assert spec.role == "jar" and spec.unsure and "side" in spec.unsure


def test_a_column_set_to_just_about_right_by_hand_must_be_one():
    from tpm.ingest import IngestError
    from tpm.ingest.normalise import normalise
    from tpm.upload import prepare

    rows = [["ID", "Hotline (1-5)", "Region"]] + [[i, 1 + i % 5, ["Nord", "Süd"][i % 2]] for i in range(40)]
    prepared = prepare("hand.csv", csv_bytes(rows))
    spec = spec_of(prepared.specs, "Region")
    spec.role = "jar"
    with pytest.raises(IngestError, match="no just-about-right scale"):
        normalise(prepared.table, prepared.specs)


def test_overview_shows_the_just_about_right_shares(db_path, monkeypatch):
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    answers, sides = JAR_SHAPES["de3"]
    header = "Die Wartezeit war …"
    frame = jar_rows(answers, header)
    connection = store.connect(db_path)
    store.save_import(connection, ingest_bytes("jar.xlsx", xlsx_bytes([list(frame.columns)] + frame.astype(object).values.tolist())))
    connection.close()
    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    assert not app.exception and not app.error
    assert any(h.value == "Genau richtig?" for h in app.subheader)
    table = next(d.value for d in app.dataframe if "genau richtig %" in getattr(d.value, "columns", []))
    row = table.set_index("Frage").loc[header]
    expected = jar_truth(frame, header, answers, sides)
    assert row["n"] == expected["n"]
    assert row["zu wenig %"] == pytest.approx(expected["too_little"], abs=1e-9)
    assert row["genau richtig %"] == pytest.approx(expected["just_right"], abs=1e-9)
    assert row["zu viel %"] == pytest.approx(expected["too_much"], abs=1e-9)


def test_next_wave_takes_the_chosen_reading_without_the_old_scores(tmp_path, capsys):
    from tpm import cli
    from tpm.upload import prepare

    db = tmp_path / "t.duckdb"
    first = tmp_path / "w1.csv"
    first.write_bytes(csv_bytes([["ID", "Website"]] + [[f"R{i}", a] for i, a in enumerate(six_point_answers())]))
    assert cli.main(["ingest", str(first), "--db", str(db), "--scale", "Website=1-5", "--missing", "Website=6"]) == 0
    capsys.readouterr()
    second = csv_bytes([["ID", "Website"]] + [[f"S{i}", a] for i, a in enumerate(six_point_answers(seed=8))])
    connection = store.connect(db)
    spec = spec_of(prepare("w2.csv", second, con=connection).specs, "Website")
    connection.close()
    assert (spec.scale_min, spec.scale_max, spec.missing_codes, spec.unsure) == (1, 5, [6.0], None)
    assert spec.candidates is None  # the first wave's readings scored the first wave's answers


def _sets_with_a_no_answer_word():
    from tpm.ingest.scales import LABEL_SETS, normalise_label
    from tpm.ingest.values import MISSING_TOKENS

    cases = []
    for name, points in LABEL_SETS.items():
        for rank, spellings in enumerate(points):
            for spelling in spellings:
                if normalise_label(spelling) in MISSING_TOKENS:
                    cases.append((name, rank, spelling))
    return cases


@pytest.mark.parametrize("name, rank, spelling", _sets_with_a_no_answer_word())
def test_every_label_set_point_that_is_a_no_answer_word_elsewhere(name, rank, spelling):
    """The rule, for every known set: a point spelled like a no-answer word is that point when
    the other answers are this set, beside real don't-know answers."""
    from tpm.ingest.scales import LABEL_SETS

    points = [spellings[0] for spellings in LABEL_SETS[name]]
    points[rank] = spelling
    answers = [points[i % len(points)] for i in range(10 * len(points))] + ["weiß nicht", "k.A.", "weiß nicht"]
    result = ingest_bytes("set.csv", csv_bytes([["ID", "Frage"]] + [[i, a] for i, a in enumerate(answers)]))
    spec = spec_of(result.specs, "Frage")
    assert spec.role == "rating" and spec.scale_max == len(points)
    ratings = result.canonical.ratings
    assert len(ratings) == 10 * len(points) and len(result.canonical.dont_know) == 3
    assert (ratings["score"] == rank + 1).sum() == 10


@pytest.mark.parametrize("header, reversed_", [
    ("Beratung (1 = sehr gut, 6 = ungenügend)", True),
    ("Hotline (1 = trifft voll zu … 4 = trifft gar nicht zu)", True),
    ("Beratung (1 = sehr schlecht, 5 = sehr gut)", False),
])
def test_a_stated_scale_whose_first_point_is_the_best_is_unsure(header, reversed_):
    from tpm.upload import prepare

    rows = [["ID", header]] + [[i, 1 + i % 4] for i in range(40)]
    spec = spec_of(prepare("rev.csv", csv_bytes(rows)).specs, header)
    assert spec.role == "rating"
    assert bool(spec.unsure and "best point" in spec.unsure) == reversed_


# --- property: every reading of a guessed scale, against plain numpy ------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def ranged_answers(draw):
    """Answers within a random range inside 0–10 (the range's ends given at least once)."""
    lo = draw(st.integers(0, 9))
    hi = draw(st.integers(lo + 1, 10))
    inner = draw(st.lists(st.integers(lo, hi), min_size=1, max_size=60))
    return draw(st.permutations([lo, hi] + inner))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=ranged_answers(), dont_know=st.integers(0, 3))
def test_readings_of_a_guessed_scale(answers, dont_know):
    """Whatever the answers: the proposal's top is an answer someone gave (or a reading says it is
    not), each reading holds every answer it keeps, and its score is the plain mean on its scale."""
    from tpm.upload import prepare

    rows = [["ID", "Hotline"]] + [[f"R{i}", a] for i, a in enumerate(answers)] + [[f"D{i}", "weiß nicht"] for i in range(dont_know)]
    spec = spec_of(prepare("prop.csv", csv_bytes(rows)).specs, "Hotline")
    if spec.role != "rating":
        return
    a = np.array(answers, dtype=float)
    if spec.unsure is None:  # sure only when the data prove it: 0 and 10 both given
        assert a.min() == 0 and a.max() == 10 and not spec.candidates
        return
    assert spec.candidates, spec
    first = spec.candidates[0]
    stray_zero = first["missing_codes"] is None and a.min() == 0 and spec.scale_min == 1
    if not stray_zero:
        assert (first["scale_min"], first["scale_max"]) == (spec.scale_min, spec.scale_max)
    if (1 if a.min() >= 1 else 0) + 2 <= a.max() and not stray_zero:  # the answers span a scale of 3 points or more
        assert spec.scale_max == a.max()  # never a top point nobody chose
    for c in spec.candidates:
        kept = a[~np.isin(a, c["missing_codes"] or [])]
        lo, hi = c["scale_min"], c["scale_max"]
        assert ((kept >= lo) & (kept <= hi)).all() and 3 <= hi - lo + 1 <= 11
        assert c["n"] == len(kept)
        assert c["score"] == pytest.approx((kept.mean() - lo) / (hi - lo) * 100, abs=1e-3)


def test_a_code_the_header_names_as_no_answer_is_a_missing_code(con):
    header = "Hotline (1 = schlecht, 4 = gut, 9 = weiß nicht)"
    answers = [[1, 2, 3, 4, 9][i % 5] for i in range(100)]
    result = ingest_bytes("codes.csv", csv_bytes([["ID", header]] + [[i, a] for i, a in enumerate(answers)]))
    spec = spec_of(result.specs, header)
    assert (spec.scale_min, spec.scale_max, spec.missing_codes, spec.unsure) == (1, 4, [9.0], None)
    expected = truth(answers, {v: v for v in range(1, 5)}, set(), 1, 4, 1)
    stats = stored_stats(con, result, "Hotline")
    assert stats["n"] == expected["n"] == 80
    assert stats["score_0_100"] == pytest.approx(expected["score"], abs=1e-9)


def test_remap_just_about_right_to_segment_and_back(tmp_path, capsys):
    """Re-mapping finds the sides again from the kept file; numbers without JAR words are refused."""
    import json

    from tpm import cli

    answers, sides = JAR_SHAPES["en5"]
    header = "The wait was …"
    frame = jar_rows(answers, header)
    path = tmp_path / "w.csv"
    path.write_bytes(csv_bytes([list(frame.columns)] + frame.astype(object).values.tolist()))
    db = tmp_path / "t.duckdb"
    assert cli.main(["ingest", str(path), "--db", str(db)]) == 0

    def summary():
        capsys.readouterr()
        assert cli.main(["summary", "--db", str(db), "--json"]) == 0
        return json.loads(capsys.readouterr().out)["just_about_right"]

    assert cli.main(["remap", "--db", str(db), "--dataset", "w", "--role", f"{header}=segment"]) == 0
    assert summary() == []
    assert cli.main(["remap", "--db", str(db), "--dataset", "w", "--role", f"{header}=jar"]) == 0
    (got,) = summary()
    expected = jar_truth(frame, header, answers, sides)
    assert got["n"] == expected["n"]
    for key in ("too_little", "just_right", "too_much"):
        assert got[key] == pytest.approx(expected[key], abs=1e-3)
    capsys.readouterr()
    assert cli.main(["remap", "--db", str(db), "--dataset", "w", "--role", "Hotline (1-5)=jar"]) == 2
    assert "no just-about-right scale" in capsys.readouterr().err


def test_answers_outside_the_stated_scale_offer_the_readings_that_hold_them():
    from tpm.upload import prepare

    answers = six_point_answers()
    rows = [["ID", "Website (1-5)"]] + [[f"R{i}", a] for i, a in enumerate(answers)]
    spec = spec_of(prepare("six.csv", csv_bytes(rows)).specs, "Website (1-5)")
    assert (spec.scale_min, spec.scale_max) == (1, 5) and "outside the stated scale" in spec.unsure
    expected = six_point_truth(answers)
    got = readings_of(spec)
    assert set(got) == set(expected)  # 1–5 itself is no reading: the 6s lie outside it
    for key, (score, n) in expected.items():
        assert got[key][0] == pytest.approx(score, abs=1e-4) and got[key][1] == n
