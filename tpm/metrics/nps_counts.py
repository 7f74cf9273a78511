"""The classic NPS of three counts: score, plain Wald SE and the adjusted-Wald interval (formulas
and reference in :mod:`tpm.metrics.nps`). Imports nothing of tpm: the registry's NPS interval
(:mod:`tpm.metrics.registry`) and the NPS figures of the pages (:mod:`tpm.metrics.nps`) both use it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from scipy.stats import norm


@dataclass(frozen=True)
class NPS:
    """NPS of a group. ``score``, ``se``, ``ci_low``, ``ci_high`` are in points (−100…+100)."""

    detractors: int
    passives: int
    promoters: int
    n: int
    score: float
    se: float
    ci_low: float
    ci_high: float
    n_eff: float = math.nan  #: Kish effective n (= n unweighted)
    weighted: bool = False
    #: weighted (detractor, passive, promoter) shares in %; None = the unweighted counts' shares
    weighted_shares: tuple[float, float, float] | None = None

    def _share(self, i: int, count: int) -> float:
        if self.weighted_shares is not None:
            return self.weighted_shares[i]
        return 100 * count / self.n if self.n else math.nan

    @property
    def promoter_share(self) -> float:
        return self._share(2, self.promoters)

    @property
    def passive_share(self) -> float:
        return self._share(1, self.passives)

    @property
    def detractor_share(self) -> float:
        return self._share(0, self.detractors)

    def as_dict(self) -> dict:
        return asdict(self)


def nps_variance(p_pro, p_det):
    """Per-respondent variance of the scores −1, 0, +1: p_pro + p_det − (p_pro − p_det)² (numbers or numpy arrays)."""
    return p_pro + p_det - (p_pro - p_det) ** 2


def nps_from_counts(detractors: int, passives: int, promoters: int, confidence: float = 0.95) -> NPS:
    """NPS, plain Wald SE and adjusted-Wald CI from the three counts (see module docstring).

    With n = 0 every figure is NaN.
    """
    detractors, passives, promoters = int(detractors), int(passives), int(promoters)
    if min(detractors, passives, promoters) < 0:
        raise ValueError("counts must not be negative")
    n = detractors + passives + promoters
    if n == 0:
        nan = math.nan
        return NPS(0, 0, 0, 0, nan, nan, nan, nan)
    z = float(norm.ppf(0.5 + confidence / 2))
    p_pro, p_det = promoters / n, detractors / n
    score = 100 * (p_pro - p_det)
    se = 100 * math.sqrt(nps_variance(p_pro, p_det) / n)
    n_adj = n + 3
    a_pro, a_det = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
    centre = a_pro - a_det
    half = z * math.sqrt(nps_variance(a_pro, a_det) / n_adj)
    return NPS(
        detractors=detractors,
        passives=passives,
        promoters=promoters,
        n=n,
        score=score,
        se=se,
        ci_low=max(-100.0, 100 * (centre - half)),
        ci_high=min(100.0, 100 * (centre + half)),
        n_eff=float(n),
    )
