"""Every figure of summary, segments (by an ordinary and by a multiple-choice question), trend and
drivers equals a plain pandas computation from the raw rows (``tests/truth.py``), on random
studies and random filters — on the compact count tables (the default fast path) and on the
respondent path alike.

The studies (hypothesis): 1–3 waves of 8–60 respondents, with and without survey weights, a
multiple-choice question (random ticks, none too), blank segment values, "weiß nicht" answers,
the Hotline asked on different scales in different waves, a wave that calls it "Telefon-Hotline"
(merged into the Hotline afterwards: an alias), respondent ids repeated across waves. The views:
a random subset of waves, region values and channel options (the multiple-choice question as a
filter), weighted or not. ``make test`` runs a few examples; ``make verify`` runs many more
(``--hypothesis-profile=verify``)."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import truth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tpm import inventory, store
from tpm.ingest import ingest_bytes
from tpm.metrics import Filter
from tpm.metrics.rules import MIN_TEST

STUDY = "Differenz"
TOL = dict(rel=1e-9, abs=1e-9)


@st.composite
def studies(draw):
    waves = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    alias = waves >= 2 and draw(st.booleans())
    out = []
    for k in range(waves):
        scales = {"Hotline": draw(st.sampled_from(truth.SCALES["Hotline"])), "Shop": 7, "Website": 5}
        out.append(truth.draw_wave(f"Welle {k + 1}", rng, n=draw(st.integers(8, 60)), weighted=draw(st.booleans()),
                                   scales=scales, hotline_name=truth.ALIAS if alias and k == 1 else "Hotline",
                                   blank=draw(st.sampled_from([0.0, 0.2, 0.4])),
                                   dont_know=draw(st.sampled_from([0.0, 0.1]))))
    return out


@st.composite
def views(draw, names):
    subset = lambda values: tuple(sorted(draw(st.sets(st.sampled_from(values)))))  # noqa: E731
    return truth.View(waves=subset(names), regions=subset(truth.REGIONS), channels=subset(truth.CHANNELS),
                      weighted=draw(st.booleans()))


def build(con, waves: list[truth.Wave]) -> dict[str, int]:
    """The waves imported into one study as the upload would (file → ingest → store); a wave that
    calls the Hotline "Telefon-Hotline" is merged into the Hotline (the inventory's merge: an alias)."""
    ids = {}
    for wave in waves:
        result = ingest_bytes(f"{wave.name}.csv", wave.csv())
        ids[wave.name] = store.save_import(con, result, name=wave.name, study=STUDY).dataset_id
    if any(w.hotline_name == truth.ALIAS for w in waves):
        inventory.merge(con, truth.ALIAS, "Hotline", study=STUDY)
    return ids


def tpm_filter(view: truth.View, ids: dict[str, int], compact: bool) -> Filter:
    segments = {"Region": list(view.regions), "Kanal": list(view.channels)}
    return Filter.of([ids[w] for w in view.waves], segments, weighted=view.weighted, compact=compact)


def close(a, b) -> bool:
    return (isinstance(a, float) and math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, **TOL)


def assert_table(got: pd.DataFrame, want: pd.DataFrame, keys: list[str], columns: dict[str, str], what: str) -> None:
    """Every row of ``want`` is in ``got`` (and no other row), with equal ``columns`` (want → got names)."""
    got_rows = {tuple(row[k] for k in keys): row for row in got.to_dict("records")}
    want_rows = {tuple(row[k] for k in keys): row for row in want.to_dict("records")}
    assert set(got_rows) == set(want_rows), f"{what}: rows {sorted(got_rows)} ≠ truth {sorted(want_rows)}"
    for key, row in want_rows.items():
        for mine, theirs in columns.items():
            assert close(float(got_rows[key][theirs]), float(row[mine])), \
                f"{what} {key} {mine}: TPM {got_rows[key][theirs]} ≠ truth {row[mine]}"


def check_view(con, waves, ids, view: truth.View, compact: bool) -> None:
    from tpm.metrics.drivers import drivers_for
    from tpm.metrics.nps import nps_for, respondent_count
    from tpm.metrics.satisfaction import touchpoint_stats
    from tpm.metrics.segments import breakdown_and_totals, nps_by_segment
    from tpm.metrics.trend import tracking_and_totals

    flt = tpm_filter(view, ids, compact)
    what = f"{view} compact={compact}"
    resp, rt, dk = truth.respondents(waves, view), truth.ratings(waves, view), truth.dont_knows(waves, view)

    # summary: respondents, NPS, touchpoints (n, mean, score, top-2, NPS among raters, don't know)
    assert respondent_count(con, flt) == len(resp), what
    n, value = truth.nps(resp)
    got = nps_for(con, flt)
    assert got.n == n and close(got.score, value), f"{what}: NPS {got.n}/{got.score} ≠ {n}/{value}"
    stats = touchpoint_stats(con, flt)
    table = truth.touchpoint_table(rt)
    assert_table(stats, table, ["touchpoint", "scale_min", "scale_max"],
                 {"n": "n", "mean": "mean", "score": "score_0_100", "top2": "top2_box", "nps": "nps"}, f"{what} stats")
    dont_know = dk.groupby("touchpoint").size().to_dict()
    assert stats.groupby("touchpoint")["dont_know"].sum().to_dict() == {tp: dont_know.get(tp, 0) for tp in
                                                                        stats["touchpoint"].unique()}, what

    # segments: by an ordinary question and by the multiple-choice one (cells, rest, total, p; NPS)
    for by in ("Region", "Kanal"):
        cells, totals = breakdown_and_totals(con, flt, by, "mean", anonymity=1)
        want = truth.breakdown(rt, by)
        assert_table(cells, want, ["touchpoint", "scale_min", "scale_max", "segment"],
                     {"n": "n", "value": "value", "rest": "rest", "diff": "diff"}, f"{what} by {by}")
        tested = want[(want["n"] >= MIN_TEST) & (want["rest_n"] >= MIN_TEST)]
        assert_table(cells.merge(tested[["touchpoint", "scale_min", "scale_max", "segment"]]), tested,
                     ["touchpoint", "scale_min", "scale_max", "segment"], {"p": "p"}, f"{what} p by {by}")
        assert_table(totals, table, ["touchpoint", "scale_min", "scale_max"], {"n": "n", "mean": "value"},
                     f"{what} total column by {by}")
        want = truth.nps_breakdown(resp, by)
        got = nps_by_segment(con, flt, by, anonymity=1)
        assert_table(got, want, ["segment"], {"n": "n", "value": "value", "diff": "diff", "n_eff": "n_eff",
                                              "ci_low": "ci_low", "ci_high": "ci_high"}, f"{what} NPS by {by}")
        # the anonymity threshold: below it a cell shows its n and nothing else
        threshold = int(want["n"].median()) if len(want) else 1
        shown = nps_by_segment(con, flt, by, anonymity=threshold).set_index("segment")
        for row in want.to_dict("records"):
            hidden = row["n"] < threshold
            for column in ("value", "diff", "n_eff", "ci_low", "ci_high"):
                assert np.isnan(shown.loc[row["segment"], column]) == (hidden or np.isnan(row[column])), \
                    f"{what} NPS by {by} {row['segment']} {column} at anonymity {threshold}"

    # trend: the 0–100 score per wave and its change, per touchpoint and scale
    _, steps, _ = tracking_and_totals(con, flt, "score", "dataset")
    order = truth.wave_order(resp, [w.name for w in waves])
    want = truth.trend(rt, order)
    labels = {ids[name]: name for name in order}
    steps = steps.assign(wave=[labels.get(w, w) for w in steps["wave"]])
    if "scale_max" in steps:
        assert_table(steps, want, ["wave", "touchpoint", "scale_max"], {"n": "n", "value": "value", "change": "change"},
                     f"{what} trend")
    else:  # (rows of one touchpoint on two scales are told apart by their figures)
        key = lambda f: sorted((r["wave"], r["touchpoint"], int(r["n"]), round(float(r["value"]), 9))  # noqa: E731
                               for r in f.to_dict("records"))
        assert key(steps) == key(want), f"{what} trend"

    # drivers of the NPS: pairs, R² and the Shapley values from the pairwise correlations
    drivers = list(truth.SCALES)
    frame, weights = truth.driver_matrix(waves, view, drivers)
    R, counts = truth.pairwise(frame, weights)
    if counts.min() >= 5 and np.isfinite(R).all() and np.linalg.eigvalsh(R).min() > 1e-3:
        result = drivers_for(con, flt, outcome="nps", drivers=drivers)
        r2, phi = truth.shapley(R)
        assert close(result.r2, r2), f"{what}: R² {result.r2} ≠ {r2}"
        got = result.table.set_index("driver")
        for k, name in enumerate(drivers):
            assert int(got.loc[name, "n"]) == counts[0, k + 1], f"{what}: pairs of {name}"
            assert close(float(got.loc[name, "raw"]), phi[k]), f"{what}: Shapley of {name}"


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(waves=studies(), data=st.data())
def test_every_figure_equals_plain_pandas(waves, data):
    with tempfile.TemporaryDirectory() as folder:
        con = store.connect(Path(folder) / "tpm.duckdb")
        try:
            ids = build(con, waves)
            for _ in range(3):
                view = data.draw(views([w.name for w in waves]))
                for compact in (True, False):
                    check_view(con, waves, ids, view, compact)
        finally:
            con.close()


def test_a_real_limesurvey_export_with_two_multiple_choice_questions(con):
    """The automotive expert survey (LimeSurvey, two header rows, two multiple-choice questions):
    unfiltered and filtered to "Hintergrund = Informatik", every heatmap cell by the diagram kinds
    equals pandas over the raw file (issue #20: 29 respondents with Informatik, where TPM showed 36;
    Communication × Aktivitätsdiagramme n = 22, score 86.4 over everyone, where it showed 31, 83.1)."""
    from conftest import REALWORLD

    from tpm.metrics.nps import respondent_count
    from tpm.metrics.segments import breakdown_and_totals

    path = REALWORLD / "limesurvey_de_semicolon_bom_automotive.csv"
    raw = pd.read_csv(path, sep=";", encoding="utf-8-sig", header=None, dtype=str, keep_default_na=False)
    questions = raw.iloc[0].replace("", np.nan).ffill()
    answers = raw.iloc[2:].reset_index(drop=True)
    column = lambda question, option: answers[  # noqa: E731
        next(i for i in range(raw.shape[1]) if str(questions[i]).startswith(question) and raw.iloc[1, i] == option)]
    points = {"gar nicht": 1, "selten": 2, "eher selten": 3, "eher häufig": 4, "sehr häufig": 5}  # the file's order
    kinds = ["CAD/3D Modelle", "E/E-Architekturmodelle", "Zustandsdiagramme", "Aktivitätsdiagramme",
             "Datenbank(schema)", "Prozessmodell", "Vorgehensmodell"]
    informatik = column("Welchen fachlichen Hintergrund", "Informatik") == "Ja"

    saved = store.save_import(con, ingest_bytes(path.name, path.read_bytes()), name="automotive", study="Automotive")
    background = "Welchen fachlichen Hintergrund haben Sie?"
    kind_question = next(s for (s,) in con.execute("SELECT DISTINCT segment FROM segments WHERE segment LIKE 'Um welche%'")
                         .fetchall())
    everyone = pd.Series(True, index=answers.index)
    assert respondent_count(con, Filter.of([saved.dataset_id], {background: ["Informatik"]})) == int(informatik.sum()) == 29
    checked = 0
    for chosen, who in (({}, everyone), ({background: ["Informatik"]}, informatik)):
        cells, _ = breakdown_and_totals(con, Filter.of([saved.dataset_id], chosen, weighted=False), kind_question, "score",
                                        anonymity=1)
        for purpose in ("Communication", "Documentation"):
            scores = column("Wie häufig werden solche informellen Diagramme", purpose).map(points)
            for kind in kinds:
                ticked = who & (column("Um welche Arten", kind) == "Ja") & scores.notna()
                cell = cells[(cells["touchpoint"] == purpose) & (cells["segment"] == kind)]
                if not ticked.any():
                    assert cell.empty
                    continue
                want = (scores[ticked].mean() - 1) / 4 * 100
                assert int(cell["n"].iloc[0]) == int(ticked.sum()), (chosen, purpose, kind)
                assert cell["value"].iloc[0] == pytest.approx(want, abs=1e-9), (chosen, purpose, kind)
                checked += 1
        if not chosen:
            cell = cells[(cells["touchpoint"] == "Communication") & (cells["segment"] == "Aktivitätsdiagramme")]
            assert (int(cell["n"].iloc[0]), round(float(cell["value"].iloc[0]), 1)) == (22, 86.4)
    assert checked >= 20


@pytest.mark.parametrize("compact", [True, False])
def test_the_issue_rows_of_a_multiple_choice_question(con, compact):
    """Issue #20's rows on a file whose truth is worked by hand: four groups of 100 with the tick
    sets {Filiale}, {Online}, {Filiale, Online}, {Telefon}, Hotline 9 / 6 / 6 / 3 (±1 by Zone) and
    NPS answers 10 / 10 / 8 / 2. Before the set keys {Filiale, Online} and {Telefon} were one
    profile (codes 1 + 2 = 3): Telefon showed 200 respondents, Filiale n = 300, 6.00, NPS 0; and on
    both paths the total counted a respondent once per ticked option (n 500 of 400)."""
    from conftest import german_csv_bytes

    from tpm.metrics.drivers import drivers_for
    from tpm.metrics.nps import nps_for, respondent_count
    from tpm.metrics.segments import breakdown_and_totals, nps_by_segment

    sets, hotline, recommend = [("ja", "", ""), ("", "ja", ""), ("ja", "ja", ""), ("", "", "ja")], [9, 6, 6, 3], [10, 10, 8, 2]
    rows = [["ID", "Kanal [Filiale]", "Kanal [Online]", "Kanal [Telefon]", "Zone", "Hotline (1-10)", "Website (1-10)",
             "Weiterempfehlung (0-10)"]]
    for i in range(400):
        g, north = i // 100, i % 2 == 0
        rows.append([f"r{i}", *sets[g], "Nord" if north else "Süd", str(hotline[g] + (1 if north else -1)),
                     str(1 + (7 * i) % 10), str(recommend[g])])
    ds = store.save_import(con, ingest_bytes("mc.csv", german_csv_bytes(rows)), name="mc", study="MC").dataset_id
    telefon = Filter.of([ds], {"Kanal": ["Telefon"]}, compact=compact)
    assert respondent_count(con, telefon) == 100 and nps_for(con, telefon).score == pytest.approx(-100)
    everyone = Filter.of([ds], weighted=False, compact=compact)
    cells, totals = breakdown_and_totals(con, everyone, "Kanal", "mean", anonymity=1)
    hot = cells[cells["touchpoint"] == "Hotline"].set_index("segment")
    assert hot["n"].to_dict() == {"Filiale": 200, "Online": 200, "Telefon": 100}
    assert hot["value"].to_dict() == pytest.approx({"Filiale": 7.5, "Online": 6.0, "Telefon": 3.0})
    assert hot["rest"].to_dict() == pytest.approx({"Filiale": 4.5, "Online": 6.0, "Telefon": 7.0})
    assert hot.loc["Filiale", "flag"] == "higher" and hot.loc["Telefon", "flag"] == "lower"
    total = totals[totals["touchpoint"] == "Hotline"].iloc[0]
    assert (int(total["n"]), total["value"]) == (400, pytest.approx(6.0))
    assert nps_by_segment(con, everyone, "Kanal", anonymity=1).set_index("segment")["value"].to_dict() == \
        pytest.approx({"Filiale": 50.0, "Online": 50.0, "Telefon": -100.0})
    zone = breakdown_and_totals(con, everyone, "Zone", "mean", anonymity=1)[0]
    assert zone[zone["touchpoint"] == "Hotline"].set_index("segment")["value"].to_dict() == pytest.approx({"Nord": 7.0, "Süd": 5.0})
    online = drivers_for(con, Filter.of([ds], {"Kanal": ["Online"]}, compact=compact), drivers=["Hotline", "Website"])
    assert online.n == 200 and set(online.table["n"]) == {200}


def test_a_group_whose_answers_are_all_alike_has_no_standard_error():
    """Found by ``make verify``: weighted detractors only (y = −100 for all) left a rounding residue of
    Σw²(y − ȳ)² whose root made a CI of −100 … −99.999996; the truth is SE 0, CI −100 … −100."""
    from tpm.metrics.estimate import taylor

    w = np.array([0.4047, 1.3311, 0.7093, 2.2152, 0.9])
    y = np.full(5, -100.0)
    est = taylor(len(y), w.sum(), (w**2).sum(), (w * y).sum(), (w**2 * y).sum(), (w**2 * y * y).sum())
    assert est.value == pytest.approx(-100.0) and est.se == 0.0
    y[2] = -99.0  # one answer apart: a real SE, √(n/(n−1)·Σw²(y−ȳ)²)/Σw written out
    mean = (w * y).sum() / w.sum()
    est = taylor(len(y), w.sum(), (w**2).sum(), (w * y).sum(), (w**2 * y).sum(), (w**2 * y * y).sum())
    assert est.se == pytest.approx(math.sqrt(5 / 4 * (w**2 * (y - mean) ** 2).sum()) / w.sum(), rel=1e-9)
