"""Notifications (a real local SMTP server, a local HTTP receiver), retention, and the contact role's privacy."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import date, datetime
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import duckdb
import pytest

from tpm.followup import notify
from tpm.followup.contacts import with_contacts
from tpm.followup.retention import purge, set_retention
from tpm.ingest import ingest_bytes
from tpm.store.schema import create_tables

SECRET = "s3cret-for-the-test"
PASSWORD = "smtp-password-never-stored"


@pytest.fixture
def con():
    con = duckdb.connect()
    create_tables(con)
    yield con
    con.close()


def add_case(con, case_id, study=1, dataset=1, resp=0, closed=None, due="2026-03-10", owner="anna"):
    """Case ``case_id`` of rule ``case_id`` (one rule per case: a response may match several rules)."""
    status = "new" if closed is None else "done"
    con.execute("INSERT INTO cases VALUES (?, ?, ?, ?, ?, '2026-03-01', ?, ?, ?, NULL, NULL, ?)",
                [case_id, study, case_id, dataset, resp, due, owner, status, closed])


def fill_response(con, dataset=1, resp=0):
    con.execute("INSERT INTO ratings VALUES (?, ?, 'Hotline', 1, 1, 5), (?, ?, 'Website', 4, 1, 5)",
                [dataset, resp, dataset, resp])
    con.execute("INSERT INTO contacts VALUES (?, ?, 'email', ?)", [dataset, resp, f"kunde{resp}@example.org"])
    con.execute("INSERT INTO comments (dataset_id, resp, question, text) VALUES (?, ?, 'Kommentar', 'drei Wochen gewartet')",
                [dataset, resp])


# --- e-mail: a real SMTP server on this machine


@pytest.fixture(scope="module")
def smtp():
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages, self.logins = [], []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
            return "250 OK"

    inbox = Inbox()

    def authenticator(server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        inbox.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == PASSWORD.encode())

    import socket

    with socket.socket() as probe:  # a free port (aiosmtpd's Controller checks its own port, so not 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False)
    controller.start()
    yield inbox, port
    controller.stop()


def test_new_case_email_reaches_the_smtp_server_and_the_password_stays_out_of_the_database(con, smtp, tmp_path):
    inbox, port = smtp
    inbox.messages.clear()
    fill_response(con)
    add_case(con, 41, owner="leiterin@firma.de")
    s = notify.settings({"TPM_SMTP_HOST": "127.0.0.1", "TPM_SMTP_PORT": str(port), "TPM_SMTP_TLS": "none",
                         "TPM_SMTP_USER": "tpm", "TPM_SMTP_PASSWORD": PASSWORD, "TPM_SMTP_FROM": "tpm@firma.de",
                         "TPM_NOTIFY_TO": "team@firma.de", "TPM_PUBLIC_URL": "https://tpm.firma.de/"})
    assert notify.notify_new(con, [41], s, sleep=lambda _: None) == 1
    assert notify.notify_new(con, [41], s, sleep=lambda _: None) == 0  # once per case and event
    (to, msg), = inbox.messages
    assert sorted(to) == ["leiterin@firma.de", "team@firma.de"]
    body = msg.get_payload(decode=True).decode()
    assert "#41" in msg["Subject"] and "Hotline" in body and "2026-03-10" in body
    assert "https://tpm.firma.de/cases?case=41" in body
    assert "kunde0@example.org" not in body and "gewartet" not in body  # no contact data, no comment
    assert con.execute("SELECT channel, tries, sent_at IS NOT NULL FROM outbox").fetchall() == [("email", 1, True)]
    path = tmp_path / "copy.duckdb"  # the whole database, as a file: the password is nowhere in it
    con.execute(f"ATTACH '{path}' AS copy")
    con.execute("COPY FROM DATABASE memory TO copy")
    con.execute("DETACH copy")
    assert PASSWORD.encode() not in path.read_bytes()


def test_unreachable_smtp_server_is_recorded_as_a_failure(con):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    add_case(con, 5)
    s = notify.settings({"TPM_SMTP_HOST": "127.0.0.1", "TPM_SMTP_PORT": str(port), "TPM_SMTP_TLS": "none",
                         "TPM_SMTP_PASSWORD": PASSWORD, "TPM_NOTIFY_TO": "team@firma.de"})
    waits = []
    assert notify.notify_new(con, [5], s, sleep=waits.append) == 0
    assert waits == [1.0, 2.0]
    failed = notify.failures(con)
    assert failed[["case_id", "channel", "tries"]].values.tolist() == [[5, "email", 3]]
    assert "ConnectionRefused" in failed["last_error"][0] and PASSWORD not in failed["last_error"][0]


# --- webhook: a local HTTP receiver that checks the signature


@pytest.fixture(scope="module")
def receiver():
    state = {"fail": 0, "bodies": [], "valid": [], "hits": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state["hits"] += 1
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            state["valid"].append(hmac.compare_digest(expected, self.headers.get("X-TPM-Signature", "")))
            if state["fail"] > 0:
                state["fail"] -= 1
                self.send_response(503)
            else:
                state["bodies"].append(json.loads(body))
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def hook_env(url, **more):
    return {"TPM_WEBHOOK_URL": url, "TPM_WEBHOOK_SECRET": SECRET, **more}


def test_webhook_is_signed_retried_with_backoff_and_carries_no_contact_data(con, receiver):
    state, url = receiver
    state.update(fail=2, bodies=[], valid=[], hits=0)
    fill_response(con)
    add_case(con, 9)
    waits = []
    assert notify.notify_new(con, [9], notify.settings(hook_env(url)), sleep=waits.append) == 1
    assert state["hits"] == 3 and all(state["valid"]) and waits == [1.0, 2.0]
    assert con.execute("SELECT tries, sent_at IS NOT NULL, last_error FROM outbox").fetchall() == [(3, True, None)]
    (body,) = state["bodies"]
    assert body["case_id"] == 9 and body["event"] == "new" and body["touchpoint"] == "Hotline"
    assert "contacts" not in body and "kunde0@example.org" not in json.dumps(body) and "gewartet" not in json.dumps(body)


def test_webhook_details_only_when_configured(con, receiver):
    state, url = receiver
    state.update(fail=0, bodies=[], valid=[], hits=0)
    fill_response(con)
    add_case(con, 9)
    notify.notify_new(con, [9], notify.settings(hook_env(url, TPM_WEBHOOK_DETAILS="1")), sleep=lambda _: None)
    (body,) = state["bodies"]
    assert body["contacts"] == [{"kind": "email", "value": "kunde0@example.org"}]
    assert body["comments"][0]["text"] == "drei Wochen gewartet"


def test_permanent_webhook_failure_is_kept_with_its_error(con, receiver):
    state, url = receiver
    state.update(fail=10, bodies=[], valid=[], hits=0)
    add_case(con, 3)
    waits = []
    assert notify.notify_new(con, [3], notify.settings(hook_env(url)), sleep=waits.append) == 0
    assert state["hits"] == 3 and waits == [1.0, 2.0]
    failed = notify.failures(con, study=1)
    assert failed[["case_id", "channel", "tries"]].values.tolist() == [[3, "webhook", 3]]
    assert "503" in failed["last_error"][0]
    assert notify.send_pending(con, notify.settings(hook_env(url)), sleep=waits.append) == 0  # tries used up
    assert state["hits"] == 3


def test_no_secret_no_webhook(con, receiver):
    state, url = receiver
    state.update(fail=0, bodies=[], valid=[], hits=0)
    add_case(con, 3)
    notify.notify_new(con, [3], notify.settings({"TPM_WEBHOOK_URL": url}), sleep=lambda _: None)
    assert state["hits"] == 0 and "TPM_WEBHOOK_SECRET" in notify.failures(con)["last_error"][0]


def test_overdue_cases_are_notified_once(con, receiver):
    state, url = receiver
    state.update(fail=0, bodies=[], valid=[], hits=0)
    add_case(con, 1, due="2026-03-10")
    add_case(con, 2, due="2026-03-20")
    add_case(con, 3, due="2026-03-01", closed="2026-03-02")  # closed: never overdue
    add_case(con, 4, study=2, due="2026-03-01")  # another study
    s = notify.settings(hook_env(url))
    now = datetime(2026, 3, 15)
    assert notify.notify_overdue(con, 1, s, now=now, sleep=lambda _: None) == 1
    assert notify.notify_overdue(con, 1, s, now=now, sleep=lambda _: None) == 0
    assert [(b["case_id"], b["event"]) for b in state["bodies"]] == [(1, "overdue")]


def test_bad_settings_name_the_variable():
    with pytest.raises(notify.SettingsError, match="TPM_SMTP_TLS"):
        notify.settings({"TPM_SMTP_TLS": "tls1.3"})
    with pytest.raises(notify.SettingsError, match="TPM_SMTP_PORT"):
        notify.settings({"TPM_SMTP_PORT": "smtp"})


# --- retention


def test_retention_deletes_exactly_the_contacts_and_notes_of_cases_closed_long_enough(con):
    set_retention(con, 1, 30)
    for resp in range(5):
        con.execute("INSERT INTO contacts VALUES (1, ?, 'email', ?)", [resp, f"k{resp}@example.org"])
    con.execute("INSERT INTO contacts VALUES (2, 0, 'phone', '+49 30 1234567')")  # study 2: no retention set
    add_case(con, 1, resp=0, closed="2026-01-01")   # 90 days before: expired
    add_case(con, 2, resp=1, closed="2026-03-05")   # 26 days before: kept
    add_case(con, 3, resp=2)                        # open: kept
    add_case(con, 4, resp=3, closed="2026-01-01")   # expired, but the same response has an open case …
    add_case(con, 5, resp=3)                        # … so its contact stays
    add_case(con, 6, study=2, dataset=2, resp=0, closed="2025-01-01")  # study without retention
    for case_id in (1, 2, 3, 4, 6):
        con.execute("INSERT INTO case_notes VALUES (?, '2026-01-01', 'anna', 'angerufen')", [case_id])
    done = purge(con, date(2026, 3, 31), actor="cron", via="cli")
    assert done == {1: {"cases": 2, "notes": 2, "contacts": 1}}
    assert sorted(con.execute("SELECT dataset_id, resp FROM contacts").fetchall()) == [(1, 1), (1, 2), (1, 3), (1, 4), (2, 0)]
    assert sorted(r[0] for r in con.execute("SELECT case_id FROM case_notes").fetchall()) == [2, 3, 6]
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 6  # the cases themselves stay
    audit = con.execute("SELECT actor, action, target, details FROM audit").fetchall()
    assert [(a, b, c) for a, b, c, _ in audit] == [("cron", "cases.purge", "1")]
    assert json.loads(audit[0][3])["contacts"] == 1
    assert purge(con, date(2026, 3, 31)) == {}  # nothing left to purge, no further audit line
    assert con.execute("SELECT count(*) FROM audit").fetchone()[0] == 1


def test_retention_boundary_is_strictly_more_than_n_days(con):
    set_retention(con, 1, 30)
    con.execute("INSERT INTO contacts VALUES (1, 0, 'email', 'a@example.org'), (1, 1, 'email', 'b@example.org')")
    add_case(con, 1, resp=0, closed="2026-03-01 12:00")  # 30 days before 31 March: not yet
    add_case(con, 2, resp=1, closed="2026-02-28 23:59")  # more than 30 days
    purge(con, date(2026, 3, 31))
    assert con.execute("SELECT resp FROM contacts").fetchall() == [(0,)]


def test_bad_retention_is_refused(con):
    from tpm.followup.retention import RetentionError

    with pytest.raises(RetentionError, match="whole number"):
        set_retention(con, 1, -1)
    assert con.execute("SELECT count(*) FROM study_settings").fetchone()[0] == 0


# --- the contact role: stored only when mapped and confirmed, never shown to viewers


def contact_file() -> bytes:
    rows = ["ID;E-Mail;Telefon;Hotline (1-5);Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen? (0-10)"]
    rows += [f"{i};kunde{i}@example.org;+49 30 {1000 + i};{i % 5 + 1};{i % 11}" for i in range(1, 21)]
    return "\n".join(rows).encode()


def test_contact_columns_are_proposed_unsure_and_stored_only_once_confirmed():
    result = ingest_bytes("welle.csv", contact_file())
    specs = {s.column: s for s in result.specs}
    assert (specs["E-Mail"].role, specs["E-Mail"].contact_kind) == ("contact", "email")
    assert (specs["Telefon"].role, specs["Telefon"].contact_kind) == ("contact", "phone")
    assert specs["E-Mail"].unsure and specs["Telefon"].unsure
    assert result.canonical.contacts.empty  # proposed, not confirmed: nothing stored
    assert "kunde1@example.org" not in set(result.canonical.segments.get("value", []))
    specs["E-Mail"].unsure = None  # the analyst confirms the e-mail column only
    confirmed = ingest_bytes("welle.csv", contact_file(), specs=list(specs.values()))
    contacts = confirmed.canonical.contacts
    assert set(contacts["kind"]) == {"email"} and len(contacts) == 20
    assert "kunde1@example.org" in set(contacts["value"])
    assert result.canonical.segments.empty and confirmed.canonical.comments.empty


def test_contact_role_never_guessed_from_values_alone():
    rows = ["ID;Angaben;Hotline (1-5)"] + [f"{i};kunde{i}@example.org;{i % 5 + 1}" for i in range(1, 21)]
    specs = {s.column: s for s in ingest_bytes("w.csv", "\n".join(rows).encode()).specs}
    assert specs["Angaben"].role != "contact"
    rows = ["ID;E-Mail;Hotline (1-5)"] + [f"{i};anonymous;{i % 5 + 1}" for i in range(1, 21)]
    specs = {s.column: s for s in ingest_bytes("w.csv", "\n".join(rows).encode()).specs}
    assert specs["E-Mail"].role == "ignore"  # the header alone is not enough either


def test_viewers_and_users_outside_the_study_get_cases_without_contact_data(con):
    import pandas as pd

    con.execute("INSERT INTO contacts VALUES (1, 0, 'email', 'a@example.org'), (1, 0, 'phone', '+49 1'), "
                "(2, 0, 'email', 'b@example.org')")
    cases = pd.DataFrame({"id": [1, 2], "study_id": [1, 2], "dataset_id": [1, 2], "resp": [0, 0]})
    viewer = with_contacts(con, cases, "viewer", None)
    assert list(viewer.columns) == ["id", "study_id", "dataset_id", "resp"]
    analyst = with_contacts(con, cases, "analyst", None)
    assert analyst["email"].tolist() == ["a@example.org", "b@example.org"] and analyst["phone"][0] == "+49 1"
    scoped = with_contacts(con, cases, "analyst", {1})
    assert scoped["email"].tolist()[0] == "a@example.org" and pd.isna(scoped["email"][1])
    leaked = with_contacts(con, analyst, "viewer", None)  # a frame that already carries them loses them
    assert "email" not in leaked.columns and "phone" not in leaked.columns


def test_confirmed_contacts_are_stored_in_contacts_only_carried_by_the_template_and_deleted_with_the_dataset(tmp_path):
    from tpm import store
    from tpm.store.templates import header_signature

    con = store.connect(tmp_path / "t.duckdb")
    detected = ingest_bytes("welle.csv", contact_file())
    specs = [s if s.column != "E-Mail" else type(s)(**{**s.as_dict(), "unsure": None}) for s in detected.specs]
    saved = store.save_import(con, ingest_bytes("welle.csv", contact_file(), specs=specs), study="S")
    assert con.execute("SELECT count(*), min(kind) FROM contacts WHERE dataset_id = ?", [saved.dataset_id]).fetchone() == (20, "email")
    stored_text = con.execute("SELECT count(*) FROM segments WHERE value LIKE '%@%'").fetchone()[0] \
        + con.execute("SELECT count(*) FROM comments WHERE text LIKE '%@%'").fetchone()[0]
    assert stored_text == 0  # nowhere but in contacts
    signature = header_signature(list(detected.table.columns))
    template = json.loads(con.execute("SELECT mapping FROM mapping_templates WHERE signature = ?", [signature]).fetchone()[0])
    assert {s["column"]: (s["role"], s["contact_kind"]) for s in template}["E-Mail"] == ("contact", "email")
    store.delete_dataset(con, saved.dataset_id)
    assert con.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0
    con.close()


def test_cli_purge_and_retention(tmp_path, capsys):
    from tpm import store
    from tpm.cli import main

    db = str(tmp_path / "c.duckdb")
    con = store.connect(db)
    con.execute("INSERT INTO studies (name, created_at) VALUES ('S', now()::TIMESTAMP)")
    con.execute("INSERT INTO contacts VALUES (1, 0, 'email', 'a@example.org')")
    add_case(con, 1, closed="2026-01-01")
    con.close()
    assert main(["cases", "retention", "--days", "-3", "--db", db]) == 2
    assert main(["cases", "retention", "--days", "10", "--study", "S", "--db", db]) == 0
    assert main(["cases", "purge", "--today", "31.03.2026", "--db", db]) == 2
    assert "--today" in capsys.readouterr().err
    assert main(["cases", "purge", "--today", "2026-03-31", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["purged"]["1"]["contacts"] == 1
    con = store.connect(db)
    assert con.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0
    assert [r[0] for r in con.execute("SELECT action FROM audit ORDER BY id").fetchall()] == ["study.retention", "cases.purge"]
    con.close()


def test_a_column_set_to_contact_on_the_upload_page_gets_its_kind_and_a_kindless_one_is_refused():
    import pandas as pd

    from tpm.ingest import IngestError
    from tpm.upload import specs_from_frame

    result = ingest_bytes("welle.csv", contact_file())
    frame = pd.DataFrame([{"column": "Telefon", "role": "contact", "confirmed": True, "unsure": "", "name": None},
                          {"column": "ID", "role": "contact", "confirmed": True, "unsure": "", "name": None}])
    phone, other = specs_from_frame(frame, detected=[s for s in result.specs if s.column != "Telefon"])
    assert (phone.contact_kind, phone.unsure, other.contact_kind) == ("phone", None, "customer_no")
    specs = [s for s in result.specs if s.role != "contact"] + [type(phone)(column="E-Mail", role="contact")]
    with pytest.raises(IngestError, match=r"welle\.csv.*E-Mail.*contact column needs its kind"):
        ingest_bytes("welle.csv", contact_file(), specs=specs)
