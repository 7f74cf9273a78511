"""Hosted and shared safely: roles enforced on the server, logins, the audit trail, user text inert."""

import re

import pytest
from conftest import ROOT, german_csv_bytes, table_counts
from streamlit.testing.v1 import AppTest

from tpm import access, gate, logins, store
from tpm.comments.themes import Theme
from tpm.i18n import t
from tpm.upload import prepare

APP = str(ROOT / "app.py")
def small_result(file_name="neu.csv"):
    return prepare(file_name, german_csv_bytes([["ID", "Hotline (1-5)"]] + [[i, i % 5 + 1] for i in range(12)])).apply_detected()


EVIL = "[bitte neu anmelden](https://evil.example) ![x](https://evil.example/t.png) <img src=https://evil.example/i.png> www.evil.example"


# --- roles, checked where the writes happen


def write_calls(con):
    """Every write the product has, with arguments that would succeed for an admin."""
    result = small_result()
    dataset = con.execute("SELECT min(id) FROM datasets").fetchone()[0]
    first, second = [r[0] for r in con.execute("SELECT id FROM studies ORDER BY id LIMIT 2").fetchall()]
    inventory_frame = __import__("tpm.inventory", fromlist=["load"]).load(con, first).drop(columns=["classified"])
    return {
        "study.rename": (first, "Umbenannt"),
        "study.merge": (second, first),
        "study.delete": (second,),
        "dataset.import": (result,),
        "dataset.rename": (dataset, "Neu", "W9"),
        "dataset.delete": (dataset,),
        "dataset.remap": (dataset, []),
        "dataset.move": (dataset, second),
        "dataset.weights": (dataset, []),
        "inventory.save": (inventory_frame, first),
        "inventory.phases": (["Vorher", "Nachher"], first),
        "inventory.import": (b"not an xlsx", first),
        "touchpoint.rename": ("Hotline", "Telefon", first),
        "touchpoint.merge": ("Chat", "Hotline", first),
        "action.create": ("Hotline", "Rückruf", None, None, None, "open", "plan", first),
        "action.update": (1,),
        "action.delete": (1,),
        "user.add": ("neu", "viewer", "geheim-genug-genug-1"),
        "user.remove": ("anna",),
        "user.set_role": ("anna", "admin"),
        "user.set_password": ("anna", "ganz-anders-anders-2"),
        "user.studies": ("anna", [first]),
        "template.delete": (list(result.table.columns),),
        "theme.add": (first, Theme("Lieferung", words=("liefer*",))),
        "theme.update": (first, "Lieferung", Theme("Lieferung")),
        "theme.remove": (first, "Lieferung"),
        "theme.recode": (first,),
        "theme.override": (dataset, 0, "Kommentar", 1, True, "eve"),
        "theme.copy": (first, second),
        "alert.add": (first, "Neu", ["Hotline <= 2"]),
        "alert.remove": (first, "Neu"),
        "alert.run": (first,),
        "case.status": ([1], "done"),
        "case.assign": ([1], "eva"),
        "case.close": (1, "erledigt"),
        "case.note": (1, "Notiz"),
    }


@pytest.fixture
def seeded(db_path, seeded_template):
    """The samples (a copy of the worker's seeded file: conftest.py) and the analyst anna."""
    import shutil

    shutil.copyfile(seeded_template, db_path)
    con = store.connect(db_path)
    access.perform(con, access.LOCAL, "user.add", "anna", "analyst", "anna-passwort-1")
    yield con
    con.close()


def snapshot(con):
    return (table_counts(con), con.execute("SELECT count(*) FROM audit").fetchone()[0],
            con.execute("SELECT list(name ORDER BY id) FROM studies").fetchone(),
            con.execute("SELECT list(name ORDER BY name), list(role ORDER BY name), list(password_hash ORDER BY name) FROM users").fetchone(),
            con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone())


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_every_write_refused_below_its_role_and_nothing_written(seeded, role):
    actor = access.Actor("eve", role, "password")
    calls = write_calls(seeded)
    assert set(calls) == set(access.WRITES)  # a new write function must be added here, too
    before = snapshot(seeded)
    refused = []
    for action, args in calls.items():
        needed, _ = access.WRITES[action]
        if actor.may(needed):
            continue
        with pytest.raises(access.Denied):
            access.perform(seeded, actor, action, *args)
        refused.append(action)
    assert snapshot(seeded) == before
    if role == "viewer":
        assert sorted(refused) == sorted(access.WRITES)
    else:
        assert sorted(refused) == sorted(["study.delete", "dataset.delete", "user.add", "user.remove", "user.set_role", "user.set_password", "user.studies"])


