"""Issue 21, the comments themselves: masking personal data (tpm/text/mask.py), the comment query with
its filters, search, base and privacy rules (tpm/comments/query.py), the Comments page and the CLI."""

import pytest

from tpm.text.mask import TOKENS, mask

# --- masking -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "kind", "kept"), [
    ("Schreiben Sie mir an max.mustermann@web.de bitte", "email", "bitte"),
    ("erreichbar unter erika (at) example.org", "email", "erreichbar unter"),
    ("Rufen Sie an: 0171 2345678.", "phone", "Rufen Sie an:"),
    ("call +49 (0)30 123 456 78 today", "phone", "today"),
    ("Festnetz (030) 123 45 67", "phone", "Festnetz"),
    ("Tel. 12345 ab 18 Uhr", "phone", "ab 18 Uhr"),
    ("IBAN DE89 3704 0044 0532 0130 00 für die Erstattung", "iban", "für die Erstattung"),
    ("refund to GB82WEST12345698765432", "iban", "refund to"),
    ("Karte 4111 1111 1111 1111 wurde doppelt belastet", "card", "doppelt belastet"),
    ("meine Kundennummer: K-12345 bitte prüfen", "number", "meine Kundennummer:"),
    ("Vertrags-Nr. 99887766", "number", "Vertrags-Nr."),
    ("my customer no. 4711-22 was wrong", "number", "my customer no."),
])
def test_each_kind_is_masked_and_the_rest_kept(text, kind, kept):
    masked = mask(text)
    assert TOKENS[kind] in masked
    assert kept in masked
    assert sum(c.isdigit() for c in masked.replace(kept, "")) == 0  # no digit of the item is left
    assert "@" not in masked


@pytest.mark.parametrize("text", [
    "Am 01.02.2024 war ich in der Filiale", "Termin 01/02/2024 verschoben", "seit 2024-03-12 kaputt",
    "für 49,90 € und dann nur 0,99 €", "1.299,00 € für einen Router", "10115 Berlin und 01067 Dresden",
    "5 Sterne", "Kunde seit 2019", "um 09:30 Uhr", "Bestellung 1234567890123 kam nicht",  # fails Luhn: no card
    "von 0 bis 10 Punkte", "Bewertung 0 - 10 20 30", "ab12 test abcd efgh", "Hotline (Montag) war gut",
])
def test_non_personal_look_alikes_stay(text):
    assert mask(text) == text


def test_card_rule_is_luhn_not_length():
    assert mask("4111 1111 1111 1111") == TOKENS["card"]  # the Visa test number passes Luhn
    assert mask("4111 1111 1111 1112") == "4111 1111 1111 1112"  # one digit off: a mere number


# --- the comment query -------------------------------------------------------------------------------------

import random  # noqa: E402

import pandas as pd  # noqa: E402
from conftest import german_csv_bytes  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tpm import store  # noqa: E402
from tpm.comments.query import comment_page  # noqa: E402
from tpm.metrics import Filter  # noqa: E402
from tpm.metrics.rules import ANONYMITY, DETRACTOR_MAX, NPS_GROUPS, PROMOTER_MIN  # noqa: E402

PHRASES = ["Die Straße war gesperrt", "Herr Müller an der Hotline war freundlich", "lange Warteschleife",
           "Filiale zu voll", "GRÖSSERE Auswahl bitte", "alles gut", "Warteschleife, Warteschleife, Warteschleife!",
           "Preis 49,90 € zu hoch", "ruft mich an: 0171 2345678"]
HEADER = ["ID", "Datum", "Region", "Hotline (1-5)", "Filiale (1-5)", "Weiterempfehlung (0-10)", "Anmerkungen",
          "Kommentar Hotline"]


