"""Issue #22, alert rules and follow-up cases: planted responses whose matches are known for every condition kind
(NPS, a rating, a don't-know, a comment theme, a segment, a multiple-choice option; AND and OR); re-runs and
re-imports open nothing twice; SLA due dates exact; a failed import leaves no case; roles and study scope refused
with nothing written; injection text in a rule is only a value; the CLI."""

import json
from datetime import datetime

import pytest
from conftest import german_csv_bytes

from tpm import access, inventory, store, studies
from tpm.comments.themes import Theme
from tpm.followup import cases
from tpm.followup.rules import RuleError
from tpm.ingest import ingest_bytes

HOTLINE = "Wie zufrieden sind Sie mit der Telefon Hotline? (1-5)"
DELIVERY = "Wie zufrieden sind Sie mit der Lieferung? (1-5)"
NPS = "Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen? (0-10)"
WHY = "Warum würden Sie uns (nicht) weiterempfehlen?"
CHANNELS = "Welche Kanäle nutzen Sie?"
INJECTION = "x'); DROP TABLE cases; --"
ADMIN = access.LOCAL


def table_counts(con) -> dict[str, int]:
    """Rows of every table an import or a rule writes."""
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("datasets", "respondents", "ratings", "dont_know", "segments", "comments", "comment_themes",
                      "alert_rules", "cases", "case_notes", "audit")}


def planted(n: int, seed: int = 0) -> list[dict]:
    """The answers of ``n`` respondents, by row: what each rule is checked against."""
    rows = []
    for i in range(n):
        k = i + seed
        rows.append({"hotline": None if k % 7 == 3 else 1 + k % 5, "delivery": 1 + (2 * k) % 5, "nps": k % 11,
                     "region": INJECTION if k % 13 == 5 else ["Nord", "Süd", "West"][k % 3],
                     "online": k % 2 == 0, "shop": k % 3 == 0, "late": k % 4 == 0})
    return rows


def export(file_name: str, answers: list[dict]):
    header = ["ID", HOTLINE, DELIVERY, NPS, "Region", f"{CHANNELS} [Online]", f"{CHANNELS} [Filiale]", WHY]
    body = [[f"{file_name}-{i}", "weiß nicht" if a["hotline"] is None else a["hotline"], a["delivery"], a["nps"],
             a["region"], "Ja" if a["online"] else "", "Ja" if a["shop"] else "",
             "Die Lieferung kam viel zu spät" if a["late"] else "Alles bestens, danke"] for i, a in enumerate(answers)]
    return ingest_bytes(file_name, german_csv_bytes([header, *body]))


WAVE1, WAVE2 = planted(60), planted(45, seed=100)

#: rule → (conditions, any_of, which planted answers match)
RULES = {
    "Detraktoren Hotline": (["nps <= 6", "Telefon Hotline <= 2"], False,
                            lambda a: a["nps"] <= 6 and a["hotline"] is not None and a["hotline"] <= 2),
    "Weiß nicht oder Lieferung": (["telefon  HOTLINE = dk", "theme: lieferung"], True,
                                  lambda a: a["hotline"] is None or a["late"]),
    "Süd online": (["Region = süd", f"{CHANNELS} = Online"], False, lambda a: a["region"] == "Süd" and a["online"]),
    "Fans in der Filiale": (["nps > 8", "Lieferung >= 4", f"{CHANNELS} = Filiale"], False,
                            lambda a: a["nps"] > 8 and a["delivery"] >= 4 and a["shop"]),
    "Genau zehn oder schlecht geliefert": (["nps = 10", "Lieferung < 2"], True, lambda a: a["nps"] == 10 or a["delivery"] < 2),
    "Injektion": ([f"Region = {INJECTION}"], False, lambda a: a["region"] == INJECTION),
}


@pytest.fixture(scope="module")
def waves():
    return export("welle1.csv", WAVE1), export("welle2.csv", WAVE2)


