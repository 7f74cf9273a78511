"""Issue #21, themes: lemmas stored at import, themes coded by their rules (planted truth), overrides that survive
re-coding, themes travelling with the study, scope and bad input refused, a schema-8 file migrated, and the
comment ↔ touchpoint link from detection to the stored comment."""

import json

import duckdb
import pytest
from conftest import german_csv_bytes

from tpm import access, store, studies
from tpm.comments.themes import (
    Theme,
    add_theme,
    copy_themes,
    override,
    recode,
    remove_theme,
    theme_table,
    themes,
    update_theme,
)
from tpm.ingest import ingest_bytes
from tpm.ingest.detect import ColumnSpec, tie_comments
from tpm.text.fold import fold
from tpm.text.lemmas import STOP_WORDS, lemma, lemmas
from tpm.text.rules import ThemeError
from tpm.upload import mapping_frame, prepare, specs_from_frame

HOTLINE = "Was können wir an der Hotline besser machen?"
WHY = "Warum würden Sie uns (nicht) weiterempfehlen?"

#: planted comments: (text, mentions Lieferung (stem liefer*), mentions Wartezeit (phrase "zu lange" or word Wartezeit),
#: mentions Rechnung (the word only, not its compounds))
PLANTED = [
    ("Die Lieferung kam viel zu spät", True, False, False),
    ("Wurde nie geliefert!", True, False, False),
    ("Lieferzeiten sind ZU LANGE", True, True, False),
    ("Alles gut, danke", False, False, False),
    ("Ich musste zu lange warten", False, True, False),
    ("Die Wartezeiten am Telefon", False, True, False),
    ("Lange zu warten ist nervig", False, False, False),      # "lange zu": not the phrase's order
    ("Das dauert zu lang", False, False, False),             # "lang" is not the lemma "lange"
    ("Rechnungen waren falsch", False, False, True),
    ("Die Rechnungsadresse stimmt nicht", False, False, False),  # a compound: not the word "Rechnung"
    ("Freundlicher Lieferant, prima", True, False, False),  # the stem reaches every lemma starting with it
    ("123 !!!", False, False, False),                        # no words at all
]
RULES = {"Lieferung": Theme("Lieferung", words=("liefer*",)),
         "Wartezeit": Theme("Wartezeit", words=("Wartezeit",), phrases=("zu lange",), label_en="Waiting"),
         "Rechnung": Theme("Rechnung", words=("Rechnung",))}


def survey(file_name: str, texts: list[str], hotline_texts: list[str] | None = None, seed: int = 0):
    """An export with a Hotline and a Lieferung rating, the NPS, a Hotline comment column and a general one."""
    rows = [["ID", "Wie zufrieden sind Sie mit der Hotline? (1-5)", "Wie zufrieden sind Sie mit der Lieferung? (1-5)",
             "Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen? (0-10)", HOTLINE, WHY]]
    hotline_texts = hotline_texts or []
    for i, text in enumerate(texts):
        rows.append([f"{file_name}-{i}", 1 + (i + seed) % 5, 1 + (2 * i) % 5, i % 11,
                     hotline_texts[i] if i < len(hotline_texts) else "", text])
    return ingest_bytes(file_name, german_csv_bytes(rows))


def coded(con, theme_name: str, study=None) -> set[tuple[int, str]]:
    sid = studies.resolve(con, study)
    return {(r, q) for r, q in con.execute(
        """SELECT c.resp, c.question FROM comment_themes c JOIN datasets d ON d.id = c.dataset_id
           JOIN themes t ON t.study_id = d.study_id AND t.id = c.theme_id WHERE d.study_id = ? AND t.name = ?""",
        [sid, theme_name]).fetchall()}


def expected(column: int) -> set[tuple[int, str]]:
    return {(i, WHY) for i, row in enumerate(PLANTED) if row[column]}


