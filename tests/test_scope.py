"""Issue #27 row 1: a study limit limits every write, not only what is shown.

An analyst limited (``tpm.studies.set_scope``) to some studies may change only those — every
write of :data:`tpm.access.WRITES` is checked in :func:`tpm.access.perform` against the studies it
touches (:data:`tpm.access.TOUCHES`) before anything is written — and a merge never widens
anybody's limit."""

import shutil

import pytest
from conftest import ROOT, german_csv_bytes
from streamlit.testing.v1 import AppTest

from tpm import access, inventory, store, studies
from tpm.comments.themes import Theme
from tpm.upload import prepare
from tpm.weights import Margin

ANNA = access.Actor("anna", "analyst", "password")  # limited to the hotline and the chat study
ADMIN = access.Actor("ali", "admin", "password")


def survey(file_name: str, touchpoints: list[str], n: int, seed: int = 0):
    rows = [["ID", "Region", *[f"{tp} (1-5)" for tp in touchpoints], "Kommentar"]]
    # the first touchpoint rated by even respondents, the others by odd ones (so the first two can be merged)
    rows += [[i, ["Nord", "Süd"][i // 2 % 2], *[(i + seed + k) % 5 + 1 if (k == 0) == (i % 2 == 0) else "" for k in range(len(touchpoints))],
              f"Antwort {i}: die Lieferung"] for i in range(n)]
    return prepare(file_name, german_csv_bytes(rows)).apply_detected()


def build_three(con) -> dict:
    """Three studies (hotline 20, chat 12, main 60 respondents), a measure in each; anna limited to hotline and chat."""
    ids = {}
    for key, name, tps, n in (("hotline", "Hotline-Befragung", ["Hotline", "Rückruf"], 20),
                              ("chat", "Chat-Befragung", ["Chat", "Bot"], 12),
                              ("main", "Kundenbefragung", ["Filiale", "Website", "Kasse"], 60)):
        saved = store.save_import(con, survey(f"{key}.csv", tps, n), name=f"{name} W1", study=name)
        studies.set_phases(con, saved.study_id, ["Vorher", "Nachher"])
        action = access.perform(con, ADMIN, "action.create", tps[0], "Maßnahme", study=saved.study_id)
        access.perform(con, ADMIN, "alert.add", saved.study_id, "Alle", [f"{tps[0]} <= 5"])  # a case per rater
        access.perform(con, ADMIN, "alert.run", saved.study_id)
        ids[key] = (saved.study_id, saved.dataset_id, action, tps)
    studies.set_scope(con, "anna", [ids["hotline"][0], ids["chat"][0]])
    return ids


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The three studies built once per module (a copy of the file for each test: ~0.1 s instead of ~1.3 s)."""
    path = tmp_path_factory.mktemp("scope") / "three.duckdb"
    con = store.connect(path)
    ids = build_three(con)
    con.close()
    return path, ids


@pytest.fixture
def three(built, db_path):
    """A fresh copy of the three studies at ``db_path``; yields (connection, ids)."""
    shutil.copyfile(built[0], db_path)
    con = store.connect(db_path)
    yield con, built[1]
    con.close()


def snapshot(con):
    """Every table's whole content (a digest each) — anything written shows."""
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
    return {t: con.execute(f"SELECT count(*), md5(coalesce(string_agg(x::VARCHAR, '|' ORDER BY x::VARCHAR), '')) FROM {t} x").fetchone()
            for t in tables}


def calls_on(con, study: int, dataset: int, action: int, tps: list[str], other: int, new_file: str):
    """Every analyst write, aimed at ``study`` (its dataset, measure, touchpoints); a move/merge towards ``other``."""
    result = survey(new_file, tps, 8, seed=3)
    case = con.execute("SELECT min(id) FROM cases WHERE study_id = ?", [study]).fetchone()[0]
    return {
        "dataset.import": (result,), "dataset.rename": (dataset, "Neu", "W9"), "dataset.remap": (dataset, store_specs(con, dataset)),
        "dataset.move": (dataset, other), "dataset.weights": (dataset, [Margin("Region", "Nord", 40), Margin("Region", "Süd", 60)]),
        "inventory.save": (inventory.load(con, study).drop(columns=["classified"]), study),
        "inventory.phases": (["Erst", "Dann"], study), "inventory.import": (inventory.to_excel(con, study), study),
        "action.create": (tps[0], "Noch eine"), "action.update": (action,), "action.delete": (action,),
        "touchpoint.merge": (tps[1], tps[0], study), "touchpoint.rename": (tps[0], tps[0] + " neu", study),
        "study.rename": (study, "Umbenannt"), "study.merge": (study, other),
        "template.delete": (["ID", "Region", *[f"{tp} (1-5)" for tp in tps], "Kommentar"],),
        "theme.add": (study, Theme("Lieferung", words=("liefer*",))),
        "theme.update": (study, "Lieferung", Theme("Lieferung", words=("lieferung",))), "theme.recode": (study,),
        "theme.override": (dataset, 0, "Kommentar", 1, False, "anna"), "theme.copy": (other, study),
        "theme.remove": (study, "Lieferung"),
        "alert.add": (study, "Neu", ["Region = Nord"]), "alert.remove": (study, "Alle"), "alert.run": (study,),
        "case.status": ([case], "done"), "case.assign": ([case], "anna"), "case.close": (case, "erledigt"),
        "case.note": (case, "Notiz"),
    }, {"dataset.import": {"study": study}, "action.create": {"study": study}, "action.update": {"title": "Geändert"}}


def store_specs(con, dataset: int):
    from tpm import remap

    return remap.load(con, dataset).specs


ADMIN_ONLY = {action for action in access.WRITES if access.WRITES[action][0] == "admin"}


def test_every_write_has_a_scope_rule():
    assert set(access.TOUCHES) == set(access.WRITES)


def test_limited_analyst_changes_nothing_outside_her_studies(three):
    con, three = three
    main, dataset, action, tps = three["main"]
    calls, kwargs = calls_on(con, main, dataset, action, tps, three["hotline"][0], "main2.csv")
    assert set(calls) == set(access.WRITES) - ADMIN_ONLY  # a new write needs a case here, too
    before = snapshot(con)
    for name, args in calls.items():
        with pytest.raises(access.OutOfScope):
            access.perform(con, ANNA, name, *args, target="x", **kwargs.get(name, {}))
        assert snapshot(con) == before, name
    # into her study, but from the other one: the source counts as much as the target
    with pytest.raises(access.OutOfScope):
        access.perform(con, ANNA, "dataset.move", dataset, three["hotline"][0])
    with pytest.raises(access.OutOfScope):
        access.perform(con, ANNA, "study.merge", main, three["hotline"][0])
    assert snapshot(con) == before


def test_limited_analyst_creates_no_new_study(three):
    con, three = three
    before = snapshot(con)
    hotline_ds = three["hotline"][1]
    for args, kwargs in (((survey("neu.csv", ["Brief"], 8),), {"study": "Ganz neu"}),  # named new
                         ((survey("neu.csv", ["Brief"], 8),), {}),  # proposed new: nothing matches its touchpoints
                         ((hotline_ds, "Abgespalten"), {})):  # a wave moved into a new study
        with pytest.raises(access.OutOfScope, match="create a study"):
            access.perform(con, ANNA, "dataset.import" if len(args) == 1 else "dataset.move", *args, **kwargs)
    assert snapshot(con) == before
    unlimited = access.Actor("uli", "analyst", "password")  # an unlimited analyst may
    saved = access.perform(con, unlimited, "dataset.import", survey("neu.csv", ["Brief"], 8), study="Ganz neu")
    assert saved.study_created


def test_a_file_stored_in_another_study_is_not_imported_nor_named(three):
    con, three = three
    result = survey("main.csv", three["main"][3], 60)  # the very file of the other study
    assert store.find_by_hash(con, result.sha256)
    with pytest.raises(access.OutOfScope) as refused:
        access.perform(con, ANNA, "dataset.import", result, study=three["hotline"][0])
    assert "Kundenbefragung" not in str(refused.value)


def test_limited_analyst_writes_inside_her_studies(three):
    con, three = three
    hotline, dataset, action, tps = three["hotline"]
    calls, kwargs = calls_on(con, hotline, dataset, action, tps, three["chat"][0], "hotline2.csv")
    order = [a for a in calls if a not in ("action.delete", "dataset.move", "study.merge")] + ["action.delete", "dataset.move", "study.merge"]
    for name in order:
        access.perform(con, ANNA, name, *calls[name], target="x", **kwargs.get(name, {}))
    log = store.audit_log(con)
    assert set(calls) <= set(log.loc[log["actor"] == "anna", "action"])
    assert studies.scope_of(con, "anna") == [three["chat"][0]]  # she saw both merged studies: she sees the merged one


def visible_respondents(con, actor) -> int:
    visible = access.visible_studies(con, actor)
    frame = store.list_datasets(con)
    ids = con.execute("SELECT id, study_id FROM datasets").fetchall()
    study_of = dict(ids)
    return int(sum(r for i, r in zip(frame["id"], frame["respondents"]) if visible is None or study_of[i] in visible))


def test_the_merge_from_the_finding_widens_nobodys_limit(three):
    con, three = three
    """The finding: anna merged her study into another, and her limit (and another user's) followed
    to the merged study — 500 → 4 300 respondents visible. Here: refused for her; done by an admin,
    nobody limited sees more than before."""
    hotline, main, chat = three["hotline"][0], three["main"][0], three["chat"][0]
    studies.set_scope(con, "vera", [hotline])  # another user limited to the hotline study
    studies.set_scope(con, "bert", [main])  # one limited to the target
    studies.set_scope(con, "carl", [hotline, main])  # one who sees both
    users = {name: access.Actor(name, "viewer", "password") for name in ("vera", "bert", "carl")} | {"anna": ANNA}
    seen = {name: visible_respondents(con, actor) for name, actor in users.items()}
    assert seen["anna"] == 32 and seen["vera"] == 20

    with pytest.raises(access.OutOfScope):
        access.perform(con, ANNA, "study.merge", hotline, main)
    assert studies.name_of(con, hotline) and {name: visible_respondents(con, a) for name, a in users.items()} == seen

    narrowed = access.perform(con, ADMIN, "study.merge", hotline, main)
    after = {name: visible_respondents(con, actor) for name, actor in users.items()}
    assert all(after[name] <= seen[name] for name in users), (seen, after)
    assert sorted(narrowed) == ["anna", "bert", "vera"]
    assert studies.scope_of(con, "carl") == [main] and after["carl"] == seen["carl"] == 80
    assert studies.scope_of(con, "vera") == [] and studies.scope_of(con, "anna") == [chat]


def test_study_management_offers_an_analyst_only_her_studies_and_no_delete(three, db_path, monkeypatch, logged_in):
    three[0].close()
    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.chdir(ROOT)
    logged_in(db_path, ANNA)
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60)
    at.session_state["lang_choice"] = "Deutsch"
    at.run()
    assert not at.exception and not at.error
    mine = {"Hotline-Befragung", "Chat-Befragung"}
    for key in ("study_rename_pick", "study_merge_source", "move_target"):
        assert set(at.selectbox(key=key).options) <= mine, key  # (the options as shown)
    assert set(at.selectbox(key="study_rename_pick").options) == mine
    assert "Kundenbefragung" not in " ".join(str(df.value) for df in at.dataframe)
    assert not any(w.key == "study_delete_pick" for w in at.selectbox)
    assert not any(b.key in ("study_delete_button", "delete_button") for b in at.button)