def _wave(rng: random.Random, wave: int, n: int) -> list[list]:
    rows = [HEADER]
    for i in range(n):
        rows.append([f"W{wave}-{i}", f"2024-0{wave}-{i % 28 + 1:02d} {i % 24:02d}:00", rng.choice(["Nord", "Süd", "Ost"]),
                     rng.randint(1, 5), rng.choice([rng.randint(1, 5), ""]), rng.choice([*range(11), ""]),
                     rng.choice([*PHRASES, ""]), rng.choice(["Hotline: " + rng.choice(PHRASES), "", ""])])
    return rows


def build(path):
    """Two waves of a study with comments in two questions (one tied to the Hotline), and the same rows as a
    pandas frame — one row per comment — the truth every filter is checked against. Themes coded by hand."""
    from tpm.ingest import ingest_bytes

    rng = random.Random(21)
    con = store.connect(path)
    truth = []
    for wave in (1, 2):
        rows = _wave(rng, wave, 80)
        saved = store.save_import(con, ingest_bytes(f"welle{wave}.csv", german_csv_bytes(rows)), name=f"Welle {wave}",
                                  study="Kundenbefragung")
        for resp, row in enumerate(rows[1:]):
            for question in ("Anmerkungen", "Kommentar Hotline"):
                text = row[HEADER.index(question)]
                if text:
                    truth.append({"dataset_id": saved.dataset_id, "resp": resp, "question": question, "text": text,
                                  "wave": f"Welle {wave}", "responded_at": pd.Timestamp(row[1]), "region": row[2],
                                  "hotline": row[3], "filiale": row[4] if row[4] != "" else None,
                                  "nps": row[5] if row[5] != "" else None, "respondent_id": row[0],
                                  "touchpoint": "Hotline" if question == "Kommentar Hotline" else None})
    # schema 9: the import tied "Kommentar Hotline" to the Hotline; the themes are coded by the real rules
    from tpm.comments.themes import Theme, add_theme

    study = con.execute("SELECT id FROM studies").fetchone()[0]
    add_theme(con, study, Theme("wait", words=("Warteschleife",), label_de="Wartezeit", label_en="Waiting"))
    add_theme(con, study, Theme("staff", words=("Müller",), label_de="Personal", label_en="Staff"))
    frame = pd.DataFrame(truth)
    frame["themes"] = [[n for n, w in (("Personal", "Müller"), ("Wartezeit", "Warteschleife")) if w in t] for t in frame["text"]]
    con.close()
    return frame, study


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    path = tmp_path_factory.mktemp("comments") / "c.duckdb"
    frame, study = build(path)
    con = store.connect(path)
    yield con, frame, study
    con.close()


def _group(nps):
    if nps is None or pd.isna(nps):
        return None
    return "promoter" if nps >= PROMOTER_MIN else "detractor" if nps <= DETRACTOR_MAX else "passive"


def expected(frame, *, waves=(), regions=(), nps_group=None, touchpoint=None, rating_max=None, theme=None, words=()):
    """The comments a plain pandas filter keeps (touchpoint "Hotline" only: every respondent rated it)."""
    keep = pd.Series(True, index=frame.index)
    if waves:
        keep &= frame["dataset_id"].isin(waves)
    if regions:
        keep &= frame["region"].isin(regions)
    cell = keep.copy()
    if nps_group:
        keep &= frame["nps"].map(_group) == nps_group
    if touchpoint == "Hotline":  # tied to the Hotline, or general (every respondent rated the Hotline)
        keep &= frame["touchpoint"].isna() | (frame["touchpoint"] == "Hotline")
    if touchpoint == "Filiale":  # general comments of those who rated the Filiale; never one tied to the Hotline
        keep &= frame["touchpoint"].isna() & frame["filiale"].notna()
    if rating_max is not None:
        keep &= frame["hotline" if touchpoint == "Hotline" else "filiale"].fillna(99) <= rating_max
    cell = keep.copy()
    if theme:
        keep &= frame["themes"].map(lambda names: theme in names)
    for word in words:
        keep &= frame["text"].str.lower().str.contains(word.lower())
    return frame[keep], frame[cell]


def _flt(con, study, waves=(), regions=()):
    return Filter.of(list(waves), {"Region": list(regions)} if regions else None, study)


