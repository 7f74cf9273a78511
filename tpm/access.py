"""Who may do what: login modes, roles, built-in users, and the one door every write goes through.

Roles, each including the one before:

- ``viewer``  — browse, filter, download;
- ``analyst`` — + upload and re-map surveys, rename datasets, edit the inventory, targets and measures;
- ``admin``   — + delete datasets, manage users and which studies a user may see, read the audit trail.

A non-admin user can be limited to some studies (:func:`visible_studies`); the dashboard then
never offers, nor opens from a link, any other study.

Login modes (:func:`auth_mode`): ``off`` — the local single-user default (everyone is the local
admin; the server binds to 127.0.0.1 only); ``password`` — the built-in users table (scrypt hashes,
managed with ``python -m tpm users …``); ``oidc`` — Streamlit's ``st.login`` with an identity provider,
roles by e-mail address or domain.

Every write — from a page or the CLI — goes through :func:`perform`: it checks the role *here*, on
the server, whatever the page showed, and the study limit (every study the write touches,
:data:`TOUCHES`, must be one the user may see), and writes one line of the audit trail.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import inspect
import os
import secrets as _secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from tpm import store, studies
from tpm.roles import ROLES

MODES = ("off", "password", "oidc")


class Denied(PermissionError):
    """The actor's role does not allow this action."""


class OutOfScope(Denied):
    """The action would touch (or create) a study outside the studies the actor is limited to."""


class UserError(ValueError):
    """A bad user name, role or password (a message for the person)."""


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    via: str  # off (local) | password | oidc | cli

    def may(self, role: str) -> bool:
        return self.role in ROLES and ROLES.index(self.role) >= ROLES.index(role)


LOCAL = Actor("local", "admin", "off")


def cli_actor() -> Actor:
    """The CLI works on the database file directly, so it is trusted as admin; the audit trail keeps the OS user."""
    import getpass

    try:
        name = getpass.getuser()
    except Exception:  # no user name in the environment (some containers)
        name = f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return Actor(name, "admin", "cli")


# --- which mode


def auth_mode(env: dict | None = None, secrets: dict | None = None) -> str:
    """``$TPM_AUTH`` if set, else ``[tpm] auth`` in secrets.toml, else ``oidc`` when an ``[auth]``
    section is configured, else ``off`` (local)."""
    env = os.environ if env is None else env
    secrets = secrets or {}
    wanted = (env.get("TPM_AUTH") or (secrets.get("tpm") or {}).get("auth") or "").strip().lower()
    if not wanted:
        wanted = "oidc" if secrets.get("auth") else "off"
    if wanted not in MODES:
        raise UserError(f"TPM_AUTH / [tpm] auth must be one of {', '.join(MODES)}, not '{wanted}'")
    return wanted


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def open_without_login(address: str | None, env: dict | None = None) -> bool:
    """Local mode on an address other computers can reach, without ``TPM_I_KNOW_ITS_OPEN=1``."""
    env = os.environ if env is None else env
    return (address or "") not in LOOPBACK and env.get("TPM_I_KNOW_ITS_OPEN") != "1"


def role_for_email(email: str | None, rules: dict[str, str]) -> str | None:
    """The role of an OIDC user: the exact address, else ``@domain``, else ``*``; None = no access."""
    if not email or "@" not in email:
        return None
    email = email.strip().lower()
    rules = {k.strip().lower(): v for k, v in (rules or {}).items()}
    for key in (email, "@" + email.rsplit("@", 1)[1], "*"):
        if key in rules:
            return rules[key] if rules[key] in ROLES else None
    return None


# --- passwords (hashlib.scrypt: in the standard library, memory-hard, the OWASP-listed choice besides Argon2/bcrypt)
#
# Cost N = 2^17, r = 8, p = 1 (OWASP Password Storage Cheat Sheet): 128·r·N = 128 MiB and ~0.3–0.5 s per hash.
# Hashes made with a smaller cost (2^14 before issue #27) still verify and are re-hashed at the next login.

