"""End to end in a real browser: Debian's headless Chromium, a real Streamlit server on 127.0.0.1.

Upload an export on the Upload page, import it, open Overview and Heatmap, and check that the
charts rendered and no exception is shown. Screenshots go to test-artifacts/ (kept on failure too).
"""

import os
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest
from conftest import CHEAP_SCRYPT_N, ROOT, streamlit_server, xlsx_bytes
from playwright.sync_api import expect, sync_playwright

from tpm import access, gate, store

CHROMIUM = "/usr/bin/chromium"
ADMIN = ("ada", "ada-passwort-1234")
#: the seeded customer survey, by name in the link (the upload test makes another study the latest import)
CUSTOMER = "study=Kundenbefragung%202026"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


SERVER = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: apt-get install chromium (make test does it as root)"
    db = SERVER["db"] = tmp_path_factory.mktemp("browser") / "tpm.duckdb"
    with pytest.MonkeyPatch.context() as mp:  # hosted as `make serve` does it: behind the login (tpm/gate.py)
        mp.setattr(access, "_N", CHEAP_SCRYPT_N)
        con = store.connect(db)
        access.perform(con, access.LOCAL, "user.add", ADMIN[0], "admin", ADMIN[1])
        con.close()
    with streamlit_server(db, "serve.py", {"TPM_AUTH": "password"}, tmp_path_factory.mktemp("log") / "streamlit.log") as (url, _):
        yield url


def fill_login(pg, name: str, password: str) -> None:
    pg.fill('input[name="name"]', name)
    pg.fill('input[name="password"]', password)
    pg.click('button[type="submit"]')


@pytest.fixture(scope="module")
def browser(server):
    """One Chromium for the module (a launch costs seconds); each test gets its own context (cookies, tabs)."""
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def login_cookie(server, browser):
    """One login for the module's pages (each login costs a scrypt at 2^17 on the server)."""
    context = browser.new_context()
    pg = context.new_page()
    pg.goto(server + gate.LOGIN_PATH)
    fill_login(pg, *ADMIN)
    pg.wait_for_url(server + "/**")
    cookies = [c for c in context.cookies() if c["name"] == gate.COOKIE]
    context.close()
    assert cookies
    return cookies


@pytest.fixture
def page(browser, login_cookie):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies(login_cookie)
    yield context.new_page()
    context.close()


def assert_no_exception(pg):
    assert pg.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in pg.inner_text("body")


def settled(pg):
    """Wait until the page's script run is over: Streamlit marks its root ``stApp`` with
    ``data-test-script-state`` ("initial" before the first run, "running", then "notRunning"). After a
    ``goto`` (a fresh page) this is the end of the page's first full run — a DOM condition, not a sleep."""
    expect(pg.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_be_attached(timeout=30000)


def visit(pg, url: str, heading: str, charts: int = 1):
    """Open ``url``, wait for its heading and its ``charts``-th plotly chart."""
    pg.goto(url)
    expect(pg.get_by_role("heading", name=heading).first).to_be_visible(timeout=30000)
    if charts:
        expect(pg.locator(".js-plotly-plot").nth(charts - 1)).to_be_visible(timeout=30000)


def shot(pg, name: str):
    """Screenshot into test-artifacts/ and check that no exception is shown (once the script run is over)."""
    settled(pg)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert_no_exception(pg)


def test_upload_import_then_overview_and_heatmap(server, page, tmp_path):
    export = tmp_path / "browser_export.xlsx"
    # the scales stated in the headers: nothing unsure, so the import needs no confirmation click
    rows = [["ID", "Region", "Wie zufrieden sind Sie mit: Website? (1-10)", "Wie zufrieden sind Sie mit: Hotline? (1-10)",
             "Würden Sie uns weiterempfehlen? (0-10)"]]
    rows += [[i, ["Nord", "Süd", "West"][i % 3], i % 10 + 1, (i * 7) % 10 + 1, i % 11] for i in range(1, 121)]
    export.write_bytes(xlsx_bytes(rows))
    try:
        page.goto(server + "/upload")
        expect(page.get_by_role("heading", name="Daten hochladen")).to_be_visible(timeout=30000)
        page.locator('input[type="file"]').set_input_files(str(export))
        expect(page.get_by_text("Erkannte Zuordnung")).to_be_visible(timeout=30000)
        page.get_by_role("button", name="Importieren").click()
        expect(page.get_by_text("Importiert als Datensatz")).to_be_visible(timeout=30000)
        page.screenshot(path=str(ARTIFACTS / "upload.png"), full_page=True)
        assert_no_exception(page)

        page.goto(server + "/")  # the overview is the default page, served at the root
        expect(page.get_by_role("heading", name="Überblick")).to_be_visible(timeout=30000)
        expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=30000)
        assert page.locator(".js-plotly-plot").count() == 2
        expect(page.get_by_text("Zufriedenheit je Kontaktpunkt")).to_be_visible()
        assert page.locator(".js-plotly-plot .bars .point").count() > 0
        page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
        assert_no_exception(page)

        visit(page, server + "/heatmap?lang=en&by=Region", "Heatmap")
        expect(page.get_by_text("touchpoints × Region")).to_be_visible()
        shot(page, "heatmap")
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
        raise


