"""Notifications of new and overdue cases: e-mail (SMTP) and a signed webhook, each recorded in ``outbox``.

Settings come from the environment (the hosting config, docs/hosting.md), never from the database — the SMTP
password above all:

- e-mail: ``TPM_SMTP_HOST`` (unset: no e-mail), ``TPM_SMTP_PORT`` (default 587; 465 with ``ssl``, 25 with ``none``),
  ``TPM_SMTP_USER``/``TPM_SMTP_PASSWORD`` (login, optional), ``TPM_SMTP_FROM``, ``TPM_SMTP_TLS`` = starttls (default)
  | ssl | none, ``TPM_NOTIFY_TO`` (comma-separated addresses; a case's owner is added when it is an e-mail address);
- webhook: ``TPM_WEBHOOK_URL`` (unset: no webhook), ``TPM_WEBHOOK_SECRET`` (required: an unsigned POST is never
  sent), ``TPM_WEBHOOK_DETAILS=1`` to include the case's contact data and comments (default: ids and dates only);
- ``TPM_PUBLIC_URL``: the dashboard's address, for the link to the Cases page.

The webhook body is JSON; ``X-TPM-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes with the secret>``
lets the receiver check origin and integrity (compare with :func:`hmac.compare_digest`).

Delivery: each message is tried up to :data:`TRIES` times, waiting :data:`BACKOFF` seconds (1, 2, …: doubling)
between tries; ``tries``, ``sent_at`` and the last error are written to its outbox row after every attempt, so a
failure stays visible (the Cases page lists :func:`failures`). An event is queued once per case and channel:
calling :func:`notify_new` or :func:`notify_overdue` again sends nothing twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

import duckdb
import pandas as pd

from tpm.i18n import LANGUAGES, t

#: attempts per message, and the waits between them (seconds): 1, 2 (a third wait, 4, would follow a fourth try)
TRIES = 3
BACKOFF = (1.0, 2.0, 4.0)
TLS_MODES = ("starttls", "ssl", "none")
CHANNELS = ("email", "webhook")
#: seconds one SMTP conversation or one POST may take
TIMEOUT = 10.0


@dataclass(frozen=True)
class Settings:
    smtp_host: str | None
    smtp_port: int
    smtp_user: str | None
    smtp_password: str | None
    smtp_from: str
    smtp_tls: str
    notify_to: tuple[str, ...]
    webhook_url: str | None
    webhook_secret: str | None
    webhook_details: bool
    public_url: str

    @property
    def channels(self) -> tuple[str, ...]:
        """The configured channels (a channel without its host/URL is off)."""
        return tuple(c for c, on in zip(CHANNELS, (self.smtp_host, self.webhook_url), strict=True) if on)


class SettingsError(ValueError):
    """A notification setting in the environment is wrong (the message names the variable)."""


def settings(env: Mapping[str, str] | None = None) -> Settings:
    """The notification settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    tls = (env.get("TPM_SMTP_TLS") or "starttls").strip().lower()
    if tls not in TLS_MODES:
        raise SettingsError(f"TPM_SMTP_TLS: use one of {', '.join(TLS_MODES)}, not '{tls}'")
    port = (env.get("TPM_SMTP_PORT") or "").strip()
    if port and not port.isdigit():
        raise SettingsError(f"TPM_SMTP_PORT: a port number, not '{port}'")
    return Settings(
        smtp_host=(env.get("TPM_SMTP_HOST") or "").strip() or None,
        smtp_port=int(port) if port else {"starttls": 587, "ssl": 465, "none": 25}[tls],
        smtp_user=env.get("TPM_SMTP_USER") or None,
        smtp_password=env.get("TPM_SMTP_PASSWORD") or None,
        smtp_from=(env.get("TPM_SMTP_FROM") or "tpm@localhost").strip(),
        smtp_tls=tls,
        notify_to=tuple(a.strip() for a in (env.get("TPM_NOTIFY_TO") or "").split(",") if a.strip()),
        webhook_url=(env.get("TPM_WEBHOOK_URL") or "").strip() or None,
        webhook_secret=env.get("TPM_WEBHOOK_SECRET") or None,
        webhook_details=(env.get("TPM_WEBHOOK_DETAILS") or "0").strip() == "1",
        public_url=(env.get("TPM_PUBLIC_URL") or "http://localhost:8501").rstrip("/"),
    )