_N, _R, _P = 2**17, 8, 1
#: NIST SP 800-63B rev. 4: at least 15 characters where the password is the only factor
MIN_PASSWORD = 15


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    # OpenSSL refuses more than 32 MiB unless told: it needs 128·r·(N + p + 2) bytes (plus a margin)
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=dklen,
                          maxmem=128 * r * (n + p + 2) + 2**20)


def hash_password(password: str) -> str:
    salt = _secrets.token_bytes(16)
    digest = _scrypt(password, salt, _N, _R, _P, 32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        assert kind == "scrypt"
        got = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p), len(digest) // 2)
    except (ValueError, AssertionError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def needs_rehash(stored: str) -> bool:
    """A hash made with a smaller cost than today's (re-hashed at the next successful login)."""
    try:
        _, n, r, p, *_ = stored.split("$")
        return (int(n), int(r), int(p)) != (_N, _R, _P)
    except ValueError:
        return True


_DUMMY: list[str] = []  # a hash compared against when the user does not exist (same time); made on first login


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password(_secrets.token_hex(8)))
    return _DUMMY[0]


def check_name(name: str) -> str:
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name or len(name) > 64 or any(unicodedata.category(ch).startswith(("C", "Z")) and ch != " " for ch in name):
        raise UserError("a user name needs 1–64 visible characters")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not '{role}'")
    return role


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def login(con, name: str, password: str) -> Actor | None:
    """The user, if the name and password match; None otherwise (which of the two is not said).

    Only the check: the lockout, the audit lines and the session are :func:`tpm.logins.attempt`'s.
    An old-cost hash is replaced by one of today's cost (:func:`needs_rehash`)."""
    row = con.execute("SELECT name, role, password_hash FROM users WHERE name = ?", [(name or "").strip()]).fetchone()
    ok = verify_password(password or "", row[2] if row else _dummy_hash())
    if not (row and ok):
        return None
    if needs_rehash(row[2]):
        con.execute("UPDATE users SET password_hash = ? WHERE name = ?", [hash_password(password), row[0]])
    return Actor(row[0], row[1], "password")


def list_users(con):
    return con.execute("SELECT name, role, created_at FROM users ORDER BY name").df()


# --- the one door for writes


def _add_user(con, name: str, role: str, password: str) -> None:
    name, role, password = check_name(name), check_role(role), check_password(password)
    if con.execute("SELECT count(*) FROM users WHERE name = ?", [name]).fetchone()[0]:
        raise UserError(f"user '{name}' exists already")
    con.execute("INSERT INTO users VALUES (?, ?, ?, ?)",
                [name, role, hash_password(password), datetime.now(UTC).replace(tzinfo=None)])


def _existing(con, name: str) -> str:
    if not con.execute("SELECT count(*) FROM users WHERE name = ?", [name]).fetchone()[0]:
        raise UserError(f"no user '{name}'")
    return name


def _end_sessions(con, name: str) -> None:
    """A removed user or a new password ends the user's logins in every browser (tpm.logins)."""
    con.execute("DELETE FROM web_sessions WHERE user_name = ?", [name])


def _remove_user(con, name: str) -> None:
    con.execute("DELETE FROM users WHERE name = ?", [_existing(con, name)])
    _end_sessions(con, name)


def _set_role(con, name: str, role: str) -> None:
    con.execute("UPDATE users SET role = ? WHERE name = ?", [check_role(role), _existing(con, name)])


def _set_password(con, name: str, password: str) -> None:
    con.execute("UPDATE users SET password_hash = ? WHERE name = ?", [hash_password(check_password(password)), _existing(con, name)])
    _end_sessions(con, name)


