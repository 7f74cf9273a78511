"""Satisfaction per touchpoint (and per touchpoint × segment value), computed in DuckDB.

For the ratings of a touchpoint on a scale [min, max] with n answers:

- ``mean`` on the file's own scale, ``sd`` the sample standard deviation;
- 95 % CI of the mean: mean ± t(0.975, n−1) · sd / √n (Student t);
- ``score_0_100`` = (mean − min) / (max − min) · 100, so 1–5 and 1–10 surveys compare
  (the CI is mapped the same way);
- ``top2_box`` = % of answers in the two highest scale points (9–10 on 1–10 and 0–10,
  4–5 on 1–5, 6–7 on 1–7); ``bottom2_box`` = % in the two lowest points;
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

_AGGREGATES = f"""count(*) AS n, avg(score) AS mean, stddev_samp(score) AS sd,
    100.0 * avg(CASE WHEN score >= scale_max - 1 THEN 1 ELSE 0 END) AS top2_box,
    100.0 * avg(CASE WHEN score <= scale_min + 1 THEN 1 ELSE 0 END) AS bottom2_box,
    {COUNTS_SQL}"""

COLUMNS = ["touchpoint", "scale_min", "scale_max", "n", "mean", "sd", "ci_low", "ci_high", "score_0_100",
           "score_ci_low", "score_ci_high", "top2_box", "bottom2_box", "nps", "nps_n", "low_base"]


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
    return _finish(frame).sort_values(["score_0_100", "touchpoint"], ascending=[False, True], ignore_index=True)


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
    frame["n"] = frame["n"].astype(int)
    frame["scale_min"] = frame["scale_min"].astype(int)
    frame["scale_max"] = frame["scale_max"].astype(int)
    extra = [c for c in frame.columns if c not in COLUMNS and c not in ("detractors", "passives", "promoters")]
    return frame[[c for c in COLUMNS[:1] + extra + COLUMNS[1:]]]
