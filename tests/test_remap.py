"""Editing after import (issue 15, item 13): a stored dataset re-mapped from its kept file, and
touchpoints renamed and merged — each visible in the figures, refused for viewers, all or nothing."""

import hashlib
import json

import numpy as np
import pytest
from conftest import table_counts

from tpm import access, inventory, remap, store
from tpm.cli import main
from tpm.ingest import IngestError, ingest_bytes
from tpm.metrics import Filter
from tpm.metrics.satisfaction import touchpoint_stats

# "Website" is asked on 1–10, but nobody in this wave answered above 7: detection proposes 1–7 (unsure)
WEBSITE = [1, 2, 3, 4, 5, 6, 7, 7, 6, 5, 4, 3, 3, 4, 5, 6, 7, 2, 5, 6] * 3
HOTLINE = [1, 2, 3, 4, 5] * 12


def survey_csv(website=WEBSITE, hotline=HOTLINE, extra=None) -> bytes:
    header = ["ID", "Website", "Hotline (1-5)", "Region", "Kommentar"] + ([extra[0]] if extra else [])
    rows = [header]
    for i, (w, h) in enumerate(zip(website, hotline)):
        rows.append([f"r{i}", w, h, ["Nord", "Süd", "Ost"][i % 3], f"Antwort Nummer {i} mit etwas Text"]
                    + ([extra[1](i)] if extra else []))
    return "\n".join(",".join(map(str, r)) for r in rows).encode()


@pytest.fixture
def imported(con):
    result = ingest_bytes("welle1.csv", survey_csv())
    spec = next(s for s in result.specs if s.column == "Website")
    assert (spec.scale_min, spec.scale_max) == (1, 7) and spec.unsure  # the planted wrong guess
    saved = store.save_import(con, result, name="Welle 1", wave="W1", study="Kundenbefragung")
    return saved


def stats(con, study):
    return touchpoint_stats(con, Filter(study=study)).set_index("touchpoint")


def snapshot(con):
    return (table_counts(con), con.execute("SELECT count(*) FROM audit").fetchone()[0], store.data_version(con),
            con.execute("SELECT mapping FROM datasets").fetchall(),
            con.execute("SELECT sum(score), sum(scale_max) FROM ratings").fetchone())


def test_the_import_keeps_the_file(con, imported):
    row = con.execute("SELECT file_name, sha256, size, data FROM dataset_files WHERE dataset_id = ?",
                      [imported.dataset_id]).fetchone()
    assert row[0] == "welle1.csv" and row[2] == len(survey_csv())
    assert remap.unpack(row[3], row[2]) == survey_csv() and len(row[3]) < len(survey_csv())  # kept compressed
    assert hashlib.sha256(remap.unpack(row[3], row[2])).hexdigest() == row[1]
    assert remap.can_remap(con, imported.dataset_id)


def test_remap_a_stray_scale_column_after_import(con, imported):
    before = stats(con, imported.study_id)
    mean = np.mean(WEBSITE)
    assert before.loc["Website", "score_0_100"] == pytest.approx((mean - 1) / 6 * 100)  # read as 1–7: too high
    stored = remap.load(con, imported.dataset_id)
    specs = remap.corrected(stored.specs, "website", scale=(1, 10))
    done = access.perform(con, access.LOCAL, "dataset.remap", imported.dataset_id, specs, target=imported.dataset_id)
    assert done.changes == [{"column": "Website", "scale_max": [7, 10]}]
    after = stats(con, imported.study_id)
    assert after.loc["Website", "score_0_100"] == pytest.approx((mean - 1) / 9 * 100)  # hand computation on 1–10
    assert (after.loc["Website", "scale_min"], after.loc["Website", "scale_max"], after.loc["Website", "n"]) == (1, 10, 60)
    assert after.loc["Hotline", "score_0_100"] == pytest.approx(before.loc["Hotline", "score_0_100"])  # untouched
    # the same dataset: id, study, name, wave; one audit line "dataset.remap" naming the change
    assert con.execute("SELECT id, study_id, name, wave, rows FROM datasets").fetchall() == [
        (imported.dataset_id, imported.study_id, "Welle 1", "W1", 60)]
    log = store.audit_log(con)
    assert log.iloc[0]["action"] == "dataset.remap" and log.iloc[0]["target"] == str(imported.dataset_id)
    assert json.loads(log.iloc[0]["details"])["changes"] == [{"column": "Website", "scale_max": [7, 10]}]
    # the stored mapping and the template for the next wave carry the correction
    mapping = json.loads(con.execute("SELECT mapping FROM datasets").fetchone()[0])
    assert next(s for s in mapping if s["column"] == "Website")["scale_max"] == 10
    template = store.mapping_template(con, ["ID", "Website", "Hotline (1-5)", "Region", "Kommentar"])
    assert next(s for s in template if s.column == "Website").scale_max == 10
    assert table_counts(con)["segments"] == 60 and table_counts(con)["comments"] == 60