def signature(body: bytes, secret: str) -> str:
    """The ``X-TPM-Signature`` header value: ``sha256=`` + hex HMAC-SHA256 of ``body`` keyed with ``secret``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --- what a message says


def _rule_name(con: duckdb.DuckDBPyConnection, rule_id) -> str:
    """The rule's name where the alert rules table has one, else "#id" (the rules are the alerts module's)."""
    has = con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'alert_rules' AND column_name = 'name'"
                      ).fetchone()[0]
    row = con.execute("SELECT name FROM alert_rules WHERE id = ?", [rule_id]).fetchone() if has else None
    return str(row[0]) if row else f"#{rule_id}"


def _touchpoints(con: duckdb.DuckDBPyConnection, dataset_id, resp) -> str:
    """The response's lowest-rated touchpoints (score as a share of its scale), the reason a case is worth a call."""
    rows = con.execute(
        """SELECT touchpoint FROM ratings WHERE dataset_id = ? AND resp = ?
           QUALIFY (score - scale_min) / nullif(scale_max - scale_min, 0)
                 = min((score - scale_min) / nullif(scale_max - scale_min, 0)) OVER ()
           ORDER BY touchpoint""", [dataset_id, resp]).fetchall()
    return ", ".join(r[0] for r in rows)


def case_facts(con: duckdb.DuckDBPyConnection, case_id: int) -> dict:
    """What every message of a case says: ids, rule, touchpoint, dates, the link — no contact data, no comment."""
    row = con.execute("SELECT id, study_id, rule_id, dataset_id, resp, opened_at, due_at, owner, status FROM cases "
                      "WHERE id = ?", [case_id]).fetchone()
    if row is None:
        raise LookupError(f"case {case_id} does not exist")
    keys = ("case_id", "study_id", "rule_id", "dataset_id", "resp", "opened_at", "due_at", "owner", "status")
    facts = dict(zip(keys, row, strict=True))
    facts["rule"] = _rule_name(con, facts["rule_id"])
    facts["touchpoint"] = _touchpoints(con, facts["dataset_id"], facts["resp"])
    for key in ("opened_at", "due_at"):
        facts[key] = facts[key].isoformat() if facts[key] is not None else None
    return facts


def _details(con: duckdb.DuckDBPyConnection, facts: dict) -> dict:
    """The personal part (only with TPM_WEBHOOK_DETAILS=1): the response's contact data and comments."""
    at = [facts["dataset_id"], facts["resp"]]
    contacts = con.execute("SELECT kind, value FROM contacts WHERE dataset_id = ? AND resp = ? ORDER BY kind", at).fetchall()
    comments = con.execute("SELECT question, text FROM comments WHERE dataset_id = ? AND resp = ? ORDER BY question", at
                           ).fetchall()
    return {"contacts": [{"kind": k, "value": v} for k, v in contacts],
            "comments": [{"question": q, "text": x} for q, x in comments]}


def cases_link(s: Settings, case_id: int) -> str:
    return f"{s.public_url}/cases?case={case_id}"


def email_message(facts: dict, event: str, s: Settings, to: list[str]) -> EmailMessage:
    """The e-mail of one event: subject in German, body in German then English (plain text, never HTML)."""
    values = {"case_id": facts["case_id"], "rule": facts["rule"], "link": cases_link(s, facts["case_id"])}
    body = []
    for lang in LANGUAGES:
        due = facts["due_at"][:10] if facts["due_at"] else t("notify_no_due", lang)
        body.append(t(f"notify_body_{event}", lang, due=due, touchpoint=facts["touchpoint"] or t("notify_no_touchpoint", lang),
                      **values))
    msg = EmailMessage()
    msg["Subject"] = t(f"notify_subject_{event}", LANGUAGES[0], **values)
    msg["From"], msg["To"] = s.smtp_from, ", ".join(to)
    msg.set_content("\n\n".join(body))
    return msg


def webhook_body(con: duckdb.DuckDBPyConnection, facts: dict, event: str, s: Settings) -> bytes:
    """The JSON body: event and case facts and the link; contact data and comments only when configured."""
    payload = {"event": event, **facts, "link": cases_link(s, facts["case_id"])}
    if s.webhook_details:
        payload.update(_details(con, facts))
    return json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")


# --- sending


def _send_email(con, facts: dict, event: str, s: Settings) -> None:
    owner = facts.get("owner") or ""
    to = list(dict.fromkeys([*s.notify_to, *([owner] if "@" in owner else [])]))
    if not to:
        raise RuntimeError("no recipient: set TPM_NOTIFY_TO or give the case an owner with an e-mail address")
    msg = email_message(facts, event, s, to)
    if s.smtp_tls == "ssl":
        server = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=TIMEOUT, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=TIMEOUT)
    with server:
        if s.smtp_tls == "starttls":
            server.starttls(context=ssl.create_default_context())
        if s.smtp_user:
            server.login(s.smtp_user, s.smtp_password or "")
        server.send_message(msg)