@settings(max_examples=30, deadline=None)
@given(waves=st.sets(st.sampled_from([1, 2])), regions=st.sets(st.sampled_from(["Nord", "Süd", "Ost"])),
       nps_group=st.sampled_from([None, "detractor", "passive", "promoter"]),
       touchpoint=st.sampled_from([None, "Hotline", "Filiale"]), rating_max=st.sampled_from([None, 1, 2, 4]),
       theme=st.sampled_from([None, 1, 2]), word=st.sampled_from([None, "Warteschleife", "Hotline", "gut"]))
def test_every_filter_keeps_what_pandas_keeps(planted, waves, regions, nps_group, touchpoint, rating_max, theme, word):
    con, frame, study = planted
    rating_max = rating_max if touchpoint else None
    want, cell = expected(frame, waves=waves, regions=regions, nps_group=nps_group, touchpoint=touchpoint,
                          rating_max=rating_max, theme={1: "Wartezeit", 2: "Personal"}.get(theme), words=[word] if word else [])
    got = comment_page(con, _flt(con, study, waves, regions), nps_group=nps_group, touchpoint=touchpoint,
                       rating_max=rating_max, theme=theme, search=word, per_page=1000, role="analyst")
    assert got.total == len(expected(frame, waves=waves, regions=regions)[0])
    if cell[["dataset_id", "resp"]].drop_duplicates().shape[0] < ANONYMITY:
        assert got.hidden_small_base and got.rows.empty and got.matched == 0
        return
    assert not got.hidden_small_base
    assert got.matched == len(want)
    key = ["dataset_id", "resp", "question"]
    assert sorted(map(tuple, got.rows[key].values.tolist())) == sorted(map(tuple, want[key].values.tolist()))
    merged = got.rows.merge(want, on=key, suffixes=("", "_want"))
    assert (merged["wave"] == merged["wave_want"]).all()
    assert (merged["respondent_id"] == merged["respondent_id_want"]).all()
    assert [g if isinstance(g, str) else None for g in merged["nps_group"]] == [_group(n) for n in merged["nps_want"]]
    assert [r["Hotline"] for r in merged["ratings"]] == list(merged["hotline"])
    assert [s["Region"] for s in merged["segments"]] == list(merged["region"])
    assert list(merged["themes"]) == list(merged["themes_want"])
    assert list(merged["touchpoint"].fillna("-")) == list(merged["touchpoint_want"].fillna("-"))


def test_search_folds_case_umlauts_and_sharp_s(planted):
    con, frame, study = planted
    flt = _flt(con, study)
    for query, word in (("strasse", "Straße"), ("MUELLER", "Müller"), ("grössere", "GRÖSSERE"), ("muller hotline", "Müller")):
        got = comment_page(con, flt, search=query, per_page=1000)
        assert got.matched == frame["text"].str.contains(word).sum() > 0
        assert all(word in text for text in got.rows["text"])


def test_a_quoted_phrase_is_one_term_and_every_term_must_occur(planted):
    con, frame, study = planted
    flt = _flt(con, study)
    phrase = comment_page(con, flt, search='"an der hotline"', per_page=1000)
    assert phrase.matched == frame["text"].str.contains("an der Hotline").sum() > 0
    words = comment_page(con, flt, search="hotline freundlich", per_page=1000)
    assert words.matched == (frame["text"].str.contains("Hotline") & frame["text"].str.contains("freundlich")).sum()
    assert comment_page(con, flt, search="hotline Zeppelin").matched == 0


