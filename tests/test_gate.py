"""The web gate (issue #27): anonymous uploads, downloads, websockets and metrics refused before the body is
read; a login cookie that survives reloads, brings the user to the link they opened and ends on logout; the
lockout. One real server (``streamlit run serve.py``, password mode) for the module; the rest in-process."""

import re
import socket
import time
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
import websockets.sync.client
from conftest import CHEAP_SCRYPT_N, ROOT, streamlit_server
from websockets.exceptions import InvalidStatus

from tpm import access, gate, logins, store

USERS = {"anna": ("analyst", "anna-passwort-123"), "vera": ("viewer", "vera-passwort-123"),
         "lotte": ("viewer", "lotte-passwort-12")}
SESSION_HOURS = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("gate") / "tpm.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(access, "_N", CHEAP_SCRYPT_N)  # the server re-hashes at the real cost on the first login
        con = store.connect(db)
        for name, (role, password) in USERS.items():
            access.perform(con, access.LOCAL, "user.add", name, role, password)
        con.close()
    env = {"TPM_AUTH": "password", "TPM_SEED": "0", "TPM_SESSION_HOURS": str(SESSION_HOURS), "TPM_COOKIE_SECURE": None}
    with streamlit_server(db, "serve.py", env, db.with_suffix(".log"), health=gate.HEALTH_PATH) as (url, port):
        yield {"url": url, "port": port, "db": db}


def log_in(url, name, password, next_path="/", client=None):
    """The login page's form, as a browser fills it in (CSRF token from the page and its cookie)."""
    client = client or httpx.Client(base_url=url)
    page = client.get(gate.LOGIN_PATH, params={"next": next_path})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post(gate.LOGIN_PATH, data={"csrf": csrf, "next": next_path, "name": name, "password": password})


@pytest.fixture(scope="module")
def anna(server):
    """An analyst's login cookie (one login for the module: each costs a scrypt at 2^17)."""
    response = log_in(server["url"], "anna", USERS["anna"][1], "/heatmap?lang=en&seg.Region=Nord&seg.Region=S%C3%BCd")
    return response


def xsrf() -> bytes:
    """A matching XSRF cookie/header pair, which is all Streamlit asks of an upload."""
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    token = generate_xsrf_token_string()
    return f"Cookie: _streamlit_xsrf={token}\r\nX-Xsrftoken: {token}\r\n".encode()


