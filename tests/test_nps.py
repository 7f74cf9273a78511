"""NPS against the formulas of DOMAIN.md, computed by hand here (not by the code under test)."""

import math

import pytest

from tpm.metrics.nps import nps_from_counts, nps_weighted
from tpm.metrics.significance import nps_difference

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
    assert (r.detractors, r.passives, r.promoters) == (0, 0, 0)
    assert math.isnan(r.se) and math.isnan(r.ci_high)


def test_negative_counts_rejected():
    for counts in ((-1, 2, 3), (2, -1, 3), (2, 3, -1)):
        with pytest.raises(ValueError, match=r"^counts must not be negative$"):
            nps_from_counts(*counts)
    assert nps_from_counts(0, 0, 1).n == 1  # zero counts are fine


def nps_difference_z(a, b) -> float:
    """z of NPS(a) − NPS(b) by the test the breakdowns and tracking use, from two results' counts."""
    return float(nps_difference(a.promoters, a.detractors, a.n, b.promoters, b.detractors, b.n)[0])


def test_difference_z_by_hand():
    a, b = nps_from_counts(20, 30, 50), nps_from_counts(40, 30, 30)
    var_a = (0.5 + 0.2 - 0.3**2) / 100
    var_b = (0.3 + 0.4 - 0.1**2) / 100
    assert nps_difference_z(a, b) == pytest.approx((0.3 - (-0.1)) / math.sqrt(var_a + var_b))


def test_shares_are_the_counts_over_n():
    r = nps_from_counts(20, 30, 50)
    assert (r.detractor_share, r.passive_share, r.promoter_share) == (20.0, 30.0, 50.0)
    assert math.isnan(nps_from_counts(0, 0, 0).promoter_share)
    assert nps_from_counts(1, 0, 3).promoter_share == 75.0


def test_difference_z_is_nan_without_respondents_or_variance():
    some = nps_from_counts(20, 30, 50)
    assert math.isnan(nps_difference_z(nps_from_counts(0, 0, 0), some))
    assert math.isnan(nps_difference_z(some, nps_from_counts(0, 0, 0)))
    assert math.isnan(nps_difference_z(nps_from_counts(0, 0, 9), nps_from_counts(0, 0, 4)))  # all promoters: no variance
    # equal variances (0.25 each, n = 10): z = (0.5 − (−0.5)) / √(0.025 + 0.025)
    assert nps_difference_z(nps_from_counts(0, 5, 5), nps_from_counts(5, 5, 0)) == pytest.approx(1 / math.sqrt(0.05))


def _weighted_sums(answers, weights):
    """The sums nps_weighted reads, written out over y ∈ {−100, 0, +100}."""
    y = [100.0 if a >= 9 else -100.0 if a <= 6 else 0.0 for a in answers]
    return {"n": len(y), "sw": sum(weights), "sw2": sum(w * w for w in weights),
            "swy": sum(w * v for w, v in zip(weights, y)), "sw2y": sum(w * w * v for w, v in zip(weights, y)),
            "sw2yy": sum(w * w * v * v for w, v in zip(weights, y)),
            "pro_w": sum(w for w, a in zip(weights, answers) if a >= 9),
            "det_w": sum(w for w, a in zip(weights, answers) if a <= 6)}


def test_weighted_nps_by_hand():
    # answers 10 (w 3), 8 (w 1), 2 (w 1), 0 (w 1): NPS = (300 − 100 − 100) / 6 = 16.67
    answers, weights = [10, 8, 2, 0], [3.0, 1.0, 1.0, 1.0]
    r = nps_weighted(2, 1, 1, _weighted_sums(answers, weights))
    mean = 100 / 6
    z = [w * ((100 if a >= 9 else -100 if a <= 6 else 0) - mean) / 6 for a, w in zip(answers, weights)]
    se = math.sqrt(4 / 3 * sum(v * v for v in z))
    assert r.weighted and r.score == pytest.approx(mean) and r.se == pytest.approx(se)
    assert (r.detractors, r.passives, r.promoters, r.n) == (2, 1, 1, 4)  # counts stay unweighted
    assert (r.detractor_share, r.passive_share, r.promoter_share) == pytest.approx((200 / 6, 100 / 6, 300 / 6))
    assert r.n_eff == pytest.approx(36 / 12)
    assert (r.ci_low, r.ci_high) == pytest.approx((mean - Z * se, min(100.0, mean + Z * se)))
    z90 = 1.6448536269514722  # qnorm(0.95)
    r90 = nps_weighted(2, 1, 1, _weighted_sums(answers, weights), confidence=0.90)
    assert (r90.ci_low, r90.ci_high) == pytest.approx((mean - z90 * se, min(100.0, mean + z90 * se)))


def test_weighted_nps_of_one_respondent_and_of_none():
    one = nps_weighted(0, 0, 1, _weighted_sums([9], [2.0]))
    assert one.n == 1 and one.score == 100.0 and math.isnan(one.se)
    none = nps_weighted(0, 0, 0, _weighted_sums([], []))
    assert none.n == 0 and math.isnan(none.score) and math.isnan(none.ci_low) and none.promoters == 0


def test_as_dict_has_every_figure():
    r = nps_from_counts(20, 30, 50)
    score, se, lo, hi = by_hand(20, 30, 50)
    assert r.as_dict() == pytest.approx({"detractors": 20, "passives": 30, "promoters": 50, "n": 100, "score": score,
                                         "se": se, "ci_low": lo, "ci_high": hi, "n_eff": 100.0, "weighted": False,
                                         "weighted_shares": None})
