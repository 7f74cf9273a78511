"""Load: N headless-Chromium sessions browse every page while a CLI import and an upload run.

Starts a real server on 127.0.0.1 (local mode, a fresh database seeded with the samples), opens N
browser sessions (one Chromium, N contexts) that each visit all pages twice, and meanwhile runs
``python -m tpm ingest`` on a new export and uploads another one through the Upload page in one more
session. Reports page times (p50/p95, from navigation until the heading and charts are visible),
errors (an exception box, "Traceback", a failed navigation), and the respondent count every session
sees afterwards on the Overview of the default study (must be equal, and equal to the database's
count for that study). ``tests/test_load.py`` runs a small version (3 sessions) in the suite. Usage:
``python benchmarks/load.py [--sessions 10]``. Needs /usr/bin/chromium and Playwright (requirements-dev).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

PAGES = [("/", "Überblick", 2), ("/heatmap", "Heatmap", 1), ("/segments", "Segmente", 1), ("/tracking", "Entwicklung", 3),
         ("/drivers", "Treiber", 1), ("/priority", "Prioritäten-Matrix", 1), ("/journey", "Kundenreise", 2),
         ("/targets", "Soll–Ist", 0), ("/actions", "Maßnahmen", 0), ("/inventory", "Kontaktpunkte", 0),
         ("/upload", "Daten hochladen", 0)]
NAV_TIMEOUT = 180_000  # ms: on a small, shared machine N browsers compete with the server for the CPU
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking"]


def export(path: Path, rows: int, seed: int) -> Path:
    import numpy as np
    from conftest import german_csv_bytes

    rng = np.random.default_rng(seed)
    header = ["ID", "Region", "Zufriedenheit Hotline (1-10)", "Zufriedenheit Lieferung (1-10)", "Weiterempfehlung (0-10)"]
    body = [[f"L{seed}-{i}", ["Nord", "Süd", "Ost", "West"][i % 4], int(rng.integers(1, 11)), int(rng.integers(1, 11)),
             int(rng.integers(0, 11))] for i in range(rows)]
    path.write_bytes(german_csv_bytes([header] + body))
    return path


async def visit(page, url, heading, charts, times, errors):
    from playwright.async_api import expect

    start = time.perf_counter()
    try:
        await page.goto(url)
        await expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=NAV_TIMEOUT)
        if charts:
            await expect(page.locator(".js-plotly-plot").nth(charts - 1)).to_be_visible(timeout=NAV_TIMEOUT)
        times.append(time.perf_counter() - start)
        if await page.locator('[data-testid="stException"]').count() or "Traceback" in await page.inner_text("body"):
            errors.append(f"exception on {url}")
    except Exception as exc:  # every failure is counted and reported
        errors.append(f"{url}: {str(exc).splitlines()[0]}")


async def session(browser, base, rounds, times, errors, pages=PAGES):
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_navigation_timeout(NAV_TIMEOUT)
    page = await context.new_page()
    for _ in range(rounds):
        for path, heading, charts in pages:
            await visit(page, base + path, heading, charts, times, errors)
    return context, page


async def upload(browser, base, file: Path, errors):
    from playwright.async_api import expect

    context = await browser.new_context()
    context.set_default_navigation_timeout(NAV_TIMEOUT)
    page = await context.new_page()
    try:
        await page.goto(base + "/upload")
        await expect(page.get_by_role("heading", name="Daten hochladen")).to_be_visible(timeout=60000)
        await page.locator('input[type="file"]').set_input_files(str(file))
        await expect(page.get_by_role("button", name="Importieren")).to_be_enabled(timeout=120000)
        await page.get_by_role("button", name="Importieren").click()
        await expect(page.get_by_text("Importiert als Datensatz")).to_be_visible(timeout=120000)
    except Exception as exc:
        errors.append(f"upload: {str(exc).splitlines()[0]}")


async def respondents(page, base):
    from playwright.async_api import expect

    await page.goto(base + "/?lang=en")
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Respondents").locator('[data-testid="stMetricValue"]').first
    await expect(metric).to_be_visible(timeout=60000)
    return (await metric.inner_text()).strip()


async def run(sessions: int, rounds: int, pages=PAGES, cli_rows: int = 20000, upload_rows: int = 5000,
              cli_delay: float = 5) -> dict:
    """Serve, browse with ``sessions`` sessions while a CLI import and an upload run; the measurements."""
    from playwright.async_api import async_playwright

    tmp = Path(tempfile.mkdtemp())
    db = tmp / "load.duckdb"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp / "server.log", "w")  # noqa: SIM115 (the server's log while it runs; closed below)
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
                              cwd=ROOT, env={**os.environ, "TPM_DB": str(db)}, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(base + "/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    cli_file, upload_file = export(tmp / "cli_welle.csv", cli_rows, 1), export(tmp / "upload_welle.csv", upload_rows, 2)
    times, errors = [], []
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            await respondents(await (await browser.new_context()).new_page(), base)  # first start: seed the samples

            async def cli():
                await asyncio.sleep(cli_delay)  # while the sessions browse
                proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "tpm", "ingest", str(cli_file), "--db", str(db),
                                                            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
                _out, err = await proc.communicate()
                if proc.returncode:
                    errors.append(f"cli ingest rc={proc.returncode}: {err.decode().strip()}")
                return err.decode()

            started = time.perf_counter()
            results = await asyncio.gather(*[session(browser, base, rounds, times, errors, pages) for _ in range(sessions)],
                                           cli(), upload(browser, base, upload_file, errors))
            elapsed = time.perf_counter() - started
            seen = [await respondents(page, base) for _, page in results[:sessions]]
            await browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    from tpm import store, studies

    con = store.connect(db, read_only=True)  # what the Overview must show: the respondents of the default study
    in_db = con.execute("SELECT count(*) FROM respondents WHERE dataset_id IN (SELECT id FROM datasets WHERE study_id = ?)",
                        [studies.default_study(con)]).fetchone()[0]
    con.close()
    return {"sessions": sessions, "rounds": rounds, "pages": len(pages), "times": sorted(times), "errors": errors,
            "elapsed": elapsed, "cli_waited": "waiting" in (results[sessions] or ""), "seen": seen, "in_db": in_db,
            "cli_rows": cli_rows, "upload_rows": upload_rows}


def report(r: dict) -> None:
    times = r["times"]
    q = statistics.quantiles(times, n=20) if len(times) > 1 else times * 19
    print(f"{r['sessions']} sessions x {r['rounds']} rounds x {r['pages']} pages = {len(times)} page views in {r['elapsed']:.0f} s, "
          f"while a CLI import ({r['cli_rows']:,} rows) and an upload ({r['upload_rows']:,} rows) ran")
    print(f"page time p50 {statistics.median(times):.2f} s, p95 {q[18]:.2f} s, max {times[-1]:.2f} s")
    errors = r["errors"]
    shown = [e for e in errors if e.startswith("exception")]
    print(f"errors: {len(errors)}, of which an exception or traceback on the page: {len(shown)}"
          + "".join(f"\n  {e}" for e in errors[:10]))
    print(f"CLI: {'waited for the database' if r['cli_waited'] else 'did not need to wait'}")
    print(f"respondents seen by the sessions afterwards: {sorted(set(r['seen']))}; in the database (default study): {r['in_db']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    report(asyncio.run(run(args.sessions, args.rounds)))


if __name__ == "__main__":
    main()
