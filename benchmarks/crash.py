"""Crash safety: SIGKILL ``python -m tpm ingest`` at random moments, then check the database.

Each of N rounds imports a new export (a different file each time) and kills the process after a
random delay between 0 and 1.2 × the time a full import takes; then the database must open, and
every dataset in it must be complete (its respondent count as stored at import, ratings present) —
a killed import is absent, never partial. Usage: ``python benchmarks/crash.py [--kills 20] [--rows 50000]``.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def export(path: Path, rows: int, seed: int) -> Path:
    from conftest import german_csv_bytes

    rng = random.Random(seed)
    header = ["ID", "Region", "Hotline (1-10)", "Lieferung (1-10)", "Rechnung (1-10)", "Weiterempfehlung (0-10)"]
    body = [[f"K{seed}-{i}", rng.choice(["Nord", "Süd", "Ost"]), rng.randint(1, 10), rng.randint(1, 10), rng.randint(1, 10),
             rng.randint(0, 10)] for i in range(rows)]
    path.write_bytes(german_csv_bytes([header] + body))
    return path


def ingest(path: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tpm", "ingest", str(path), "--db", str(db)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--rows", type=int, default=50000)
    args = parser.parse_args()
    from tpm import store

    tmp = Path(tempfile.mkdtemp())
    db = tmp / "crash.duckdb"
    start = time.perf_counter()
    assert ingest(export(tmp / "first.csv", args.rows, 0), db).wait() == 0
    full = time.perf_counter() - start
    rng = random.Random(1)
    killed = 0
    for k in range(1, args.kills + 1):
        proc = ingest(export(tmp / f"welle{k}.csv", args.rows, k), db)
        time.sleep(rng.uniform(0, 1.2 * full))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
        for flag in tmp.glob("*.writer"):  # a killed writer leaves its flag; it expires by age, tidy up here
            flag.unlink()
    con = store.connect(db, read_only=True)
    datasets = con.execute("SELECT id, rows FROM datasets ORDER BY id").fetchall()
    partial = []
    for dataset_id, rows in datasets:
        stored = con.execute("SELECT count(*) FROM respondents WHERE dataset_id = ?", [dataset_id]).fetchone()[0]
        ratings = con.execute("SELECT count(*) FROM ratings WHERE dataset_id = ?", [dataset_id]).fetchone()[0]
        if stored != rows or rows != args.rows or ratings == 0:
            partial.append(dataset_id)
    orphans = con.execute("SELECT count(*) FROM respondents WHERE dataset_id NOT IN (SELECT id FROM datasets)").fetchone()[0]
    con.close()
    print(f"{args.kills} imports of {args.rows} rows (a full import takes {full:.1f} s), {killed} SIGKILLed mid-way")
    print(f"datasets complete: {len(datasets) - len(partial)} (incl. the first), partial: {len(partial)}, "
          f"orphan respondent rows: {orphans}")
    sys.exit(1 if partial or orphans else 0)


if __name__ == "__main__":
    main()
