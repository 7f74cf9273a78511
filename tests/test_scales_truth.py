"""Scales read as the file means them (issue #20, part "ingest: scales").

Every case is a small export built here; the truth (n, don't know, 0–100 score, boxes) is
computed in the test from the raw answers with plain Python/pandas and a mapping written by
hand — never through TPM's own reading of the file.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from conftest import xlsx_bytes
from tpm import store
from tpm.ingest import ingest_bytes
from tpm.metrics import Filter
from tpm.metrics.satisfaction import touchpoint_stats


def csv_bytes(rows) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


def spec_of(specs, column):
    return next(s for s in specs if s.column == column)


def truth(answers: list, points: dict, dont_know: set, lo: int, hi: int, box: int) -> dict:
    """n, don't know, 0–100 score and top/bottom box of raw answers, by hand: ``points`` maps an
    answer to its scale point, ``dont_know`` are the answers that are no score but counted."""
    scores = pd.Series([points[a] for a in answers if a in points], dtype=float)
    return {"n": len(scores), "dont_know": sum(a in dont_know for a in answers),
            "score": float(((scores - lo) / (hi - lo) * 100).mean()),
            "top": float(100 * (scores > hi - box).mean()), "bottom": float(100 * (scores < lo + box).mean())}


def stored_stats(con, result, touchpoint: str) -> pd.Series:
    store.save_import(con, result)
    return touchpoint_stats(con, Filter()).set_index("touchpoint").loc[touchpoint]


# --- (a) an agreement set beside "weiß nicht" / "k.A." ------------------------------------

AGREE_DE = ["trifft gar nicht zu", "trifft nicht zu", "teils/teils", "trifft zu", "trifft voll zu"]
AGREE_EN = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]


def agreement_answers(points: list[str], dont_know: list[str], n: int = 300, seed: int = 11) -> list[str]:
    """Random answers, skewed to the low end (so that reading point 2 as don't know moves the score)."""
    rng = np.random.default_rng(seed)
    answers = list(rng.choice(points, size=n, p=[0.2, 0.3, 0.2, 0.2, 0.1][:len(points)] if len(points) == 5 else None))
    for i in rng.choice(n, size=20, replace=False):
        answers[i] = dont_know[i % len(dont_know)]
    return answers


@pytest.mark.parametrize("points, dk", [
    (AGREE_DE, ["weiß nicht", "k.A."]),
    (AGREE_DE, ["weiß nicht"]),
    (AGREE_DE, ["k.A."]),
    (AGREE_EN, ["Don't know", "N/A"]),
    (["trifft nicht zu", "trifft eher nicht zu", "trifft eher zu", "trifft zu"], ["weiß nicht", "keine Angabe"]),
])
def test_agreement_point_is_not_a_dont_know_answer(con, points, dk):
    answers = agreement_answers(points, dk)
    rows = [["ID", "Die Beratung war kompetent"]] + [[f"R{i}", a] for i, a in enumerate(answers)]
    result = ingest_bytes("agree.xlsx", xlsx_bytes(rows))
    spec = spec_of(result.specs, "Die Beratung war kompetent")
    k = len(points)
    assert spec.role == "rating" and (spec.scale_min, spec.scale_max) == (1, k)
    assert spec.labels == {p.casefold(): float(i + 1) for i, p in enumerate(points)}
    box = 2 if k >= 5 else 1
    expected = truth(answers, {p: i + 1 for i, p in enumerate(points)}, set(dk), 1, k, box)
    stats = stored_stats(con, result, "Die Beratung war kompetent")
    assert stats["n"] == expected["n"] == 280
    assert stats["dont_know"] == expected["dont_know"] == 20
    assert stats["score_0_100"] == pytest.approx(expected["score"], abs=1e-9)
    assert stats["bottom2_box"] == pytest.approx(expected["bottom"], abs=1e-9)
    assert stats["top2_box"] == pytest.approx(expected["top"], abs=1e-9)


def test_dont_know_word_on_its_own_is_still_dont_know():
    """"trifft nicht zu" beside numbers (a 1–5 item) is "not applicable", as before."""
    answers = [["trifft nicht zu", "3", "4", "5", "k.A."][i % 5] for i in range(50)]
    result = ingest_bytes("na.csv", csv_bytes([["ID", "Hotline (1-5)"]] + [[i, a] for i, a in enumerate(answers)]))
    assert len(result.canonical.ratings) == 30
    assert len(result.canonical.dont_know) == 20


# --- (b) a scale stated in the header, whatever its length --------------------------------

@pytest.mark.parametrize("header, lo, hi, name", [
    ("Hotline (1-4)", 1, 4, "Hotline"),
    ("Hotline (1-3)", 1, 3, "Hotline"),
    ("Zufriedenheit Hotline 1–6", 1, 6, "Hotline"),
    ("Hotline von 1 bis 4", 1, 4, "Hotline"),
    ("Hotline auf einer Skala von 1 bis 6", 1, 6, "Hotline"),
    ("Hotline (0-10)", 0, 10, "Hotline"),
    ("Hotline (0-6)", 0, 6, "Hotline"),
    ("Hotline (1 = gar nicht zufrieden, 4 = voll zufrieden)", 1, 4, "Hotline"),
    ("Hotline (1 (schlecht) bis 4 (gut))", 1, 4, "Hotline"),
    ("How satisfied were you with the hotline (1 to 4)?", 1, 4, "hotline"),
])
def test_stated_scale_is_the_scale(con, header, lo, hi, name):
    rng = np.random.default_rng(5)
    # answers that do not reach the top: the data alone would propose a shorter scale
    answers = [int(v) for v in rng.integers(lo, hi, size=200)]  # lo … hi-1
    rows = [["ID", header]] + [[f"R{i}", a] for i, a in enumerate(answers)]
    result = ingest_bytes("stated.csv", csv_bytes(rows))
    spec = spec_of(result.specs, header)
    assert spec.role == "rating" and spec.touchpoint == name
    assert (spec.scale_min, spec.scale_max) == (lo, hi) and spec.unsure is None
    box = 1 if hi - lo + 1 <= 4 else 2
    expected = truth(answers, {v: v for v in range(lo, hi + 1)}, set(), lo, hi, box)
    stats = stored_stats(con, result, name)
    assert (stats["scale_min"], stats["scale_max"], stats["box_points"]) == (lo, hi, box)
    assert stats["n"] == expected["n"] == 200
    assert stats["score_0_100"] == pytest.approx(expected["score"], abs=1e-9)
    assert stats["top2_box"] == pytest.approx(expected["top"], abs=1e-9)
    assert stats["bottom2_box"] == pytest.approx(expected["bottom"], abs=1e-9)


def test_answers_outside_a_stated_four_point_scale_are_unsure_then_refused():
    rows = [["ID", "Hotline (1-4)"]] + [[i, 1 + i % 5] for i in range(50)]  # 5 is not on 1–4
    from tpm.ingest import IngestError
    from tpm.upload import prepare

    spec = spec_of(prepare("out.csv", csv_bytes(rows)).specs, "Hotline (1-4)")
    assert (spec.scale_min, spec.scale_max) == (1, 4)
    assert spec.unsure and "outside the stated scale 1–4" in spec.unsure
    with pytest.raises(IngestError, match="the value 5 is outside the scale 1–4"):
        ingest_bytes("out.csv", csv_bytes(rows))


@pytest.mark.parametrize("header", ["Terminal 1-2", "Alter 18-25", "Q1-4 Hotline", "Hotline 0-100"])
def test_ranges_that_are_no_rating_scale_are_not_read_as_one(header):
    from tpm.ingest.detect import scale_from_header

    assert scale_from_header(header) is None
