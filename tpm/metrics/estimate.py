"""A weighted mean from its sums (:class:`Estimate`): value, Taylor-linearised SE and Kish effective n
(formulas and references in :mod:`tpm.metrics.weighted`). numpy only: the metric registry
(:mod:`tpm.metrics.registry`) sits above it, the SQL sums (:mod:`tpm.metrics.weighted`) above that."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Estimate:
    """Arrays (one entry per group): value, SE, unweighted n, Kish n_eff, and Σw (the weighted base)."""

    value: np.ndarray
    se: np.ndarray
    n: np.ndarray
    n_eff: np.ndarray
    sw: np.ndarray


def taylor(n, sw, sw2, swy, sw2y, sw2yy) -> Estimate:
    """Weighted mean, Taylor SE and Kish n_eff from the sums (formulas in the module docstring)."""
    n, sw, sw2, swy, sw2y, sw2yy = (np.asarray(a, dtype=float) for a in (n, sw, sw2, swy, sw2y, sw2yy))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = swy / sw
        ss = sw2yy - 2 * mean * sw2y + mean**2 * sw2
        # the sum of three terms cancels where every y is (almost) the same: what is left below the
        # rounding of its terms (~1e-12 of their size) is no variance — never a spurious SE
        ss = np.where(ss > 1e-12 * (np.abs(sw2yy) + mean**2 * sw2), ss, 0.0)
        se = np.where(n > 1, np.sqrt(n / (n - 1) * ss) / sw, np.nan)
        n_eff = sw**2 / sw2
    return Estimate(mean, se, n, n_eff, sw)
