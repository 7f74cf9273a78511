"""The study's comments, NPS, weights, ratings and theme coding read from DuckDB for :mod:`tpm.comments.stats`.

Every query reads the respondents one by one (the ``resp`` CTE of :class:`tpm.metrics.filters.Filter`), as comments
belong to respondents, not to the compact profiles. A comment's terms come from its stored lemmas (``comments.lemmas``,
:mod:`tpm.store.comment_text`), its themes from ``comment_themes`` (:mod:`tpm.store.coding`); stop words are
:func:`tpm.text.lemmas.stop_words`, example texts are masked by :func:`tpm.text.mask.mask` (one home each).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from tpm.comments.stats import (
    log_odds,
    term_rows_sql,
    terms_of,
    terms_params,
    theme_by_touchpoint,
    theme_impact,
    theme_shares,
    theme_trend,
    top_terms,
)
from tpm.compact import row_key
from tpm.metrics.filters import Filter
from tpm.metrics.rules import ANONYMITY
from tpm.metrics.weighted import box_sql, has_weights, nps_group_sql
from tpm.text.lemmas import readable, stop_words
from tpm.text.mask import mask

__all__ = ["COMPARE_DETRACTORS", "Impact", "commenters", "compare_groups", "impact", "suggestion_docs",
           "suggestions", "theme_by_segment"]

#: ``--compare`` of detractors (NPS 0–6, group a) against promoters (9–10, group b); ``low:TOUCHPOINT`` compares
#: the bottom box of a touchpoint's raters with its top box (:func:`tpm.metrics.weighted.box_sql`)
COMPARE_DETRACTORS = "detractors"


def compare_groups(compare: str) -> tuple[str, str | None]:
    """``"detractors"`` → ("detractors", None); ``"low:Hotline"`` → ("low", "Hotline"); else a ValueError naming
    the choices."""
    if compare == COMPARE_DETRACTORS:
        return compare, None
    if compare.startswith("low:") and compare[4:].strip():
        return "low", compare[4:].strip()
    raise ValueError(f"compare must be 'detractors' or 'low:TOUCHPOINT', not {compare!r}")


def _comments_cte(con, flt: Filter, compare: str) -> tuple[str, list]:
    """``WITH resp AS (…), cm AS (…)``: one row per comment under ``flt`` — ``id`` (a running number), ``text``,
    ``grp`` ("a"/"b"/NULL of ``compare``), ``w`` (the view's weight), ``words`` (its stored lemmas) — and its
    parameters."""
    how, touchpoint = compare_groups(compare)
    cte, params = replace(flt, compact=False).respondents_cte()
    if how == COMPARE_DETRACTORS:
        group, join, extra = (f"CASE WHEN {nps_group_sql('r.nps', 'detractor')} THEN 'a' "
                              f"WHEN {nps_group_sql('r.nps', 'promoter')} THEN 'b' END"), "", []
    else:
        low, high = (box_sql(top, "t.score", "t.scale_min", "t.scale_max") for top in (False, True))
        group = f"CASE WHEN {low} THEN 'a' WHEN {high} THEN 'b' END"
        join, extra = f"LEFT JOIN ratings t ON {row_key('t')} = r.rk AND t.touchpoint = ?", [touchpoint]
    return (f"WITH {cte}, cm AS (SELECT row_number() OVER (ORDER BY c.dataset_id, c.resp, c.question) - 1 AS id, c.text, "
            f"{group} AS grp, r.w, c.lemmas AS words FROM comments c JOIN resp r ON {row_key('c')} = r.rk {join})",
            params + extra)


def suggestion_docs(con, flt: Filter, compare: str = COMPARE_DETRACTORS, stop: frozenset[str] = frozenset()) -> pd.DataFrame:
    """One row per comment under ``flt``: ``id``, ``text``, ``group`` ("a": detractors or the touchpoint's bottom
    box; "b": promoters or its top box; None: the rest, in the prior only), ``weight`` (the view's), ``terms``
    (:func:`~tpm.comments.stats.terms_of` of its lemmas): the input of
    :func:`~tpm.comments.stats.distinctive_terms`, for exports and checks (:func:`suggestions` counts in DuckDB)."""
    cte, params = _comments_cte(con, flt, compare)
    frame = con.execute(f"{cte} SELECT id, text, grp, w, words FROM cm ORDER BY id", params).df()
    return pd.DataFrame({"id": frame["id"].astype(int), "text": frame["text"], "group": frame["grp"].astype(object),
                         "weight": frame["w"].astype(float), "terms": [terms_of(w or "", stop) for w in frame["words"]]})


def suggestions(con, flt: Filter, compare: str = COMPARE_DETRACTORS, stop: frozenset[str] | None = None,
                top: int = 30, min_count: int = ANONYMITY) -> pd.DataFrame:
    """The terms group a (detractors, or a touchpoint's bottom box) uses more often than group b, under ``flt``:
    :func:`~tpm.comments.stats.distinctive_terms` with the counting done in DuckDB (the same term rule,
    :func:`~tpm.comments.stats.term_rows_sql`) and the examples' texts, personal data masked (``example_texts``);
    ``display``: the term as a reader spells it (:func:`tpm.text.lemmas.readable`: "beschädigen", not the folded
    "beschadigen" the statistics count).
    Stop words: ``stop``, default :data:`tpm.text.lemmas.STOP_WORDS`. Weighted where the view is (weight 1 where the data has none)."""
    cte, params = _comments_cte(con, flt, compare)
    stop_params = terms_params(stop_words() if stop is None else stop)
    terms_cte = (f"{cte}, tm AS (SELECT t.term, cm.id, cm.grp, cm.w, length(cm.text) AS len "
                 f"FROM {term_rows_sql('cm')} t JOIN cm USING (id))")
    # the counts of every term, their totals (the n of the formula) over all terms, and only the terms that
    # top_terms can keep (n_a >= min_count) fetched, with their examples: the 3 shortest comments of group a
    # with the term (ties: the first)
    counts = con.execute(
        f"{terms_cte}, counted AS (SELECT term, sum(w) AS count, coalesce(sum(w) FILTER (WHERE grp = 'a'), 0) AS count_a, "
        "coalesce(sum(w) FILTER (WHERE grp = 'b'), 0) AS count_b, count(*) FILTER (WHERE grp = 'a') AS n_a, "
        "count(*) FILTER (WHERE grp = 'b') AS n_b FROM tm GROUP BY term), "
        "totals AS (SELECT sum(count) AS n, sum(count_a) AS n_a, sum(count_b) AS n_b FROM counted), "
        "wanted AS (SELECT * FROM counted WHERE n_a >= ?), "
        "examples AS (SELECT term, min_by(id, len::BIGINT * 4294967296 + id, 3) AS examples FROM tm "
        "SEMI JOIN wanted USING (term) WHERE grp = 'a' GROUP BY term) "
        "SELECT w.*, e.examples, t.n AS total, t.n_a AS total_a, t.n_b AS total_b "
        "FROM totals t LEFT JOIN (wanted w JOIN examples e USING (term)) ON true",
        params + stop_params + [int(min_count)]).df()
    totals = tuple(float(counts[c].iloc[0] or 0) for c in ("total", "total_a", "total_b")) if len(counts) else (0.0,) * 3
    counts = counts.dropna(subset=["term"]).drop(columns=["total", "total_a", "total_b"])
    terms = top_terms(log_odds(counts.astype({"n_a": int, "n_b": int}), totals=totals), top=top, min_count=min_count)
    terms["examples"] = [[int(i) for i in ids] for ids in terms["examples"]]
    wanted = sorted({i for ids in terms["examples"] for i in ids})
    texts = dict(con.execute(f"{cte} SELECT id, text FROM cm WHERE list_contains(?::BIGINT[], id)", params + [wanted]).fetchall())
    return terms.assign(
        display=[readable(term, [texts[i] for i in ids]) for term, ids in zip(terms["term"], terms["examples"])],
        example_texts=[[mask(texts[i]) for i in ids] for ids in terms["examples"]])


@dataclass
class Impact:
    """The figures of themes under one filter: ``table`` (:func:`~tpm.comments.stats.theme_impact`),
    ``by_touchpoint``, ``trend``; ``commenters`` (unweighted) and ``weighted``."""

    table: pd.DataFrame
    by_touchpoint: pd.DataFrame
    trend: pd.DataFrame
    commenters: int
    weighted: bool


def commenters(con, flt: Filter, lang: str = "de") -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """(one row per respondent with a comment under ``flt`` — ``key, nps, weight, wave, wave_no`` and a boolean
    column per theme of the study (its label in ``lang``, else its name) —, the theme columns, their rated
    touchpoints ``key, touchpoint``)."""
    if lang not in ("de", "en"):
        raise ValueError("lang must be 'de' or 'en'")
    cte, params = replace(flt, compact=False).respondents_cte()
    base = (f"WITH {cte}, cr AS (SELECT DISTINCT r.rk, r.nps, r.w, r.responded_at, r.dataset_id FROM comments c "
            f"JOIN resp r ON {row_key('c')} = r.rk)")
    frame = con.execute(
        f"{base} SELECT cr.rk AS key, cr.nps, cr.w AS weight, coalesce(d.wave, d.name) AS wave, cr.responded_at, "
        "cr.dataset_id FROM cr JOIN datasets d ON d.id = cr.dataset_id ORDER BY key", params).df()
    # waves in the order of their first answer, then of their first dataset (as tpm.metrics.trend orders them)
    order = frame.groupby("wave").agg(first_at=("responded_at", "min"), first_ds=("dataset_id", "min"))
    order = order.sort_values(["first_at", "first_ds"], na_position="last")
    frame["wave_no"] = frame["wave"].map({wave: i + 1 for i, wave in enumerate(order.index)})
    frame = frame.drop(columns=["responded_at", "dataset_id"])
    themes: list[str] = []
    where, where_params = flt.datasets_sql("d.id")
    theme_rows = con.execute(f"SELECT t.study_id, t.id, coalesce(t.label_{lang}, t.name) AS label FROM themes t "
                             f"WHERE t.study_id IN (SELECT d.study_id FROM datasets d WHERE {where}) "
                             "ORDER BY label, t.study_id, t.id", where_params).df()
    mentions = con.execute(
        f"{base} SELECT DISTINCT cr.rk AS key, d.study_id, ct.theme_id FROM comment_themes ct "
        f"JOIN cr ON {row_key('ct')} = cr.rk JOIN datasets d ON d.id = ct.dataset_id", params).df()
    keyed = mentions.merge(theme_rows, left_on=["study_id", "theme_id"], right_on=["study_id", "id"])
    for label in dict.fromkeys(theme_rows["label"]):  # a label of two studies' themes is one column
        frame[label] = frame["key"].isin(keyed.loc[keyed["label"] == label, "key"])
        themes.append(label)
    rated = con.execute(f"{base} SELECT DISTINCT cr.rk AS key, t.touchpoint FROM ratings t JOIN cr "
                        f"ON {row_key('t')} = cr.rk", params).df()
    return frame, themes, rated


def theme_by_segment(con, flt: Filter, segment: str, lang: str = "de") -> pd.DataFrame:
    """Share of each theme per value of ``segment`` among the commenters under ``flt`` who have that value
    (:func:`~tpm.comments.stats.theme_shares` by ``value``; a multiple-choice answer counts under each value)."""
    frame, themes, _ = commenters(con, flt, lang)
    cte, params = replace(flt, compact=False).respondents_cte()
    values = con.execute(f"WITH {cte} SELECT DISTINCT r.rk AS key, s.value FROM segments s JOIN resp r "
                         f"ON {row_key('s')} = r.rk WHERE s.segment = ? ORDER BY s.value", params + [segment]).df()
    weighted = has_weights(con, replace(flt, compact=False))
    return theme_shares(values.merge(frame, on="key"), themes, weighted=weighted, by="value")


def impact(con, flt: Filter, lang: str = "de") -> Impact:
    """The themes' impact table, their share per touchpoint and per wave under ``flt`` (weighted where the view and
    the data are)."""
    frame, themes, rated = commenters(con, flt, lang)
    weighted = has_weights(con, replace(flt, compact=False))
    return Impact(theme_impact(frame, themes, weighted=weighted),
                  theme_by_touchpoint(frame, rated, themes, weighted=weighted),
                  theme_trend(frame, themes, weighted=weighted), len(frame), weighted)