class _Writes(Mapping):
    """action → (role, function); the function's module is imported when the action is looked up,
    so ``python -m tpm ingest`` does not load the statistics (SciPy) or the Excel inventory."""

    def __init__(self, writes: dict[str, tuple[str, str]]) -> None:
        self._writes = writes

    def __getitem__(self, action: str):
        role, where = self._writes[action]
        module, _, name = where.rpartition(".")
        return role, getattr(importlib.import_module(module), name)

    def __iter__(self):
        return iter(self._writes)

    def __len__(self) -> int:
        return len(self._writes)


#: every write of the product: the role it needs and the function that does it (``fn(con, *args, **kwargs)``)
WRITES = _Writes({
    "dataset.import": ("analyst", "tpm.followup.cases.save_import"),  # the store's, opening the alert rules' cases
    "dataset.rename": ("analyst", "tpm.store.rename_dataset"),
    "dataset.remap": ("analyst", "tpm.remap.remap"),
    "dataset.delete": ("admin", "tpm.store.delete_dataset"),
    "dataset.move": ("analyst", "tpm.studies.move_dataset"),
    "dataset.weights": ("analyst", "tpm.weights.rake_dataset"),
    "inventory.save": ("analyst", "tpm.inventory.save"),
    "inventory.phases": ("analyst", "tpm.inventory.set_phases"),
    "inventory.import": ("analyst", "tpm.inventory.from_excel"),
    "touchpoint.rename": ("analyst", "tpm.inventory.rename"),
    "touchpoint.merge": ("analyst", "tpm.inventory.merge"),
    "action.create": ("analyst", "tpm.actions.create"),
    "action.update": ("analyst", "tpm.actions.update"),
    "action.delete": ("analyst", "tpm.actions.delete"),
    "study.rename": ("analyst", "tpm.studies.rename"),
    "study.merge": ("analyst", "tpm.studies.merge"),
    "study.delete": ("admin", "tpm.studies.delete"),
    "user.add": ("admin", "tpm.access._add_user"),
    "user.remove": ("admin", "tpm.access._remove_user"),
    "user.set_role": ("admin", "tpm.access._set_role"),
    "user.set_password": ("admin", "tpm.access._set_password"),
    "user.studies": ("admin", "tpm.studies.set_scope"),
    "template.delete": ("analyst", "tpm.store.discard_template"),
    "theme.add": ("analyst", "tpm.comments.themes.add_theme"),
    "theme.update": ("analyst", "tpm.comments.themes.update_theme"),
    "theme.remove": ("analyst", "tpm.comments.themes.remove_theme"),
    "theme.recode": ("analyst", "tpm.comments.themes.recode"),
    "theme.override": ("analyst", "tpm.comments.themes.override"),
    "theme.copy": ("analyst", "tpm.comments.themes.copy_themes"),
    "alert.add": ("analyst", "tpm.followup.cases.add_rule"),
    "alert.remove": ("analyst", "tpm.followup.cases.remove_rule"),
    "alert.run": ("analyst", "tpm.followup.cases.run_rules"),
    "case.status": ("analyst", "tpm.followup.cases.set_status"),
    "case.assign": ("analyst", "tpm.followup.cases.assign"),
    "case.close": ("analyst", "tpm.followup.cases.close"),
    "case.note": ("analyst", "tpm.followup.cases.add_note"),
})

#: the study a write would create (an import or a move into a study named but not stored yet)
NEW_STUDY = "a new study"


def _study_given(con, key) -> set:
    """The study a write that *needs* an existing one means (:func:`tpm.studies.resolve`: an id or a
    name; None = the only study). Unknown or ambiguous: nothing — the write itself refuses it."""
    try:
        return {studies.resolve(con, key)}
    except studies.StudyError:
        return set()


def _study_or_new(con, key) -> set:
    """The study a write that *creates* a missing one goes to (:func:`tpm.studies.ensure`): an id as
    it is, a name → its study, or :data:`NEW_STUDY` when no study is called so."""
    if isinstance(key, int):
        return {key}
    found = studies.by_name(con, " ".join(str(key or "").split()))
    return {NEW_STUDY if found is None else found}


