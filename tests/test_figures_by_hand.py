"""The figures at the edges of their rules, against truth computed here from the raw rows.

Each test guards a rule whose mutation a suite comparing the code with itself did not notice
(issue #20, item 3): the box width of 3- and 4-point scales, the anonymity threshold at exactly
n = 5, the minimum base on *both* sides of a comparison, and the 0–100 score transform. The
expected numbers are counted by hand or with plain numpy/scipy over the rows written to the file,
never through TPM's sums. ``make mutation`` re-applies these mutations (tests/mutation/named.py)
and checks that this file kills each one.
"""

import math

import numpy as np
import pytest
from conftest import xlsx_bytes
from scipy import stats

from tpm import store
from tpm.ingest import ingest_bytes
from tpm.metrics import Filter
from tpm.metrics.satisfaction import touchpoint_stats
from tpm.metrics.segments import breakdown_and_totals, nps_by_segment, segment_breakdown, total_values
from tpm.metrics.trend import touchpoint_trend

AGREE_4 = ["stimme gar nicht zu", "stimme eher nicht zu", "stimme eher zu", "stimme voll zu"]


def load(con, rows, name="datei"):
    return store.save_import(con, ingest_bytes(f"{name}.xlsx", xlsx_bytes(rows)), name=name).dataset_id


# --- 1. boxes: one point on 3- and 4-point scales, two points from 5 points on -------------------

#: 20 answers per touchpoint: Beratung (4 labelled points), Service (1–3), Hotline (1–5), Kasse (1–10)
BERATUNG = [1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 2, 1, 3]
SERVICE = [1, 2, 3, 3, 3, 2, 2, 1, 3, 2, 2, 2, 3, 1, 2, 2, 3, 3, 2, 1]
HOTLINE = [1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 5, 5, 5, 4, 4, 3, 3, 3, 2, 2]
KASSE = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 10, 10, 9, 8, 8, 8, 2, 2, 1, 1]


@pytest.fixture
def boxes(con):
    rows = [["ID", "Beratung", "Service", "Hotline (1-5)", "Kasse (1-10)"]]
    rows += [[i, AGREE_4[b - 1], s, h, k] for i, (b, s, h, k) in enumerate(zip(BERATUNG, SERVICE, HOTLINE, KASSE))]
    return load(con, rows)


def test_top_and_bottom_box_width_follows_the_number_of_points(con, boxes):
    stats_ = touchpoint_stats(con, Filter.of([boxes])).set_index("touchpoint")
    assert stats_.loc[["Beratung", "Service", "Hotline", "Kasse"], ["scale_min", "scale_max"]].values.tolist() == [
        [1, 4], [1, 3], [1, 5], [1, 10]]
    # by hand: the top box of a 4-point scale is the 4s only (5 of 20), of a 3-point scale the 3s (7 of 20);
    # of 1–5 the 4s and 5s (9 of 20), of 1–10 the 9s and 10s (5 of 20)
    expected_top = {"Beratung": 5 / 20, "Service": 7 / 20, "Hotline": 9 / 20, "Kasse": 5 / 20}
    # bottom box: the 1s of 1–4 (3), the 1s of 1–3 (4); the 1s and 2s of 1–5 (6) and of 1–10 (6)
    expected_bottom = {"Beratung": 3 / 20, "Service": 4 / 20, "Hotline": 6 / 20, "Kasse": 6 / 20}
    for name, raw, top, lo_hi in (("Beratung", BERATUNG, 4, 1), ("Service", SERVICE, 3, 1),
                                  ("Hotline", HOTLINE, 5, 2), ("Kasse", KASSE, 10, 2)):
        values = np.array(raw)
        hi_points = 1 if top <= 4 else 2  # the house rule, independent of the code
        assert np.mean(values > top - hi_points) == expected_top[name]
        assert np.mean(values <= lo_hi) == expected_bottom[name]
    for name in expected_top:
        assert stats_.loc[name, "top2_box"] == pytest.approx(100 * expected_top[name], abs=1e-9)
        assert stats_.loc[name, "bottom2_box"] == pytest.approx(100 * expected_bottom[name], abs=1e-9)
    assert stats_.loc[["Beratung", "Service", "Hotline", "Kasse"], "box_points"].tolist() == [1, 1, 2, 2]