def test_writes_are_audited_with_who_and_what(seeded):
    analyst = access.Actor("anna", "analyst", "password")
    result = small_result("welle9.csv")
    saved = access.perform(seeded, analyst, "dataset.import", result, name="Welle 9")
    access.perform(seeded, access.LOCAL, "dataset.delete", saved.dataset_id, target=saved.dataset_id, details={"name": "Welle 9"})
    log = store.audit_log(seeded)
    assert log["action"].tolist()[:2] == ["dataset.delete", "dataset.import"]
    imported = log.iloc[1]
    assert (imported["actor"], imported["via"], imported["target"]) == ("anna", "password", str(saved.dataset_id))
    assert '"file": "welle9.csv"' in imported["details"]
    assert log.iloc[0]["actor"] == "local"


def test_uploaded_by_is_filled(seeded):
    result = small_result("w.csv")
    saved = access.perform(seeded, access.Actor("anna", "analyst", "password"), "dataset.import", result)
    assert seeded.execute("SELECT uploaded_by FROM datasets WHERE id = ?", [saved.dataset_id]).fetchone()[0] == "anna"


def test_passwords_are_salted_hashes_and_wrong_ones_refused(seeded):
    stored = seeded.execute("SELECT password_hash FROM users WHERE name = 'anna'").fetchone()[0]
    assert "anna-passwort-1" not in stored and stored.startswith("scrypt$")
    assert access.login(seeded, "anna", "anna-passwort-1") == access.Actor("anna", "analyst", "password")
    assert access.login(seeded, "anna", "anna-passwort-2") is None
    assert access.login(seeded, "anna", "") is None
    assert access.login(seeded, "niemand", "anna-passwort-1") is None
    access.perform(seeded, access.LOCAL, "user.add", "bert", "viewer", "anna-passwort-1")
    assert seeded.execute("SELECT password_hash FROM users WHERE name = 'bert'").fetchone()[0] != stored  # salted
    with pytest.raises(access.UserError):
        access.perform(seeded, access.LOCAL, "user.add", "kurz", "viewer", "zu-kurz")
    with pytest.raises(access.UserError):
        access.perform(seeded, access.LOCAL, "user.add", "anna", "viewer", "lang-genug-123")  # exists
    with pytest.raises(access.UserError):
        access.perform(seeded, access.LOCAL, "user.add", "x", "chef", "lang-genug-123")


def test_auth_mode_and_roles_by_email():
    assert access.auth_mode({}, {}) == "off"
    assert access.auth_mode({}, {"auth": {"client_id": "x"}}) == "oidc"
    assert access.auth_mode({"TPM_AUTH": "password"}, {"auth": {"client_id": "x"}}) == "password"
    assert access.auth_mode({}, {"tpm": {"auth": "password"}}) == "password"
    with pytest.raises(access.UserError):
        access.auth_mode({"TPM_AUTH": "yes"}, {})
    rules = {"Chefin@Firma.de": "admin", "@firma.de": "analyst", "*": "viewer"}
    assert access.role_for_email("chefin@firma.de", rules) == "admin"
    assert access.role_for_email("max@firma.de", rules) == "analyst"
    assert access.role_for_email("gast@example.org", rules) == "viewer"
    assert access.role_for_email("gast@example.org", {"@firma.de": "analyst"}) is None
    assert access.role_for_email(None, rules) is None
    assert access.open_without_login("0.0.0.0", {}) and access.open_without_login("", {})
    assert not access.open_without_login("127.0.0.1", {}) and not access.open_without_login("0.0.0.0", {"TPM_I_KNOW_ITS_OPEN": "1"})


# --- the dashboard with the built-in login


