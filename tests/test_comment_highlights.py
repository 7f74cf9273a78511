"""Comments everywhere: a touchpoint's frequent themes (hovers), the detractors' themes with quotes, the report's
Comments sheet and detractor slide — planted comments with known theme frequencies give the exact shares."""

from datetime import datetime

import pytest
from conftest import german_csv_bytes

from tpm import store, studies
from tpm.ingest import ingest_bytes
from tpm.metrics import Filter

NPS_Q = "Wie wahrscheinlich würden Sie uns weiterempfehlen? (0-10)"
EMAIL = "Wartezeit! Mail: x@y.de"
FORMULA = '=HYPERLINK("http://example.invalid","Wartezeit")'
N = 100


def general(i: int) -> str:
    """The planted general comment of respondent i ("" = none): the theme Wartezeit for 0–29 (2 also
    Freundlichkeit, 4 too short to quote), Freundlichkeit for 30–35, no theme for 36–59, no comment from 60 on."""
    if i == 0:
        return EMAIL
    if i == 1:
        return FORMULA
    if i == 2:
        return "Wartezeit zu lang und die Dame war unfreundlich"
    if i == 4:
        return "Wartezeit!!"
    if i < 30:
        return f"Die Wartezeit an der Hotline war viel zu lang ({i})"
    if i < 36:
        return f"Die Mitarbeiterin war unfreundlich ({i})"
    return f"Sonst nichts zu sagen ({i})" if i < 60 else ""


def tied(i: int) -> str:
    """The planted "Kommentar Hotline" (tied to the touchpoint Hotline): Freundlichkeit for 40–49."""
    return f"Am Telefon sehr freundlich ({i})" if 40 <= i < 50 else ""


#: the planted coding: theme → respondents whose comments mention it (comment by comment below)
WAIT = set(range(30))
FRIENDLY = {2, *range(30, 36), *range(40, 50)}
HOTLINE_LOW = set(range(40))       # Hotline 1 on 1–5 (bottom box), the rest 5
KASSE_LOW = {0, 1, 2}             # Kasse 1: only three — below the anonymity base
DETRACTORS = set(range(50))        # NPS 3, the rest 10


def build(path, weights: dict[int, float] | None = None, themes: bool = True):
    """The planted survey in a new database (study "Stimmen"), the tables of the themes design present, the
    comment column "Kommentar Hotline" tied to Hotline and (``themes``) the coding of WAIT and FRIENDLY."""
    rows = [["ID", "Region", "Hotline (1-5)", "Kasse (1-5)", NPS_Q, "Kommentar", "Kommentar Hotline"]]
    rows += [[f"R{i}", ["Nord", "Süd"][i % 2], 1 if i in HOTLINE_LOW else 5, 1 if i in KASSE_LOW else 5,
              3 if i in DETRACTORS else 10, general(i), tied(i)] for i in range(N)]
    con = store.connect(path)
    store.save_import(con, ingest_bytes("stimmen.csv", german_csv_bytes(rows)), name="Welle 1", study="Stimmen")
    study = studies.find(con, "Stimmen")
    # the themes helper's schema 9 (no-ops once it is on main)
    con.execute("ALTER TABLE comments ADD COLUMN IF NOT EXISTS touchpoint VARCHAR")
    con.execute("CREATE TABLE IF NOT EXISTS themes (study_id INTEGER, id INTEGER, name VARCHAR, label_de VARCHAR, "
                "label_en VARCHAR, words VARCHAR[], phrases VARCHAR[], created_at TIMESTAMP, PRIMARY KEY(study_id, id))")
    con.execute("CREATE TABLE IF NOT EXISTS comment_themes (dataset_id INTEGER, resp INTEGER, question VARCHAR, "
                "theme_id INTEGER)")
    con.execute("UPDATE comments SET touchpoint = 'Hotline' WHERE question = 'Kommentar Hotline'")
    if weights:
        for i, w in weights.items():
            con.execute("UPDATE respondents SET weight = ? WHERE resp = ?", [w, i])
    if themes:
        now = datetime(2026, 1, 1)
        con.execute("INSERT INTO themes VALUES (?, 1, 'Wartezeit', 'Wartezeit', 'Waiting time', ['wartezeit'], [], ?), "
                    "(?, 2, 'Freundlichkeit', NULL, 'Friendliness', ['*freundlich'], [], ?)", [study, now, study, now])
        con.execute("INSERT INTO comment_themes SELECT dataset_id, resp, question, 1 FROM comments WHERE text ILIKE '%wartezeit%'")
        con.execute("INSERT INTO comment_themes SELECT dataset_id, resp, question, 2 FROM comments WHERE text ILIKE '%freundlich%'")
    return con, Filter(study=study)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    con, flt = build(tmp_path_factory.mktemp("voices") / "tpm.duckdb")
    yield con, flt
    con.close()