def test_relevance_ranks_dense_mentions_first_and_pages_add_up(planted):
    con, frame, study = planted
    flt = _flt(con, study)
    ranked = comment_page(con, flt, search="warteschleife", sort="relevance", per_page=1000)
    assert ranked.rows["text"].iloc[0] == "Warteschleife, Warteschleife, Warteschleife!"  # 3 in 44 characters
    density = [t.lower().count("warteschleife") / len(t) for t in ranked.rows["text"]]
    assert density == sorted(density, reverse=True)
    by_date = comment_page(con, flt, per_page=1000)
    assert list(by_date.rows["responded_at"]) == sorted(by_date.rows["responded_at"], reverse=True)
    pages = [comment_page(con, flt, page=p, per_page=50) for p in range(5)]
    assert [len(p.rows) for p in pages] == [50, 50, 50, 45, 0] and len(frame) == 195
    assert {p.matched for p in pages} == {195} and {p.total for p in pages} == {195}
    seen = pd.concat([p.rows for p in pages])
    assert len(seen.drop_duplicates(["text", "question", "responded_at", "wave", "nps"])) <= 195
    assert list(seen["responded_at"]) == list(by_date.rows["responded_at"])


def test_texts_are_masked_and_viewers_see_no_ids(planted):
    con, _, study = planted
    flt = _flt(con, study)
    viewer = comment_page(con, flt, search="ruft mich an", per_page=1000)
    assert viewer.matched > 0 and set(viewer.rows["text"]) <= {"ruft mich an: [Tel.]", "Hotline: ruft mich an: [Tel.]"}
    assert not {"respondent_id", "resp", "dataset_id"} & set(viewer.rows.columns)
    analyst = comment_page(con, flt, search="ruft mich an", per_page=1000, role="analyst")
    assert {"respondent_id", "resp", "dataset_id"} <= set(analyst.rows.columns)


def test_sql_in_a_search_is_just_text(planted):
    con, frame, study = planted
    flt = _flt(con, study)
    for attack in ("'; DROP TABLE comments; --", "' OR 1=1 --", '" OR ""="', "%", "_"):
        assert comment_page(con, flt, search=attack).matched == 0
    assert con.execute("SELECT count(*) FROM comments").fetchone()[0] == len(frame)


def test_bad_arguments_say_which():
    with pytest.raises(ValueError, match="nps_group"):
        comment_page(None, Filter(), nps_group="fans")
    with pytest.raises(ValueError, match="rating_max"):
        comment_page(None, Filter(), rating_max=2)
    with pytest.raises(ValueError, match="per_page"):
        comment_page(None, Filter(), page=-1)


# --- the Comments page -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("comments_page") / "p.duckdb"
    return path, *build(path)


def comments_app(path, monkeypatch, **params):
    from conftest import page_app

    return page_app(path, monkeypatch, "comments", **params)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_page_shows_counts_plain_masked_comments_and_keeps_filters_in_the_url(page_db, monkeypatch, lang):
    path, frame, _ = page_db
    at = comments_app(path, monkeypatch, lang=lang, **{"c.grp": "detractor", "c.q": "ruft mich an"})
    want = frame[frame["text"].str.contains("ruft mich an") & (frame["nps"].map(_group) == "detractor")]
    title = {"de": "Kommentare", "en": "Comments"}[lang]
    assert at.title[0].value == title
    tabs = {"de": ["Kommentare", "Vorschläge", "Wirkung"], "en": ["Comments", "Suggestions", "Impact"]}[lang]
    assert [tab.label for tab in at.tabs][:1] + [tab.label for tab in at.tabs][-2:] == tabs  # the statistics' tabs beside
    count = {"de": f"{len(want)} von {len(frame)} Kommentaren", "en": f"{len(want)} of {len(frame)} comments"}[lang]
    assert any(m.value == count for m in at.markdown), [m.value for m in at.markdown]
    texts = [m.value for m in at.markdown if "ruft mich an" in m.value]
    assert len(texts) == len(want) > 0
    assert all("\\[Tel.\\]" in v and "0171" not in v for v in texts)  # masked, and "[" escaped: plain text
    assert at.selectbox(key="q_c.grp").value == "detractor"
    assert at.text_input(key="q_c.q").value == "ruft mich an"
    at.selectbox(key="q_c.tp").set_value("Filiale").run()
    assert at.query_params["c.tp"] == "Filiale" and at.query_params["c.q"] == "ruft mich an"