def raw(port: int, request: bytes, timeout: float = 3.0) -> bytes:
    """Send ``request`` and read what comes back within ``timeout`` (the body, if announced, is never sent)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        try:
            return s.recv(4096)
        except TimeoutError:
            return b""


# --- refused without a login


def test_anonymous_upload_refused_before_its_body_is_read(server):
    """A 150 MB PUT with only its headers sent: answered at once, so the server never waited for the body."""
    started = time.monotonic()
    answer = raw(server["port"], b"PUT /_stcore/upload_file/some-session/some-file HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 + xsrf() + b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 157286400\r\n\r\n--b\r\n")
    assert answer.startswith(b"HTTP/1.1 401") and time.monotonic() - started < 2


def test_anonymous_websocket_media_and_metrics_refused(server, anna):
    url = server["url"]
    with pytest.raises(InvalidStatus) as refused:
        websockets.sync.client.connect(url.replace("http", "ws") + "/_stcore/stream", subprotocols=["streamlit"],
                                       origin=url, open_timeout=5)
    assert refused.value.response.status_code == 403
    assert httpx.get(url + "/media/0123456789abcdef.xlsx").status_code == 401
    assert httpx.get(url + "/_stcore/metrics").status_code == 403
    assert httpx.get(url + "/_stcore/metrics", cookies=anna.cookies).status_code == 403  # logged in, too
    assert httpx.get(url + "/_stcore/health").status_code == 200 and httpx.get(url + gate.HEALTH_PATH).text == "ok"


def test_a_page_sends_to_the_login_with_the_link_and_every_response_has_the_headers(server):
    response = httpx.get(server["url"] + "/heatmap?lang=en&seg.Region=Nord")
    assert response.status_code == 302
    assert response.headers["location"] == f"{gate.LOGIN_PATH}?next={quote('/heatmap?lang=en&seg.Region=Nord', safe='')}&lang=en"
    for got in (response, httpx.get(server["url"] + gate.LOGIN_PATH)):
        assert got.headers["x-frame-options"] == "DENY" and got.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in got.headers["content-security-policy"]
        assert got.headers["referrer-policy"] == "same-origin"
    page = httpx.get(server["url"] + gate.LOGIN_PATH, params={"lang": "en"}).text
    assert "User name" in page and 'name="csrf"' in page


# --- the login


def test_login_cookie_flags_and_the_link_opened_before_the_login(server, anna):
    assert anna.status_code == 303
    assert anna.headers["location"] == "/heatmap?lang=en&seg.Region=Nord&seg.Region=S%C3%BCd"  # page and filters
    cookie = next(c for c in anna.headers.get_list("set-cookie") if c.startswith(gate.COOKIE + "="))
    flags = {f.strip().split("=")[0].lower(): f.strip() for f in cookie.split(";")[1:]}
    assert "httponly" in flags and flags["samesite"].lower() == "samesite=strict" and flags["path"] == "Path=/"
    assert flags["max-age"] == f"Max-Age={SESSION_HOURS * 3600}"
    assert "secure" not in flags  # plain http on 127.0.0.1 (gate.secure_cookie: Secure everywhere else)
    with httpx.Client(base_url=server["url"], cookies=anna.cookies) as client:
        assert client.get("/heatmap").status_code == 200
        assert client.get("/_stcore/host-config").status_code == 200
        with websockets.sync.client.connect(server["url"].replace("http", "ws") + "/_stcore/stream",
                                            subprotocols=["streamlit"], origin=server["url"], open_timeout=5,
                                            additional_headers={"Cookie": f"{gate.COOKIE}={anna.cookies[gate.COOKIE]}"}):
            pass  # accepted


def test_upload_needs_an_uploading_role_and_a_streamlit_session_of_this_login(server, anna):
    viewer = log_in(server["url"], "vera", USERS["vera"][1])
    for cookies in (viewer.cookies, anna.cookies):  # a viewer; an analyst, with a session id not bound to her login
        answer = raw(server["port"], b"PUT /_stcore/upload_file/someone-elses-session/f HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     + xsrf().replace(b"Cookie: ", f"Cookie: {gate.COOKIE}={cookies[gate.COOKIE]}; ".encode())
                     + b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 157286400\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 403")


def test_open_redirects_are_refused(server):
    response = log_in(server["url"], "vera", USERS["vera"][1], "//evil.example/x")
    assert response.status_code == 303 and response.headers["location"] == "/"
    for bad in ("https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example", "javascript:alert(1)",
                "evil.example", "/_tpm/logout", ""):
        assert gate.safe_next(bad) == "/", bad
    assert gate.safe_next("/segments?study=2&seg.Region=Nord") == "/segments?study=2&seg.Region=Nord"


def test_logout_ends_the_login_and_the_old_cookie_is_refused(server):
    login = log_in(server["url"], "vera", USERS["vera"][1])
    old = {gate.COOKIE: login.cookies[gate.COOKIE]}
    assert httpx.get(server["url"] + "/heatmap", cookies=old).status_code == 200
    out = httpx.get(server["url"] + gate.LOGOUT_PATH, cookies=old)
    assert out.status_code == 303 and f'{gate.COOKIE}=""' in out.headers["set-cookie"]
    assert httpx.get(server["url"] + "/heatmap", cookies=old).status_code == 302  # replayed: to the login
    assert httpx.get(server["url"] + "/media/x.xlsx", cookies=old).status_code == 401


def test_lockout_refuses_the_right_password_and_is_audited(server):
    for _ in range(logins.USER_FREE):
        assert log_in(server["url"], "lotte", "falsch-falsch-falsch").status_code == 401
    locked = log_in(server["url"], "lotte", USERS["lotte"][1])
    assert locked.status_code == 429 and gate.COOKIE not in locked.cookies
    con = store.open_retrying(server["db"], wait=10, read_only=True)
    try:
        actions = con.execute("SELECT action FROM audit WHERE actor = 'lotte' ORDER BY id").fetchall()
    finally:
        con.close()
    assert [a for (a,) in actions] == ["login.failed"] * logins.USER_FREE + ["login.lockout", "login.locked"]


# --- in-process: the cookie, the lockout, the passwords


def test_cookie_signature_tamper_and_expiry():
    key, token, at = b"k" * 32, "tok_en-123", logins.now()
    value = logins.sign(token, at + timedelta(hours=1), key)
    assert logins.unsign(value, key, at) == token
    t, expires, mac = value.split(".")
    for forged in (f"x{t}.{expires}.{mac}", f"{t}.{int(expires) + 3600}.{mac}", f"{t}.{expires}.{mac[:-2]}AA", t, "", None):
        assert logins.unsign(forged, key, at) is None
    assert logins.unsign(value, b"another key", at) is None
    assert logins.unsign(value, key, at + timedelta(hours=1, seconds=1)) is None  # expired


def test_secure_flag_and_session_hours():
    assert not gate.secure_cookie("http", "127.0.0.1:8501", {}) and not gate.secure_cookie("http", "localhost", {})
    assert gate.secure_cookie("http", "tpm.firma.de", {}) and gate.secure_cookie("https", "localhost", {})
    assert gate.secure_cookie("http", "localhost", {"TPM_COOKIE_SECURE": "1"})
    assert logins.session_hours({}) == 12 and logins.session_hours({"TPM_SESSION_HOURS": "0.5"}) == 0.5
    with pytest.raises(access.UserError, match="TPM_SESSION_HOURS"):
        logins.session_hours({"TPM_SESSION_HOURS": "zwölf"})


def test_lockout_per_name_and_per_address(con):
    access.perform(con, access.LOCAL, "user.add", "otto", "viewer", "otto-passwort-123")
    at = logins.now()
    for i in range(logins.USER_FREE):
        assert logins.attempt(con, "otto", "falsch", "10.0.0.1", at + timedelta(seconds=i)).user is None
    later = at + timedelta(seconds=logins.USER_FREE)
    assert logins.attempt(con, "otto", "otto-passwort-123", "10.0.0.2", later).locked_seconds > 0  # any address
    after = later + logins.BASE_LOCK
    assert logins.attempt(con, "otto", "otto-passwort-123", "10.0.0.2", after).user.name == "otto"  # lock over
    for i in range(logins.ADDR_FREE):  # many names from one address
        logins.attempt(con, f"name{i}", "x", "10.0.0.9", after + timedelta(seconds=i))
    assert logins.attempt(con, "otto", "otto-passwort-123", "10.0.0.9", after + timedelta(seconds=30)).user is None
    assert logins.lock_time(logins.USER_FREE + 1, logins.USER_FREE) == 2 * logins.BASE_LOCK
    assert logins.lock_time(99, logins.USER_FREE) == logins.MAX_LOCK


def test_old_hashes_verify_and_are_rehashed_and_a_new_password_ends_the_logins(con, monkeypatch):
    access.perform(con, access.LOCAL, "user.add", "otto", "viewer", "otto-passwort-123")  # at the cheap cost
    token, _ = logins.start(con, access.Actor("otto", "viewer", "password"), 1)
    monkeypatch.setattr(access, "_N", CHEAP_SCRYPT_N * 2)  # "today's" cost is higher
    assert access.login(con, "otto", "otto-passwort-123").name == "otto"
    stored = con.execute("SELECT password_hash FROM users WHERE name = 'otto'").fetchone()[0]
    assert stored.split("$")[1] == str(CHEAP_SCRYPT_N * 2) and access.verify_password("otto-passwort-123", stored)
    assert logins.lookup(con, token).name == "otto"
    access.perform(con, access.LOCAL, "user.set_role", "otto", "analyst")
    assert logins.lookup(con, token).role == "analyst"  # the role as it is now
    access.perform(con, access.LOCAL, "user.set_password", "otto", "ein-ganz-neues-passwort")
    assert logins.lookup(con, token) is None
    with pytest.raises(access.UserError, match="at least 15"):
        access.check_password("vierzehn-zeich")


def test_the_real_cost_is_owasps(monkeypatch):
    """The module's cost (read from its source: the tests run with a cheap one) is N = 2^17, r = 8, p = 1, and
    it needs OpenSSL's memory limit raised (128 MiB): the one hash at the real cost in the tests (~0.8 s)."""
    import ast

    tree = ast.parse((ROOT / "tpm" / "access.py").read_text(encoding="utf-8"))
    cost = next(eval(compile(ast.Expression(node.value), "access.py", "eval")) for node in tree.body
                if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "(_N, _R, _P)")
    assert cost == (2**17, 8, 1)
    monkeypatch.setattr(access, "_N", cost[0])
    stored = access.hash_password("ein-langes-passwort")
    assert stored.startswith("scrypt$131072$8$1$") and not access.needs_rehash(stored)


