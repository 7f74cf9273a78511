"""Tracking over waves: NPS and each touchpoint per wave, with 95 % CIs and the change to the
previous wave tested for significance.

A wave is the label set on import (``datasets.wave``; several datasets may share one), or is
derived from the response dates by ``month`` or ``quarter``. Waves are ordered by their first
response date (then by dataset).

Intervals and change tests are the metric's own (:mod:`tpm.metrics.registry`, the same as the
breakdowns): mean ± t·sd/√n (mean; the 0–100 score maps it), Wilson (top-2-box), adjusted Wald
(NPS); Welch t, two-proportion z, NPS difference z. Weighted views: the Taylor-linearised
intervals and the z-test on Taylor SEs, with ``n_eff`` beside ``n``.
So that a view does not cry wolf:

- a step is tested only when both waves have the metric's minimum base
  (:data:`~tpm.metrics.rules.MIN_TEST`, unweighted n) — else ``p`` is NaN ("untested");
- ``q`` is the Benjamini–Hochberg adjustment across *all* steps shown in one view — every
  touchpoint × wave step, and with :func:`tracking_view` the NPS steps too; ``significant``
  means q < 0.05. (Testing each step at p < 0.05 flagged a change in ~60 % of views of data
  without any effect; see ``tests/test_tracking.py``.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tpm.metrics.estimate import Estimate, taylor
from tpm.metrics.filters import Filter
from tpm.metrics.nps import nps_from_row, nps_sums_sql
from tpm.metrics.registry import metric as metric_named
from tpm.metrics.rules import ALPHA, MIN_TEST
from tpm.metrics.significance import benjamini_hochberg
from tpm.metrics.weighted import grouped_rating_sums_sql, has_weights, split_totals

WAVE_BY = ("dataset", "month", "quarter")
#: the rule a tracking view states (the pages translate it: i18n key ``tracking_rule``)
TRACKING_RULE = (f"Benjamini–Hochberg q < {ALPHA:g} across all wave steps shown together; "
                 f"a step is tested only with n ≥ {MIN_TEST} in both waves")

_WAVE_EXPR = {
    "dataset": "d.wave",
    "month": "strftime(u.responded_at, '%Y-%m')",
    "quarter": "CAST(year(u.responded_at) AS VARCHAR) || '-Q' || CAST(quarter(u.responded_at) AS VARCHAR)",
}


def _waves_cte(flt: Filter, by: str) -> tuple[str, list]:
    if by not in WAVE_BY:
        raise ValueError(f"waves by one of {WAVE_BY}")
    cte, params = flt.units_cte()
    sql = (f"{cte}, rw AS (SELECT u.*, {_WAVE_EXPR[by]} AS wave FROM resp u JOIN datasets d ON d.id = u.dataset_id), "
           "wave_order AS (SELECT wave, row_number() OVER (ORDER BY min(responded_at) NULLS LAST, min(dataset_id)) AS wave_no "
           "FROM rw WHERE wave IS NOT NULL GROUP BY wave)")
    return sql, params


def _step_p(frame: pd.DataFrame, metric: str, est: Estimate, weighted: bool, series: list[str]) -> np.ndarray:
    """p of each wave against the previous wave of the same series; NaN below the base on either side."""
    m = metric_named(metric)
    prev_frame = frame.groupby(series).shift(1) if series else frame.shift(1)
    prev = m.estimate(prev_frame.assign(scale_min=frame["scale_min"], scale_max=frame["scale_max"])) \
        if "scale_min" in frame else _nps_estimate(prev_frame)
    p = m.difference_p(est, prev, weighted, frame, prev_frame)
    return np.where((est.n >= m.min_base) & (prev.n >= m.min_base), p, np.nan)


def adjust(*views: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
    """Benjamini–Hochberg across every tested step of all the frames (one view): sets ``q`` and
    ``significant`` (q < :data:`ALPHA`)."""
    p = np.concatenate([v["p"].to_numpy(float) for v in views])
    q = benjamini_hochberg(p)
    out, start = [], 0
    for view in views:
        part = q[start:start + len(view)]
        start += len(view)
        out.append(view.assign(q=part, significant=part < ALPHA))
    return tuple(out)


def touchpoint_trend(con, flt: Filter, metric: str = "score", by: str = "dataset") -> pd.DataFrame:
    """One row per wave × touchpoint and scale: wave, wave_no, touchpoint, scale_min, scale_max, n, n_eff, value, ci_low, ci_high, change,
    p, q, significant (BH across the steps of this table), sd, se, weighted."""
    return _trend_and_totals(con, flt, metric, by)[0]


def _trend_and_totals(con, flt: Filter, metric: str, by: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(:func:`touchpoint_trend`, the sums per touchpoint over all raters — waves or none) from one scan of the ratings."""
    ctes, params = _waves_cte(flt, by)
    series = ["touchpoint", "scale_min", "scale_max"]
    both = con.execute(
        f"""WITH {ctes} {grouped_rating_sums_sql(["wave", "wave_no", *series],
                                                 f"{flt.rated('rw', ', u.wave')} rt LEFT JOIN wave_order USING (wave)",
                                                 series)}""",
        params,
    ).df()
    frame, totals = split_totals(both, "wave_no")
    frame = frame.sort_values([*series, "wave_no"], ignore_index=True)
    weighted = has_weights(con, flt)
    est = metric_named(metric).estimate(frame)
    low, high = metric_named(metric).interval(est, weighted, frame)
    prev_value = pd.Series(est.value).groupby([frame[c] for c in series]).shift(1).to_numpy(float)
    p = _step_p(frame, metric, est, weighted, series)
    return adjust(pd.DataFrame({
        "wave": frame["wave"], "wave_no": frame["wave_no"].astype(int), "touchpoint": frame["touchpoint"],
        "scale_min": frame["scale_min"].astype(int), "scale_max": frame["scale_max"].astype(int), "n": est.n.astype(int), "n_eff": est.n_eff, "value": est.value, "ci_low": low, "ci_high": high,
        "change": est.value - prev_value, "p": p, "sd": est.se * np.sqrt(est.n), "se": est.se, "weighted": weighted,
    }))[0], totals


