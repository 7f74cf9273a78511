"""Segment breakdowns with significance: each touchpoint × segment value against the rest.

For every cell (raters of a touchpoint in one segment value) and the *rest* (all other raters
of that touchpoint in the filtered sample):

- ``value``: mean, 0–100 score, top-2-box % or NPS among raters; ``diff`` = cell − rest;
- ``p``: Welch t-test (mean, score), two-proportion z-test (top-2-box), NPS difference z-test;
- ``q``: Benjamini–Hochberg within the table;
- ``flag``: ``higher``/``lower`` (q < 0.05), ``ns``, ``untested`` (cell or rest below the
  metric's minimum base, :data:`~tpm.metrics.rules.MIN_TEST`), ``hidden`` (cell below the anonymity
  threshold: no value shown); ``caution`` marks cells with n < :data:`~tpm.metrics.rules.CAUTION` (DOMAIN.md).

The metrics (value, test, bases) are those of :mod:`tpm.metrics.registry`.

Sums come from one SQL ``GROUP BY`` in DuckDB; the rest is the total minus the cell.
Weighted views (:mod:`tpm.metrics.weighted`): values are Σwy/Σw and every test is the z-test
on Taylor-linearised SEs; ``n_eff`` (Kish) is reported beside ``n``; the base rules
(:mod:`tpm.metrics.rules`) use the unweighted n.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tpm.metrics.estimate import Estimate
from tpm.metrics.filters import Filter
from tpm.metrics.nps import nps_from_row, nps_sums_sql
from tpm.metrics.registry import CHOICES, METRICS
from tpm.metrics.registry import metric as metric_named
from tpm.metrics.rules import ALPHA, ANONYMITY, CAUTION, MIN_TEST
from tpm.metrics.satisfaction import KEYS
from tpm.metrics.significance import benjamini_hochberg
from tpm.metrics.weighted import MOMENTS, grouped_rating_sums_sql, has_weights, with_rest

__all__ = [
    "ALPHA",
    "ANONYMITY",
    "CAUTION",
    "MIN_TEST",
    "breakdown_and_totals",
    "nps_by_segment",
    "segment_breakdown",
    "total_values",
]


def _sums(con, flt: Filter) -> pd.DataFrame:
    cte, params = flt.units_cte()
    return con.execute(f"WITH {cte} {grouped_rating_sums_sql(KEYS, f'{flt.rated()} rt')}", params).df()


def _cells_and_totals(con, flt: Filter, by: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sums per touchpoint × value of ``by`` and per touchpoint over all raters (with a value of
    ``by`` or not). The totals come from the ratings alone, not from their join with the values:
    a respondent who ticked two options of a multiple-choice question is in two cells but counts
    once in the total (and so in the "rest" of each option, total − cell)."""
    cte, params = flt.units_cte()
    rows = flt.segment_join(flt.rated(), "rt", "segment")
    cells = con.execute(f"WITH {cte} {grouped_rating_sums_sql([*KEYS, 'segment'], rows)}", params + [by]).df()
    return cells, _sums(con, flt)


def tested(cells: pd.DataFrame) -> bool:
    """Whether any cell was tested against its rest (flag ``higher``/``lower``/``ns``): with none, "no
    significant difference" would be untrue — nothing could be tested (every cell or its rest below
    the metric's base, or hidden)."""
    return bool(cells["flag"].isin(["higher", "lower", "ns"]).any())


def significance_flags(value, rest, n, rest_n, p, hidden, min_base: int = MIN_TEST) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p, q, flag) of cells against their rest: untested below ``min_base`` on either side
    (unweighted n), Benjamini–Hochberg q over the tested cells, flag higher/lower/ns/untested/hidden."""
    testable = (n >= min_base) & (rest_n >= min_base) & ~hidden & np.isfinite(p)
    p = np.where(testable, p, np.nan)
    q = benjamini_hochberg(p)
    diff = value - rest
    flag = np.where(hidden, "hidden", np.where(~testable, "untested",
                    np.where(q < ALPHA, np.where(diff > 0, "higher", "lower"), "ns")))
    return p, q, flag


def segment_breakdown(con, flt: Filter, by: str, metric: str = "mean", anonymity: int = ANONYMITY) -> pd.DataFrame:
    """Cells of touchpoint × value of segment ``by``, with diff to the rest, p, q and flag."""
    return breakdown_and_totals(con, flt, by, metric, anonymity)[0]


def breakdown_and_totals(con, flt: Filter, by: str, metric: str = "mean",
                         anonymity: int = ANONYMITY) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(:func:`segment_breakdown`, :func:`total_values`) — what the heatmap shows — from one scan of the ratings."""
    if metric not in CHOICES:
        raise ValueError(f"metric must be one of {CHOICES}")
    m = METRICS[metric]
    weighted = has_weights(con, flt)
    cells, totals = _cells_and_totals(con, flt, by)
    frame = with_rest(cells, totals, KEYS)
    cell, rest = m.estimate(frame), m.estimate(frame, "rest_")
    p = m.difference_p(cell, rest, weighted, frame, frame, "", "rest_")
    hidden = frame["m_n"].to_numpy() < anonymity
    p, q, flag = significance_flags(cell.value, rest.value, cell.n, rest.n, p, hidden, m.min_base)
    diff = cell.value - rest.value
    out = pd.DataFrame({
        "touchpoint": frame["touchpoint"], "segment": frame["segment"], "scale_min": frame["scale_min"],
        "scale_max": frame["scale_max"], "n": frame["m_n"].astype(int), "metric_n": cell.n.astype(int),
        "n_eff": np.where(hidden, np.nan, cell.n_eff),
        "value": np.where(hidden, np.nan, cell.value), "rest": rest.value, "diff": np.where(hidden, np.nan, diff),
        "p": p, "q": q, "flag": flag, "caution": (cell.n < m.caution) & ~hidden, "weighted": weighted,
    })
    out = out.merge(dont_know_by(con, flt, by), on=["touchpoint", "segment"], how="left")
    out["dont_know"] = np.where(hidden, 0, out["dont_know"].fillna(0)).astype(int)  # hidden cells reveal nothing
    return out.sort_values(["touchpoint", "segment", "scale_min", "scale_max"], ignore_index=True), total_table(totals, metric)


