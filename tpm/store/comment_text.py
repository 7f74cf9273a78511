"""The stored comments' search and theme columns: ``folded`` (in SQL) and ``lemmas`` (by distinct words).

``folded`` is :func:`tpm.text.fold.fold_sql` of the text, computed by DuckDB as the comments are inserted.
``lemmas`` needs the lemmatiser (Python), but never once per comment, nor once per word: :func:`lemma_strings`
splits the texts into words in Arrow (RE2, :data:`tpm.text.lemmas.WORD_PATTERN`, lower case), dictionary-encodes
the words, lemmatises only the *distinct* words in Python (:func:`tpm.text.lemmas.lemma`, cached), takes the
lemmas back to every word position and joins each comment's list with spaces — all vectorised. A million
comments of 1–60 words have a few hundred thousand distinct words at most (``benchmarks/bench_comments.py``).

Measured against the first design (DuckDB explodes the words, joins the lemma table, ``string_agg``\\ s them in
order, then an ``UPDATE``): on 100 000 comments the explode-join-aggregate alone took 5.5 s where the Arrow route
takes well under one, and the import now writes each comment once, with its lemmas, instead of updating it.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tpm.text.fold import fold_sql
from tpm.text.lemmas import lemma

#: what separates words: anything that is not a letter (the complement of tpm.text.lemmas.WORD_PATTERN)
_SEPARATOR = r"[^\pL]+"


def lemma_strings(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Per text, its words' lemmas joined by single spaces ("" without words): the stored ``comments.lemmas``,
    equal to ``" ".join(tpm.text.lemmas.lemmas(text))``."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    lists = pc.split_pattern_regex(pc.utf8_lower(texts.cast(pa.string())), _SEPARATOR)
    flat = lists.flatten()
    encoded = pc.dictionary_encode(flat)
    distinct = encoded.dictionary.to_pylist()
    lemmas = pc.take(pa.array([lemma(w) if w else "" for w in distinct], pa.string()), encoded.indices)
    keep = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    kept_before = np.concatenate([[0], np.cumsum(keep)]).astype(np.int32)  # words kept before each position
    offsets = kept_before[lists.offsets.to_numpy() - lists.offsets[0].as_py()]
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), lemmas.filter(pa.array(keep))), " ")


def _with_lemmas(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with a ``lemmas`` column; a dictionary-encoded text column is lemmatised once per distinct text."""
    text = batch.column(batch.schema.get_field_index("text"))
    if pa.types.is_dictionary(text.type):
        lemmas = pa.DictionaryArray.from_arrays(text.indices, lemma_strings(text.dictionary))
    else:
        lemmas = lemma_strings(text)
    return pa.RecordBatch.from_arrays([*batch.columns, lemmas], names=[*batch.schema.names, "lemmas"])


def insert(con: duckdb.DuckDBPyConnection, dataset_id: int, rows: pa.RecordBatchReader | pa.Table) -> None:
    """Insert one import's comments (resp, question, text[, touchpoint]) with their folded text and lemmas."""
    batches = iter(rows.to_batches() if isinstance(rows, pa.Table) else rows)
    first = next(batches, None)
    if first is None:
        return
    head = _with_lemmas(first)

    def all_batches():
        yield head
        for batch in batches:
            yield _with_lemmas(batch)

    incoming = pa.RecordBatchReader.from_batches(head.schema, all_batches())
    columns = ", ".join(head.schema.names)
    con.register("incoming_comments", incoming)
    try:
        con.execute(f"""INSERT INTO comments (dataset_id, {columns}, folded)
                        SELECT ?, {columns}, {fold_sql('text')} FROM incoming_comments""", [dataset_id])
    finally:
        con.unregister("incoming_comments")


def fill(con: duckdb.DuckDBPyConnection) -> int:
    """Set ``folded`` and ``lemmas`` of every stored comment without lemmas (a file made before schema 9),
    inside the caller's transaction. Returns the number of comments filled."""
    rows = con.sql("SELECT rowid AS rid, text FROM comments WHERE lemmas IS NULL").to_arrow_table()
    if not rows.num_rows:
        return 0
    con.register("filled_comments", pa.table({"rid": rows.column("rid"), "lemmas": lemma_strings(rows.column("text"))}))
    try:
        con.execute(f"""UPDATE comments SET lemmas = f.lemmas, folded = {fold_sql('comments.text')}
                        FROM filled_comments f WHERE comments.rowid = f.rid""")
    finally:
        con.unregister("filled_comments")
    return rows.num_rows
