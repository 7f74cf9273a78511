"""Shared fixtures: paths, a fresh DuckDB file per test, small export builders."""

from __future__ import annotations

import io
import sys
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
from hypothesis import Phase, settings

# Hypothesis: ``make test`` runs a few examples of each property (the suite stays under five
# minutes); ``make verify`` (``--hypothesis-profile=verify``) runs many more. No shrinking: an
# example of a study takes ~1 s to import, and the failing example is printed as drawn.
_NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)
settings.register_profile("default", max_examples=4, phases=_NO_SHRINK, print_blob=True)
settings.register_profile("verify", max_examples=150, phases=_NO_SHRINK, print_blob=True)
settings.load_profile("default")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_surveys"
# ../shared beside the checkout (also from mutmut's copy of it in ./mutants)
SHARED = next((folder / "shared" for folder in ROOT.parents if (folder / "shared").is_dir()), ROOT.parent / "shared")
REALWORLD = SHARED / "realworld"
REFERENCE = SHARED / "reference"


#: scrypt's cost in tests where the cost is not the point (the real 2^17 takes ~0.5–0.9 s a hash)
CHEAP_SCRYPT_N = 2**10


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    from tpm import access

    monkeypatch.setattr(access, "_N", CHEAP_SCRYPT_N)
    monkeypatch.setattr(access, "_DUMMY", [])


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    """The samples seeded once per worker by the first start's own code (``seed_if_empty``): an import
    of them costs ~2.6 s of CPU, and about a hundred AppTests start on an empty ``TPM_DB``."""
    from tpm import store
    from tpm.seed import seed_if_empty

    path = tmp_path_factory.mktemp("seeded") / "samples.duckdb"
    con = store.connect(path)
    try:
        seed_if_empty(con)
    finally:
        con.close()
    return path


@pytest.fixture(autouse=True)
def seed_by_copy(request, monkeypatch):
    """The app's first start (``pages._db.database``) on a database file that does not exist yet gets a copy
    of :func:`seeded_template` (the same rows) instead of importing the samples again; the seeding itself
    then runs on it and finds it full. ``@pytest.mark.real_seed`` keeps the real import (the tests of it)."""
    if "real_seed" in request.keywords:
        return
    import os
    import shutil

    import pages._db

    first_start = pages._db.database

    def database(path, on_wait=None):
        if path not in pages._db._ready and os.environ.get("TPM_SEED", "1") != "0" and not Path(path).exists():
            shutil.copyfile(request.getfixturevalue("seeded_template"), path)
        return first_start(path, on_wait)

    monkeypatch.setattr(pages._db, "database", database)


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def con(db_path):
    from tpm import store

    connection = store.connect(db_path)
    yield connection
    connection.close()


def xlsx_bytes(rows: list[list], sheet: str = "Daten") -> bytes:
    """A real .xlsx (written by openpyxl) with the given rows, the first being the header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def german_csv_bytes(rows: list[list]) -> bytes:
    """A "German Excel" CSV: ';' delimiter, cp1252, CRLF."""
    import csv

    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("cp1252")


def page_app(path, monkeypatch, page: str, **params):
    """An AppTest of app.py on the database ``path``, the URL's query ``params`` set, switched to ``pages/{page}.py``
    and run; fails on any exception of the run."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TPM_DB", str(path))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table_counts(con) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("datasets", "respondents", "ratings", "segments", "comments")}


def benchmark(name: str):
    """A script of benchmarks/ as a module, loaded by its path. Never put benchmarks/ on sys.path:
    its pages.py would then stand for the app's ``pages`` package in every later AppTest of the worker."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"tpm_benchmark_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (dataclasses look their module up there)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def cli(capsys, monkeypatch):
    """``python -m tpm`` in-process (fast): returns a CompletedProcess-like result; ``stdin=`` feeds input."""
    import subprocess

    from tpm.cli import main

    monkeypatch.delenv("TPM_DB", raising=False)

    def run(*args, stdin: str = ""):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    return run


@pytest.fixture
def logged_in(monkeypatch):
    """``logged_in(path, actor)``: the browser of an AppTest carries ``actor``'s login cookie, as after
    /_tpm/login behind ``serve.py`` (AppTest sends no cookies; the user is made if missing)."""
    import pages._auth
    from tpm import access, gate, logins, store

    cookie: dict[str, str] = {}
    monkeypatch.setenv("TPM_AUTH", "password")
    monkeypatch.setattr(gate, "SERVING", ["password"])
    monkeypatch.setattr(pages._auth, "_login_cookie", lambda: cookie.get("value"))

    def log_in(path, actor):
        con = store.connect(path)
        try:
            if not con.execute("SELECT count(*) FROM users WHERE name = ?", [actor.name]).fetchone()[0]:
                access.perform(con, access.LOCAL, "user.add", actor.name, actor.role, "ein-langes-passwort-1")
            cookie["value"] = gate.cookie_value(con, *logins.start(con, actor, 1))
        finally:
            con.close()

    return log_in


@contextmanager
def streamlit_server(db: Path, script: str = "serve.py", env: dict | None = None, log: Path | None = None,
                     health: str = "/_stcore/health", wait: float = 60):
    """A real ``streamlit run SCRIPT`` on a free port of 127.0.0.1 with ``TPM_DB=db`` (plus ``env``); yields
    ``(url, port)`` once ``health`` answers 200, stops the server afterwards. The server's output goes to
    ``log`` (default: nowhere)."""
    import os
    import socket
    import subprocess
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 (the server's log while it runs)
    full_env = {**os.environ, "TPM_DB": str(db), **(env or {})}
    for key in [k for k, v in full_env.items() if v is None]:
        del full_env[key]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + wait
    try:
        while True:
            try:
                if urllib.request.urlopen(url + health, timeout=2).status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                pytest.fail(f"streamlit run {script} did not start")
            time.sleep(0.3)
        yield url, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log:
            out.close()
