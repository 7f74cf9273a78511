"""Satisfaction per touchpoint, computed in DuckDB (per touchpoint × segment value: :mod:`tpm.metrics.segments`).

For the ratings of a touchpoint on a scale [min, max] with n answers:

- ``mean`` on the file's own scale, ``sd`` the sample standard deviation (weighted: √(n/(n−1)·(Σwy²/Σw − ȳ²)));
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

Weighted views (:mod:`tpm.metrics.weighted`): every figure is Σwy/Σw, the CI is
mean ± t(0.975, n−1) · SE with the Taylor-linearised SE (which is sd/√n when unweighted),
``n_eff`` the Kish effective n; ``n`` and the low-base flag stay unweighted.

Aggregation runs as one SQL ``GROUP BY`` inside DuckDB over the compact count tables of
:mod:`tpm.compact` (:meth:`~tpm.metrics.filters.Filter.rated`); only the per-group sums come back.
A touchpoint asked on two different scales (in two datasets) is reported once per scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tpm.metrics.filters import Filter
from tpm.metrics.registry import METRICS
from tpm.metrics.rules import MIN_TEST as MIN_BASE
from tpm.metrics.rules import score_0_100
from tpm.metrics.weighted import SUM_COLUMNS, box_points, grouped_rating_sums_sql, has_weights

#: the groups of the per-touchpoint figures
KEYS = ["touchpoint", "scale_min", "scale_max"]


COLUMNS = ["touchpoint", "scale_min", "scale_max", "n", "n_eff", "mean", "sd", "ci_low", "ci_high", "score_0_100",
           "score_ci_low", "score_ci_high", "top2_box", "bottom2_box", "box_points", "nps", "nps_n", "low_base",
           "dont_know", "dont_know_rate"]


def touchpoint_stats(con, flt: Filter) -> pd.DataFrame:
    """One row per touchpoint (and scale), sorted by 0–100 score, best first. Columns: :data:`COLUMNS`."""
    cte, params = flt.units_cte()
    frame = con.execute(f"WITH {cte} {grouped_rating_sums_sql(KEYS, f'{flt.rated()} rt')}", params).df()
    dont_know = con.execute(f"WITH {cte} SELECT touchpoint, sum(c) AS dont_know FROM {flt.dont_know()} d GROUP BY ALL",
                            params).df()
    frame = _finish(frame, has_weights(con, flt)).sort_values(["score_0_100", "touchpoint"], ascending=[False, True],
                                                              ignore_index=True)
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
    cte, params = flt.units_cte()
    frame = con.execute(
        f"""WITH {cte}, o AS (SELECT 'overall' AS touchpoint, overall AS score, overall_min AS scale_min,
                                    overall_max AS scale_max, nps, c, s1, s2 FROM resp WHERE overall IS NOT NULL)
            {grouped_rating_sums_sql(KEYS, "o")}""",
        params,
    ).df()
    return _finish(frame, has_weights(con, flt))


def _finish(frame: pd.DataFrame, weighted: bool) -> pd.DataFrame:
    """Estimates, CIs, 0–100 score and NPS among raters from the SQL sums."""
    frame = frame.copy()
    mean = METRICS["mean"].estimate(frame)
    frame["mean"], frame["n_eff"] = mean.value, mean.n_eff
    with np.errstate(invalid="ignore", divide="ignore"):  # (weighted) SD: √(n/(n−1)·(Σwy²/Σw − ȳ²)); s when unweighted
        var = frame["m_swyy"].to_numpy(float) / mean.sw - mean.value**2
        frame["sd"] = np.where(mean.n > 1, np.sqrt(np.maximum(var, 0) * mean.n / (mean.n - 1)), np.nan)
    frame["ci_low"], frame["ci_high"] = METRICS["mean"].interval(mean, weighted)
    for source, target in (("mean", "score_0_100"), ("ci_low", "score_ci_low"), ("ci_high", "score_ci_high")):
        frame[target] = score_0_100(frame[source], frame["scale_min"], frame["scale_max"])
    for name, column in (("top2", "top2_box"), ("bottom2", "bottom2_box"), ("nps", "nps")):
        frame[column] = METRICS[name].estimate(frame).value
    frame["nps_n"] = frame["nps_n"].astype(int)
    frame["n"] = frame["m_n"].astype(int)
    frame["low_base"] = frame["n"] < MIN_BASE
    frame["box_points"] = [box_points(lo, hi) for lo, hi in zip(frame["scale_min"], frame["scale_max"])]
    frame["scale_min"] = frame["scale_min"].astype(int)
    frame["scale_max"] = frame["scale_max"].astype(int)
    extra = [c for c in frame.columns if c not in COLUMNS and c not in SUM_COLUMNS]
    return frame[[c for c in COLUMNS[:1] + extra + COLUMNS[1:] if c in frame.columns]]