@pytest.fixture
def hosted(db_path, monkeypatch):
    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.setenv("TPM_AUTH", "password")
    monkeypatch.chdir(ROOT)
    con = store.connect(db_path)
    access.perform(con, access.LOCAL, "user.add", "vera", "viewer", "vera-passwort-1")
    access.perform(con, access.LOCAL, "user.add", "ali", "admin", "ali-passwort-12")
    con.close()
    return AppTest.from_file(APP, default_timeout=60)


#: the browser's cookies in the AppTests below (AppTest cannot send any; /_tpm/login sets them in a browser)
BROWSER: dict[str, str] = {}


@pytest.fixture(autouse=True)
def browser_cookies(monkeypatch):
    import pages._auth

    BROWSER.clear()
    monkeypatch.setattr(pages._auth, "_login_cookie", lambda: BROWSER.get(gate.COOKIE))
    monkeypatch.setattr(gate, "SERVING", ["password"])  # as `streamlit run serve.py` does


def test_password_mode_without_the_gate_says_how_to_start(hosted, monkeypatch):
    monkeypatch.setattr(gate, "SERVING", [])
    hosted.run()
    assert [e.value for e in hosted.error] == [t("gate_missing", "de")] and not hosted.metric


def log_in(at, name, password):
    """What /_tpm/login does (tpm/gate.py): check the password, start a login, the browser keeps the cookie."""
    con = store.connect(store.db_path())
    try:
        user = logins.attempt(con, name, password, "127.0.0.1").user
        if user is not None:
            BROWSER[gate.COOKIE] = gate.cookie_value(con, *logins.start(con, user, 1))
    finally:
        con.close()
    return at.run()


def test_login_required_and_wrong_password_refused(hosted):
    hosted.session_state["user"] = access.Actor("vera", "admin", "password")  # a run's state logs nobody in
    hosted.run()
    assert not hosted.exception and not hosted.metric  # nothing of the data before the login
    log_in(hosted, "vera", "falsch-falsch")
    assert [i.value for i in hosted.info] == ["Sie sind abgemeldet (oder Ihre Anmeldung ist abgelaufen)."] and not hosted.metric
    log_in(hosted, "vera", "vera-passwort-1")
    assert not hosted.exception and not hosted.error
    assert hosted.metric[0].label == "Befragte"


def test_viewer_browses_but_cannot_upload_edit_or_delete(hosted, db_path):
    log_in(hosted, "vera", "vera-passwort-1")
    for page in ("pages/upload.py", "pages/admin.py"):  # not in a viewer's navigation (and refused inside, below)
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            hosted.switch_page(page)
    hosted.switch_page("pages/inventory.py").run()
    assert not hosted.exception
    assert not any(b.key == "inventory_save" for b in hosted.button) and len(hosted.get("download_button")) == 1
    hosted.switch_page("pages/actions.py").run()
    assert not hosted.exception and not hosted.get("form") and len(hosted.dataframe) == 1
    assert not any(b.key in ("delete_action_button", "tp_rename_button") for b in hosted.button)  # no edit, no delete
    assert not any(w.key == "edit_id" for w in hosted.selectbox)


def test_viewer_opening_the_upload_page_directly_is_refused(db_path, monkeypatch):
    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.setenv("TPM_AUTH", "password")
    monkeypatch.chdir(ROOT)
    con = store.connect(db_path)
    access.perform(con, access.LOCAL, "user.add", "vera", "viewer", "vera-passwort-1")
    con.close()
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60)
    at.session_state["user"] = access.Actor("vera", "admin", "password")  # ignored: the login comes from the cookie
    at.session_state["lang_choice"] = "Deutsch"
    log_in(at, "vera", "vera-passwort-1")
    assert not at.exception
    assert [e.value for e in at.error] == ["Ihre Rolle erlaubt das nicht."] and not at.get("file_uploader")


def test_admin_sees_users_and_the_audit_trail(hosted):
    log_in(hosted, "ali", "ali-passwort-12")
    hosted.switch_page("pages/admin.py").run()
    assert not hosted.exception and not hosted.error
    users = hosted.dataframe[0].value
    assert sorted(users["name"]) == ["ali", "vera"] and "password_hash" not in users
    audit = hosted.dataframe[1].value
    assert set(audit["action"]) == {"user.add", "login"}
    assert len(hosted.get("download_button")) == 1