def setup_study(con, waves, rules=RULES):
    """Wave 1 imported, the Lieferung theme, the rules added; (study id, dataset id)."""
    saved = access.perform(con, ADMIN, "dataset.import", waves[0], study="Kunden")
    access.perform(con, ADMIN, "theme.add", saved.study_id, Theme("Lieferung", words=("liefer*",)))
    for name, (conditions, any_of, _) in rules.items():
        access.perform(con, ADMIN, "alert.add", saved.study_id, name, conditions, any_of=any_of)
    return saved.study_id, saved.dataset_id


def opened(con) -> dict[str, set[tuple[int, int]]]:
    out: dict[str, set] = {}
    for name, dataset, resp in con.execute(
            "SELECT a.name, c.dataset_id, c.resp FROM cases c JOIN alert_rules a ON a.id = c.rule_id").fetchall():
        out.setdefault(name, set()).add((dataset, resp))
    return out


def expected(datasets: list[tuple[int, list[dict]]], rules=RULES) -> dict[str, set[tuple[int, int]]]:
    out = {name: {(d, i) for d, answers in datasets for i, a in enumerate(answers) if match(a)}
           for name, (_, _, match) in rules.items()}
    return {name: found for name, found in out.items() if found}


def test_planted_responses_open_exactly_their_cases_and_runs_and_imports_are_idempotent(con, waves):
    sid, first = setup_study(con, waves)
    truth = expected([(first, WAVE1)])
    assert all(truth.get(name) for name in RULES)  # every rule has something to find
    assert access.perform(con, ADMIN, "alert.run", sid) == sum(map(len, truth.values()))
    assert opened(con) == truth
    assert access.perform(con, ADMIN, "alert.run", sid) == 0  # a re-run opens nothing
    # the next wave's import opens its cases by itself (inside the import); importing the same file again adds nothing
    second = access.perform(con, ADMIN, "dataset.import", waves[1], study=sid).dataset_id
    truth = expected([(first, WAVE1), (second, WAVE2)])
    assert opened(con) == truth
    assert access.perform(con, ADMIN, "dataset.import", waves[1], study=sid).duplicate
    assert access.perform(con, ADMIN, "alert.run", sid, [first, second]) == 0
    assert opened(con) == truth
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == sum(map(len, truth.values()))


def test_injection_text_is_a_value_and_the_tables_stay(con, waves):
    sid, first = setup_study(con, waves, {"Injektion": RULES["Injektion"]})
    access.perform(con, ADMIN, "alert.add", sid, INJECTION, ["nps <= 0"])  # a rule name, too
    access.perform(con, ADMIN, "alert.run", sid)
    assert opened(con)["Injektion"] == {(first, i) for i, a in enumerate(WAVE1) if a["region"] == INJECTION}
    assert opened(con)[INJECTION] == {(first, i) for i, a in enumerate(WAVE1) if a["nps"] == 0}
    assert INJECTION in cases.rules(con, sid)["name"].tolist()


