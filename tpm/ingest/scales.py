"""Rating scales written as words: ordered label sets (German and English) mapped to numbers by
their meaning, never by the alphabet (a set matches only when each answer is a different point
of it, so "trifft nicht zu" is a scale point where the set uses it and "not applicable" elsewhere); and labels glued to numbers ("Very helpful10",
"10 - äußerst zufrieden", "Agree (2)").

:func:`match_labels` takes the distinct answers of a column and returns ``(1, k, mapping)`` for
the known set they belong to (k = its number of points, mapping: normalised label → 1…k), or
``None`` — an unknown set is reported as text, never guessed.
"""

from __future__ import annotations

import re

# Each scale: points from worst to best; each point lists the spellings that mean it.
LABEL_SETS: dict[str, list[list[str]]] = {
    "satisfaction_5": [
        ["sehr unzufrieden", "very dissatisfied", "äußerst unzufrieden", "extremely dissatisfied", "completely dissatisfied"],
        ["unzufrieden", "dissatisfied", "eher unzufrieden", "somewhat dissatisfied"],
        ["weder zufrieden noch unzufrieden", "neither satisfied nor dissatisfied", "teils, teils", "teils/teils", "neutral",
         "weder noch"],
        ["zufrieden", "satisfied", "eher zufrieden", "somewhat satisfied"],
        ["sehr zufrieden", "very satisfied", "äußerst zufrieden", "extremely satisfied", "completely satisfied"],
    ],
    "agreement_5": [
        ["stimme überhaupt nicht zu", "stimme gar nicht zu", "strongly disagree", "trifft überhaupt nicht zu", "trifft gar nicht zu"],
        ["stimme nicht zu", "stimme eher nicht zu", "disagree", "somewhat disagree", "trifft eher nicht zu", "trifft nicht zu"],
        ["weder noch", "teils, teils", "teils/teils", "neutral", "neither agree nor disagree", "unentschieden", "trifft teilweise zu"],
        ["stimme zu", "stimme eher zu", "agree", "somewhat agree", "trifft eher zu", "trifft zu"],
        ["stimme voll zu", "stimme vollständig zu", "stimme voll und ganz zu", "strongly agree", "trifft voll zu",
         "trifft voll und ganz zu", "trifft vollständig zu"],
    ],
    "agreement_4": [
        ["stimme gar nicht zu", "stimme überhaupt nicht zu", "strongly disagree", "trifft gar nicht zu"],
        ["stimme eher nicht zu", "disagree", "trifft eher nicht zu"],
        ["stimme eher zu", "agree", "trifft eher zu"],
        ["stimme vollständig zu", "stimme voll zu", "stimme voll und ganz zu", "strongly agree", "trifft voll zu"],
    ],
    "agreement_de_4": [  # "trifft nicht zu / eher nicht zu / eher zu / trifft zu"
        ["trifft nicht zu", "trifft überhaupt nicht zu", "stimme nicht zu"],
        ["trifft eher nicht zu", "stimme eher nicht zu"],
        ["trifft eher zu", "stimme eher zu"],
        ["trifft zu", "trifft voll zu", "trifft voll und ganz zu", "stimme zu", "stimme voll zu"],
    ],
    "favourability_5": [
        ["very unfavorably", "very unfavourably", "sehr negativ"],
        ["somewhat unfavorably", "somewhat unfavourably", "eher negativ"],
        ["neither favorably nor unfavorably (neutral)", "neither favorably nor unfavorably", "neutral", "weder noch"],
        ["somewhat favorably", "somewhat favourably", "eher positiv"],
        ["very favorably", "very favourably", "sehr positiv"],
    ],
    "quality_5": [
        ["sehr schlecht", "very poor", "very bad"],
        ["schlecht", "poor", "bad"],
        ["mittelmäßig", "befriedigend", "fair", "average", "okay", "ok"],
        ["gut", "good"],
        ["sehr gut", "very good", "excellent", "ausgezeichnet"],
    ],
    "likelihood_5": [
        ["sehr unwahrscheinlich", "very unlikely", "extremely unlikely"],
        ["eher unwahrscheinlich", "unwahrscheinlich", "unlikely", "somewhat unlikely"],
        ["weder noch", "neutral", "neither likely nor unlikely", "unsure"],
        ["eher wahrscheinlich", "wahrscheinlich", "likely", "somewhat likely"],
        ["sehr wahrscheinlich", "very likely", "extremely likely"],
    ],
    "frequency_de_5": [
        ["gar nicht", "nie", "niemals"],
        ["selten"],
        ["eher selten", "manchmal", "gelegentlich"],
        ["eher häufig", "häufig", "oft"],
        ["sehr häufig", "sehr oft", "immer"],
    ],
    "frequency_en_6": [
        ["never", "i had not been using tools like these", "i have not been using tools like these"],
        ["less than once per year", "rarely"],
        ["several times per year", "sometimes"],
        ["monthly", "often"],
        ["weekly", "very often"],
        ["daily", "always"],
    ],
}

