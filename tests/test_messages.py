"""Messages and states (issue 15, items 8–12): the real reason, one language at a time, stale links."""

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, xlsx_bytes
from tpm import store
from tpm.ingest import ingest_bytes

APP = str(ROOT / "app.py")


def no_nps_survey(db_path):
    """A survey with ratings and a segment but no recommend question."""
    rows = [["ID", "Region", "Hotline (1-5)", "Website (1-5)", "Filiale (1-5)"]]
    rows += [[i, ["Nord", "Süd"][i % 2], i % 5 + 1, (i * 3) % 5 + 1, (i * 7) % 5 + 1] for i in range(1, 121)]
    con = store.connect(db_path)
    store.save_import(con, ingest_bytes("ohne_nps.xlsx", xlsx_bytes(rows)), name="Ohne NPS", wave="W1")
    con.close()


@pytest.fixture
def app(db_path, monkeypatch):
    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.chdir(ROOT)
    return AppTest.from_file(APP, default_timeout=60)


def texts(at) -> str:
    """Everything a reader sees as text on the page (elements' protos, incl. chart specs and labels)."""
    return "\n".join(str(node.proto) for kind in ("title", "subheader", "markdown", "caption", "info", "warning", "error",
                                                  "success", "metric", "selectbox", "multiselect", "checkbox", "plotly_chart")
                     for node in at.get(kind))


# --- 8. empty states give the real reason


@pytest.mark.parametrize("lang,phrase", [("de", "keine Weiterempfehlungsfrage"), ("en", "no recommendation question")])
def test_without_an_nps_question_each_page_says_so(app, db_path, lang, phrase):
    no_nps_survey(db_path)
    app.query_params["lang"] = lang
    app.run()
    assert not app.exception
    assert any(phrase in i.value for i in app.info), "overview"
    assert not any(m.value == "–" for m in app.metric)
    for page in ("pages/segments.py", "pages/drivers.py", "pages/priority.py"):
        app.switch_page(page).run()
        assert not app.exception, page
        shown = [m.value for m in [*app.info, *app.warning]]
        assert any(phrase in m for m in shown), (page, shown)
        assert not any("30" in m and ("Bewertungen" in m or "ratings" in m) for m in shown), page
        assert not any("Befragter passt" in m or "No respondent matches" in m for m in shown), page
    app.switch_page("pages/segments.py").run()
    assert len(app.dataframe) + len(app.info) >= 2  # the touchpoint differences are still shown (or their absence said)


# --- 10. stale links say what no longer exists and keep what still does


def test_stale_link_names_what_is_gone_and_keeps_the_rest(app):
    app.query_params["ds"] = ["999", "1"]
    app.query_params["seg.Region"] = ["Mars", "Ost"]
    app.query_params["seg.Planet"] = ["Vulkan"]
    app.run()
    assert not app.exception
    notice = " ".join(i.value for i in app.info)
    assert "Datensatz 999" in notice and "Region = Mars" in notice and "Planet = Vulkan" in notice
    assert "Ost" not in notice
    assert app.multiselect(key="ds_filter").value == [1]
    assert app.multiselect(key="seg_filter_Region").value == ["Ost"]
    assert int(app.metric[0].value.replace(".", "")) < 400  # only Ost in wave 1, not all data