def test_drivers_and_priority_matrix_render(server, page):
    try:
        page.goto(server + "/overview")  # the default page's own path works as a shared link, too
        expect(page.get_by_role("heading", name="Überblick")).to_be_visible(timeout=30000)
        settled(page)
        assert "Page not found" not in page.inner_text("body")
        visit(page, server + "/start", "Überblick")  # an unknown address lands on the overview, with a notice
        expect(page.get_by_text("Die Seite „/start“ gibt es nicht")).to_be_visible()
        assert "Page not found" not in page.inner_text("body")
        visit(page, server + f"/drivers?{CUSTOMER}&ds=3", "Treiber")
        expect(page.get_by_text("Was treibt Weiterempfehlung?")).to_be_visible()
        shot(page, "drivers")

        visit(page, server + f"/priority?{CUSTOMER}&ds=3", "Prioritäten-Matrix")
        expect(page.get_by_text("Zuerst angehen: Hotline, Lieferung, Reklamation")).to_be_visible()
        for quadrant in ("Hier ansetzen", "Stärken halten", "Geringe Priorität", "Möglicher Overkill"):
            expect(page.locator(".js-plotly-plot").get_by_text(quadrant)).to_be_visible()
        shot(page, "priority")
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "failure-priority.png"), full_page=True)
        raise


def test_segments_and_tracking_render(server, page):
    try:
        visit(page, server + f"/segments?{CUSTOMER}&ds=3&by=Region", "Segmente")
        expect(page.get_by_text("NPS je Region")).to_be_visible()
        shot(page, "segments")

        page.set_viewport_size({"width": 1400, "height": 2600})
        visit(page, server + f"/tracking?{CUSTOMER}&lang=en", "Tracking", charts=3)
        expect(page.get_by_text("NPS over waves")).to_be_visible()
        expect(page.get_by_text("Biggest movers")).to_be_visible()
        shot(page, "tracking")

        visit(page, server + f"/tracking?{CUSTOMER}&lang=en&waves=month", "Tracking", charts=3)  # month waves: categories, all labelled
        heatmap = page.locator(".js-plotly-plot").nth(2)
        for label in ("2026-01", "2026-05", "2026-09", "Total"):
            expect(heatmap.locator(".xtick text", has_text=label)).to_be_visible()
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "failure-tracking.png"), full_page=True)
        raise


def test_journey_inventory_targets_actions_render(server, page):
    try:
        page.set_viewport_size({"width": 1400, "height": 2000})
        visit(page, server + f"/journey?{CUSTOMER}", "Kundenreise", charts=2)
        expect(page.locator(".js-plotly-plot").get_by_text("Emotionskurve")).to_be_visible()
        expect(page.locator(".js-plotly-plot").get_by_text("Fulfillment")).to_be_visible()
        shot(page, "journey")
        for path, heading in (("/inventory", "Kontaktpunkte"), ("/targets", "Soll–Ist"), ("/actions", "Maßnahmen")):
            visit(page, server + path + "?" + CUSTOMER, heading, charts=0)
            shot(page, path.strip("/"))
        # grid cells are drawn on a canvas (the title also stands in the edit form and the delete confirmation)
        expect(page.locator('[data-testid="stDataFrame"]').get_by_text("Callcenter-Schulung und Rückrufservice")).to_be_attached()
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "failure-journey.png"), full_page=True)
        raise


