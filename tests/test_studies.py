"""Studies: each survey programme on its own. Proposal on import, isolation of figures and objects,
rename / merge / delete, and the migration of a database made by the version before studies."""

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import table_counts, xlsx_bytes

from tpm import actions, inventory, store, studies
from tpm.ingest import ingest_bytes
from tpm.metrics import Filter

CUSTOMER = ["Hotline", "Website", "Lieferung", "Rechnung"]
NPS_HEADER = "Weiterempfehlung (0-10)"


def survey(n: int, seed: int, style: str = "xlsx", touchpoints=CUSTOMER, scale: int = 10) -> list[list]:
    """A small export: id, region, one rating per touchpoint (header wording by ``style``), NPS."""
    rng = np.random.default_rng(seed)
    label = {"xlsx": "Wie zufrieden sind Sie mit: {}? ({}-{})", "csv": "Zufriedenheit {} ({}-{})"}[style]
    header = ["ID", "Region", *[label.format(t, 1, scale) for t in touchpoints], NPS_HEADER]
    rows = [header]
    for i in range(n):
        rows.append([f"{seed}-{i}", ["Nord", "Süd", "Ost"][i % 3], *[int(v) for v in rng.integers(1, scale + 1, len(touchpoints))],
                     int(rng.integers(0, 11))])
    return rows


def imported(name: str, rows: list[list]):
    return ingest_bytes(name, xlsx_bytes(rows))


FAN = ["Stadion", "Ticketkauf", "Fanshop"]


def load_two_studies(con):
    """Customer survey (two waves, the second reworded) and an unrelated fan poll."""
    w1 = store.save_import(con, imported("kundenbefragung_welle1.xlsx", survey(120, 1)), wave="W1")
    w2 = store.save_import(con, imported("kundenbefragung_welle2.xlsx", survey(90, 2, "csv")), wave="W2")
    fan = store.save_import(con, imported("fanumfrage.xlsx", survey(70, 3, touchpoints=FAN, scale=5)))
    return w1, w2, fan


# --- proposal on import


def test_import_proposes_template_then_touchpoints_then_a_new_study(con):
    w1, w2, fan = load_two_studies(con)
    assert (w1.study_name, w1.study_created) == ("Kundenbefragung", True)
    assert (w2.study_id, w2.study_created) == (w1.study_id, False)  # reworded headers, same touchpoints
    assert fan.study_name == "Fanumfrage" and fan.study_id != w1.study_id
    # the next wave with wave 1's headers matches its mapping template
    proposal = studies.propose_for(con, imported("irgendwas.xlsx", survey(40, 9)))
    assert (proposal.study_id, proposal.reason, proposal.wave_no) == (w1.study_id, "template", 3)
    other = studies.propose_for(con, imported("produkttest.xlsx", survey(40, 4, touchpoints=["Geschmack", "Preis"])))
    assert (other.study_id, other.reason, other.name) == (None, "new", "Produkttest")
    # a new study's name never clashes with an existing one
    clash = studies.propose_for(con, imported("Fanumfrage.xlsx", survey(40, 4, touchpoints=["Geschmack", "Preis"])))
    assert clash.name == "Fanumfrage (2)"


def test_study_by_name_is_created_if_missing_and_matched_case_insensitively(con):
    a = store.save_import(con, imported("a.xlsx", survey(40, 1)), study="Hotline-Befragung")
    b = store.save_import(con, imported("b.xlsx", survey(40, 2, touchpoints=FAN)), study="hotline-befragung")
    assert a.study_created and not b.study_created and a.study_id == b.study_id
    with pytest.raises(studies.StudyError):
        store.save_import(con, imported("c.xlsx", survey(40, 3)), study=999)
    with pytest.raises(studies.StudyError):
        store.save_import(con, imported("d.xlsx", survey(40, 4)), study="   ")
    assert table_counts(con)["datasets"] == 2  # nothing written by the refused imports