def test_allowed_hosts_from_the_environment(monkeypatch):
    import asyncio

    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    monkeypatch.setenv("TPM_ALLOWED_HOSTS", "tpm.firma.de, localhost")
    monkeypatch.setenv("TPM_AUTH", "off")
    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("ok"))], middleware=gate.middleware())

    async def get(host):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client:
            return await client.get("/", headers={"host": host})

    assert asyncio.run(get("evil.example")).status_code == 400
    answer = asyncio.run(get("tpm.firma.de"))
    assert answer.text == "ok" and answer.headers["x-frame-options"] == "DENY"


def _through_gate(app, scope) -> tuple[list, list]:
    """Call the gate with one request; (scopes the app behind it saw, messages sent back)."""
    import asyncio

    seen, sent = [], []

    async def inner(scope, receive, send):
        seen.append(scope)

    async def send(message):
        sent.append(message)

    asyncio.run(gate.Gate(inner, **app)(scope, None, send))
    return seen, sent


def test_the_websocket_carries_the_login_and_never_the_browsers_header(con, db_path, monkeypatch):
    """Streamlit binds a session to this header (trustedUserHeaders): only the same login resumes it."""
    monkeypatch.setenv("TPM_DB", str(db_path))
    access.perform(con, access.LOCAL, "user.add", "otto", "viewer", "otto-passwort-123")
    token, expires = logins.start(con, access.Actor("otto", "viewer", "password"), 1)
    cookie = f"{gate.COOKIE}={gate.cookie_value(con, token, expires)}".encode()
    scope = {"type": "websocket", "path": "/_stcore/stream", "query_string": b"",
             "headers": [(b"cookie", cookie), (b"x-tpm-login", b"forged")]}
    seen, _ = _through_gate({"mode": "password"}, scope)
    assert [v for k, v in seen[0]["headers"] if k == b"x-tpm-login"] == [logins.fingerprint(token).encode()]
    seen, _ = _through_gate({"mode": "off"}, scope)
    assert [v for k, v in seen[0]["headers"] if k == b"x-tpm-login"] == []


def test_oidc_downloads_need_streamlits_login_cookie():
    check = {"mode": "oidc", "oidc_user": lambda cookies: cookies.get("_streamlit_user") == "signed"}
    media = {"type": "http", "method": "GET", "path": "/media/abc.xlsx", "query_string": b"", "headers": []}
    seen, sent = _through_gate(check, media)
    assert not seen and sent[0]["status"] == 401
    seen, _ = _through_gate(check, dict(media, headers=[(b"cookie", b"_streamlit_user=signed")]))
    assert len(seen) == 1