def _send_webhook(con, facts: dict, event: str, s: Settings) -> None:
    import httpx

    if not s.webhook_secret:
        raise RuntimeError("TPM_WEBHOOK_SECRET is not set: an unsigned webhook is never sent")
    body = webhook_body(con, facts, event, s)
    response = httpx.post(s.webhook_url, content=body, timeout=TIMEOUT,
                          headers={"Content-Type": "application/json", "X-TPM-Signature": signature(body, s.webhook_secret)})
    response.raise_for_status()


SENDERS: dict[str, Callable] = {"email": _send_email, "webhook": _send_webhook}


def _error_text(exc: Exception) -> str:
    """One line for the page, without secrets (no URL query, no password: only the exception's type and message)."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500]


def deliver(con: duckdb.DuckDBPyConnection, outbox_id: int, s: Settings, sleep: Callable[[float], None] = time.sleep) -> bool:
    """Send one outbox message: up to :data:`TRIES` tries with :data:`BACKOFF` waits; its row records each try.
    True when sent."""
    case_id, channel, event, tries = con.execute("SELECT case_id, channel, event, tries FROM outbox WHERE id = ?",
                                                 [outbox_id]).fetchone()
    facts = case_facts(con, case_id)
    for attempt in range(tries, TRIES):
        if attempt > tries:
            sleep(BACKOFF[attempt - tries - 1])
        try:
            SENDERS[channel](con, facts, event, s)
        except Exception as exc:  # any failure of the far side: recorded, tried again, shown on the page
            con.execute("UPDATE outbox SET tries = ?, last_error = ? WHERE id = ?", [attempt + 1, _error_text(exc), outbox_id])
            continue
        con.execute("UPDATE outbox SET tries = ?, sent_at = ?, last_error = NULL WHERE id = ?", [attempt + 1, _now(), outbox_id])
        return True
    return False


def enqueue(con: duckdb.DuckDBPyConnection, case_ids: list[int], event: str, s: Settings) -> list[int]:
    """One outbox row per case and configured channel, unless that event of that case is queued already."""
    if not case_ids or not s.channels:
        return []
    rows = con.execute(
        """INSERT INTO outbox (case_id, channel, event, created_at)
           SELECT c.id, ch.channel, ?, ? FROM (SELECT unnest(?::INTEGER[]) AS id) c, (SELECT unnest(?::VARCHAR[]) AS channel) ch
           WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.case_id = c.id AND o.channel = ch.channel AND o.event = ?)
           RETURNING id""",
        [event, _now(), list(case_ids), list(s.channels), event]).fetchall()
    return sorted(r[0] for r in rows)


def send_pending(con: duckdb.DuckDBPyConnection, s: Settings | None = None, sleep: Callable[[float], None] = time.sleep) -> int:
    """Deliver every message not yet sent whose tries are not used up; the number sent."""
    s = s or settings()
    pending = [r[0] for r in con.execute("SELECT id FROM outbox WHERE sent_at IS NULL AND tries < ? ORDER BY id",
                                         [TRIES]).fetchall()]
    return sum(deliver(con, i, s, sleep) for i in pending)


def notify_new(con: duckdb.DuckDBPyConnection, case_ids: list[int], s: Settings | None = None,
               sleep: Callable[[float], None] = time.sleep) -> int:
    """Queue and send the "new case" messages of ``case_ids`` (called after the alert rules opened them)."""
    s = s or settings()
    enqueue(con, case_ids, "new", s)
    return send_pending(con, s, sleep)


def overdue_cases(con: duckdb.DuckDBPyConnection, study: int, now: datetime | None = None) -> list[int]:
    """Open cases (not closed) of ``study`` whose due date has passed."""
    return [r[0] for r in con.execute("SELECT id FROM cases WHERE study_id = ? AND closed_at IS NULL AND due_at < ? ORDER BY id",
                                      [study, now or _now()]).fetchall()]


def notify_overdue(con: duckdb.DuckDBPyConnection, study: int, s: Settings | None = None, now: datetime | None = None,
                   sleep: Callable[[float], None] = time.sleep) -> int:
    """Queue and send the "overdue" message of each overdue case of ``study`` (once per case)."""
    s = s or settings()
    enqueue(con, overdue_cases(con, study, now), "overdue", s)
    return send_pending(con, s, sleep)


def failures(con: duckdb.DuckDBPyConnection, study: int | None = None) -> pd.DataFrame:
    """Messages not delivered, with their tries and last error (the Cases page shows them)."""
    return con.execute(
        """SELECT o.id, o.case_id, o.channel, o.event, o.created_at, o.tries, o.last_error FROM outbox o
           JOIN cases c ON c.id = o.case_id WHERE o.sent_at IS NULL AND o.last_error IS NOT NULL
             AND (?::INTEGER IS NULL OR c.study_id = ?) ORDER BY o.id""", [study, study]).df()
