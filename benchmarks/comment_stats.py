"""Time of the comment statistics on N synthetic comments: suggested terms and theme impact.

A study of N respondents with one comment each (1–60 lemmas from a 5 000-word Zipf-like vocabulary, a third of them
the stop word "und", stored as ``comments.lemmas``), NPS 0–10, and 10 themes each coded on ~10 % of the comments. Times
:func:`tpm.comments.figures.suggestions` (the terms are counted in DuckDB) and :func:`tpm.comments.figures.impact`
on the whole study. Usage: ``python benchmarks/comment_stats.py [--n 50000] [--db /tmp/comments.duckdb]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(con, n: int) -> None:
    con.execute("INSERT INTO studies (id, name, created_at) VALUES (1, 'Bench', now()::TIMESTAMP)")
    con.execute("INSERT INTO datasets (id, study_id, name, source_file, sha256, wave, uploaded_at, rows, mapping, report) "
                "VALUES (1, 1, 'bench', 'bench', 'bench', 'w1', now()::TIMESTAMP, ?, '[]', '{}')", [n])
    con.execute("INSERT INTO respondents (dataset_id, resp, respondent_id, nps) "
                "SELECT 1, i, i::VARCHAR, (hash(i) % 11)::DOUBLE FROM range(?) t(i)", [n])
    con.execute("""INSERT INTO comments (dataset_id, resp, question, text, lemmas)
        SELECT 1, i, 'q', s, s FROM (SELECT i, array_to_string(list_transform(range(1 + (hash(i * 7) % 60)::INT),
            lambda j: CASE WHEN hash(i * 13 + j) % 3 = 0 THEN 'und' ELSE 'w' || ((hash(i * 1000 + j) % 5000) * (hash(i * 31 + j) % 5000) // 5000)::VARCHAR END), ' ') AS s
        FROM range(?) t(i))""", [n])
    for k in range(1, 11):
        con.execute("INSERT INTO themes VALUES (1, ?, ?, NULL, NULL, [], [], now()::TIMESTAMP)", [k, f"T{k}"])
        con.execute("INSERT INTO comment_themes SELECT 1, i, 'q', ? FROM range(?) t(i) WHERE hash(i * ?) % 10 = 0", [k, n, k])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="comments (= respondents)")
    parser.add_argument("--db", type=Path, default=None, help="database file (default: a temporary one)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tpm import store
    from tpm.comments.figures import impact, suggestions
    from tpm.metrics.filters import Filter

    with tempfile.TemporaryDirectory() as tmp:
        con = store.connect(args.db or Path(tmp) / "comments.duckdb")
        build(con, args.n)
        flt = Filter.of(study=1, weighted=False)
        start, cpu = time.perf_counter(), time.process_time()
        terms = suggestions(con, flt)  # the real stop words (a third of the lemmas are 'und')
        middle, cpu = time.perf_counter(), time.process_time() - cpu
        themes = impact(con, flt)
        end = time.perf_counter()
        con.close()
    print(f"{args.n} comments: suggestions {middle - start:.1f} s (CPU {cpu:.1f} s, {len(terms)} terms), "
          f"impact of {len(themes.table)} themes {end - middle:.1f} s")


if __name__ == "__main__":
    main()
