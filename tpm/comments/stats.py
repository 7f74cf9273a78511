"""What comments say, in figures: distinctive terms of two groups, and the NPS impact, touchpoint spread and trend of themes.

Pure functions over small frames (pandas/numpy/scipy, no database): :mod:`tpm.comments.figures` reads the study and
feeds them, the pages, the CLI and the tests call them alike.

Units
-----
- :func:`distinctive_terms` counts **comments**: a term counts once per comment that contains it (a comment that
  says "warten" five times is one voice), with the weight of the comment's respondent.
- :func:`theme_impact`, :func:`theme_shares` (and :func:`theme_by_touchpoint`, :func:`theme_trend`) count
  **commenters**: a respondent with two comments counts once per theme (mentioning it in any comment), as NPS and
  weights belong to respondents and two comments of one person are not independent observations.

Bases (:mod:`tpm.metrics.rules`, unweighted n): a cell with fewer than ``ANONYMITY`` respondents is hidden
(``hidden`` = True, its figures NaN); NPS differences are tested only with ``MIN_TEST`` respondents on either side.
"""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pandas as pd
from scipy import stats

from tpm.metrics.estimate import taylor
from tpm.metrics.nps import nps_weighted
from tpm.metrics.nps_counts import NPS, nps_from_counts
from tpm.metrics.registry import METRICS
from tpm.metrics.rules import ANONYMITY, DETRACTOR_MAX, MIN_TEST, PROMOTER_MIN
from tpm.metrics.significance import benjamini_hochberg

__all__ = [
    "NEGATIONS",
    "distinctive_terms",
    "log_odds",
    "term_counts",
    "term_rows_sql",
    "terms_of",
    "terms_params",
    "theme_by_touchpoint",
    "theme_impact",
    "theme_shares",
    "theme_trend",
    "top_terms",
]

#: negations are stop words in every list, yet "nicht erreichbar" / "not helpful" is what a detractor says: kept
NEGATIONS = frozenset({"nicht", "kein", "keine", "keinen", "keinem", "keiner", "nie", "niemals", "nichts",
                       "not", "no", "never", "nothing"})


def terms_of(lemmas: str, stop: frozenset[str] = frozenset()) -> list[str]:
    """The terms of one comment: its lemmas and two-lemma phrases, stop words removed (negations kept), each once.

    Parameters
    ----------
    lemmas : str
        The comment's lemmas in text order, separated by spaces (``comments.lemmas``).
    stop : frozenset of str
        Stop words (``tpm.text.lemmas.STOP_WORDS``); :data:`NEGATIONS` stay.

    Notes
    -----
    A phrase joins two neighbouring lemmas *after* stop words are removed, so "wartet so lange" gives
    "wartet lange"; a lemma repeated ("gut gut") makes no phrase. Order: the lemmas, then the phrases, first
    occurrence first. :func:`term_rows_sql` is the same rule in DuckDB (``tests/test_comment_stats.py`` proves both agree).
    """
    kept = [w for w in (lemmas or "").split() if w not in stop or w in NEGATIONS]
    return list(dict.fromkeys(kept + [f"{a} {b}" for a, b in pairwise(kept) if a != b]))


def term_rows_sql(source: str) -> str:
    """DuckDB: a subquery of the distinct ``(id, term)`` pairs of :func:`terms_of` over the relation ``source``
    (columns ``id`` and ``words``, the lemmas separated by spaces). The stop words are bound as the next parameter
    (:func:`terms_params`).

    Set-based, no lambdas: the lemmas are unnested with their position (``generate_subscripts``), the stop words
    removed by an anti-join, the phrase is a kept lemma and the next kept one (``lead`` over the comment), and
    ``DISTINCT`` counts each term once per comment. ``benchmarks/comment_stats.py``: 1 M comments of 1–60 lemmas in
    a few seconds on 2 cores, where the per-comment list lambdas took minutes."""
    return (f"(WITH tok AS (SELECT id, unnest(l) AS lem, generate_subscripts(l, 1) AS pos "
            f"FROM (SELECT id, string_split(coalesce(words, ''), ' ') AS l FROM {source})), "
            "kept AS (SELECT id, pos, lem FROM tok WHERE lem <> '' AND lem NOT IN (SELECT unnest(?::VARCHAR[]))), "
            "seq AS (SELECT id, lem, lead(lem) OVER (PARTITION BY id ORDER BY pos) AS nxt FROM kept) "
            "SELECT DISTINCT id, term FROM (SELECT id, lem AS term FROM seq "
            "UNION ALL SELECT id, lem || ' ' || nxt FROM seq WHERE nxt <> lem))")