def test_file_names_become_study_names():
    assert studies.name_from_file("kundenbefragung_2026_welle1.xlsx") == "Kundenbefragung 2026"
    assert studies.name_from_file("kundenbefragung_2026_welle3_export.csv") == "Kundenbefragung 2026"
    assert studies.name_from_file("NPS_Q3.csv") == "NPS"
    assert studies.name_for(["Kundenbefragung 2026 Welle 1", "Kundenbefragung 2026 Welle 2"]) == "Kundenbefragung 2026"
    assert studies.name_for(["Alpha", "Beta"]) == "Alpha"


# --- isolation: one study's figures equal those of a database holding that study alone


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows with NaN as None, so that equal tables compare equal."""
    frame = frame.assign(**{c: frame[c].round(9) for c in frame.select_dtypes("float").columns})
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def figures(con, study):
    from tpm.cli.figures import summary_dict
    from tpm.metrics.drivers import drivers_for
    from tpm.metrics.segments import segment_breakdown
    from tpm.metrics.trend import nps_trend, touchpoint_trend

    flt = Filter(study=study)
    drivers = drivers_for(con, flt, seed=0).table
    return {
        "summary": summary_dict(con, flt),
        "cells": records(segment_breakdown(con, flt, "Region", "mean")),
        "nps_trend": records(nps_trend(con, flt)),
        "tp_trend": records(touchpoint_trend(con, flt, "score")),
        "drivers": records(drivers),
        "segments": store.segment_values(con, study=study),
        "inventory": records(inventory.load(con, study)),
        "actions": records(actions.plan(con, date(2026, 1, 1), study).drop(columns=["id", "created_at"])),
        "waves": store.list_datasets(con, study)["wave"].tolist(),
    }


def add_objects(con, study, touchpoint):
    inv = inventory.load(con, study)
    inv.loc[inv.name == touchpoint, "target"] = 70
    inventory.save(con, inv, study)
    actions.create(con, touchpoint, f"Maßnahme {touchpoint}", study=study)


def test_a_study_shows_exactly_what_a_database_of_it_alone_shows(tmp_path):
    both = store.connect(tmp_path / "both.duckdb")
    w1, _, fan = load_two_studies(both)
    add_objects(both, w1.study_id, "Hotline")
    add_objects(both, fan.study_id, "Stadion")
    alone = store.connect(tmp_path / "alone.duckdb")
    a1 = store.save_import(alone, imported("kundenbefragung_welle1.xlsx", survey(120, 1)), wave="W1")
    store.save_import(alone, imported("kundenbefragung_welle2.xlsx", survey(90, 2, "csv")), wave="W2")
    add_objects(alone, a1.study_id, "Hotline")
    fan_alone = store.connect(tmp_path / "fan.duckdb")
    f1 = store.save_import(fan_alone, imported("fanumfrage.xlsx", survey(70, 3, touchpoints=FAN, scale=5)))
    add_objects(fan_alone, f1.study_id, "Stadion")

    assert figures(both, w1.study_id) == figures(alone, a1.study_id)
    assert figures(both, fan.study_id) == figures(fan_alone, f1.study_id)
    customer = figures(both, w1.study_id)
    assert customer["summary"]["respondents"] == 210
    assert {t["name"] for t in customer["summary"]["touchpoints"]} == set(CUSTOMER)
    assert [a["touchpoint"] for a in customer["actions"]] == ["Hotline"]
    # a dataset of the other study chosen by id shows nothing, never the other study's figures
    assert figures(both, fan.study_id)["summary"]["respondents"] == 70
    from tpm.metrics.nps import respondent_count
    assert respondent_count(both, Filter.of([w1.dataset_id], study=fan.study_id)) == 0
    for con in (both, alone, fan_alone):
        con.close()


def test_several_studies_and_none_chosen_is_refused(con):
    load_two_studies(con)
    with pytest.raises(studies.StudyError, match="several studies"):
        inventory.load(con)
    with pytest.raises(studies.StudyError, match="several studies"):
        actions.plan(con)
    with pytest.raises(studies.StudyError, match="several studies"):
        actions.create(con, "Hotline", "Schulung")


def test_aliases_of_one_study_leave_the_other_alone(con):
    w1, _, _fan = load_two_studies(con)
    other = store.save_import(con, imported("b2b.xlsx", survey(40, 5, touchpoints=["Telefon-Hotline", "Messe"])), study="B2B")
    inv = inventory.load(con, w1.study_id)
    inv.loc[inv.name == "Hotline", "aliases"] = "Telefon-Hotline"
    inventory.save(con, inv, w1.study_id)
    assert "Telefon-Hotline" in set(inventory.load(con, other.study_id).name)
    n = con.execute("SELECT count(*) FROM ratings WHERE touchpoint = 'Telefon-Hotline'").fetchone()[0]
    assert n == 40  # the B2B study's ratings keep their own name


# --- management


def test_rename_checks_the_name(con):
    w1, _, fan = load_two_studies(con)
    studies.rename(con, w1.study_id, "  Kundenbefragung   2026 ")
    assert studies.name_of(con, w1.study_id) == "Kundenbefragung 2026"
    with pytest.raises(studies.StudyError, match="exists already"):
        studies.rename(con, fan.study_id, "KUNDENBEFRAGUNG 2026")
    with pytest.raises(studies.StudyError):
        studies.rename(con, fan.study_id, " ")
    assert studies.name_of(con, fan.study_id) == "Fanumfrage"
    with pytest.raises(studies.StudyError, match="exists already"):
        studies.create(con, " fanumfrage ")
    numeric = studies.create(con, "2026")  # a name of digits: found by name where no study has that id
    assert studies.find(con, "2026") == numeric and studies.find(con, str(fan.study_id)) == fan.study_id


def test_delete_removes_the_study_with_all_its_rows_and_objects(con):
    w1, _w2, fan = load_two_studies(con)
    add_objects(con, w1.study_id, "Hotline")
    add_objects(con, fan.study_id, "Stadion")
    before = figures(con, fan.study_id)
    v = store.data_version(con)
    assert studies.delete(con, w1.study_id)
    assert store.data_version(con) != v
    assert table_counts(con) == {"datasets": 1, "respondents": 70, "ratings": 210, "segments": 70, "comments": 0}
    for table in ("touchpoints", "touchpoint_aliases", "actions", "mapping_templates", "datasets"):
        left = con.execute(f"SELECT count(*) FROM {table} WHERE study_id = ?", [w1.study_id]).fetchone()[0]
        assert left == 0, table
    assert studies.list_studies(con)["name"].tolist() == ["Fanumfrage"]
    assert figures(con, fan.study_id) == before
    assert not studies.delete(con, w1.study_id)


def test_merge_moves_waves_inventory_and_measures(con):
    w1, _, _ = load_two_studies(con)
    later = store.save_import(con, imported("welle3.xlsx", survey(60, 7, touchpoints=["Telefon-Hotline", "Website", "App"])),
                              study="Kundenbefragung (Kopie)", wave="W3")
    add_objects(con, w1.study_id, "Hotline")
    inv = inventory.load(con, w1.study_id)
    inv.loc[inv.name == "Hotline", "aliases"] = "Telefon-Hotline"
    inventory.save(con, inv, w1.study_id)
    actions.create(con, "App", "App-Login vereinfachen", study=later.study_id)
    studies.merge(con, later.study_id, w1.study_id)
    assert studies.name_of(con, later.study_id) is None
    assert store.list_datasets(con, w1.study_id)["wave"].tolist() == ["W1", "W2", "W3"]
    inv = inventory.load(con, w1.study_id).set_index("name")
    assert "App" in inv.index and "Telefon-Hotline" not in inv.index  # the alias applies to the merged waves
    assert inv.loc["Hotline", "target"] == 70  # the target study's classification is kept
    from tpm.metrics.trend import touchpoint_trend
    hotline = touchpoint_trend(con, Filter(study=w1.study_id), "score").query("touchpoint == 'Hotline'")
    assert hotline["wave"].tolist() == ["W1", "W2", "W3"]
    assert sorted(actions.plan(con, study=w1.study_id)["touchpoint"]) == ["App", "Hotline"]
    with pytest.raises(studies.StudyError):
        studies.merge(con, w1.study_id, w1.study_id)


def test_list_studies_newest_first_with_waves_and_n(con):
    _w1, _w2, fan = load_two_studies(con)
    frame = studies.list_studies(con)
    assert frame["name"].tolist() == ["Fanumfrage", "Kundenbefragung"]
    assert frame["waves"].tolist() == [["fanumfrage"], ["W1", "W2"]]
    assert frame["respondents"].tolist() == [70, 210]
    assert studies.default_study(con) == fan.study_id


# --- migration of a database made by the version before studies (schema version 1)

SCHEMA_V1 = """
CREATE SEQUENCE dataset_ids START 1;
CREATE TABLE datasets (id INTEGER PRIMARY KEY DEFAULT nextval('dataset_ids'), name VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL, sha256 VARCHAR NOT NULL UNIQUE, platform VARCHAR, wave VARCHAR,
    uploaded_at TIMESTAMP NOT NULL, uploaded_by VARCHAR, rows INTEGER NOT NULL, mapping JSON NOT NULL, report JSON NOT NULL);