def test_only_the_open_tab_runs_and_a_link_opens_it(page_db, monkeypatch):
    """The tab is in the URL (c.tab): a link to the Impact tab shows the impact chart and does not run the list of
    comments (nor the suggestions: a large study's terms take seconds and must not delay another tab)."""
    path, _, _ = page_db
    at = comments_app(path, monkeypatch, lang="en", **{"c.tab": "Impact"})
    assert not any(m.value.endswith(" comments") for m in at.markdown)       # no count line: the list did not run
    assert not at.get("subheader") or all(h.value != "Words detractors use more often" for h in at.subheader)
    opened = comments_app(path, monkeypatch, lang="en")
    assert any(m.value.endswith(" comments") for m in opened.markdown)        # the default tab: the list


def test_a_cell_below_the_anonymity_base_shows_nothing_and_search_does_not_shrink_it(planted):
    import itertools

    con, frame, study = planted
    combos = itertools.product([(1,), (2,)], ["Nord", "Süd", "Ost"], NPS_GROUPS, [1, 2])
    small = large = None
    for waves, region, group, rating in combos:
        _, cell = expected(frame, waves=waves, regions=[region], nps_group=group, touchpoint="Hotline", rating_max=rating)
        n = len(cell[["dataset_id", "resp"]].drop_duplicates())
        if 0 < n < ANONYMITY and small is None:
            small = (waves, region, group, rating, n)
        if n >= ANONYMITY and large is None:
            large = (waves, region, group, rating, n)
    assert small and large  # the planted data has both kinds of cell
    for waves, region, group, rating, n in (small, large):
        got = comment_page(con, _flt(con, study, waves, [region]), nps_group=group, touchpoint="Hotline", rating_max=rating)
        assert got.hidden_small_base == (n < ANONYMITY)
        assert got.rows.empty == (n < ANONYMITY)
    # the boundary, exactly: a cell of n respondents is shown with a base of n, hidden with a base of n + 1
    waves, region, group, rating, n = large
    flt = _flt(con, study, waves, [region])
    at_base = comment_page(con, flt, nps_group=group, touchpoint="Hotline", rating_max=rating, base=n)
    one_short = comment_page(con, flt, nps_group=group, touchpoint="Hotline", rating_max=rating, base=n + 1)
    assert not at_base.hidden_small_base and not at_base.rows.empty
    assert one_short.hidden_small_base and one_short.rows.empty and one_short.matched == 0
    # a search narrows the comments, not the cell: a rare word in a large cell is shown
    waves, region, group, rating, _ = large
    flt = _flt(con, study, waves, [region])
    some = comment_page(con, flt, nps_group=group, touchpoint="Hotline", rating_max=rating, per_page=1).rows["text"].iloc[0]
    rare = comment_page(con, flt, nps_group=group, touchpoint="Hotline", rating_max=rating, search=some.split()[0])
    assert not rare.hidden_small_base and rare.matched >= 1


def test_a_respondent_without_nps_answer_has_no_group_none_not_nan(planted):
    con, frame, study = planted
    rows = comment_page(con, _flt(con, study), per_page=1000).rows
    without = rows[rows["nps"].isna()]
    assert len(without) == frame["nps"].isna().sum() > 0
    assert all(g is None for g in without["nps_group"]) and all(isinstance(g, str) for g in rows["nps_group"][rows["nps"].notna()])
    assert all(tp is None for tp in rows["touchpoint"] if not isinstance(tp, str))


# --- the CLI -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory):
    """A database of its own: the CLI opens it read-only, which DuckDB refuses while an AppTest of the same
    process still holds the page's database open for writing."""
    path = tmp_path_factory.mktemp("comments_cli") / "c.duckdb"
    return path, *build(path)


