"""Tracking over waves: NPS and each touchpoint per wave, with 95 % CIs and the change to the
previous wave tested for significance.

A wave is the label set on import (``datasets.wave``; several datasets may share one), or is
derived from the response dates by ``month`` or ``quarter``. Waves are ordered by their first
response date (then by dataset).

Intervals: mean ± t·sd/√n (mean; the 0–100 score maps it); Wilson score interval (top-2-box);
adjusted Wald (NPS, :mod:`tpm.metrics.nps`). Weighted views: the Taylor-linearised intervals of
:mod:`tpm.metrics.weighted`, with ``n_eff`` beside ``n``.

Change tests (the same tests as the breakdowns, :func:`tpm.metrics.weighted.difference_p`):
Welch t, two-proportion z, NPS difference z; in weighted views the z-test on Taylor SEs.
So that a view does not cry wolf:

- a step is tested only when both waves have n ≥ :data:`~tpm.metrics.rules.MIN_TEST` (30,
  unweighted) — else ``p`` is NaN ("untested");
- ``q`` is the Benjamini–Hochberg adjustment across *all* steps shown in one view — every
  touchpoint × wave step, and with :func:`tracking_view` the NPS steps too; ``significant``
  means q < 0.05. (Testing each step at p < 0.05 flagged a change in ~60 % of views of data
  without any effect; see ``tests/test_tracking.py``.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tpm.metrics.filters import Filter
from tpm.metrics.nps import nps_from_row, nps_sums_sql
from tpm.metrics.rules import ALPHA, MIN_TEST
from tpm.metrics.significance import benjamini_hochberg
from tpm.metrics.weighted import Estimate, difference_p, estimate, has_weights, interval, rating_sums_sql

WAVE_BY = ("dataset", "month", "quarter")
#: the rule a tracking view states (the pages translate it: i18n key ``tracking_rule``)
TRACKING_RULE = (f"Benjamini–Hochberg q < {ALPHA:g} across all wave steps shown together; "
                 f"a step is tested only with n ≥ {MIN_TEST} in both waves")

_WAVE_EXPR = {
    "dataset": "d.wave",
    "month": "strftime(resp.responded_at, '%Y-%m')",
    "quarter": "CAST(year(resp.responded_at) AS VARCHAR) || '-Q' || CAST(quarter(resp.responded_at) AS VARCHAR)",
}


def _waves_cte(flt: Filter, by: str) -> tuple[str, list]:
    if by not in WAVE_BY:
        raise ValueError(f"waves by one of {WAVE_BY}")
    cte, params = flt.respondents_cte()
    sql = (f"{cte}, rw AS (SELECT resp.dataset_id, resp.resp, resp.nps, resp.responded_at, resp.w, {_WAVE_EXPR[by]} AS wave "
           "FROM resp JOIN datasets d ON d.id = resp.dataset_id), "
           "wave_order AS (SELECT wave, row_number() OVER (ORDER BY min(responded_at) NULLS LAST, min(dataset_id)) AS wave_no "
           "FROM rw WHERE wave IS NOT NULL GROUP BY wave)")
    return sql, params


def _interval(frame: pd.DataFrame, metric: str, est: Estimate, weighted: bool):
    if weighted or metric in ("mean", "score"):
        return interval(est, metric, weighted)
    with np.errstate(invalid="ignore", divide="ignore"):
        if metric == "top2":
            n, z, p = est.n, 1.959963984540054, est.value / 100
            centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
            half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
            return 100 * (centre - half), 100 * (centre + half)
    ci = [nps_from_row({"promoters": p, "detractors": d, "passives": n - p - d}, False)
          for p, d, n in zip(frame["nps_pro_n"], frame["nps_det_n"], frame["nps_n"])]
    return np.array([c.ci_low for c in ci]), np.array([c.ci_high for c in ci])


def _step_p(frame: pd.DataFrame, metric: str, est: Estimate, weighted: bool, series: list[str]) -> np.ndarray:
    """p of each wave against the previous wave of the same series; NaN below the base on either side."""
    prev_frame = frame.groupby(series).shift(1) if series else frame.shift(1)
    prev = estimate(prev_frame.assign(scale_min=frame["scale_min"], scale_max=frame["scale_max"]), metric) \
        if "scale_min" in frame else _nps_estimate(prev_frame)
    p = difference_p(est, prev, metric, weighted, frame, prev_frame)
    return np.where((est.n >= MIN_TEST) & (prev.n >= MIN_TEST), p, np.nan)


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
    """One row per wave × touchpoint: wave, wave_no, touchpoint, n, n_eff, value, ci_low, ci_high, change,
    p, q, significant (BH across the steps of this table), sd, se, weighted."""
    ctes, params = _waves_cte(flt, by)
    frame = con.execute(
        f"""WITH {ctes}
            SELECT w.wave, w.wave_no, t.touchpoint, t.scale_min, t.scale_max, {rating_sums_sql("rw.nps")}
            FROM ratings t JOIN rw USING (dataset_id, resp) JOIN wave_order w USING (wave)
            GROUP BY ALL""",
        params,
    ).df()
    series = ["touchpoint", "scale_min", "scale_max"]
    frame = frame.sort_values([*series, "wave_no"], ignore_index=True)
    weighted = has_weights(con, flt)
    est = estimate(frame, metric)
    low, high = _interval(frame, metric, est, weighted)
    prev_value = pd.Series(est.value).groupby([frame[c] for c in series]).shift(1).to_numpy(float)
    p = _step_p(frame, metric, est, weighted, series)
    return adjust(pd.DataFrame({
        "wave": frame["wave"], "wave_no": frame["wave_no"].astype(int), "touchpoint": frame["touchpoint"],
        "n": est.n.astype(int), "n_eff": est.n_eff, "value": est.value, "ci_low": low, "ci_high": high,
        "change": est.value - prev_value, "p": p, "sd": est.se * np.sqrt(est.n), "se": est.se, "weighted": weighted,
    }))[0]


def _nps_estimate(frame: pd.DataFrame) -> Estimate:
    from tpm.metrics.weighted import taylor

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
    return adjust(nps_trend(con, flt, by), touchpoint_trend(con, flt, metric, by))


def biggest_movers(trend: pd.DataFrame) -> pd.DataFrame:
    """Every wave-over-wave change (with ``from_wave``), significant ones first, then by size."""
    steps = trend.assign(from_wave=trend.groupby("touchpoint")["wave"].shift(1)).dropna(subset=["change"])
    return steps.assign(size=steps["change"].abs()).sort_values(["significant", "size"], ascending=[False, False],
                                                                 ignore_index=True).drop(columns="size")
