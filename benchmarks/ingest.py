"""Import speed, in one run on one machine: TPM against the floor of each path.

xlsx (issue #13's case): builds (once, cached in benchmarks/.cache/) a 100 000-respondent .xlsx
with 28 columns like a real export — id, date, 4 text segments (Region, Kundenart, Kanal,
Altersgruppe), 20 ratings 1–10 with 35 % blanks and some "weiß nicht", the 0–10 recommend question
and a comment column — and times on the same file:

- bare read: fastexcel (the reader TPM uses) loading the sheet into Arrow, nothing else (the floor),
  in-process and as a command of its own (``python -c``, start-up included, to compare with TPM's);
- TPM in-process: read + detect + normalise + one DuckDB transaction into a fresh file;
- ``python -m tpm ingest`` of the file into a fresh database: the whole command, start-up included;
- pandas.read_excel(engine="openpyxl"): what an analyst's notebook would do (read only!).

CSV: the export of ``benchmarks/pages.py`` (``--csv-rows``, default 1 000 000 respondents × 12
touchpoints, NPS, Region, Kundenart, weight, date; 96 MB) imported by ``python -m tpm ingest``
against DuckDB's own ``read_csv`` of the same file (all columns as text).

Prints the times and the ratios (best of ``--repeat``; the machine is shared, so the ratio to the
floor measured in the same run is the number to read). Targets (issues #2, #13): the xlsx command
≤ 1.5 × the bare read and ≥ 10 × faster than pandas + openpyxl; the CSV command ≤ 2 × read_csv.
Usage: ``python benchmarks/ingest.py [--rows N] [--csv-rows N] [--repeat K] [--skip-pandas] [--skip-xlsx]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from timing import timed  # benchmarks/timing.py (the script's own folder is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tpm import store  # noqa: E402
from tpm.ingest import ingest_bytes  # noqa: E402

TOUCHPOINTS = ["Website", "Online-Werbung", "Bewertungsportale", "Newsletter", "Filiale", "Onlineshop", "Außendienst",
               "Lieferung", "Rechnung", "App", "Hotline", "Reklamation", "E-Mail-Support", "Chat", "Kundenkarte",
               "Kundenmagazin", "Messe", "Montage", "Kundenportal", "Social Media"]


SEGMENTS = {"Region": ["Nord", "Süd", "Ost", "West"], "Kundenart": ["B2B", "B2C"], "Kanal": ["Online", "Filiale", "Telefon"],
            "Altersgruppe": ["unter 30", "30–49", "50–64", "65 und älter"]}
COMMENTS = ["Lieferung kam zu spät, Hotline war freundlich.", "Alles bestens, gerne wieder!",
            "Die Rechnung war unverständlich und die Hotline schwer erreichbar.", "Montage pünktlich, sauber gearbeitet."]


def build(path: Path, rows: int, seed: int = 7) -> None:
    """28 columns: id, date, 4 text segments, 20 ratings, the recommend question, a comment."""
    import openpyxl

    rng = np.random.default_rng(seed)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Export")
    ws.append(["Befragten-ID", "Datum", *SEGMENTS]
              + [f"Wie zufrieden sind Sie mit: {t}?" for t in TOUCHPOINTS]
              + ["Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen? (0-10)", "Anmerkungen"])
    ratings = rng.integers(1, 11, size=(rows, len(TOUCHPOINTS))).astype(object)
    ratings[rng.random(ratings.shape) < 0.35] = None
    ratings[rng.random(ratings.shape) < 0.01] = "weiß nicht"
    nps = rng.integers(0, 11, size=rows)
    segments = [np.array(values)[rng.integers(0, len(values), rows)] for values in SEGMENTS.values()]
    comments = rng.integers(0, len(COMMENTS), rows)
    start = dt.datetime(2026, 1, 1)
    for i in range(rows):
        comment = f"{COMMENTS[comments[i]]} (Auftrag {i})" if i % 5 == 0 else None
        ws.append([f"R{i:06d}", start + dt.timedelta(minutes=int(i)), *(s[i] for s in segments),
                   *ratings[i].tolist(), int(nps[i]), comment])
    wb.save(path)

def best_of(repeat: int, fn) -> float:
    return min(timed(repeat, fn)[0])


def command(path: Path) -> None:
    """``python -m tpm ingest`` of ``path`` into a fresh database: the whole command, start-up included."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "tpm", "ingest", str(path), "--db", str(Path(tmp) / "bench.duckdb")],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def csv_import(rows: int, repeat: int) -> None:
    """The CSV path: ``python -m tpm ingest`` against DuckDB's own ``read_csv`` of the same file."""
    import duckdb

    spec = importlib.util.spec_from_file_location("bench_pages", ROOT / "benchmarks" / "pages.py")
    pages = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pages)
    path = ROOT / "benchmarks" / ".cache" / f"export_{rows}x{len(pages.TOUCHPOINTS)}.csv"
    if not path.exists():
        pages.write_export(path, rows)

    def duck_read():
        con = duckdb.connect()
        con.execute("SELECT count(*) FROM (SELECT * FROM read_csv(?, delim=';', header=true, all_varchar=true))",
                    [str(path)]).fetchall()
        con.close()

    def duck_long():
        """DuckDB alone storing the file the way TPM does: read, ratings unpivoted into a long table
        on disk, committed — what any import into long rows must at least do (no checks at all)."""
        with tempfile.TemporaryDirectory() as tmp:
            con = duckdb.connect(str(Path(tmp) / "long.duckdb"))
            con.execute("CREATE TABLE w AS SELECT row_number() OVER () AS resp, * FROM "
                        "read_csv(?, delim=';', header=true, all_varchar=true)", [str(path)])
            rated = [c for (c,) in con.execute("SELECT column_name FROM (DESCRIBE w)").fetchall() if c.startswith("Wie zufrieden")]
            columns = ", ".join('"' + c.replace('"', '""') + '"' for c in rated)
            con.execute(f"""CREATE TABLE ratings AS SELECT resp, touchpoint, TRY_CAST(score AS DOUBLE) AS score
                            FROM (UNPIVOT w ON {columns} INTO NAME touchpoint VALUE score) WHERE score <> ''""")
            con.execute("CHECKPOINT")
            con.close()

    t_floor = best_of(repeat, duck_read)
    t_long = best_of(repeat, duck_long)
    t_cli = best_of(repeat, lambda: command(path))
    print(f"\nCSV: {rows} respondents x {len(pages.TOUCHPOINTS)} touchpoints + NPS, Region, Kundenart, weight, date "
          f"({path.stat().st_size / 1e6:.0f} MB)")
    print(f"DuckDB read_csv (floor)     : {t_floor:7.2f} s (best of {repeat})")
    print(f"python -m tpm ingest (whole): {t_cli:7.2f} s (best of {repeat})")
    print(f"ratio TPM / read_csv        : {t_cli / t_floor:7.2f}x  (target <= 2)")
    print(f"DuckDB alone, read + long ratings on disk: {t_long:.2f} s = {t_long / t_floor:.2f}x read_csv "
          f"(the least a long layout costs); TPM / that: {t_cli / t_long:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--csv-rows", type=int, default=1_000_000, help="rows of the CSV case (0: skip it)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--skip-xlsx", action="store_true")
    args = parser.parse_args()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores")
    if not args.skip_xlsx:
        xlsx_import(args)
    if args.csv_rows:
        csv_import(args.csv_rows, args.repeat)


