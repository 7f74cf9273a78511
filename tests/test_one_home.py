"""One home per rule (issue #26): each rule behind the figures is defined once, and the SQL is made
from that definition — so changing a rule in its home changes every figure, and a second home fails here."""

import ast
import re

import duckdb
import numpy as np
import pytest
from conftest import ROOT, xlsx_bytes

#: a comparison with the NPS cut-offs 6 or 9 written out (SQL or Python): ``nps >= 9``, ``{v} <= 6``, ``9 <= x``
#: (not a format spec such as ``:>6``)
CUT_OFF = re.compile(r"(?<![:\w<>])(?:>=|<=|>|<)\s*(?:6|9)(?![\d.])|(?<![\w.])(?:6|9)\s*(?:>=|<=|<|>)(?![<>])")


def sources():
    return sorted((ROOT / "tpm").rglob("*.py"))


def test_the_nps_cut_offs_are_written_only_in_their_home():
    """rules.PROMOTER_MIN / DETRACTOR_MAX; SQL from tpm.metrics.weighted.nps_group_sql."""
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}" for path in sources()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if CUT_OFF.search(line)]
    assert not found, "NPS cut-offs written out outside tpm/metrics/rules.py:\n" + "\n".join(found)


def test_no_numeric_constant_is_defined_in_two_modules():
    """A module-level NAME = number (a threshold, a block size) has one home; others import it."""
    homes: dict[str, list[str]] = {}
    for path in sources():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
                try:
                    value = eval(compile(ast.Expression(node.value), name, "eval"), {"__builtins__": {}})
                except Exception:
                    continue
                if name.isupper() and isinstance(value, (int, float)) and not isinstance(value, bool):
                    homes.setdefault(name, []).append(str(path.relative_to(ROOT)))
    twice = {name: paths for name, paths in homes.items() if len(paths) > 1}
    assert not twice, twice


def test_the_box_rule_is_the_same_in_python_and_in_sql():
    from tpm.metrics.weighted import box_points, box_sql

    con = duckdb.connect()
    for points in range(2, 13):
        lo, hi = 1, points
        sql = con.execute(f"SELECT {box_points('lo', 'hi')} FROM (SELECT {lo} AS lo, {hi} AS hi)").fetchone()[0]
        assert sql == box_points(lo, hi), points
        top = {s for s in range(lo, hi + 1) if con.execute(f"SELECT {box_sql(True, str(s), str(lo), str(hi))}").fetchone()[0]}
        bottom = {s for s in range(lo, hi + 1) if con.execute(f"SELECT {box_sql(False, str(s), str(lo), str(hi))}").fetchone()[0]}
        assert top == set(range(hi - box_points(lo, hi) + 1, hi + 1)) and bottom == set(range(lo, lo + box_points(lo, hi)))


def test_moving_the_nps_cut_offs_in_their_home_moves_every_nps_figure(con, monkeypatch):
    """With promoters from 8 and detractors up to 5 (set in tpm.metrics.rules only), the NPS of the
    respondents, the NPS among a touchpoint's raters and the NPS groups read at import all follow."""
    from tpm import store
    from tpm.ingest import ingest_bytes
    from tpm.ingest.detect import _group_of_score
    from tpm.metrics import Filter, rules
    from tpm.metrics.nps import nps_for
    from tpm.metrics.satisfaction import touchpoint_stats

    answers = np.array([0, 3, 5, 5, 6, 7, 7, 8, 8, 8, 9, 10] * 3)
    rated = np.arange(len(answers)) % 3 != 0  # a third did not rate the Hotline
    rows = [["ID", "Hotline", "Weiterempfehlung (0-10)"]] + [
        [f"r{i}", (i % 5) + 1 if r else None, int(a)] for i, (a, r) in enumerate(zip(answers, rated))]
    dataset = store.save_import(con, ingest_bytes("cut.xlsx", xlsx_bytes(rows)), name="cut").dataset_id
    monkeypatch.setattr(rules, "PROMOTER_MIN", 8)
    monkeypatch.setattr(rules, "DETRACTOR_MAX", 5)
    nps = nps_for(con, Filter.of([dataset]))
    assert (nps.promoters, nps.detractors, nps.n) == ((answers >= 8).sum(), (answers <= 5).sum(), len(answers))
    among = answers[rated]
    hotline = touchpoint_stats(con, Filter.of([dataset])).set_index("touchpoint").loc["Hotline"]
    assert hotline["nps"] == pytest.approx(100 * ((among >= 8).mean() - (among <= 5).mean()))
    groups = _group_of_score(np.array([5.0, 6.0, 7.0, 8.0]))
    assert groups.tolist() == ["detractor", "passive", "passive", "promoter"]
