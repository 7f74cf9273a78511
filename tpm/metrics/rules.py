"""The base and significance rules every breakdown, tracking view and label uses (DOMAIN.md).

All bases are *unweighted* counts of respondents, also in weighted views.
"""

#: no significance test below this base (on either side of a comparison); flagged "low base"
MIN_TEST = 30
#: below this base a tested figure is marked "interpret with caution"
CAUTION = 50
#: cells with fewer respondents are hidden (anonymity); configurable per view
ANONYMITY = 5
#: false discovery rate (Benjamini–Hochberg) / significance level
ALPHA = 0.05
#: scales with at most this many points have a one-point top/bottom box (else two points), so the
#: boxes of a 3- or 4-point scale never overlap
ONE_POINT_BOX_MAX_POINTS = 4
#: the groups of the 0–10 recommend answer (NPS): promoters answer at least PROMOTER_MIN (9–10),
#: detractors at most DETRACTOR_MAX (0–6), passives between (7–8). The SQL conditions are made from
#: these by :func:`tpm.metrics.weighted.nps_group_sql`.
PROMOTER_MIN = 9
DETRACTOR_MAX = 6
#: the names of those groups, lowest first (filters of the Comments page and the CLI)
NPS_GROUPS = ("detractor", "passive", "promoter")


def score_0_100(value, lo, hi):
    """A rating on the scale ``lo``…``hi`` as a 0–100 score: (value − lo) / (hi − lo) × 100, so 1–5 and
    1–10 surveys compare (numbers, arrays or columns). A difference or an SE maps with lo = 0 over
    the span: ``score_0_100(se, 0, hi - lo)``. The one home of the score transform."""
    return (value - lo) / (hi - lo) * 100