def test_a_template_from_another_study_does_not_name_its_file(three, db_path, monkeypatch, logged_in):
    """The mapping of a file stored in a study outside her limit is applied to her upload with the
    same columns, but that file's name is not shown to her (it is to an admin)."""
    three[0].close()
    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.chdir(ROOT)
    rows = [["ID", "Region", "Filiale (1-5)", "Website (1-5)", "Kasse (1-5)", "Kommentar"]] + [[i, "Nord", 1 + i % 5, 2, 3, f"Text {i}"] for i in range(40)]
    for actor, named in ((ANNA, False), (ADMIN, True)):
        logged_in(db_path, actor)
        at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=60)
        at.session_state["lang_choice"] = "Deutsch"
        at.run()
        at.file_uploader(key="upload").set_value(("welle2.csv", german_csv_bytes(rows), "text/csv")).run()
        assert not at.exception
        notes = [i.value for i in at.info if "Zuordnung bestätigt" in i.value]
        assert len(notes) == 1 and ("main.csv" in notes[0]) == named, (actor, notes)
        assert named or "Kundenbefragung" not in " ".join(i.value for i in at.info)


def test_cli_merge_says_whom_the_merged_study_is_no_longer_shared_with(three, db_path, cli):
    con, ids = three
    studies.set_scope(con, "vera", [ids["hotline"][0]])
    con.close()
    done = cli("study", "merge", "Hotline-Befragung", "Kundenbefragung", "--db", db_path)
    assert done.returncode == 0 and "no longer shared with (they saw only one of the two): anna, vera" in done.stdout
