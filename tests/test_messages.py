"""Messages and states (issue 15, items 8–12): the real reason, one language at a time, stale links."""

import json
import re

import pytest
from conftest import ROOT, xlsx_bytes
from streamlit.testing.v1 import AppTest

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
    app.query_params["ds"] = ["999", "3"]  # 3: wave 1 of the customer survey (the hotline study is seeded first)
    app.query_params["seg.Region"] = ["Mars", "Ost"]
    app.query_params["seg.Planet"] = ["Vulkan"]
    app.run()
    assert not app.exception
    notice = " ".join(i.value for i in app.info)
    assert "Datensatz 999" in notice and "Region = Mars" in notice and "Planet = Vulkan" in notice
    assert "Ost" not in notice
    assert app.multiselect(key="ds_filter").value == [3]
    assert app.multiselect(key="seg_filter_Region").value == ["Ost"]
    assert int(app.metric[0].value.replace(".", "")) < 400  # only Ost in wave 1, not all data


# --- 9. one language at a time

#: words only the German UI texts use (not the sample data: its touchpoints, segments, inventory and measures are German)
GERMAN = ("erklärt", "dessen", "Befragte", "Kontaktpunkt", "Zufriedenheit", "Wichtigkeit", "Mittelwert", "Datensätze",
          "Zielgröße", "Anteil", "Stichprobe", "Spalte", "Zeile", "übersprungen", "Kopfzeilen", "direkt")
ENGLISH = ("touchpoint", "respondent", "explains", "drives", "was found", "skipped", "header row", "line(s)", "direct",
           "indirect", "mobile", "Recommendation", "the rest", "Satisfaction", "Importance", "sheet", "column")
PAGES = ("overview", "heatmap", "segments", "tracking", "drivers", "priority", "journey", "comments", "targets", "actions", "cases", "inventory",
         "upload")


def table_labels(at) -> str:
    """Column headers and the choices of editable columns as the tables show them (labels, not stored values)."""
    shown = []
    for node in at.get("dataframe"):
        for column in json.loads(node.proto.columns or "{}").values():
            shown.append(str(column.get("label", "")))
            for option in column.get("type_config", {}).get("options", []):
                shown.append(str(option.get("label", option.get("value"))) if isinstance(option, dict) else str(option))
    return " ".join(shown)


@pytest.mark.parametrize("lang,other", [("de", ENGLISH), ("en", GERMAN)])
def test_every_page_speaks_one_language_and_leaves_empty_cells_empty(app, lang, other):
    app.query_params["lang"] = lang
    app.query_params["lanes"] = "channel"  # the journey's swimlanes show stored channel values
    app.run()
    found = {}
    for page in PAGES:
        app.switch_page(f"pages/{page}.py").run()
        assert not app.exception, page
        assert all(table.proto.placeholder == "" for table in app.get("dataframe")), page  # (item 7) not "None"
        text = texts(app) + table_labels(app)
        words = [w for w in other if re.search(r"(?<![\w])" + re.escape(w) + r"(?![\w])", text)]
        if words:
            found[page] = words
    assert not found, found


def ingest_phrases() -> list[str]:
    """Every problem, hint, note and unsure-reason the importer words (its string literals, placeholders filled)."""
    import ast

    def literal(node) -> str | None:
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            return "".join(v.value if isinstance(v, ast.Constant) else "7" for v in node.values)
        return None

    phrases = []
    for path in (ROOT / "tpm" / "ingest").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            found = []
            if isinstance(node, ast.Assign) and ast.unparse(node.targets[-1]).endswith("unsure"):
                found = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]  # why the detector is unsure
            elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple) and len(node.value.elts) == 3:
                found = node.value.elts[2:]  # infer_scale's reason
            elif isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name == "IngestError":
                    found = node.args[1:]
                elif name == "keep_rows" or (name == "append" and "notes" in ast.unparse(node.func)):
                    found = node.args[-1:]
                found += [k.value for k in node.keywords if k.arg == "hint"]
            phrases += [text for text in map(literal, found) if text and len(text) > 3]
    return phrases


