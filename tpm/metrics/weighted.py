"""Weighted estimates from SQL sums: value, Taylor-linearised SE, Kish effective n, and tests.

Every figure of TPM is a (weighted) mean of a per-respondent value y:

- mean / 0–100 score: y = the rating (the score maps mean and SE linearly);
- top-2-box / bottom-2-box: y = 1 in the box, else 0 (reported ×100);
- NPS: y = +100 (promoter), 0 (passive), −100 (detractor).

With respondent weights wᵢ (1 for everyone when unweighted) DuckDB returns, per group, the sums
n, Σw, Σw², Σwy, Σwy², Σw²y, Σw²y² (:func:`rating_sums_sql`); from them:

- estimate ȳw = Σwy / Σw;
- Taylor linearisation SE of a ratio mean for a one-stage design with weights only
  (R: ``svymean(~y, svydesign(ids = ~1, weights = ~w))``; Wolter 2007, ch. 6)::

      SE(ȳw) = √( n/(n−1) · Σ wᵢ² (yᵢ − ȳw)² ) / Σ wᵢ,
      Σ wᵢ² (yᵢ − ȳw)² = Σw²y² − 2 ȳw Σw²y + ȳw² Σw²;

  with all weights 1 this is s/√n exactly (s the sample standard deviation);
- Kish effective n = (Σw)² / Σw² (equals n when unweighted).

Sums are additive, so "the rest" of a breakdown is the total minus the cell, and pooled
datasets (each with its own weight set) simply add up.

What each metric makes of its sums — value transform, test of a difference (weighted:
z = (ȳ₁ − ȳ₂) / √(SE₁² + SE₂²), two-sided normal p; unweighted: the classic tests), interval —
lives in :mod:`tpm.metrics.registry`. Base rules (:mod:`tpm.metrics.rules`) always use the unweighted n.
"""

from __future__ import annotations

import pandas as pd

from tpm.metrics import rules
from tpm.metrics.registry import PREFIXES
from tpm.metrics.rules import ONE_POINT_BOX_MAX_POINTS


def moment_sql(y: str, prefix: str, w: str = "w", where: str | None = None, compact: bool = False) -> str:
    """The seven sums of expression ``y`` over rows where it is not NULL (and ``where``), named
    ``{prefix}n, {prefix}sw, {prefix}sw2, {prefix}swy, {prefix}swyy, {prefix}sw2y, {prefix}sw2yy``.
    ``compact``: over the rows of a compact table (:func:`compact_sql`), each standing for ``c``
    rows with the same values and weights summing to ``s1`` (squares to ``s2``): the same sums.
    Only generated SQL: ``y``/``w``/``where`` are code, never user text."""
    cond = f"({y}) IS NOT NULL" + (f" AND ({where})" if where else "")
    if compact:
        parts = {
            "n": "sum(c)", "sw": "sum(s1)", "sw2": "sum(s2)", "swy": f"sum(s1 * ({y}))",
            "swyy": f"sum(s1 * ({y}) * ({y}))", "sw2y": f"sum(s2 * ({y}))", "sw2yy": f"sum(s2 * ({y}) * ({y}))",
        }
    else:
        parts = {
            "n": "count(*)", "sw": f"sum({w})", "sw2": f"sum({w} * {w})", "swy": f"sum({w} * ({y}))",
            "swyy": f"sum({w} * ({y}) * ({y}))", "sw2y": f"sum({w} * {w} * ({y}))", "sw2yy": f"sum({w} * {w} * ({y}) * ({y}))",
        }
    cast = "::BIGINT" if compact else ""  # counts stay integers (a sum of counts is a 128-bit integer in DuckDB)
    return ", ".join(f"coalesce({expr} FILTER (WHERE {cond}), 0){cast if name == 'n' else ''} AS {prefix}{name}"
                     for name, expr in parts.items())