@pytest.fixture
def planted(con):
    saved = store.save_import(con, survey("k1.csv", [row[0] for row in PLANTED]), study="Kunden")
    for theme in RULES.values():
        add_theme(con, "Kunden", theme)
    return con, saved


def test_lemmas_run_offline_from_the_wheels_data():
    """simplemma and stop-words ship their data: importing and lemmatising needs no download."""
    assert lemma("Lieferungen") == "lieferung"
    assert lemma("geliefert") == "liefern" and lemma("Bücher") == "buch"  # lemmatised before folding
    assert {"zu", "und", "the", "and"} <= STOP_WORDS and "lieferung" not in STOP_WORDS


def test_the_import_stores_folded_text_and_lemmas_as_python_computes_them(planted):
    con, saved = planted
    rows = con.execute("SELECT text, folded, lemmas, touchpoint FROM comments WHERE dataset_id = ? AND question = ?",
                       [saved.dataset_id, WHY]).fetchall()
    assert len(rows) == len(PLANTED)
    for text, folded, stored, touchpoint in rows:
        assert folded == fold(text) and stored == " ".join(lemmas(text)) and touchpoint is None


def test_planted_themes_are_coded_exactly(planted):
    con, _ = planted
    assert coded(con, "Lieferung") == expected(1)
    assert coded(con, "Wartezeit") == expected(2)
    assert coded(con, "Rechnung") == expected(3)
    table = theme_table(con, "Kunden").set_index("name")
    assert table.loc["Lieferung", "comments"] == len(expected(1)) and table.loc["Wartezeit", "words"] == "Wartezeit"
    assert [t.label("en") for t in themes(con, "Kunden")] == ["Lieferung", "Waiting", "Rechnung"]


def test_overrides_survive_recoding_and_editing(planted):
    con, saved = planted
    lieferung = next(t for t in themes(con, "Kunden") if t.name == "Lieferung")
    override(con, saved.dataset_id, 0, WHY, lieferung.id, False, "ana")   # the rules say yes; the analyst says no
    override(con, saved.dataset_id, 3, WHY, lieferung.id, True, "ana")    # the rules say no; the analyst says yes
    want = (expected(1) - {(0, WHY)}) | {(3, WHY)}
    assert coded(con, "Lieferung") == want
    recode(con, "Kunden")
    assert coded(con, "Lieferung") == want
    update_theme(con, "Kunden", "Lieferung", Theme("Lieferung", words=("Lieferung",)))  # narrower rules
    assert coded(con, "Lieferung") == {(3, WHY)}  # the word matches comment 0 only, which the override excludes
    override(con, saved.dataset_id, 0, WHY, lieferung.id, None, "ana")    # decision forgotten: the rules again
    assert coded(con, "Lieferung") == {(0, WHY), (3, WHY)}
    remove_theme(con, "Kunden", "Lieferung")
    assert con.execute("SELECT count(*) FROM theme_overrides").fetchone()[0] == 0
    assert coded(con, "Lieferung") == set() and coded(con, "Wartezeit") == expected(2)


def test_bad_themes_are_refused_with_a_message_and_nothing_written(planted):
    con, _ = planted
    before = con.execute("SELECT * FROM themes ORDER BY id").fetchall()
    for theme, key in ((Theme("  "), "err_theme_name_empty"), (Theme("lieferung"), "err_theme_exists"),
                       (Theme("Zahlen", words=("123",)), "err_theme_rule_letters"),
                       (Theme("Regex", words=("liefer.*",)), "err_theme_rule_char"),
                       (Theme("Regex", phrases=("zu (lange)",)), "err_theme_rule_char"),
                       (Theme("Stern", words=("lie*fer",)), "err_theme_rule_char")):
        with pytest.raises(ThemeError) as refused:
            add_theme(con, "Kunden", theme)
        assert refused.value.message.key == key
        assert refused.value.text("de") != refused.value.text("en")
    with pytest.raises(ThemeError, match="No theme 'Preis'"):
        update_theme(con, "Kunden", "Preis", Theme("Preis"))
    with pytest.raises(ThemeError, match="No comment"):
        override(con, 1, 999, WHY, 1, True, "ana")
    assert con.execute("SELECT * FROM themes ORDER BY id").fetchall() == before


