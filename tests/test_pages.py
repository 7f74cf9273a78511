"""Every page through Streamlit's AppTest: renders, no exception, upload via at.file_uploader."""

import pytest
from conftest import ROOT, SAMPLES, german_csv_bytes, table_counts
from streamlit.testing.v1 import AppTest

from tpm import store

APP = str(ROOT / "app.py")
TIMEOUT = 60


@pytest.fixture
def app(db_path, monkeypatch):
    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    yield at
    _ = at.session_state  # keep a reference until the end of the test


def no_errors(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.real_seed  # the first start imports the samples itself (other tests get a copy: conftest.py)
def test_overview_on_seeded_samples(app):
    app.run()
    no_errors(app)
    assert app.title[0].value == "Überblick"
    labels = [m.label for m in app.metric]
    assert labels == ["Befragte", "Net Promoter Score", "Kontaktpunkte"]
    assert app.metric[0].value == "3.800"  # German thousands separator
    assert app.metric[2].value == "16"
    assert len(app.get("plotly_chart")) == 2


def test_overview_in_english_with_filter_from_url(app):
    app.query_params["lang"] = "en"
    app.query_params["seg.Region"] = ["Ost"]
    app.run()
    no_errors(app)
    assert app.title[0].value == "Overview"
    n = int(app.metric[0].value.replace(",", ""))
    assert 400 < n < 700  # only Ost (15 % of 3 800)
    assert app.multiselect(key="seg_filter_Region").value == ["Ost"]


def test_heatmap_page(app):
    app.run()
    app.switch_page("pages/heatmap.py").run()
    no_errors(app)
    assert app.title[0].value == "Heatmap"
    from tpm.i18n import t
    from tpm.metrics.registry import CHOICES, METRICS

    assert app.selectbox(key="q_metric").options == [t(METRICS[m].label, "de") for m in CHOICES]  # the registry's choices
    app.selectbox(key="q_by").set_value("Kundenart").run()
    app.selectbox(key="q_metric").set_value("nps").run()
    no_errors(app)
    assert len(app.get("plotly_chart")) == 1
    app.selectbox(key="q_mode").set_value("diff").run()
    app.selectbox(key="q_sort").set_value("gap").run()
    app.toggle(key="hm_swap").set_value(True).run()
    no_errors(app)
    assert len(app.get("plotly_chart")) == 1
    assert len(app.get("download_button")) == 3  # chart as PNG, cells as CSV and Excel


def test_upload_detect_correct_and_import(app, db_path):
    app.run()
    app.switch_page("pages/upload.py").run()
    no_errors(app)
    data = german_csv_bytes(
        [["Kunden-Nr", "Filiale (1-5)", "Hotline (1-5)", "Weiterempfehlung (0-10)", "Region"]]
        + [[f"K{i}", i % 5 + 1, (i * 2) % 5 + 1, i % 11, ["Nord", "Süd"][i % 2]] for i in range(40)]
    )
    app.file_uploader(key="upload").set_value(("filialtest.csv", data, "text/csv")).run()
    no_errors(app)
    editor = mapping_editor(app)
    assert editor is not None
    mapping = editor.value
    assert dict(zip(mapping["column"], mapping["role"]))["Filiale (1-5)"] == "Kontaktpunkt-Bewertung"
    assert dict(zip(mapping["column"], mapping["role"]))["Weiterempfehlung (0-10)"] == "NPS (0–10)"
    assert dict(zip(mapping["column"], mapping["examples"]))["Filiale (1-5)"].startswith("1 · 2 · 3")
    assert dict(zip(mapping["column"], mapping["name"]))["Filiale (1-5)"] == "Filiale"
    # the analyst renames a touchpoint before importing
    row = list(mapping["column"]).index("Hotline (1-5)")
    app.session_state[editor.key] = {"edited_rows": {row: {"name": "Service-Hotline"}}, "added_rows": [], "deleted_rows": []}
    app.run()
    app.button(key="upload_import").click().run()
    no_errors(app)
    assert any("filialtest" in s.value for s in app.success)
    con = store.connect(db_path)
    names = {r[0] for r in con.execute("SELECT DISTINCT touchpoint FROM ratings WHERE dataset_id = (SELECT max(id) FROM datasets)").fetchall()}
    kept = con.execute("SELECT data, size FROM dataset_files WHERE dataset_id = (SELECT max(id) FROM datasets)").fetchone()
    con.close()
    assert names == {"Filiale", "Service-Hotline"}
    # the uploaded file is stored with it (taken from the widget at the import, not kept with the prepared file)
    import pyarrow as pa
    assert kept[1] == len(data) and pa.decompress(kept[0], len(data), codec="zstd") == data


def test_upload_bad_file_shows_message_and_writes_nothing(app, db_path):
    app.run()
    app.switch_page("pages/upload.py").run()
    con = store.connect(db_path)
    before = table_counts(con)
    con.close()
    app.file_uploader(key="upload").set_value(("bericht.xlsx", b"%PDF-1.5 nope", "application/pdf")).run()
    assert not app.exception
    assert len(app.error) == 1 and "bericht.xlsx" in app.error[0].value.replace("\\", "")
    con = store.connect(db_path)
    assert table_counts(con) == before
    con.close()


def test_delete_needs_confirmation(app, db_path):
    app.run()
    app.switch_page("pages/upload.py").run()
    assert app.button(key="delete_button").disabled
    app.checkbox(key="delete_sure").check().run()
    app.button(key="delete_button").click().run()
    no_errors(app)
    con = store.connect(db_path)
    assert table_counts(con)["datasets"] == 4
    # the picked dataset was one of the study shown (the customer survey); the hotline study is untouched
    assert con.execute("SELECT count(*) FROM datasets d JOIN studies s ON s.id = d.study_id WHERE s.name = ?",
                       ["Hotline-Befragung 2026"]).fetchone()[0] == 2
    con.close()


def test_drivers_page(app):
    app.query_params["ds"] = ["3"]  # wave 1 of the customer survey (the hotline study is seeded first)
    app.run()
    app.switch_page("pages/drivers.py").run()
    no_errors(app)
    assert app.title[0].value == "Treiber"
    assert "Hotline" in app.markdown[0].value and "30 %" in app.markdown[0].value
    assert len(app.get("plotly_chart")) == 1
    app.selectbox(key="q_method").set_value("relative_weights").run()
    no_errors(app)
    assert "Relative Gewichte" in app.caption[0].value
    app.selectbox(key="q_missing").set_value("listwise").run()
    assert not app.exception
    assert len(app.warning) == 1 and "zu wenige für listenweisen Ausschluss" in app.warning[0].value  # the reason, in German


def test_priority_page(app):
    app.query_params["ds"] = ["3"]  # wave 1 of the customer survey (the hotline study is seeded first)
    app.query_params["lang"] = "en"
    app.run()
    app.switch_page("pages/priority.py").run()
    no_errors(app)
    assert app.title[0].value == "Priority matrix"
    assert app.subheader[0].value == "Fix first: Hotline, Lieferung, Reklamation"
    assert len(app.get("plotly_chart")) == 1
    table = app.dataframe[0].value
    assert table.iloc[0]["Quadrant"] == "Concentrate here"
    app.selectbox(key="q_crosshair").set_value("midpoint").run()
    no_errors(app)
    app.selectbox(key="q_crosshair").set_value("target").run()
    no_errors(app)
    assert len(app.get("plotly_chart")) == 1


def test_segments_page(app):
    app.query_params["ds"] = ["3"]  # wave 1 of the customer survey (the hotline study is seeded first)
    app.run()
    app.switch_page("pages/segments.py").run()
    no_errors(app)
    assert app.title[0].value == "Segmente"
    assert len(app.get("plotly_chart")) == 1
    table = app.dataframe[0].value
    assert table.iloc[0]["Kontaktpunkt"] == "Lieferung" and table.iloc[0]["Segmentwert"] == "Ost"
    app.selectbox(key="q_by").set_value("Kundenart").run()
    no_errors(app)


def test_tracking_page(app):
    app.query_params["lang"] = "en"
    app.run()
    app.switch_page("pages/tracking.py").run()
    no_errors(app)
    assert app.title[0].value == "Tracking"
    assert len(app.get("plotly_chart")) == 3  # NPS, touchpoint lines, touchpoint × wave heatmap
    movers = app.dataframe[0].value
    assert movers.iloc[0]["Touchpoint"] == "Hotline" and bool(movers.iloc[0]["significant"])
    assert "Hotline" in app.multiselect(key="trend_tp").value
    app.selectbox(key="q_waves").set_value("quarter").run()
    app.selectbox(key="q_metric").set_value("nps").run()
    no_errors(app)


def test_tracking_needs_two_waves(app, db_path):
    app.query_params["ds"] = ["3"]  # wave 1 of the customer survey (the hotline study is seeded first)
    app.run()
    app.switch_page("pages/tracking.py").run()
    no_errors(app)
    assert len(app.info) == 1 and "zwei Wellen" in app.info[0].value


def test_wave_labels_are_editable(app, db_path):
    app.run()
    app.switch_page("pages/upload.py").run()
    editor = app.data_editor(key="datasets_editor")
    row = list(editor.value["id"]).index(4)
    app.session_state["datasets_editor"] = {"edited_rows": {row: {"wave": "Kundenbefragung 2026 Welle 1"}}, "added_rows": [], "deleted_rows": []}
    app.run()
    app.button(key="datasets_save").click().run()
    no_errors(app)
    con = store.connect(db_path)
    waves = dict(con.execute("SELECT id, wave FROM datasets").fetchall())
    con.close()
    assert waves[4] == waves[3] == "Kundenbefragung 2026 Welle 1"


def test_inventory_page_edit_and_alias(app, db_path):
    app.run()
    app.switch_page("pages/inventory.py").run()
    no_errors(app)
    editor = app.data_editor(key="inventory_editor")
    names = list(editor.value["name"])
    assert len(names) == 16 and not app.warning  # the sample inventory is fully classified
    row = names.index("Chat")
    app.session_state["inventory_editor"] = {"edited_rows": {row: {"target": 72, "pain_points": "Antwortzeit"}},
                                             "added_rows": [], "deleted_rows": []}
    app.run()
    app.button(key="inventory_save").click().run()
    no_errors(app)
    con = store.connect(db_path)
    assert con.execute("SELECT target, pain_points FROM touchpoints WHERE name = 'Chat'").fetchone() == (72.0, "Antwortzeit")
    con.close()
    assert len(app.get("download_button")) == 1


def test_inventory_page_refuses_bad_target(app, db_path):
    app.run()
    app.switch_page("pages/inventory.py").run()
    names = list(app.data_editor(key="inventory_editor").value["name"])
    app.session_state["inventory_editor"] = {"edited_rows": {names.index("Chat"): {"phase": "Irgendwann"}},
                                             "added_rows": [], "deleted_rows": []}
    app.run()
    app.button(key="inventory_save").click().run()
    assert not app.exception and len(app.error) == 1 and "Chat" in app.error[0].value


def test_journey_and_targets_pages(app):
    app.run()
    app.switch_page("pages/journey.py").run()
    no_errors(app)
    assert len(app.get("plotly_chart")) == 2  # emotion curve + map
    app.selectbox(key="q_lanes").set_value("channel").run()
    no_errors(app)
    app.switch_page("pages/targets.py").run()
    no_errors(app)
    table = app.dataframe[0].value
    assert table.iloc[0]["Kontaktpunkt"] in ("Hotline", "Lieferung")  # largest gaps that matter most


def test_actions_page_create_and_filter(app, db_path):
    app.run()
    app.switch_page("pages/actions.py").run()
    no_errors(app)
    assert len(app.dataframe[0].value) == 4
    app.selectbox(key="na_touchpoint").set_value("Chat")
    app.text_input(key="na_title").input("Chatbot-Antworten überarbeiten")
    app.text_input(key="na_owner").input("Aylin Demir")
    app.button[0].click()  # the form's submit button
    app.run()
    no_errors(app)
    assert len(app.dataframe[0].value) == 5
    app.multiselect(key="f_owner").set_value(["Aylin Demir"]).run()
    assert len(app.dataframe[0].value) == 3
    assert len(app.get("download_button")) == 2  # table as CSV and Excel


def mapping_editor(app):
    """The Upload page's mapping table (other editors define text scales)."""
    return next(e for e in app.data_editor if e.key and e.key.startswith("mapping_"))


def test_upload_a_real_surveymonkey_export(app, db_path):
    from conftest import REALWORLD

    app.run()
    app.switch_page("pages/upload.py").run()
    data = (REALWORLD / "surveymonkey_starwars_538_cp1252.csv").read_bytes()
    app.file_uploader(key="upload").set_value(("starwars.csv", data, "text/csv")).run()
    no_errors(app)
    assert any("SurveyMonkey" in c.value and "cp1252" in c.value for c in app.caption)
    mapping = mapping_editor(app).value
    han = mapping[mapping["name"] == "Han Solo"].iloc[0]
    assert han["role"] == "Kontaktpunkt-Bewertung" and (han["scale_min"], han["scale_max"]) == (1, 5)
    assert "very favorably = 5" in han["examples"]  # the text scale's mapping, shown for confirmation
    app.button(key="upload_import").click().run()
    no_errors(app)
    con = store.connect(db_path)
    n, mean = con.execute("SELECT count(*), avg(score) FROM ratings WHERE touchpoint = 'Han Solo'").fetchone()
    con.close()
    assert n == 814 and 4 < mean < 5


def test_weights_on_the_upload_page_and_the_switch(app, db_path):
    app.query_params["study"] = "Kundenbefragung 2026"
    app.run()
    app.switch_page("pages/upload.py").run()
    first = int(app.selectbox(key="weights_pick").options[0].rsplit("id ", 1)[1].rstrip(")"))
    app.selectbox(key="weights_pick").set_value(first).run()
    key = f"weights_rows_{first}"
    template = app.data_editor(key=key).value
    assert set(template["variable"]) == {"Region", "Kundenart", "Altersgruppe", "Kanal"}
    row = list(template["value"]).index("Ost")  # Region Ost: 15 % in the sample → 30 %, the rest of Region scaled
    region = template[template["variable"] == "Region"]
    edits = {row: {"share": 30.0}}
    others = [i for i in region.index if i != row]
    for i in others:
        edits[i] = {"share": float(template.loc[i, "share"]) * 70 / (100 - float(template.loc[row, "share"]))}
    app.session_state[key] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
    app.run()
    app.button(key="weights_apply").click().run()
    no_errors(app)
    assert any("n_eff" in s.value for s in app.success), [s.value for s in app.success]
    con = store.connect(db_path)
    ost = con.execute("""SELECT sum(r.weight) / (SELECT sum(weight) FROM respondents WHERE dataset_id = ?) FROM respondents r
                         JOIN segments s USING (dataset_id, resp) WHERE r.dataset_id = ? AND s.segment = 'Region' AND s.value = 'Ost'""",
                      [first, first]).fetchone()[0]
    con.close()
    total = 30.0 + sum(edits[i]["share"] for i in others)  # the rounded template shares, normalised to 100 %
    assert ost == pytest.approx(30.0 / total, abs=1e-6)

    app.switch_page("pages/overview.py").run()
    no_errors(app)
    assert app.radio(key="weight_switch").value == "1"
    assert "n_eff" in app.caption[0].value or any("n_eff" in c.value for c in app.caption)
    weighted_n = app.metric[0].value
    app.radio(key="weight_switch").set_value("0").run()
    no_errors(app)
    assert app.query_params["w"] == "0" and not any("n_eff" in c.value for c in app.caption)
    assert app.metric[0].value == weighted_n  # respondents are counted, never weighted


# --- studies: one study per view


HOTLINE = "Hotline-Befragung 2026"


def hotline_only_database(path):
    """A database holding the seeded hotline study alone: what the hotline view must equal."""
    from tpm.seed import HOTLINE_STUDY, _import, sample_files

    con = store.connect(path)
    _import(con, sample_files(SAMPLES / "hotline"), HOTLINE_STUDY)
    con.close()


def overview_and_heatmap(app):
    """What the Overview, Heatmap, Tracking, Inventory and Drivers pages show (figures as their JSON)."""
    app.run()
    no_errors(app)
    shown = {"metrics": [m.value for m in app.metric]}
    for page in ("heatmap", "tracking", "inventory"):
        app.switch_page(f"pages/{page}.py").run()
        no_errors(app)
        shown[page] = [chart.proto.spec for chart in app.get("plotly_chart")]
    inventory = app.data_editor(key="inventory_editor").value
    shown["inventory"] = inventory.astype(object).where(inventory.notna(), None).to_dict("records")
    app.switch_page("pages/drivers.py").run()  # as read (the chart's shares differ in the 15th digit: summation order)
    shown["drivers"] = [m.value for m in app.markdown] + [c.value for c in app.caption]
    return shown


def test_picker_defaults_to_the_latest_import_and_the_link_keeps_the_study(app):
    app.run()
    no_errors(app)
    picker = app.selectbox(key="study_pick")
    assert picker.options == ["Kundenbefragung 2026", HOTLINE]  # the most recently imported first
    assert picker.value == 2
    assert app.query_params["study"] == "2"
    assert app.metric[0].value == "3.800"
    app.selectbox(key="study_pick").set_value(1).run()
    no_errors(app)
    assert app.metric[0].value == "500" and app.metric[2].value == "5"
    assert app.query_params["study"] == "1"


def test_a_study_page_equals_a_database_of_that_study_alone(app, tmp_path, monkeypatch):
    app.query_params["study"] = HOTLINE  # by name, as a readable link
    app.query_params["by"] = "Anliegen"
    both = overview_and_heatmap(app)
    assert both["metrics"][0] == "500" and len(both["tracking"]) == 3 and len(both["inventory"]) == 5
    alone_db = tmp_path / "alone.duckdb"
    hotline_only_database(alone_db)
    monkeypatch.setenv("TPM_DB", str(alone_db))
    alone = AppTest.from_file(APP, default_timeout=TIMEOUT)
    alone.query_params["by"] = "Anliegen"
    assert overview_and_heatmap(alone) == both


def test_switching_the_study_drops_the_filters_of_the_one_before(app):
    app.query_params["study"] = "2"
    app.query_params["ds"] = ["3"]
    app.query_params["seg.Region"] = ["Ost"]
    app.run()
    assert app.multiselect(key="seg_filter_Region").value == ["Ost"]
    app.selectbox(key="study_pick").set_value(1).run()
    no_errors(app)
    assert "ds" not in app.query_params and "seg.Region" not in app.query_params
    assert app.metric[0].value == "500"
    assert sorted(m.label for m in app.multiselect) == sorted(["Datensätze", "Anliegen", "Kundenart"])


def test_objects_of_one_study_stay_out_of_the_other(app):
    app.query_params["study"] = HOTLINE
    app.run()
    app.switch_page("pages/inventory.py").run()
    no_errors(app)
    names = list(app.data_editor(key="inventory_editor").value["name"])
    assert sorted(names) == sorted(["Erreichbarkeit", "Wartezeit", "Freundlichkeit", "Fachkompetenz", "Lösung beim ersten Kontakt"])
    assert len(app.warning) == 1  # five to classify: the hotline study has no inventory of its own yet
    app.switch_page("pages/actions.py").run()
    no_errors(app)
    assert len(app.info) == 1 and not app.dataframe  # the customer survey's four measures are not here
    app.switch_page("pages/tracking.py").run()
    no_errors(app)
    assert app.dataframe[0].value.iloc[0]["Kontaktpunkt"] == "Wartezeit"


def test_upload_proposes_the_matching_study_and_switches_to_it(app, db_path):
    app.run()
    app.switch_page("pages/upload.py").run()
    lines = (SAMPLES / "hotline" / "servicehotline_2026_q4.csv").read_bytes().splitlines(keepends=True)
    next_wave = b"".join(lines[:1] + [line.replace(b"H2-", b"H3-") for line in lines[1:60]])  # same columns, new answers
    app.file_uploader(key="upload").set_value(("hotline_2027_q1.csv", next_wave, "text/csv")).run()
    no_errors(app)
    assert any("Welle 3 der Studie „Hotline-Befragung 2026“" in i.value for i in app.info)
    app.text_input(key="upload_wave").input("2027 Q1").run()
    app.button(key="upload_import").click().run()
    no_errors(app)
    assert any("Hotline-Befragung 2026" in s.value for s in app.success)
    assert app.query_params["study"] == "1"
    con = store.connect(db_path)
    assert con.execute("SELECT s.name FROM datasets d JOIN studies s ON s.id = d.study_id WHERE d.wave = '2027 Q1'").fetchone() == (HOTLINE,)
    con.close()
    app.switch_page("pages/overview.py").run()
    assert app.metric[0].value == "559"  # the hotline study with its new wave, shown right after the import


def test_upload_into_a_new_study_named_by_the_analyst(app, db_path):
    app.run()
    app.switch_page("pages/upload.py").run()
    data = german_csv_bytes([["Kunden-Nr", "Filiale (1-5)", "Beratung (1-5)", "Region"]]
                            + [[f"K{i}", i % 5 + 1, (i * 2) % 5 + 1, ["Nord", "Süd"][i % 2]] for i in range(40)])
    app.file_uploader(key="upload").set_value(("filialtest.csv", data, "text/csv")).run()
    assert any("neue Studie „Filialtest“" in i.value for i in app.info)
    app.text_input(key=next(t.key for t in app.text_input if t.key.startswith("upload_study_") and t.key.endswith("_name"))).input("Filial*test* 2026").run()
    app.button(key="upload_import").click().run()
    no_errors(app)
    con = store.connect(db_path)
    assert con.execute("SELECT count(*) FROM studies WHERE name = 'Filial*test* 2026'").fetchone()[0] == 1
    con.close()
    assert app.selectbox(key="study_pick").options[0] == "Filial*test* 2026"  # the newest study, shown as plain text


def test_study_rename_and_delete_with_confirmation(app, db_path):
    app.query_params["study"] = HOTLINE
    app.run()
    app.switch_page("pages/upload.py").run()
    no_errors(app)
    assert app.selectbox(key="study_delete_pick").value == 1
    app.text_input(key="study_rename_name_1").input("Servicehotline").run()
    app.button(key="study_rename_button").click().run()
    no_errors(app)
    assert app.selectbox(key="study_pick").options == ["Kundenbefragung 2026", "Servicehotline"]
    assert app.button(key="study_delete_button").disabled
    app.checkbox(key="study_delete_sure").check().run()
    app.button(key="study_delete_button").click().run()
    no_errors(app)
    con = store.connect(db_path)
    assert [r[0] for r in con.execute("SELECT name FROM studies").fetchall()] == ["Kundenbefragung 2026"]
    assert table_counts(con)["respondents"] == 3800
    con.close()
    assert app.selectbox(key="study_pick").options == ["Kundenbefragung 2026"]

def test_unsure_columns_need_a_click_before_import(app, db_path):
    app.run()
    app.switch_page("pages/upload.py").run()
    data = german_csv_bytes([["Kunden-Nr", "Website", "Hotline (1-5)"]]
                            + [[f"K{i}", 1 + i % 7, 1 + i % 5] for i in range(40)])
    app.file_uploader(key="upload").set_value(("unsicher.csv", data, "text/csv")).run()
    no_errors(app)
    assert any("Website" in w.value for w in app.warning)  # named where the analyst looks
    editor = mapping_editor(app)
    mapping = editor.value.set_index("column")
    assert "geraten" in mapping.loc["Website", "unsure"] or "guessed" in mapping.loc["Website", "unsure"]
    assert not mapping.loc["Website", "confirmed"] and mapping.loc["Hotline (1-5)", "confirmed"]
    assert app.button(key="upload_import").disabled
    row = list(editor.value["column"]).index("Website")
    app.session_state[editor.key] = {"edited_rows": {row: {"scale_max": 10}}, "added_rows": [], "deleted_rows": []}
    app.run()
    assert not app.button(key="upload_import").disabled  # choosing the scale is the analyst's decision
    app.button(key="upload_import").click().run()
    no_errors(app)
    con = store.connect(db_path)
    scale = con.execute("SELECT DISTINCT scale_min, scale_max FROM ratings WHERE touchpoint = 'Website'").fetchall()
    con.close()
    assert scale == [(1, 10)]


def test_custom_text_scale_defined_on_the_upload_page(app, db_path):
    app.run()
    app.switch_page("pages/upload.py").run()
    labels = ["mies", "naja", "passt", "super"]
    data = german_csv_bytes([["Kunden-Nr", "Eindruck Filiale", "Hotline (1-5)"]]
                            + [[f"K{i}", labels[i % 4], 1 + i % 5] for i in range(40)])
    app.file_uploader(key="upload").set_value(("text.csv", data, "text/csv")).run()
    no_errors(app)
    editor = next(e for e in app.data_editor if e.key and e.key.startswith("labels_"))
    ranks = {i: {"rank": labels.index(label) + 1} for i, label in enumerate(editor.value["label"])}
    app.session_state[editor.key] = {"edited_rows": ranks, "added_rows": [], "deleted_rows": []}
    app.run()
    app.button(key="labels_apply_Eindruck Filiale").click().run()
    no_errors(app)
    mapping = mapping_editor(app).value.set_index("column")
    assert mapping.loc["Eindruck Filiale", "role"] == "Kontaktpunkt-Bewertung"
    assert "super = 4" in mapping.loc["Eindruck Filiale", "examples"]
    app.button(key="upload_import").click().run()
    no_errors(app)
    con = store.connect(db_path)
    assert con.execute("SELECT avg(score) FROM ratings WHERE touchpoint = 'Eindruck Filiale'").fetchone()[0] == 2.5
    con.close()


def test_move_a_wave_into_a_new_study(app, db_path):
    app.run()
    app.switch_page("pages/upload.py").run()
    app.selectbox(key="move_pick").set_value(5)  # wave 3 of the customer survey
    app.run()
    app.text_input(key="move_target_name").input("Kundenbefragung Welle 3 (separat)").run()
    app.button(key="move_button").click().run()
    no_errors(app)
    assert app.selectbox(key="study_pick").options[0] == "Kundenbefragung Welle 3 (separat)"  # shown right away
    app.switch_page("pages/overview.py").run()
    assert app.metric[0].value == "800"


def test_dataset_chips_start_with_the_wave(app):
    app.run()
    no_errors(app)
    options = app.multiselect(key="ds_filter").options
    assert len(options) == 3
    assert all(" · " in o and o.split(" · ")[0] != o.split(" · ")[1] for o in options), options


def test_actions_page_edits_every_field_and_deletes_after_confirmation(app, db_path):
    app.run()
    app.switch_page("pages/actions.py").run()
    no_errors(app)
    app.selectbox(key="edit_id").set_value(2).run()  # Lieferung's measure
    app.selectbox(key="ea_touchpoint_2").set_value("Chat")
    app.text_input(key="ea_title_2").input("Chat statt Hotline")
    app.text_area(key="ea_problem_2").input("")
    app.text_input(key="ea_owner_2").input("Ben Kraus")
    app.selectbox(key="ea_status_2").set_value("in_progress")
    app.selectbox(key="ea_step_2").set_value("review")
    app.selectbox(key="ea_wave_2").set_value("Kundenbefragung 2026 Welle 2")
    next(b for b in app.button if b.proto.form_id == "edit_action_2").click()
    app.run()
    no_errors(app)
    assert app.success[0].value == "Gespeichert."
    con = store.connect(db_path)
    row = con.execute("SELECT touchpoint, title, problem, owner, status, step, baseline_wave FROM actions WHERE id = 2").fetchone()
    assert row == ("Chat", "Chat statt Hotline", None, "Ben Kraus", "in_progress", "review", "Kundenbefragung 2026 Welle 2")
    assert con.execute("SELECT action FROM audit ORDER BY id DESC LIMIT 1").fetchone()[0] == "action.update"
    con.close()
    app.selectbox(key="edit_id").set_value(3).run()
    assert app.button(key="delete_action_button").disabled  # the confirmation first
    app.checkbox(key="delete_action_sure_3").check().run()
    app.button(key="delete_action_button").click().run()
    no_errors(app)
    assert "gelöscht" in app.success[0].value and len(app.dataframe[0].value) == 3
    con = store.connect(db_path)
    assert [r[0] for r in con.execute("SELECT id FROM actions ORDER BY id").fetchall()] == [1, 2, 4]
    con.close()


def test_action_filters_live_in_the_url(app):
    app.query_params["owner"] = ["Aylin Demir"]
    app.query_params["status"] = ["done", "no-such-status"]
    app.run()
    app.switch_page("pages/actions.py").run()
    no_errors(app)
    assert app.multiselect(key="f_owner").value == ["Aylin Demir"] and app.multiselect(key="f_status").value == ["done"]
    assert app.dataframe[0].value["Status"].tolist() == ["erledigt"]
    assert any("no-such-status" in i.value for i in app.info)  # the stale part of the link is named
    app.multiselect(key="f_status").set_value([]).run()
    app.multiselect(key="f_touchpoint").set_value(["Hotline"]).run()
    assert app.query_params["owner"] in ("Aylin Demir", ["Aylin Demir"]) and app.query_params["tp"] in ("Hotline", ["Hotline"])
    assert not app.query_params.get("status")
    assert len(app.dataframe[0].value) == 1


def test_inventory_page_renames_and_merges_touchpoints(app, db_path):
    app.run()
    app.switch_page("pages/inventory.py").run()
    app.selectbox(key="tp_rename_pick").set_value("Chat").run()
    app.text_input(key="tp_rename_name_Chat").input("Live-Chat").run()
    app.button(key="tp_rename_button").click().run()
    no_errors(app)
    names = list(app.data_editor(key="inventory_editor").value["name"])
    assert "Live-Chat" in names and "Chat" not in names
    app.selectbox(key="tp_merge_source").set_value("Website").run()
    app.selectbox(key="tp_merge_target").set_value("Live-Chat").run()
    app.checkbox(key="tp_merge_sure").check().run()
    app.button(key="tp_merge_button").click().run()  # respondents rated both: refused with the reason
    assert not app.exception and "beide bewertet" in app.error[0].value
    con = store.connect(db_path)
    assert con.execute("SELECT count(*) FROM ratings WHERE touchpoint = 'Live-Chat'").fetchone()[0] > 0
    assert con.execute("SELECT count(*) FROM ratings WHERE touchpoint = 'Chat'").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM ratings WHERE touchpoint = 'Website'").fetchone()[0] > 0
    con.close()


def test_upload_page_remaps_a_stored_dataset(app, db_path):
    app.run()  # seeds the database
    con = store.connect(db_path)
    before = con.execute("SELECT avg(score), count(*) FROM ratings WHERE touchpoint = 'Chat' AND dataset_id = 3").fetchone()
    con.close()
    app.switch_page("pages/upload.py").run()
    no_errors(app)
    app.selectbox(key="remap_pick").set_value(3).run()  # Welle 1 of the customer survey
    editor = next(e for e in app.data_editor if e.key.startswith("remap_mapping_"))
    row = list(editor.value["name"]).index("Chat")
    assert editor.value["scale_max"].iloc[row] == 10
    app.session_state[editor.key] = {"edited_rows": {row: {"scale_min": 0}}, "added_rows": [], "deleted_rows": []}
    app.run()
    no_errors(app)
    preview = next(d.value for d in app.dataframe if "Skala danach" in d.value.columns)
    chat = preview.set_index("Kontaktpunkt").loc["Chat"]
    assert (chat["Skala jetzt"], chat["Skala danach"]) == ("1–10", "0–10")
    app.button(key="remap_apply").click().run()
    no_errors(app)
    assert "neu abgeleitet" in app.success[0].value
    con = store.connect(db_path)
    after = con.execute("SELECT avg(score), count(*), min(scale_min) FROM ratings WHERE touchpoint = 'Chat' AND dataset_id = 3").fetchone()
    assert after == (pytest.approx(before[0]), before[1], 0)  # the same answers, now on 0–10
    assert con.execute("SELECT action FROM audit ORDER BY id DESC LIMIT 1").fetchone()[0] == "dataset.remap"
    con.close()


def test_upload_page_says_a_dataset_without_its_file_needs_a_re_upload(app, db_path):
    app.run()  # seeds the database
    con = store.connect(db_path)
    con.execute("DELETE FROM dataset_files WHERE dataset_id = 3")  # as imported by an earlier version
    con.close()
    app.switch_page("pages/upload.py").run()
    app.selectbox(key="remap_pick").set_value(3).run()
    no_errors(app)
    assert any("erneut hoch" in i.value for i in app.info)
    assert not any(e.key and e.key.startswith("remap_mapping_") for e in app.data_editor)


def test_two_databases_never_share_cached_figures(tmp_path, monkeypatch):
    """The caches were keyed on the data version, a counter every database starts at: a second database
    (another TPM_DB, a restored backup) with the same version and study ids showed the first one's figures."""
    from tpm.ingest import ingest_bytes

    monkeypatch.chdir(ROOT)
    shown = []
    for n in (12, 20):
        path = tmp_path / f"db{n}" / "tpm.duckdb"
        path.parent.mkdir()
        con = store.connect(path)
        store.save_import(con, ingest_bytes("w.csv", german_csv_bytes([["ID", "Hotline (1-5)"]] + [[i, i % 5 + 1] for i in range(n)])))
        version = store.data_version(con)
        con.close()
        monkeypatch.setenv("TPM_DB", str(path))
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        no_errors(at)
        shown.append((version, at.metric[0].value))
    assert shown[0][0] == shown[1][0]  # the planted situation: the same data version in both files
    assert [value for _, value in shown] == ["12", "20"]
