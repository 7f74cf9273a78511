"""Satisfaction per touchpoint (and per touchpoint × segment value), computed in DuckDB.

For the ratings of a touchpoint on a scale [min, max] with n answers:

- ``mean`` on the file's own scale, ``sd`` the sample standard deviation;
- 95 % CI of the mean: mean ± t(0.975, n−1) · sd / √n (Student t);
- ``score_0_100`` = (mean − min) / (max − min) · 100, so 1–5 and 1–10 surveys compare
  (the CI is mapped the same way);
- ``top2_box`` = % of answers in the top box, ``bottom2_box`` in the bottom box. A box is the
  two highest (lowest) points on scales of 5 to 11 points (9–10 on 1–10 and 0–10, 4–5 on 1–5,
  6–7 on 1–7) and the one highest (lowest) point on 3- and 4-point scales, so the boxes never
  overlap (``box_points`` says which: 2 or 1);
- ``dont_know``: "weiß nicht"/"k.A." answers (not scores; ``n`` is the rated base without
  them), ``dont_know_rate`` = dont_know / (n + dont_know) · 100;
- ``nps`` = NPS among the respondents who rated this touchpoint (see :mod:`tpm.metrics.nps`).

Aggregation runs as one SQL ``GROUP BY`` inside DuckDB; only the per-group sums come back.
A touchpoint asked on two different scales (in two datasets) is reported once per scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

from tpm.metrics.filters import Filter
from tpm.metrics.nps import COUNTS_SQL, nps_from_counts

#: Below this base a figure is flagged as unreliable (DOMAIN.md).
MIN_BASE = 30

#: points in the top (bottom) box less one: 1 on scales of 5 points or more, 0 on 3 and 4 points
BOX_WIDTH_SQL = "(CASE WHEN scale_max - scale_min + 1 <= 4 THEN 0 ELSE 1 END)"
TOP_BOX_SQL = f"score >= scale_max - {BOX_WIDTH_SQL}"
BOTTOM_BOX_SQL = f"score <= scale_min + {BOX_WIDTH_SQL}"


def box_points(scale_min: int, scale_max: int) -> int:
    """Points in the top (and bottom) box: 2 on 5- to 11-point scales, 1 on 3- and 4-point scales."""
    return 1 if scale_max - scale_min + 1 <= 4 else 2


_AGGREGATES = f"""count(*) AS n, avg(score) AS mean, stddev_samp(score) AS sd,
    100.0 * avg(CASE WHEN {TOP_BOX_SQL} THEN 1 ELSE 0 END) AS top2_box,
    100.0 * avg(CASE WHEN {BOTTOM_BOX_SQL} THEN 1 ELSE 0 END) AS bottom2_box,
    {COUNTS_SQL}"""

COLUMNS = ["touchpoint", "scale_min", "scale_max", "n", "mean", "sd", "ci_low", "ci_high", "score_0_100",
           "score_ci_low", "score_ci_high", "top2_box", "bottom2_box", "box_points", "nps", "nps_n", "low_base",
           "dont_know", "dont_know_rate"]


def touchpoint_stats(con, flt: Filter) -> pd.DataFrame:
    """One row per touchpoint (and scale), sorted by 0–100 score, best first. Columns: :data:`COLUMNS`."""
    cte, params = flt.respondents_cte()
    frame = con.execute(
        f"""WITH {cte}
            SELECT t.touchpoint, t.scale_min, t.scale_max, {_AGGREGATES}
            FROM ratings t JOIN resp USING (dataset_id, resp)
            GROUP BY ALL""",
        params,
    ).df()
    dont_know = con.execute(
        f"""WITH {cte} SELECT d.touchpoint, count(*) AS dont_know
            FROM dont_know d JOIN resp USING (dataset_id, resp) GROUP BY ALL""",
        params,
    ).df()
    frame = _finish(frame).sort_values(["score_0_100", "touchpoint"], ascending=[False, True], ignore_index=True)
    return _with_dont_know(frame, dont_know)


def _with_dont_know(frame: pd.DataFrame, dont_know: pd.DataFrame) -> pd.DataFrame:
    """DK counts per touchpoint joined on (given once, on the touchpoint's first scale)."""
    counts = dict(zip(dont_know["touchpoint"], dont_know["dont_know"].astype(int)))
    first = ~frame["touchpoint"].duplicated()
    frame["dont_know"] = [int(counts.get(tp, 0)) if f else 0 for tp, f in zip(frame["touchpoint"], first)]
    total = frame["n"] + frame["dont_know"]
    frame["dont_know_rate"] = np.where(total > 0, 100.0 * frame["dont_know"] / total.where(total > 0, 1), np.nan)
    return frame[[c for c in frame.columns if c not in ("dont_know", "dont_know_rate")] + ["dont_know", "dont_know_rate"]]


def overall_stats(con, flt: Filter) -> pd.DataFrame:
    """The overall-satisfaction question (role *overall*): one row per scale with the same
    columns as :func:`touchpoint_stats` (``touchpoint`` holds the question's name). It is an
    outcome, not a touchpoint: it is never among the touchpoints. Empty without such a question."""
    cte, params = flt.respondents_cte()
    frame = con.execute(
        f"""WITH {cte}, o AS (SELECT overall AS score, overall_min AS scale_min, overall_max AS scale_max, nps
                             FROM resp WHERE overall IS NOT NULL)
            SELECT 'overall' AS touchpoint, scale_min, scale_max, {_AGGREGATES} FROM o GROUP BY ALL""",
        params,
    ).df()
    return _finish(frame)


def touchpoint_by_segment(con, flt: Filter, segment: str) -> pd.DataFrame:
    """One row per touchpoint × value of ``segment``; columns :data:`COLUMNS` plus ``segment_value``.

    Respondents without a value for ``segment`` are left out.
    """
    cte, params = flt.respondents_cte()
    frame = con.execute(
        f"""WITH {cte}
            SELECT t.touchpoint, s.value AS segment_value, t.scale_min, t.scale_max, {_AGGREGATES}
            FROM ratings t JOIN resp USING (dataset_id, resp)
            JOIN segments s ON s.dataset_id = t.dataset_id AND s.resp = t.resp AND s.segment = ?
            GROUP BY ALL""",
        params + [segment],
    ).df()
    return _finish(frame).sort_values(["touchpoint", "segment_value"], ignore_index=True)


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Add CI, 0–100 score and NPS among raters to the SQL aggregates."""
    frame = frame.copy()
    n = frame["n"].astype(float)
    sd = frame["sd"].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tq = student_t.ppf(0.975, np.maximum(n - 1, 1))
        half = np.where(n > 1, tq * sd / np.sqrt(n), np.nan)
    frame["ci_low"] = frame["mean"] - half
    frame["ci_high"] = frame["mean"] + half
    span = (frame["scale_max"] - frame["scale_min"]).astype(float)
    for source, target in (("mean", "score_0_100"), ("ci_low", "score_ci_low"), ("ci_high", "score_ci_high")):
        frame[target] = (frame[source] - frame["scale_min"]) / span * 100
    nps = [nps_from_counts(d, p, q) for d, p, q in zip(frame["detractors"], frame["passives"], frame["promoters"])]
    frame["nps"] = [x.score for x in nps]
    frame["nps_n"] = [x.n for x in nps]
    frame["low_base"] = frame["n"] < MIN_BASE
    frame["box_points"] = [box_points(lo, hi) for lo, hi in zip(frame["scale_min"], frame["scale_max"])]
    frame["n"] = frame["n"].astype(int)
    frame["scale_min"] = frame["scale_min"].astype(int)
    frame["scale_max"] = frame["scale_max"].astype(int)
    extra = [c for c in frame.columns if c not in COLUMNS and c not in ("detractors", "passives", "promoters")]
    return frame[[c for c in COLUMNS[:1] + extra + COLUMNS[1:] if c in frame.columns]]