def terms_params(stop: frozenset[str]) -> list:
    """The parameters of :func:`term_rows_sql`: the stop words without :data:`NEGATIONS`."""
    return [sorted(set(stop) - NEGATIONS)]


def term_counts(docs: pd.DataFrame) -> pd.DataFrame:
    """Per term: ``count`` (weighted comments with it, all groups), ``count_a``, ``count_b`` (of groups a, b), ``n_a``, ``n_b``
    (unweighted comments of a, b). ``docs``: see :func:`distinctive_terms`. Each comment counts once per term."""
    long = docs[["group", "weight", "terms"]].reset_index(drop=True).explode("terms").dropna(subset=["terms"])
    long = long.rename_axis("_doc").reset_index().drop_duplicates(["_doc", "terms"])
    counts = pd.DataFrame({"count": long.groupby("terms")["weight"].sum()})
    for g in ("a", "b"):
        part = long[long["group"] == g].groupby("terms")["weight"]
        counts[f"count_{g}"], counts[f"n_{g}"] = part.sum(), part.count()
    counts = counts.fillna(0.0).rename_axis("term").reset_index()
    return counts.astype({"n_a": int, "n_b": int})


def log_odds(counts: pd.DataFrame, *, alpha0: float | None = None,
             totals: tuple[float, float, float] | None = None) -> pd.DataFrame:
    """δ, its SE and z of every term of ``counts`` (:func:`term_counts`): Monroe et al.'s log-odds ratio with an
    informative Dirichlet prior (formulas in :func:`distinctive_terms`: y_wa = ``count_a``, y_wb = ``count_b``, y_w =
    ``count``; n, n_a, n_b their column sums, or ``totals`` when ``counts`` holds only some of the terms — the
    database fetches only those :func:`top_terms` can keep). Adds ``delta, se, z``."""
    y, ya, yb = (counts[c].to_numpy(float) for c in ("count", "count_a", "count_b"))
    n, na, nb = (y.sum(), ya.sum(), yb.sum()) if totals is None else totals
    a0 = n if alpha0 is None else float(alpha0)
    aw = a0 * y / n if n else y
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.log((ya + aw) / (na + a0 - ya - aw)) - np.log((yb + aw) / (nb + a0 - yb - aw))
        se = np.sqrt(1 / (ya + aw) + 1 / (yb + aw))
    return counts.assign(delta=delta, se=se, z=delta / se)


def top_terms(scored: pd.DataFrame, *, top: int = 30, min_count: int = ANONYMITY) -> pd.DataFrame:
    """The ``top`` terms of :func:`log_odds` with z > 0 and at least ``min_count`` comments of group a, highest z first."""
    kept = scored[(scored["n_a"] >= min_count) & (scored["z"] > 0)]
    return kept.sort_values(["z", "term"], ascending=[False, True]).head(top).reset_index(drop=True)


