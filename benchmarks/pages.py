"""Page figures at scale: the aggregates behind every page on 1 000 000 respondents, cold.

Writes (once, cached in benchmarks/.cache/) a CSV export as a user would have it (above 2 M rows,
the importer's limit, in parts of 2 M imported together into one study): respondent
id, response date over one year, Region, Kundenart, a survey weight, 12 touchpoint ratings 1–10
with 15 % blanks and the 0–10 recommend question (NPS), with a planted driver structure. It is
imported through the real command, ``python -m tpm ingest`` (timed, start-up included, against
DuckDB's own ``read_csv`` of the same file), into benchmarks/.cache/pages_<rows>.duckdb.

Then, against that database, it times cold (no Streamlit cache) the figures each page computes,
for the whole sample and for one segment filter (Region = Nord), weighted (the default: the
export has weights) and unweighted:

- Overview: ``touchpoint_stats`` + ``nps_for`` + ``respondent_count``
- Heatmap: ``breakdown_and_totals`` by Region (mean): the cells and the total column
- Segments: ``nps_by_segment`` + ``breakdown_and_totals`` by Region (score)
- Tracking by month: ``tracking_and_totals`` (score, month): NPS and touchpoints per wave, totals
- Drivers: ``drivers_for`` default (NPS, Shapley, pairwise)
- Priority: ``touchpoint_stats`` + ``drivers_for`` (given those figures) + ``priority_matrix``

and prints each against the floor, measured in the same run: a plain DuckDB group-by of the
same long ratings (count, sum, sum of squares per dataset × touchpoint). Each timing is the
median of ``--repeat`` runs. Target (issue #13): every page ≤ 0.5 s at 1M, ≤ 3 s at 10M.

Usage: ``python benchmarks/pages.py [--rows N] [--repeat K] [--pages overview,heatmap,…] [--reimport]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from timing import timed  # benchmarks/timing.py (the script's own folder is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOUCHPOINTS = ["Website", "Onlineshop", "Filiale", "Beratung", "Lieferung", "Montage", "Rechnung", "App",
               "Hotline", "Reklamation", "Kundenportal", "Newsletter"]
REGIONS = ["Nord", "Süd", "Ost", "West"]
CHUNK = 250_000  # rows written at a time: memory stays bounded at 10M
#: the importer takes at most 2 000 000 rows (and 200 MB) a file: larger exports come in parts of
#: this size, imported together into one study (one dataset each)
PART_ROWS = 2_000_000


def write_export(path: Path, rows: int, seed: int = 13) -> None:
    """The CSV export: ``;``-separated like a German survey tool's, UTF-8, one respondent a row."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    effects = np.linspace(0.9, 0.1, len(TOUCHPOINTS))  # planted driver strengths
    names = (["Befragten-ID", "Datum", "Region", "Kundenart", "Gewicht"]
             + [f"Wie zufrieden sind Sie mit: {t}?" for t in TOUCHPOINTS]
             + ["Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen? (0-10)"])
    start = np.datetime64("2026-01-01")
    tmp = path.with_suffix(".tmp")
    with pacsv.CSVWriter(tmp, pa.schema([(n, pa.string()) for n in names]),
                         write_options=pacsv.WriteOptions(delimiter=";", quoting_style="needed")) as writer:
        for lo in range(0, rows, CHUNK):
            n = min(CHUNK, rows - lo)
            latent = rng.normal(size=(n, len(TOUCHPOINTS)))
            ratings = np.clip(np.rint(6.5 + 1.8 * latent + rng.normal(scale=0.8, size=latent.shape)), 1, 10)
            nps = np.clip(np.rint(7 + latent @ effects * 0.9 + rng.normal(scale=1.2, size=n)), 0, 10).astype(int)
            region = rng.integers(0, len(REGIONS), n)
            kind = rng.integers(0, 2, n)
            weight = np.round(np.where(region == 0, 1.4, 0.87) * np.where(kind == 0, 1.1, 0.9), 3)
            days = rng.integers(0, 365, n)
            cols = [
                pa.array([f"R{i:08d}" for i in range(lo, lo + n)]),
                pa.array((start + days.astype("timedelta64[D]")).astype(str)),
                pa.array(np.array(REGIONS)[region]),
                pa.array(np.array(["B2B", "B2C"])[kind]),
                pa.array(weight.astype(str)),
            ]
            blank = rng.random(ratings.shape) < 0.15
            for j in range(len(TOUCHPOINTS)):
                cols.append(pa.array(np.where(blank[:, j], "", ratings[:, j].astype(int).astype(str))))
            cols.append(pa.array(nps.astype(str)))
            writer.write_table(pa.table(cols, names=names))
    tmp.rename(path)


def run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def median_time(repeat: int, fn) -> float:
    return statistics.median(timed(repeat, fn)[0])