# --- user text never becomes markdown


def _unescaped(text: str) -> list[str]:
    """Markdown that would be live: a link/image bracket or an HTML tag not escaped, or an autolink
    (GitHub finds those in the text after escapes are resolved: ``https\\://x`` is still a link)."""
    resolved = text.replace("\\", "")
    return (re.findall(r"(?<!\\)[\[<]", text)
            + re.findall(r"(?i)https?://|\bwww\.|[\w.+-]@[\w-]+\.", resolved))


def test_link_and_image_from_user_data_render_as_text(db_path, monkeypatch):
    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.chdir(ROOT)
    con = store.connect(db_path)
    segment = "Region [bitte neu anmelden](https://evil.example) ![x](https://evil.example/t.png)"
    value = "![x](https://evil.example/v.png)"
    rows = [["ID", "Hotline (1-5)", "Weiterempfehlung (0-10)", segment]] + [[i, i % 5 + 1, i % 11, [value, "Nord"][i % 2]] for i in range(40)]
    from tpm.seed import seed_if_empty

    seed_if_empty(con)
    saved = store.save_import(con, prepare(EVIL + ".csv", german_csv_bytes(rows)).apply_detected(), name=EVIL, wave=EVIL)
    con.close()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.multiselect(key=next(m.key for m in at.multiselect if "evil" in m.label)).set_value([value]).run()
    at.switch_page("pages/upload.py").run()
    assert not at.exception
    at.selectbox(key="delete_pick").set_value(saved.dataset_id).run()
    assert not at.exception and at.metric == [] and at.dataframe
    shown = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "title", "subheader", "header"):
        shown += [str(e.value) for e in at.get(kind)]
    for kind in ("multiselect", "selectbox", "checkbox", "text_input", "button", "radio", "toggle", "file_uploader"):
        shown += [str(getattr(e, "label", "")) + " " + str(getattr(e, "help", "") or "") for e in at.get(kind)]
    with_payload = [s for s in shown if "evil" in s]
    assert len(with_payload) >= 2  # the sidebar filter's label (segment header) and the delete confirmation
    assert [s for s in with_payload if _unescaped(s)] == []
    # the test itself can fail: the raw payload is caught
    assert _unescaped(EVIL)


# --- imports while the dashboard serves: whoever finds the file busy waits (bounded) and says so

import subprocess  # noqa: E402
import sys  # noqa: E402

from conftest import SAMPLES  # noqa: E402

WAVE3 = SAMPLES / "kundenbefragung_2026_welle3_export.csv"


def hold(db_path, seconds: float) -> subprocess.Popen:
    """Another process (as the dashboard would) holding the database file for ``seconds``."""
    proc = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                             "print('held', flush=True); time.sleep(float(sys.argv[2]))", str(db_path), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def tpm(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "tpm", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, timeout=120)


def test_cli_import_waits_for_a_busy_database(db_path):
    store.connect(db_path).close()
    holder = hold(db_path, 6)  # longer than the CLI needs to start and read the file
    out = tpm("ingest", WAVE3, "--db", db_path, "--wait", "60")
    holder.wait()
    assert out.returncode == 0, out.stderr
    assert "waiting for the database" in out.stderr and "Traceback" not in out.stderr
    con = store.connect(db_path)
    assert table_counts(con)["datasets"] == 1
    assert con.execute("SELECT uploaded_by FROM datasets").fetchone()[0]  # the OS user
    assert con.execute("SELECT via, action FROM audit").fetchall() == [("cli", "dataset.import")]
    con.close()


def test_cli_import_gives_up_with_one_line_and_writes_nothing(db_path):
    store.connect(db_path).close()
    holder = hold(db_path, 30)
    try:
        out = tpm("ingest", WAVE3, "--db", db_path, "--wait", "1")
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 2
    errors = [line for line in out.stderr.splitlines() if line.startswith("error")]
    assert errors == [f"error: the database '{db_path.name}' is in use by another process; gave up after 1 s"]
    assert "Traceback" not in out.stderr
    con = store.connect(db_path)
    assert table_counts(con)["datasets"] == 0
    con.close()


