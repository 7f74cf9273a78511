"""Comments at scale (issue #21 "Scale"): filling the search and theme columns at import, and re-coding a theme,
on N comments of 1–60 words — each against DuckDB scanning the same text with ``contains`` in the same run.

The comments are made inside DuckDB (a fixed seed): words drawn Zipf-like from a vocabulary of real German and
English comment words, their inflections, and ``--vocabulary`` made-up words (names, typos, rare words: what makes a
real vocabulary long-tailed, and what the lemmatiser has to look at once each). Measured:

- ``import``: :func:`tpm.store.comment_text.insert` — the comments inserted as the import does, ``folded`` in SQL,
  ``lemmas`` by the distinct-word route (Arrow splits, Python lemmatises each distinct word once, Arrow takes the
  lemmas back and joins them), against inserting the same rows as they are; the Python lemmatising share apart;
- ``recode``: :func:`tpm.store.coding.code` for one theme (a stem, two words, a phrase) over all comments;
- ``contains``: ``SELECT count(*) FROM comments WHERE contains(folded, 'liefer')`` — the floor of any scan.

Usage: ``python benchmarks/bench_comment_coding.py [--n 1000000] [--vocabulary 200000] [--threads 2]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tpm import store  # noqa: E402
from tpm.store import coding, comment_text  # noqa: E402
from tpm.text import lemmas  # noqa: E402

WORDS = ["die", "der", "das", "und", "ist", "nicht", "zu", "sehr", "gut", "schlecht", "lange", "warten", "wartezeit", "wartezeiten", "lieferung", "lieferungen", "geliefert", "liefern", "lieferzeit", "lieferzeiten", "paket", "pakete", "rechnung", "rechnungen", "falsch", "freundlich", "freundliche", "mitarbeiter", "mitarbeiterin", "hotline", "telefon", "erreicht", "erreichbar", "nie", "immer", "wieder", "preis", "preise", "teuer", "günstig", "qualität", "kaputt", "beschädigt", "schnell", "langsam", "service", "kundenservice", "beratung", "berater", "antwort", "antworten", "e-mail", "mail", "app", "website", "bestellung", "bestellt", "bestellungen", "retoure", "zurück", "geld", "erstattung", "kündigung", "gekündigt", "vertrag", "verträge", "problem", "probleme", "gelöst", "lösung", "danke", "alles", "prima", "super", "toll", "leider", "ärgerlich", "enttäuscht", "zufrieden", "unzufrieden", "würde", "empfehlen", "weiterempfehlen", "the", "and", "not", "too", "long", "delivery", "delivered", "deliveries", "late", "waiting", "wait", "waited", "staff", "friendly", "rude", "price", "expensive", "cheap", "quality", "broken", "support", "call", "called", "phone", "never", "always", "again", "refund", "cancel", "cancelled", "contract", "problem", "solved", "thanks", "great", "good", "bad"]


def make(con, n: int, vocabulary: int) -> None:
    """``comments`` with n rows of 1–60 words (dataset 1, study 1)."""
    con.execute("INSERT INTO studies (id, name, created_at) VALUES (1, 'Bench', now()::TIMESTAMP)")
    con.execute("""INSERT INTO datasets (id, study_id, name, source_file, sha256, uploaded_at, rows, mapping, report)
                   VALUES (1, 1, 'Bench', 'bench.csv', 'x', now()::TIMESTAMP, ?, '[]', '{}')""", [n])
    con.execute("CREATE TEMP TABLE vocab AS SELECT row_number() OVER () - 1 AS k, w FROM (SELECT unnest(?::VARCHAR[]) AS w)", [WORDS])
    con.execute("""INSERT INTO vocab SELECT ? + i,  -- made-up words: two to four syllables
                     list_reduce(list_transform(range((2 + i % 3)::BIGINT), lambda j: ['ka','lo','mi','ne','ru','sa','te','vo','bre',
                       'sch','ung','en','er','lich','ter','ei','au'][1 + ((hash(i * 7 + j) % 17)::INT)]), lambda a, b: a || b)
                   FROM range(?) t(i)""", [len(WORDS), vocabulary])
    size = len(WORDS) + vocabulary
    con.execute(f"""
        INSERT INTO comments (dataset_id, resp, question, text)
        SELECT 1, r, 'Warum?', string_agg(v.w, ' ' ORDER BY p)
        FROM (SELECT r, p, CASE WHEN hash(r * 61 + p) % 10 < 7  -- 70 %: the common words, Zipf-like
                               THEN (floor(pow((hash(r * 67 + p) % 1000000) / 1e6, 3) * {len(WORDS)}))::BIGINT
                               ELSE {len(WORDS)} + (hash(r * 71 + p) % {vocabulary})::BIGINT END AS k
              FROM (SELECT r, unnest(range((1 + hash(r) % 60)::BIGINT)) AS p FROM range(?) t(r))) x
        JOIN vocab v USING (k) GROUP BY r""", [n])
    assert size > 0


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--vocabulary", type=int, default=200_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        con = store.connect(Path(folder) / "bench.duckdb")
        con.execute(f"SET threads = {args.threads}")
        made = seconds(lambda: make(con, args.n, args.vocabulary))
        words = con.execute("SELECT sum(len(string_split(text, ' '))), avg(length(text)) FROM comments").fetchall()[0]
        print(f"{args.n:,} comments, {int(words[0]):,} words (mean {words[1]:.0f} characters); made in {made:.1f} s")
        load = seconds(lambda: lemmas.lemma("lieferungen"))  # the dictionaries load once per process (reported apart)
        texts = con.sql("SELECT resp, question, text FROM comments ORDER BY resp").to_arrow_table()
        con.execute("DELETE FROM comments")
        lemmatised = []
        original = comment_text.lemma

        def timed(word):
            start = time.perf_counter()
            out = original(word)
            lemmatised.append(time.perf_counter() - start)
            return out

        def insert():
            with store.transaction(con, bump=False):
                comment_text.insert(con, 1, texts)

        con.register("texts", texts)
        plain = seconds(lambda: con.execute("CREATE TEMP TABLE plain AS SELECT * FROM texts"))
        comment_text.lemma = timed
        inserted = seconds(insert)
        comment_text.lemma = original
        python = sum(lemmatised)
        print(f"import of the comments (insert with folded text and lemmas): {inserted:.1f} s — {len(lemmatised):,} distinct "
              f"words lemmatised in Python in {python:.1f} s; the same rows inserted as they are: {plain:.1f} s "
              f"(dictionary load, once per process: {load:.1f} s)")
        con.execute("""INSERT INTO themes VALUES (1, 1, 'Lieferung', NULL, NULL, ['liefer*', 'Paket', 'delivery'],
                       ['zu lange'], now()::TIMESTAMP)""")
        counts = {}
        recode = min(seconds(lambda: counts.update(coding.code(con, 1, theme_ids=[1]))) for _ in range(3))
        found = []
        contains = min(seconds(lambda: found.append(con.execute(
            "SELECT count(*) FROM comments WHERE contains(folded, 'liefer')").fetchone()[0])) for _ in range(3))
        print(f"recode one theme: {recode:.2f} s ({counts[1]:,} comments coded); DuckDB contains(folded, 'liefer'): "
              f"{contains:.2f} s ({found[0]:,} rows); ratio {recode / contains:.1f}×")
        con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
