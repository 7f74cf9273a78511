"""What the comments say where a figure is read: a touchpoint's frequent themes (the Priority matrix and Heatmap
hovers) and the themes detractors mention most, with quotes (the deck's "What detractors say" slide).

**Who counts.** The unit is the *commenter* (a respondent with at least one comment in the group), as in
:func:`tpm.comments.stats.theme_shares`: weights are the respondents', and a respondent who mentions a theme in two
comments mentions it once.

- A touchpoint's group (:func:`top_themes`): the comments tied to the touchpoint (``comments.touchpoint``, a
  comment column such as "Kommentar Hotline"), and the general comments (no touchpoint) of respondents who rated
  it in the bottom box of its scale (:func:`tpm.metrics.weighted.box_sql`: the lowest point on 3–4-point scales,
  the two lowest otherwise). A comment tied to *another* touchpoint speaks of that one and is left out.
- The detractors' group (:func:`detractor_themes`): every comment of a respondent answering 0–6 to the
  recommendation question (:func:`tpm.metrics.weighted.nps_group_sql`).

**Figures.** ``n`` = commenters in the group (unweighted), ``mentions`` = those of them mentioning the theme
(unweighted), ``share`` = Σ w (mentioning) / Σ w (all of the group) × 100 with the view's weights ``w`` (1 when the
view is unweighted or the data has no weights). A group below the anonymity base
(:data:`tpm.metrics.rules.ANONYMITY`) is ``hidden``: no themes and no quotes are given for it. Themes rank by share,
then by name. Counting runs in DuckDB (one query per call, not one per touchpoint or theme).

**Quotes** (:func:`detractor_themes`): per theme the shortest *typical* comments — those with the fewest themes
first (a comment about this theme alone), then the shortest — of 20–200 characters after masking
(:func:`tpm.text.mask.mask`), each text once; never a respondent id.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from tpm.comments.query import _label_sql
from tpm.compact import row_key
from tpm.formatting import fmt_number
from tpm.i18n import t
from tpm.metrics.rules import ANONYMITY
from tpm.metrics.weighted import box_sql, nps_group_sql
from tpm.text.mask import mask

__all__ = ["QUOTE_MAX", "QUOTE_MIN", "detractor_themes", "has_themes", "theme_hover", "top_themes"]

#: a quote has this many characters at least (shorter says little) and at most (longer does not fit a slide)
QUOTE_MIN, QUOTE_MAX = 20, 200
#: the columns of :func:`top_themes`
COLUMNS = ["touchpoint", "theme", "mentions", "share", "n", "hidden"]


def has_themes(con, flt) -> bool:
    """Whether any comment under the study of ``flt`` is coded with a theme (False without the theme tables)."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not {"themes", "comment_themes"} <= tables:
        return False
    where, params = flt.datasets_sql("ct.dataset_id")
    return con.execute(f"SELECT count(*) > 0 FROM (SELECT 1 FROM comment_themes ct WHERE {where} LIMIT 1)",
                       params).fetchone()[0]


def _cte(flt, groups: str) -> tuple[str, list]:
    """``WITH resp, cm, grp`` — ``grp``: (g, rk, w, dataset_id, resp, question) of the comments in each group ``g``
    (``groups``: a SELECT over ``cm``, the comments under ``flt`` with their respondent's rk, w, nps) —,
    ``people`` (g, rk, w: the commenters of each group), ``ment`` (g, rk, w, label: who mentions which theme)."""
    cte, params = replace(flt, compact=False).respondents_cte()
    return (f"WITH {cte}, cm AS (SELECT c.dataset_id, c.resp, c.question, c.text, c.touchpoint, r.rk, r.w, r.nps "
            f"FROM comments c JOIN resp r ON {row_key('c')} = r.rk), grp AS ({groups}), "
            "people AS (SELECT DISTINCT g, rk, w FROM grp), "
            "coded AS (SELECT g.g, g.rk, g.w, g.dataset_id, g.resp, g.question, ct.theme_id, d.study_id FROM grp g "
            "JOIN comment_themes ct USING (dataset_id, resp, question) JOIN datasets d ON d.id = g.dataset_id)", params)


def _ranked(con, sql: str, params: list, lang: str, k: int, base: int) -> pd.DataFrame:
    """The k themes with the highest share per group ``g``, and a hidden row for a group below ``base``."""
    label = _label_sql(lang, "th.")  # the theme's label in lang (its name where none is set), as the Comments page
    people = con.execute(f"{sql} SELECT g, count(*) AS n, sum(w) AS sw FROM people GROUP BY g", params).df()
    ment = con.execute(
        f"{sql}, ment AS (SELECT DISTINCT c.g, c.rk, c.w, {label} AS theme FROM coded c "
        "JOIN themes th ON th.study_id = c.study_id AND th.id = c.theme_id) "
        "SELECT g, theme, count(*) AS mentions, sum(w) AS swm FROM ment GROUP BY g, theme", params).df()
    frame = ment.merge(people, on="g")
    frame["share"] = 100 * frame["swm"] / frame["sw"]
    frame = frame[frame["n"] >= base].sort_values(["g", "share", "theme"], ascending=[True, False, True])
    frame = frame.groupby("g", sort=False).head(k)
    small = people[people["n"] < base].assign(theme=None, mentions=pd.NA, share=float("nan"))
    out = pd.concat([frame.assign(hidden=False), small.assign(hidden=True)], ignore_index=True)
    out["mentions"] = out["mentions"].astype("Int64")
    return out.rename(columns={"g": "touchpoint"})


