"""The stored comments' search and theme columns: ``folded`` (in SQL) and ``lemmas`` (by distinct words).

``folded`` is :func:`tpm.text.fold.fold_sql` of the text, computed by DuckDB. ``lemmas`` needs the lemmatiser
(Python), but never once per comment: DuckDB splits the comments into words (:data:`tpm.text.lemmas.WORD_PATTERN`,
lower case) and hands over only the *distinct* words; Python lemmatises those (:func:`tpm.text.lemmas.lemma`,
cached); DuckDB joins the lemmas back to every word position and ``string_agg``\\ s them in order. A million
comments of 1–60 words have a few hundred thousand distinct words at most, so Python's share stays small.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from tpm.text.fold import fold_sql
from tpm.text.lemmas import WORD_PATTERN, lemma

_WORDS = f"regexp_extract_all(lower(text), '{WORD_PATTERN}')"


def fill(con: duckdb.DuckDBPyConnection, dataset_ids: list[int] | None = None, only_missing: bool = False) -> int:
    """Set ``folded`` and ``lemmas`` of the comments of ``dataset_ids`` (None: every dataset), inside the
    caller's transaction. ``only_missing``: just the comments without lemmas (a migration). Returns the
    number of distinct words lemmatised."""
    where = "(?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], dataset_id))"
    if only_missing:
        where += " AND lemmas IS NULL"
    ids = None if dataset_ids is None else [int(i) for i in dataset_ids]
    con.execute(f"UPDATE comments SET folded = {fold_sql('text')} WHERE {where}", [ids, ids])
    distinct = con.sql(f"SELECT DISTINCT unnest({_WORDS}) AS word FROM comments WHERE {where}", params=[ids, ids]).to_arrow_table()
    found = distinct.column("word").to_pylist() if distinct.num_rows else []
    lexicon = pa.table({"word": pa.array(found, pa.string()), "lemma": pa.array([lemma(w) for w in found], pa.string())})
    con.register("_lexicon", lexicon)
    try:
        con.execute(
            f"""UPDATE comments SET lemmas = coalesce(x.lemmas, '') FROM (
                    SELECT c.dataset_id, c.resp, c.question, string_agg(l.lemma, ' ' ORDER BY c.i) AS lemmas
                    FROM (SELECT dataset_id, resp, question, unnest(w) AS word, generate_subscripts(w, 1) AS i
                          FROM (SELECT dataset_id, resp, question, {_WORDS} AS w FROM comments WHERE {where})) c
                    JOIN _lexicon l USING (word)
                    GROUP BY ALL) x
                WHERE comments.dataset_id = x.dataset_id AND comments.resp = x.resp AND comments.question = x.question""",
            [ids, ids])
    finally:
        con.unregister("_lexicon")
    con.execute(f"UPDATE comments SET lemmas = '' WHERE lemmas IS NULL AND {where.replace(' AND lemmas IS NULL', '')}", [ids, ids])
    return len(found)