def _nps_estimate(frame: pd.DataFrame) -> Estimate:
    return taylor(*(frame[k].to_numpy(float) for k in ("n", "sw", "sw2", "swy", "sw2y", "sw2yy")))


def nps_trend(con, flt: Filter, by: str = "dataset") -> pd.DataFrame:
    """NPS per wave: wave, wave_no, n, n_eff, value, ci_low, ci_high, change, p, q, significant, weighted."""
    ctes, params = _waves_cte(flt, by)
    frame = con.execute(
        f"""WITH {ctes} SELECT w.wave, w.wave_no, {nps_sums_sql()}
            FROM rw JOIN wave_order w USING (wave) WHERE nps IS NOT NULL GROUP BY ALL ORDER BY w.wave_no""",
        params,
    ).df()
    weighted = has_weights(con, flt)
    scores = [nps_from_row(row, weighted) for row in frame.to_dict("records")]
    value = np.array([s.score for s in scores])
    est = Estimate(value, np.array([s.se for s in scores]), frame["n"].to_numpy(float),
                   np.array([s.n_eff for s in scores]), frame["sw"].to_numpy(float))
    p = _step_p(frame.rename(columns={"promoters": "nps_pro_n", "detractors": "nps_det_n"}), "nps", est, weighted, [])
    return adjust(pd.DataFrame({
        "wave": frame["wave"], "wave_no": frame["wave_no"].astype(int), "n": est.n.astype(int), "n_eff": est.n_eff,
        "value": value, "ci_low": [s.ci_low for s in scores], "ci_high": [s.ci_high for s in scores],
        "change": value - np.concatenate([[np.nan], value[:-1]]), "p": p, "weighted": weighted,
    }))[0]


def tracking_view(con, flt: Filter, metric: str = "score", by: str = "dataset") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(NPS per wave, touchpoints per wave) as the Tracking page and ``trend`` CLI show them together:
    Benjamini–Hochberg across all their steps at once."""
    return tracking_and_totals(con, flt, metric, by)[:2]


def tracking_and_totals(con, flt: Filter, metric: str = "score",
                        by: str = "dataset") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`tracking_view` and the touchpoints' :func:`tpm.metrics.segments.total_values` over all
    waves (what the Tracking page shows), the touchpoint figures from one scan of the ratings."""
    from tpm.metrics.segments import total_table

    trend, totals = _trend_and_totals(con, flt, metric, by)
    return (*adjust(nps_trend(con, flt, by), trend), total_table(totals, metric))


def wave_count(nps: pd.DataFrame, trend: pd.DataFrame) -> int:
    """The waves a tracking view has: of the NPS or of any touchpoint (a study without an NPS
    question is tracked by its touchpoints; two waves make a trend)."""
    return len(set(nps["wave"]) | set(trend["wave"]))


def biggest_movers(trend: pd.DataFrame) -> pd.DataFrame:
    """Every wave-over-wave change (with ``from_wave``: the wave before on the same scale), significant ones first, then by size."""
    series = [c for c in ("touchpoint", "scale_min", "scale_max") if c in trend]
    steps = trend.assign(from_wave=trend.groupby(series)["wave"].shift(1)).dropna(subset=["change"])
    return steps.assign(size=steps["change"].abs()).sort_values(["significant", "size"], ascending=[False, False],
                                                                 ignore_index=True).drop(columns="size")