def test_import_while_serving_and_user_text_stays_text(server, page, tmp_path):
    """An analyst imports with the CLI while the dashboard serves; the file plants markdown/HTML
    links and images in a segment header, segment values, a touchpoint and the dataset name: none
    becomes a link or image in the DOM, and the browser never contacts the outside address."""
    from conftest import german_csv_bytes

    segment = "Region [bitte neu anmelden](https://evil.example) ![x](https://evil.example/t.png)"
    values = ["![x](https://evil.example/v.png)", "<img src=https://evil.example/i.png>", "Nord"]
    rows = [["ID", "[Chat](https://evil.example) <a href='https://evil.example'>x</a> (1-5)", "Weiterempfehlung (0-10)", segment]]
    rows += [[i, i % 5 + 1, i % 11, values[i % 3]] for i in range(60)]
    export = tmp_path / "evil.csv"
    export.write_bytes(german_csv_bytes(rows))
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(server + "/")  # a visitor is on the dashboard while the import runs
        expect(page.get_by_role("heading", name="Überblick")).to_be_visible(timeout=30000)
        out = subprocess.run([sys.executable, "-m", "tpm", "ingest", str(export), "--db", str(SERVER["db"]),
                              "--dataset", "[Neu anmelden](https://evil.example) ![i](https://evil.example/d.png)"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        for path in ("/?lang=en", "/heatmap?by=" + urllib.parse.quote(segment), "/segments?by=" + urllib.parse.quote(segment),
                     "/upload"):
            page.goto(server + path)
            settled(page)
            expect(page.get_by_text("bitte neu anmelden").first).to_be_attached(timeout=30000)  # the label is there, as text
            links = page.locator('a[href*="evil"]')
            assert links.count() == 0, [links.nth(i).evaluate("e => e.parentElement.parentElement.outerHTML.slice(0, 800)")
                                        for i in range(links.count())]
            assert page.locator('img[src*="evil"], image[href*="evil"]').count() == 0
            assert_no_exception(page)
        page.get_by_text("Datensatz löschen").first.click()  # the expander opens: the names in its picker and checkbox
        expect(page.get_by_text("mit allen Antworten endgültig löschen")).to_be_visible(timeout=30000)
        shot(page, "injection")
        assert page.locator('a[href*="evil"], img[src*="evil"]').count() == 0
        hosts = {urllib.parse.urlsplit(url).hostname for url in requests} - {"127.0.0.1", None}
        assert hosts <= {"fonts.gstatic.com"}, hosts  # Streamlit's own icon font for page_icon=":material/…", nothing else
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "failure-injection.png"), full_page=True)
        raise


def test_study_picker_shows_one_study(server, page):
    try:
        visit(page, server + "/?study=Hotline-Befragung%202026", "Überblick", charts=2)
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar).to_contain_text("Studie")
        expect(sidebar.get_by_role("combobox").first).to_have_value("Hotline-Befragung 2026")
        expect(page.get_by_text("Lösung beim ersten Kontakt").first).to_be_attached()
        assert "Lieferung" not in page.inner_text("body")  # nothing of the customer survey
        shot(page, "study-hotline")
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "failure-study.png"), full_page=True)
        raise


def test_downloads_chart_png_table_csv_and_the_report_workbook(server, page):
    """The "chart as PNG" button draws the figure on click; the CSV is the table as shown; the Report
    page builds the workbook and hands it over."""
    try:
        visit(page, server + f"/targets?{CUSTOMER}", "Soll–Ist")
        with page.expect_download(timeout=90000) as png:
            page.get_by_role("button", name="Grafik als PNG").click()
        assert png.value.path().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with page.expect_download(timeout=30000) as csv:
            page.get_by_role("button", name="Tabelle als CSV").click()
        header = csv.value.path().read_text(encoding="utf-8-sig").splitlines()[0].strip()
        assert header.startswith("Kontaktpunkt;Ist;Soll;Best-in-Class;Lücke zum Soll")
        page.goto(server + f"/report?{CUSTOMER}")
        expect(page.get_by_role("heading", name="Bericht")).to_be_visible(timeout=30000)
        page.get_by_role("button", name="Excel-Arbeitsbuch erstellen").click()
        with page.expect_download(timeout=90000) as xlsx:
            page.get_by_role("button", name="Arbeitsbuch herunterladen (.xlsx)").click()
        import io

        import openpyxl

        assert xlsx.value.suggested_filename == "tpm-bericht.xlsx"
        workbook = openpyxl.load_workbook(io.BytesIO(xlsx.value.path().read_bytes()))
        assert workbook.sheetnames[0] == "Deckblatt" and workbook.sheetnames[-1] == "Daten"
        shot(page, "report")
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "failure-downloads.png"), full_page=True)
        raise


def test_login_survives_reload_and_new_tab_and_opens_the_shared_link(server, browser):
    """A shared link opened before the login: after it, the same page with the same filters; a reload and a
    new tab stay logged in (the cookie, not the Streamlit session, carries the login)."""
    link = f"/heatmap?{CUSTOMER}&lang=en&seg.Region=Nord"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    try:
        pg.goto(server + link)
        assert urllib.parse.urlsplit(pg.url).path == gate.LOGIN_PATH
        fill_login(pg, *ADMIN)
        expect(pg.get_by_role("heading", name="Heatmap").first).to_be_visible(timeout=30000)
        assert urllib.parse.urlsplit(pg.url).path == "/heatmap" and "seg.Region=Nord" in pg.url
        pg.reload()
        expect(pg.get_by_role("heading", name="Heatmap").first).to_be_visible(timeout=30000)
        assert urllib.parse.urlsplit(pg.url).path == "/heatmap" and "seg.Region=Nord" in pg.url
        tab = context.new_page()
        tab.goto(server + f"/segments?{CUSTOMER}&lang=en")
        expect(tab.get_by_role("heading", name="Segments").first).to_be_visible(timeout=30000)
        expect(tab.get_by_text("Logged in: ada").first).to_be_visible()
        assert_no_exception(tab)
    except Exception:
        pg.screenshot(path=str(ARTIFACTS / "failure-login.png"), full_page=True)
        raise
    finally:
        context.close()