def compact_sql(keys: str, rows: str) -> str:
    """SQL: ``rows`` (a FROM clause with the ``keys`` and ``c``, ``s1``, ``s2``: rows standing for
    ``c`` ratings with weights summing to ``s1``, squares to ``s2`` — one rating each, or a row of
    :mod:`tpm.compact`) compacted to one row per distinct ``keys`` with the sums of ``c``, ``s1``,
    ``s2``. Ratings are small integers, so the ratings grouped by touchpoint, scale, score and NPS
    answer become a few thousand rows, and the many sums of :func:`rating_sums_sql`
    (``compact=True``) run over those instead."""
    return f"SELECT {keys}, sum(c) AS c, sum(s1) AS s1, sum(s2) AS s2 FROM {rows} GROUP BY ALL"


def nps_group_sql(column: str, group: str) -> str:
    """SQL condition: the 0–10 answer in ``column`` is of ``group`` ("promoter", "passive" or "detractor"),
    by the cut-offs of :mod:`tpm.metrics.rules` (read when the SQL is made) — the one place the SQL of
    the NPS groups is made."""
    top, bottom = rules.PROMOTER_MIN, rules.DETRACTOR_MAX
    return {"promoter": f"{column} >= {top}", "detractor": f"{column} <= {bottom}",
            "passive": f"{column} > {bottom} AND {column} < {top}"}[group]


def nps_y(column: str) -> str:
    """SQL for the NPS value y ∈ {−100, 0, +100} of a 0–10 answer (NULL stays NULL)."""
    return (f"(CASE WHEN {column} IS NULL THEN NULL WHEN {nps_group_sql(column, 'promoter')} THEN 100.0 "
            f"WHEN {nps_group_sql(column, 'detractor')} THEN -100.0 ELSE 0.0 END)")


def box_points(lo, hi):
    """Points in the top (and bottom) box of the scale ``lo``…``hi``: the one highest (lowest) point on
    scales of up to :data:`~tpm.metrics.rules.ONE_POINT_BOX_MAX_POINTS` points (3 and 4), else the two
    highest (lowest), so the boxes never overlap. Numbers give the int; SQL expressions (str) the SQL of
    the same rule, which :func:`box_sql` uses — the one home of the box rule."""
    if isinstance(lo, str) or isinstance(hi, str):
        return f"(CASE WHEN {hi} - {lo} + 1 <= {ONE_POINT_BOX_MAX_POINTS} THEN 1 ELSE 2 END)"
    return 1 if hi - lo + 1 <= ONE_POINT_BOX_MAX_POINTS else 2


def box_sql(top: bool, score: str = "score", lo: str = "scale_min", hi: str = "scale_max") -> str:
    """SQL condition: the answer is in the top (bottom) box of :func:`box_points` points."""
    width = f"({box_points(lo, hi)} - 1)"
    return f"{score} >= {hi} - {width}" if top else f"{score} <= {lo} + {width}"


def rating_sums_sql(nps_column: str = "resp.nps", score: str = "t.score", lo: str = "t.scale_min", hi: str = "t.scale_max",
                    compact: bool = False) -> str:
    """Sums per group of ``ratings t`` joined with weighted respondents (column ``w``): the rating
    (``m_``), top box (``t2_``), bottom box (``b2_``) and the NPS among raters (``nps_``).
    ``compact``: over a compact table (:func:`compact_sql`, :func:`grouped_rating_sums_sql`)."""
    count, weight = ("sum(c)", "sum(s1)") if compact else ("count(*)", "sum(w)")
    return ", ".join([
        moment_sql(score, "m_", compact=compact),
        moment_sql(f"CASE WHEN {box_sql(True, score, lo, hi)} THEN 1.0 ELSE 0.0 END", "t2_", compact=compact),
        moment_sql(f"CASE WHEN {box_sql(False, score, lo, hi)} THEN 1.0 ELSE 0.0 END", "b2_", compact=compact),
        moment_sql(nps_y(nps_column), "nps_", compact=compact),
        *(f"coalesce({total} FILTER (WHERE {nps_group_sql(nps_column, group)}), 0){cast} AS nps_{short}_{kind}"
          for total, cast, kind in ((count, "::BIGINT", "n"), (weight, "", "w"))
          for group, short in (("promoter", "pro"), ("detractor", "det"))),
    ])


