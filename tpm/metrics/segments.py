"""Segment breakdowns with significance: each touchpoint × segment value against the rest.

For every cell (raters of a touchpoint in one segment value) and the *rest* (all other raters
of that touchpoint in the filtered sample):

- ``value``: mean, 0–100 score, top-2-box % or NPS among raters; ``diff`` = cell − rest;
- ``p``: Welch t-test (mean, score), two-proportion z-test (top-2-box), NPS difference z-test;
- ``q``: Benjamini–Hochberg within the table;
- ``flag``: ``higher``/``lower`` (q < 0.05), ``ns``, ``untested`` (cell or rest below
  :data:`MIN_TEST` = 30), ``hidden`` (cell below the anonymity threshold: no value shown);
  ``caution`` marks cells with n < :data:`CAUTION` = 50 (DOMAIN.md).

Sums come from one SQL ``GROUP BY`` in DuckDB; the rest is the total minus the cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tpm.metrics.filters import Filter
from tpm.metrics.satisfaction import TOP_BOX_SQL
from tpm.metrics.significance import benjamini_hochberg, nps_difference, two_proportion_z, welch_t

METRICS = ("mean", "score", "top2", "nps")
MIN_TEST = 30
CAUTION = 50
ANONYMITY = 5
ALPHA = 0.05

_SUMS = f"""count(*) AS n, sum(score) AS s, sum(score * score) AS ss,
    count(*) FILTER (WHERE {TOP_BOX_SQL}) AS top2,
    count(resp.nps) AS nps_n, count(*) FILTER (WHERE resp.nps >= 9) AS pro, count(*) FILTER (WHERE resp.nps <= 6) AS det"""


def _sums(con, flt: Filter, by: str | None) -> pd.DataFrame:
    cte, params = flt.respondents_cte()
    if by is None:
        sql = f"""WITH {cte} SELECT t.touchpoint, t.scale_min, t.scale_max, {_SUMS}
                  FROM ratings t JOIN resp USING (dataset_id, resp) GROUP BY ALL"""
        return con.execute(sql, params).df()
    sql = f"""WITH {cte} SELECT t.touchpoint, t.scale_min, t.scale_max, s.value AS segment, {_SUMS}
              FROM ratings t JOIN resp USING (dataset_id, resp)
              JOIN segments s ON s.dataset_id = t.dataset_id AND s.resp = t.resp AND s.segment = ?
              GROUP BY ALL"""
    return con.execute(sql, params + [by]).df()


def _values(frame: pd.DataFrame, prefix: str, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(value, sd, n) of one side (columns with ``prefix``) for ``metric``."""
    n = frame[prefix + "n"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = frame[prefix + "s"].to_numpy(float) / n
        var = (frame[prefix + "ss"].to_numpy(float) - n * mean**2) / (n - 1)
        sd = np.sqrt(np.maximum(var, 0))
        if metric == "mean":
            return mean, sd, n
        if metric == "score":
            span = (frame["scale_max"] - frame["scale_min"]).to_numpy(float)
            return (mean - frame["scale_min"].to_numpy(float)) / span * 100, sd / span * 100, n
        if metric == "top2":
            return 100 * frame[prefix + "top2"].to_numpy(float) / n, sd, n
        nps_n = frame[prefix + "nps_n"].to_numpy(float)
        return 100 * (frame[prefix + "pro"].to_numpy(float) - frame[prefix + "det"].to_numpy(float)) / nps_n, sd, nps_n


def segment_breakdown(con, flt: Filter, by: str, metric: str = "mean", anonymity: int = ANONYMITY) -> pd.DataFrame:
    """Cells of touchpoint × value of segment ``by``, with diff to the rest, p, q and flag."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}")
    cells = _sums(con, flt, by)
    totals = _sums(con, flt, None)
    keys = ["touchpoint", "scale_min", "scale_max"]
    frame = cells.merge(totals, on=keys, suffixes=("", "_total"))
    for col in ("n", "s", "ss", "top2", "nps_n", "pro", "det"):
        frame["rest_" + col] = frame[col + "_total"] - frame[col]
    value, sd, n = _values(frame, "", metric)
    rest, rest_sd, rest_n = _values(frame, "rest_", metric)
    if metric in ("mean", "score"):
        _, _, p = welch_t(value, sd, n, rest, rest_sd, rest_n)
    elif metric == "top2":
        _, p = two_proportion_z(frame["top2"], frame["n"], frame["rest_top2"], frame["rest_n"])
    else:
        _, p = nps_difference(frame["pro"], frame["det"], frame["nps_n"], frame["rest_pro"], frame["rest_det"], frame["rest_nps_n"])
    hidden = frame["n"].to_numpy() < anonymity
    testable = (n >= MIN_TEST) & (rest_n >= MIN_TEST) & ~hidden & np.isfinite(p)
    p = np.where(testable, p, np.nan)
    q = benjamini_hochberg(p)
    diff = value - rest
    flag = np.where(hidden, "hidden", np.where(~testable, "untested", np.where(q < ALPHA, np.where(diff > 0, "higher", "lower"), "ns")))
    out = pd.DataFrame({
        "touchpoint": frame["touchpoint"], "segment": frame["segment"], "scale_min": frame["scale_min"],
        "scale_max": frame["scale_max"], "n": frame["n"].astype(int), "metric_n": n.astype(int),
        "value": np.where(hidden, np.nan, value), "rest": rest, "diff": np.where(hidden, np.nan, diff),
        "p": p, "q": q, "flag": flag, "caution": (n < CAUTION) & ~hidden,
    })
    return out.sort_values(["touchpoint", "segment"], ignore_index=True)


def total_values(con, flt: Filter, metric: str) -> pd.DataFrame:
    """The metric over all raters per touchpoint (the heatmap's total column)."""
    totals = _sums(con, flt, None)
    value, _, n = _values(totals, "", metric)
    return pd.DataFrame({"touchpoint": totals["touchpoint"], "scale_min": totals["scale_min"],
                         "scale_max": totals["scale_max"], "n": n.astype(int), "value": value})


def nps_by_segment(con, flt: Filter, by: str, anonymity: int = ANONYMITY) -> pd.DataFrame:
    """NPS per value of segment ``by`` with adjusted-Wald CI, and its difference to the rest
    (NPS difference z-test, BH across the values): segment, n, value, ci_low, ci_high, diff, p, q, flag."""
    from tpm.metrics.nps import COUNTS_SQL, nps_from_counts

    cte, params = flt.respondents_cte()
    frame = con.execute(
        f"""WITH {cte} SELECT s.value AS segment, {COUNTS_SQL}
            FROM resp JOIN segments s ON s.dataset_id = resp.dataset_id AND s.resp = resp.resp AND s.segment = ?
            WHERE resp.nps IS NOT NULL GROUP BY ALL ORDER BY segment""",
        params + [by],
    ).df()
    total = con.execute(f"WITH {cte} SELECT {COUNTS_SQL} FROM resp WHERE nps IS NOT NULL", params).fetchone()
    det, pas, pro = (frame[c].to_numpy(float) for c in ("detractors", "passives", "promoters"))
    n = det + pas + pro
    rest_det, rest_pro, rest_n = total[0] - det, total[2] - pro, sum(total) - n
    scores = [nps_from_counts(*counts) for counts in zip(det, pas, pro)]
    _, p = nps_difference(pro, det, n, rest_pro, rest_det, rest_n)
    hidden = n < anonymity
    testable = (n >= MIN_TEST) & (rest_n >= MIN_TEST) & ~hidden & np.isfinite(p)
    p = np.where(testable, p, np.nan)
    q = benjamini_hochberg(p)
    value = np.array([s.score for s in scores])
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = 100 * (rest_pro - rest_det) / rest_n
    diff = value - rest
    flag = np.where(hidden, "hidden", np.where(~testable, "untested", np.where(q < ALPHA, np.where(diff > 0, "higher", "lower"), "ns")))
    return pd.DataFrame({
        "segment": frame["segment"], "n": n.astype(int), "value": np.where(hidden, np.nan, value),
        "ci_low": np.where(hidden, np.nan, [s.ci_low for s in scores]),
        "ci_high": np.where(hidden, np.nan, [s.ci_high for s in scores]),
        "diff": np.where(hidden, np.nan, diff), "p": p, "q": q, "flag": flag,
    })
