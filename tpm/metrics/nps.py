"""Net Promoter Score with its standard error and an adjusted-Wald 95 % interval.

On the 0–10 recommend question: promoters answer 9–10, passives 7–8, detractors 0–6.

- NPS = 100 · (p_pro − p_det), from −100 to +100.
- Per-respondent variance (scores −1, 0, +1): var = p_pro + p_det − (p_pro − p_det)²;
  plain Wald SE = 100 · sqrt(var / n).
- Adjusted-Wald 95 % CI (Rocks 2016, "Interval estimation for the net promoter score",
  The American Statistician 70(4)): add 3 pseudo-respondents — 0.75 detractor,
  1.5 passive, 0.75 promoter — i.e. n' = n + 3, p'_pro = (pro + 0.75)/n',
  p'_det = (det + 0.75)/n', then NPS' ± 1.96 · sqrt(var'/n'), clipped to ±100.
- Difference of two independent NPS: z = Δ / sqrt(var₁/n₁ + var₂/n₂) (in proportions;
  :func:`tpm.metrics.significance.nps_difference`).

Weighted (:func:`nps_weighted`): the NPS is the weighted mean of y ∈ {−100, 0, +100}, its SE the
Taylor-linearised SE of that mean and the 95 % CI NPS ± 1.96·SE clipped to ±100
(:mod:`tpm.metrics.weighted`); the mix shows weighted shares; n stays the unweighted count and
``n_eff`` the Kish effective n.
"""

from __future__ import annotations

from tpm.metrics.filters import Filter
from tpm.metrics.nps_counts import NPS, nps_from_counts


def nps_weighted(detractors: int, passives: int, promoters: int, sums: dict, confidence: float = 0.95) -> NPS:
    """Weighted NPS from the counts and the sums of y ∈ {−100, 0, 100} (``n, sw, sw2, swy, sw2y,
    sw2yy`` of :func:`tpm.metrics.weighted.moment_sql`, plus ``pro_w``/``det_w`` = Σw of each group)."""
    from tpm.metrics.estimate import Estimate, taylor
    from tpm.metrics.registry import METRICS

    n = int(detractors) + int(passives) + int(promoters)
    if n == 0:
        return nps_from_counts(0, 0, 0)
    est: Estimate = taylor(*(sums[k] for k in ("n", "sw", "sw2", "swy", "sw2y", "sw2yy")))
    low, high = METRICS["nps"].interval(est, True, confidence=confidence)
    sw = float(sums["sw"])
    pro, det = 100 * float(sums["pro_w"]) / sw, 100 * float(sums["det_w"]) / sw
    return NPS(int(detractors), int(passives), int(promoters), n, float(est.value), float(est.se), float(low), float(high),
               n_eff=float(est.n_eff), weighted=True, weighted_shares=(det, 100 - pro - det, pro))


def nps_sums_sql(column: str = "nps") -> str:
    """Counts and weighted sums of the NPS answers in ``column`` over units of
    :meth:`tpm.metrics.filters.Filter.units_cte` (``c`` respondents, weights summing to ``s1``, squares to ``s2``)."""
    from tpm.metrics.weighted import moment_sql, nps_group_sql, nps_y

    total = lambda what, group: f"coalesce(sum({what}) FILTER (WHERE {nps_group_sql(column, group)}), 0)"  # noqa: E731
    counts = ", ".join(f"{total('c', group)}::BIGINT AS {group}s" for group in ("detractor", "passive", "promoter"))
    return (f"{counts}, {moment_sql(nps_y(column), '', compact=True)}, "
            f"{total('s1', 'promoter')} AS pro_w, {total('s1', 'detractor')} AS det_w")


def nps_from_row(row: dict, weighted: bool) -> NPS:
    """NPS from one row of :func:`nps_sums_sql`: weighted, or the classic figures from the counts."""
    counts = (row["detractors"], row["passives"], row["promoters"])
    return nps_weighted(*counts, row) if weighted else nps_from_counts(*counts)


def nps_for(con, flt: Filter) -> NPS:
    """NPS of the respondents that pass ``flt`` (those who answered the question); weighted when
    ``flt`` is weighted and the data has weights."""
    from tpm.metrics.weighted import has_weights

    cte, params = flt.units_cte()
    frame = con.execute(f"WITH {cte} SELECT {nps_sums_sql()} FROM resp WHERE nps IS NOT NULL", params).df()
    return nps_from_row(frame.iloc[0].to_dict(), has_weights(con, flt))


def respondent_count(con, flt: Filter) -> int:
    cte, params = flt.units_cte()
    return int(con.execute(f"WITH {cte} SELECT coalesce(sum(c), 0)::BIGINT FROM resp", params).fetchone()[0])