def dont_know_by(con, flt: Filter, by: str) -> pd.DataFrame:
    """"weiß nicht"/"k.A." answers per touchpoint × value of segment ``by`` (counted, never scores)."""
    cte, params = flt.units_cte()
    return con.execute(
        f"""WITH {cte} SELECT d.touchpoint, sg.segment, sum(d.c) AS dont_know
            FROM {flt.segment_join(flt.dont_know(), 'd', 'segment')} GROUP BY ALL""",
        params + [by],
    ).df()


def total_values(con, flt: Filter, metric: str) -> pd.DataFrame:
    """The metric over all raters per touchpoint (the heatmap's total column)."""
    return total_table(_sums(con, flt), metric)


def total_table(totals: pd.DataFrame, metric: str) -> pd.DataFrame:
    """:func:`total_values` from the sums per touchpoint."""
    totals = totals.sort_values(KEYS, ignore_index=True)
    est = metric_named(metric).estimate(totals)
    return pd.DataFrame({"touchpoint": totals["touchpoint"], "scale_min": totals["scale_min"],
                         "scale_max": totals["scale_max"], "n": est.n.astype(int), "n_eff": est.n_eff, "value": est.value})


_NPS_SUMS = ("detractors", "passives", "promoters", "pro_w", "det_w", *MOMENTS)


def nps_by_segment(con, flt: Filter, by: str, anonymity: int = ANONYMITY) -> pd.DataFrame:
    """NPS per value of segment ``by`` with its CI (adjusted Wald; weighted: ±1.96·Taylor SE), and its
    difference to the rest (NPS difference z-test, or the weighted z-test; BH across the values):
    segment, n, n_eff, value, ci_low, ci_high, diff, p, q, flag."""
    cte, params = flt.units_cte()
    frame = con.execute(
        f"""WITH {cte} SELECT sg.segment, {nps_sums_sql("u.nps")}
            FROM {flt.segment_join("resp", "u", "segment")} WHERE u.nps IS NOT NULL GROUP BY sg.segment""",
        params + [by],
    ).df().sort_values("segment", ignore_index=True)
    total = con.execute(  # every respondent once, with a value of ``by``, several (multiple choice) or none
        f"WITH {cte} SELECT {nps_sums_sql('u.nps')} FROM resp u WHERE u.nps IS NOT NULL", params).df().fillna(0)
    weighted = has_weights(con, flt)
    rest = pd.DataFrame({c: float(total[c].iloc[0]) - frame[c].astype(float) for c in _NPS_SUMS})
    rest.loc[rest[["detractors", "passives", "promoters"]].sum(axis=1).to_numpy() == 0, list(rest.columns)] = 0  # none left: exact 0
    scores = [nps_from_row(row, weighted) for row in frame.to_dict("records")]
    rest_scores = [nps_from_row(row, weighted) for row in rest.to_dict("records")]
    as_estimate = lambda nps: Estimate(*(np.array([getattr(x, k) for x in nps], dtype=float)  # noqa: E731
                                         for k in ("score", "se", "n", "n_eff", "n")))
    cell, other = as_estimate(scores), as_estimate(rest_scores)
    counts = lambda f: f.rename(columns={"promoters": "nps_pro_n", "detractors": "nps_det_n"})  # noqa: E731
    nps = METRICS["nps"]
    p = nps.difference_p(cell, other, weighted, counts(frame), counts(rest))
    hidden = cell.n < anonymity
    p, q, flag = significance_flags(cell.value, other.value, cell.n, other.n, p, hidden, nps.min_base)
    return pd.DataFrame({
        "segment": frame["segment"], "n": cell.n.astype(int), "n_eff": np.where(hidden, np.nan, cell.n_eff),
        "value": np.where(hidden, np.nan, cell.value),
        "ci_low": np.where(hidden, np.nan, [s.ci_low for s in scores]),
        "ci_high": np.where(hidden, np.nan, [s.ci_high for s in scores]),
        "diff": np.where(hidden, np.nan, cell.value - other.value), "p": p, "q": q, "flag": flag,
    })
