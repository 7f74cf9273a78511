"""Browser logins of the password mode: signed session cookies, the server-side sessions, the lockout.

A login makes a random token; the browser keeps it in a cookie ``token.expires.mac`` (HMAC-SHA256 with
the server key, :func:`sign`), the database keeps only the token's SHA-256 with the user and the expiry
(``web_sessions``). A request is logged in when the signature holds, the cookie has not expired, and the
row still exists *and* its user still exists: logout deletes the row (in every tab and browser at once),
removing a user or setting a new password deletes all of that user's rows (:mod:`tpm.access`), and the
role is read from ``users`` each time, so a changed role applies at once.

Lockout (brute force across sessions and processes: the counts are in the database). Failures are
counted per user name and per client address; a count older than :data:`WINDOW` starts again at 0.
From the ``free``-th failure on (:data:`USER_FREE` = 5 per name, :data:`ADDR_FREE` = 20 per address),
logins of that name or address are refused — even with the right password — for

    lock = min(BASE_LOCK · 2^(failures − free), MAX_LOCK)   (30 s, 60 s, 2 min, … at most 15 min)

after the last failure. Every failure, every lockout and every refused attempt is a line of the audit
trail (``login.failed``, ``login.lockout``, ``login.locked``); so is every login (``login``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tpm import access, store

USER_FREE, ADDR_FREE = 5, 20
BASE_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(minutes=15)
WINDOW = timedelta(hours=1)
DEFAULT_HOURS = 12.0

_write_lock = threading.Lock()  # one login write at a time in this process (DuckDB: no conflicting updates)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def session_hours(env: dict | None = None) -> float:
    """``$TPM_SESSION_HOURS`` (default 12): how long a login lasts without logging in again."""
    env = os.environ if env is None else env
    raw = (env.get("TPM_SESSION_HOURS") or "").strip()
    try:
        hours = float(raw) if raw else DEFAULT_HOURS
    except ValueError:
        raise access.UserError(f"TPM_SESSION_HOURS must be a number of hours, not '{raw}'") from None
    if not 0 < hours <= 24 * 90:
        raise access.UserError(f"TPM_SESSION_HOURS must be between 0 and 2160 hours, not '{raw}'")
    return hours


# --- the cookie


def _mac(key: bytes, message: str) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, message.encode("ascii"), hashlib.sha256).digest()).decode().rstrip("=")


def sign(token: str, expires: datetime, key: bytes) -> str:
    """The cookie value: ``token.expires.mac`` (expires in Unix seconds)."""
    message = f"{token}.{int(expires.replace(tzinfo=UTC).timestamp())}"
    return f"{message}.{_mac(key, message)}"


def unsign(value: str | None, key: bytes, at: datetime | None = None) -> str | None:
    """The token of a cookie whose signature holds and that has not expired; None for anything else."""
    try:
        token, expires, mac = (value or "").split(".")
        valid = hmac.compare_digest(mac, _mac(key, f"{token}.{expires}"))
        fresh = int(expires) > (at or now()).replace(tzinfo=UTC).timestamp()
    except (ValueError, UnicodeEncodeError):
        return None
    return token if valid and fresh else None


def server_key(con) -> bytes:
    """``$TPM_SECRET_KEY``, else a random key made once and kept in the database (cookies survive restarts)."""
    if os.environ.get("TPM_SECRET_KEY"):
        return os.environ["TPM_SECRET_KEY"].encode("utf-8")
    row = con.execute("SELECT value FROM meta WHERE key = 'session_key'").fetchone()
    if row:
        return bytes.fromhex(row[0])
    with _write_lock:
        con.execute("INSERT INTO meta VALUES ('session_key', ?) ON CONFLICT (key) DO NOTHING", [secrets.token_hex(32)])
    return bytes.fromhex(con.execute("SELECT value FROM meta WHERE key = 'session_key'").fetchone()[0])


# --- the sessions


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def fingerprint(token: str) -> str:
    """A short name of a login that is not the token (to bind Streamlit sessions to it)."""
    return _digest(token)[:24]


def start(con, actor: access.Actor, hours: float, at: datetime | None = None) -> tuple[str, datetime]:
    """A new login of ``actor``: (token, expiry). Expired rows are cleared on the way."""
    at = at or now()
    token, expires = secrets.token_urlsafe(32), at + timedelta(hours=hours)
    with _write_lock:
        con.execute("DELETE FROM web_sessions WHERE expires_at <= ?", [at])
        con.execute("INSERT INTO web_sessions VALUES (?, ?, ?, ?)", [_digest(token), actor.name, at, expires])
    return token, expires


def lookup(con, token: str | None, at: datetime | None = None) -> access.Actor | None:
    """The user of a live login (the role as it is now), or None."""
    if not token:
        return None
    row = con.execute(
        """SELECT u.name, u.role FROM web_sessions s JOIN users u ON u.name = s.user_name
           WHERE s.token_sha256 = ? AND s.expires_at > ?""", [_digest(token), at or now()]).fetchone()
    return access.Actor(row[0], row[1], "password") if row else None


def end(con, token: str | None) -> str | None:
    """Log out: the login is deleted (every tab and browser with this cookie); the user's name, if it was live."""
    if not token:
        return None
    with _write_lock:
        row = con.execute("DELETE FROM web_sessions WHERE token_sha256 = ? RETURNING user_name", [_digest(token)]).fetchone()
        if row:
            store.record(con, row[0], "password", "logout", row[0])
    return row[0] if row else None


