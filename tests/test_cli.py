"""`python -m tpm` as an analyst or a script uses it: real processes, a real DuckDB file."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, SAMPLES, german_csv_bytes, table_counts, xlsx_bytes

from tpm import store

WAVE1 = SAMPLES / "kundenbefragung_2026_welle1.xlsx"
WAVE3 = SAMPLES / "kundenbefragung_2026_welle3_export.csv"


def tpm(*args, env=None):
    full_env = {**os.environ, **(env or {})}
    full_env.pop("TPM_DB", None) if env is None or "TPM_DB" not in env else None
    return subprocess.run([sys.executable, "-m", "tpm", *map(str, args)], cwd=ROOT, capture_output=True, text=True, env=full_env, timeout=120)


def test_ingest_prints_what_was_understood(db_path):
    out = tpm("ingest", WAVE1, "--db", db_path, "--dataset", "Welle 1")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "imported as dataset 'Welle 1'" in text
    assert "respondents: 1500" in text
    assert "touchpoints (16)" in text and "Hotline: scale 1-10" in text
    assert "NPS column: Wie wahrscheinlich" in text
    assert "segments: Region, Kundenart, Altersgruppe, Kanal" in text
    assert "Bestellwert (EUR)" in text.split("dropped columns:")[1]


def test_summary_json_shape_and_values(db_path):
    assert tpm("ingest", WAVE3, "--db", db_path).returncode == 0
    out = tpm("summary", "--db", db_path, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["respondents"] == 800
    assert set(data["nps"]) >= {"score", "n", "promoters", "passives", "detractors", "ci_low", "ci_high"}
    assert data["nps"]["n"] == data["nps"]["promoters"] + data["nps"]["passives"] + data["nps"]["detractors"]
    assert data["nps"]["ci_low"] < data["nps"]["score"] < data["nps"]["ci_high"]
    keys = {"name", "n", "mean", "scale_min", "scale_max", "score_0_100", "top2_box", "ci_low", "ci_high"}
    assert all(keys <= set(tp) for tp in data["touchpoints"])
    # independent check of one touchpoint against pandas' own German-CSV parsing
    raw = pd.read_csv(WAVE3, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    hotline = pd.to_numeric(raw["Zufriedenheit Hotline (1-10)"], errors="coerce").dropna()
    ours = next(tp for tp in data["touchpoints"] if tp["name"] == "Hotline")
    assert ours["n"] == len(hotline)
    assert ours["mean"] == pytest.approx(hotline.mean(), abs=1e-4)


def test_db_from_environment(tmp_path):
    path = tmp_path / "env.duckdb"
    out = tpm("ingest", WAVE3, env={"TPM_DB": str(path)})
    assert out.returncode == 0, out.stderr
    assert path.exists()
    summary = tpm("summary", "--json", env={"TPM_DB": str(path)})
    assert json.loads(summary.stdout)["respondents"] == 800


def test_reimport_is_not_duplicated(db_path):
    tpm("ingest", WAVE3, "--db", db_path)
    again = tpm("ingest", WAVE3, "--db", db_path)
    assert again.returncode == 0 and "already imported" in again.stdout
    assert json.loads(tpm("summary", "--db", db_path, "--json").stdout)["respondents"] == 800


def test_bad_file_exits_nonzero_with_one_line_and_writes_nothing(db_path, tmp_path):
    tpm("ingest", WAVE3, "--db", db_path)
    bad = tmp_path / "kaputt.xlsx"
    bad.write_bytes(b"%PDF-1.4 this is a report")
    out = tpm("ingest", bad, "--db", db_path)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "kaputt.xlsx" in lines[0] and "Traceback" not in out.stderr
    con = store.connect(db_path)
    assert table_counts(con)["datasets"] == 1
    con.close()


def test_one_bad_file_among_several_writes_none(db_path, tmp_path):
    good = tmp_path / "gut.csv"
    good.write_bytes(german_csv_bytes([["ID", "Hotline"], [1, 5], [2, 7]]))
    bad = tmp_path / "schlecht.csv"
    bad.write_bytes(b"")
    out = tpm("ingest", good, bad, "--db", db_path)
    assert out.returncode == 2 and "schlecht.csv" in out.stderr
    assert not db_path.exists() or table_counts(store.connect(db_path))["datasets"] == 0


def test_several_files_are_read_ahead_and_imported_in_order(db_path, tmp_path):
    """The files are read on a thread of their own while the command loads pandas and DuckDB: the
    datasets and the report keep the order of the command line; the first bad file is the error."""
    paths = []
    for i, name in enumerate(["a.xlsx", "b.csv", "c.xlsx"]):
        rows = [["ID", f"Hotline {name}"]] + [[f"{name}{r}", (r + i) % 5 + 1] for r in range(20)]
        path = tmp_path / name
        path.write_bytes(xlsx_bytes(rows) if name.endswith(".xlsx") else german_csv_bytes(rows))
        paths.append(path)
    out = tpm("ingest", *paths, "--db", db_path)
    assert out.returncode == 0, out.stderr
    printed = [line.split(",")[0].split(":")[0] for line in out.stdout.splitlines() if "imported as dataset" in line]
    assert printed == ["a.xlsx", "b.csv", "c.xlsx"]
    con = store.connect(db_path, read_only=True)
    assert [n for (n,) in con.execute("SELECT name FROM datasets ORDER BY id").fetchall()] == ["a", "b", "c"]
    con.close()
    assert not db_path.with_name(db_path.name + ".wal").exists()  # written into the file at the commit
    bad = tmp_path / "kaputt.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a workbook")
    out = tpm("ingest", paths[0], bad, tmp_path / "c.xlsx", "--db", tmp_path / "other.duckdb")
    assert out.returncode == 2 and "kaputt.xlsx" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "other.duckdb").exists()


def test_out_of_scale_value_is_reported_with_row_and_column(db_path, tmp_path):
    path = tmp_path / "skala.xlsx"
    path.write_bytes(xlsx_bytes([["ID", "Hotline (1-5)"], [1, 4], [2, 5], [3, 3], [4, 2], [5, 1]]))
    assert tpm("ingest", path, "--db", db_path).returncode == 0
    path2 = tmp_path / "neg.csv"
    path2.write_text("ID;NPS\n1;9\n2;12\n", encoding="utf-8")
    out = tpm("ingest", path2, "--db", db_path)
    assert out.returncode == 2
    assert "row 3" in out.stderr and "'NPS'" in out.stderr and "outside the scale 0–10" in out.stderr


def test_missing_file_and_unknown_dataset(db_path):
    out = tpm("ingest", "gibt-es-nicht.xlsx", "--db", db_path)
    assert out.returncode == 2 and "no such file" in out.stderr
    tpm("ingest", WAVE3, "--db", db_path)
    out = tpm("summary", "--db", db_path, "--dataset", "Unbekannt")
    assert out.returncode == 2 and "unknown dataset" in out.stderr


def test_summary_without_database(tmp_path):
    out = tpm("summary", "--db", tmp_path / "none.duckdb")
    assert out.returncode == 2 and "no database yet" in out.stderr


def test_datasets_and_delete(db_path):
    tpm("ingest", WAVE3, "--db", db_path, "--dataset", "W3")
    assert "W3" in tpm("datasets", "--db", db_path).stdout
    refused = tpm("delete", "W3", "--db", db_path)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert tpm("delete", "W3", "--db", db_path, "--yes").returncode == 0
    assert "no datasets" in tpm("datasets", "--db", db_path).stdout


def test_drivers_json_finds_the_planted_drivers(db_path):
    assert tpm("ingest", WAVE1, "--db", db_path).returncode == 0
    out = tpm("drivers", "--db", db_path, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"outcome", "method", "missing", "n", "r2", "drivers"} <= set(data)
    assert (data["outcome"], data["method"], data["missing"]) == ("nps", "shapley", "pairwise")
    assert all({"name", "raw", "share", "sign"} <= set(d) for d in data["drivers"])
    shares = [d["share"] for d in data["drivers"]]
    assert shares == sorted(shares, reverse=True)
    assert sum(shares) == pytest.approx(100, abs=0.01)
    assert sum(d["raw"] for d in data["drivers"]) == pytest.approx(data["r2"], abs=1e-3)
    assert [d["name"] for d in data["drivers"][:3]] == ["Hotline", "Lieferung", "Reklamation"]
    rw = json.loads(tpm("drivers", "--db", db_path, "--json", "--method", "relative_weights").stdout)
    assert [d["name"] for d in rw["drivers"][:3]] == ["Hotline", "Lieferung", "Reklamation"]


def test_drivers_bad_requests(db_path):
    tpm("ingest", WAVE1, "--db", db_path)
    out = tpm("drivers", "--db", db_path, "--missing", "listwise")
    assert out.returncode == 2 and "listwise" in out.stderr and "Traceback" not in out.stderr
    out = tpm("drivers", "--db", db_path, "--method", "pratt")
    assert out.returncode == 2


def test_segments_json_flags_the_planted_gap(db_path):
    tpm("ingest", WAVE1, "--db", db_path)
    out = tpm("segments", "--by", "Region", "--db", db_path, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert (data["by"], data["metric"]) == ("Region", "mean")
    keys = {"touchpoint", "segment", "n", "value", "diff", "p", "q", "flag"}
    assert all(keys <= set(c) for c in data["cells"])
    assert {c["flag"] for c in data["cells"]} <= {"higher", "lower", "ns", "untested", "hidden"}
    ost = next(c for c in data["cells"] if (c["touchpoint"], c["segment"]) == ("Lieferung", "Ost"))
    assert ost["flag"] == "lower" and ost["diff"] < -1
    assert {c["touchpoint"] for c in data["cells"] if c["flag"] in ("higher", "lower")} == {"Lieferung"}
    assert tpm("segments", "--by", "Nope", "--db", db_path).returncode == 2


def test_trend_json_finds_the_hotline_improvement(db_path):
    tpm("ingest", WAVE1, SAMPLES / "kundenbefragung_2026_welle2.xlsx", "--db", db_path)
    out = tpm("trend", "--metric", "mean", "--db", db_path, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert len(data["waves"]) == 2
    rows = [r for r in data["touchpoints"] if r["touchpoint"] == "Hotline"]
    assert [set(r) >= {"wave", "n", "value", "ci_low", "ci_high", "change", "p"} for r in rows] == [True, True]
    assert rows[0]["change"] is None and rows[1]["change"] > 0.8 and rows[1]["p"] < 0.001
    assert data["nps"][1]["significant"]


HOTLINE_Q3 = SAMPLES / "hotline" / "servicehotline_2026_q3.csv"


def test_two_studies_every_read_command_needs_a_study(cli, db_path, tmp_path):
    out = cli("ingest", WAVE3, "--db", db_path)
    assert out.returncode == 0 and "study: Kundenbefragung 2026 (new)" in out.stdout
    out = cli("ingest", HOTLINE_Q3, "--db", db_path, "--study", "Hotline-Befragung")
    assert out.returncode == 0 and "study: Hotline-Befragung (new)" in out.stdout
    hotline_id = json.loads(cli("studies", "--db", db_path, "--json").stdout)[0]["id"]
    out = cli("ingest", SAMPLES / "hotline" / "servicehotline_2026_q4.csv", "--db", db_path, "--study", hotline_id)
    assert "study: Hotline-Befragung\n" in out.stdout  # by id: the existing study, no new one called "2"
    for command in (["summary"], ["drivers"], ["segments", "--by", "Kundenart"], ["trend"], ["datasets"]):
        refused = cli(*command, "--db", db_path)
        assert refused.returncode == 2, command
        assert "Kundenbefragung 2026" in refused.stderr and "Hotline-Befragung" in refused.stderr and "--study" in refused.stderr
        assert cli(*command, "--db", db_path, "--study", "hotline-befragung").returncode == 0, command
    unknown = cli("summary", "--db", db_path, "--study", "Gibt es nicht")
    assert unknown.returncode == 2 and "no study 'Gibt es nicht'" in unknown.stderr
    # one study's figures equal those of a database holding that study alone
    alone = tmp_path / "alone.duckdb"
    cli("ingest", HOTLINE_Q3, SAMPLES / "hotline" / "servicehotline_2026_q4.csv", "--db", alone)
    for command in (["summary", "--json"], ["segments", "--by", "Anliegen", "--json"], ["drivers", "--json"], ["trend", "--json"]):
        assert cli(*command, "--db", db_path, "--study", "Hotline-Befragung").stdout == cli(*command, "--db", alone).stdout
    # a dataset name of the other study is unknown in this one
    assert cli("summary", "--db", db_path, "--study", "Hotline-Befragung", "--dataset", "kundenbefragung_2026_welle3_export").returncode == 2


def test_studies_list_and_manage(cli, db_path):
    cli("ingest", WAVE3, "--db", db_path)
    cli("ingest", HOTLINE_Q3, "--db", db_path, "--study", "Hotline")
    data = json.loads(cli("studies", "--db", db_path, "--json").stdout)
    assert [(s["name"], s["waves"], s["respondents"]) for s in data] == [
        ("Hotline", ["servicehotline_2026_q3"], 240), ("Kundenbefragung 2026", ["kundenbefragung_2026_welle3_export"], 800)]
    assert all(s["last_import"] for s in data)
    assert "Kundenbefragung 2026  (1 waves" in cli("studies", "--db", db_path).stdout
    moved = cli("move", "kundenbefragung_2026_welle3_export", "Hotline", "--db", db_path)  # into the wrong study …
    assert moved.returncode == 0 and "to study 'Hotline'" in moved.stdout
    moved = cli("move", "kundenbefragung_2026_welle3_export", "Kundenbefragung", "--db", db_path)  # … and out again
    assert "to study 'Kundenbefragung' (new)" in moved.stdout
    cli("study", "delete", "Kundenbefragung 2026", "--db", db_path, "--yes")  # the study left empty
    cli("study", "rename", "Kundenbefragung", "Kundenbefragung 2026", "--db", db_path)
    assert cli("study", "rename", "Hotline", "Servicehotline", "--db", db_path).returncode == 0
    refused = cli("study", "delete", "Servicehotline", "--db", db_path)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert cli("study", "delete", "Servicehotline", "--db", db_path, "--yes").returncode == 0
    assert [s["name"] for s in json.loads(cli("studies", "--db", db_path, "--json").stdout)] == ["Kundenbefragung 2026"]
    con = store.connect(db_path)
    assert table_counts(con)["respondents"] == 800
    con.close()
    # one study left: read commands need no --study
    assert json.loads(cli("summary", "--db", db_path, "--json").stdout)["respondents"] == 800


HEAVY = ("pandas", "duckdb", "numpy", "scipy", "pyarrow")
_IMPORTED = """
import runpy, sys
sys.argv = ["tpm", *sys.argv[1:]]
try:
    runpy.run_module("tpm", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print(code, *sorted(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize("args, code", [(["--help"], 0), (["summary", "--help"], 0), (["summary", "--bogus"], 2), ([], 2)])
def test_help_and_argument_errors_load_no_heavy_module(args, code):
    """`python -m tpm --help` starts at once: pandas, DuckDB, NumPy, SciPy, Arrow are imported by the commands that use them."""
    out = subprocess.run([sys.executable, "-c", _IMPORTED.format(heavy=HEAVY), *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.stdout.split()[-1:] == [str(code)], out.stdout + out.stderr


def test_a_command_still_loads_what_it_needs(db_path):
    out = subprocess.run([sys.executable, "-c", _IMPORTED.format(heavy=HEAVY), "datasets", "--db", db_path], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert "duckdb" in out.stdout.split(), out.stdout + out.stderr


def test_every_cli_command_is_registered():
    """Each ``add_NAME`` of a module of tpm/cli/ is in ``COMMANDS`` (tpm/cli/parser.py), so a command
    module cannot be written and forgotten (CONTRIBUTING.md, "… a CLI command")."""
    import importlib
    import inspect

    from tpm.cli.parser import COMMANDS

    defined = set()
    for path in sorted((ROOT / "tpm" / "cli").glob("*.py")):
        module = importlib.import_module(f"tpm.cli.{path.stem}" if path.stem != "__init__" else "tpm.cli")
        defined |= {f for name, f in inspect.getmembers(module, inspect.isfunction)
                    if name.startswith("add_") and f.__module__ == module.__name__}
    assert defined, "no add_* function found in tpm/cli/"
    assert sorted(f"{f.__module__}.{f.__name__}" for f in defined - set(COMMANDS)) == []