def import_export(csvs: list[Path], db: Path, repeat: int) -> None:
    """Time ``python -m tpm ingest`` of the CSV(s) into a fresh file against DuckDB's own read of them."""
    import duckdb

    def duck_read():
        con = duckdb.connect()
        con.execute("SELECT count(*) FROM (SELECT * FROM read_csv(?, delim=';', header=true, all_varchar=true))",
                    [[str(c) for c in csvs]]).fetchall()
        con.close()

    def ingest():
        for suffix in ("", ".wal"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        run([sys.executable, "-m", "tpm", "ingest", *map(str, csvs), "--db", str(db), "--dataset", "Export",
             "--study", "Export"])

    t_floor = median_time(repeat, duck_read)
    t_ingest = median_time(repeat, ingest)
    print(f"import {', '.join(c.name for c in csvs)} ({sum(c.stat().st_size for c in csvs) / 1e6:.0f} MB)")
    print(f"  DuckDB read_csv (floor)        : {t_floor:6.2f} s")
    print(f"  python -m tpm ingest (whole)   : {t_ingest:6.2f} s   {t_ingest / t_floor:5.1f}x floor  (target <= 2x)")


def pages(con, flt):
    """Page name → the calls its figures need (what pages/_ui.py's cached helpers call)."""
    from tpm.metrics.drivers import drivers_for
    from tpm.metrics.nps import nps_for, respondent_count
    from tpm.metrics.priority import priority_matrix
    from tpm.metrics.satisfaction import touchpoint_stats
    from tpm.metrics.segments import breakdown_and_totals, nps_by_segment
    from tpm.metrics.trend import tracking_and_totals

    def priority():  # the page shows the touchpoint figures anyway; they also choose the drivers
        stats = touchpoint_stats(con, flt)
        return priority_matrix(stats, drivers_for(con, flt, stats=stats).table, "mean")

    return {
        "overview": lambda: (touchpoint_stats(con, flt), nps_for(con, flt), respondent_count(con, flt)),
        "heatmap": lambda: breakdown_and_totals(con, flt, "Region", "mean"),
        "segments": lambda: (nps_by_segment(con, flt, "Region"), breakdown_and_totals(con, flt, "Region", "score")),
        "tracking": lambda: tracking_and_totals(con, flt, "score", "month"),
        "drivers": lambda: drivers_for(con, flt),
        "priority": priority,
    }


def floor_query(con, study: int, segment: str | None) -> None:
    """The floor: one plain group-by of the same long ratings (through the same filter)."""
    seg = ("AND EXISTS (SELECT 1 FROM segments s WHERE s.dataset_id = r.dataset_id AND s.resp = r.resp "
           "AND s.segment = 'Region' AND s.value = ?)") if segment else ""
    con.execute(
        "SELECT r.dataset_id, r.touchpoint, count(*), sum(r.score), sum(r.score * r.score) FROM ratings r "
        f"WHERE r.dataset_id IN (SELECT id FROM datasets WHERE study_id = ?) {seg} GROUP BY ALL",
        [study, segment] if segment else [study]).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pages", default="overview,heatmap,segments,tracking,drivers,priority")
    parser.add_argument("--reimport", action="store_true", help="time the import again (and rebuild the database)")
    parser.add_argument("--no-unweighted", action="store_true", help="time the weighted (default) figures only")
    args = parser.parse_args()

    cache = ROOT / "benchmarks" / ".cache"
    cache.mkdir(exist_ok=True)
    parts = -(-args.rows // PART_ROWS)
    sizes = [min(PART_ROWS, args.rows - i * PART_ROWS) for i in range(parts)]
    stem = f"export_{args.rows}x{len(TOUCHPOINTS)}"
    csvs = [cache / f"{stem}.csv"] if parts == 1 else [cache / f"{stem}_part{i + 1}.csv" for i in range(parts)]
    db = cache / f"pages_{args.rows}.duckdb"
    for i, (csv, size) in enumerate(zip(csvs, sizes)):
        if not csv.exists():
            t0 = time.perf_counter()
            write_export(csv, size, seed=13 + i)
            print(f"wrote {csv.name} ({csv.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores; "
          f"median of {args.repeat} runs")
    if args.reimport or not db.exists():
        import_export(csvs, db, args.repeat if args.reimport else 1)

    from tpm import store
    from tpm.metrics import Filter

    con = store.connect(db, read_only=True)
    study = con.execute("SELECT min(id) FROM studies").fetchone()[0]
    ratings = con.execute("SELECT count(*) FROM ratings").fetchone()[0]
    print(f"database: {con.execute('SELECT count(*) FROM respondents').fetchone()[0]:,} respondents, {ratings:,} ratings")
    variants = [("all", None, True), ("Region=Nord", "Nord", True)]
    if not args.no_unweighted:
        variants += [("all, unweighted", None, False), ("Region=Nord, unweighted", "Nord", False)]
    wanted = args.pages.split(",")
    worst = 0.0
    for label, region, weighted in variants:
        flt = Filter.of(segments={"Region": [region]} if region else None, study=study, weighted=weighted)
        t_floor = median_time(args.repeat, lambda region=region: floor_query(con, study, region))
        print(f"\n{label}: floor (DuckDB group-by of the long ratings) {t_floor:6.3f} s")
        for name, fn in pages(con, flt).items():
            if name not in wanted:
                continue
            t = median_time(args.repeat, fn)
            worst = max(worst, t)
            print(f"  {name:<9} {t:6.3f} s   {t / t_floor:5.1f}x floor   {'ok' if t <= 0.5 else 'over 0.5 s'}")
    con.close()
    import resource

    print(f"\nslowest page: {worst:.3f} s (target <= 0.5 s at 1M, <= 3 s at 10M); peak memory of this process "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GB (target <= 4 GB at 10M)")
    cli_start(args.repeat)


def cli_start(repeat: int) -> None:
    """``python -m tpm --help`` and an argument error, against starting Python alone."""
    bare = median_time(repeat, lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    helps = median_time(repeat, lambda: subprocess.run([sys.executable, "-m", "tpm", "--help"], cwd=ROOT, check=True,
                                                       capture_output=True))
    wrong = median_time(repeat, lambda: subprocess.run([sys.executable, "-m", "tpm", "no-such-command"], cwd=ROOT,
                                                       capture_output=True))
    print(f"CLI start-up: python -m tpm --help {helps:.2f} s, argument error {wrong:.2f} s "
          f"(python alone {bare:.2f} s; target <= 0.5 s)")


if __name__ == "__main__":
    main()
