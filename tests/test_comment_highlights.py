"""Comments everywhere: a touchpoint's frequent themes (hovers), the detractors' themes with quotes, the report's
Comments sheet and detractor slide — planted comments with known theme frequencies give the exact shares."""

import io
import zipfile
from datetime import datetime

import openpyxl
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


def plant(path, weights: dict[int, float] | None = None, themes: bool = True, comments: bool = True):
    """The planted survey in a new database (study "Stimmen"), the tables of the themes design present, the
    comment column "Kommentar Hotline" tied to Hotline and (``themes``) the coding of WAIT and FRIENDLY."""
    rows = [["ID", "Region", "Gruppe", "Hotline (1-5)", "Kasse (1-5)", NPS_Q, "Kommentar", "Kommentar Hotline"]]
    rows += [[f"R{i}", ["Nord", "Süd"][i % 2], "klein" if i < 4 else "groß", 1 if i in HOTLINE_LOW else 5, 1 if i in KASSE_LOW else 5,
              3 if i in DETRACTORS else 10, general(i), tied(i)] for i in range(N)]
    if not comments:
        rows = [row[:6] for row in rows]
    con = store.connect(path)
    store.save_import(con, ingest_bytes("stimmen.csv", german_csv_bytes(rows)), name="Welle 1", study="Stimmen")
    study = studies.find(con, "Stimmen")
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
    con, flt = plant(tmp_path_factory.mktemp("voices") / "tpm.duckdb")
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
    con, flt = plant(tmp_path / "w.duckdb", weights)
    group = commenters(lambda i: i in DETRACTORS) | {i for i in range(N) if tied(i)}
    det = detractor_themes(con, flt, k=5).set_index("theme")
    assert det.loc["Wartezeit", "share"] == pytest.approx(share(WAIT, group, weights))  # 90 / 110, not 30 / 50
    assert det.loc["Wartezeit", "n"] == len(group) and det.loc["Wartezeit", "mentions"] == len(WAIT)
    # the same share as the statistics' one home of it (tpm.comments.stats.theme_shares), counted in DuckDB here
    from tpm.comments.figures import commenters as commenter_frame
    from tpm.comments.stats import theme_shares

    frame, names, _ = commenter_frame(con, flt, "de")
    stats = theme_shares(frame[frame["nps"] <= 6], names, weighted=True).set_index("theme")
    assert det["share"].to_dict() == pytest.approx(stats.loc[det.index, "share"].to_dict())
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
    bare, bare_flt = plant(tmp_path / "bare.duckdb", themes=False)
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


# --- the report ---------------------------------------------------------------------------------------


