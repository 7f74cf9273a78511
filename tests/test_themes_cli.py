"""Issue 21: ``python -m tpm themes suggest|impact`` (tpm/cli/themes.py), in-process, against the library
(tpm.comments.figures) and against pandas on the raw rows of a real import."""

import json
import random

import pandas as pd
import pytest
from conftest import german_csv_bytes

from tpm import store
from tpm.metrics import Filter

HEADER = ["ID", "Region", "Hotline (1-5)", "Weiterempfehlung (0-10)", "Anmerkungen"]


def _text(rng: random.Random, nps: int, i: int) -> str:
    if nps <= 6:
        return rng.choice(["Die Warteschleife war ewig lang", "Warteschleife, dann aufgelegt",
                           f"Warteschleife 0171 2345{i:03d}"])
    if nps >= 9:
        return rng.choice(["Freundliche Beratung", "Sehr freundliche Beratung am Telefon", "Beratung top"])
    return rng.choice(["Ging so", "Warteschleife okay, Beratung okay", ""])


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """One real import (ingest + store, as ``python -m tpm ingest``) and the raw rows as a pandas frame."""
    from tpm.cli import main
    from tpm.ingest import ingest_bytes

    rng = random.Random(7)
    rows = [HEADER]
    for i in range(240):
        nps = rng.randint(3, 10)
        rows.append([f"R{i}", rng.choice(["Nord", "Süd"]), max(1, min(5, nps // 2)), nps, _text(rng, nps, i)])
    path = tmp_path_factory.mktemp("themes_cli") / "t.duckdb"
    con = store.connect(path)
    store.save_import(con, ingest_bytes("umfrage.csv", german_csv_bytes(rows)), name="Welle 1", study="Kunden")
    con.close()
    assert main(["themes", "add", "Warten", "--words", "Warteschleife", "--label-en", "Waiting", "--db", str(path)]) == 0
    return path, pd.DataFrame(rows[1:], columns=HEADER)


def run_json(cli, *args) -> dict:
    result = cli("themes", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_suggest_prints_the_library_s_terms_with_masked_examples(db, cli):
    from tpm.comments.figures import suggestions

    path, _ = db
    out = run_json(cli, "suggest", "--db", path, "--top", "5")
    con = store.connect(path)
    try:
        want = suggestions(con, Filter.of(study=1), top=5)
    finally:
        con.close()
    assert [t["term"] for t in out["terms"]] == list(want["term"]) and len(want) > 0
    assert [t["z"] for t in out["terms"]] == pytest.approx(list(want["z"]), abs=1e-4)
    assert [t["n_a"] for t in out["terms"]] == list(want["n_a"])
    assert "warteschleife" in [t["term"] for t in out["terms"]]  # what the detractors say
    examples = " ".join(e for t in out["terms"] for e in t["examples"])
    assert [t["examples"] for t in out["terms"]] == list(want["example_texts"])
    assert "0171" not in examples and "[Tel.]" in examples  # the shortest: a detractor's phone number, masked


def test_suggest_by_a_touchpoint_s_bottom_box_and_bad_input_exit_2(db, cli):
    path, _ = db
    out = run_json(cli, "suggest", "--db", path, "--compare", "low:Hotline")
    assert out["compare"] == "low:Hotline" and out["terms"]
    bad = cli("themes", "suggest", "--db", path, "--compare", "low:Kantine")
    assert bad.returncode == 2 and "Kantine" in bad.stderr and "Hotline" in bad.stderr and not bad.stdout
    bad = cli("themes", "suggest", "--db", path, "--compare", "lowest")
    assert bad.returncode == 2 and "low:TOUCHPOINT" in bad.stderr
    bad = cli("themes", "impact", "--db", path, "--study", "Lieferanten")
    assert bad.returncode == 2 and "Lieferanten" in bad.stderr and not bad.stdout


def test_impact_is_the_library_s_and_the_share_is_what_pandas_counts_in_the_raw_rows(db, cli):
    from tpm.comments.figures import impact

    path, raw = db
    out = run_json(cli, "impact", "--db", path, "--where", "Region=Nord")
    con = store.connect(path)
    try:
        want = impact(con, Filter.of(study=1, segments={"Region": ["Nord"]}), lang="en").table.set_index("theme")
    finally:
        con.close()
    (row,) = out["themes"]
    assert row["theme"] == "Waiting" and out["where"] == {"Region": ["Nord"]} and not out["weighted"]
    for column in ("share", "share_low", "share_high", "nps_with", "nps_without", "diff", "p", "q"):
        assert row[column] == pytest.approx(want.loc["Waiting", column], abs=1e-4), column
    assert 0 <= row["p"] <= 1  # tested: both sides have enough respondents
    # pandas on the raw rows: commenters of Nord, and those whose comment names the Warteschleife
    nord = raw[(raw["Region"] == "Nord") & (raw["Anmerkungen"] != "")]
    mention = nord["Anmerkungen"].str.contains("Warteschleife")
    assert out["commenters"] == row["n"] == len(nord)
    assert row["mentions"] == mention.sum()
    assert row["share"] == pytest.approx(100 * mention.mean(), abs=1e-4)
    nps = nord["Weiterempfehlung (0-10)"].astype(int)
    with_nps = 100 * ((nps[mention] >= 9).mean() - (nps[mention] <= 6).mean())
    assert row["nps_with"] == pytest.approx(with_nps, abs=1e-4)


def test_impact_and_suggest_read_as_text(db, cli):
    path, _ = db
    text = cli("themes", "impact", "--db", path, "--unweighted")
    assert text.returncode == 0 and "commenters" in text.stdout
    assert "Waiting" in text.stdout and "%" in text.stdout
    terms = cli("themes", "suggest", "--db", path)
    assert terms.returncode == 0 and "warteschleife" in terms.stdout


def test_the_seeded_sample_starts_with_a_coded_code_frame(seeded_template, cli):
    """A new user's sample study has themes with German and English labels, coded at seed time: each theme's
    comments are those whose text says what its rules say (checked with pandas on the stored texts)."""
    from tpm.comments.themes import theme_table
    from tpm.seed import CUSTOMER_STUDY

    con = store.connect(seeded_template, read_only=True)
    try:
        table = theme_table(con, CUSTOMER_STUDY).set_index("name")
        texts = con.execute("SELECT c.text FROM comments c JOIN datasets d ON d.id = c.dataset_id "
                            "JOIN studies s ON s.id = d.study_id WHERE s.name = ?", [CUSTOMER_STUDY]).df()["text"]
    finally:
        con.close()
    assert 5 <= len(table) <= 7
    assert table["label_de"].notna().all() and table["label_en"].notna().all()
    assert (table["comments"] >= 5).all()  # every theme matches the sample's comments
    assert table.loc["Lieferung", "comments"] == texts.str.lower().str.contains("liefer").sum()
    assert table.loc["Bewertungen", "comments"] == texts.str.contains("Bewertung|Kritik").sum()
    out = run_json(cli, "impact", "--db", seeded_template, "--study", CUSTOMER_STUDY)
    assert {t["theme"] for t in out["themes"]} == set(table["label_en"])
