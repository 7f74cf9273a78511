"""One home for metrics (issue #11, item 6): every consumer takes its metric choices, labels and bases
from :mod:`tpm.metrics.registry` and :mod:`tpm.metrics.rules`; no module keeps a list or a base of its own.
(The figures themselves are checked against R/scipy in test_metrics, test_weights, test_significance
and test_tracking.)"""

import re

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from tpm.i18n import fmt_number, t
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
        assert list(_metric_option(parser, command).choices) == list(CHOICES)


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


@pytest.mark.parametrize("name", CHOICES)
def test_heatmap_and_tables_read_label_decimals_range_and_base_from_the_registry(name):
    from tpm.charts.heatmap import segment_heatmap
    from tpm.report.tables import heatmap_cells_table

    spec = METRICS[name]
    cells = _cells(12.345)
    totals = pd.DataFrame({"touchpoint": ["A"], "value": [12.345], "n": [60]})
    fig = segment_heatmap(cells, totals, name, "Region", "en")
    assert fig.data[0].colorbar.title.text == t(spec.label, "en")
    shown = fig.data[0].z
    assert np.isnan(shown[0, 1]) and shown[0, 0] == 12.345  # n = 20 < min_base: grey, untested
    if spec.fixed_colours:
        assert (fig.data[0].zmin, fig.data[0].zmax) == spec.value_range
    text = [s for s in fig.data[2].text if s.startswith("12")][0]
    assert text == fmt_number(12.345, spec.decimals, "en")
    table = heatmap_cells_table(cells.assign(rest=1.0, p=0.5, q=0.5, caution=False, n_eff=40.0), "Region", name, "label", "en")
    assert table is not None


def test_pages_offer_the_registry_choices():
    """Heatmap and Tracking pick their metric through ``pages._ui.metric_choice`` (CHOICES, registry
    labels); no page or module keeps its own list of metric names or its own metric table."""
    ui = (ROOT / "pages" / "_ui.py").read_text(encoding="utf-8")
    assert "list(CHOICES)" in ui and "METRICS[m].label" in ui
    for page in ("heatmap.py", "tracking.py"):
        assert "metric_choice(" in (ROOT / "pages" / page).read_text(encoding="utf-8")
    names = "|".join(METRICS)
    own_list = re.compile(rf"""["']({names})["']\s*,\s*["']({names})["']\s*,\s*["']({names})["']""")
    own_table = re.compile(r"^(METRICS|METRIC_\w+|PREFIX)\s*[:=]", re.M)
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES if p.name != "registry.py"
                 and (own_list.search(p.read_text(encoding="utf-8")) or own_table.search(p.read_text(encoding="utf-8")))]
    assert offenders == []


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