def fake_pictures(monkeypatch):
    """Charts are drawn by Chromium elsewhere (tests/test_report.py): here a blank PNG each, the deck's text is the point."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    monkeypatch.setattr("tpm.report.images.render_png", lambda figures, sizes=None, progress=None: [buffer.getvalue()] * len(figures))


def xml_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml"))


def test_workbook_has_the_comments_sheet_masked_and_as_text(planted):
    from tpm.report.content import gather
    from tpm.report.excel import sheet_names, workbook

    con, flt = planted
    data = workbook(gather(con, flt, "de", with_data=False))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == sheet_names("de", with_data=False, with_comments=True)
    ws = wb["Kommentare"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Welle", "Antwortdatum", "NPS-Gruppe", "Kontaktpunkt", "Frage", "Themen", "Kommentar")
    body = [r for r in rows[1:] if r[6] is not None]
    planted_comments = [c for i in range(N) for c in (general(i), tied(i)) if c]
    assert len(body) == len(planted_comments)  # every comment, once
    by_text = {r[6]: r for r in body}
    assert by_text["Wartezeit! Mail: [E-Mail]"][2:6] == ("Detraktor", None, "Kommentar", "Wartezeit")
    assert by_text[tied(40)][2:6] == ("Detraktor", "Hotline", "Kommentar Hotline", "Freundlichkeit")
    assert by_text["Wartezeit zu lang und die Dame war unfreundlich"][5] == "Freundlichkeit, Wartezeit"
    assert by_text[general(50)][2] == "Promotor" and by_text[general(50)][0] == "Welle 1"
    formula = next(c for c in ws["G"] if c.value == FORMULA)  # the formula-like comment stays text
    assert formula.data_type == "s" and formula.quotePrefix
    xml = xml_text(data)
    assert "x@y.de" not in xml and "<f>" not in xml
    assert not any(f"R{i}" in {c for r in rows for c in r} for i in range(N))  # no respondent id anywhere on the sheet


def test_deck_has_the_detractor_slide_with_fitting_text(planted, monkeypatch):
    from pptx import Presentation

    from tpm.report import build
    from tpm.report.content import gather
    from tpm.report.deck import slides

    fake_pictures(monkeypatch)
    con, flt = planted
    expected = slides(gather(con, flt, "en", with_data=False))
    assert "detractors" in [s.key for s in expected]
    data = build(con, flt, "deck", "en")
    prs = Presentation(io.BytesIO(data))
    assert len(prs.slides) == 1 + len(expected)
    slide = list(prs.slides)[1 + [s.key for s in expected].index("detractors")]
    assert slide.shapes.title.text == "What detractors say: 60 % mention Waiting time"
    boxes = [s for s in slide.shapes if s.has_text_frame and s != slide.shapes.title]
    texts = [b.text_frame.text for b in boxes]
    assert texts[0].splitlines()[0] == "Waiting time: 60 % (n = 50)"
    assert "“Wartezeit! Mail: [E-Mail]”" in texts[0].splitlines()
    assert texts[1].splitlines() == ["Friendliness: 34 % (n = 50)"] + [f"“{tied(i)}”" for i in (40, 41, 42)]
    assert "x@y.de" not in xml_text(data)
    assert all(fits(box) and box.left + box.width <= prs.slide_width and box.top + box.height <= prs.slide_height
               for box in boxes[:2])


def fits(box) -> bool:
    """The text of ``box`` within its height, at 0.52 em a character — measured where LibreOffice draws the deck with
    DejaVu Sans (wider than Calibri, the deck's font): 75 characters of 11 pt on 5.8 inches."""
    from pptx.util import Emu

    need = 0.0
    for paragraph in box.text_frame.paragraphs:
        size = paragraph.runs[0].font.size.pt
        per_line = int((Emu(box.width).inches - 0.2) * 72 / (0.52 * size))
        need += -(-len(paragraph.text) // per_line) * 1.2 * size / 72
    return need <= Emu(box.height).inches - 0.1


def test_four_themes_of_long_quotes_fit_their_boxes():
    import pandas as pd
    from pptx import Presentation

    from tpm.report.deck import HEIGHT, TITLE_ONLY, WIDTH, _theme_grid

    long = ["Sehr lange Antwort " * 10 + f"({i})" for i in range(3)]  # 200 characters and more
    themes = pd.DataFrame({"theme": [f"Thema {i}" for i in range(4)], "share": [40.0, 30.0, 20.0, 10.0], "n": [500] * 4,
                           "quotes": [[q[:200] for q in long]] * 4})
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY])
    _theme_grid(slide, themes, "de")
    boxes = [s for s in slide.shapes if s.has_text_frame and s != slide.shapes.title]
    assert len(boxes) == 4 and all(fits(b) for b in boxes)
    assert all(len(b.text_frame.paragraphs) >= 3 for b in boxes)  # heading and at least two quotes each
    lefts, tops = sorted({b.left for b in boxes}), sorted({b.top for b in boxes})
    assert len(lefts) == len(tops) == 2 and all(b.left + b.width <= WIDTH and b.top + b.height <= HEIGHT for b in boxes)


def test_without_themes_or_comments_the_report_is_as_it_was(planted, tmp_path):
    from tpm.report.content import gather
    from tpm.report.deck import slides
    from tpm.report.excel import sheet_names, workbook

    con, flt = planted
    bare, bare_flt = plant(tmp_path / "bare.duckdb", themes=False)  # the same comments, no themes: no slide
    themed = [s.key for s in slides(gather(con, flt, "de", with_data=False, with_comments=False))]
    assert [s.key for s in slides(gather(bare, bare_flt, "de", with_data=False, with_comments=False))] == \
        [k for k in themed if k != "detractors"] and "detractors" in themed
    bare.close()
    silent, silent_flt = plant(tmp_path / "silent.duckdb", comments=False)  # no comments at all: no Comments sheet
    wb = openpyxl.load_workbook(io.BytesIO(workbook(gather(silent, silent_flt, "en"))))
    assert wb.sheetnames == sheet_names("en") and "Comments" not in wb.sheetnames
    silent.close()


def test_too_few_commenters_hide_the_comments(planted):
    from tpm.comments.highlights import top_themes
    from tpm.i18n import t
    from tpm.report.content import gather
    from tpm.report.excel import workbook

    con, flt = planted
    few = Filter.of(segments={"Gruppe": ["klein"]}, study=flt.study)  # four respondents, each with a comment
    report = gather(con, few, "en", with_data=False)
    assert report.comments is None and report.comments_hidden
    ws = openpyxl.load_workbook(io.BytesIO(workbook(report)))["Comments"]
    assert [c for r in ws.iter_rows(values_only=True) for c in r if c] == ["Comments", t("hl_comments_hidden", "en")]
    assert top_themes(con, few)["hidden"].all() and len(top_themes(con, few)) == 2  # Hotline and Kasse: no themes shown


def test_heatmap_page_hover_names_the_frequent_themes(tmp_path, monkeypatch):
    """The page passes the touchpoints' themes to the figure (one AppTest run of the Heatmap)."""
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    plant(tmp_path / "page.duckdb")[0].close()
    monkeypatch.setenv("TPM_DB", str(tmp_path / "page.duckdb"))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["seg"] = "Region"
    app.run()
    app.switch_page("pages/heatmap.py").run()
    assert not app.exception, [e.value for e in app.exception]
    import json

    heat = json.loads(app.get("plotly_chart")[0].proto.spec)["data"][0]
    assert "<br>Häufige Themen: Wartezeit (60 %), Freundlichkeit (34 %)" in {cell[7] for row in heat["customdata"] for cell in row}