def distinctive_terms(docs: pd.DataFrame, *, alpha0: float | None = None, top: int = 30,
                      min_count: int = ANONYMITY) -> pd.DataFrame:
    """Terms group "a" uses more often than group "b": weighted log-odds ratio with an informative Dirichlet prior.

    Parameters
    ----------
    docs : DataFrame
        One row per comment: ``id`` (shown as example), ``group`` ("a", "b" or None: only in the prior),
        ``weight`` (1.0 when unweighted), ``terms`` (list of str, :func:`terms_of`); optional ``text`` (examples
        are the shortest texts; without it the comments with the fewest terms).
    alpha0 : float, optional
        Prior sample size α₀. Default (None): α₀ = n, the size of the whole corpus, so that α_w = y_w, the term's
        own count over all comments of the view — the background-corpus prior of Monroe et al. (2008), here the
        view's own comments (with passives and unrated ones). A smaller α₀ shrinks less: rare terms rise.
    top : int
        How many terms to return (highest z first).
    min_count : int
        Fewest comments of group a (unweighted) a term needs; default the anonymity base, so no example is one
        person's wording that few could trace.

    Returns
    -------
    DataFrame
        ``term, count`` (weighted comments containing it, all groups), ``count_a, count_b`` (of a, b), ``n_a, n_b``
        (unweighted), ``delta, se, z``, ``examples`` (ids of up to 3 comments of group a with the term, shortest
        first). Sorted by z descending; only terms with z > 0 (used more by a).

    Notes
    -----
    With y_wg the (weighted) number of comments of group g containing term w, n_g = Σ_w y_wg, y_w and n the same
    over all comments, α_w = α₀ · y_w / n (Monroe, Colaresi & Quinn 2008, eq. 16–22)::

        δ_w = log((y_wa + α_w) / (n_a + α₀ − y_wa − α_w)) − log((y_wb + α_w) / (n_b + α₀ − y_wb − α_w))
        σ²(δ_w) ≈ 1 / (y_wa + α_w) + 1 / (y_wb + α_w)
        z_w = δ_w / σ(δ_w)

    The prior pulls rare terms' log-odds towards the corpus rate; z ranks by evidence, not by raw frequency
    difference (which favours common words) nor by raw log-odds (which favours one-off words). The counting
    (:func:`term_counts`), the formula (:func:`log_odds`) and the choice (:func:`top_terms`) are separate steps, so
    that :mod:`tpm.comments.figures` counts in DuckDB and shares the formula.

    References
    ----------
    Monroe, B. L., Colaresi, M. P. & Quinn, K. M. (2008). Fightin' words: Lexical feature selection and
    evaluation for identifying the content of political conflict. *Political Analysis* 16(4), 372–403.
    """
    if docs.empty:
        return top_terms(log_odds(pd.DataFrame(columns=["term", "count", "count_a", "count_b", "n_a", "n_b"])), top=top,
                         min_count=min_count).assign(examples=[])
    terms = top_terms(log_odds(term_counts(docs), alpha0=alpha0), top=top, min_count=min_count)
    length = docs["text"].str.len() if "text" in docs else docs["terms"].str.len()
    long = docs.assign(_len=length, _doc=np.arange(len(docs)))[docs["group"] == "a"].explode("terms")
    long = long[long["terms"].isin(terms["term"])].drop_duplicates(["_doc", "terms"]).sort_values(["_len", "_doc"])
    examples = long.groupby("terms")["id"].agg(lambda ids: list(ids[:3]))
    return terms.assign(examples=terms["term"].map(examples))


# --- themes: shares and NPS impact among commenters ---------------------------------------------------------


def _share(mention: np.ndarray, w: np.ndarray, weighted: bool) -> tuple[float, float, float, float]:
    """(share %, CI low, CI high, Kish n_eff) of the units with ``mention`` — the top-2-box rule of the metric
    registry: Wilson unweighted, Taylor SE ± z weighted (:mod:`tpm.metrics.registry`)."""
    y = mention.astype(float)
    w = w if weighted else np.ones_like(y)
    est = taylor(*(np.array([s]) for s in (len(y), w.sum(), (w * w).sum(), (w * y).sum(), (w * w * y).sum(),
                                           (w * w * y * y).sum())))
    est.value, est.se = 100 * est.value, 100 * est.se
    low, high = METRICS["top2"].interval(est, weighted)
    return float(est.value[0]), float(low[0]), float(high[0]), float(est.n_eff[0])


