"""Charts and tables read right on real surveys (issue 15, items 1–7): figures as data, tables as text."""

import numpy as np
import pandas as pd
import pytest

from tpm.charts.common import contrast, short
from tpm.charts.drivers import driver_bars, priority_chart
from tpm.charts.heatmap import COLOURS, DIVERGING, segment_heatmap
from tpm.charts.journey import journey_map, targets_chart
from tpm.charts.overview import touchpoint_ranking
from tpm.formatting import fmt_number, fmt_p, format_table
from tpm.journey import journey_cards
from tpm.metrics.priority import CROSSHAIRS, priority_matrix

#: a whole bilingual Google Forms grid question as the touchpoint name (173 characters)
LONG = ("Wie zufrieden waren Sie mit der Beratung in unserer Filiale vor Ort? / How satisfied were you with the advice "
        "you received in our local branch? [Beratung in der Filiale / branch advice]")
MONTHS = [f"2026-{m:02d}" for m in range(1, 10)]


def cells_for(touchpoints, segments, value=lambda i, j: 50 + 5 * i - 3 * j, n=100):
    rows = [{"touchpoint": tp, "segment": seg, "value": float(value(i, j)), "diff": float(value(i, j) - 50), "n": n,
             "flag": "ns", "rest": 50.0, "q": 0.5} for i, tp in enumerate(touchpoints) for j, seg in enumerate(segments)]
    totals = pd.DataFrame({"touchpoint": touchpoints, "value": [50.0 + i for i in range(len(touchpoints))],
                           "n": [n * len(segments)] * len(touchpoints)})
    return pd.DataFrame(rows), totals


# --- 1. waves are categories, every one labelled, with the total column


def test_month_waves_are_categories_with_all_labels_and_the_total():
    cells, totals = cells_for(["Hotline", "Website"], MONTHS)
    fig = segment_heatmap(cells, totals, "score", "Welle", "de", columns=MONTHS)
    assert fig.layout.xaxis.type == "category" and fig.layout.yaxis.type == "category"
    assert list(fig.layout.xaxis.tickvals) == MONTHS + ["Gesamt"]
    assert list(fig.data[0].x) == MONTHS + ["Gesamt"]


# --- 2. long names: shortened on axes and cards, in full on hover; the plot keeps its room


def test_short_wraps_and_shortens_escaped():
    label = short(LONG, 28, 2)
    lines = label.split("<br>")
    assert len(lines) == 2 and all(len(line) <= 28 for line in lines) and lines[-1].endswith("…")
    assert short("<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"
    assert short("Hotline") == "Hotline"


def ranking_stats(names):
    return pd.DataFrame([{"touchpoint": name, "n": 100 + i, "mean": 3.5, "scale_min": 1, "scale_max": 5, "ci_low": 3.3,
                          "ci_high": 3.7, "score_0_100": 60.0 + i, "score_ci_low": 55.0 + i, "score_ci_high": 65.0 + i,
                          "top2_box": 50.0, "low_base": False} for i, name in enumerate(names)])


def test_long_names_on_ranking_heatmap_drivers_targets_and_cards():
    names = [LONG, LONG.replace("Filiale", "Hotline"), "Website"]
    longest_axis_line = lambda labels: max(len(line) for label in labels for line in str(label).split("<br>"))  # noqa: E731
    ranking = touchpoint_ranking(ranking_stats(names), "de")
    assert longest_axis_line(ranking.data[0].y) <= 34 + len(" (n=102) ⚠")
    assert len(set(ranking.data[0].y)) == 3  # two names that shorten alike stay apart
    assert any(LONG in str(row[-1]) for row in ranking.data[0].customdata)  # the hover has the whole name
    assert "customdata[7]" in ranking.data[0].hovertemplate

    cells, totals = cells_for(names, ["Nord", "Süd"])
    heat = segment_heatmap(cells, totals, "score", "Region", "de")
    assert longest_axis_line(heat.data[0].y) <= 30
    assert any(LONG in str(v) for v in np.asarray(heat.data[0].customdata)[:, :, 3].ravel())

    bars = driver_bars(pd.DataFrame({"driver": names, "share": [50.0, 30.0, 20.0], "raw": [.2, .1, .1], "sign": 1, "n": 100}), "NPS")
    assert longest_axis_line(bars.data[0].y) <= 34

    frame = pd.DataFrame({"name": names, "score": [60.0, 70.0, 80.0], "target": [70.0] * 3, "benchmark": [90.0] * 3, "n": 100,
                          "gap_x_importance": [1.0, 2.0, 3.0]})
    assert longest_axis_line(targets_chart(frame).data[0].y) <= 34

    inventory = pd.DataFrame({"name": [LONG], "phase": ["Kauf"], "channel": ["offline"], "department": ["Vertrieb"],
                              "target": [np.nan], "benchmark": [np.nan], "moment_of_truth": [False], "pain_points": [None]})
    stats = pd.DataFrame({"touchpoint": [LONG], "score_0_100": [60.0], "n": [100]})
    card = journey_map(journey_cards(inventory, stats, ["Kauf"]), ["Kauf"], "Abteilung").layout.annotations[0].text
    assert LONG not in card and max(len(line) for line in card.replace("<b>", "").replace("</b>", "").split("<br>")) <= 22
    assert LONG in journey_map(journey_cards(inventory, stats, ["Kauf"]), ["Kauf"], "Abteilung").data[0].hovertext[0]


# --- 3. driver value labels beside the whiskers, never under them


def test_driver_value_labels_sit_right_of_the_whiskers():
    table = pd.DataFrame({"driver": ["Hotline", "Website"], "share": [60.0, 40.0], "raw": [.3, .2], "sign": 1, "n": 300,
                          "ci_low": [45.0, 29.1], "ci_high": [75.0, 52.0]})
    fig = driver_bars(table, "NPS", "de")
    bar, labels = fig.data
    assert not bar.text  # the bar carries no text of its own
    by_name = dict(zip(labels.y, zip(labels.x, labels.text)))
    assert by_name["Hotline"][0] >= 75.0 and by_name["Website"][0] >= 52.0
    assert by_name["Hotline"][1].strip() == "60,0 %" and labels.textposition == "middle right"
    assert fig.layout.xaxis.range[1] > 75.0


def test_bootstrap_reports_progress():
    from tpm.metrics.drivers import _bootstrap

    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 3))
    values = np.column_stack([x @ [1.0, .5, .2] + rng.normal(size=200), x])
    seen = []
    _bootstrap(values, "shapley", "pairwise", 20, 0, seen.append)
    assert len(seen) == 20 and seen == sorted(seen) and seen[0] >= 0 and seen[-1] < 1


# --- 4. heatmap text readable on every cell colour (WCAG contrast ≥ 4.5:1)


@pytest.mark.parametrize("metric,mode", [("nps", "absolute"), ("score", "absolute"), ("score", "diff")])
def test_heatmap_text_contrast_on_the_colours_used(metric, mode):
    cells, totals = cells_for([f"TP{i}" for i in range(8)], ["A", "B", "C", "D"], value=lambda i, j: -100 + 28 * i + 7 * j)
    cells.loc[cells.index[:3], "n"] = 12  # grey, untested cells
    fig = segment_heatmap(cells, totals, metric, "Seg", "de", mode=mode)
    text = next(trace for trace in fig.data if trace.type == "scatter")
    from tpm.charts.heatmap import cell_colours  # the colours as drawn
    heat = fig.data[0]
    z = np.array(heat.z, dtype=float)
    grey = ~np.isnan(np.array(fig.data[1].z, dtype=float))
    fills = cell_colours(z, grey, DIVERGING if mode == "diff" else COLOURS, heat.zmin, heat.zmax)
    index = {(x, y): (list(heat.y).index(y), list(heat.x).index(x)) for x in heat.x for y in heat.y}
    assert len(text.x) == z.size
    for x, y, colour in zip(text.x, text.y, text.textfont.color):
        fill = fills[index[(x, y)]]
        assert contrast(colour, fill) >= 4.5, (x, y, colour, fill)


def test_contrast_matches_wcag_examples():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


# --- 5. priority matrix: a point's drawn side agrees with its quadrant, labels stay uncovered


def matrix_inputs():
    stats = pd.DataFrame([{"touchpoint": n, "score_0_100": x, "n": k, "mean": 1 + x * 9 / 100, "ci_low": 1.0, "ci_high": 2.0,
                           "scale_min": 1, "scale_max": 10}
                          for n, x, k in [("A", 70, 100), ("B", 80, 200), ("C", 60, 50), ("D", 85, 90), ("E", 55, 300)]])
    drivers = pd.DataFrame([{"driver": n, "share": y, "raw": y / 100, "sign": 1, "n": 100}
                            for n, y in [("A", 35), ("B", 30), ("C", 5), ("D", 10), ("E", 20)]])
    targets = pd.Series({"A": 75.0, "B": 70.0, "C": 50.0, "D": 90.0})  # A: above the mean target, below its own
    return stats, drivers, targets


@pytest.mark.parametrize("crosshair", CROSSHAIRS)
def test_drawn_position_agrees_with_quadrant(crosshair):
    stats, drivers, targets = matrix_inputs()
    matrix, x_line, y_line = priority_matrix(stats, drivers, crosshair, targets)
    fig = priority_chart(matrix, x_line, y_line, "NPS", "de", crosshair)
    points = fig.data[-1]
    vline = next(s for s in fig.layout.shapes if s.type == "line" and s.x0 == s.x1).x0
    hline = next(s for s in fig.layout.shapes if s.type == "line" and s.y0 == s.y1).y0
    for name, x, y, quadrant in zip(matrix["touchpoint"], points.x, points.y, matrix["quadrant"]):
        drawn = ("keep_up" if x >= vline else "concentrate") if y >= hline else ("overkill" if x >= vline else "low_priority")
        assert drawn == quadrant, (crosshair, name, x, vline)


def test_quadrant_labels_sit_in_bands_no_bubble_reaches():
    stats, drivers, _targets = matrix_inputs()
    matrix, x_line, y_line = priority_matrix(stats, drivers, "mean")
    fig = priority_chart(matrix, x_line, y_line, "NPS", "de")
    low, high = fig.layout.yaxis.range
    plot_px = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    px_per_unit = plot_px / (high - low)
    labels = [a for a in fig.layout.annotations if a.name == "quadrant"]
    assert len(labels) == 4
    for y, size in zip(fig.data[-1].y, fig.data[-1].marker.size):
        room = (size / 2 + 20) / px_per_unit  # the bubble's radius plus one line of label text
        assert low + room <= y <= high - room


# --- 6. journey: title follows the swimlanes; on target is one colour


def test_journey_title_names_the_lanes_and_on_target_is_one_colour():
    inventory = pd.DataFrame({"name": ["A", "B"], "phase": ["Kauf", "Kauf"], "channel": ["online", "online"],
                              "department": ["Vertrieb", "Service"], "target": [75.0, 75.0], "benchmark": [np.nan, np.nan],
                              "moment_of_truth": [False, False], "pain_points": [None, None]})
    stats = pd.DataFrame({"touchpoint": ["A", "B"], "score_0_100": [74.6, 75.3], "n": [100, 100]})
    cards = journey_cards(inventory, stats, ["Kauf"], "channel")
    assert set(cards["status"]) == {"above"}  # both show "75 (Soll 75)"
    assert "Kanal" in journey_map(cards, ["Kauf"], "Kanal", "de").layout.title.text
    assert "channel" in journey_map(cards, ["Kauf"], "Channel", "en").layout.title.text


# --- 7. numbers by language, empty is empty


def test_numbers_by_language():
    assert fmt_number(1234.5, 1, "de") == "1.234,5" and fmt_number(1234.5, 1, "en") == "1,234.5"
    assert fmt_number(-21.5, 1, "de") == "−21,5" and fmt_number(3.2, 1, "de", signed=True) == "+3,2"
    assert fmt_number(-0.01, 1, "de") == "0,0"  # never "−0,0"
    assert fmt_p(0.00001, "de") == "< 0,001" and fmt_p(0.0456, "en") == "0.046"


def test_tables_format_by_language_and_leave_empty_cells_empty():
    frame = pd.DataFrame({"Kontaktpunkt": ["Hotline", None], "mean": [68.5612, np.nan], "diff": [-21.5, 3.0], "q": [0.00001, 0.2],
                          "n": [1234, 56], "Besitzer": [None, "Aylin"]})
    styled = format_table(frame, "de", {"diff": ("diff", True), "q": "p"})
    assert styled.data["n"].dtype.kind == "i" and styled.data["mean"].dtype.kind == "f"  # numbers stay numbers (they sort)
    html = styled.to_html()
    for shown in ("68,56", "−21,5", "+3,0", "< 0,001", "0,200", "1.234"):
        assert shown in html, shown
    assert "None" not in html and "nan" not in html.lower() and "68.56" not in html
    english = format_table(frame, "en", {"diff": ("diff", True)}).to_html()
    assert "68.56" in english and "1,234" in english