# --- the lockout


def lock_time(failures: int, free: int) -> timedelta:
    """How long a name or address is locked after ``failures`` failures in a row (formula: module docstring)."""
    if failures < free:
        return timedelta(0)
    return min(BASE_LOCK * 2 ** min(failures - free, 20), MAX_LOCK)


def _keys(name: str, addr: str) -> list[tuple[str, str, int]]:
    return [("user", (name or "").strip().lower()[:64], USER_FREE), ("addr", addr or "?", ADDR_FREE)]


def locked_for(con, name: str, addr: str, at: datetime | None = None) -> float:
    """Seconds until a login of ``name`` from ``addr`` is tried again (0: not locked)."""
    at = at or now()
    wait = timedelta(0)
    for kind, key, free in _keys(name, addr):
        row = con.execute("SELECT failures, last_at FROM login_failures WHERE kind = ? AND key = ?", [kind, key]).fetchone()
        if row and at - row[1] < WINDOW:
            wait = max(wait, row[1] + lock_time(row[0], free) - at)
    return max(wait.total_seconds(), 0.0)


@dataclass(frozen=True)
class Attempt:
    user: access.Actor | None
    locked_seconds: float = 0.0  # > 0: refused because of the lockout (the password was not even checked)


def attempt(con, name: str, password: str, addr: str, at: datetime | None = None) -> Attempt:
    """One login attempt with lockout and audit lines (see the module docstring)."""
    at = at or now()
    who, details = (name or "").strip()[:64] or "?", {"addr": addr}
    wait = locked_for(con, name, addr, at)
    if wait > 0:
        with _write_lock:
            store.record(con, who, "password", "login.locked", who, {**details, "seconds": round(wait)})
        return Attempt(None, wait)
    user = access.login(con, name, password)
    with _write_lock, store.transaction(con, bump=False):
        if user is not None:
            con.execute("DELETE FROM login_failures WHERE kind = 'user' AND key = ?", [_keys(name, addr)[0][1]])
            store.record(con, user.name, "password", "login", user.name, details)
            return Attempt(user)
        for kind, key, _ in _keys(name, addr):
            con.execute(
                """INSERT INTO login_failures VALUES (?, ?, 1, ?) ON CONFLICT (kind, key) DO UPDATE SET
                   failures = CASE WHEN ? - login_failures.last_at < ? THEN login_failures.failures + 1 ELSE 1 END,
                   last_at = excluded.last_at""", [kind, key, at, at, WINDOW])
        store.record(con, who, "password", "login.failed", who, details)
        after = locked_for(con, name, addr, at)
        if after > 0:
            store.record(con, who, "password", "login.lockout", who, {**details, "seconds": round(after)})
    return Attempt(None)