def share(mentioning: set, group: set, weights: dict[int, float] | None = None) -> float:
    w = weights or {}
    return 100 * sum(w.get(i, 1.0) for i in mentioning & group) / sum(w.get(i, 1.0) for i in group)


def commenters(who) -> set:
    return {i for i in range(N) if who(i) and general(i)}


# --- the figures -----------------------------------------------------------------------------------------


def test_top_themes_per_touchpoint_have_the_planted_shares(planted):
    from tpm.comments.highlights import top_themes

    con, flt = planted
    top = top_themes(con, flt, k=3)
    hotline = top[top["touchpoint"] == "Hotline"]
    group = commenters(lambda i: i in HOTLINE_LOW) | {i for i in range(N) if tied(i)}  # low raters' + tied comments
    assert list(hotline["theme"]) == ["Wartezeit", "Freundlichkeit"]
    assert list(hotline["n"]) == [len(group)] * 2 == [50, 50]
    assert list(hotline["mentions"]) == [len(WAIT & group), len(FRIENDLY & group)]
    assert hotline["share"].tolist() == pytest.approx([share(WAIT, group), share(FRIENDLY, group)])
    kasse = top[top["touchpoint"] == "Kasse"]  # three low raters with comments: below the anonymity base
    assert kasse["hidden"].tolist() == [True] and kasse["theme"].isna().all() and kasse["mentions"].isna().all()
    assert "Filiale" not in set(top["touchpoint"])
    k1 = top_themes(con, flt, k=1)
    assert k1.loc[k1["touchpoint"] == "Hotline", "theme"].tolist() == ["Wartezeit"]
    everyone = top_themes(con, flt, per_touchpoint=False, lang="en")
    all_commenters = commenters(lambda i: True) | {i for i in range(N) if tied(i)}
    assert everyone["theme"].tolist() == ["Waiting time", "Friendliness"]  # the English labels
    assert everyone["share"].tolist() == pytest.approx([share(WAIT, all_commenters), share(FRIENDLY, all_commenters)])


def test_shares_are_weighted_where_the_view_is(tmp_path):
    from tpm.comments.highlights import detractor_themes, top_themes

    weights = {i: (3.0 if i in WAIT else 1.0) for i in range(N)}
    con, flt = build(tmp_path / "w.duckdb", weights)
    group = commenters(lambda i: i in DETRACTORS) | {i for i in range(N) if tied(i)}
    det = detractor_themes(con, flt, k=5).set_index("theme")
    assert det.loc["Wartezeit", "share"] == pytest.approx(share(WAIT, group, weights))  # 90 / 110, not 30 / 50
    assert det.loc["Wartezeit", "n"] == len(group) and det.loc["Wartezeit", "mentions"] == len(WAIT)
    plain = top_themes(con, flt.unweighted(), k=3)
    assert plain.loc[plain["touchpoint"] == "Hotline", "share"].iloc[0] == pytest.approx(60.0)
    con.close()