def grouped_rating_sums_sql(keys: list[str], rows: str, totals_by: list[str] | None = None) -> str:
    """SQL: per group of ``keys`` the sums of :func:`rating_sums_sql` over ``rows``, a FROM clause
    whose columns are the ``keys``, ``score``, ``scale_min``, ``scale_max``, ``nps`` and ``c``, ``s1``,
    ``s2`` (:meth:`tpm.metrics.filters.Filter.rated`) —
    in two passes: the rows compacted (:func:`compact_sql`), then the sums over the compact rows.

    ``totals_by`` (some of the ``keys``): also the sums per group of those keys alone, from the
    same compact rows (a grouping set: one scan of the ratings gives the cells and their totals);
    such rows have the other keys NULL and ``is_total`` true. :func:`split_totals` parts them."""
    inner = compact_sql(", ".join(dict.fromkeys([*keys, "score", "scale_min", "scale_max", "nps"])), rows)
    sums = rating_sums_sql('nps', 'score', 'scale_min', 'scale_max', compact=True)
    if totals_by is None:
        return f"SELECT {', '.join(keys)}, {sums} FROM ({inner}) GROUP BY ALL"
    other = ", ".join(k for k in keys if k not in totals_by)
    return (f"SELECT {', '.join(keys)}, {sums}, grouping({other}) > 0 AS is_total FROM ({inner}) "
            f"GROUP BY GROUPING SETS (({', '.join(keys)}), ({', '.join(totals_by)}))")


def split_totals(frame: pd.DataFrame, cell_key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cells, totals) of a frame of :func:`grouped_rating_sums_sql` with ``totals_by``: cells are
    the rows that are no total and have a ``cell_key`` (rows without one count in the totals only)."""
    total = frame["is_total"].to_numpy(bool)
    cells = frame[~total & frame[cell_key].notna().to_numpy()].drop(columns="is_total").reset_index(drop=True)
    return cells, frame[total].drop(columns="is_total").reset_index(drop=True)


MOMENTS = ("n", "sw", "sw2", "swy", "swyy", "sw2y", "sw2yy")
#: the columns of :func:`rating_sums_sql` (per metric prefix of :mod:`tpm.metrics.registry`)
SUM_COLUMNS = tuple(p + m for p in PREFIXES for m in MOMENTS) + (
    "nps_pro_n", "nps_det_n", "nps_pro_w", "nps_det_w")


def with_rest(frame: pd.DataFrame, totals: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Cells merged with their totals; ``rest_`` + every sum column = total − cell. A rest of no
    respondents (its count total − cell is 0, exactly: counts are integers) has every sum exactly 0,
    not the rounding left over by subtracting two equal float sums added in different orders."""
    merged = frame.merge(totals[keys + [c for c in SUM_COLUMNS if c in totals]], on=keys, suffixes=("", "_total"))
    for column in SUM_COLUMNS:
        if column in frame:
            merged["rest_" + column] = merged[column + "_total"] - merged[column]
    return zero_empty(merged, "rest_")


def zero_empty(frame: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """``frame`` with the sums of every metric (:data:`SUM_COLUMNS` after ``prefix``) set to exactly 0
    in the rows where the metric's count ``n`` is 0 (NPS counts and weights: where its ``n`` is)."""
    for metric in PREFIXES:
        count = prefix + metric + "n"
        if count not in frame:
            continue
        empty = frame[count].to_numpy() == 0
        if empty.any():
            for column in [prefix + metric + m for m in MOMENTS] + (
                    [prefix + c for c in SUM_COLUMNS[-4:]] if metric == "nps_" else []):
                if column in frame:
                    frame.loc[empty, column] = 0
    return frame


def weight_column(weighted: bool, alias: str = "r") -> str:
    """SQL for a respondent's weight in a view (``alias``: the respondents table): its stored weight
    (1 where the dataset has none) or 1."""
    return f"coalesce({alias}.weight, 1.0)" if weighted else "1.0"


def has_weights(con, flt) -> bool:
    """True when ``flt`` asks for weights and some respondent in it carries one."""
    if not getattr(flt, "weighted", False):
        return False
    cte, params = flt.units_cte()
    return bool(con.execute(f"WITH {cte} SELECT coalesce(bool_or(has_weight), false) FROM resp", params).fetchone()[0])
