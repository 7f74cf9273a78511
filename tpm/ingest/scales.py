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


# --- just-about-right scales: "too little / just right / too much" --------------------------
#: the middle of a just-about-right scale
JAR_MIDDLE = frozenset({
    "just right", "about right", "just about right", "right", "the right amount", "right amount", "just the right amount",
    "about the right amount", "neither too little nor too much", "genau richtig", "gerade richtig", "richtig", "genau passend",
    "passend", "angemessen", "genau die richtige menge", "die richtige menge", "weder zu wenig noch zu viel",
})
_JAR_EN = re.compile(r"^(?:(much|far|way|a lot|definitely)|(a little|a bit|slightly|somewhat|rather|a little bit))?\s*too\s+(\w+)$")
_JAR_DE = re.compile(r"^(?:(viel|deutlich|weit|sehr viel|erheblich)|(etwas|ein wenig|ein bisschen|eher|leicht|ein klein wenig))?\s*zu\s+(\w+)$")
_JAR_NOT_ENOUGH = frozenset({"not enough", "nicht genug", "nicht genügend", "zu wenig", "too little", "too few"})
#: the word after "too"/"zu" that means the low side (too little) or the high side (too much)
JAR_LOW = frozenset({
    "little", "few", "short", "low", "slow", "small", "cheap", "easy", "weak", "mild", "light", "soft", "rare", "seldom",
    "quiet", "early", "thin", "sparse", "simple", "less", "basic", "infrequent", "brief", "rarely",
    "wenig", "wenige", "kurz", "niedrig", "langsam", "klein", "billig", "günstig", "leicht", "einfach", "schwach", "selten",
    "früh", "leise", "dünn", "gering", "knapp", "weich",
})
JAR_HIGH = frozenset({
    "much", "many", "long", "high", "fast", "quick", "big", "large", "expensive", "difficult", "hard", "strong", "spicy",
    "heavy", "frequent", "often", "loud", "late", "thick", "complex", "complicated", "more", "detailed",
    "viel", "viele", "lang", "hoch", "schnell", "groß", "gross", "teuer", "schwer", "schwierig", "stark", "scharf", "oft", "häufig",
    "laut", "spät", "dick", "kompliziert", "aufwendig", "aufwändig", "ausführlich", "umfangreich",
})


def jar_sides(values: list[str]) -> tuple[dict[str, float], str | None] | None:
    """A just-about-right answer set ("zu kurz / genau richtig / zu lang", "much too little …
    too much"; 3 or 5 points, DE and EN) as ``(mapping, doubt)``, or None.

    mapping: normalised answer → side, 0 = just right, −1/−2 = too little (slightly/much),
    +1/+2 = too much; doubt: why the sides are unsure (the word after "too"/"zu" is not one TPM
    knows as the low or high side), else None. Such a scale is a distribution (too little / just
    right / too much), never a rating: "just right" in its middle is the best answer, not 50 of 100.
    """
    ordered = list(dict.fromkeys(normalise_label(v) for v in values if v and v.strip()))  # in the order of the file
    labels = set(ordered)
    if not 2 <= len(labels) <= 7:
        return None
    if not labels & JAR_MIDDLE:
        return _numbered_jar(ordered)
    too: dict[str, tuple[int, str]] = {}
    for label in (label for label in ordered if label not in JAR_MIDDLE):
        if label in _JAR_NOT_ENOUGH:
            too[label] = (1, "little")
            continue
        match = _JAR_EN.match(label) or _JAR_DE.match(label)
        if not match:
            return None
        too[label] = (2 if match.group(1) else 1, match.group(3))
    if not too or len(labels & JAR_MIDDLE) > 1:
        return None
    words = list(dict.fromkeys(word for _, word in too.values()))
    known = {w: (-1 if w in JAR_LOW else 1) for w in words if w in JAR_LOW or w in JAR_HIGH}
    unknown = [w for w in words if w not in known]
    doubt = None
    if unknown:
        if len(unknown) == 1 and len(set(known.values())) == 1:  # the other side of the one known word
            known[unknown[0]] = -next(iter(known.values()))
        else:
            for i, w in enumerate(unknown):
                known[w] = -1 if i % 2 == 0 else 1
            doubt = (f"just-about-right answers whose side TPM does not know ({', '.join(unknown)}): "
                     "check which answers mean too little and which too much")
    if len(known) > len(set(known.values())):  # "too short" and "too brief": two words on one side
        doubt = doubt or "two different words on one side of a just-about-right scale: check the sides"
    mapping = {label: 0.0 for label in labels & JAR_MIDDLE}
    mapping.update({label: float(known[word] * degree) for label, (degree, word) in too.items()})
    return mapping, doubt


_NUMBER_PREFIX = re.compile(r"^\s*([0-9]{1,2})\s*(?:[-–—:.)=]\s*|\s+)(.+)$")
_NUMBER_SUFFIX = re.compile(r"^(.+?)\s*\(([0-9]{1,2})\)$")


def _numbered_jar(labels: list[str]) -> tuple[dict[str, float], str | None] | None:
    """"1 - zu kurz", "2", "3 - genau richtig", "4", "5 - zu lang": numbered answers, some with
    words, whose middle is "just right": each answer's side is its number minus the middle's."""
    numbers: dict[str, int] = {}
    words: dict[str, str] = {}
    for label in labels:
        if label.isdigit():
            numbers[label] = int(label)
            continue
        match = _NUMBER_PREFIX.match(label)
        number, word = (match.group(1), match.group(2)) if match else (None, None)
        if not match:
            match = _NUMBER_SUFFIX.match(label)
            number, word = (match.group(2), match.group(1)) if match else (None, None)
        if number is None:
            return None
        numbers[label], words[label] = int(number), normalise_label(word)
    middle = [numbers[label] for label, word in words.items() if word in JAR_MIDDLE]
    if len(middle) != 1 or len(set(numbers.values())) < len(numbers):
        return None
    too = [label for label, word in words.items() if word not in JAR_MIDDLE]
    named = jar_sides([words[label] for label in too] + [next(w for w in words.values() if w in JAR_MIDDLE)])
    if named is None or not too:
        return None
    # the words' sides must agree with the numbers' (a reversed "5 = too short … 1 = too long" flips them)
    sign = 1
    low = [label for label in too if named[0][words[label]] < 0]
    if low and numbers[low[0]] > middle[0]:
        sign = -1
    return {label: float(sign * (number - middle[0])) for label, number in numbers.items()}, named[1]


def jar_from_header(header: str, scale: tuple[int, int] | None) -> dict[str, float] | None:
    """A numeric just-about-right item: "Länge (1 = zu kurz, 3 = genau richtig, 5 = zu lang)"
    → {"1": −2, "2": −1, "3": 0, "4": 1, "5": 2}: the header names the middle and a side, the
    scale has an odd number of points; None otherwise."""
    text = normalise_label(header)
    generic = {"right", "richtig", "passend", "angemessen", "right amount"}
    if scale is None or (scale[1] - scale[0]) % 2 or not any(m in text for m in JAR_MIDDLE - generic):
        return None
    if not any(word in JAR_LOW | JAR_HIGH for word in re.findall(r"\b(?:too|zu)\s+(\w+)", text)):
        return None
    middle = (scale[0] + scale[1]) // 2
    return {str(v): float(v - middle) for v in range(scale[0], scale[1] + 1)}