def test_the_top_box_metric_of_tracking_and_breakdowns_uses_the_same_width(con, boxes):
    trend = touchpoint_trend(con, Filter.of([boxes]), "top2").set_index("touchpoint")
    assert trend.loc["Beratung", "value"] == pytest.approx(25.0) and trend.loc["Service", "value"] == pytest.approx(35.0)
    wilson = stats.binomtest(5, 20).proportion_ci(method="wilson")  # Beratung: 5 of 20 in the top box
    assert (trend.loc["Beratung", "ci_low"], trend.loc["Beratung", "ci_high"]) == pytest.approx(
        (100 * wilson.low, 100 * wilson.high))
    totals = total_values(con, Filter.of([boxes]), "top2").set_index("touchpoint")
    assert totals.loc["Beratung", "value"] == pytest.approx(25.0) and totals.loc["Hotline", "value"] == pytest.approx(45.0)


@pytest.mark.parametrize("lo, hi, top, bottom", [
    (1, 3, {3}, {1}), (1, 4, {4}, {1}), (0, 3, {3}, {0}),  # 3 and 4 points: one point each
    (1, 5, {4, 5}, {1, 2}), (1, 7, {6, 7}, {1, 2}), (1, 10, {9, 10}, {1, 2}), (0, 10, {9, 10}, {0, 1}),
])
def test_the_box_condition_on_every_point_of_a_scale(lo, hi, top, bottom):
    """:func:`tpm.metrics.weighted.box_sql` with its default columns, run by DuckDB on every answer of the scale."""
    import duckdb

    from tpm.metrics.weighted import box_sql

    rows = duckdb.connect().execute(
        f"SELECT score, {box_sql(True)} AS top, {box_sql(False)} AS bottom "
        "FROM (SELECT range AS score, ? AS scale_min, ? AS scale_max FROM range(?, ? + 1)) ORDER BY score",
        [lo, hi, lo, hi]).fetchall()
    assert [r[0] for r in rows] == list(range(lo, hi + 1))
    assert {r[0] for r in rows if r[1]} == top and {r[0] for r in rows if r[2]} == bottom


# --- 2. anonymity: cells with fewer than 5 raters are hidden, exactly 5 are shown ----------------


def test_a_cell_of_exactly_five_is_shown_and_four_is_hidden(con):
    groups = ["fünf"] * 5 + ["vier"] * 4 + ["gross"] * 60
    hotline = [2, 4, 5, 3, 1] + [5, 5, 4, 4] + [(i % 5) + 1 for i in range(60)]
    nps = [10, 9, 0, 7, 8] + [10, 10, 10, 10] + [i % 11 for i in range(60)]
    rows = [["ID", "Gruppe", "Hotline (1-5)", "Weiterempfehlung (0-10)"]]
    rows += [[i, g, h, p] for i, (g, h, p) in enumerate(zip(groups, hotline, nps))]
    dataset = load(con, rows)
    table = segment_breakdown(con, Filter.of([dataset]), "Gruppe", "mean").set_index("segment")
    assert table.loc["fünf", "flag"] != "hidden" and table.loc["fünf", "value"] == pytest.approx(3.0)  # (2+4+5+3+1)/5
    assert table.loc["fünf", "n"] == 5
    assert table.loc["vier", "flag"] == "hidden" and math.isnan(table.loc["vier", "value"])
    assert math.isnan(table.loc["vier", "diff"]) and table.loc["vier", "dont_know"] == 0
    nps_table = nps_by_segment(con, Filter.of([dataset]), "Gruppe").set_index("segment")
    assert nps_table.loc["fünf", "flag"] != "hidden"
    assert nps_table.loc["fünf", "value"] == pytest.approx(100 * (2 - 1) / 5)  # promoters 10, 9; detractor 0
    assert nps_table.loc["vier", "flag"] == "hidden" and math.isnan(nps_table.loc["vier", "value"])
    # a stricter threshold of the caller hides the cell of five too
    strict = segment_breakdown(con, Filter.of([dataset]), "Gruppe", "mean", anonymity=6).set_index("segment")
    assert strict.loc["fünf", "flag"] == "hidden"


# --- 3. the minimum base (30) is checked on both sides: the cell and the rest --------------------


def _two_groups(con, n_a, n_b, name):
    """Group A rates 9/10, group B 1/2 (a difference no test can miss)."""
    rows = [["ID", "Gruppe", "Kasse (1-10)", "Weiterempfehlung (0-10)"]]
    rows += [[i, "A", 9 + i % 2, 10] for i in range(n_a)] + [[n_a + i, "B", 1 + i % 2, 0] for i in range(n_b)]
    return load(con, rows, name)


