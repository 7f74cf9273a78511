"""One home for the metrics: what breakdowns, tracking, the heatmap, the pages, reports and the CLI
know about mean, 0–100 score, top-2-box, bottom-2-box and NPS among raters.

Every metric is a (weighted) mean of a per-respondent value y, summed in SQL by
:func:`tpm.metrics.weighted.rating_sums_sql` under the metric's ``prefix`` (n, Σw, Σw², Σwy, …).
A :class:`Metric` turns those sums into figures:

- **value** (``estimate``): ȳw = Σwy / Σw with the Taylor SE and Kish n_eff of
  :func:`tpm.metrics.estimate.taylor`, then the metric's transform —
  mean: ȳw on the file's scale; score: (ȳw − min) / (max − min) × 100 (SE × 100 / (max − min));
  top-2 / bottom-2 box: 100 · ȳw with y ∈ {0, 1}; NPS: ȳw with y ∈ {−100, 0, +100}.
- **test of a difference** of two independent groups (``difference_p``): weighted views use
  z = Δ / √(SE₁² + SE₂²) on the Taylor SEs; unweighted views the classic tests of
  :mod:`tpm.metrics.significance` (Welch t for mean and score, the pooled two-proportion z for
  the boxes, the NPS difference z), so unweighted figures are those of R/scipy.
- **interval** (``interval``, 95 %): means and scores ȳ ± t(n−1)·SE (R:
  ``confint(svymean(…), df = degf(design))``; unweighted = mean ± t·s/√n); boxes and NPS ± z·SE
  clipped to ``value_range`` when weighted, else Wilson (boxes) and adjusted Wald (NPS, DOMAIN.md).
- **bases** (:mod:`tpm.metrics.rules`, unweighted n): no test below ``min_base``, "caution" below
  ``caution``, hidden below the anonymity threshold.

Importing this module loads no NumPy/SciPy (the CLI's ``--help`` lists :data:`CHOICES`); the
numerical work is imported when a metric is first computed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tpm.metrics.rules import (
    ANONYMITY,
    CAUTION,
    MIN_TEST,
    score_0_100,
)

# --- value transforms: Estimate of ȳw → the metric's unit -----------------------------------


def _as_is(est, frame):
    return est


def _to_score(est, frame):
    lo, hi = frame["scale_min"].to_numpy(float), frame["scale_max"].to_numpy(float)
    est.value, est.se = score_0_100(est.value, lo, hi), score_0_100(est.se, 0, hi - lo)
    return est


def _to_percent(est, frame):
    est.value, est.se = 100 * est.value, 100 * est.se
    return est


# --- classic (unweighted) tests of a − b: the same sums, the textbook statistics -------------


def _welch(a, b, counts_a, counts_b):
    import numpy as np

    from tpm.metrics.significance import welch_t

    return welch_t(a.value, a.se * np.sqrt(a.n), a.n, b.value, b.se * np.sqrt(b.n), b.n)[1]


def _two_proportions(a, b, counts_a, counts_b):
    from tpm.metrics.significance import two_proportion_z

    return two_proportion_z(a.value / 100 * a.n, a.n, b.value / 100 * b.n, b.n)[1]


def _nps_difference(a, b, counts_a, counts_b):
    from tpm.metrics.significance import nps_difference

    (pro_a, det_a), (pro_b, det_b) = counts_a(), counts_b()
    return nps_difference(pro_a, det_a, a.n, pro_b, det_b, b.n)[1]


# --- intervals ------------------------------------------------------------------------------


def _t_interval(spec, est, confidence, counts):
    import numpy as np
    from scipy import stats

    half = stats.t.ppf(0.5 + confidence / 2, np.maximum(est.n - 1, 1)) * est.se
    return est.value - half, est.value + half


def _z_interval(spec, est, confidence, counts):
    import numpy as np
    from scipy import stats

    half = stats.norm.ppf(0.5 + confidence / 2) * est.se
    lo, hi = spec.value_range
    return np.clip(est.value - half, lo, hi), np.clip(est.value + half, lo, hi)


def _wilson(spec, est, confidence, counts):
    """Wilson score interval of a proportion (in %): (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)."""
    import numpy as np

    n, z, p = est.n, _z(confidence), est.value / 100
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return 100 * (centre - half), 100 * (centre + half)


def _adjusted_wald(spec, est, confidence, counts):
    """Adjusted-Wald NPS interval from the counts (:func:`tpm.metrics.nps_counts.nps_from_counts`)."""
    import numpy as np

    from tpm.metrics.nps_counts import nps_from_counts

    ci = [nps_from_counts(d, n - p - d, p, confidence) for p, d, n in zip(*counts(), est.n.astype(int))]
    return np.array([c.ci_low for c in ci]), np.array([c.ci_high for c in ci])


def _z(confidence: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2))


@dataclass(frozen=True)
class Metric:
    """A metric: where its sums are, how they become a value, how it is tested and shown."""

    name: str
    #: i18n key of its label (``tpm.i18n.t(metric.label, lang)``)
    label: str
    #: prefix of its sums in :func:`tpm.metrics.weighted.rating_sums_sql`
    prefix: str
    #: value transform of ȳw (and its SE) into the metric's unit
    transform: Callable
    #: classic test of a difference between two independent groups (unweighted views)
    test: Callable
    #: interval of a weighted view (Taylor SE): Student t or normal z clipped to ``value_range``
    weighted_interval: Callable
    #: interval of an unweighted view (the classic one; the same as weighted for means)
    classic_interval: Callable
    #: the range a value can take (None: the file's own scale)
    value_range: tuple[float, float] | None
    #: the heatmap's absolute colours span ``value_range`` (NPS: −100 red … +100 green), else the values shown
    fixed_colours: bool
    #: decimals on the heatmap cells and hover
    decimals: int
    #: formatting kinds (:mod:`tpm.formatting`) of a value and of a difference in tables
    kind: str
    diff_kind: str
    #: offered as a choice in breakdowns, tracking, the heatmap and the CLI (bottom-2-box is not:
    #: its colours would read "higher = better" the wrong way round)
    offered: bool = True
    #: bases (unweighted n, :mod:`tpm.metrics.rules`): no test below, "caution" below, hidden below
    min_base: int = MIN_TEST
    caution: int = CAUTION
    anonymity: int = ANONYMITY

    def estimate(self, frame, prefix: str = ""):
        """:class:`~tpm.metrics.estimate.Estimate` from the sums in ``frame`` (columns ``prefix`` +
        this metric's sum columns; ``scale_min``/``scale_max`` for the score)."""
        from tpm.metrics.estimate import taylor

        column = lambda name: frame[prefix + self.prefix + name].to_numpy(float)  # noqa: E731
        return self.transform(taylor(*(column(m) for m in ("n", "sw", "sw2", "swy", "sw2y", "sw2yy"))), frame)

    def _counts(self, frame, prefix: str):
        """(promoters, detractors) counts of the NPS sums in ``frame`` (only NPS tests need them)."""
        return lambda: tuple(frame[prefix + self.prefix + name].to_numpy(float) for name in ("pro_n", "det_n"))

    def difference_p(self, a, b, weighted: bool, frame_a=None, frame_b=None, prefix_a: str = "", prefix_b: str = ""):
        """Two-sided p of a − b (independent groups): weighted z = Δ / √(SE_a² + SE_b²), else :attr:`test`."""
        import numpy as np
        from scipy import stats

        with np.errstate(invalid="ignore", divide="ignore"):
            if weighted:
                return 2 * stats.norm.sf(np.abs((a.value - b.value) / np.sqrt(a.se**2 + b.se**2)))
            return self.test(a, b, self._counts(frame_a, prefix_a), self._counts(frame_b, prefix_b))

    def interval(self, est, weighted: bool, frame=None, prefix: str = "", confidence: float = 0.95):
        """(low, high) arrays: :attr:`weighted_interval` in weighted views, else :attr:`classic_interval`."""
        import numpy as np

        how = self.weighted_interval if weighted else self.classic_interval
        with np.errstate(invalid="ignore", divide="ignore"):
            return how(self, est, confidence, self._counts(frame, prefix))


#: every metric by name, in the order the choices are offered
METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("mean", label="mean", prefix="m_", transform=_as_is, test=_welch, weighted_interval=_t_interval,
           classic_interval=_t_interval, value_range=None, fixed_colours=False, decimals=2, kind="mean", diff_kind="diff2"),
    Metric("score", label="score_0_100", prefix="m_", transform=_to_score, test=_welch, weighted_interval=_t_interval,
           classic_interval=_t_interval, value_range=(0.0, 100.0), fixed_colours=False, decimals=0, kind="score", diff_kind="diff"),
    Metric("top2", label="top2_box", prefix="t2_", transform=_to_percent, test=_two_proportions, weighted_interval=_z_interval,
           classic_interval=_wilson, value_range=(0.0, 100.0), fixed_colours=False, decimals=0, kind="share", diff_kind="diff"),
    Metric("bottom2", label="bottom2_box", prefix="b2_", transform=_to_percent, test=_two_proportions, weighted_interval=_z_interval,
           classic_interval=_wilson, value_range=(0.0, 100.0), fixed_colours=False, decimals=0, kind="share", diff_kind="diff",
           offered=False),
    Metric("nps", label="nps_raters", prefix="nps_", transform=_as_is, test=_nps_difference, weighted_interval=_z_interval,
           classic_interval=_adjusted_wald, value_range=(-100.0, 100.0), fixed_colours=True, decimals=0, kind="nps", diff_kind="diff"),
)}
#: the metrics a user can choose (pages' select boxes, the CLI's ``--metric``)
CHOICES: tuple[str, ...] = tuple(name for name, m in METRICS.items() if m.offered)
#: the distinct sum prefixes, in SQL order
PREFIXES: tuple[str, ...] = tuple(dict.fromkeys(m.prefix for m in METRICS.values()))


def metric(name: str) -> Metric:
    """The metric called ``name``; a ValueError naming the choices otherwise."""
    try:
        return METRICS[name]
    except KeyError:
        raise ValueError(f"metric must be one of {tuple(METRICS)}") from None