_GLUED = (re.compile(r"^\s*([0-9]{1,3})\s*(?:[-–—:.)=]\s*|\s+)[^0-9].*$"),
          re.compile(r"^[^0-9]*?[^0-9]\s*\(?([0-9]{1,3})\)?\s*$"))


def normalise_label(text: str) -> str:
    """Case, curly quotes, spacing and a trailing full stop do not matter."""
    text = text.replace("’", "'").replace("‘", "'").casefold()
    return " ".join(text.split()).rstrip(".").strip()


def glued_number(text: str) -> int | None:
    """The number in "Very helpful10", "10 - äußerst zufrieden", "Agree (2)"; None if none."""
    for pattern in _GLUED:
        m = pattern.match(text)
        if m:
            return int(m.group(1))
    return None


def _ascii_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def match_labels(values: list[str], optional: list[str] = ()) -> tuple[int, int, dict[str, float], str] | None:
    """(scale_min, scale_max, mapping, name) for a column's distinct non-missing answers, or None.

    ``optional`` are the column's answers that are no-answer words elsewhere ("trifft nicht zu",
    "weiß nicht", "k.A."): each is a point of a set only where the set spells that *whole* answer
    as one of its points ("trifft nicht zu" in "trifft gar nicht zu … trifft voll zu"), and stays
    a don't-know answer otherwise ("weiß nicht" beside the same set) — never matched as a part of
    a longer answer. Of the sets that hold every answer, the one that also explains the most
    optional answers wins, then the one with the fewest points.
    """
    labels = {normalise_label(v) for v in values if v and v.strip()}
    extra = {normalise_label(v) for v in optional if v and v.strip()} - labels
    if len(labels) < 2 and not extra:
        return None
    best, best_key = None, None
    for name, points in LABEL_SETS.items():
        lookup = {normalise_label(spelling): rank + 1 for rank, spellings in enumerate(points) for spelling in spellings}
        used = labels | {label for label in extra if label in lookup}
        if len(used) >= 2 and labels <= set(lookup) and len({lookup[label] for label in used}) == len(used):
            # two answers on one point (e.g. "trifft nicht zu" beside "trifft eher nicht zu") is not this set
            key = (len(used), -len(points))
            if best_key is None or key > best_key:
                best = (1, len(points), {label: float(lookup[label]) for label in used}, name)
                best_key = key
    if best:
        return best
    numbers = {}
    for label in labels:
        number = int(label) if _ascii_number(label) else glued_number(label)
        if number is None:
            return None
        numbers[label] = float(number)
    if any(not _ascii_number(label) for label in labels) and len(numbers) >= 2:
        lo, hi = min(numbers.values()), max(numbers.values())
        if lo >= 0 and hi <= 10:
            scale = (0, 10) if lo == 0 else (1, 10) if hi > 7 else (1, 7) if hi > 5 else (1, 5)
            return scale[0], scale[1], numbers, "numbers_with_labels"
    return None