def test_themes_travel_into_the_next_wave_and_with_moved_or_merged_datasets(planted):
    con, first = planted
    second = store.save_import(con, survey("k2.csv", ["Lieferung fehlt", "Alles prima"], seed=1), study="Kunden")
    assert {(d, r) for d, r, _ in con.execute("SELECT dataset_id, resp, question FROM comment_themes c JOIN themes t "
                                               "ON t.id = c.theme_id AND t.name = 'Lieferung' WHERE dataset_id = ?",
                                               [second.dataset_id]).fetchall()} == {(second.dataset_id, 0)}
    other = store.save_import(con, survey("fan.csv", ["Die Lieferung", "Rechnung falsch"], seed=2), study="Fans")
    add_theme(con, "Fans", Theme("Rechnung", words=("rechnung",)))
    add_theme(con, "Fans", Theme("Service", words=("prima",)))
    fans = studies.resolve(con, "Fans")
    rechnung_in_kunden = next(t.id for t in themes(con, "Kunden") if t.name == "Rechnung")
    override(con, second.dataset_id, 1, WHY, rechnung_in_kunden, True, "ana")
    studies.move_dataset(con, second.dataset_id, fans)  # coded with the Fans' themes; its override follows the name
    names = dict(con.execute("SELECT id, name FROM themes WHERE study_id = ?", [fans]).fetchall())
    got = {(r, names[t]) for r, t in con.execute("SELECT resp, theme_id FROM comment_themes WHERE dataset_id = ?",
                                                  [second.dataset_id]).fetchall()}
    assert got == {(1, "Rechnung"), (1, "Service")}
    studies.merge(con, fans, studies.resolve(con, "Kunden"))  # Fans' themes join Kunden's where new
    assert [t.name for t in themes(con, "Kunden")] == ["Lieferung", "Wartezeit", "Rechnung", "Service"]
    assert coded(con, "Lieferung") >= {(0, WHY)} and (1, WHY) in coded(con, "Service")
    assert con.execute("SELECT count(*) FROM comment_themes WHERE dataset_id = ?", [other.dataset_id]).fetchone()[0] == 2
    store.delete_dataset(con, second.dataset_id)
    studies.delete(con, studies.resolve(con, "Kunden"))
    assert [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("themes", "comment_themes", "theme_overrides")] == [0, 0, 0]
    assert first.dataset_id not in {r[0] for r in con.execute("SELECT id FROM datasets").fetchall()}


def test_copying_a_code_frame_to_another_study(planted):
    con, _ = planted
    store.save_import(con, survey("fan.csv", ["Lieferung kam nie", "zu lange gewartet"], seed=2), study="Fans")
    add_theme(con, "Fans", Theme("rechnung", words=("Rechnung",)))
    assert copy_themes(con, "Kunden", "Fans") == ["Lieferung", "Wartezeit"]
    assert coded(con, "Lieferung", "Fans") == {(0, WHY)} and coded(con, "Wartezeit", "Fans") == {(1, WHY)}


def test_an_analyst_limited_to_another_study_changes_no_theme(planted):
    con, saved = planted
    fans = store.save_import(con, survey("fan.csv", ["Lieferung"], seed=2), study="Fans").study_id
    studies.set_scope(con, "lea", [fans])
    lea = access.Actor("lea", "analyst", "password")
    before = [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("themes", "comment_themes", "theme_overrides", "audit")]
    for action, args in (("theme.add", ("Kunden", Theme("Preis", words=("preis",)))), ("theme.remove", ("Kunden", "Lieferung")),
                         ("theme.recode", ("Kunden",)), ("theme.override", (saved.dataset_id, 0, WHY, 1, False, "lea")),
                         ("theme.copy", ("Kunden", fans))):
        with pytest.raises(access.OutOfScope):
            access.perform(con, lea, action, *args)
    with pytest.raises(access.Denied):  # a viewer may not edit themes at all
        access.perform(con, access.Actor("vic", "viewer", "password"), "theme.add", fans, Theme("Preis"))
    assert [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("themes", "comment_themes", "theme_overrides", "audit")] == before
    access.perform(con, lea, "theme.add", fans, Theme("Preis", words=("preis",)), target="Preis")  # her own study: done, audited
    assert store.audit_log(con)["action"].iloc[0] == "theme.add"


