"""Significance tests used in breakdowns and tracking, from summary statistics.

- **Welch t-test** for two means (unequal variances): t = (m₁ − m₂)/√(s₁²/n₁ + s₂²/n₂),
  df by Welch–Satterthwaite; two-sided p from Student's t (``scipy.stats.ttest_ind_from_stats(…,
  equal_var=False)``).
- **Two-proportion z-test** (pooled; = R's ``prop.test(correct = FALSE)``, whose X² is z²):
  z = (p₁ − p₂)/√(p̄(1 − p̄)(1/n₁ + 1/n₂)), p̄ = (x₁ + x₂)/(n₁ + n₂).
- **NPS difference** (DOMAIN.md): z = Δ/√(var₁/n₁ + var₂/n₂), var of :func:`tpm.metrics.nps_counts.nps_variance`.
- **Benjamini–Hochberg** q-values within one table (false discovery rate; ``scipy.stats.false_discovery_control``).

All functions accept numpy arrays (vectorised) and return NaN where a test is not defined.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from tpm.metrics.nps_counts import nps_variance


def welch_t(m1, s1, n1, m2, s2, n2) -> tuple[np.ndarray, np.ndarray]:
    """(t, two-sided p) of Welch's test from means, standard deviations and sizes
    (``scipy.stats.ttest_ind_from_stats(equal_var=False)``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        result = stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False)
    return np.asarray(result.statistic, dtype=float), np.asarray(result.pvalue, dtype=float)


def two_proportion_z(x1, n1, x2, n2) -> tuple[np.ndarray, np.ndarray]:
    """(z, two-sided p) of the pooled two-proportion z-test, no continuity correction."""
    x1, n1, x2, n2 = (np.asarray(a, dtype=float) for a in (x1, n1, x2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (x1 + x2) / (n1 + n2)
        z = (x1 / n1 - x2 / n2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p = 2 * stats.norm.sf(np.abs(z))
    return z, p


def nps_difference(pro1, det1, n1, pro2, det2, n2) -> tuple[np.ndarray, np.ndarray]:
    """(z, two-sided p) for NPS₁ − NPS₂ of independent groups (counts of promoters/detractors)."""
    pro1, det1, n1, pro2, det2, n2 = (np.asarray(a, dtype=float) for a in (pro1, det1, n1, pro2, det2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        a_pro, a_det, b_pro, b_det = pro1 / n1, det1 / n1, pro2 / n2, det2 / n2
        var1, var2 = nps_variance(a_pro, a_det), nps_variance(b_pro, b_det)
        z = ((a_pro - a_det) - (b_pro - b_det)) / np.sqrt(var1 / n1 + var2 / n2)
        p = 2 * stats.norm.sf(np.abs(z))
    return z, p


def benjamini_hochberg(p) -> np.ndarray:
    """BH-adjusted q-values (``scipy.stats.false_discovery_control``); NaN p-values (untested cells)
    stay NaN and do not count."""
    p = np.asarray(p, dtype=float)
    q = np.full_like(p, np.nan)
    tested = ~np.isnan(p)
    if tested.any():
        q[tested] = stats.false_discovery_control(p[tested], method="bh")
    return q