@pytest.mark.parametrize("metric", ["mean", "nps"])
def test_a_cell_is_tested_only_when_both_it_and_the_rest_have_the_minimum_base(con, metric):
    def flags(n_a, n_b):
        dataset = _two_groups(con, n_a, n_b, f"g{n_a}_{n_b}")
        flt = Filter.of([dataset])
        table = nps_by_segment(con, flt, "Gruppe") if metric == "nps" else segment_breakdown(con, flt, "Gruppe", metric)
        return table.set_index("segment")

    both = flags(30, 31)  # n = 30 on either side: tested
    assert both.loc["A", "flag"] == "higher" and both.loc["B", "flag"] == "lower"
    if metric == "mean":
        a = np.array([9 + i % 2 for i in range(30)], float)
        b = np.array([1 + i % 2 for i in range(31)], float)
        assert both.loc["A", "p"] == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue, rel=1e-9)
    big_cell = flags(200, 10)  # A: n = 200 but its rest (B) only 10 — untested, whatever the difference
    assert big_cell.loc["A", "flag"] == "untested" and math.isnan(big_cell.loc["A", "p"])
    assert big_cell.loc["B", "flag"] == "untested" and math.isnan(big_cell.loc["B", "q"])
    edge = flags(30, 29)  # A = 30 against a rest of 29; B = 29: neither is tested
    assert edge.loc["A", "flag"] == "untested" and edge.loc["B", "flag"] == "untested"


# --- 4. the 0–100 score: (mean − min) / (max − min) · 100, its SE scaled the same way --------------


