"""Tracking over waves: NPS and each touchpoint per wave, with 95 % CIs and the change to the
previous wave tested for significance.

A wave is the label set on import (``datasets.wave``; several datasets may share one), or is
derived from the response dates by ``month`` or ``quarter``. Waves are ordered by their first
response date (then by dataset).

Intervals: mean ± t·sd/√n (mean; the 0–100 score maps it); Wilson score interval (top-2-box);
adjusted Wald (NPS, :mod:`tpm.metrics.nps`). Change tests: Welch t, two-proportion z, NPS
difference z (:mod:`tpm.metrics.significance`); ``significant`` means p < 0.05 (each
wave-over-wave step is one planned comparison per touchpoint, so no FDR adjustment here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from tpm.metrics.filters import Filter
from tpm.metrics.nps import COUNTS_SQL, nps_from_counts
from tpm.metrics.segments import _SUMS, _values
from tpm.metrics.significance import nps_difference, two_proportion_z, welch_t

WAVE_BY = ("dataset", "month", "quarter")
ALPHA = 0.05

_WAVE_EXPR = {
    "dataset": "d.wave",
    "month": "strftime(resp.responded_at, '%Y-%m')",
    "quarter": "CAST(year(resp.responded_at) AS VARCHAR) || '-Q' || CAST(quarter(resp.responded_at) AS VARCHAR)",
}


def _waves_cte(flt: Filter, by: str) -> tuple[str, list]:
    if by not in WAVE_BY:
        raise ValueError(f"waves by one of {WAVE_BY}")
    cte, params = flt.respondents_cte()
    sql = (f"{cte}, rw AS (SELECT resp.dataset_id, resp.resp, resp.nps, resp.responded_at, {_WAVE_EXPR[by]} AS wave "
           "FROM resp JOIN datasets d ON d.id = resp.dataset_id), "
           "wave_order AS (SELECT wave, row_number() OVER (ORDER BY min(responded_at) NULLS LAST, min(dataset_id)) AS wave_no "
           "FROM rw WHERE wave IS NOT NULL GROUP BY wave)")
    return sql, params


def _interval(frame: pd.DataFrame, metric: str, value: np.ndarray, sd: np.ndarray, n: np.ndarray):
    with np.errstate(invalid="ignore", divide="ignore"):
        if metric in ("mean", "score"):
            half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
            return value - half, value + half
        if metric == "top2":
            z, p = 1.959963984540054, value / 100
            centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
            half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
            return 100 * (centre - half), 100 * (centre + half)
    ci = [nps_from_counts(d, nn - p - d, p) for p, d, nn in zip(frame["pro"], frame["det"], frame["nps_n"])]
    return np.array([c.ci_low for c in ci]), np.array([c.ci_high for c in ci])


def _change_test(frame: pd.DataFrame, metric: str, value, sd, n) -> np.ndarray:
    prev = frame.groupby(["touchpoint", "scale_min", "scale_max"]).shift(1)
    if metric in ("mean", "score"):
        prev_value = prev["value"].to_numpy(float)
        _, _, p = welch_t(value, sd, n, prev_value, prev["sd"].to_numpy(float), prev["metric_n"].to_numpy(float))
    elif metric == "top2":
        _, p = two_proportion_z(frame["top2"], frame["n"], prev["top2"], prev["n"])
    else:
        _, p = nps_difference(frame["pro"], frame["det"], frame["nps_n"], prev["pro"], prev["det"], prev["nps_n"])
    return np.asarray(p, dtype=float)


def touchpoint_trend(con, flt: Filter, metric: str = "score", by: str = "dataset") -> pd.DataFrame:
    """One row per wave × touchpoint: wave, wave_no, touchpoint, n, value, ci_low, ci_high, change, p, significant."""
    ctes, params = _waves_cte(flt, by)
    frame = con.execute(
        f"""WITH {ctes}
            SELECT w.wave, w.wave_no, t.touchpoint, t.scale_min, t.scale_max, {_SUMS.replace('resp.nps', 'rw.nps')}
            FROM ratings t JOIN rw USING (dataset_id, resp) JOIN wave_order w USING (wave)
            GROUP BY ALL ORDER BY t.touchpoint, w.wave_no""",
        params,
    ).df()
    value, sd, n = _values(frame, "", metric)
    frame["value"], frame["sd"], frame["metric_n"] = value, sd, n
    frame = frame.sort_values(["touchpoint", "scale_min", "scale_max", "wave_no"], ignore_index=True)
    value, sd, n = frame["value"].to_numpy(float), frame["sd"].to_numpy(float), frame["metric_n"].to_numpy(float)
    low, high = _interval(frame, metric, value, sd, n)
    prev_value = frame.groupby(["touchpoint", "scale_min", "scale_max"])["value"].shift(1).to_numpy(float)
    p = _change_test(frame, metric, value, sd, n)
    return pd.DataFrame({
        "wave": frame["wave"], "wave_no": frame["wave_no"].astype(int), "touchpoint": frame["touchpoint"],
        "n": n.astype(int), "value": value, "ci_low": low, "ci_high": high, "change": value - prev_value,
        "p": p, "significant": p < ALPHA, "sd": sd,
    })


def nps_trend(con, flt: Filter, by: str = "dataset") -> pd.DataFrame:
    """NPS per wave: wave, wave_no, n, value, ci_low, ci_high, change, p, significant."""
    ctes, params = _waves_cte(flt, by)
    frame = con.execute(
        f"""WITH {ctes} SELECT w.wave, w.wave_no, {COUNTS_SQL}
            FROM rw JOIN wave_order w USING (wave) WHERE nps IS NOT NULL GROUP BY ALL ORDER BY w.wave_no""",
        params,
    ).df()
    scores = [nps_from_counts(d, pa, pr) for d, pa, pr in zip(frame["detractors"], frame["passives"], frame["promoters"])]
    n = frame["detractors"] + frame["passives"] + frame["promoters"]
    value = np.array([s.score for s in scores])
    _, p = nps_difference(frame["promoters"], frame["detractors"], n,
                          frame["promoters"].shift(1), frame["detractors"].shift(1), n.shift(1))
    p = np.asarray(p, dtype=float)
    return pd.DataFrame({
        "wave": frame["wave"], "wave_no": frame["wave_no"].astype(int), "n": n.astype(int), "value": value,
        "ci_low": [s.ci_low for s in scores], "ci_high": [s.ci_high for s in scores],
        "change": value - np.concatenate([[np.nan], value[:-1]]), "p": p, "significant": p < ALPHA,
    })


def biggest_movers(trend: pd.DataFrame) -> pd.DataFrame:
    """Every wave-over-wave change (with ``from_wave``), significant ones first, then by size."""
    steps = trend.assign(from_wave=trend.groupby("touchpoint")["wave"].shift(1)).dropna(subset=["change"])
    return steps.assign(size=steps["change"].abs()).sort_values(["significant", "size"], ascending=[False, False],
                                                                 ignore_index=True).drop(columns="size")
