"""The Cases page (issue #22), through app.py with AppTest: an analyst sees the cases (contacts, masked comment) and
closes one (the database checked after); a viewer sees the counts only — no table, no contact value anywhere; a
rule with a bad condition shows the parser's error in the user's language and stores nothing."""

import shutil

import pytest

from tpm import access, store
from tpm.ingest import ingest_bytes

NPS = "Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen? (0-10)"
N = 20


def contact_file() -> bytes:
    rows = [f"ID;E-Mail;Hotline (1-5);{NPS};Warum?"]
    rows += [f"r{i};kunde{i}@example.org;{i % 5 + 1};{i % 11};Rufen Sie mich an: 0171 {1234500 + i}" for i in range(N)]
    return "\n".join(rows).encode()


def detractors() -> list[int]:
    return [i for i in range(N) if i % 11 <= 6]


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """One study: a wave with a confirmed e-mail column, a rule "nps <= 6" run over it (its cases opened)."""
    path = tmp_path_factory.mktemp("cases_page") / "t.duckdb"
    specs = {s.column: s for s in ingest_bytes("welle.csv", contact_file()).specs}
    specs["E-Mail"].unsure = None  # the analyst confirms the contact column
    con = store.connect(path)
    try:
        study = access.perform(con, access.LOCAL, "dataset.import",
                               ingest_bytes("welle.csv", contact_file(), specs=list(specs.values())), study="Kunden").study_id
        access.perform(con, access.LOCAL, "alert.add", study, "Detraktoren", ["nps <= 6"])
        access.perform(con, access.LOCAL, "alert.run", study)
    finally:
        con.close()
    return path


@pytest.fixture
def db(template, tmp_path, monkeypatch):
    """A copy of the template, TPM_DB already pointing at it (the login cookie is signed with its key)."""
    path = tmp_path / "p.duckdb"
    shutil.copyfile(template, path)
    monkeypatch.setenv("TPM_DB", str(path))
    return path


def cases_app(path, monkeypatch, **params):
    from conftest import page_app

    return page_app(path, monkeypatch, "cases", **params)


def rendered(at) -> str:
    """Every text the page put on screen: markdown, captions, alerts, widgets' labels and options, tables' cells."""
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title", "subheader", "text"):
        parts += [str(e.value) for e in at.get(kind)]
    for kind in ("multiselect", "selectbox", "text_input", "text_area", "button", "toggle"):
        parts += [str(getattr(e, "label", "")) + " " + " ".join(map(str, getattr(e, "options", []))) for e in at.get(kind)]
    parts += [e.value.to_csv() for e in at.dataframe]
    return "\n".join(parts)


def test_analyst_sees_the_cases_with_contacts_and_closes_one(db, monkeypatch, logged_in):
    con = store.connect(db)
    try:  # the last case is overdue: listed first, marked, counted
        late = con.execute("SELECT max(id) FROM cases").fetchone()[0]
        con.execute("UPDATE cases SET due_at = TIMESTAMP '2020-01-01' WHERE id = ?", [late])
    finally:
        con.close()
    logged_in(db, access.Actor("anna", "analyst", "password"))
    at = cases_app(db, monkeypatch, lang="en")
    want = detractors()
    assert any(m.value == f"{len(want)} cases, 1 overdue" for m in at.markdown), [m.value for m in at.markdown]
    table = at.dataframe[0].value
    assert int(table["ID"].iloc[0]) == late and table["due"].iloc[0].endswith("⚠ overdue")
    assert not any(v.endswith("overdue") for v in table["due"].iloc[1:])
    assert sorted(table["Respondent"]) == sorted(f"r{i}" for i in want)
    assert set(table["E-mail"]) == {f"kunde{i}@example.org" for i in want}
    assert all("0171" not in c and "[Tel.]" in c for c in table["Comment (masked)"])  # masked
    first = int(table["ID"].iloc[0])
    at.multiselect(key="k_pick").set_value([first]).run()
    at.text_input(key="k_outcome").set_value("Problem gelöst").run()
    at.button(key="k_close").click().run()
    assert not at.exception, [e.value for e in at.exception]
    con = store.connect(db)
    try:
        assert con.execute("SELECT status, outcome FROM cases WHERE id = ?", [first]).fetchone() == ("done", "Problem gelöst")
        assert con.execute("SELECT count(*) FROM cases WHERE status = 'done'").fetchone()[0] == 1
        assert con.execute("SELECT actor, action FROM audit WHERE action = 'case.close'").fetchall() == [("anna", "case.close")]
    finally:
        con.close()
    assert any(s.value == "1 cases changed." for s in at.success)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_viewer_sees_counts_and_no_table_and_no_contact_value(db, monkeypatch, logged_in, lang):
    logged_in(db, access.Actor("vera", "viewer", "password"))
    at = cases_app(db, monkeypatch, lang=lang)
    n = len(detractors())
    line = {"de": f"{n} Fälle, davon 0 überfällig", "en": f"{n} cases, 0 overdue"}[lang]
    assert any(m.value == line for m in at.markdown), rendered(at)
    assert not at.dataframe and not [w for w in at.multiselect if w.key == "k_pick"]
    text = rendered(at)
    assert "example.org" not in text and "kunde" not in text and "0171" not in text


def test_a_rule_with_a_bad_condition_shows_the_error_and_stores_nothing(db, monkeypatch, logged_in):
    logged_in(db, access.Actor("anna", "analyst", "password"))
    at = cases_app(db, monkeypatch, lang="de", **{"k.tab": "Regeln"})
    at.text_input(key="k_rule_name").set_value("Kaputt")
    at.text_area(key="k_rule_conditions").set_value("nps <= 6\nTelefonzelle <= 2")
    at.button(key="k_rule_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "Telefonzelle" in errors[0] and "Hotline" in errors[0], errors  # names it …
    assert "kein Kontaktpunkt" in errors[0], errors                                                # … in German
    con = store.connect(db)
    try:
        assert con.execute("SELECT name FROM alert_rules").fetchall() == [("Detraktoren",)]
        assert con.execute("SELECT count(*) FROM audit WHERE action = 'alert.add'").fetchone()[0] == 1  # the fixture's
    finally:
        con.close()