def xlsx_import(args) -> None:

    cache = ROOT / "benchmarks" / ".cache"
    cache.mkdir(exist_ok=True)
    path = cache / f"export_{args.rows}x{len(TOUCHPOINTS) + 8}.xlsx"
    if not path.exists():
        t0 = time.perf_counter()
        build(path, args.rows)
        print(f"built {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.0f} s")
    data = path.read_bytes()

    import fastexcel

    def bare():
        return fastexcel.read_excel(data).load_sheet(0, header_row=None, dtypes="string").to_arrow()

    def whole():
        with tempfile.TemporaryDirectory() as tmp:
            con = store.connect(Path(tmp) / "bench.duckdb")
            store.save_import(con, ingest_bytes(path.name, data))
            con.close()

    def bare_command():  # the same read as a command of its own: start-up included, like TPM's
        subprocess.run([sys.executable, "-c", "import fastexcel, sys; fastexcel.read_excel(open(sys.argv[1], 'rb').read())"
                        ".load_sheet(0, header_row=None, dtypes='string').to_arrow()", str(path)], check=True)

    t_bare = best_of(args.repeat, bare)
    t_bare_cli = best_of(args.repeat, bare_command)
    t_whole = best_of(args.repeat, whole)
    t_cli = best_of(args.repeat, lambda: command(path))
    result = ingest_bytes(path.name, data)
    report = result.report()
    print(f"xlsx: {args.rows} respondents x {len(TOUCHPOINTS)} touchpoints, {len(SEGMENTS)} text segments, a comment "
          f"(28 columns), {len(data) / 1e6:.1f} MB; imported {report['respondents']} respondents, "
          f"{result.canonical.rows('ratings') if hasattr(result.canonical, 'rows') else len(result.canonical.ratings)} ratings, {len(report['touchpoints'])} touchpoints")
    print(f"bare fastexcel read         : {t_bare:7.2f} s in-process, {t_bare_cli:.2f} s as a command (best of {args.repeat})")
    print(f"TPM import in-process       : {t_whole:7.2f} s (best of {args.repeat}; read, detect, one DuckDB transaction)")
    print(f"python -m tpm ingest (whole): {t_cli:7.2f} s (best of {args.repeat}; start-up included)")
    print(f"ratio TPM / bare read       : {t_cli / t_bare_cli:7.2f}x as commands, {t_whole / t_bare:.2f}x in-process  (target <= 1.5)")
    if not args.skip_pandas:
        import pandas as pd

        t_pandas = best_of(1, lambda: pd.read_excel(io.BytesIO(data), engine="openpyxl"))
        print(f"pandas.read_excel(openpyxl) : {t_pandas:7.2f} s (read only, 1 run)")
        print(f"ratio pandas / TPM          : {t_pandas / t_cli:7.2f}x whole command  (target >= 10)")


if __name__ == "__main__":
    main()
