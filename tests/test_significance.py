"""Tests of significance against scipy / R-equivalent formulas, and the breakdown against planted truth."""

import math

import numpy as np
import pytest
from conftest import xlsx_bytes
from scipy import stats

from tpm import store
from tpm.ingest import ingest_bytes
from tpm.metrics import Filter
from tpm.metrics.segments import segment_breakdown
from tpm.metrics.significance import benjamini_hochberg, nps_difference, two_proportion_z, welch_t


def test_welch_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(5, 1, 40), rng.normal(5.6, 2, 70)
    t, p = welch_t(a.mean(), a.std(ddof=1), len(a), b.mean(), b.std(ddof=1), len(b))
    ref = stats.ttest_ind(a, b, equal_var=False)
    assert float(t) == pytest.approx(ref.statistic)
    assert float(p) == pytest.approx(ref.pvalue)


def test_two_proportions_match_prop_test_without_correction():
    # R: prop.test(c(15, 25), c(50, 50), correct = FALSE) -> X-squared = 4.1667, p-value = 0.04123
    z, p = two_proportion_z(15, 50, 25, 50)
    assert float(z) ** 2 == pytest.approx(4.1667, abs=1e-4)
    assert float(p) == pytest.approx(0.04123, abs=1e-5)
    _chi2, p_chi, *_ = stats.chi2_contingency([[15, 35], [25, 25]], correction=False)
    assert float(p) == pytest.approx(p_chi)


def test_nps_difference_by_hand():
    z, p = nps_difference(50, 20, 100, 30, 40, 100)
    var1, var2 = 0.5 + 0.2 - 0.3**2, 0.3 + 0.4 - 0.1**2
    expected = (0.3 + 0.1) / math.sqrt(var1 / 100 + var2 / 100)
    assert float(z) == pytest.approx(expected)
    assert float(p) == pytest.approx(2 * stats.norm.sf(expected))


def test_benjamini_hochberg_matches_scipy_and_skips_nan():
    p = np.array([0.01, 0.04, np.nan, 0.03, 0.2, 0.001])
    q = benjamini_hochberg(p)
    tested = ~np.isnan(p)
    np.testing.assert_allclose(q[tested], stats.false_discovery_control(p[tested], method="bh"))
    assert np.isnan(q[2])


def store_frame(con, rows, name):
    return store.save_import(con, ingest_bytes(f"{name}.xlsx", xlsx_bytes(rows)), name=name).dataset_id


def test_no_effect_flags_at_most_the_expected_share(con):
    rng = np.random.default_rng(7)
    n = 2000
    header = ["ID", "Region"] + [f"TP{i}" for i in range(10)] + ["Weiterempfehlung (0-10)"]
    regions = rng.choice(["A", "B", "C", "D", "E"], n)
    scores = rng.integers(1, 11, size=(n, 10))
    nps = rng.integers(0, 11, n)
    rows = [header] + [[i, regions[i], *scores[i].tolist(), int(nps[i])] for i in range(n)]
    dataset = store_frame(con, rows, "null")
    flagged = 0
    cells = 0
    for metric in ("mean", "top2", "nps"):
        table = segment_breakdown(con, Filter.of([dataset]), "Region", metric)
        flagged += table.flag.isin(["higher", "lower"]).sum()
        cells += len(table)
    assert cells == 150
    assert flagged <= 0.05 * cells  # FDR 5 %: on null data nearly nothing


def test_small_cells_are_untested_hidden_or_cautioned(con):
    rows = [["ID", "Gruppe", "Hotline"]]
    groups = ["gross"] * 200 + ["mittel"] * 40 + ["klein"] * 20 + ["winzig"] * 3
    for i, g in enumerate(groups):
        rows.append([i, g, (i % 10) + 1])
    dataset = store_frame(con, rows, "klein")
    table = segment_breakdown(con, Filter.of([dataset]), "Gruppe", "mean", anonymity=5).set_index("segment")
    assert table.loc["winzig", "flag"] == "hidden" and np.isnan(table.loc["winzig", "value"])
    assert table.loc["klein", "flag"] == "untested" and np.isnan(table.loc["klein", "p"])
    assert table.loc["mittel", "caution"] and not table.loc["gross", "caution"]
    assert table.loc["gross", "flag"] in ("ns", "higher", "lower")


def test_trend_intervals_match_scipy(con):
    from tpm.metrics.trend import touchpoint_trend

    rows = [["ID", "Hotline"]] + [[i, (i * 7) % 10 + 1] for i in range(120)]
    dataset = store_frame(con, rows, "welle")
    top2 = touchpoint_trend(con, Filter.of([dataset]), "top2").iloc[0]
    scores = np.array([(i * 7) % 10 + 1 for i in range(120)])
    k = int((scores >= 9).sum())
    wilson = stats.binomtest(k, 120).proportion_ci(method="wilson")
    assert top2.ci_low == pytest.approx(100 * wilson.low) and top2.ci_high == pytest.approx(100 * wilson.high)
    mean = touchpoint_trend(con, Filter.of([dataset]), "mean").iloc[0]
    ci = stats.t.interval(0.95, len(scores) - 1, loc=scores.mean(), scale=stats.sem(scores))
    assert (mean.ci_low, mean.ci_high) == pytest.approx(ci)