def test_sla_due_dates_owner_from_the_inventory_and_overdue_first(con, waves):
    saved = access.perform(con, ADMIN, "dataset.import", waves[0], study="Kunden")
    sid = saved.study_id
    frame = inventory.load(con, sid).drop(columns=["classified"])
    frame.loc[frame["name"] == "Telefon Hotline", "manager"] = "hanna"
    frame.loc[frame["name"] == "Lieferung", "department"] = "Logistik"
    access.perform(con, ADMIN, "inventory.save", frame, sid)
    # added in the opposite order of the listing: case ids do not decide it
    access.perform(con, ADMIN, "alert.add", sid, "Ohne Frist", ["nps = 0"], sla_days=None)
    access.perform(con, ADMIN, "alert.add", sid, "Lieferung", ["Lieferung = dk", "Lieferung <= 1"], any_of=True, sla_days=10)
    access.perform(con, ADMIN, "alert.add", sid, "Hotline", ["nps <= 6", "Telefon Hotline <= 1"], sla_days=3)
    monday = datetime(2026, 3, 2, 9, 30, 15)
    access.perform(con, ADMIN, "alert.run", sid, now=monday)
    rows = con.execute("SELECT a.name, c.opened_at, c.due_at, c.owner FROM cases c JOIN alert_rules a ON a.id = c.rule_id").fetchall()
    due = {"Hotline": datetime(2026, 3, 5, 9, 30, 15), "Lieferung": datetime(2026, 3, 12, 9, 30, 15), "Ohne Frist": None}
    owner = {"Hotline": "hanna", "Lieferung": "Logistik", "Ohne Frist": None}
    assert {r[0] for r in rows} == set(due)
    for name, opened_at, due_at, who in rows:
        assert (opened_at, due_at, who) == (monday, due[name], owner[name]), name
    # on 8 March the Hotline cases are overdue (listed first), the Lieferung ones not yet, those without a due date last
    listed = cases.cases(con, sid, now=datetime(2026, 3, 8))
    names = listed["rule"].tolist()
    n_hotline, n_delivery = names.count("Hotline"), names.count("Lieferung")
    assert names == ["Hotline"] * n_hotline + ["Lieferung"] * n_delivery + ["Ohne Frist"] * (len(names) - n_hotline - n_delivery)
    assert listed["overdue"].tolist() == [True] * n_hotline + [False] * (len(names) - n_hotline)
    # a closed case is not overdue any more; status, bulk assign, notes
    first = int(listed["id"].iloc[0])
    access.perform(con, ADMIN, "case.close", first, "Gutschrift")
    access.perform(con, ADMIN, "case.assign", listed["id"].tolist()[1:3], "eva")
    access.perform(con, ADMIN, "case.note", first, "Rückruf am Dienstag", by_user="local")
    access.perform(con, ADMIN, "case.status", [int(listed["id"].iloc[3])], "unreachable")
    after = cases.cases(con, sid, now=datetime(2026, 3, 8)).set_index("id")
    assert (after.loc[first, "status"], after.loc[first, "outcome"], after.loc[first, "overdue"], after.loc[first, "notes"]) == (
        "done", "Gutschrift", False, 1)
    assert set(cases.cases(con, sid, owner="eva")["id"]) == set(listed["id"].tolist()[1:3])
    assert cases.cases(con, sid, status="unreachable")["closed_at"].notna().all()


def test_a_failed_import_leaves_no_case(con, waves, monkeypatch):
    sid, _ = setup_study(con, waves, {"Alle Detraktoren": (["nps <= 6"], False, None)})
    before = table_counts(con)

    def broken(*args, **kwargs):  # after the rows and the cases, inside the import's transaction
        raise OSError("disk gone")

    monkeypatch.setattr(store.importing, "save_file", broken)
    with pytest.raises(OSError, match="disk gone"):
        access.perform(con, ADMIN, "dataset.import", waves[1], study=sid)
    assert table_counts(con) == before
    monkeypatch.undo()
    second = access.perform(con, ADMIN, "dataset.import", waves[1], study=sid).dataset_id
    assert con.execute("SELECT count(*) FROM cases WHERE dataset_id = ?", [second]).fetchone()[0] == sum(
        a["nps"] <= 6 for a in WAVE2)