def _where(con, sql: str, params: list) -> set:
    return {int(r[0]) for r in con.execute(sql, params).fetchall() if r[0] is not None}


def _of_dataset(con, dataset_id) -> set:
    study = studies.of_dataset(con, dataset_id)
    return set() if study is None else {study}


def _of_datasets_named(con, key) -> set:
    """The studies of every dataset with this id or name (as :func:`tpm.weights.rake_dataset` finds it)."""
    return _where(con, "SELECT study_id FROM datasets WHERE CAST(id AS VARCHAR) = ? OR name = ?", [str(key), str(key)])


def _of_import(con, a) -> set:
    """An import goes into ``study`` (a name not stored yet: a new study), or — none given — the
    proposed one (:func:`tpm.studies.propose_for`, perhaps new); a file stored already answers with
    its dataset in the study it is in, so that study counts as touched, too (its name is not told)."""
    duplicate = store.find_by_hash(con, a["result"].sha256)
    if duplicate:
        return _of_dataset(con, duplicate[0])
    if a["study"] is None:
        proposal = studies.propose_for(con, a["result"])
        return {NEW_STUDY if proposal.study_id is None else proposal.study_id}
    return _study_or_new(con, a["study"])


def _of_cases(con, ids) -> set:
    """The studies of the cases with these ids (one id or several): the rule's and the response's (its dataset
    may have moved to another study since the case opened)."""
    ids = [ids] if isinstance(ids, int | str) else list(ids)
    return _where(con, """SELECT unnest([c.study_id, d.study_id]) FROM cases c LEFT JOIN datasets d ON d.id = c.dataset_id
                          WHERE CAST(c.id AS VARCHAR) IN (SELECT unnest(?::VARCHAR[]))""", [[str(i) for i in ids]])


def _none(con, a) -> set:
    """User management: admins only, and admins are never limited to studies."""
    return set()


#: every write's studies: action → ``fn(con, arguments)`` (the write function's arguments by name,
#: defaults filled in) → the ids of the studies it changes, :data:`NEW_STUDY` for one it would create.
#: :func:`perform` refuses a write touching any study outside the actor's limit — so no write
#: exists without a rule here (``tests/test_scope.py`` checks that every key of WRITES has one).
TOUCHES = {
    "dataset.import": _of_import,
    "dataset.rename": lambda con, a: _of_dataset(con, a["dataset_id"]),
    "dataset.remap": lambda con, a: _of_dataset(con, a["dataset_id"]),
    "dataset.delete": lambda con, a: _of_dataset(con, a["dataset_id"]),
    "dataset.move": lambda con, a: _of_dataset(con, a["dataset_id"]) | _study_or_new(con, a["study"]),
    "dataset.weights": lambda con, a: _of_datasets_named(con, a["dataset"]),
    "inventory.save": lambda con, a: _study_given(con, a["study"]),
    "inventory.phases": lambda con, a: _study_given(con, a["study"]),
    "inventory.import": lambda con, a: _study_given(con, a["study"]),
    "touchpoint.rename": lambda con, a: _study_given(con, a["study"]),
    "touchpoint.merge": lambda con, a: _study_given(con, a["study"]),
    "action.create": lambda con, a: _study_given(con, a["study"]),
    "action.update": lambda con, a: _where(con, "SELECT study_id FROM actions WHERE id = ?", [int(a["action_id"])]),
    "action.delete": lambda con, a: _where(con, "SELECT study_id FROM actions WHERE id = ?", [int(a["action_id"])]),
    "study.rename": lambda con, a: {a["study_id"]},
    "study.merge": lambda con, a: {a["source"], a["target"]},  # both: merging widens what viewers of each see
    "study.delete": lambda con, a: {a["study_id"]},
    "template.delete": lambda con, a: _where(con, "SELECT study_id FROM mapping_templates WHERE signature = ?",
                                             [store.header_signature(list(a["headers"]))]),
    "theme.add": lambda con, a: _study_given(con, a["study"]),
    "theme.update": lambda con, a: _study_given(con, a["study"]),
    "theme.remove": lambda con, a: _study_given(con, a["study"]),
    "theme.recode": lambda con, a: _study_given(con, a["study"]),
    "theme.override": lambda con, a: _of_dataset(con, a["dataset_id"]),
    # the source too: its code frame is read into the target
    "theme.copy": lambda con, a: _study_given(con, a["from_study"]) | _study_given(con, a["to_study"]),
    "alert.add": lambda con, a: _study_given(con, a["study"]),
    "alert.remove": lambda con, a: _study_given(con, a["study"]),
    "alert.run": lambda con, a: _study_given(con, a["study"]),
    "case.status": lambda con, a: _of_cases(con, a["case_ids"]),
    "case.assign": lambda con, a: _of_cases(con, a["case_ids"]),
    "case.close": lambda con, a: _of_cases(con, a["case_id"]),
    "case.note": lambda con, a: _of_cases(con, a["case_id"]),
    "user.add": _none,
    "user.remove": _none,
    "user.set_role": _none,
    "user.set_password": _none,
    "user.studies": _none,
}

