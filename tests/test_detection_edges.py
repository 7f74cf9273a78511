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


@pytest.mark.parametrize("values, scale", [
    (["0 - gar nicht", "5", "10 - äußerst"], (0, 10)),  # a 0 among the answers: 0–10
    (["1 - schlecht", "4", "8 - super"], (1, 10)),  # above 7: 1–10
    (["1 = schlecht", "3", "7 = sehr gut"], (1, 7)),  # 6 or 7: 1–7
    (["1 (schlecht)", "6"], (1, 7)),
    (["Poor1", "3", "Good5"], (1, 5)),  # up to 5: 1–5
    (["Disagree (1)", "Agree (2)"], (1, 5)),
    (["1 - schlecht", "11 - top"], None),  # beyond 10: no scale TPM knows
    (["1", "2", "3"], None),  # plain numbers are numbers, not labels
])
def test_numbers_glued_to_labels_give_the_smallest_common_scale_holding_them(values, scale):
    from tpm.ingest.scales import match_labels, normalise_label

    found = match_labels(values)
    if scale is None:
        assert found is None
        return
    assert found[:2] == scale and found[3] == "numbers_with_labels"
    numbers = {normalise_label(v): float("".join(c for c in v if c.isdigit())) for v in values}
    assert found[2] == numbers


def test_labels_are_compared_without_case_quotes_spacing_or_a_final_full_stop():
    from tpm.ingest.scales import match_labels, normalise_label

    assert normalise_label("  Sehr   Gut. ") == "sehr gut"
    assert normalise_label("It’s ‘ok’") == "it's 'ok'"
    assert normalise_label(".gut.") == ".gut"  # only a trailing full stop goes
    assert normalise_label("gut...") == "gut"
    assert match_labels(["Sehr gut.", "gut", " ", ""])[:2] == (1, 5)  # blank answers are no labels
    # two sets of the same size fit: the first one listed is taken
    assert match_labels(["trifft eher nicht zu", "trifft eher zu"])[3] == "agreement_4"


@pytest.mark.parametrize("zeros, filled, maximum, expected", [
    (1, 100, 5, (1, 5)),  # one 0 in 100 answers of 1–5: a stray value
    (2, 100, 5, (1, 5)),  # 2 % is still stray
    (3, 100, 5, (0, 5)),  # 3 %: the 0 is a scale point — the answers' own range, never a top nobody chose
    (1, 20, 5, (1, 5)),  # one 0 is always allowed as stray
    (2, 20, 5, (0, 5)),
    (1, 100, 7, (1, 7)),
    (1, 100, 8, (0, 8)),  # answers above 7 fit no smaller scale with a stray 0: the answers' range (unsure)
])
def test_a_rare_zero_beside_a_small_scale_is_a_stray_value(zeros, filled, maximum, expected):
    lo, hi, reason = infer_scale("Hotline", 0, maximum, zeros=zeros, filled=filled, minimum_above_zero=1)
    assert (lo, hi) == expected
    assert reason  # guessed either way
    if expected[0] == 1:
        assert f"the value 0 ({zeros}×) lies outside it" in reason


def test_only_0_and_10_both_answered_make_0_to_10_sure():
    assert infer_scale("Hotline", 0, 10, zeros=50, filled=100, minimum_above_zero=1) == (0, 10, None)
    assert infer_scale("Hotline", 0, 9, zeros=50, filled=100, minimum_above_zero=1)[2]  # no 10: unsure
    assert infer_scale("Hotline", 1, 10)[:2] == (1, 10) and infer_scale("Hotline", 1, 10)[2]  # no 0: unsure
    assert infer_scale("Hotline (0-10)", 3, 7) == (0, 10, None)  # stated in the header: sure


def test_a_guessed_scale_names_the_answers_it_saw():
    assert "answers 2–4" in infer_scale("Hotline", 2, 4)[2]
    assert "answers" not in infer_scale("Hotline", None, None)[2].split(";")[0].replace("from the answers", "")
    # a stray 0 beside answers 1–3: the three-point scale, without the 0
    assert infer_scale("Hotline", 0, 3, zeros=1, filled=100, minimum_above_zero=1)[:2] == (1, 3)