def _nps(nps: np.ndarray, w: np.ndarray, weighted: bool) -> NPS:
    """NPS of the 0–10 answers ``nps`` (weights ``w``): :func:`~tpm.metrics.nps_counts.nps_from_counts`
    (adjusted Wald) or, weighted, :func:`~tpm.metrics.nps.nps_weighted` (Taylor)."""
    pro, det = nps >= PROMOTER_MIN, nps <= DETRACTOR_MAX
    counts = (int(det.sum()), int(len(nps) - pro.sum() - det.sum()), int(pro.sum()))
    if not weighted:
        return nps_from_counts(*counts)
    y = np.where(pro, 100.0, np.where(det, -100.0, 0.0))
    sums = {"n": len(y), "sw": w.sum(), "sw2": (w * w).sum(), "swy": (w * y).sum(), "sw2y": (w * w * y).sum(),
            "sw2yy": (w * w * y * y).sum(), "pro_w": w[pro].sum(), "det_w": w[det].sum()}
    return nps_weighted(*counts, sums)


def theme_shares(frame: pd.DataFrame, themes: list[str], *, weighted: bool, by: str | None = None) -> pd.DataFrame:
    """Share of commenters mentioning each theme (per group ``by``), with its 95 % CI.

    Parameters
    ----------
    frame : DataFrame
        One row per commenter (per group): ``weight`` and one boolean column per theme in ``themes``; column ``by``.
    themes : list of str
        The theme columns.
    weighted : bool
        Use ``weight`` (else every commenter counts 1).
    by : str, optional
        Group column (e.g. ``touchpoint``, ``wave``); None = all commenters.

    Returns
    -------
    DataFrame
        ``[by,] theme, n`` (commenters, unweighted), ``mentions`` (unweighted), ``share, share_low, share_high``
        (%), ``n_eff`` (Kish), ``hidden`` (n below the anonymity base: figures NaN).

    Notes
    -----
    share = Σ_{mentioning} w / Σ w. 95 % CI unweighted: Wilson score interval; weighted: share ± 1.96·SE with the
    Taylor-linearised SE of the weighted mean of y ∈ {0, 1}, clipped to 0–100, and n_eff = (Σw)² / Σw² (Kish 1965)
    — the interval the metric registry uses for every share (:mod:`tpm.metrics.registry`).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. *JASA* 22, 209–212.
    Kish, L. (1965). *Survey Sampling*. Wiley.
    """
    rows = []
    groups = [(None, frame)] if by is None else frame.groupby(by, sort=False)
    for key, part in groups:
        w = part["weight"].to_numpy(float)
        for theme in themes:
            mention = part[theme].to_numpy(bool)
            hidden = len(part) < ANONYMITY
            share = (math.nan,) * 4 if hidden else _share(mention, w, weighted)
            rows.append({**({by: key} if by else {}), "theme": theme, "n": len(part),
                         "mentions": math.nan if hidden else int(mention.sum()), "share": share[0],
                         "share_low": share[1], "share_high": share[2], "n_eff": share[3], "hidden": hidden})
    return pd.DataFrame(rows, columns=([by] if by else []) + ["theme", "n", "mentions", "share", "share_low",
                                                               "share_high", "n_eff", "hidden"])