def test_detractor_themes_with_masked_typical_quotes(planted):
    from tpm.comments.highlights import QUOTE_MAX, QUOTE_MIN, detractor_themes

    con, flt = planted
    det = detractor_themes(con, flt, k=5, quotes=3)
    group = commenters(lambda i: i in DETRACTORS) | {i for i in range(N) if tied(i)}
    assert det["theme"].tolist() == ["Wartezeit", "Freundlichkeit"]
    assert det["share"].tolist() == pytest.approx([share(WAIT, group), share(FRIENDLY, group)])
    wait, friendly = det["quotes"].tolist()
    # the shortest comments about this theme alone, masked; "Wartezeit!!" is too short, #2 has two themes
    assert wait[0] == "Wartezeit! Mail: [E-Mail]" and wait[1] == FORMULA and wait[2] == general(3)
    assert friendly == [tied(40), tied(41), tied(42)]
    quotes = [q for qs in det["quotes"] for q in qs]
    assert all(QUOTE_MIN <= len(q) <= QUOTE_MAX for q in quotes)
    assert not any("x@y.de" in q or "R0" in q for q in quotes)  # masked, never an id
    assert detractor_themes(con, flt, k=1)["theme"].tolist() == ["Wartezeit"]


def test_small_base_and_no_themes(planted, tmp_path):
    from tpm.comments.highlights import detractor_themes, theme_hover, top_themes

    con, flt = planted
    few = detractor_themes(con, Filter.of(segments={"Region": ["Nord"]}, study=flt.study), base=26)
    assert few["hidden"].tolist() == [True] and few["quotes"].tolist() == [[]]  # 25 detractors with comments in Nord
    assert not detractor_themes(con, Filter.of(segments={"Region": ["Nord"]}, study=flt.study), base=25)["hidden"].any()
    bare, bare_flt = build(tmp_path / "bare.duckdb", themes=False)
    assert top_themes(bare, bare_flt).empty and detractor_themes(bare, bare_flt).empty
    assert theme_hover(top_themes(bare, bare_flt)) == {}
    bare.close()


# --- the hovers -----------------------------------------------------------------------------------------


def test_priority_and_heatmap_hovers_name_the_frequent_themes(planted):
    import pandas as pd

    from tpm.charts.drivers import priority_chart
    from tpm.charts.heatmap import segment_heatmap
    from tpm.comments.highlights import theme_hover, top_themes
    from tpm.metrics.segments import breakdown_and_totals

    con, flt = planted
    lines = theme_hover(top_themes(con, flt), "de")
    assert lines == {"Hotline": "Häufige Themen: Wartezeit (60 %), Freundlichkeit (34 %)"}
    english = theme_hover(top_themes(con, flt, lang="en"), "en")
    assert english["Hotline"] == "Frequent themes: Waiting time (60 %), Friendliness (34 %)"
    matrix = pd.DataFrame({"touchpoint": ["Hotline", "Kasse"], "performance": [20.0, 80.0], "importance": [60.0, 40.0],
                           "n": [100, 100], "mean": [2.0, 4.0], "ci_low": [1.8, 3.8], "ci_high": [2.2, 4.2],
                           "scale_min": [1, 1], "scale_max": [5, 5], "quadrant": ["concentrate", "overkill"],
                           "near_line": [False, False], "reference": [50.0, 50.0]})
    lines["Kasse"] = "<b>Häufige</b> Themen: =x"  # user text (a label) is escaped, never markup
    fig = priority_chart(matrix, 50, 50, "NPS", "de", themes=lines)
    points = next(tr for tr in fig.data if tr.mode == "markers")
    assert "%{customdata[9]}" in points.hovertemplate
    assert [row[9] for row in points.customdata] == ["<br>Häufige Themen: Wartezeit (60 %), Freundlichkeit (34 %)",
                                                     "<br>&lt;b&gt;Häufige&lt;/b&gt; Themen: =x"]
    assert priority_chart(matrix, 50, 50, "NPS", "de", themes={}).to_json() == priority_chart(matrix, 50, 50, "NPS", "de").to_json()
    cells, totals = breakdown_and_totals(con, flt, "Region", "score")
    heat = segment_heatmap(cells, totals, "score", "Region", "de", themes=lines, swap=True)
    assert "%{customdata[7]}" in heat.data[0].hovertemplate
    hotline_col = list(heat.data[0].x).index("Hotline")
    assert {row[hotline_col][7] for row in heat.data[0].customdata} == {"<br>" + lines["Hotline"]}
    assert segment_heatmap(cells, totals, "score", "Region", "de", themes={}).to_json() == \
        segment_heatmap(cells, totals, "score", "Region", "de").to_json()
