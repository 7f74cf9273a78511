"""Operations: a killed import leaves no lasting "busy", a full disk and a damaged file say so, private files,
a pinned image, and no third-party host in what we serve or export."""

import ast
import errno
import logging
import os
import re
import signal
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import ROOT, german_csv_bytes
from streamlit import __file__ as st_file

from tpm import gate, store
from tpm.upload import prepare

# --- a killed writer


def test_a_killed_cli_writer_leaves_no_busy_behind(db_path):
    store.connect(db_path).close()
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from tpm import store\n"
                               "with store.writing(sys.argv[1], 5):\n    print('held', flush=True); time.sleep(60)",
         str(db_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "held"
        assert store.writer_waiting(db_path)  # alive: the dashboard steps back
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert store.writer_flag(db_path).exists()  # what SIGKILL leaves behind …
    waits = []
    con = store.open_retrying(db_path, wait=0.5, on_wait=waits.append, migrate_schema=False, yield_to_writer=True)
    con.close()
    assert waits == []  # … is not taken for a writer: the next visitor opens at once


# --- a full disk

def big_csv(rows: int) -> bytes:
    """An export of ``rows`` respondents, 12 touchpoints and a comment (~60 bytes a row)."""
    header = ["ID", *[f"Kontaktpunkt {k} (1-5)" for k in range(12)], "Kommentar"]
    return german_csv_bytes([header] + [[i, *[(i * 7 + k) % 5 + 1 for k in range(12)], f"Antwort {i * 7919 % 10007}"]
                                        for i in range(rows)])


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MB file system of its own (tmpfs; needs root): skipped where mounting is not permitted."""
    where = tmp_path / "tiny"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def test_a_full_disk_is_named_as_such_and_nothing_is_written(tiny_disk, tmp_path, cli):
    export = tmp_path / "gross.csv"
    export.write_bytes(big_csv(20_000))  # ~1.3 MB of answers: more than the disk holds
    db = tiny_disk / "tpm.duckdb"
    out = cli("ingest", export, "--db", db)
    assert out.returncode == 2
    assert out.stderr.strip() == f"error: the disk holding '{db}' is full — free space and retry; nothing was written"
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM datasets").fetchone()[0] == 0
    con.close()


# the texts DuckDB 2.0 gave on a full tmpfs (writing the file; spilling a sort to <db>.tmp; the commit after it)
FULL_DISK = [
    duckdb.IOException('IO Error: Could not write file "/data/tpm.duckdb": No space left on device'),
    duckdb.OutOfMemoryException(
        "Out of Memory Error: failed to offload data block of size 256.0 KiB (3.5 MiB/3.5 MiB used).\n"
        "This limit was set by the 'max_temp_directory_size' setting.\nBy default, this setting utilizes the available "
        "disk space on the drive where the 'temp_directory' is located.\nYou can adjust this setting, by using (for "
        "example) PRAGMA max_temp_directory_size='10GiB'"),
    duckdb.FatalException(
        'FATAL Error: Failed: database has been invalidated because of a previous fatal error. The database must be '
        'restarted prior to being used again. Original error: "Failed to create checkpoint because of error: Could '
        'not write file "/data/tpm.duckdb": No space left on device"'),
    OSError(errno.ENOSPC, "No space left on device"),
]
NOT_FULL = [
    duckdb.OutOfMemoryException("Out of Memory Error: could not allocate block of size 256.0 KiB (1.9 GiB/2.0 GiB used)"),
    duckdb.IOException('IO Error: Could not set lock on file "/data/tpm.duckdb": Conflicting lock is held'),
    OSError(errno.EACCES, "Permission denied"),
]


def test_duckdbs_words_for_a_full_disk_are_recognised():
    assert [store.disk_full(e) for e in FULL_DISK] == [True] * len(FULL_DISK)
    assert [store.disk_full(e) for e in NOT_FULL] == [False] * len(NOT_FULL)


@pytest.mark.parametrize("error", FULL_DISK[:3])
def test_cli_says_the_disk_is_full_instead_of_out_of_memory(error, db_path, cli, monkeypatch):
    store.connect(db_path).close()

    def full(*args, **kwargs):
        raise error

    monkeypatch.setattr(store, "open_retrying", full)
    out = cli("datasets", "--db", db_path)
    assert out.returncode == 2
    assert out.stderr == f"error: the disk holding '{db_path}' is full — free space and retry; nothing was written\n"


# --- health


def seeded_file(path):
    """A database with one import (2 000 respondents), closed: a file as the server leaves it."""
    con = store.connect(path)
    store.save_import(con, prepare("welle.csv", big_csv(2_000)).apply_detected())
    con.close()
    return path


def test_health_passes_a_sound_file_and_a_busy_one(db_path, cli):
    seeded_file(db_path)
    ok, detail = store.health(db_path)
    assert ok and "1 datasets" in detail
    held = duckdb.connect(str(db_path))  # this process writing (the server): still healthy
    try:
        assert store.health(db_path)[0]
    finally:
        held.close()
    other = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                              "print('held', flush=True); time.sleep(30)", str(db_path)], stdout=subprocess.PIPE, text=True)
    try:  # another process writing (an import): busy, not ill — and no waiting for it
        assert other.stdout.readline().strip() == "held"
        assert store.health(db_path) == (True, f"ok: {db_path} is busy (another process is writing)")
    finally:
        other.kill()
        other.wait()
    assert cli("health", "--db", db_path).returncode == 0


def test_health_finds_a_damaged_file(db_path, tmp_path, cli):
    seeded_file(db_path)
    size = db_path.stat().st_size
    overwritten, truncated = tmp_path / "overwritten.duckdb", tmp_path / "truncated.duckdb"
    data = bytearray(db_path.read_bytes())
    data[size // 2: size // 2 + 256 * 1024] = bytes(256 * 1024)  # a block's worth of zeros in the middle
    overwritten.write_bytes(bytes(data))
    truncated.write_bytes(bytes(data[: size // 2]))
    for broken in (overwritten, truncated):
        con = duckdb.connect(str(broken), read_only=True)  # opens, and counts, as if nothing were wrong …
        assert con.execute("SELECT count(*) FROM respondents").fetchone()[0] == 2_000
        con.close()
        ok, detail = store.health(broken)  # … but not every block reads back
        assert not ok and detail.startswith(f"damaged: {broken}")
        out = cli("health", "--db", broken)
        assert out.returncode == 1 and out.stderr.startswith("damaged:")
        assert not gate.database_ok(broken)  # the server's /_tpm/health answers 503 on the same check
    assert gate.database_ok(db_path)


# --- private files


def test_database_files_are_the_owners_only(db_path, caplog):
    con = store.connect(db_path)
    con.execute("INSERT INTO meta VALUES ('probe', 'x')")  # a write: DuckDB makes the write-ahead log anew
    wal = db_path.with_name(db_path.name + ".wal")
    assert wal.exists()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600 and stat.S_IMODE(wal.stat().st_mode) == 0o600
    con.close()
    with store.announced_writer(db_path) as flag:
        assert stat.S_IMODE(flag.stat().st_mode) == 0o600


def test_a_readable_database_is_tightened_on_open_with_a_warning(db_path, caplog):
    store.connect(db_path).close()
    os.chmod(db_path, 0o644)  # as an older version left it
    with caplog.at_level(logging.WARNING, logger="tpm.store"):
        store.open_retrying(db_path, migrate_schema=False).close()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert str(db_path) in caplog.text and "others" in caplog.text


# --- no third-party host in what we serve or export


class _Loads(HTMLParser):
    """What an HTML document makes the browser fetch: tag attributes and CSS ``url()``/``@import`` —
    not the text inside scripts (plotly.js names map-tile servers it calls only for map traces)."""

    def __init__(self):
        super().__init__()
        self.urls, self._style = [], False

    def handle_starttag(self, tag, attrs):
        self._style = tag == "style"
        for name, value in attrs:
            if name in ("src", "srcset", "data", "poster", "action") or (name == "href" and tag in ("link", "base")):
                self.urls.append(value or "")
            if name == "style":
                self.urls += CSS_URL.findall(value or "")

    def handle_data(self, data):
        if self._style:
            self.urls += CSS_URL.findall(data)


CSS_URL = re.compile(r"""(?:url\(|@import)\s*['"]?([^'")\s]+)""")


def outside_loads(html: str) -> list[str]:
    parser = _Loads()
    parser.feed(html)
    return [u for u in parser.urls if re.match(r"(https?:)?//", u.strip(), re.I)]


def test_the_journey_html_export_loads_nothing_from_elsewhere():
    from tpm.charts.common import standalone_html
    from tpm.charts.journey import journey_map

    cards = pd.DataFrame({"name": ["Hotline", "Website"], "phase": ["Kauf", "Nutzung"], "lane": ["Service", "Online"],
                          "score": [72.0, float("nan")], "target": [80.0, float("nan")], "against_target": [True, False],
                          "status": ["below", "no_data"], "n": [40, 0], "importance": [12.0, float("nan")],
                          "moment_of_truth": [True, False], "pain_points": ["Wartezeit", None]})
    figure = journey_map(cards, ["Kauf", "Nutzung"], "Abteilung", "de")
    cdn = figure.to_html(include_plotlyjs="cdn", full_html=True)  # what the page handed out before
    assert [u.split("/")[2] for u in outside_loads(cdn)] == ["cdn.plot.ly"]
    assert outside_loads('<style>@import "https://fonts.googleapis.com/css"</style>') == ["https://fonts.googleapis.com/css"]
    html = standalone_html(figure).decode("utf-8")
    assert "Plotly.newPlot" in html and "Hotline" in html
    assert outside_loads(html) == []


def test_no_html_export_links_plotly_from_a_cdn():
    """Every HTML file we hand out goes through standalone_html (plotly.js inside)."""
    sources = [*(ROOT / "tpm").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]
    calls = [(p.relative_to(ROOT).as_posix(), m) for p in sources
             for m in re.findall(r"\.(?:to_html|write_html)\((.*)", p.read_text(encoding="utf-8"))]
    assert calls == [("tpm/charts/common.py", 'include_plotlyjs=True, full_html=True, config={"displaylogo": False}).encode("utf-8")')]


def test_the_favicon_is_no_request_to_another_host():
    """Streamlit's browser code turns a ``:material/…:`` favicon into a fonts.gstatic.com address
    (every visitor's browser asks Google); an emoji becomes an inline ``data:`` SVG."""
    from streamlit.commands.page_config import _get_favicon_string

    bundle = "".join(p.read_text(encoding="utf-8", errors="replace")
                     for p in (Path(st_file).parent / "static" / "static" / "js").glob("index.*.js"))
    assert "fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded" in bundle  # why :material: is out
    calls = [node for node in ast.walk(ast.parse((ROOT / "app.py").read_text(encoding="utf-8")))
             if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "set_page_config"]
    icons = [ast.literal_eval(k.value) for call in calls for k in call.keywords if k.arg == "page_icon"]
    assert len(icons) == 1
    assert _get_favicon_string(icons[0]).startswith("emoji:")


# --- the image


DEBIAN_RELEASES = ("bullseye", "bookworm", "trixie", "forky")


def test_the_docker_image_is_pinned_and_checks_the_database():
    lines = [" ".join(line.split()) for line in (ROOT / "Dockerfile").read_text(encoding="utf-8")
             .replace("\\\n", " ").splitlines() if line.strip() and not line.lstrip().startswith("#")]
    base = [line.split()[1] for line in lines if line.startswith("FROM ")]
    assert len(base) == 1
    image = re.fullmatch(r"python:3\.11\.(\d+)-slim-([a-z]+)(@sha256:[0-9a-f]{64})?", base[0])
    assert image and image.group(2) in DEBIAN_RELEASES, base  # a patch version and a Debian release, not "3.11-slim"
    installs = [line for line in lines if "apt-get install" in line]
    packages = [w.strip('"') for line in installs for w in line.split("apt-get install", 1)[1].split("&&")[0].split()
                if not w.startswith("-")]
    assert packages and all(re.fullmatch(r"[a-z0-9.+-]+=\S+", p) for p in packages), packages
    args = dict(line[4:].split("=", 1) for line in lines if line.startswith("ARG ") and "=" in line)
    assert all(args.get(p.split("=${")[1].rstrip("}"), "") for p in packages if "=${" in p)  # each version set
    health = [line for line in lines if line.startswith("HEALTHCHECK ")]
    assert len(health) == 1 and "/_tpm/health" in health[0]  # the route runs store.health (below)
