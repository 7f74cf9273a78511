"""Server memory for one upload through the Upload page: before, peak, and after the import.

Builds (once, cached in benchmarks/.cache/) a German-Excel CSV of about 50 MB (id, date, three
segments, 20 ratings 1–10 with blanks and "weiß nicht", the recommend question, a comment), then
runs the real Upload page in-process with Streamlit's AppTest (the server's code path: upload widget,
prepare, mapping table, import), sampling this process's resident memory every 10 ms.

Prints RSS before, peak (and peak − before as a multiple of the file size) and after the import.
Targets (issue #12): peak ≤ 6 × file size above the baseline; after ≤ before + 100 MB. What keeps
the peak down: cells dictionary-encoded from the CSV reader on (1 byte a cell for a rating column),
each distinct value parsed once, the long ratings/segments/comments streamed into DuckDB a column
at a time instead of built as frames, freed memory handed back between the phases, DuckDB's memory
limit lowered while the import writes (it frees its insert buffers early), and no copy of the
upload kept with the prepared file across reruns.
The test harness itself holds the file's bytes once (AppTest keeps what it uploaded): the figures
include those ~50 MB. Usage: ``python benchmarks/upload_memory.py [--mb 50]``.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not benchmarks/: its pages.py would shadow the app's pages/ package

CACHE = ROOT / "benchmarks" / ".cache"
TOUCHPOINTS = ["Website", "Online-Werbung", "Bewertungsportale", "Newsletter", "Filiale", "Onlineshop", "Außendienst",
               "Lieferung", "Rechnung", "App", "Hotline", "Reklamation", "E-Mail-Support", "Chat", "Kundenkarte",
               "Kundenmagazin", "Messe", "Montage", "Kundenportal", "Social Media"]


def build(path: Path, megabytes: float, seed: int = 12) -> None:
    rng = np.random.default_rng(seed)
    rows = int(megabytes * 1024 * 1024 / 86)  # ~86 bytes per row
    ratings = rng.integers(1, 11, size=(rows, len(TOUCHPOINTS))).astype(str)
    ratings[rng.random(ratings.shape) < 0.3] = ""
    ratings[rng.random(ratings.shape) < 0.01] = "weiß nicht"
    regions = np.array(["Nord", "Süd", "Ost", "West"])[rng.integers(0, 4, rows)]
    kinds = np.array(["B2B", "B2C"])[rng.integers(0, 2, rows)]
    channels = np.array(["online", "Filiale", "Telefon"])[rng.integers(0, 3, rows)]
    nps = rng.integers(0, 11, rows)
    comments = np.array(["", "", "", "Lieferung kam spät", "sehr freundlich", "Rechnung unklar"])[rng.integers(0, 6, rows)]
    buf = io.StringIO()
    out = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    out.writerow(["Befragten-ID", "Datum", "Region", "Kundenart", "Kanal"] + [f"{t} (1-10)" for t in TOUCHPOINTS]
                 + ["Weiterempfehlung (0-10)", "Anmerkungen"])
    for i in range(rows):
        out.writerow([f"R{i:07d}", f"{1 + i % 28:02d}.{1 + i % 12:02d}.2026", regions[i], kinds[i], channels[i],
                      *ratings[i], nps[i], comments[i]])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode("cp1252"))


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Peak(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.running = rss(), True

    def run(self):
        while self.running:
            self.peak = max(self.peak, rss())
            time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=50)
    args = parser.parse_args()
    path = CACHE / f"upload_{args.mb:g}mb.csv"
    if not path.exists():
        build(path, args.mb)
    import tempfile

    from streamlit.testing.v1 import AppTest

    db = Path(tempfile.mkdtemp()) / "bench.duckdb"
    os.environ["TPM_DB"], os.environ["TPM_SEED"] = str(db), "0"
    os.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.switch_page("pages/upload.py").run()
    data = path.read_bytes()
    size = len(data)
    gc.collect()
    before = rss()
    peak = Peak()
    peak.start()
    t0 = time.perf_counter()
    at.file_uploader(key="upload").set_value((path.name, data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    prepared = time.perf_counter() - t0
    at.button(key="upload_import").click().run()
    assert not at.exception and at.success, ([e.value for e in at.error], [w.value for w in at.warning], [i.value for i in at.info])
    total = time.perf_counter() - t0
    del data
    gc.collect()
    time.sleep(0.3)
    peak.running = False
    peak.join()
    after = rss()
    mb = 1024 * 1024
    print(f"file: {size / mb:.1f} MB ({path.name}); read+detect {prepared:.1f} s, through the import {total:.1f} s")
    print(f"RSS before: {before / mb:.0f} MB   peak: {peak.peak / mb:.0f} MB (+{(peak.peak - before) / mb:.0f} MB = "
          f"{(peak.peak - before) / size:.1f} x file)   after: {after / mb:.0f} MB (+{(after - before) / mb:.0f} MB)")

    if os.environ.get("BENCH_DEBUG"):
        from tpm.upload import release_memory

        release_memory()
        print(f"after an extra release_memory(): {rss() / mb:.0f} MB")
        time.sleep(10)
        print(f"10 s later: {rss() / mb:.0f} MB")
        from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
        for o in gc.get_objects():
            if isinstance(o, MemoryUploadedFileManager):
                print("uploaded files held:", {k: len(v) for k, v in o.file_storage.items()})
        import pyarrow as pa
        print("arrow pool bytes", pa.total_allocated_bytes())
        big = sorted(((sys.getsizeof(o), type(o).__name__) for o in gc.get_objects() if isinstance(o, (bytes, bytearray))), reverse=True)[:5]
        print("largest bytes objects:", big)
    print("session state after the import:", "still holds the prepared file" if "prepared" in at.session_state else "no prepared file")


if __name__ == "__main__":
    main()
