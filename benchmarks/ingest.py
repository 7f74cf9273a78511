"""Import speed: TPM's whole import vs a bare fast read vs pandas + openpyxl, in one run.

Builds (once, cached in benchmarks/.cache/) a 100 000-respondent × 20-touchpoint .xlsx like a
real export: id, date, three segments, 20 ratings 1–10 with 35 % blanks and some "weiß nicht",
the 0–10 recommend question and a comment column. Then times, on the same file:

- bare read: fastexcel (the reader TPM uses) loading the sheet into Arrow, nothing else (the floor);
- TPM import: read + detect + normalise + one DuckDB transaction into a fresh file;
- pandas.read_excel(engine="openpyxl"): what an analyst's notebook would do (read only!).

Prints the times and the ratios. Targets (issue #2): TPM ≤ 1.5 × bare read; ≥ 10 × faster
than pandas + openpyxl. Usage: ``python benchmarks/ingest.py [--rows N] [--repeat K]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

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
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-pandas", action="store_true")
    args = parser.parse_args()

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

    t_bare = best_of(args.repeat, bare)
    t_whole = best_of(args.repeat, whole)
    result = ingest_bytes(path.name, data)
    report = result.report()
    print(f"file: {args.rows} respondents x {len(TOUCHPOINTS)} touchpoints, {len(data) / 1e6:.1f} MB; "
          f"imported {report['respondents']} respondents, {len(result.canonical.ratings)} ratings, "
          f"{len(report['touchpoints'])} touchpoints")
    print(f"bare fastexcel read         : {t_bare:7.2f} s (best of {args.repeat})")
    print(f"TPM whole import (to DuckDB): {t_whole:7.2f} s (best of {args.repeat})")
    print(f"ratio TPM / bare read       : {t_whole / t_bare:7.2f}x  (target <= 1.5)")
    if not args.skip_pandas:
        import pandas as pd

        t_pandas = best_of(1, lambda: pd.read_excel(io.BytesIO(data), engine="openpyxl"))
        print(f"pandas.read_excel(openpyxl) : {t_pandas:7.2f} s (read only, 1 run)")
        print(f"ratio pandas / TPM          : {t_pandas / t_whole:7.2f}x  (target >= 10)")


if __name__ == "__main__":
    main()
