"""The web gate in front of Streamlit (ASGI middleware and routes, mounted by ``serve.py``; no Streamlit here).

Every request passes :class:`Gate` before Streamlit sees it:

- every HTTP response gets anti-framing and no-sniff headers (:data:`HEADERS`); ``/_stcore/metrics`` is refused;
- password mode: without a valid login cookie (:mod:`tpm.logins`) a page request (GET/HEAD) is sent to the
  login page with ``next=`` (the path and query it asked for), anything under ``/_stcore/`` or ``/media/``
  — the websocket, uploads, downloads — is refused with 401 *before the body is read*; an upload also needs
  the analyst role and an upload URL whose Streamlit session id belongs to this login (:func:`bind`);
  the websocket carries the login's fingerprint in :data:`LOGIN_HEADER` (Streamlit's ``trustedUserHeaders``,
  config.toml), so a Streamlit session can only be resumed by the login that made it;
- OIDC mode: the same refusals with Streamlit's own login cookie, if ``serve.py`` passes a check for it.

Routes: ``/_tpm/login`` (GET: the form, POST: the check), ``/_tpm/logout``, ``/_tpm/health`` (503 when
the database cannot be read). The login page is plain HTML made here, every value escaped, with a CSRF
token (double-submit cookie) and the lockout of :func:`tpm.logins.attempt`.

Logins are checked against the database and remembered for :data:`CACHE_SECONDS` per process (a user
removed with the CLI is locked out within that time; logout in the dashboard forgets at once).
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
import secrets
import threading
import time
import tomllib
from collections.abc import Callable
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from tpm import access, logins, store
from tpm.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

log = logging.getLogger(__name__)

COOKIE = "tpm_session"
CSRF_COOKIE = "tpm_csrf"
LOGIN_PATH, LOGOUT_PATH, HEALTH_PATH = "/_tpm/login", "/_tpm/logout", "/_tpm/health"
PUBLIC = {LOGIN_PATH, LOGOUT_PATH, HEALTH_PATH, "/_stcore/health"}
#: refused (401) without a login instead of being sent to the login page: the websocket, uploads, downloads
GUARDED = ("/_stcore/", "/media/")
STREAMLIT_METRICS = "/_stcore/metrics"
UPLOAD = re.compile(r"^/_stcore/upload_file/([^/]+)/")
#: the header Streamlit copies into the session's user info (``server.trustedUserHeaders`` in config.toml)
LOGIN_HEADER = b"x-tpm-login"
HEADERS = {
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
LOGIN_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
CACHE_SECONDS = 5.0
MAX_FORM = 8192  # bytes of a login form
LOOPBACK = set(access.LOOPBACK)

# --- the database, from the server's threads


_migrated: set[str] = set()


@contextmanager
def _database():
    """A connection for one check (closed at once, so that a CLI import can take the file)."""
    path = str(store.db_path())
    con = store.open_retrying(path, wait=10, migrate_schema=path not in _migrated, yield_to_writer=True)
    _migrated.add(path)
    try:
        yield con
    finally:
        con.close()


_keys: dict[str, bytes] = {}


def _key(con) -> bytes:
    path = str(store.db_path())
    if path not in _keys:
        _keys[path] = logins.server_key(con)
    return _keys[path]


def user_of_cookie(con, value: str | None) -> tuple[str | None, access.Actor | None]:
    """(token, user) of a login cookie; (None, None) when it is missing, forged, expired or logged out."""
    token = logins.unsign(value, _key(con))
    user = logins.lookup(con, token)
    return (token, user) if user else (None, None)


def cookie_value(con, token: str, expires) -> str:
    return logins.sign(token, expires, _key(con))


_cache: dict[str, tuple[str | None, access.Actor | None, float]] = {}
_cache_lock = threading.Lock()


def _checked(value: str | None) -> tuple[str | None, access.Actor | None]:
    """:func:`user_of_cookie`, remembered for CACHE_SECONDS (a page load asks ~20 times)."""
    if not value:
        return None, None
    hit = _cache.get(value)
    if hit and time.monotonic() - hit[2] < CACHE_SECONDS:
        return hit[0], hit[1]
    with _database() as con:
        token, user = user_of_cookie(con, value)
    with _cache_lock:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[value] = (token, user, time.monotonic())
    return token, user


def forget(token: str | None) -> None:
    """After a logout: the cached check and the Streamlit sessions bound to this login go."""
    if not token:
        return
    mark = logins.fingerprint(token)
    with _cache_lock:
        for value in [v for v, (tok, _, _) in _cache.items() if tok == token]:
            del _cache[value]
    with _bound_lock:
        for sid in [s for s, f in _bound.items() if f == mark]:
            del _bound[sid]


# --- Streamlit sessions bound to logins (the app script registers its session id on every run)

_bound: dict[str, str] = {}
_bound_lock = threading.Lock()


def bind(session_id: str, token: str) -> None:
    with _bound_lock:
        _bound[session_id] = logins.fingerprint(token)


def bound_to(session_id: str, token: str) -> bool:
    return _bound.get(session_id) == logins.fingerprint(token)


# --- small helpers


def read_secrets(cwd: Path | None = None) -> dict:
    """``.streamlit/secrets.toml`` (home, then the working directory) — what Streamlit reads, for the login mode."""
    merged: dict = {}
    for path in (Path.home() / ".streamlit" / "secrets.toml", (cwd or Path.cwd()) / ".streamlit" / "secrets.toml"):
        with suppress(OSError, tomllib.TOMLDecodeError):
            merged.update(tomllib.loads(path.read_text(encoding="utf-8")))
    return merged


def safe_next(value: str | None) -> str:
    """A local path (with its query) to go to after the login; anything else — another host, a scheme,
    ``//host``, backslashes, control characters, the gate's own pages — becomes ``/``."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value \
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith("/_tpm/"):
        return "/"
    return value