CREATE TABLE respondents (dataset_id INTEGER NOT NULL, resp INTEGER NOT NULL, respondent_id VARCHAR NOT NULL,
    row_number INTEGER, responded_at TIMESTAMP, nps DOUBLE);
CREATE TABLE ratings (dataset_id INTEGER NOT NULL, resp INTEGER NOT NULL, touchpoint VARCHAR NOT NULL, score DOUBLE NOT NULL,
    scale_min SMALLINT NOT NULL, scale_max SMALLINT NOT NULL);
CREATE TABLE segments (dataset_id INTEGER NOT NULL, resp INTEGER NOT NULL, segment VARCHAR NOT NULL, value VARCHAR NOT NULL);
CREATE TABLE comments (dataset_id INTEGER NOT NULL, resp INTEGER NOT NULL, question VARCHAR NOT NULL, text VARCHAR NOT NULL);
CREATE TABLE touchpoints (name VARCHAR PRIMARY KEY, first_seen TIMESTAMP NOT NULL, phase VARCHAR, channel VARCHAR,
    contact VARCHAR, department VARCHAR, manager VARCHAR, target DOUBLE, benchmark DOUBLE, moment_of_truth BOOLEAN DEFAULT false,
    pain_points VARCHAR);
CREATE TABLE touchpoint_aliases (alias VARCHAR PRIMARY KEY, name VARCHAR NOT NULL);
CREATE SEQUENCE action_ids START 1;
CREATE TABLE actions (id INTEGER PRIMARY KEY DEFAULT nextval('action_ids'), touchpoint VARCHAR NOT NULL, title VARCHAR NOT NULL,
    problem VARCHAR, owner VARCHAR, due DATE, status VARCHAR NOT NULL, step VARCHAR, created_at TIMESTAMP NOT NULL,
    baseline_wave VARCHAR, baseline_score DOUBLE);
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE mapping_templates (signature VARCHAR PRIMARY KEY, mapping JSON NOT NULL, source_file VARCHAR, saved_at TIMESTAMP NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
"""
#: what the version before studies added later (still schema version 1): don't-know answers, overall and weight
SCHEMA_V1_LATER = SCHEMA_V1 + """
CREATE TABLE dont_know (dataset_id INTEGER NOT NULL, resp INTEGER NOT NULL, touchpoint VARCHAR NOT NULL);
ALTER TABLE respondents ADD COLUMN overall DOUBLE; ALTER TABLE respondents ADD COLUMN overall_min SMALLINT;
ALTER TABLE respondents ADD COLUMN overall_max SMALLINT; ALTER TABLE respondents ADD COLUMN weight DOUBLE;
"""


def save_v1(con, result, name, wave):
    """An import as the version before studies stored it (its SQL, on its tables)."""
    import json

    c = result.canonical
    mapping = json.dumps([s.as_dict() for s in c.specs], ensure_ascii=False)
    dataset_id = con.execute(
        """INSERT INTO datasets (name, source_file, sha256, wave, uploaded_at, rows, mapping, report)
           VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?, ?, '{}') RETURNING id""",
        [name, result.file_name, result.sha256, wave, len(c.respondents), mapping]).fetchone()[0]
    frames = (("respondents", c.respondents), ("ratings", c.ratings), ("dont_know", c.dont_know), ("segments", c.segments),
              ("comments", c.comments))
    for table, frame in frames:
        have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}
        columns = ", ".join(col for col in frame.columns if col in have)
        if len(frame) and have:
            con.register("incoming", frame)
            con.execute(f"INSERT INTO {table} (dataset_id, {columns}) SELECT ?, {columns} FROM incoming", [dataset_id])
            con.unregister("incoming")
    con.execute("""UPDATE ratings SET touchpoint = a.name FROM touchpoint_aliases a
                   WHERE ratings.dataset_id = ? AND lower(ratings.touchpoint) = a.alias""", [dataset_id])
    con.execute("""INSERT INTO touchpoints (name, first_seen) SELECT DISTINCT touchpoint, now()::TIMESTAMP FROM ratings
                   WHERE dataset_id = ? ON CONFLICT DO NOTHING""", [dataset_id])
    con.execute("INSERT OR REPLACE INTO mapping_templates VALUES (?, ?, ?, now()::TIMESTAMP)",
                [store.header_signature(list(result.table.columns)), mapping, result.file_name])
    return dataset_id


@pytest.fixture(params=[SCHEMA_V1, SCHEMA_V1_LATER], ids=["first-release", "before-studies"])
def v1_database(tmp_path, request):
    """A database as the version before studies left it: three waves of a customer survey (the
    third from a reworded export), an unrelated fan poll, a classified inventory with an alias,
    measures, custom journey phases and mapping templates."""
    path = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(path))
    con.execute(request.param)
    save_v1(con, imported("kb_w1.xlsx", survey(120, 1)), "Kundenbefragung 2026 Welle 1", "Welle 1")
    save_v1(con, imported("kb_w2.xlsx", survey(100, 2)), "Kundenbefragung 2026 Welle 2", "Welle 2")
    save_v1(con, imported("kb_w3.xlsx", survey(90, 3, "csv")), "Kundenbefragung 2026 Welle 3", "Welle 3")
    save_v1(con, imported("fans.xlsx", survey(70, 4, touchpoints=FAN, scale=5)), "Fanumfrage Sommer", "Sommer")
    con.execute("UPDATE touchpoints SET phase = 'Service', department = 'Kundenservice', target = 72 WHERE name = 'Hotline'")
    con.execute("UPDATE touchpoints SET phase = 'Kauf', target = 60 WHERE name = 'Stadion'")
    con.execute("INSERT INTO touchpoint_aliases VALUES ('telefon-hotline', 'Hotline'), ('arena', 'Stadion')")
    con.execute("""INSERT INTO actions (touchpoint, title, status, created_at, baseline_wave, baseline_score) VALUES
                   ('Hotline', 'Rückrufservice', 'open', now()::TIMESTAMP, 'Welle 1', 50),
                   ('Stadion', 'Mehr Toiletten', 'open', now()::TIMESTAMP, 'Sommer', 40)""")
    con.execute("""INSERT INTO meta VALUES ('phases', '["Vorkauf", "Kauf", "Service"]'), ('data_version', '7')""")
    con.close()
    return path


def test_a_version_1_database_is_migrated_into_studies(v1_database, tmp_path):
    con = store.connect(v1_database)
    frame = studies.list_studies(con).set_index("name")
    assert sorted(frame.index) == ["Fanumfrage Sommer", "Kundenbefragung 2026"]
    customer, fans = int(frame.loc["Kundenbefragung 2026", "id"]), int(frame.loc["Fanumfrage Sommer", "id"])
    assert frame.loc["Kundenbefragung 2026", "waves"] == ["Welle 1", "Welle 2", "Welle 3"]  # wave 3's headers differ
    assert frame.loc["Kundenbefragung 2026", "respondents"] == 310
    assert con.execute("SELECT count(*) FROM datasets WHERE study_id IS NULL").fetchone()[0] == 0
    # the inventory, aliases, phases and measures went to the study they belong to
    hotline = inventory.load(con, customer).set_index("name").loc["Hotline"]
    assert (hotline.phase, hotline.department, hotline.target, hotline.aliases) == ("Service", "Kundenservice", 72, "telefon-hotline")
    assert set(inventory.load(con, customer).name) == set(CUSTOMER)
    assert inventory.load(con, fans).set_index("name").loc["Stadion", "aliases"] == "arena"
    assert set(inventory.load(con, fans).name) == set(FAN)
    assert inventory.phases(con, customer) == inventory.phases(con, fans) == ["Vorkauf", "Kauf", "Service"]
    assert actions.plan(con, study=customer)["title"].tolist() == ["Rückrufservice"]
    assert actions.plan(con, study=fans)["title"].tolist() == ["Mehr Toiletten"]
    # the mapping templates still recognise the next wave, now with its study
    proposal = studies.propose_for(con, imported("kb_w4.xlsx", survey(50, 5)))
    assert (proposal.study_id, proposal.reason, proposal.wave_no) == (customer, "template", 4)
    assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(store.SCHEMA_VERSION)
    assert store.data_version(con) == "7"
    # the figures are unchanged by the migration
    assert figures(con, customer)["summary"]["respondents"] == 310
    con.close()
    again = store.connect(v1_database)  # migrating is done once
    assert len(studies.list_studies(again)) == 2
    again.close()


def test_a_version_1_database_opened_read_only_is_migrated_first(v1_database):
    con = store.connect(v1_database, read_only=True)
    assert len(studies.list_studies(con)) == 2
    con.close()


def test_an_empty_version_1_database_gets_no_study(tmp_path):
    path = tmp_path / "empty.duckdb"
    raw = duckdb.connect(str(path))
    raw.execute(SCHEMA_V1)
    raw.close()
    con = store.connect(path)
    assert studies.list_studies(con).empty and inventory.load(con).empty
    con.close()


def test_move_a_dataset_to_split_a_study(con):
    first = store.save_import(con, imported("kundenbefragung_welle1.xlsx", survey(120, 1)), wave="W1")
    fans = store.save_import(con, imported("fanumfrage.xlsx", survey(70, 3, touchpoints=FAN, scale=5)), study=first.study_id)
    assert fans.study_id == first.study_id  # imported into the wrong study
    with pytest.raises(studies.StudyError):
        studies.move_dataset(con, 999, "Fanumfrage")
    target = studies.move_dataset(con, fans.dataset_id, "Fanumfrage")
    assert studies.name_of(con, target) == "Fanumfrage"
    assert store.list_datasets(con, first.study_id)["wave"].tolist() == ["W1"]
    assert set(inventory.load(con, target).name) == set(FAN)
    assert figures(con, target)["summary"]["respondents"] == 70
    assert figures(con, first.study_id)["summary"]["respondents"] == 120
    # the next fan poll of the same layout is proposed for the study it now belongs to
    proposal = studies.propose_for(con, imported("fanumfrage_2.xlsx", survey(30, 8, touchpoints=FAN, scale=5)))
    assert (proposal.study_id, proposal.reason) == (target, "template")


def test_dataset_labels_put_what_differs_first():
    import pandas as pd

    from tpm.studies import dataset_labels

    same = pd.DataFrame({"id": [3, 4, 5], "name": [f"Kundenbefragung 2026 Welle {k}" for k in (1, 2, 3)],
                         "wave": [f"Kundenbefragung 2026 Welle {k}" for k in (1, 2, 3)]})
    assert dataset_labels(same) == {3: "Welle 1 · Kundenbefragung 2026", 4: "Welle 2 · Kundenbefragung 2026",
                                    5: "Welle 3 · Kundenbefragung 2026"}
    waved = pd.DataFrame({"id": [1, 2], "name": ["Export Mai", "Export Juni"], "wave": ["W1", "W2"]})
    assert dataset_labels(waved) == {1: "W1 · Export Mai", 2: "W2 · Export Juni"}
    single = pd.DataFrame({"id": [7], "name": ["Hotline 2026"], "wave": ["Hotline 2026"]})
    assert dataset_labels(single) == {7: "Hotline 2026"}