def test_remap_a_role_drops_a_wrong_touchpoint_from_data_and_inventory(con):
    data = survey_csv(extra=("Anzahl Kontakte", lambda i: i % 4 + 1))  # a count, but suppose it was read as a rating
    result = ingest_bytes("w.csv", data)
    specs = remap.corrected(result.specs, "Anzahl Kontakte", role="rating", scale=(1, 5))
    saved = store.save_import(con, ingest_bytes("w.csv", data, specs), study="S")
    assert "Anzahl Kontakte" in set(inventory.load(con, saved.study_id)["name"])
    stored = remap.load(con, saved.dataset_id)
    access.perform(con, access.LOCAL, "dataset.remap", saved.dataset_id,
                   remap.corrected(stored.specs, "Anzahl Kontakte", role="ignore"))
    assert "Anzahl Kontakte" not in set(stats(con, saved.study_id).index)
    assert "Anzahl Kontakte" not in set(inventory.load(con, saved.study_id)["name"])  # it was never a touchpoint


def test_bad_mapping_writes_nothing(con, imported):
    stored = remap.load(con, imported.dataset_id)
    before = snapshot(con)
    with pytest.raises(IngestError, match="outside the scale 1–5"):  # answers up to 7
        access.perform(con, access.LOCAL, "dataset.remap", imported.dataset_id,
                       remap.corrected(stored.specs, "Website", scale=(1, 5)))
    with pytest.raises(IngestError, match="2 columns are marked as 'id'"):
        access.perform(con, access.LOCAL, "dataset.remap", imported.dataset_id,
                       remap.corrected(stored.specs, "Region", role="id"))
    with pytest.raises(remap.RemapError, match="No column 'Webseite'"):
        remap.corrected(stored.specs, "Webseite", scale=(1, 10))
    with pytest.raises(remap.RemapError, match="needs a scale"):
        remap.corrected(stored.specs, "Region", role="rating")
    assert snapshot(con) == before


def test_viewer_is_refused_and_nothing_changes(con, imported):
    stored = remap.load(con, imported.dataset_id)
    specs = remap.corrected(stored.specs, "Website", scale=(1, 10))
    before = snapshot(con)
    for actor in (access.Actor("vera", "viewer", "password"), None):
        with pytest.raises(access.Denied):
            access.perform(con, actor, "dataset.remap", imported.dataset_id, specs)
    assert snapshot(con) == before


def test_a_dataset_imported_before_files_were_kept_says_re_upload(con, imported):
    con.execute("DELETE FROM dataset_files")  # as in a database of an earlier version
    assert not remap.can_remap(con, imported.dataset_id)
    with pytest.raises(remap.RemapError) as caught:
        remap.load(con, imported.dataset_id)
    assert "upload the file again" in caught.value.text("en") and "erneut hoch" in caught.value.text("de")


def test_raked_weights_survive_a_remap(con, imported):
    from tpm import weights

    weights.rake_dataset(con, imported.dataset_id, [weights.Margin("Region", "Nord", 50), weights.Margin("Region", "Süd", 25),
                                                   weights.Margin("Region", "Ost", 25)])
    raked = con.execute("SELECT resp, weight FROM respondents ORDER BY resp").fetchall()
    stored = remap.load(con, imported.dataset_id)
    remap.remap(con, imported.dataset_id, remap.corrected(stored.specs, "Website", scale=(1, 10)))
    assert con.execute("SELECT resp, weight FROM respondents ORDER BY resp").fetchall() == raked
    assert con.execute("SELECT source FROM weight_sets").fetchall() == [("raking",)]


def test_cli_remap_dry_run_then_apply(db_path, capsys):
    path = db_path.parent / "welle1.csv"
    path.write_bytes(survey_csv())
    assert main(["ingest", str(path), "--db", str(db_path), "--study", "S"]) == 0
    assert main(["remap", "--db", str(db_path), "--dataset", "welle1", "--scale", "Website=1-10", "--dry-run"]) == 0
    out = capsys.readouterr().out
    score = (np.mean(WEBSITE) - 1) / 9 * 100
    assert f"-> 1–10, n=60, {score:.1f}" in out and "nothing written" in out
    assert main(["remap", "--db", str(db_path), "--dataset", "welle1", "--scale", "Website=1-5"]) == 2
    assert "outside the scale 1–5" in capsys.readouterr().err
    assert main(["remap", "--db", str(db_path), "--dataset", "welle1", "--role", "Website=ignore", "--scale", "Website=1-10"]) == 2
    assert "not a rating" in capsys.readouterr().err
    assert main(["remap", "--db", str(db_path), "--dataset", "welle1", "--scale", "Website=1-10",
                 "--role", "Region=ignore"]) == 0
    assert "2 column(s) changed" in capsys.readouterr().out
    con = store.connect(db_path)
    assert stats(con, None).loc["Website", "score_0_100"] == pytest.approx(score)
    assert table_counts(con)["segments"] == 0
    assert store.audit_log(con).iloc[0]["action"] == "dataset.remap"
    con.close()