def test_bad_rules_name_what_is_wrong_and_write_nothing(con, waves):
    sid, _ = setup_study(con, waves, {})
    before = table_counts(con)
    for conditions, words in ((["Hotlin <= 2"], ["'Hotlin'", "Telefon Hotline", "Lieferung", "Region"]),
                              (["theme: Preis"], ["'Preis'", "Lieferung"]),
                              (["Region = Ost"], ["'Ost'", "Nord, Süd, West"]),
                              (["Region < 3"], ["'='"]),
                              (["Telefon Hotline <= gut"], ["'gut'"]),
                              (["Telefon Hotline > dk"], ["'='"]),
                              (["nps <= 11"], ["0 to 10"]),
                              (["wie bitte"], ["nps <= 4"]),
                              (["  "], ["at least one condition"])):
        with pytest.raises(RuleError) as refused:
            access.perform(con, ADMIN, "alert.add", sid, "Neu", conditions)
        assert all(w in str(refused.value) for w in words), (conditions, str(refused.value))
        assert refused.value.text("de") != str(refused.value)  # worded in German, too
    access.perform(con, ADMIN, "alert.add", sid, "Neu", ["nps <= 6"])
    with pytest.raises(RuleError, match="exists"):
        access.perform(con, ADMIN, "alert.add", sid, "NEU", ["nps <= 5"])
    with pytest.raises(RuleError, match="No case with the id 999"):
        access.perform(con, ADMIN, "case.assign", [999], "eva")
    assert table_counts(con)["alert_rules"] == before["alert_rules"] + 1


def test_viewers_and_analysts_of_another_study_are_refused_and_nothing_is_written(con, waves):
    sid, _ = setup_study(con, waves, {"Detraktoren": (["nps <= 6"], False, None)})
    access.perform(con, ADMIN, "alert.run", sid)
    other = access.perform(con, ADMIN, "dataset.import", export("andere.csv", planted(20, seed=7)), study="Andere")
    access.perform(con, ADMIN, "alert.add", other.study_id, "Andere Detraktoren", ["nps <= 6"])
    access.perform(con, ADMIN, "alert.run", other.study_id)
    studies.set_scope(con, "anna", [other.study_id])
    ours = [r[0] for r in con.execute("SELECT id FROM cases WHERE study_id = ? ORDER BY id", [sid]).fetchall()]
    theirs = con.execute("SELECT min(id) FROM cases WHERE study_id = ?", [other.study_id]).fetchone()[0]
    writes = {"alert.add": (sid, "Neu", ["nps <= 3"]), "alert.remove": (sid, "Detraktoren"), "alert.run": (sid,),
              "case.status": ([ours[0]], "in_progress"), "case.assign": ([theirs, ours[1]], "anna"),
              "case.close": (ours[2], "erledigt"), "case.note": (ours[3], "Notiz")}
    before = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in ("alert_rules", "cases", "case_notes")}
    audit = con.execute("SELECT count(*) FROM audit").fetchone()[0]
    anna, viewer = access.Actor("anna", "analyst", "password"), access.Actor("vera", "viewer", "password")
    for action, args in writes.items():
        with pytest.raises(access.OutOfScope):
            access.perform(con, anna, action, *args)
        with pytest.raises(access.Denied):
            access.perform(con, viewer, action, *args)
    assert {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in before} == before
    assert con.execute("SELECT count(*) FROM audit").fetchone()[0] == audit
    access.perform(con, anna, "case.assign", [theirs], "anna")  # her own study's case she may change: audited
    assert store.audit_log(con)["action"].iloc[0] == "case.assign"


def test_a_schema_9_file_gains_the_tables(db_path):
    con = store.connect(db_path)
    for table in ("case_notes", "cases", "alert_rules"):
        con.execute(f"DROP TABLE {table}")
    con.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    con.close()
    assert store.needs_migration(db_path)
    con = store.connect(db_path)
    assert table_counts(con)["cases"] == 0 and table_counts(con)["alert_rules"] == 0
    con.close()


