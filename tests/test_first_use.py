"""What confused new users on real exports and the samples (issue #27): a study without an NPS
question is tracked and explained by what it has, "not testable" is not "no difference", a
negative driver is drawn negative, no format placeholder is left unfilled, Streamlit's own
English texts do not show in the German UI."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT, german_csv_bytes
from streamlit.testing.v1 import AppTest

from tpm import store
from tpm.ingest import ingest_bytes
from tpm.metrics import Filter

APP = str(ROOT / "app.py")
HEADER = ["ID", "Region", "Standort", "Filiale (1-5)", "Hotline (1-5)", "Rechnung (1-5)", "Gesamtzufriedenheit (1-5)"]


def no_nps_study(con, waves=("Welle 1", "Welle 2"), n=120, seed=1) -> None:
    """Two waves, no NPS question, an overall-satisfaction question that rises with Filiale and
    Hotline and falls with Rechnung (a negative driver); Standort: twelve sites of 20 respondents."""
    rng = np.random.default_rng(seed)
    for k, wave in enumerate(waves):
        rows = [HEADER]
        for i in range(n):
            a, b, c = rng.integers(1, 6, 3)
            y = int(np.clip(round(0.5 * a + 0.4 * b - 0.5 * c + 1.8 + 0.3 * k + rng.normal(0, 0.5)), 1, 5))
            rows.append([f"{wave}-{i}", ["Nord", "Süd"][i % 2], f"S{i % 12:02d}", a, b, c, y])
        store.save_import(con, ingest_bytes(wave + ".csv", german_csv_bytes(rows)), name=wave, wave=wave, study="Ohne NPS")


@pytest.fixture(scope="module")
def no_nps_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("no_nps") / "tpm.duckdb"
    con = store.connect(path)
    no_nps_study(con)
    con.close()
    return path


@pytest.fixture(scope="module")
def no_nps_con():
    """The same study in memory, for the report (the pages' server holds the file)."""
    con = store.connect(":memory:")
    no_nps_study(con)
    yield con
    con.close()


@pytest.fixture
def app_on(monkeypatch):
    def make(path, lang="de"):
        monkeypatch.setenv("TPM_DB", str(path))
        monkeypatch.chdir(ROOT)
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params["lang"] = lang
        at.run()
        return at
    return make


def clean(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# --- 1, 2: a study without NPS is tracked and explained by what it has --------------------------


@pytest.mark.parametrize("lang", ["de", "en"])
def test_tracking_without_nps_shows_the_touchpoints(no_nps_db, app_on, lang):
    from tpm.i18n import t

    at = app_on(no_nps_db, lang)
    at.switch_page("pages/tracking.py").run()
    clean(at)
    assert t("one_wave", lang) not in [i.value for i in at.info]
    assert t("no_nps_tracking", lang) in [i.value for i in at.info]
    assert len(at.get("plotly_chart")) == 2  # the touchpoints over the waves, the wave heatmap
    assert at.multiselect(key="trend_tp").value  # the biggest movers are chosen


@pytest.mark.parametrize("page", ["drivers", "priority"])
def test_driver_pages_open_on_the_outcome_the_study_has(no_nps_db, app_on, page):
    at = app_on(no_nps_db)
    at.switch_page(f"pages/{page}.py").run()
    clean(at)
    assert at.selectbox(key="q_outcome").value == "overall"
    assert not at.warning, [w.value for w in at.warning]
    assert len(at.get("plotly_chart")) == 1


@pytest.fixture(scope="module")
def report_de(no_nps_con):
    from tpm.report.content import gather

    return gather(no_nps_con, Filter(), "de", with_data=False)


def test_report_without_nps_has_drivers_and_tracking(report_de):
    import re

    from tpm.report.deck import slides
    from tpm.report.excel import headlines

    report = report_de
    assert report.drivers is not None and report.drivers.outcome == "overall" and report.drivers_error is None
    deck = slides(report)
    assert {"priority", "drivers", "tracking"} <= {s.key for s in deck}
    assert any(line.startswith(tuple(report.trend["touchpoint"])) and " von Welle 1 zu Welle 2" in line
               for line in headlines(report))
    assert not [text for s in deck for text in (s.headline, s.base) if re.search(r"\{\w+\}", text)]  # e.g. "{r2_adj}"


# --- 3: nothing testable is not "no significant differences" -----------------------------------


def test_segments_say_not_testable_when_every_cell_is_below_the_base(no_nps_db, app_on):
    from tpm.i18n import t
    from tpm.metrics.rules import MIN_TEST

    at = app_on(no_nps_db)
    at.query_params["by"] = "Standort"  # 12 sites × 20 respondents: every cell below n = 30
    at.switch_page("pages/segments.py").run()
    clean(at)
    shown = " ".join(i.value for i in at.info)
    assert t("no_differences", "de") not in shown
    assert "Nicht testbar" in shown and f"n = {MIN_TEST}" in shown and "n = 20" in shown
    at.selectbox(key="q_by").set_value("Region").run()  # two regions of 120: tested, the usual messages
    assert "Nicht testbar" not in " ".join(i.value for i in at.info)


# --- 4: a negative driver is drawn negative -----------------------------------------------------


def test_a_negative_driver_is_drawn_to_the_left_in_red_on_the_page_and_in_the_deck(no_nps_con, report_de):
    from tpm.charts.common import BAR, DETRACTOR
    from tpm.charts.drivers import driver_bars
    from tpm.i18n import t
    from tpm.metrics.drivers import drivers_for
    from tpm.report.deck import slides

    table = drivers_for(no_nps_con, Filter(), outcome="overall").table
    sign = dict(zip(table["driver"], table["sign"]))
    assert sign == {"Filiale": 1, "Hotline": 1, "Rechnung": -1}  # built so: Rechnung lowers overall satisfaction
    deck_figure = next(s for s in slides(report_de) if s.key == "drivers").figures[0]
    for figure in (driver_bars(table, "Gesamtzufriedenheit", "de"), deck_figure):
        bars = figure.data[0]
        drawn = dict(zip(bars.y, zip(bars.x, bars.marker.color)))
        assert drawn["Rechnung"][0] < 0 and drawn["Rechnung"][1] == DETRACTOR
        assert drawn["Filiale"][0] > 0 and drawn["Filiale"][1] == BAR
        labels = dict(zip(figure.data[1].y, figure.data[1].text))
        assert labels["Rechnung"].strip().startswith("−")
        legend = " ".join(a.text for a in figure.layout.annotations)
        assert t("driver_negative", "de", outcome="Gesamtzufriedenheit") in legend
        assert all(not text.startswith("−") for text in figure.layout.xaxis.ticktext)  # a share has no sign: the side shows it


# --- 5: the import warning goes once its cause is fixed in the mapping ---------------------------


def test_upload_warning_disappears_once_the_missing_code_is_declared(no_nps_db, app_on):
    at = app_on(no_nps_db)  # nothing is imported: the study's database serves
    at.switch_page("pages/upload.py").run()
    rows = [["ID", "Hotline (1-5)", "Filiale (1-5)"]] + [[i, [1, 2, 3, 4, 5, 9][i % 6], i % 5 + 1] for i in range(60)]
    at.file_uploader(key="upload").set_value(("codes.csv", german_csv_bytes(rows), "text/csv")).run()
    clean(at)
    warned = [w.value for w in at.warning if w.value.startswith("So ist kein Import")]
    assert len(warned) == 1 and "9" in warned[0] and "Hotline (1-5)" in warned[0].replace("\\", "")
    editor = next(e for e in at.data_editor if e.key and e.key.startswith("mapping_"))
    row = list(editor.value["column"]).index("Hotline (1-5)")
    at.session_state[editor.key] = {"edited_rows": {row: {"missing_codes": "9", "confirmed": True}}, "added_rows": [],
                                    "deleted_rows": []}
    at.run()
    clean(at)
    assert not [w.value for w in at.warning if w.value.startswith("So ist kein Import")]
    assert not at.button(key="upload_import").disabled


# --- 6, 7: no English from Streamlit in the German UI, no file names as the page list ----------


def test_german_widgets_carry_no_streamlit_english(no_nps_db, app_on):
    """Multiselects without "Select all", the uploader's "200MB per file" hidden and said in German."""
    at = app_on(no_nps_db)
    at.switch_page("pages/tracking.py").run()
    clean(at)
    assert len(at.multiselect) >= 3  # the datasets, the segments, the touchpoints to draw
    assert [m.key for m in at.multiselect if m.proto.select_all != 0] == []
    at.switch_page("pages/upload.py").run()
    clean(at)
    assert "stFileUploaderDropzoneInstructions" in " ".join(str(h.proto) for h in at.get("html"))
    assert any("höchstens 200 MB je Datei" in c.value for c in at.caption)


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory):
    """A fresh Streamlit server (nothing run yet) on its own copy of the study."""
    from conftest import streamlit_server

    db = tmp_path_factory.mktemp("fresh") / "tpm.duckdb"
    con = store.connect(db)
    no_nps_study(con)
    con.close()
    with streamlit_server(db, "app.py") as (url, _):
        yield url


def test_first_request_never_lists_file_names(fresh_server):
    """Streamlit's multipage v1 listed the pages/ folder ("app", "drivers", "ui" …) from the first second of a
    fresh server's first request until that run ended; watched for the first seconds (the menu: below, in-process)."""
    import time

    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM, CHROMIUM_ARGS

    files = {p.stem.lstrip("_") for p in (ROOT / "pages").glob("*.py")} | {"app"}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(fresh_server + "/?lang=de")
        seen, deadline = [], time.time() + 4
        while time.time() < deadline and not page.locator('[data-testid="stPageLink"]').count():
            seen += page.locator('[data-testid="stSidebar"] a').all_inner_texts()
            time.sleep(0.1)
        browser.close()
    assert not [s for s in seen if s.split("\n")[-1].strip() in files]


def test_the_page_menu_is_translated_and_complete(no_nps_db, app_on):
    from tpm.i18n import t

    for lang in ("de", "en"):
        at = app_on(no_nps_db, lang)
        clean(at)
        titles = [link.proto.label for link in at.get("page_link")]
        assert titles[:4] == [t(k, lang) for k in ("page_overview", "page_heatmap", "page_segments", "page_tracking")]
        assert t("page_upload", lang) in titles and len(titles) == len(set(titles))  # every page once, the hidden alias not


# --- 8: no format placeholder left unfilled, the deck's charts keep their labels -----------------


def _calls_with_unfilled_placeholders() -> list[str]:
    """Every ``t("key", …)``, ``Message("key", …)``, ``MessageError("key", …)`` in the code with a literal key
    whose German or English template names a placeholder the call does not pass (nor the base rules fill)."""
    import ast
    import string

    from tpm.i18n import TEXT, _rules

    out = []
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "tpm").rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
                    in ("t", "Message", "MessageError") and node.args and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value in TEXT):
                continue
            if any(k.arg is None for k in node.keywords):  # **values: checked where they are made
                continue
            given = {k.arg for k in node.keywords} | set(_rules())
            for text in TEXT[node.args[0].value]:
                wanted = {name for _, name, _, _ in string.Formatter().parse(text) if name}
                if wanted - given:
                    out.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.args[0].value} misses {sorted(wanted - given)}")
    return out


def test_every_placeholder_is_filled_where_a_text_is_used():
    assert _calls_with_unfilled_placeholders() == []