# --- rename and merge touchpoints


def two_waves(con, first="Telefon", second="Hotline"):
    """Wave 1 calls the hotline "Telefon" (1–5), wave 2 "Hotline" (1–10)."""
    a = ingest_bytes("w1.csv", "\n".join(["ID,Website," + first + " (1-5)"] + [f"a{i},{i % 10 + 1},{i % 5 + 1}" for i in range(40)]).encode())
    b = ingest_bytes("w2.csv", "\n".join(["ID,Website," + second + " (1-10)"] + [f"b{i},{i % 10 + 1},{i % 10 + 1}" for i in range(50)]).encode())
    first_saved = store.save_import(con, a, wave="W1", study="S")
    store.save_import(con, b, wave="W2", study="S")
    return first_saved.study_id


def test_rename_is_visible_everywhere_and_keeps_the_old_name_as_alias(con):
    sid = two_waves(con)
    from tpm import actions

    measure = actions.create(con, "Telefon", "Rückruf", study=sid)
    access.perform(con, access.LOCAL, "touchpoint.rename", "Telefon", "Telefon-Service", sid)
    table = stats(con, sid)
    assert "Telefon" not in table.index and table.loc["Telefon-Service", "n"] == 40
    assert actions.get(con, measure)["touchpoint"] == "Telefon-Service"
    assert inventory.load(con, sid).set_index("name").loc["Telefon-Service", "aliases"] == "telefon"
    # a later wave with the old header lands on the new name
    c = ingest_bytes("w3.csv", "\n".join(["ID,Telefon (1-5)"] + [f"c{i},{i % 5 + 1}" for i in range(10)]).encode())
    store.save_import(con, c, wave="W3", study=sid)
    assert stats(con, sid).loc["Telefon-Service", "n"] == 50
    with pytest.raises(inventory.TouchpointError, match="exists already"):
        inventory.rename(con, "Telefon-Service", "website", sid)


def test_merge_two_spellings_across_waves_on_different_scales(con):
    sid = two_waves(con)
    access.perform(con, access.LOCAL, "touchpoint.merge", "Telefon", "Hotline", sid)
    table = touchpoint_stats(con, Filter(study=sid))
    hotline = table[table["touchpoint"] == "Hotline"].set_index("scale_max")
    assert set(table["touchpoint"]) == {"Website", "Hotline"}
    assert hotline.loc[5, "n"] == 40 and hotline.loc[10, "n"] == 50  # each wave on its own scale
    assert hotline.loc[5, "mean"] == pytest.approx(np.mean([i % 5 + 1 for i in range(40)]))
    inv = inventory.load(con, sid).set_index("name")
    assert "Telefon" not in inv.index and inv.loc["Hotline", "aliases"] == "telefon"


def test_merge_refused_when_a_respondent_rated_both(con):
    sid = two_waves(con)
    before = (table_counts(con), con.execute("SELECT list(name ORDER BY name) FROM touchpoints").fetchone())
    with pytest.raises(inventory.TouchpointError, match=r"40 respondents .* rated both 'Website' and 'Telefon'"):
        access.perform(con, access.LOCAL, "touchpoint.merge", "Website", "Telefon", sid)
    with pytest.raises(inventory.TouchpointError, match="rated both"):  # the same through an alias in the table
        frame = inventory.load(con, sid).drop(columns="classified")
        frame.loc[frame["name"] == "Telefon", "aliases"] = "Website"
        inventory.save(con, frame, sid)
    assert (table_counts(con), con.execute("SELECT list(name ORDER BY name) FROM touchpoints").fetchone()) == before


def test_viewer_cannot_rename_or_merge(con):
    sid = two_waves(con)
    viewer = access.Actor("vera", "viewer", "password")
    for action, args in (("touchpoint.rename", ("Telefon", "X", sid)), ("touchpoint.merge", ("Telefon", "Hotline", sid))):
        with pytest.raises(access.Denied):
            access.perform(con, viewer, action, *args)
    assert set(stats(con, sid).index) == {"Website", "Telefon", "Hotline"}


def test_cli_renames_and_merges_touchpoints(db_path, capsys):
    con = store.connect(db_path)
    sid = two_waves(con)
    con.close()
    assert main(["touchpoint", "rename", "Telefon", "Telefonservice", "--db", str(db_path)]) == 0
    assert main(["touchpoint", "merge", "Website", "Hotline", "--db", str(db_path)]) == 2
    assert "rated both 'Website' and 'Hotline'" in capsys.readouterr().err
    assert main(["touchpoint", "merge", "Telefonservice", "Hotline", "--db", str(db_path)]) == 0
    assert "merged 'Telefonservice' into 'Hotline'" in capsys.readouterr().out
    con = store.connect(db_path)
    assert set(stats(con, sid).index) == {"Website", "Hotline"}
    assert [r[0] for r in con.execute("SELECT action FROM audit ORDER BY id").fetchall()] == ["touchpoint.rename", "touchpoint.merge"]
    con.close()