def test_a_schema_8_file_gets_folded_text_lemmas_and_theme_tables(db_path):
    con = store.connect(db_path)
    store.save_import(con, survey("alt.csv", [row[0] for row in PLANTED]), study="Alt")
    for table in ("themes", "comment_themes", "theme_overrides"):
        con.execute(f"DROP TABLE {table}")
    for column in ("touchpoint", "folded", "lemmas"):
        con.execute(f"ALTER TABLE comments DROP COLUMN {column}")
    con.execute("UPDATE meta SET value = '8' WHERE key = 'schema_version'")
    con.close()
    assert store.needs_migration(db_path)
    con = store.connect(db_path)
    rows = con.execute("SELECT text, folded, lemmas FROM comments").fetchall()
    assert len(rows) == len(PLANTED) and all(f == fold(t) and lem == " ".join(lemmas(t)) for t, f, lem in rows)
    add_theme(con, "Alt", RULES["Wartezeit"])
    assert coded(con, "Wartezeit", "Alt") == expected(2)
    con.close()


def test_a_comment_column_naming_a_touchpoint_is_tied_to_it(con):
    specs = [ColumnSpec("Hotline (1-5)", "rating", touchpoint="Hotline"), ColumnSpec("Rückruf (1-5)", "rating", touchpoint="Rückruf"),
             ColumnSpec("Kommentar Hotline", "comment"), ColumnSpec(HOTLINE, "comment"), ColumnSpec("Anmerkungen zum RUECKRUF", "comment"),
             ColumnSpec("Kommentar Hotlinegebühr", "comment"), ColumnSpec(WHY, "comment")]
    tie_comments(specs)
    assert [s.touchpoint for s in specs[2:]] == ["Hotline", "Hotline", "Rückruf", None, None]
    assert "Hotline" in specs[2].unsure and specs[-1].unsure is None
    prepared = prepare("k.csv", german_csv_bytes(
        [["ID", "Hotline (1-5)", "Lieferung (1-5)", HOTLINE, WHY]] + [[i, 1 + i % 5, 2, f"Hotline {i} zu lange", f"Grund {i}"] for i in range(30)]))
    spec = next(s for s in prepared.specs if s.column == HOTLINE)
    assert (spec.role, spec.touchpoint) == ("comment", "Hotline") and spec.unsure
    # the Upload page's mapping editor: the name column holds the tie; cleared, the comment is general
    frame = mapping_frame(prepared.table, prepared.specs)
    assert frame.loc[frame["column"] == HOTLINE, "name"].item() == "Hotline"
    frame.loc[frame["column"] == WHY, "name"] = "Lieferung"
    frame["confirmed"] = True
    edited = specs_from_frame(frame, detected=prepared.specs)
    saved = store.save_import(con, prepared.apply(edited), study="Kunden")
    tied = dict(con.execute("SELECT DISTINCT question, touchpoint FROM comments WHERE dataset_id = ?", [saved.dataset_id]).fetchall())
    assert tied == {HOTLINE: "Hotline", WHY: "Lieferung"}
    template = store.mapping_template(con, list(prepared.table.columns))  # the next wave gets the tie from the template
    assert {s.column: s.touchpoint for s in template if s.role == "comment"} == tied
    frame.loc[frame["column"] == HOTLINE, "name"] = ""
    assert next(s for s in specs_from_frame(frame, detected=prepared.specs) if s.column == HOTLINE).touchpoint is None