def top_themes(con, flt, *, per_touchpoint: bool = True, k: int = 3, lang: str = "de", base: int = ANONYMITY) -> pd.DataFrame:
    """Per touchpoint its ``k`` most frequent themes among its group of comments (module docstring): columns
    touchpoint, theme (label in ``lang``), mentions, share (%), n, hidden. ``per_touchpoint=False``: the themes of
    all comments under ``flt`` (touchpoint None). Empty without themes."""
    if not has_themes(con, flt):
        return pd.DataFrame(columns=COLUMNS)
    if per_touchpoint:
        low = box_sql(False, "t.score", "t.scale_min", "t.scale_max")
        groups = ("SELECT c.touchpoint AS g, c.rk, c.w, c.dataset_id, c.resp, c.question FROM cm c "
                  "WHERE c.touchpoint IS NOT NULL UNION ALL "
                  "SELECT t.touchpoint AS g, c.rk, c.w, c.dataset_id, c.resp, c.question FROM cm c "
                  f"JOIN ratings t ON {row_key('t')} = c.rk WHERE c.touchpoint IS NULL AND {low}")
    else:
        groups = "SELECT '' AS g, c.rk, c.w, c.dataset_id, c.resp, c.question FROM cm c"
    sql, params = _cte(flt, groups)
    out = _ranked(con, sql, params, lang, k, base)
    if not per_touchpoint:
        out["touchpoint"] = None
    return out[COLUMNS].sort_values(["touchpoint", "hidden", "share"], ascending=[True, True, False],
                                    ignore_index=True, na_position="last")


def theme_hover(top: pd.DataFrame, lang: str = "de") -> dict[str, str]:
    """Touchpoint → "Häufige Themen: Wartezeit (34 %), Freundlichkeit (12 %)" of :func:`top_themes` (touchpoints
    without a visible theme are left out). Plain text: the chart escapes it."""
    shown = top[~top["hidden"].astype(bool) & top["theme"].notna()]
    return {str(tp): t("frequent_themes", lang, themes=", ".join(
        f"{theme} ({fmt_number(share, 0, lang)} %)" for theme, share in zip(part["theme"], part["share"])))
        for tp, part in shown.groupby("touchpoint", sort=True)}


def detractor_themes(con, flt, *, k: int = 5, quotes: int = 3, lang: str = "de", base: int = ANONYMITY) -> pd.DataFrame:
    """The ``k`` themes most frequent among detractors' comments: theme, mentions, share (%), n (detractor
    commenters), hidden, quotes (list of masked texts, module docstring). One hidden row (no theme) when the
    detractors with comments are fewer than ``base``; empty without themes."""
    columns = ["theme", "mentions", "share", "n", "hidden", "quotes"]
    if not has_themes(con, flt):
        return pd.DataFrame(columns=columns)
    detractor = nps_group_sql("c.nps", "detractor")
    sql, params = _cte(flt, "SELECT 'detractors' AS g, c.rk, c.w, c.dataset_id, c.resp, c.question FROM cm c "
                            f"WHERE {detractor}")
    ranked = _ranked(con, sql, params, lang, k, base)
    if ranked.empty or ranked["hidden"].any():
        return ranked.assign(quotes=[[] for _ in range(len(ranked))])[columns]
    label = _label_sql(lang, "th.")
    # candidates: the comments of each top theme, fewest themes first, then shortest (a few spare for masking)
    candidates = con.execute(
        f"{sql}, per AS (SELECT dataset_id, resp, question, count(*) AS themes FROM coded GROUP BY ALL), "
        f"labelled AS (SELECT DISTINCT {label} AS theme, c.dataset_id, c.resp, c.question FROM coded c "
        "JOIN themes th ON th.study_id = c.study_id AND th.id = c.theme_id WHERE list_contains(?::VARCHAR[], "
        f"{label})) "
        "SELECT l.theme, cx.text FROM labelled l JOIN per USING (dataset_id, resp, question) "
        "JOIN comments cx USING (dataset_id, resp, question) "
        "WHERE length(cx.text) BETWEEN ? AND ? * 2 "
        "QUALIFY row_number() OVER (PARTITION BY l.theme ORDER BY per.themes, length(cx.text), cx.text) <= ?",
        params + [ranked["theme"].tolist(), QUOTE_MIN, QUOTE_MAX, 4 * quotes]).df()
    chosen: dict[str, list[str]] = {}
    for theme, text in zip(candidates["theme"], candidates["text"]):
        masked = " ".join(mask(text).split())
        picked = chosen.setdefault(theme, [])
        if QUOTE_MIN <= len(masked) <= QUOTE_MAX and masked not in picked and len(picked) < quotes:
            picked.append(masked)
    ranked["quotes"] = [chosen.get(theme, []) for theme in ranked["theme"]]
    return ranked[columns].reset_index(drop=True)
