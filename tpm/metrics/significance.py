"""Significance tests used in breakdowns and tracking, from summary statistics.

- **Welch t-test** for two means (unequal variances): t = (m₁ − m₂)/√(s₁²/n₁ + s₂²/n₂),
  df by Welch–Satterthwaite; two-sided p from Student's t (= ``scipy.stats.ttest_ind(…,
  equal_var=False)``).
- **Two-proportion z-test** (pooled; = R's ``prop.test(correct = FALSE)``, whose X² is z²):
  z = (p₁ − p₂)/√(p̄(1 − p̄)(1/n₁ + 1/n₂)), p̄ = (x₁ + x₂)/(n₁ + n₂).
- **NPS difference** (DOMAIN.md): z = Δ/√(var₁/n₁ + var₂/n₂), var = p_pro + p_det − (p_pro − p_det)².
- **Benjamini–Hochberg** q-values within one table (false discovery rate).

All functions accept numpy arrays (vectorised) and return NaN where a test is not defined.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def welch_t(m1, s1, n1, m2, s2, n2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, df, two-sided p) of Welch's test from means, standard deviations and sizes."""
    m1, s1, n1, m2, s2, n2 = (np.asarray(a, dtype=float) for a in (m1, s1, n1, m2, s2, n2))
    with np.errstate(invalid="ignore", divide="ignore"):
        v1, v2 = s1**2 / n1, s2**2 / n2
        t = (m1 - m2) / np.sqrt(v1 + v2)
        df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
        p = 2 * stats.t.sf(np.abs(t), df)
    return t, df, p


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
        var1 = a_pro + a_det - (a_pro - a_det) ** 2
        var2 = b_pro + b_det - (b_pro - b_det) ** 2
        z = ((a_pro - a_det) - (b_pro - b_det)) / np.sqrt(var1 / n1 + var2 / n2)
        p = 2 * stats.norm.sf(np.abs(z))
    return z, p


def benjamini_hochberg(p) -> np.ndarray:
    """BH-adjusted q-values; NaN p-values (untested cells) stay NaN and do not count."""
    p = np.asarray(p, dtype=float)
    q = np.full_like(p, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    m = len(tested)
    if m == 0:
        return q
    order = tested[np.argsort(p[tested])]
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return q
