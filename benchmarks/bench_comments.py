"""Comments at scale: 1 M comments of 1–60 words, the Comments page's query against DuckDB scanning the text.

The database is made in SQL (no import): 500 000 respondents in two waves, each with a 0–10 answer, a
Region, ratings of four touchpoints and two comments (a general one and one tied to the Hotline) of
1–60 words drawn from a German vocabulary with umlauts and ß. Each case times
:func:`tpm.comments.query.comment_page` (first page of 50, best of ``--repeat`` runs) and, beside it, the
bare scan DuckDB needs for the same text condition (``count(*) … WHERE contains(lower(text), term)``,
no folding, no filters, no join; a case without search is compared with one pass over the text) — the ratio says what the page adds to the scan. The folded text is read
from ``comments.folded`` (the column the import fills from schema 9 on; filled here in SQL); ``--fold-in-query``
also times folding in the query (``fold_sql(text)``, before schema 9).

Usage: ``python benchmarks/bench_comments.py [--comments 1000000] [--repeat 3] [--db PATH] [--fold-in-query]``.
Import and re-coding of themes: ``benchmarks/bench_comment_coding.py``.
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
from tpm.comments.query import comment_page  # noqa: E402
from tpm.metrics import Filter  # noqa: E402
from tpm.text.fold import fold_sql  # noqa: E402

WORDS = ["Hotline", "Warteschleife", "Mitarbeiter", "freundlich", "unfreundlich", "Straße", "Müller", "Größe", "Öffnungszeiten", "Rechnung", "Preis", "teuer", "günstig", "schnell", "langsam", "Lieferung", "Paket", "Filiale", "Beratung", "kompetent", "App", "Absturz", "Login", "Vertrag", "Kündigung", "Tarif", "Rückruf", "wartete", "Minuten", "Stunden", "Tage", "gut", "schlecht", "super", "danke", "leider", "immer", "wieder", "nie", "wieder", "gerne", "empfehlen", "nicht", "zufrieden", "sehr", "die", "der", "das", "und", "aber", "mit", "ohne", "für", "zu"]


def build(con, comments: int) -> None:
    """A study of ``comments`` / 2 respondents in two waves, ratings, a segment and two comments each."""
    n = comments // 2
    words = list(WORDS)
    con.execute("INSERT INTO studies (name, created_at) VALUES ('Bench', now())")
    for wave in (1, 2):
        con.execute("INSERT INTO datasets (study_id, name, source_file, sha256, uploaded_at, rows, mapping, report) "
                    "VALUES (1, ?, 'bench.csv', ?, now(), ?, '{}', '{}')", [f"Welle {wave}", f"bench{wave}", n // 2])
    con.execute("""INSERT INTO respondents (dataset_id, resp, respondent_id, row_number, responded_at, nps, weight)
                   SELECT 1 + (i % 2), i // 2, 'R' || i, i // 2, TIMESTAMP '2024-01-01'
                   + to_minutes((hash(i) % 500000)::BIGINT), (hash(i * 7) % 11)::DOUBLE, NULL FROM range(?) t(i)""", [n])
    con.execute("""INSERT INTO ratings (dataset_id, resp, touchpoint, score, scale_min, scale_max) SELECT r.dataset_id, r.resp, tp, 1 + (hash(r.resp, r.dataset_id, tp) % 5), 1, 5
                   FROM respondents r, (VALUES ('Hotline'), ('Filiale'), ('App'), ('Rechnung')) v(tp)""")
    con.execute("""INSERT INTO segments (dataset_id, resp, segment, value) SELECT dataset_id, resp, 'Region',
                   ['Nord', 'Süd', 'Ost', 'West'][(1 + hash(resp, 3) % 4)::BIGINT] FROM respondents""")
    vocabulary = "[" + ", ".join("'" + w + "'" for w in words) + "]"  # the constant list (our own words)
    text = (f"array_to_string(list_transform(range((1 + hash(r.resp, r.dataset_id, q) % 60)::BIGINT), "
            f"lambda k: {vocabulary}[(1 + hash(r.dataset_id, r.resp, q, k) % {len(words)})::BIGINT]), ' ')")
    con.execute(f"""INSERT INTO comments (dataset_id, resp, question, text)
                    SELECT r.dataset_id, r.resp, q, {text} FROM respondents r, (VALUES ('Anmerkungen'), ('Kommentar Hotline')) v(q)""")
    con.execute("ALTER TABLE comments ADD COLUMN IF NOT EXISTS touchpoint VARCHAR")
    con.execute("UPDATE comments SET touchpoint = 'Hotline' WHERE question = 'Kommentar Hotline'")
    con.execute("CHECKPOINT")


CASES = [  # label, comment_page arguments, the bare scan's term (None: a term that never occurs, one pass over the text)
    ("all comments, newest first", {}, None),
    ("segment Region = Nord", {"segments": {"Region": ["Nord"]}}, None),
    ("detractors", {"nps_group": "detractor"}, None),
    ("Hotline ≤ 2, detractors", {"touchpoint": "Hotline", "rating_max": 2, "nps_group": "detractor"}, None),
    ("search 'strasse'", {"search": "strasse"}, "straße"),
    ("search 'mueller warteschleife', relevance", {"search": "mueller warteschleife", "sort": "relevance"}, "müller"),
    ("search '\"nie wieder\"', wave 2", {"search": '"nie wieder"', "datasets": [2]}, "nie wieder"),
    ("search 'Zeppelin' (no hit)", {"search": "Zeppelin"}, "zeppelin"),
]


def _best(fn, repeat: int) -> tuple[float, float]:
    """The best wall-clock seconds of ``repeat`` runs, and that run's CPU seconds (all threads): on a busy machine
    the CPU time says what the query costs, the wall time what a user waits."""
    runs = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        runs.append((time.perf_counter() - start, time.process_time() - cpu))
    return min(runs)


def bench_comment_page(con, repeat: int = 3, modes=("stored folded",)) -> list[dict]:
    """Each case of :data:`CASES` in each mode: seconds of comment_page, of the bare scan, and their ratio.
    "fold in query" (before schema 9) is slow for a search — fold_sql's strip_accents over 1 M texts, ~25 CPU
    seconds — and only run on request (``--fold-in-query``)."""
    results = []
    for mode in modes:
        if mode == "fold in query":  # a reused database: back to the state before schema 9
            con.execute("ALTER TABLE comments DROP COLUMN IF EXISTS folded")
        if mode == "stored folded":
            start = time.perf_counter()
            con.execute("ALTER TABLE comments ADD COLUMN IF NOT EXISTS folded VARCHAR")
            con.execute(f"UPDATE comments SET folded = {fold_sql('text')}")
            print(f"(filling comments.folded: {time.perf_counter() - start:.1f} s)")
        for label, args, term in CASES:
            args = dict(args)
            flt = Filter.of(args.pop("datasets", None), args.pop("segments", None), 1, compact=False)
            page = comment_page(con, flt, **args)
            seconds, cpu = _best(lambda: comment_page(con, flt, **args), repeat)  # noqa: B023
            scan_sql = "SELECT count(*) FROM comments WHERE contains(lower(text), ?)"
            scan, scan_cpu = _best(lambda: con.execute(scan_sql, [term or "zeppelin"]).fetchone(), repeat)  # noqa: B023
            results.append({"mode": mode, "case": label, "seconds": seconds, "cpu": cpu, "scan": scan, "scan_cpu": scan_cpu,
                            "ratio": seconds / scan, "matched": page.matched, "total": page.total})
            print(f"{mode:14} {label:42} {seconds:6.3f} s (cpu {cpu:6.3f})   scan {scan:6.3f} s (cpu {scan_cpu:6.3f})   "
                  f"×{seconds / scan:5.1f}   {page.matched:>9,} of {page.total:,}")
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, help="a database file to reuse (made if missing)")
    parser.add_argument("--fold-in-query", action="store_true", help="also time folding in the query (before schema 9)")
    args = parser.parse_args(argv)
    path = args.db or Path(tempfile.mkdtemp()) / "comments.duckdb"
    fresh = not path.exists()
    con = store.connect(path)
    if fresh:
        start = time.perf_counter()
        build(con, args.comments)
        print(f"built {args.comments:,} comments in {time.perf_counter() - start:.0f} s: {path}")
    bench_comment_page(con, args.repeat, ("fold in query", "stored folded") if args.fold_in_query else ("stored folded",))
    con.close()


if __name__ == "__main__":
    main()
