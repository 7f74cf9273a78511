"""Memory of one upload's import, phase by phase, without Streamlit: where the copies are.

Runs, in a fresh subprocess per repeat (so that nothing of an earlier run is reused), what the
Upload page runs for one file: ``tpm.upload.prepare`` (read + detect), ``Prepared.apply`` (validate
+ normalise) and ``tpm.store.save_import`` (one DuckDB transaction into a fresh file), on the
~50 MB German-Excel CSV of ``benchmarks/upload_memory.py`` (cached in benchmarks/.cache/).
A thread samples the resident memory (RSS) every 5 ms; the process's own peak
(``getrusage(RUSAGE_SELF).ru_maxrss``) is printed too.

Printed per phase: the peak during it and what is held after it, above the baseline taken after
the imports and before the file's bytes were read, as MB and as a multiple of the file size. The
file's bytes themselves count (1 ×: the server holds them in its upload manager as well).
Usage: ``python benchmarks/import_memory.py [--mb 50] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not benchmarks/: its pages.py would shadow the app's pages/ package
MB = 1024 * 1024


def _upload_memory():
    """benchmarks/upload_memory.py (its file, its RSS sampler), loaded by path: benchmarks/ is no package."""
    spec = importlib.util.spec_from_file_location("upload_memory", ROOT / "benchmarks" / "upload_memory.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


upload_memory = _upload_memory()
rss = upload_memory.rss


class Sampler(upload_memory.Peak):
    def take(self) -> int:
        """The peak since the last take (and start over from now)."""
        peak, self.peak = self.peak, rss()
        return max(peak, self.peak)


def child(path: Path) -> dict:
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())  # as pages/_ui.py sets it on the server

    from tpm import store
    from tpm.upload import lighten, prepare, release_memory

    con = store.connect(Path(tempfile.mkdtemp()) / "bench.duckdb")
    gc.collect()
    release_memory()
    base = rss()
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # the imports' own peak
    sampler = Sampler()
    sampler.start()
    phases = {}
    data = path.read_bytes()  # held throughout, as the server's upload manager holds the upload
    phases["bytes"] = (sampler.take(), rss())
    # the Upload page's steps: prepare without keeping the bytes, the detected mapping checked while
    # the page shows it (its result kept for the import), then the import
    prepared = prepare(path.name, data, con=con)
    prepared.data = None
    assert prepared.problem() is None
    release_memory()
    phases["prepare"] = (sampler.take(), rss())
    result = lighten(prepared.apply(prepared.specs, data=data))
    phases["apply"] = (sampler.take(), rss())
    store.save_import(con, result)
    phases["save_import"] = (sampler.take(), rss())
    del result, prepared
    release_memory()
    time.sleep(0.2)
    phases["released"] = (sampler.take(), rss())
    sampler.running = False
    return {"size": len(data), "base": base, "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "maxrss_before": maxrss_before,
            "phases": phases}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child))))
        return
    path = upload_memory.CACHE / f"upload_{args.mb:g}mb.csv"
    if not path.exists():
        upload_memory.build(path, args.mb)
    for run in range(args.repeat):
        out = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        size, base = r["size"], r["base"]
        line = [f"run {run + 1}: file {size / MB:.1f} MB"]
        for phase, (peak, held) in r["phases"].items():
            line.append(f"{phase} peak +{(peak - base) / MB:.0f} MB ({(peak - base) / size:.1f} x), held +{(held - base) / MB:.0f} MB")
        line.append(f"process peak (ru_maxrss) +{(r['maxrss'] - base) / MB:.0f} MB ({(r['maxrss'] - base) / size:.1f} x; "
                    f"{r['maxrss_before'] / MB:.0f} MB before the file, baseline {base / MB:.0f} MB)")
        print(" | ".join(line))


if __name__ == "__main__":
    main()