def test_every_importer_message_has_german_words():
    from tpm.i18n import ingest_text

    phrases = ingest_phrases()
    assert len(phrases) > 40 and "skipped 7 line(s) above the header" in phrases
    untranslated = [p for p in phrases if ingest_text(p, "de") == p]
    assert not untranslated, untranslated
    assert ingest_text("skipped 2 line(s) above the header", "en") == "skipped 2 line(s) above the header"


def test_upload_page_speaks_german_about_the_file(app):
    app.run()
    app.switch_page("pages/upload.py").run()
    rows = "Kundenbefragung Export\r\nerstellt am 1.3.2026\r\nName;Kommentar\r\n" + "".join(
        f"Person {i};Alles gut, danke für die schnelle Lieferung Nummer {i}\r\n" for i in range(40))
    app.file_uploader(key="upload").set_value(("titelzeilen.csv", rows.encode("utf-8"), "text/csv")).run()
    assert not app.exception
    shown = " ".join([c.value for c in app.caption] + [w.value for w in app.warning] + [e.value for e in app.error])
    assert "über der Kopfzeile übersprungen" in shown, shown
    assert "keine Spalte mit Bewertungen oder Weiterempfehlung" in shown, shown
    assert not re.search(r"\b(skipped|was found|needs at least)\b", shown), shown


# --- 12. a deleted dataset's mapping template says where it comes from, and can be discarded


def test_template_of_a_deleted_dataset_is_named_and_can_be_discarded(app, db_path):
    from tpm.upload import prepare

    def export(offset):
        rows = [["ID", "Filiale (1-5)", "Hotline (1-5)", "Region"]]
        return xlsx_bytes(rows + [[i + offset, i % 5 + 1, (i * 2) % 5 + 1, ["Nord", "Süd"][i % 2]] for i in range(40)])

    con = store.connect(db_path)
    first = prepare("welle1.xlsx", export(0), con=con)
    specs = [s if s.column != "Region" else type(s)(**{**s.as_dict(), "role": "ignore"}) for s in first.specs]
    saved = store.save_import(con, first.apply(specs), name="Welle 1", wave="W1")
    store.delete_dataset(con, saved.dataset_id)
    con.close()

    app.run()
    app.switch_page("pages/upload.py").run()
    app.file_uploader(key="upload").set_value(("welle2.xlsx", export(100), "application/octet-stream")).run()
    assert not app.exception
    info = " ".join(i.value for i in app.info)
    assert "welle1.xlsx" in info and "gelöscht" in info, info
    assert dict(zip(app.data_editor[0].value["column"], app.data_editor[0].value["role"]))["Region"] == "ignorieren"
    app.button(key="template_discard").click().run()
    assert not app.exception
    assert not any("welle1.xlsx" in i.value for i in app.info)
    assert dict(zip(app.data_editor[0].value["column"], app.data_editor[0].value["role"]))["Region"] == "Segment"
    con = store.connect(db_path)
    assert store.template_source(con, ["ID", "Filiale (1-5)", "Hotline (1-5)", "Region"]) is None
    con.close()


# --- 3. the bootstrap run shows a progress bar (and a second look at the page reuses the run)


def test_drivers_bootstrap_with_progress_then_from_memory(app, monkeypatch):
    import pages._cache as ui

    seen = []
    original = ui._drivers
    monkeypatch.setattr(ui, "_drivers", lambda *a, **k: (seen.append(k.get("progress") or (a[5] if len(a) > 5 else None)),
                                                           original(*a, **k))[1])
    app.query_params["ds"] = ["5"]  # wave 3 of the customer survey (800 respondents)
    app.run()
    app.switch_page("pages/drivers.py").run()
    app.checkbox(key="drivers_bootstrap").check().run()
    assert not app.exception
    assert "error_x" in app.get("plotly_chart")[0].proto.spec  # the whiskers
    assert callable(seen[-1])  # the run reported its progress to the page's bar
    runs = len(seen)
    app.run()  # the same view again: no second run, no replay error
    assert not app.exception and len(seen) == runs
