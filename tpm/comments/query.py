"""One page of comments: the sidebar filter plus NPS group, touchpoint, rating, theme and search.

:func:`comment_page` answers the Comments page, the CLI and the exports alike (one home). Every value is a
bound parameter, never part of the SQL text.

Filters
    *Sidebar* (:class:`~tpm.metrics.filters.Filter`: study, waves, segments) — the respondents.
    *NPS group* — the respondent's 0–10 answer by the cut-offs of :mod:`tpm.metrics.rules`.
    *Touchpoint* ``T`` — the comments tied to ``T`` (``comments.touchpoint``) and the general comments
    (no touchpoint) of respondents who rated ``T``; a comment tied to *another* touchpoint is left out.
    *rating_max* — only respondents whose rating of ``T`` is at most this value (on the touchpoint's own
    scale: "Hotline ≤ 2").
    *Theme* — the comments coded with that theme id (``comment_themes``).
    *Search* — terms split on white space, a ``"quoted phrase"`` is one term; every term must occur in the
    comment's folded text (:mod:`tpm.text.fold`: case, ß, umlauts and accents folded alike on both sides).

Sort
    ``date``: newest first. ``relevance``: Σ occurrences of the terms / length of the folded text (in
    characters), so a short comment that names the term twice beats a long one naming it once; ties newest first.

Privacy
    The text is masked (:func:`tpm.text.mask.mask`) before it leaves this module. Respondent ids (the
    export's id, the row and dataset keys) are in the rows only for analysts and admins, never for viewers.
    Anonymity: the *cell* is the respondents the respondent filters describe (sidebar, NPS group,
    touchpoint, rating) who wrote a comment; with fewer than the anonymity base
    (:data:`tpm.metrics.rules.ANONYMITY`) no comment is shown (``hidden_small_base``; ``matched`` is 0 then,
    so a search cannot probe the small group either). Search and theme select by what was written, not by
    who wrote it: they do not shrink the cell.

The comment's touchpoint, its folded text and its themes are read as stored (schema 9: ``comments.touchpoint``,
``comments.folded``, ``themes``, ``comment_themes``; filled at import by :mod:`tpm.store.comment_text` and
:mod:`tpm.store.coding`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from tpm.compact import row_key
from tpm.metrics import rules
from tpm.metrics.rules import NPS_GROUPS
from tpm.metrics.weighted import nps_group_sql
from tpm.roles import ROLES
from tpm.text.fold import fold
from tpm.text.mask import mask

__all__ = ["SORTS", "CommentPage", "comment_page", "search_terms", "theme_names"]

SORTS = ("date", "relevance")
_TERM = re.compile(r'"([^"]*)"|(\S+)')


@dataclass
class CommentPage:
    """``rows``: the comments of the page (columns :data:`COLUMNS`, ids only for analysts); ``matched``: the
    comments passing every filter; ``total``: all comments under the sidebar filter; ``hidden_small_base``:
    the cell is below the anonymity base, so no rows."""

    rows: pd.DataFrame
    matched: int
    total: int
    hidden_small_base: bool
    base: int = rules.ANONYMITY


#: the columns of :attr:`CommentPage.rows` (``ID_COLUMNS`` first, for analysts and admins only)
COLUMNS = ["text", "question", "nps", "nps_group", "wave", "responded_at", "themes", "theme_ids", "touchpoint",
           "ratings", "segments"]
ID_COLUMNS = ["dataset_id", "resp", "respondent_id"]


def search_terms(search: str | None) -> list[str]:
    """The folded terms of a search: white space splits, ``"a phrase"`` stays one term; empty terms dropped."""
    terms = [(m.group(1) if m.group(1) is not None else m.group(2)) for m in _TERM.finditer(search or "")]
    return [f for f in (" ".join(fold(term).split()) for term in terms) if f]


def _label_sql(lang: str | None, alias: str = "") -> str:
    """SQL of a theme's label in ``lang`` (its name where the label is empty; ``lang`` None: the name)."""
    if lang is None:
        return f"{alias}name"
    return f"coalesce(nullif({alias}{'label_de' if lang == 'de' else 'label_en'}, ''), {alias}name)"


