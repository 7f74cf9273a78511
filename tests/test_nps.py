"""NPS against the formulas of DOMAIN.md, computed by hand here (not by the code under test)."""

import math

import pytest

from tpm.metrics.nps import nps_difference_z, nps_from_counts

Z = 1.959963984540054  # qnorm(0.975)


def by_hand(det, pas, pro):
    n = det + pas + pro
    score = 100 * (pro - det) / n
    se = 100 * math.sqrt((pro / n + det / n - ((pro - det) / n) ** 2) / n)
    n2 = n + 3
    a, b = (pro + 0.75) / n2, (det + 0.75) / n2
    half = Z * math.sqrt((a + b - (a - b) ** 2) / n2)
    return score, se, max(-100, 100 * (a - b - half)), min(100, 100 * (a - b + half))


@pytest.mark.parametrize("counts", [(20, 30, 50), (1, 0, 0), (50, 10, 40), (7, 3, 190), (300, 400, 300)])
def test_matches_domain_formulas(counts):
    result = nps_from_counts(*counts)
    score, se, lo, hi = by_hand(*counts)
    assert result.n == sum(counts)
    assert result.score == pytest.approx(score, abs=1e-9)
    assert result.se == pytest.approx(se, abs=1e-9)
    assert result.ci_low == pytest.approx(lo, abs=1e-9)
    assert result.ci_high == pytest.approx(hi, abs=1e-9)


def test_worked_example():
    # 20 detractors, 30 passives, 50 promoters: NPS 30, SE sqrt(0.61/100) = 7.81 points,
    # adjusted Wald: n' = 103, p'pro = 50.75/103, p'det = 20.75/103 -> 14.05 … 44.20
    r = nps_from_counts(20, 30, 50)
    assert r.score == pytest.approx(30.0)
    assert r.se == pytest.approx(7.8102, abs=1e-4)
    assert r.ci_low == pytest.approx(14.05, abs=0.01)
    assert r.ci_high == pytest.approx(44.20, abs=0.01)


def test_interval_is_clipped_to_plus_minus_100():
    all_promoters = nps_from_counts(0, 0, 10)
    assert all_promoters.score == 100 and all_promoters.se == 0
    assert all_promoters.ci_high == 100.0
    assert all_promoters.ci_low == pytest.approx(47.5, abs=0.1)  # the adjusted interval is not degenerate
    all_detractors = nps_from_counts(10, 0, 0)
    assert all_detractors.ci_low == -100.0 and all_detractors.ci_high < -40


def test_empty_group_is_nan_not_zero():
    r = nps_from_counts(0, 0, 0)
    assert r.n == 0 and math.isnan(r.score) and math.isnan(r.ci_low)


def test_negative_counts_rejected():
    with pytest.raises(ValueError):
        nps_from_counts(-1, 2, 3)


def test_difference_z_by_hand():
    a, b = nps_from_counts(20, 30, 50), nps_from_counts(40, 30, 30)
    var_a = (0.5 + 0.2 - 0.3**2) / 100
    var_b = (0.3 + 0.4 - 0.1**2) / 100
    assert nps_difference_z(a, b) == pytest.approx((0.3 - (-0.1)) / math.sqrt(var_a + var_b))