def test_cli_ingest_into_head_is_all_or_nothing_without_traceback(db_path, tmp_path):
    second = tmp_path / "zweite.csv"
    second.write_bytes(german_csv_bytes([["ID", "Hotline (1-5)"]] + [[i, i % 5 + 1] for i in range(12)]))
    out = subprocess.run(f"'{sys.executable}' -m tpm ingest '{WAVE3}' '{second}' --db '{db_path}' | head -1",
                         shell=True, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.count("\n") == 1 and "Traceback" not in out.stderr and "Broken pipe" not in out.stderr
    con = store.connect(db_path)
    assert table_counts(con)["datasets"] == 2
    con.close()


def test_cli_users_and_audit(db_path, cli):
    assert cli("users", "add", "anna", "--role", "analyst", "--db", db_path, stdin="anna-passwort-1\n").returncode == 0
    short = cli("users", "add", "bert", "--db", db_path, stdin="kurz\n")
    assert short.returncode == 2 and "at least 15 characters" in short.stderr and "Traceback" not in short.stderr
    assert cli("users", "set-role", "anna", "admin", "--db", db_path).returncode == 0
    listed = cli("users", "list", "--db", db_path).stdout
    assert listed.startswith("anna\tadmin\t") and "bert" not in listed
    con = store.connect(db_path)
    assert access.login(con, "anna", "anna-passwort-1").role == "admin"
    con.close()
    log = cli("audit", "--db", db_path).stdout.splitlines()
    assert len(log) == 2 and "user.set_role" in log[0] and "(cli)" in log[0] and "user.add  anna" in log[1]
    assert "anna-passwort-1" not in cli("audit", "--csv", "--db", db_path).stdout


def test_dashboard_waits_for_an_import_instead_of_an_exception(db_path, monkeypatch):
    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.chdir(ROOT)
    from tpm.seed import seed_if_empty

    con = store.connect(db_path)
    seed_if_empty(con)
    con.close()
    holder = hold(db_path, 2)
    at = AppTest.from_file(APP, default_timeout=60).run()
    holder.wait()
    assert not at.exception and not at.error and at.metric[0].value == "3.800"

    import pages._db

    monkeypatch.setattr(pages._db, "BUSY_WAIT", 0.5)
    holder = hold(db_path, 30)
    try:
        at = AppTest.from_file(APP, default_timeout=60).run()
    finally:
        holder.kill()
        holder.wait()
    assert not at.exception and not at.metric
    assert [e.value for e in at.error] == ["Die Datenbank ist seit einer Minute belegt. Bitte laden Sie die Seite gleich noch einmal."]


def test_config_is_safe_for_hosting():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"  # no tracebacks or server paths in the browser
    assert config["server"]["enableXsrfProtection"] is True and config["server"]["enableCORS"] is True
    assert config["server"]["address"] == "127.0.0.1" and 0 < config["server"]["maxUploadSize"] <= 200
    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8"))
    assert access.auth_mode({}, example) == "oidc" and access.role_for_email("x@firma.de", example["tpm"]["roles"]) == "analyst"
    assert ".streamlit/secrets.toml" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "USER tpm" in dockerfile and "/_tpm/health" in dockerfile and 'VOLUME ["/data"]' in dockerfile


def test_pages_write_only_through_the_one_door():
    """No page calls a write function itself (which would skip the role check and the audit trail)."""
    # named as pages call them: tpm.store.importing.save_import is store.save_import
    writes = {f"{fn.__module__.removeprefix('tpm.').split('.')[0]}.{fn.__name__}" for _, fn in access.WRITES.values()
              if fn.__module__ != "tpm.access"}
    assert {"store.save_import", "store.delete_dataset", "inventory.save", "actions.create"} <= writes
    calls = re.compile(r"\b(" + "|".join(re.escape(w) for w in writes) + r")\(")
    offenders = [(p.name, m) for p in [*(ROOT / "pages").glob("*.py"), ROOT / "app.py"]
                 for m in calls.findall(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_viewer_report_has_no_respondent_rows(hosted):
    """A viewer's workbook carries the figures, never the respondent-level data sheet."""
    import io

    import openpyxl

    log_in(hosted, "vera", "vera-passwort-1")
    hosted.switch_page("pages/report.py").run()
    hosted.button(key="make_workbook").click().run()
    assert not hosted.exception and not hosted.error
    data = hosted.session_state["report_workbook"][1]
    names = openpyxl.load_workbook(io.BytesIO(data), read_only=True).sheetnames
    assert "Daten" not in names and "Überblick" in names


# --- a user limited to some studies (issue #12: "a viewer can be limited to some studies")


def test_limited_viewer_sees_only_the_studies_shared_with_them(db_path, monkeypatch):
    from tpm import studies
    from tpm.seed import seed_if_empty

    con = store.connect(db_path)
    seed_if_empty(con)
    frame = studies.list_studies(con)
    ids = dict(zip(frame["name"], frame["id"].astype(int)))
    hotline, main = ids["Hotline-Befragung 2026"], ids["Kundenbefragung 2026"]
    access.perform(con, access.LOCAL, "user.add", "vera", "viewer", "vera-passwort-1")
    access.perform(con, access.LOCAL, "user.studies", "vera", ["Hotline-Befragung 2026"])
    vera = access.Actor("vera", "viewer", "password")
    assert access.visible_studies(con, vera) == {hotline}
    assert access.visible_studies(con, access.Actor("ali", "admin", "password")) is None  # admins see all
    assert access.visible_studies(con, access.Actor("otto", "viewer", "password")) is None  # not limited
    with pytest.raises(studies.StudyError, match="no study 'Mars'"):
        access.perform(con, access.LOCAL, "user.studies", "vera", ["Mars"])
    assert studies.scope_of(con, "vera") == [hotline]  # the refused change changed nothing
    con.close()

    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.setenv("TPM_AUTH", "password")
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["study"] = str(main)  # a shared link to the other study
    log_in(at, "vera", "vera-passwort-1")
    assert not at.exception
    picker = at.selectbox(key="study_pick")
    assert picker.options == ["Hotline-Befragung 2026"] and picker.value == hotline
    assert at.query_params["study"] == str(hotline)
    reader = store.connect(db_path, read_only=True)
    count, total = (store.list_datasets(reader, s)["respondents"].sum() for s in (hotline, None))
    reader.close()
    assert count < total and at.metric[0].value.replace(".", "") == str(count)  # the Hotline study's respondents, not the other's


def test_a_limit_survives_merge_and_delete_of_studies(seeded):
    from tpm import studies

    first, second = [r[0] for r in seeded.execute("SELECT id FROM studies ORDER BY id LIMIT 2").fetchall()]
    studies.set_scope(seeded, "vera", [second, first])
    studies.merge(seeded, second, first)
    assert studies.scope_of(seeded, "vera") == [first]  # who saw both studies sees the merged one (issue #27: only then)
    studies.delete(seeded, first)
    assert studies.scope_of(seeded, "vera") == []  # still limited: sees nothing, never everything
    assert access.visible_studies(seeded, access.Actor("vera", "viewer", "password")) == set()
    studies.set_scope(seeded, "vera", None)
    assert studies.scope_of(seeded, "vera") is None


def test_cli_limits_a_user_to_studies(db_path, cli):
    assert cli("seed", "--db", db_path).returncode == 0  # two studies: users and audit are of none (a regression)
    assert cli("users", "add", "vera", "--db", db_path, stdin="vera-passwort-1\n").returncode == 0
    done = cli("users", "studies", "vera", "--study", "Hotline-Befragung 2026", "--db", db_path)
    assert done.returncode == 0 and "only: Hotline-Befragung 2026" in done.stdout
    assert "studies: Hotline-Befragung 2026" in cli("users", "list", "--db", db_path).stdout
    bad = cli("users", "studies", "vera", "--study", "Mars", "--db", db_path)
    assert bad.returncode == 2 and "no study 'Mars'" in bad.stderr and "Traceback" not in bad.stderr
    assert cli("users", "studies", "vera", "--all", "--db", db_path).returncode == 0
    assert "studies:" not in cli("users", "list", "--db", db_path).stdout
    assert "user.studies  vera" in cli("audit", "--db", db_path).stdout