def theme_names(con, study: int | None, lang: str | None = "de") -> dict[int, str]:
    """The study's themes, id → label in ``lang`` (the name where the label is empty; ``lang`` None: the names)."""
    rows = con.execute(f"SELECT id, {_label_sql(lang)} FROM themes "
                       "WHERE ?::INTEGER IS NULL OR study_id = ? ORDER BY lower(name)", [study, study]).fetchall()
    return dict(rows)


def comment_page(con, flt, *, nps_group: str | None = None, touchpoint: str | None = None,
                 rating_max: float | None = None, theme: int | None = None, search: str | None = None,
                 sort: str = "date", page: int = 0, per_page: int = 50, lang: str | None = "de", role: str = "viewer",
                 base: int = rules.ANONYMITY) -> CommentPage:
    """Page ``page`` (0-based, ``per_page`` rows) of the comments passing ``flt`` and the comment filters (the
    rules of the module docstring), texts masked; ids only when ``role`` is above viewer; themes by their label
    in ``lang`` (None: by name, for scripts)."""
    if nps_group is not None and nps_group not in NPS_GROUPS:
        raise ValueError(f"nps_group: {nps_group!r} is none of {', '.join(NPS_GROUPS)}")
    if sort not in SORTS:
        raise ValueError(f"sort: {sort!r} is none of {', '.join(SORTS)}")
    if rating_max is not None and touchpoint is None:
        raise ValueError("rating_max: needs a touchpoint (the rating of which touchpoint?)")
    if int(page) < 0 or int(per_page) < 1:
        raise ValueError(f"page {page}, per_page {per_page}: page is 0 or more, per_page 1 or more")
    if role not in ROLES:
        raise ValueError(f"role: {role!r} is none of {', '.join(ROLES)}")
    resp_cte, params = flt.respondents_cte()
    # the respondent filters: they make the cell. The touchpoint's ratings joined once (a respondent's lowest, in
    # case of two scales): "rated it" is a match, "rated it at most x" a match with score <= x.
    who, who_params, rated_join, rated_params = [], [], "", []
    if nps_group is not None:
        who.append(nps_group_sql("c.nps", nps_group))
    if touchpoint is not None:
        rated_join = (f" LEFT JOIN (SELECT {row_key('r')} AS rk, min(r.score) AS score FROM ratings r WHERE r.touchpoint = ? "
                      "GROUP BY ALL) rt ON rt.rk = resp.rk")
        rated_params = [touchpoint]
        who.append("(c.touchpoint = ? OR (c.touchpoint IS NULL AND c.rated IS NOT NULL))")
        who_params.append(touchpoint)
        if rating_max is not None:
            who.append("c.rated <= ?")
            who_params.append(float(rating_max))
    # the text filters: they choose comments, not respondents
    what, what_params = [], []
    terms = search_terms(search)
    for term in terms:
        what.append("contains(c.folded, ?)")
        what_params.append(term)
    if theme is not None:
        what.append("EXISTS (SELECT 1 FROM comment_themes ct WHERE ct.dataset_id = c.dataset_id AND ct.resp = c.resp "
                    "AND ct.question = c.question AND ct.theme_id = ?)")
        what_params.append(int(theme))
    # the comments under the sidebar filter, with their touchpoint's rating and (for a search) folded text
    comments = (f"WITH {resp_cte}, c AS (SELECT cm.dataset_id, cm.resp, cm.question, cm.text, cm.touchpoint, "
                f"{'cm.folded' if terms else 'NULL'} AS folded, {'rt.score' if rated_join else 'NULL'} AS rated, "
                f"resp.nps, resp.responded_at, resp.rk FROM comments cm JOIN resp ON {row_key('cm')} = resp.rk{rated_join})")
    params = params + rated_params
    cell_where, where = " AND ".join(who) or "true", " AND ".join(who + what) or "true"
    total, cell, matched = con.execute(
        f"{comments} SELECT count(*), count(DISTINCT rk) FILTER (WHERE {cell_where}), count(*) FILTER (WHERE {where}) FROM c",
        params + who_params + who_params + what_params).fetchone()
    if cell < base:
        return CommentPage(_frame([], role), 0, int(total), True, base)
    relevance = "0.0"
    if terms:
        occurrences = " + ".join("(length(c.folded) - length(replace(c.folded, ?, ''))) / length(?)" for _ in terms)
        relevance = f"({occurrences}) / greatest(length(c.folded), 1)"
    relevance_params = [p for term in terms for p in (term, term)]
    order = "c.responded_at DESC NULLS LAST" if sort == "date" else "relevance DESC, c.responded_at DESC NULLS LAST"
    groups = " ".join(f"WHEN {nps_group_sql('c.nps', g)} THEN '{g}'" for g in NPS_GROUPS)
    found = con.execute(
        f"{comments} SELECT c.dataset_id, c.resp, c.question, c.text, c.touchpoint, c.nps, CASE {groups} END AS nps_group, "
        f"c.responded_at, c.rk, {relevance} AS relevance FROM c WHERE {where} "
        f"ORDER BY {order}, c.dataset_id, c.resp, c.question LIMIT ? OFFSET ?",
        params + relevance_params + who_params + what_params + [int(per_page), int(page) * int(per_page)]).df()
    return CommentPage(_details(con, found, lang, role), int(matched), int(total), False, base)