def test_cli_alerts_and_cases(cli, tmp_path, waves):
    db = tmp_path / "cli.duckdb"
    csv = tmp_path / "welle1.csv"
    header = ["ID", HOTLINE, DELIVERY, NPS, "Region", f"{CHANNELS} [Online]", f"{CHANNELS} [Filiale]", WHY]
    rows = [[f"r{i}", a["hotline"] or "weiß nicht", a["delivery"], a["nps"], a["region"], "Ja" if a["online"] else "",
             "Ja" if a["shop"] else "", "zu spät" if a["late"] else "gut"] for i, a in enumerate(WAVE1)]
    csv.write_bytes(german_csv_bytes([header, *rows]))
    assert cli("ingest", csv, "--db", db, "--study", "Kunden").returncode == 0
    added = cli("alerts", "add", "Detraktoren", "--rule", "nps <= 6", "--rule", "Telefon Hotline <= 2", "--sla-days", "5", "--db", db)
    assert added.returncode == 0, added.stderr
    bad = cli("alerts", "add", "Kaputt", "--rule", "Hotlne <= 2", "--db", db)
    assert bad.returncode == 2 and "'Hotlne'" in bad.stderr and "Telefon Hotline" in bad.stderr
    listed = json.loads(cli("alerts", "list", "--json", "--db", db).stdout)
    assert [(r["name"], r["conditions"], r["any_of"], r["sla_days"]) for r in listed] == [
        ("Detraktoren", ["nps <= 6", "Telefon Hotline <= 2"], False, 5)]
    want = sum(a["nps"] <= 6 and a["hotline"] is not None and a["hotline"] <= 2 for a in WAVE1)
    assert cli("alerts", "run", "--db", db).stdout.strip() == f"{want} new cases"
    assert cli("alerts", "run", "--db", db).stdout.strip() == "0 new cases"
    found = json.loads(cli("cases", "--json", "--db", db).stdout)
    assert len(found) == want and {r["status"] for r in found} == {"new"}
    ids = [r["id"] for r in found]
    assert cli("cases", "assign", *ids[:2], "--to", "eva", "--db", db).returncode == 0
    assert cli("cases", "close", ids[0], "--outcome", "Problem gelöst", "--db", db).returncode == 0
    assert [r["id"] for r in json.loads(cli("cases", "--json", "--owner", "eva", "--status", "new", "--db", db).stdout)] == ids[1:2]
    done = json.loads(cli("cases", "--json", "--status", "done", "--db", db).stdout)
    assert [(r["id"], r["outcome"], r["owner"]) for r in done] == [(ids[0], "Problem gelöst", "eva")]
    for args, words in ((("cases", "close", "999", "--outcome", "x"), "999"), (("cases", "--status", "offen"), "offen"),
                        (("cases", "close", str(ids[1])), "--outcome"), (("alerts", "remove", "Gibtsnicht"), "Gibtsnicht")):
        refused = cli(*args, "--db", db)
        assert refused.returncode == 2 and words in refused.stderr, (args, refused.stderr)
    assert cli("alerts", "remove", "Detraktoren", "--db", db).returncode == 0
    assert json.loads(cli("alerts", "list", "--json", "--db", db).stdout) == []


def test_a_moved_wave_takes_its_cases_and_a_deleted_one_removes_them(con, waves):
    sid, first = setup_study(con, waves, {"Detraktoren": (["nps <= 6"], False, None)})
    access.perform(con, ADMIN, "alert.run", sid)
    n = sum(a["nps"] <= 6 for a in WAVE1)
    other = access.perform(con, ADMIN, "dataset.import", export("andere.csv", planted(20, seed=7)), study="Andere").study_id
    studies.set_scope(con, "anna", [sid])
    case = con.execute("SELECT min(id) FROM cases WHERE dataset_id = ?", [first]).fetchone()[0]
    access.perform(con, ADMIN, "dataset.move", first, other)
    assert (len(cases.cases(con, sid)), len(cases.cases(con, other))) == (0, n)
    with pytest.raises(access.OutOfScope):  # the response is in a study anna may not see any more
        access.perform(con, access.Actor("anna", "analyst", "password"), "case.close", case, "erledigt")
    access.perform(con, ADMIN, "dataset.delete", first)
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