def secure_cookie(scheme: str, host: str | None, env: dict | None = None) -> bool:
    """``Secure`` unless plain http on this computer (``make run``-style tests); ``$TPM_COOKIE_SECURE`` = 1/0 decides."""
    env = os.environ if env is None else env
    if env.get("TPM_COOKIE_SECURE") in ("0", "1"):
        return env["TPM_COOKIE_SECURE"] == "1"
    name = urlsplit("//" + (host or "")).hostname or ""
    return not (scheme == "http" and name in LOOPBACK)


def language_of(request: Request) -> str:
    """``?lang=``, else the first of the browser's languages TPM has, else German."""
    lang = request.query_params.get("lang") or parse_qs(urlsplit(request.query_params.get("next") or "").query).get("lang", [""])[0]
    if lang in LANGUAGES:
        return lang
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


def _client(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "?"


def _login_url(next_path: str, lang: str | None = None) -> str:
    return f"{LOGIN_PATH}?next={quote(next_path, safe='')}" + (f"&lang={lang}" if lang in LANGUAGES else "")


# --- the middleware


#: the modes of the gates of this process: empty when app.py was started without serve.py (no login page then)
SERVING: list[str] = []


async def _refuse(scope, send, status: int, text: str) -> None:
    if scope["type"] == "websocket":  # closed before it is accepted: the server answers 403
        await send({"type": "websocket.close", "code": 1008})
        return
    await PlainTextResponse(text, status_code=status)(scope, None, send)


class Gate:
    """Pure ASGI middleware (see the module docstring); never reads a request body itself."""

    def __init__(self, app, mode: str | None = None, oidc_user: Callable[[dict], bool] | None = None) -> None:
        self.app = app
        self.mode = mode or access.auth_mode(secrets=read_secrets())
        self.oidc_user = oidc_user
        SERVING.append(self.mode)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        scope = dict(scope, headers=[(k, v) for k, v in scope["headers"] if k.lower() != LOGIN_HEADER])
        if scope["type"] == "http":
            send = _with_headers(send)
        path = scope["path"]
        if path == STREAMLIT_METRICS or path.startswith(STREAMLIT_METRICS + "/"):
            return await _refuse(scope, send, 403, "Forbidden")
        if path in PUBLIC or self.mode == "off":
            return await self.app(scope, receive, send)
        conn = HTTPConnection(scope)
        if self.mode == "oidc":
            if self.oidc_user and path.startswith(GUARDED) and not self.oidc_user(conn.cookies):
                return await _refuse(scope, send, 401, "Unauthorized")
            return await self.app(scope, receive, send)
        token, user = await asyncio.to_thread(_checked, conn.cookies.get(COOKIE))
        if user is None:
            if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and not path.startswith(GUARDED):
                wanted = path + ("?" + scope["query_string"].decode("latin-1") if scope["query_string"] else "")
                lang = conn.query_params.get("lang")
                return await RedirectResponse(_login_url(wanted, lang), status_code=302)(scope, receive, send)
            return await _refuse(scope, send, 401, "Unauthorized")
        upload = UPLOAD.match(path)
        if (upload and scope["method"] in ("PUT", "DELETE")
                and (not access.allowed(user, "upload") or not bound_to(upload.group(1), token))):
            return await _refuse(scope, send, 403, "Forbidden")
        if scope["type"] == "websocket":
            scope["headers"].append((LOGIN_HEADER, logins.fingerprint(token).encode("ascii")))
        await self.app(scope, receive, send)


def _with_headers(send):
    async def sending(message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.decode("latin-1").lower() not in HEADERS]
            headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
            message = dict(message, headers=headers)
        await send(message)
    return sending


# --- the login page


_verifying = asyncio.Semaphore(2)  # scrypt takes 128 MiB and ~0.5 s: at most two at a time


def _page(lang: str, next_path: str, csrf: str, message: str = "", warn: bool = False) -> str:
    e = html.escape
    note = f'<p class="{"warn" if warn else "note"}" role="alert">{e(message)}</p>' if message else ""
    return f"""<!doctype html>
<html lang="{e(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(t("app_title", lang))}</title>
<style>body{{font-family:sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem;color:#222}}
label{{display:block;margin-top:1rem}}input{{width:100%;padding:.5rem;box-sizing:border-box}}
button{{margin-top:1.2rem;padding:.6rem 1.2rem;background:#1f6f8b;color:#fff;border:0;border-radius:4px}}
.warn{{color:#a00}}.note{{color:#555}}</style></head>
<body><h1>{e(t("app_title", lang))}</h1>{note}
<form method="post" action="{LOGIN_PATH}?lang={e(lang)}">
<input type="hidden" name="csrf" value="{e(csrf)}"><input type="hidden" name="next" value="{e(next_path)}">
<label>{e(t("user_name", lang))}<input name="name" autocomplete="username" required autofocus></label>
<label>{e(t("password", lang))}<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">{e(t("login", lang))}</button></form></body></html>"""


def _login_form(request: Request, lang: str, next_path: str, message: str = "", status: int = 200) -> Response:
    # one token per browser until it logs in (a second login page — the favicon's redirect — must not replace it)
    csrf = request.cookies.get(CSRF_COOKIE, "")
    if not re.fullmatch(r"[\w-]{32}", csrf, re.ASCII):
        csrf = secrets.token_urlsafe(24)
    response = HTMLResponse(_page(lang, next_path, csrf, message, warn=status >= 400), status_code=status)
    response.headers["content-security-policy"] = LOGIN_CSP
    response.headers["cache-control"] = "no-store"
    response.set_cookie(CSRF_COOKIE, csrf, path=LOGIN_PATH, httponly=True, samesite="strict",
                        secure=secure_cookie(request.url.scheme, request.headers.get("host")))
    return response


async def login_page(request: Request) -> Response:
    lang, next_path = language_of(request), safe_next(request.query_params.get("next"))
    if request.method == "GET":
        _, user = await asyncio.to_thread(_checked, request.cookies.get(COOKIE))
        if user is not None:
            return RedirectResponse(next_path, status_code=303)
        if request.headers.get("sec-fetch-site") == "cross-site" and request.query_params.get("again") != "1":
            # a link from another site: the SameSite=Strict cookie was held back; one same-site step sends it
            again = html.escape(f"{_login_url(next_path, lang)}&again=1")
            return HTMLResponse(f'<!doctype html><meta http-equiv="refresh" content="0;url={again}">')
        return _login_form(request, lang, next_path)
    if int(request.headers.get("content-length") or 0) > MAX_FORM:
        return PlainTextResponse("Too large", status_code=413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return PlainTextResponse("Too large", status_code=413)
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    next_path = safe_next(form.get("next"))
    if not secrets.compare_digest(form.get("csrf", "").encode(), request.cookies.get(CSRF_COOKIE, "-").encode()):
        return _login_form(request, lang, next_path, t("login_expired", lang), status=403)

    def check():
        with _database() as con:
            if access.list_users(con).empty:
                return None, 503, t("no_users_yet", lang)
            result = logins.attempt(con, form.get("name", ""), form.get("password", ""), _client(request))
            if result.user is None:
                if result.locked_seconds:
                    return None, 429, t("login_locked", lang, minutes=max(1, round(result.locked_seconds / 60)))
                return None, 401, t("login_failed", lang)
            token, expires = logins.start(con, result.user, logins.session_hours())
            return cookie_value(con, token, expires), 303, ""

    async with _verifying:
        value, status, message = await asyncio.to_thread(check)
    if value is None:
        return _login_form(request, lang, next_path, message, status=status)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(COOKIE, value, max_age=int(logins.session_hours() * 3600), path="/", httponly=True,
                        samesite="strict", secure=secure_cookie(request.url.scheme, request.headers.get("host")))
    response.delete_cookie(CSRF_COOKIE, path=LOGIN_PATH)
    return response


async def logout(request: Request) -> Response:
    value = request.cookies.get(COOKIE)

    def end():
        with _database() as con:
            token, _user = user_of_cookie(con, value)
            logins.end(con, token)
            return token

    forget(await asyncio.to_thread(end))
    response = RedirectResponse(_login_url("/", language_of(request)), status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def database_ok(path: str | os.PathLike) -> bool:
    """The database reads end to end (:func:`tpm.store.health`; a file busy with an import is healthy).
    The detail (which names the path) stays in the server's log, not in the public answer."""
    ok, detail = store.health(path)
    if not ok:
        log.warning("health: %s", detail)
    return ok


async def health(request: Request) -> Response:
    ok = await asyncio.to_thread(database_ok, store.db_path())
    response = PlainTextResponse("ok" if ok else "database unavailable", status_code=200 if ok else 503)
    response.headers["cache-control"] = "no-cache"
    return response


def routes() -> list[Route]:
    return [Route(LOGIN_PATH, login_page, methods=["GET", "POST"]), Route(LOGOUT_PATH, logout, methods=["GET"]),
            Route(HEALTH_PATH, health, methods=["GET", "HEAD"])]


def allowed_hosts(env: dict | None = None) -> list[str]:
    """``$TPM_ALLOWED_HOSTS``: the host names the server answers to (comma list; empty: any)."""
    env = os.environ if env is None else env
    return [h.strip() for h in (env.get("TPM_ALLOWED_HOSTS") or "").split(",") if h.strip()]


def middleware(oidc_user: Callable[[dict], bool] | None = None) -> list[Middleware]:
    hosts = allowed_hosts()
    return ([Middleware(TrustedHostMiddleware, allowed_hosts=hosts)] if hosts else []) + [Middleware(Gate, oidc_user=oidc_user)]