def _details(con, found: pd.DataFrame, lang: str | None, role: str) -> pd.DataFrame:
    """The page's rows with wave, NPS group, ratings, segments and themes of each comment, texts masked."""
    if found.empty:
        return _frame([], role)
    keys = [int(k) for k in found["rk"]]
    waves = dict(con.execute("SELECT id, name FROM datasets WHERE list_contains(?::INTEGER[], id)",
                             [sorted(set(int(d) for d in found["dataset_id"]))]).fetchall())
    ratings: dict[int, dict] = {}
    for rk, tp, score in con.execute(f"SELECT {row_key('r')}, touchpoint, score FROM ratings r "
                                     f"WHERE list_contains(?::BIGINT[], {row_key('r')}) ORDER BY touchpoint", [keys]).fetchall():
        ratings.setdefault(rk, {})[tp] = score
    segments: dict[int, dict] = {}
    for rk, segment, value in con.execute(f"SELECT {row_key('s')}, segment, value FROM segments s "
                                          f"WHERE list_contains(?::BIGINT[], {row_key('s')}) ORDER BY segment", [keys]).fetchall():
        segments.setdefault(rk, {})[segment] = value
    ids = dict(con.execute("SELECT " + row_key("p") + ", respondent_id FROM respondents p "
                           f"WHERE list_contains(?::BIGINT[], {row_key('p')})", [keys]).fetchall())
    themes: dict[tuple, list] = {}
    for rk, question, theme_id, name in con.execute(
            f"SELECT {row_key('ct')}, ct.question, th.id, {_label_sql(lang, 'th.')} "
            "FROM comment_themes ct JOIN datasets d ON d.id = ct.dataset_id "
            "JOIN themes th ON th.study_id = d.study_id AND th.id = ct.theme_id "
            f"WHERE list_contains(?::BIGINT[], {row_key('ct')}) ORDER BY lower(th.name)", [keys]).fetchall():
        themes.setdefault((rk, question), []).append((theme_id, name))
    records = []
    for row in found.itertuples(index=False):
        coded = themes.get((row.rk, row.question), [])
        records.append({
            "dataset_id": int(row.dataset_id), "resp": int(row.resp), "respondent_id": ids.get(row.rk),
            "text": mask(row.text), "question": row.question, "nps": None if pd.isna(row.nps) else float(row.nps),
            "nps_group": None if pd.isna(row.nps_group) else row.nps_group,
            "wave": waves.get(int(row.dataset_id)), "responded_at": row.responded_at,
            "themes": [name for _, name in coded], "theme_ids": [i for i, _ in coded],
            "touchpoint": None if pd.isna(row.touchpoint) else row.touchpoint,
            "ratings": ratings.get(row.rk, {}), "segments": segments.get(row.rk, {}),
        })
    return _frame(records, role)


def _frame(records: list[dict], role: str) -> pd.DataFrame:
    columns = (ID_COLUMNS if role != "viewer" else []) + COLUMNS
    frame = pd.DataFrame(records, columns=ID_COLUMNS + COLUMNS)[columns]
    for column in ("nps_group", "touchpoint", "wave"):  # a missing value is None (pandas made it NaN), as in the records
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame
