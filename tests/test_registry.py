"""One home for metrics (issue #11, item 6): every consumer takes its metric choices, labels and bases
from :mod:`tpm.metrics.registry` and :mod:`tpm.metrics.rules`; no module keeps a list or a base of its own.
(The figures themselves are checked against R/scipy in test_metrics, test_weights, test_significance
and test_tracking.)"""

import re

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from tpm.i18n import t
from tpm.metrics import rules
from tpm.metrics.registry import CHOICES, METRICS, PREFIXES, metric

SOURCES = [p for folder in ("tpm", "pages") for p in (ROOT / folder).rglob("*.py")] + [ROOT / "app.py"]


def _metric_option(parser, command):
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    return next(a for a in sub._actions if a.dest == "metric")


def test_the_cli_offers_the_registry_choices():
    from tpm.cli import build_parser

    parser = build_parser()
    for command in ("segments", "trend"):
        assert list(_metric_option(parser, command).choices) == list(CHOICES) == ["mean", "score", "top2", "nps"]


def test_breakdowns_take_exactly_the_registry_choices():
    from tpm.metrics.segments import segment_breakdown

    hidden = [name for name in METRICS if name not in CHOICES]
    assert hidden == ["bottom2"]  # high is bad: never offered as a heatmap colour
    with pytest.raises(ValueError, match="metric must be one of"):
        segment_breakdown(None, None, "Region", hidden[0])  # refused before any query
    with pytest.raises(ValueError, match="metric must be one of"):
        metric("median")


def _cells(value):
    return pd.DataFrame({"touchpoint": ["A", "A"], "segment": ["x", "y"], "value": [value, value], "diff": [0.0, 0.0],
                         "n": [40, 20], "flag": ["ns", "untested"]})


#: what each offered metric must look like in English, written by hand: colour-bar title, the text of
#: 12.3456 on a cell, fixed colour range (None: the values shown)
SHOWN = {"mean": ("Mean", "12.35", None), "score": ("Score 0–100", "12", None),
         "top2": ("Top-2-box (%)", "12", None), "nps": ("NPS among raters", "12", (-100.0, 100.0))}


@pytest.mark.parametrize("name", CHOICES)
def test_heatmap_and_tables_read_label_decimals_range_and_base_from_the_registry(name):
    from tpm.charts.heatmap import segment_heatmap
    from tpm.report.tables import heatmap_cells_table

    title, text_shown, fixed_range = SHOWN[name]
    cells = _cells(12.3456)
    totals = pd.DataFrame({"touchpoint": ["A"], "value": [12.3456], "n": [60]})
    fig = segment_heatmap(cells, totals, name, "Region", "en")
    assert fig.data[0].colorbar.title.text == title
    shown = fig.data[0].z
    assert np.isnan(shown[0, 1]) and shown[0, 0] == 12.3456  # n = 20 < 30: grey, untested
    if fixed_range:
        assert (fig.data[0].zmin, fig.data[0].zmax) == fixed_range
    else:  # the colours span the values shown, whole numbers around them
        assert (fig.data[0].zmin, fig.data[0].zmax) == (12.0, 13.0)
    assert text_shown in fig.data[2].text
    table = heatmap_cells_table(cells.assign(rest=1.0, p=0.5, q=0.5, caution=False, n_eff=40.0), "Region", name, "label", "en")
    assert table is not None


def _heatmap_values(app, metric):
    """{(touchpoint, column): value} of the heatmap the page shows for ``metric`` (its hover data: exact values)."""
    import json

    app.selectbox(key="q_metric").set_value(metric).run()
    assert not app.exception, [e.value for e in app.exception]
    data = json.loads(app.get("plotly_chart")[0].proto.spec)["data"][0]
    return {(row[3], row[4]): row[1] for line in data["customdata"] for row in line}


def test_the_heatmap_page_offers_each_metric_and_shows_it_as_counted_by_hand(db_path, monkeypatch):
    """The page's metric choices are the four metrics, and each choice changes the figure to that
    metric computed here from the raw answers (not a label swapped over the same numbers)."""
    from conftest import xlsx_bytes
    from streamlit.testing.v1 import AppTest

    from tpm import store
    from tpm.ingest import ingest_bytes

    hotline = np.array([i % 5 + 1 for i in range(80)])
    region = np.array(["Nord" if i < 30 else "Süd" for i in range(80)])
    nps = np.array([(i * 7) % 11 for i in range(80)])
    hotline[region == "Nord"] = np.minimum(hotline[region == "Nord"] + 1, 5)
    rows = [["ID", "Region", "Hotline (1-5)", "Weiterempfehlung (0-10)"]]
    rows += [[i, r, int(h), int(p)] for i, (r, h, p) in enumerate(zip(region, hotline, nps))]
    con = store.connect(db_path)
    store.save_import(con, ingest_bytes("hand.xlsx", xlsx_bytes(rows)), name="hand")
    con.close()
    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["lang"] = "en"
    app.run()
    app.switch_page("pages/heatmap.py").run()
    assert app.selectbox(key="q_metric").options == ["Mean", "Score 0–100", "Top-2-box (%)", "NPS among raters"]
    truth = {
        "mean": lambda h, p: h.mean(),
        "score": lambda h, p: (h.mean() - 1) / 4 * 100,
        "top2": lambda h, p: 100 * np.mean(h >= 4),
        "nps": lambda h, p: 100 * (np.mean(p >= 9) - np.mean(p <= 6)),
    }
    for name, of in truth.items():
        shown = _heatmap_values(app, name)
        for column, rows_in in (("Nord", region == "Nord"), ("Süd", region == "Süd"), ("Total", region != "")):
            assert shown[("Hotline", column)] == pytest.approx(of(hotline[rows_in], nps[rows_in]), rel=1e-9), (name, column)


def test_no_module_keeps_its_own_list_of_metrics():
    """Besides the registry, no module or page keeps a list of metric names or a metric table of its own."""
    names = "|".join(METRICS)
    own_list = re.compile(rf"""["']({names})["']\s*,\s*["']({names})["']\s*,\s*["']({names})["']""")
    own_table = re.compile(r"^(METRICS|METRIC_\w+|PREFIX)\s*[:=]", re.M)
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES if p.name != "registry.py"
                 and (own_list.search(p.read_text(encoding="utf-8")) or own_table.search(p.read_text(encoding="utf-8")))]
    assert offenders == []
    assert own_list.search('x = ("mean", "score", "top2")') and own_table.search("METRICS = {}")  # the patterns find what they must


def test_sum_columns_follow_the_registry_prefixes():
    from tpm.metrics.weighted import SUM_COLUMNS

    assert PREFIXES == ("m_", "t2_", "b2_", "nps_")
    assert all(f"{m.prefix}n" in SUM_COLUMNS for m in METRICS.values())


#: a base written as a number: "n < 30", "n ≥ 50", "max(30, …)", "30 respondents", "(30, unweighted)"
BASE = re.compile(r"(?:\bn\b|\bbase\b|\bBasis\b|n_eff|MIN_TEST\S*)\s*(?:[<>≤≥]=?|==?)\s*(?:max\()?(?:30|50)\b"
                  r"|max\((?:30|50)\b|\b(?:30|50)\s*(?:,\s*)?(?:unweighted|respondents|ratings|answers|Befragte|Bewertungen|Antworten)")


def test_no_literal_base_outside_rules():
    """The bases 30 (no test) and 50 (caution) are written once, in rules.py; code, docstrings and
    the German/English labels read or format them from there."""
    offenders = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}" for p in SOURCES if p.name != "rules.py"
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if BASE.search(line)]
    assert offenders == []
    assert BASE.search('"flag_untested": ("nicht getestet (n < 30)", …)')  # the pattern finds what it must


def test_labels_format_the_bases_from_rules(monkeypatch):
    assert t("flag_untested", "de") == f"nicht getestet (n < {rules.MIN_TEST})"
    assert t("caution", "en") == f"n < {rules.CAUTION}: read with caution"
    monkeypatch.setattr(rules, "MIN_TEST", 40)
    assert t("flag_untested", "en") == "not tested (n < 40)"
