"""Coding comments with a study's themes: ``comment_themes`` = rule matches ∪ manual adds − manual removals.

One theme is one query: its rules become one RE2 expression over ``comments.lemmas`` (:func:`tpm.text.rules.pattern`)
and DuckDB tests every comment of the study's datasets with it; an analyst's override (``theme_overrides``)
decides where it exists (``coalesce(override, rule)``), so overrides survive every re-coding. Called by the import
(a new wave is coded with its study's themes), by a re-mapping, by moving a dataset or merging studies, and by
:mod:`tpm.comments.themes` when a theme changes. All inside the caller's transaction.
"""

from __future__ import annotations

import duckdb

from tpm.text.rules import pattern


def _datasets(con: duckdb.DuckDBPyConnection, study_id: int, dataset_ids: list[int] | None) -> list[int]:
    rows = con.execute("SELECT id FROM datasets WHERE study_id = ? AND (?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], id))",
                       [study_id, dataset_ids, dataset_ids]).fetchall()
    return [int(r[0]) for r in rows]


def code(con: duckdb.DuckDBPyConnection, study_id: int, dataset_ids: list[int] | None = None,
         theme_ids: list[int] | None = None) -> dict[int, int]:
    """Rebuild the coding of ``theme_ids`` (None: every theme of the study — and no coding of the datasets
    is left from another study's themes) over the comments of ``dataset_ids`` (None: all of the study).
    Returns theme id → comments coded with it."""
    ids = _datasets(con, study_id, None if dataset_ids is None else [int(i) for i in dataset_ids])
    themes = con.execute("SELECT id, words, phrases FROM themes WHERE study_id = ? AND (?::INTEGER[] IS NULL OR "
                         "list_contains(?::INTEGER[], id)) ORDER BY id", [study_id, theme_ids, theme_ids]).fetchall()
    if theme_ids is None:
        con.execute("DELETE FROM comment_themes WHERE list_contains(?, dataset_id)", [ids])
    counts = {}
    for theme_id, words, phrases in themes:
        rule = pattern(words or [], phrases or [])
        con.execute("DELETE FROM comment_themes WHERE theme_id = ? AND list_contains(?, dataset_id)", [theme_id, ids])
        matched = "regexp_matches(c.lemmas, ?)" if rule else "false"
        counts[int(theme_id)] = con.execute(
            f"""INSERT INTO comment_themes
                SELECT c.dataset_id, c.resp, c.question, ? FROM comments c
                LEFT JOIN theme_overrides o ON o.dataset_id = c.dataset_id AND o.resp = c.resp
                     AND o.question = c.question AND o.theme_id = ?
                WHERE list_contains(?, c.dataset_id) AND coalesce(o.present, {matched})""",
            [theme_id, theme_id, ids, *([rule] if rule else [])]).fetchone()[0]
    return counts


def code_comment(con: duckdb.DuckDBPyConnection, dataset_id: int, resp: int, question: str, theme_id: int) -> bool:
    """Code one comment with one theme anew (after an override changed): its override, else the rules.
    Returns whether it now carries the theme."""
    key = [int(dataset_id), int(resp), str(question), int(theme_id)]
    row = con.execute(
        """SELECT t.words, t.phrases, c.lemmas, o.present FROM comments c
           JOIN datasets d ON d.id = c.dataset_id JOIN themes t ON t.study_id = d.study_id AND t.id = ?
           LEFT JOIN theme_overrides o ON o.dataset_id = c.dataset_id AND o.resp = c.resp AND o.question = c.question
                AND o.theme_id = t.id
           WHERE c.dataset_id = ? AND c.resp = ? AND c.question = ?""", [key[3], *key[:3]]).fetchone()
    con.execute("DELETE FROM comment_themes WHERE dataset_id = ? AND resp = ? AND question = ? AND theme_id = ?", key)
    if row is None:
        return False
    rule = pattern(row[0] or [], row[1] or [])
    present = row[3] if row[3] is not None else bool(
        rule and con.execute("SELECT regexp_matches(?, ?)", [row[2] or "", rule]).fetchone()[0])
    if present:
        con.execute("INSERT INTO comment_themes VALUES (?, ?, ?, ?)", key)
    return bool(present)


def rehome(con: duckdb.DuckDBPyConnection, dataset_ids: list[int], source: int, target: int) -> None:
    """Datasets moved from study ``source`` to ``target``: their overrides follow the theme of the same
    name (case-insensitive) in ``target`` and are dropped where it has none; then they are coded with
    ``target``'s themes."""
    _follow_overrides(con, dataset_ids, source, target)
    code(con, target, dataset_ids)


def _follow_overrides(con: duckdb.DuckDBPyConnection, dataset_ids: list[int], source: int, target: int) -> None:
    ids = [int(i) for i in dataset_ids]
    if source == target or not ids:
        return
    kept = con.execute(
        """SELECT o.dataset_id, o.resp, o.question, n.id, o.present, o.by_user, o."at"
           FROM theme_overrides o JOIN themes s ON s.study_id = ? AND s.id = o.theme_id
           JOIN themes n ON n.study_id = ? AND lower(n.name) = lower(s.name)
           WHERE list_contains(?, o.dataset_id)""", [source, target, ids]).fetchall()
    con.execute("DELETE FROM theme_overrides WHERE list_contains(?, dataset_id)", [ids])
    if kept:
        con.executemany("INSERT INTO theme_overrides VALUES (?, ?, ?, ?, ?, ?, ?)", kept)


def merge_themes(con: duckdb.DuckDBPyConnection, source: int, target: int, moved: list[int]) -> None:
    """Study ``source`` merged into ``target`` (``moved``: the datasets that came from ``source``): its
    themes that ``target`` lacks (by name) join ``target`` with new ids, the overrides of the moved
    datasets follow them, ``source``'s themes go, and ``target`` is coded anew (its themes now reach
    the moved waves, and the joined themes its own waves)."""
    con.execute(
        """INSERT INTO themes (study_id, id, name, label_de, label_en, words, phrases, created_at)
           SELECT ?, (SELECT coalesce(max(id), 0) FROM themes WHERE study_id = ?) + row_number() OVER (ORDER BY s.id),
                  s.name, s.label_de, s.label_en, s.words, s.phrases, s.created_at
           FROM themes s WHERE s.study_id = ?
             AND lower(s.name) NOT IN (SELECT lower(name) FROM themes WHERE study_id = ?)""",
        [target, target, source, target])
    _follow_overrides(con, moved, source, target)
    con.execute("DELETE FROM themes WHERE study_id = ?", [source])
    code(con, target)
