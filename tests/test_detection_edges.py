"""Scale and label detection at the edges of its rules (killing the mutants ``make mutation`` found
alive), with expectations written by hand: a guessed scale holds every answer and says it was
guessed; a text column is offered as a possible rating scale only when most of its answers are
words of judgement."""

import pytest

from conftest import xlsx_bytes
from tpm.ingest import ingest_bytes
from tpm.ingest.detect import infer_scale


@pytest.mark.parametrize("lo", [1, 2])
@pytest.mark.parametrize("hi", [2, 3, 4, 5, 6, 7, 8, 9, 10])
def test_a_scale_guessed_from_the_answers_holds_every_answer_and_is_unsure(lo, hi):
    if hi <= lo:
        return
    scale_min, scale_max, reason = infer_scale("Hotline", lo, hi)
    assert scale_min <= lo and hi <= scale_max, (lo, hi, scale_min, scale_max)
    assert reason  # the header states no scale: the guess says so


@pytest.mark.parametrize("answers, evaluative", [
    (["sehr gut", "eher schlecht", "Nord", "Süd"], True),  # 2 of 4 answers judge: maybe a scale in words
    (["sehr gut", "eher schlecht", "Nord", "Süd", "Ost", "West"], False),  # 2 of 6: regions
    (["very useful", "somewhat useful", "not at all useful", "Berlin"], True),
    (["Nord", "Süd", "Ost", "West"], False),
])
def test_a_text_column_is_doubted_as_a_scale_only_when_most_answers_judge(answers, evaluative):
    rows = [["ID", "Frage", "Hotline (1-5)"]] + [[i, answers[i % len(answers)], 1 + i % 5] for i in range(60)]
    spec = next(s for s in ingest_bytes("worte.xlsx", xlsx_bytes(rows)).specs if s.column == "Frage")
    assert spec.role == "segment"
    assert ("rating scale in words" in (spec.unsure or "")) is evaluative


def test_a_label_set_whose_first_point_is_a_no_answer_word_elsewhere_keeps_that_point():
    """"trifft nicht zu" means "not applicable" in many exports, but in the set "trifft nicht zu …
    trifft zu" it is the lowest point: every answer is a rating, none is missing."""
    labels = ["trifft nicht zu", "trifft eher nicht zu", "trifft eher zu", "trifft zu"]
    answers = [labels[i % 4] for i in range(40)]
    rows = [["ID", "Beratung"]] + [[i, a] for i, a in enumerate(answers)]
    result = ingest_bytes("trifft.xlsx", xlsx_bytes(rows))
    spec = next(s for s in result.specs if s.column == "Beratung")
    assert (spec.role, spec.scale_min, spec.scale_max) == ("rating", 1, 4)
    assert spec.labels == {label: float(i + 1) for i, label in enumerate(labels)}
    ratings = result.canonical.ratings
    assert len(ratings) == 40 and sorted(ratings["score"].value_counts().items()) == [(1.0, 10), (2.0, 10), (3.0, 10), (4.0, 10)]