def test_rules_match_in_duckdb_as_the_lemma_rules_say():
    """One pattern per theme: a word needs its lemma, a stem a lemma's start, a phrase consecutive lemmas."""
    from tpm.text.rules import pattern

    rule = pattern(["liefer*", "Rechnung"], ["zu lange"])
    con = duckdb.connect()
    checks = {"lieferung kommen": True, "die lieferzeit": True, "rechnung": True, "rechnungsadresse": False,
              "zu lange": True, "zu langeweile": False, "lange zu": False, "ablieferung": False, "": False}
    assert {text: con.execute("SELECT regexp_matches(?, ?)", [text, rule]).fetchone()[0] for text in checks} == checks
    assert pattern([], []) is None


def test_cli_adds_lists_recodes_and_removes_themes(db_path, cli):
    con = store.connect(db_path)
    store.save_import(con, survey("k1.csv", [row[0] for row in PLANTED]), study="Kunden")
    con.close()
    done = cli("themes", "add", "Lieferung", "--words", "liefer*, Rechnung", "--phrases", "zu lange; nie geliefert",
               "--label-en", "Delivery", "--db", db_path)
    want = len(expected(1) | expected(3) | {(2, WHY), (4, WHY)})  # "zu lange": comments 2 and 4
    assert done.returncode == 0 and f"{want} comments" in done.stdout
    refused = cli("themes", "add", "Kaputt", "--words", "a.b", "--db", db_path)
    assert refused.returncode == 2 and "'a.b'" in refused.stderr
    listed = json.loads(cli("themes", "list", "--json", "--db", db_path).stdout)
    assert [(t["name"], t["label_en"], t["words"], t["phrases"], t["comments"]) for t in listed] == [
        ("Lieferung", "Delivery", ["liefer*", "Rechnung"], ["zu lange", "nie geliefert"], want)]
    assert f"Lieferung: {want} comments" in cli("themes", "recode", "--db", db_path).stdout
    assert cli("themes", "remove", "Lieferung", "--db", db_path).returncode == 0
    assert cli("themes", "list", "--db", db_path).stdout.strip() == "no themes"
    con = store.connect(db_path)
    assert list(store.audit_log(con)["action"][:3]) == ["theme.remove", "theme.recode", "theme.add"]
    con.close()


def _themes_tab_script():
    import streamlit as st

    from pages._db import cursor
    from pages._themes import themes_tab
    from pages._ui import Context
    from tpm import access
    from tpm.metrics import Filter

    role = st.session_state.get("role", "analyst")
    themes_tab(cursor(), Context(lang="en", flt=Filter(study=1), version="1", has_data=True, study=1,
                                 user=access.Actor("ana", role, "password")))


def test_the_themes_tab_adds_a_theme_for_analysts_and_only_shows_it_to_viewers(db_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    con = store.connect(db_path)
    store.save_import(con, survey("k1.csv", [row[0] for row in PLANTED]), study="Kunden")
    con.close()
    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.setenv("TPM_SEED", "0")
    at = AppTest.from_function(_themes_tab_script, default_timeout=30).run()
    at.text_input(key="theme_new_name").input("Lieferung <b>")
    at.text_input(key="theme_new_words").input("liefer*, a.b")
    at.button(key="theme_add_button").click().run()
    assert "'a.b'" in at.error[0].value and not at.dataframe  # refused: nothing stored
    at.text_input(key="theme_new_words").input("liefer*")
    at.button(key="theme_add_button").click().run()
    assert not at.exception and not at.error
    shown = at.dataframe[0].value
    assert shown[["name", "comments"]].values.tolist() == [["Lieferung <b>", len(expected(1))]]
    assert "Lieferung \\<b\\>" in at.success[0].value  # the user's text made inert (pages._text.plain)
    at.session_state["role"] = "viewer"
    at.run()
    assert at.dataframe and not at.button and "Analysts may edit themes." in [c.value for c in at.caption]