def test_cli_lists_what_the_filters_keep_masked(cli_db, cli):
    import json

    path, frame, _ = cli_db
    out = cli("comments", "--db", path, "--json", "--nps-group", "detractor", "--touchpoint", "Hotline", "--rating-max", "2",
              "--where", "Region=Nord", "--limit", "1000")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    want, _ = expected(frame, regions=["Nord"], nps_group="detractor", touchpoint="Hotline", rating_max=2)
    assert data["matched"] == len(data["comments"]) == len(want) > 0 and data["total"] == (frame["region"] == "Nord").sum()
    assert sorted(c["respondent_id"] for c in data["comments"]) == sorted(want["respondent_id"])
    assert all("0171" not in c["text"] for c in data["comments"])
    assert {c["nps_group"] for c in data["comments"]} == {"detractor"} and data["where"] == {"Region": ["Nord"]}
    themed = json.loads(cli("comments", "--db", path, "--json", "--theme", "WAIT", "--limit", "1000").stdout)
    assert themed["matched"] == frame["text"].str.contains("Warteschleife").sum()
    assert all("wait" in c["themes"] for c in themed["comments"])  # by name, not by label
    text = cli("comments", "--db", path, "--search", "ruft mich an", "--limit", "3")
    assert text.returncode == 0 and "[Tel.]" in text.stdout and "0171" not in text.stdout


def test_cli_bad_options_exit_2_naming_them(cli_db, cli):
    path, _, _ = cli_db
    out = cli("comments", "--db", path, "--rating-max", "2")
    assert out.returncode == 2 and "--rating-max needs --touchpoint" in out.stderr
    out = cli("comments", "--db", path, "--theme", "Preis")
    assert out.returncode == 2 and "no theme 'Preis'" in out.stderr and "staff, wait" in out.stderr


def test_page_shows_respondent_ids_to_analysts_never_to_viewers(page_db, monkeypatch, logged_in):
    from tpm import access

    path, frame, _ = page_db
    for role, shown in (("viewer", False), ("analyst", True)):
        logged_in(path, access.Actor(f"kim_{role}", role, "password"))
        at = comments_app(path, monkeypatch, **{"c.q": "ruft mich an"})
        captions = " ".join(c.value for c in at.caption)
        ids = [i for i in frame["respondent_id"] if f"Befragte/r {i} " in captions + " "]
        assert bool(ids) == shown, (role, captions[:300])


def test_an_analyst_s_theme_override_from_the_page_survives_a_recode(tmp_path, monkeypatch):
    """End to end: the page's theme editor writes through pages/_themes.py and tpm.comments.themes (audited);
    a recode of the study keeps the analyst's decision."""
    from tpm.comments import themes

    path = tmp_path / "o.duckdb"
    frame, study = build(path)  # its own database: the override changes the coding
    at = comments_app(path, monkeypatch, **{"c.q": '"an der hotline"'})
    editors = [m for m in at.multiselect if m.key and m.key.startswith("ct_")]
    assert len(editors) == frame["text"].str.contains("an der Hotline").sum() > 0
    first = editors[0]
    assert first.value == [2]  # coded "staff" (Müller) by the rules
    first.set_value([1, 2]).run()
    assert not at.exception, [e.value for e in at.exception]
    dataset_id, resp, question = first.key[3:].split("_", 2)
    key = [int(dataset_id), int(resp), question]
    con = store.connect(path)
    try:
        themes.recode(con, study)
        coded = con.execute("SELECT theme_id FROM comment_themes WHERE dataset_id = ? AND resp = ? AND question = ? "
                            "ORDER BY theme_id", key).fetchall()
        assert coded == [(1,), (2,)]  # "wait" added by hand, although no rule of it matches the text
        assert con.execute("SELECT count(*) FROM audit WHERE action = 'theme.override'").fetchone()[0] == 1
    finally:
        con.close()


def test_comment_dates_read_as_the_language_writes_them():
    from tpm.formatting import fmt_date

    assert fmt_date(pd.Timestamp("2024-03-12 17:45"), "de") == "12.03.2024"
    assert fmt_date(pd.Timestamp("2024-03-12"), "en") == "Mar 12, 2024"
    assert fmt_date(None, "de") == fmt_date(pd.NaT, "en") == "–"