def test_the_score_metric_maps_the_mean_and_its_interval_linearly(con):
    rng = np.random.default_rng(20)
    n = 80
    region = np.where(np.arange(n) < 50, "Nord", "Süd")
    hotline = rng.integers(1, 6, n)  # 1–5
    kasse = rng.integers(1, 11, n)  # 1–10
    rows = [["ID", "Region", "Hotline (1-5)", "Kasse (1-10)"]]
    rows += [[i, r, int(h), int(k)] for i, (r, h, k) in enumerate(zip(region, hotline, kasse))]
    dataset = load(con, rows)
    flt = Filter.of([dataset])

    def score(values, lo, hi):
        return (np.mean(values) - lo) / (hi - lo) * 100

    cells, totals = breakdown_and_totals(con, flt, "Region", "score")
    cells, totals = cells.set_index(["touchpoint", "segment"]), totals.set_index("touchpoint")
    for name, values, lo, hi in (("Hotline", hotline, 1, 5), ("Kasse", kasse, 1, 10)):
        assert totals.loc[name, "value"] == pytest.approx(score(values, lo, hi), rel=1e-12)
        nord, sud = values[region == "Nord"], values[region == "Süd"]
        assert cells.loc[(name, "Nord"), "value"] == pytest.approx(score(nord, lo, hi), rel=1e-12)
        assert cells.loc[(name, "Nord"), "rest"] == pytest.approx(score(sud, lo, hi), rel=1e-12)
        # Welch's t is scale-free: the p of the scores is the p of the raw ratings
        assert cells.loc[(name, "Nord"), "p"] == pytest.approx(stats.ttest_ind(nord, sud, equal_var=False).pvalue,
                                                               rel=1e-9)
    trend = touchpoint_trend(con, flt, "score").set_index("touchpoint")
    for name, values, lo, hi in (("Hotline", hotline, 1, 5), ("Kasse", kasse, 1, 10)):
        mean_ci = stats.t.interval(0.95, n - 1, loc=values.mean(), scale=stats.sem(values))
        row = trend.loc[name]
        assert row["value"] == pytest.approx(score(values, lo, hi), rel=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(
            tuple((c - lo) / (hi - lo) * 100 for c in mean_ci), rel=1e-9)
        assert row["se"] == pytest.approx(stats.sem(values) / (hi - lo) * 100, rel=1e-9)
    by_region = segment_breakdown(con, flt, "Region", "score", anonymity=0).set_index(["touchpoint", "segment"])
    assert by_region.loc[("Hotline", "Süd"), "value"] == pytest.approx(
        score(hotline[region == "Süd"], 1, 5), rel=1e-12)


# --- 5. NPS among raters over waves: the adjusted-Wald interval and the change test --------------


def _adjusted_wald(p, d, n, z=1.959963984540054):
    """Rocks (2016), written out here: 3 pseudo-respondents (0.75 promoter, 1.5 passive, 0.75 detractor)."""
    n2 = n + 3
    pp, pd_ = (p + 0.75) / n2, (d + 0.75) / n2
    half = z * math.sqrt((pp + pd_ - (pp - pd_) ** 2) / n2)
    return max(-100.0, 100 * (pp - pd_ - half)), min(100.0, 100 * (pp - pd_ + half))


def test_nps_among_raters_per_wave_has_the_adjusted_wald_interval_and_the_nps_difference_test(con):
    waves = {"W1": [10] * 20 + [8] * 10 + [3] * 10, "W2": [10] * 30 + [9] * 5 + [7] * 3 + [0] * 2}
    ids = []
    for wave, answers in waves.items():
        rows = [["ID", "Hotline (1-5)", "Weiterempfehlung (0-10)"]]
        rows += [[i, 1 + i % 5, a] for i, a in enumerate(answers)]
        rows += [[1000 + i, None, 10] for i in range(7)]  # recommend without rating the hotline: not among its raters
        ids.append(store.save_import(con, ingest_bytes(f"{wave}.xlsx", xlsx_bytes(rows)), name=wave, wave=wave).dataset_id)
    trend = touchpoint_trend(con, Filter.of(ids), "nps").set_index("wave")
    counts = {w: (sum(a >= 9 for a in v), sum(a <= 6 for a in v), len(v)) for w, v in waves.items()}
    assert counts == {"W1": (20, 10, 40), "W2": (35, 2, 40)}
    for wave, (p, d, n) in counts.items():
        row = trend.loc[wave]
        assert row["n"] == n and row["value"] == pytest.approx(100 * (p - d) / n)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(_adjusted_wald(p, d, n), rel=1e-9)
    # the step W1 → W2: z = Δ / √(var₁/n₁ + var₂/n₂), var = p_pro + p_det − (p_pro − p_det)²
    var = lambda p, d, n: (p / n + d / n - (p / n - d / n) ** 2) / n  # noqa: E731
    z = ((35 - 2) / 40 - (20 - 10) / 40) / math.sqrt(var(20, 10, 40) + var(35, 2, 40))
    assert trend.loc["W2", "p"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    assert trend.loc["W2", "change"] == pytest.approx(100 * 33 / 40 - 100 * 10 / 40)
    assert math.isnan(trend.loc["W1", "p"])


# --- 6. weighted intervals of shares stay within 0–100 ---------------------------------------------


def _taylor_se(y, w):
    """SE of a weighted mean in the influence-function form (R survey's svymean with weights only)."""
    y, w = np.asarray(y, float), np.asarray(w, float)
    z = w * (y - (w * y).sum() / w.sum()) / w.sum()
    return math.sqrt(len(y) / (len(y) - 1) * (z**2).sum())


def test_a_weighted_share_near_0_or_100_has_its_interval_clipped_to_the_range(con):
    n = 40
    weight = np.array([1.0 + (i % 3) for i in range(n)])
    kasse = np.array([10] + [5] * (n - 1))  # one answer of 40 in the top box
    hotline = np.array([3] + [10] * (n - 1))  # all but one
    rows = [["ID", "Kasse (1-10)", "Hotline (1-10)", "Gewicht"]]
    rows += [[i, int(k), int(h), float(w)] for i, (k, h, w) in enumerate(zip(kasse, hotline, weight))]
    dataset = load(con, rows)
    trend = touchpoint_trend(con, Filter.of([dataset]), "top2").set_index("touchpoint")
    z = stats.norm.ppf(0.975)
    for name, values in (("Kasse", kasse), ("Hotline", hotline)):
        y = (values >= 9).astype(float)
        share = 100 * (weight * y).sum() / weight.sum()
        se = 100 * _taylor_se(y, weight)
        row = trend.loc[name]
        assert row["value"] == pytest.approx(share, rel=1e-12) and row["se"] == pytest.approx(se, rel=1e-9)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((max(0.0, share - z * se), min(100.0, share + z * se)), abs=1e-9)
    assert trend.loc["Kasse", "ci_low"] == 0.0 and trend.loc["Hotline", "ci_high"] == 100.0  # both were clipped


# --- 7. the unweighted top-2-box test of a cell against its rest: the pooled two-proportion z -------


def test_the_top2_breakdown_tests_a_cell_against_its_rest_with_the_pooled_two_proportion_z(con):
    # Nord: 24 of 60 in the top box (9–10); Süd: 12 of 50
    nord = [10] * 14 + [9] * 10 + [5] * 36
    sud = [9] * 12 + [3] * 38
    rows = [["ID", "Region", "Kasse (1-10)"]] + [[i, "Nord", v] for i, v in enumerate(nord)]
    rows += [[100 + i, "Süd", v] for i, v in enumerate(sud)]
    table = segment_breakdown(con, Filter.of([load(con, rows)]), "Region", "top2").set_index("segment")
    pooled = (24 + 12) / 110
    z = (24 / 60 - 12 / 50) / math.sqrt(pooled * (1 - pooled) * (1 / 60 + 1 / 50))
    assert table.loc["Nord", "value"] == pytest.approx(40.0) and table.loc["Nord", "rest"] == pytest.approx(24.0)
    assert table.loc["Nord", "p"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    assert table.loc["Süd", "p"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)


# --- 8. the weight switch on the respondent path (the reference the compact tables are checked with) --


def test_the_respondent_path_weights_only_when_asked(con):
    rows = [["ID", "Kasse (1-10)", "Gewicht"]] + [[i, 9, 3.0] for i in range(10)] + [[10 + i, 3, 1.0] for i in range(30)]
    dataset = load(con, rows)
    for compact in (True, False):
        weighted = touchpoint_stats(con, Filter.of([dataset], compact=compact)).iloc[0]
        plain = touchpoint_stats(con, Filter.of([dataset], weighted=False, compact=compact)).iloc[0]
        assert weighted["mean"] == pytest.approx((10 * 3 * 9 + 30 * 3) / (10 * 3 + 30))  # 6.0
        assert plain["mean"] == pytest.approx((10 * 9 + 30 * 3) / 40)  # 4.5
        assert plain["n_eff"] == pytest.approx(40) and weighted["n_eff"] == pytest.approx(60**2 / (10 * 9 + 30))


def test_the_nps_interval_of_a_registry_metric_takes_its_confidence():
    import pandas as pd

    from tpm.metrics.estimate import Estimate
    from tpm.metrics.registry import METRICS

    frame = pd.DataFrame({"nps_pro_n": [20, 35], "nps_det_n": [10, 2]})
    est = Estimate(*(np.array(v, float) for v in ([25.0, 82.5], [np.nan] * 2, [40, 40], [40, 40], [40, 40])))
    z90 = stats.norm.ppf(0.95)
    low, high = METRICS["nps"].interval(est, False, frame, confidence=0.90)
    for i, (p, d) in enumerate(((20, 10), (35, 2))):
        assert (low[i], high[i]) == pytest.approx(_adjusted_wald(p, d, 40, z90), rel=1e-9)


# --- 9. respondents without a segment value: no cell of their own, but in every rest and total ------


def test_respondents_without_a_value_are_in_the_rest_and_total_but_no_cell(con):
    nord, sud, blank = [9] * 40, [5] * 40, [1] * 30
    rows = [["ID", "Region", "Kasse (1-10)"]] + [[i, "Nord", v] for i, v in enumerate(nord)]
    rows += [[100 + i, "Süd", v] for i, v in enumerate(sud)] + [[200 + i, None, v] for i, v in enumerate(blank)]
    cells, totals = breakdown_and_totals(con, Filter.of([load(con, rows)]), "Region", "mean")
    assert sorted(cells["segment"]) == ["Nord", "Süd"]
    cells = cells.set_index("segment")
    assert cells.loc["Nord", "rest"] == pytest.approx(np.mean(sud + blank))  # (40·5 + 30·1) / 70
    assert cells.loc["Süd", "rest"] == pytest.approx(np.mean(nord + blank))
    assert totals.iloc[0]["n"] == 110 and totals.iloc[0]["value"] == pytest.approx(np.mean(nord + sud + blank))


def test_one_respondent_has_a_value_but_no_standard_error():
    from tpm.metrics.estimate import taylor

    # w = 0.3, y = 9: the sums n, Σw, Σw², Σwy, Σw²y, Σw²y² (Σw²(y − ȳ)² is 0 but rounds to 8.9e-16)
    w, y = 0.3, 9.0
    est = taylor(1, w, w * w, w * y, w * w * y, w * w * y * y)
    assert float(est.value) == pytest.approx(9.0) and math.isnan(float(est.se))
    two = taylor(2, 2.0, 2.0, 10.0, 10.0, 58.0)  # y = 3, 7 with weight 1: SE = s/√n = √8/√2 = 2
    assert float(two.se) == pytest.approx(2.0)


def test_a_single_tested_p_value_is_its_own_q():
    from tpm.metrics.significance import benjamini_hochberg

    q = benjamini_hochberg([0.03, float("nan")])
    assert q[0] == pytest.approx(0.03) and math.isnan(q[1])
    assert np.isnan(benjamini_hochberg([float("nan")] * 3)).all()


def test_the_mean_interval_of_two_answers_has_one_degree_of_freedom(con):
    rows = [["ID", "Kasse (1-10)"], [1, 4], [2, 8]]
    row = touchpoint_trend(con, Filter.of([load(con, rows)]), "mean").iloc[0]
    half = 12.706204736174707 * 2.0  # t(0.975, 1) · s/√2, s = √8
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((6 - half, 6 + half), rel=1e-9)