#: writes that record their audit line inside their own transaction (all of it, or nothing)
AUDITED_INSIDE = {"dataset.import", "dataset.remap"}

#: what a role may see beyond browsing
READS = {"audit": "admin", "users": "admin", "upload": "analyst", "edit": "analyst", "delete": "admin",
         "respondents": "analyst"}  # respondent-level rows (report data sheet) are not for viewers


def visible_studies(con, actor: Actor | None) -> set[int] | None:
    """The study ids ``actor`` may see, or None for every study. Admins see every study; anyone
    else may be limited by an admin (:func:`tpm.studies.set_scope`); nobody logged in sees none."""
    if actor is None:
        return set()
    if actor.may("admin"):
        return None
    scope = studies.scope_of(con, actor.name)
    return None if scope is None else set(scope)


def require(actor: Actor | None, role: str) -> None:
    if actor is None or not actor.may(role):
        who = f"'{actor.name}' ({actor.role})" if actor else "nobody logged in"
        raise Denied(f"{who} may not do this; it needs the role {role}")


def allowed(actor: Actor | None, what: str) -> bool:
    return actor is not None and actor.may(READS[what])


def require_scope(con, actor: Actor, action: str, fn, args: tuple, kwargs: dict) -> None:
    """Refuse (:class:`OutOfScope`) a write touching a study outside ``actor``'s limit (:data:`TOUCHES`).

    A limited user may not create a study either (an import or a move into a new one): a limit is
    the admin's statement of which data this person works on, and a new study would be seen at once
    by every unlimited user while the limited one could not be given it without an admin — so new
    programmes are an admin's (or an unlimited analyst's) to create; the limited analyst imports the
    next waves of her studies."""
    visible = visible_studies(con, actor)
    if visible is None:
        return
    bound = inspect.signature(fn).bind(con, *args, **kwargs)
    bound.apply_defaults()
    outside = TOUCHES[action](con, bound.arguments) - visible
    if outside:
        what = "create a study" if NEW_STUDY in outside else "change a study outside the studies they are limited to"
        raise OutOfScope(f"'{actor.name}' may not {what} ({action})")


def perform(con, actor: Actor, action: str, *args, target=None, details: dict | None = None, **kwargs):
    """Check the role and the study limit (before anything is written), do the write, record who did
    what (imports record inside their own transaction)."""
    role, fn = WRITES[action]
    require(actor, role)
    if action == "dataset.import":
        kwargs.setdefault("uploaded_by", actor.name)
    require_scope(con, actor, action, fn, args, kwargs)
    if action in AUDITED_INSIDE:
        return fn(con, *args, audit=(actor.name, actor.via), **kwargs)
    result = fn(con, *args, **kwargs)
    store.record(con, actor.name, actor.via, action, None if target is None else str(target), details)
    return result