def theme_impact(frame: pd.DataFrame, themes: list[str], *, weighted: bool) -> pd.DataFrame:
    """Per theme: its share of commenters and the NPS of commenters mentioning it against those who do not.

    Parameters
    ----------
    frame : DataFrame
        One row per commenter: ``weight``, ``nps`` (0–10 or NaN) and one boolean column per theme.
    themes : list of str
        The theme columns.
    weighted : bool
        Use ``weight``.

    Returns
    -------
    DataFrame
        :func:`theme_shares` columns, then ``nps_with, nps_with_low, nps_with_high, n_with`` (mentioning, with an
        NPS answer), the same ``_without``, ``diff, diff_low, diff_high`` (points), ``p``, ``q``,
        ``hidden_nps`` (either side below the anonymity base: NPS figures NaN). Sorted as ``themes``.

    Notes
    -----
    NPS and its 95 % CI per side: adjusted Wald (Rocks 2016) unweighted, Taylor-linearised weighted
    (:mod:`tpm.metrics.nps`). The difference Δ = NPS_with − NPS_without of two independent groups has
    SE(Δ) = √(SE_with² + SE_without²) — unweighted SE² = 100² · var/n with var = p_pro + p_det − (p_pro − p_det)²
    (:func:`tpm.metrics.nps_counts.nps_variance`), so z = Δ / SE(Δ) is :func:`tpm.metrics.significance.nps_difference`;
    weighted the Taylor SEs. CI: Δ ± 1.96·SE(Δ); p two-sided normal, only with n ≥ ``MIN_TEST`` on both sides
    (else NaN). q: Benjamini–Hochberg across the tested themes of the table (``scipy.stats.false_discovery_control``).

    References
    ----------
    Rocks, B. (2016). Interval estimation for the "net promoter score". *The American Statistician* 70(4), 365–372.
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B* 57(1), 289–300.
    """
    shares = theme_shares(frame, themes, weighted=weighted)
    rated = frame[frame["nps"].notna()]
    nps, w = rated["nps"].to_numpy(float), rated["weight"].to_numpy(float)
    z = float(stats.norm.ppf(0.975))
    rows = []
    for theme in themes:
        mention = rated[theme].to_numpy(bool)
        n_with, n_without = int(mention.sum()), int((~mention).sum())
        row = {"n_with": n_with, "n_without": n_without, "hidden_nps": min(n_with, n_without) < ANONYMITY}
        if row["hidden_nps"]:
            rows.append(row)
            continue
        a, b = _nps(nps[mention], w[mention], weighted), _nps(nps[~mention], w[~mention], weighted)
        diff, se = a.score - b.score, math.hypot(a.se, b.se)
        tested = min(n_with, n_without) >= MIN_TEST and se > 0
        rows.append({**row, "nps_with": a.score, "nps_with_low": a.ci_low, "nps_with_high": a.ci_high,
                     "nps_without": b.score, "nps_without_low": b.ci_low, "nps_without_high": b.ci_high,
                     "diff": diff, "diff_low": diff - z * se, "diff_high": diff + z * se,
                     "p": 2 * float(stats.norm.sf(abs(diff / se))) if tested else math.nan})
    impact = pd.DataFrame(rows, columns=["nps_with", "nps_with_low", "nps_with_high", "n_with", "nps_without",
                                         "nps_without_low", "nps_without_high", "n_without", "diff", "diff_low",
                                         "diff_high", "p", "hidden_nps"])
    impact["p"] = impact["p"].astype(float)
    impact["q"] = benjamini_hochberg(impact["p"].to_numpy(float))
    return pd.concat([shares.reset_index(drop=True), impact], axis=1)


def theme_by_touchpoint(frame: pd.DataFrame, rated: pd.DataFrame, themes: list[str], *, weighted: bool) -> pd.DataFrame:
    """Share of each theme per touchpoint, among the commenters who rated that touchpoint.

    ``frame``: one row per commenter with ``key``, ``weight`` and the theme columns; ``rated``: ``key, touchpoint``
    (each commenter's rated touchpoints). Returns :func:`theme_shares` by ``touchpoint`` (n = commenters who rated
    it; hidden below the anonymity base).
    """
    both = frame.merge(rated[["key", "touchpoint"]].drop_duplicates(), on="key")
    return theme_shares(both, themes, weighted=weighted, by="touchpoint")


def theme_trend(frame: pd.DataFrame, themes: list[str], *, weighted: bool) -> pd.DataFrame:
    """Share of each theme per wave (column ``wave``; waves in their order of ``wave_no`` when given, else as they
    come): :func:`theme_shares` by ``wave``."""
    if "wave_no" in frame:
        frame = frame.sort_values("wave_no", kind="stable")
    return theme_shares(frame, themes, weighted=weighted, by="wave")
