"""Guess each column's role, touchpoint name and scale from its header and its values.

Roles: ``id`` (respondent id), ``date`` (response date/time), ``rating`` (a touchpoint
rated on a numeric scale), ``nps`` (the 0–10 recommend question), ``overall`` (the overall
satisfaction question: an outcome, not a touchpoint), ``weight`` (the respondent's survey
weight), ``segment`` (categorical attribute such as Region or Kundenart), ``outcome`` (a
behaviour the touchpoints may explain — churn, cancellation, repurchase: yes/no or a number;
stored like a segment, so it also filters, and the key drivers take it as their outcome), ``multi`` (one
option of a multiple-choice question: ticked/empty or yes/no columns grouped into one
filter), ``jar`` (a just-about-right question: "zu kurz / genau richtig / zu lang" — a
distribution of too little / just right / too much, never a rating; stored like a segment, its
answers' sides in ``labels``), ``comment`` (free text), ``contact`` (an e-mail address, phone number or
customer number for following up a case: kind in :attr:`ColumnSpec.contact_kind`; proposed only from its header
*and* its values, always unsure, and stored — in ``contacts``, never as a segment — only once confirmed), ``ignore``.

Every decision taken with less than full evidence carries its reason in
:attr:`ColumnSpec.unsure` (a scale guessed from the data alone, an unknown label set, a
column that could be a segment or a comment, a value outside the stated scale): the Upload
page asks for a click on each, the CLI lists them and ``--strict`` refuses while any is left.

The guess is a :class:`ColumnSpec` per column; the Upload page shows them as an editable
table, so a wrong guess is one click to correct, and the corrected specs go to
:func:`tpm.ingest.normalise.normalise` unchanged.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tpm.ingest.platforms import is_meta
from tpm.ingest.scales import jar_from_header, jar_sides, match_labels
from tpm.ingest.table import RawTable
from tpm.ingest.values import ParsedColumn, date_doubt, to_dates
from tpm.text.fold import fold

ROLES = ("id", "date", "rating", "nps", "overall", "weight", "segment", "outcome", "multi", "jar", "comment", "contact",
         "ignore")
#: the kinds of a ``contact`` column (ColumnSpec.contact_kind)
CONTACT_KINDS = ("email", "phone", "customer_no")
#: roles whose column holds scores on a scale
SCORED = ("rating", "nps", "overall")

_NPS = re.compile(r"weiterempfehl|empfehlen|\bempfehlung|recommend|(?<![a-z])nps(?![a-z])|net ?promoter", re.I)
#: the answers of a promoter/passive/detractor column (an export's own NPS grouping), by group
NPS_GROUPS = {
    "promoter": frozenset({"promoter", "promoters", "promotor", "promotoren", "förderer", "promoter (9-10)", "promoter (9–10)"}),
    "passive": frozenset({"passive", "passives", "passiv", "passiver", "indifferent", "indifferente", "neutral", "neutrals",
                          "passive (7-8)", "passive (7–8)"}),
    "detractor": frozenset({"detractor", "detractors", "detraktor", "detraktoren", "kritiker", "kritikerin",
                            "detractor (0-6)", "detractor (0–6)"}),
}
_ID = re.compile(
    r"^(id|nr\.?|no\.?|nummer|number|#|respondent|respondent[ _-]?id|response[ _-]?id|responseid|befragten[ -]?id|befragte[rn]?|"
    r"teilnehmer[ -]?(id|nr)?|interview[ -]?(id|nr)?|fall(nummer|nr)?|lfd\.? ?nr\.?|record[ _-]?id|"
    r"antwort[ -]?id|kunden[ -]?(nr|nummer|id)|case[ _-]?id)$",
    re.I,
)
_ID_WORD = re.compile(r"(^|[^a-zäöü])(id|nr|no)([^a-zäöü]|$)", re.I)  # "Your Enquiry ID (pre-filled)"
_WEIGHT = re.compile(r"(^|[^a-zäöü])(weights?|weighting|wt|wgt|gewicht|gewichte)([^a-zäöü]|$)|gewichtung|gewichtsfaktor|designgewicht", re.I)
_UNIT = re.compile(r"\b(kg|g|lbs?|pounds|gramm|kilo\w*|tonnen|tons?)\b", re.I)
_COUNT = re.compile(r"\b(how many|wie ?viele|wie viel|anzahl|number of|count of|menge)\b", re.I)
_OVERALL = re.compile(
    r"gesamtzufriedenheit|gesamteindruck|gesamturteil|gesamtbewertung|overall|alles in allem|all in all|"
    r"im gro(ß|ss)en und ganzen|total satisfaction|general satisfaction|zufriedenheit\s+(gesamt|insgesamt|allgemein)|"
    r"(zufrieden\w*|satisf\w*)\s+(sind sie\s+)?(insgesamt|alles in allem)?\s*(mit|with)\s+(a|an|ein|einem|einer|uns|us)\b|"
    r"(zufrieden|satisfied)\s+(sind sie|are you)\s+insgesamt\s*\??$",
    re.I,
)
#: headers naming a behaviour the touchpoints may explain (an outcome), not an attribute of the respondent
_OUTCOME = re.compile(
    r"churn|cancel|k(ü|ue)ndig|abwander|abgewandert|wiederkauf|wieder\s*kaufen|repurchase|re-purchase|buy again|"
    r"retention|retained|renew|vertragsverl(ä|ae)ngerung|verl(ä|ae)ngert|lost customer|kunde verloren|will leave|"
    r"anbieterwechsel|switch(ed)? provider",
    re.I,
)
#: outcome answers read as 1 (yes) and 0 (no); compared after strip, casefold and a trailing full stop
OUTCOME_YES = frozenset({"yes", "ja", "y", "j", "true", "wahr", "x"})
OUTCOME_NO = frozenset({"no", "nein", "n", "false", "falsch"})
_DATE = re.compile(r"datum|date|zeit|time|timestamp|submit|abgeschickt|erfasst", re.I)
_COMMENT = re.compile(r"kommentar|anmerkung|bemerkung|comment|feedback|freitext|anregung|remark|suggestion|warum|why|sonstig|anything else|noch etwas|mitteilen|tell us|besser machen|improve", re.I)
_PERSONAL = re.compile(
    r"^\s*(e-?mail(\s*-?adresse|\s*address)?|name|vorname|nachname|first\s*name|last\s*name|ip\s*-?address|ipaddress|"
    r"telefon(nummer)?|phone(\s*number)?|url|token|recipient\w*|location\s*\w+|latitude|longitude)\s*$",
    re.I,
)
#: headers of contact columns, by kind (the values must look like it too: :func:`contact_kind`)
_CONTACT_HEADERS = {
    "email": re.compile(r"^\s*(e-?mail|mail)(\s*-?adresse|\s*address)?\s*$", re.I),
    "phone": re.compile(r"^\s*(telefon(nummer)?|tel\.?|phone(\s*number)?|mobil(nummer)?|mobile|handy(nummer)?)\s*$", re.I),
    "customer_no": re.compile(r"^\s*(kunden[ -]?(nr\.?|nummer)|customer[ _-]?(no\.?|number|id))\s*$", re.I),
}
#: what a value of each contact kind looks like (after strip)
_CONTACT_VALUES = {
    "email": re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]{2,}$"),
    "phone": re.compile(r"^\+?[\d][\d \-/().]{4,22}\d$"),
    "customer_no": re.compile(r"^(?=.*\d)[\w./-]{3,24}$"),
}
#: share of a column's answers that must look like the kind named by its header
CONTACT_SHARE = 0.8
_RANKING = re.compile(r"\brank(ing|e|en)?\b|reihenfolge", re.I)
#: "(1-4)", "0 bis 10", "1 to 7", "1 (gar nicht) bis 4 (voll)", "von 1–6": a range from 0 or 1 (plausibility: :func:`plausible_scale`)
_SCALE_HINT = re.compile(r"(?<![\w.,])(0|1)(?:\s*\([^()\d]{1,40}\))?\s*(?:-|–|—|bis|to|\.\.|…)\s*(\d{1,2})(?!\d|[.,]\d)", re.I)
#: "1 = sehr schlecht … 4 = sehr gut": numbered labels (number, label); the first point 0 or 1, the last the top
_SCALE_HINT_EQ = re.compile(r"(?<![\w.,])(\d{1,2})\s*=\s*([^,;=()…]*)", re.I)
#: a stated scale is a rating scale when it has this many points (0–2 … 0–10, 1–3 … 1–11)
STATED_POINTS = (3, 11)

_BOILERPLATE_PREFIX = re.compile(
    r"^(wie\s+zufrieden\s+(sind|waren)\s+sie\s+(insgesamt\s+)?(mit\s+)?|zufriedenheit\s+(mit\s+)?|"
    r"bitte\s+bewerten\s+sie\s+|bewertung\s+(von\s+|der\s+|des\s+)?|how\s+satisfied\s+(are|were)\s+you\s+(with\s+)?|"
    r"satisfaction\s+(with\s+)?|rating\s+(of\s+)?|please\s+rate\s+)",
    re.I,
)
_ARTICLE = re.compile(r"^(dem|der|den|die|das|unserem|unserer|unseren|ihrem|ihrer|ihren|the|our|your)\s+", re.I)


@dataclass
class ColumnSpec:
    """What one column of the file means.

    ``touchpoint`` is the touchpoint's name for a rating, the segment's name for a segment and
    the question for a ``multi`` option (all editable on the Upload page); ``scale_min``/
    ``scale_max`` are set for ratings, the NPS and the overall question; ``labels`` maps text
    answers to scale points for scales written as words; ``missing_codes`` are values the
    analyst declared as "no answer" (e.g. a stray 0 on a 1–5 item); ``option`` is the option a
    ``multi`` column stands for; ``unsure`` says why the detector is not sure (None: sure);
    ``candidates`` are the readings the analyst chooses from when the scale was guessed from the
    answers (:func:`scale_candidates`; None: the scale is stated or written as words).
    """

    column: str
    role: str
    touchpoint: str | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    labels: dict[str, float] | None = None  # text answers → scale points (normalised labels)
    missing_codes: list[float] | None = None
    option: str | None = None
    unsure: str | None = None
    date_order: str | None = None  # a date column's day/month order: "day-first", "month-first" (None: from the data)
    contact_kind: str | None = None  # a contact column's kind: one of CONTACT_KINDS
    # the readings of a scale guessed from the data (see scale_candidates): information, not part of the mapping
    candidates: list[dict] | None = field(default=None, compare=False)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def doubt(self) -> str | None:
        """Why this column still waits for the analyst's confirmation (None: sure, or ignored)."""
        return self.unsure if self.role != "ignore" else None

    @classmethod
    def from_dict(cls, data: dict) -> ColumnSpec:
        """A spec stored by this or an earlier version (unknown keys are ignored)."""
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class ColumnProfile:
    """Facts about a column's values that the role rules read."""

    filled: int  # cells that are not empty and not a no-answer token
    numeric_share: float
    integer_share: float
    minimum: float | None
    maximum: float | None
    unique: int
    unique_share: float
    mean_length: float
    date_share: float
    negative_codes: int
    zeros: int = 0  # answers equal to 0
    minimum_above_zero: float | None = None


def profile(parsed: ParsedColumn) -> ColumnProfile:
    """The column's facts from its distinct values and how often each occurs (not cell by cell)."""
    counts = parsed.counts
    present = ~parsed.value_missing & (counts > 0)
    filled = int(counts[present].sum())
    if filled == 0:
        return ColumnProfile(0, 0.0, 0.0, None, None, 0, 0.0, 0.0, 0.0, 0)
    numbers = parsed.value_numbers
    is_number = present & ~np.isnan(numbers)
    numeric_share = float(counts[is_number].sum() / filled)
    negative = int(counts[is_number & (numbers < 0)].sum())
    valid_values = is_number & (numbers >= 0) if negative else is_number
    valid, valid_counts = numbers[valid_values], counts[valid_values]
    n_valid = int(valid_counts.sum())
    integer_share = float(valid_counts[valid == np.round(valid)].sum() / n_valid) if n_valid else 0.0
    unique, mean_length, date_share = 0, 0.0, 0.0
    if numeric_share < 1.0:  # text statistics only matter for columns that are not numeric
        used = np.flatnonzero(present[:-1])
        texts = parsed.stripped.take(pa.array(used))
        unique = len(pc.unique(texts))
        lengths = pc.utf8_length(texts).to_numpy(zero_copy_only=False).astype(np.int64)
        mean_length = int((lengths * counts[used]).sum()) / filled
        if numeric_share < 0.5:
            _, date_share = to_dates(None, parsed)
    else:
        unique = len(np.unique(valid)) if len(valid) else 0
    above = valid[valid > 0]
    return ColumnProfile(
        filled=filled,
        numeric_share=numeric_share,
        integer_share=integer_share,
        minimum=float(valid.min()) if len(valid) else None,
        maximum=float(valid.max()) if len(valid) else None,
        unique=unique,
        unique_share=unique / filled,
        mean_length=mean_length,
        date_share=date_share,
        negative_codes=negative,
        zeros=int(valid_counts[valid == 0].sum()),
        minimum_above_zero=float(above.min()) if len(above) else None,
    )


def plausible_scale(lo: int, hi: int) -> bool:
    """A range that can be a rating scale: from 0 or 1, with 3 to 11 points (0–10, 1–4, 1–6, 1–3 …)."""
    return lo in (0, 1) and STATED_POINTS[0] <= hi - lo + 1 <= STATED_POINTS[1]


def scale_from_header(header: str) -> tuple[int, int] | None:
    """A scale stated in the header, e.g. "(1-10)", "(1-4)", "0 bis 10", "von 1 bis 6",
    "1 = schlecht … 5 = sehr gut": any :func:`plausible_scale` (a range such as "Filiale 1-2" or
    "18-25" is no scale). Numbered labels that are no-answer words ("9 = weiß nicht") are not
    points of the scale. The answers are checked against it by :func:`detect` and the import."""
    for match in _SCALE_HINT.finditer(header):
        lo, hi = int(match.group(1)), int(match.group(2))
        if plausible_scale(lo, hi):
            return lo, hi
    points = [int(m.group(1)) for m in _SCALE_HINT_EQ.finditer(header) if not _no_answer_label(m.group(2))]
    if len(points) >= 2 and points[0] in (0, 1) and plausible_scale(points[0], max(points)):
        return points[0], max(points)
    return None


def _no_answer_label(label: str) -> bool:
    from tpm.ingest.values import MISSING_TOKENS

    text = " ".join(label.split()).casefold().rstrip(".")
    return text in MISSING_TOKENS | {"k.a"} or text.startswith(("weiß nicht", "weiss nicht", "keine angabe", "don't know",
                                                                   "kann ich nicht beurteilen", "not applicable"))


def missing_codes_from_header(header: str) -> list[float]:
    """Codes the header names as no answer: "(1 = schlecht … 5 = gut, 9 = weiß nicht)" → [9.0]."""
    return [float(m.group(1)) for m in _SCALE_HINT_EQ.finditer(header) if _no_answer_label(m.group(2))]


_SCALE_HINT_WORDS = re.compile(
    r"(?:(?:\b(?:auf\s+einer\s+|on\s+a\s+)?(?:skala|scale)\s*(?:von|of|from)?|\bvon|\bfrom)\s*)?"
    + _SCALE_HINT.pattern + r"(?:\s*\([^()\d]{1,40}\))?", re.I)


_BEST = re.compile(r"^\s*(sehr gut|ausgezeichnet|hervorragend|exzellent|excellent|outstanding|very good|sehr zufrieden|"
                   r"äußerst zufrieden|very satisfied|extremely satisfied|completely satisfied|trifft voll( und ganz)? zu|"
                   r"stimme voll( und ganz)? zu|strongly agree|best)\b", re.I)
_WORST = re.compile(r"^\s*(ungenügend|mangelhaft|sehr schlecht|schlecht|very poor|poor|very bad|terrible|"
                    r"sehr unzufrieden|überhaupt nicht zufrieden|gar nicht zufrieden|very dissatisfied|extremely dissatisfied|"
                    r"trifft (überhaupt|gar) nicht zu|stimme (überhaupt|gar) nicht zu|strongly disagree|worst)\b", re.I)


def reversed_in_header(header: str, scale: tuple[int, int]) -> bool:
    """True when the header labels the bottom of its stated scale as the best answer and the
    top as the worst ("1 = sehr gut … 6 = ungenügend", school grades): TPM reads the top as best."""
    labels = {int(m.group(1)): m.group(2) for m in _SCALE_HINT_EQ.finditer(header)}
    low, high = labels.get(scale[0]), labels.get(scale[1])
    return bool(low and high and _BEST.match(low) and _WORST.match(high))


def _strip_scale_hint(name: str) -> str:
    """The name without a stated scale ("Lieferung 1-4", "Hotline auf einer Skala von 1 bis 6"
    → "Lieferung ", "Hotline "); other ranges ("Terminal 1-2") are kept."""
    return _SCALE_HINT_WORDS.sub(lambda m: "" if plausible_scale(int(m.group(1)), int(m.group(2))) else m.group(0), name)


def _smallest_fitting(minimum: float | None, maximum: float | None) -> tuple[int, int]:
    if minimum is not None and minimum < 1:
        return (0, 10)
    if maximum is not None and maximum <= 3 and minimum == 1:
        return (1, 3)
    if maximum is None or maximum <= 5:
        return (1, 5)
    if maximum <= 7:
        return (1, 7)
    return (1, 10)


#: a value seen at most this share of answers (and at least once) counts as "stray" (see infer_scale)
STRAY_SHARE = 0.02


def observed_scale(minimum: float | None, maximum: float | None) -> tuple[int, int] | None:
    """The answers' own range as a scale: from 0 (a 0 was given) or 1 to the highest answer
    (rounded up); None when that is no :func:`plausible_scale` (e.g. answers 1–2 only)."""
    if minimum is None or maximum is None:
        return None
    scale = (0 if minimum < 1 else 1, int(np.ceil(maximum)))
    return scale if plausible_scale(*scale) else None


def infer_scale(header: str, minimum: float | None, maximum: float | None, zeros: int = 0,
                filled: int = 0, minimum_above_zero: float | None = None) -> tuple[int, int, str | None]:
    """The rating scale and, when it was guessed, why it is unsure: ``(min, max, reason | None)``.

    - A scale stated in the header wins, always: values outside it are reported by the import
      (row and column), never a reason to widen the scale (DOMAIN.md).
    - Else the data decide, and the guess is *unsure*: the data only show which points were
      used, not which exist (a 1–10 item whose answers stop at 7 looks like 1–7). The proposal
      is the answers' own range (:func:`observed_scale`: 0 or 1 to the highest answer), never a
      longer scale whose top point nobody chose; the smallest common scale that fits (0 present
      → 0–10; maximum ≤ 5 → 1–5; ≤ 7 → 1–7; else 1–10) and the other readings are offered
      beside it (:func:`scale_candidates`). Only 0 and 10 both present make 0–10 certain.
    - A rare 0 (≤ 2 % of answers) beside answers that otherwise fit 1–5 or 1–7 is taken as a
      stray value, not as the bottom of a 0–10 scale: the scale is proposed without it and
      the 0 is named as outside the scale (declare it a missing code or choose 0–10).
    """
    stated = scale_from_header(header)
    if stated:
        return stated[0], stated[1], None
    lo, hi = _smallest_fitting(minimum, maximum)
    if (lo, hi) == (0, 10) and maximum is not None and maximum <= 7 and zeros and filled \
            and zeros <= max(1, STRAY_SHARE * filled) and minimum_above_zero is not None:
        lo, hi = observed_scale(minimum_above_zero, maximum) or _smallest_fitting(minimum_above_zero, maximum)
        return lo, hi, (f"scale {lo}–{hi} guessed from the answers; the value 0 ({zeros}×) lies outside it — "
                        f"declare 0 a missing code, or choose 0–10")
    if (lo, hi) == (0, 10) and minimum == 0 and maximum == 10:
        return lo, hi, None
    lo, hi = observed_scale(minimum, maximum) or (lo, hi)
    seen = "" if minimum is None else f" (answers {minimum:g}–{maximum:g})"
    return lo, hi, f"scale {lo}–{hi} guessed from the answers{seen}; the header does not state it"


#: scales common enough to be offered as a reading of answers that do not fill them
COMMON_SCALES = ((0, 10), (1, 10), (1, 7), (1, 5), (1, 4), (1, 3))


def scale_candidates(values: np.ndarray, counts: np.ndarray, chosen: tuple[int, int, list[float] | None]) -> list[dict]:
    """The readings of a rating whose scale was guessed from its answers, each with the score it gives.

    ``values``/``counts``: the distinct answers (numbers ≥ 0) and how often each was given;
    ``chosen``: the proposed (min, max, missing codes). Readings, the proposal first:

    - ``observed``: the answers' own range (:func:`observed_scale`);
    - ``common``: the smallest common scale that holds every answer (1–5, 1–7, 1–10, 0–10 …);
    - ``last_na``: the highest answer as "not applicable" (a missing code) when the points below
      it form a common scale (answers 1–6 → 1–5 with 6 = not applicable);
    - ``zero_na``: a 0 beside answers from 1 as "not applicable" (answers 0–5 → 1–5, 0 = n/a).

    Each is ``{"kind", "scale_min", "scale_max", "missing_codes", "n", "score"}`` with
    n = the answers on the scale and score = the unweighted 0–100 mean,
    score = (Σ c·v / Σ c − min) / (max − min) · 100 over the answers v (c times each) that are
    not a missing code. A reading that leaves an answer outside its scale is no reading (the
    import would refuse it): a proposal with a stray 0 outside it is offered as ``zero_na``.
    """
    from tpm.metrics.rules import score_0_100

    values = np.asarray(values, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    keep = ~np.isnan(values) & (values >= 0) & (counts > 0)
    values, counts = values[keep], counts[keep]
    if not len(values):
        return []
    lo_seen, hi_seen = float(values.min()), float(values.max())
    readings: list[tuple[str, int, int, list[float] | None]] = []
    observed = observed_scale(lo_seen, hi_seen)
    if observed:
        readings.append(("observed", *observed, None))
    readings.append(("common", *_smallest_fitting(lo_seen, hi_seen), None))
    top = int(np.ceil(hi_seen))
    bottom = 0 if lo_seen < 1 else 1
    if top == hi_seen and (bottom, top - 1) in COMMON_SCALES:
        readings.append(("last_na", bottom, top - 1, [float(top)]))
    if lo_seen == 0 and (values > 0).any():
        scale = observed_scale(float(values[values > 0].min()), hi_seen)
        if scale:
            readings.append(("zero_na", *scale, [0.0]))
    proposal = (chosen[0], chosen[1], chosen[2] or None)
    kind = next((k for k, *rest in readings if tuple(rest) == proposal), "observed")
    readings = [(kind, *proposal)] + [r for r in readings if tuple(r[1:]) != proposal]
    out: list[dict] = []
    for kind, lo, hi, missing in readings:
        used = ~np.isin(values, missing or [])
        v, c = values[used], counts[used]
        n = int(c.sum())
        if not n or not ((v >= lo) & (v <= hi)).all():
            continue
        score = float(score_0_100((v * c).sum() / n, lo, hi))
        out.append({"kind": kind, "scale_min": int(lo), "scale_max": int(hi), "missing_codes": missing,
                    "n": n, "score": round(score, 4)})
    return out


def touchpoint_name(header: str, platform: str | None = None) -> str:
    """The touchpoint in a question header, without question boilerplate.

    "Wie zufrieden sind Sie mit: Hotline?" → "Hotline"; "Zufriedenheit Lieferung (1-10)" →
    "Lieferung"; "Please rate [Website]" → "Website"; in Qualtrics exports also
    "Indicate how you feel about the following vegetables-Squash" → "Squash". Only known
    question boilerplate is stripped; an article goes only with it ("Zufriedenheit mit der
    Rechnung" → "Rechnung", but "Die informellen Modelle werden …" keeps its "Die").
    """
    name = header.strip()
    bracket = re.search(r"\[([^\]]+)\]\s*$", name)
    if bracket:
        name = bracket.group(1)
    name = re.sub(r"\((?:[^()]*\d\s*=[^()]*|\s*\d+\s*(?:-|–|—|bis|to)\s*\d+\s*)\)", "", name)
    name = re.sub(r"\(\s*\)", "", _strip_scale_hint(name))
    glued = re.match(r"^(\S+\s+\S+\s+\S+.*?\S)-([A-ZÄÖÜ0-9][^-]*)$", name) if platform == "Qualtrics" else None  # Qualtrics: "Indicate how you feel about X-Squash"
    question_part = False
    if ":" in name:
        name = name.rsplit(":", 1)[1]
        question_part = True
    elif re.search(r"\s[-–—]\s", name):
        name = re.split(r"\s[-–—]\s", name)[-1]
        question_part = True
    elif glued:
        name = glued.group(2)
    stripped = _BOILERPLATE_PREFIX.sub("", name.strip())
    if stripped != name.strip() or question_part:
        stripped = _ARTICLE.sub("", stripped.strip())
    name = stripped.strip(" ?!.:;\"'„“”")
    name = " ".join(name.split())
    return name or header.strip()


def _never_a_rating(header: str) -> bool:
    """Personal data, platform bookkeeping, rankings and counts ("Wie viele …") are never ratings."""
    return bool(_PERSONAL.search(header) or is_meta(header) or _RANKING.search(header) or _COUNT.search(header))


def header_contact_kind(header: str) -> str | None:
    """The contact kind a header names ("E-Mail" → email, "Telefon" → phone, "Kundennummer" → customer_no)."""
    return next((k for k, pattern in _CONTACT_HEADERS.items() if pattern.match(header)), None)


def contact_kind(header: str, parsed: ParsedColumn) -> str | None:
    """The contact kind a column holds: its header names it ("E-Mail", "Telefon", "Kundennummer") *and* at
    least :data:`CONTACT_SHARE` of its distinct answers look like it. Never from the values alone: an id
    column of numbers is no customer number unless its header says so."""
    kind = header_contact_kind(header)
    if kind is None:
        return None
    answers = [a for a in dict.fromkeys(parsed.first(5000)) if a]
    looks = sum(bool(_CONTACT_VALUES[kind].match(a.strip())) for a in answers)
    return kind if answers and looks >= CONTACT_SHARE * len(answers) else None


#: why a contact column waits for the analyst (contact data is stored only when a person chose to)
CONTACT_UNSURE = "contact data ({kind}): stored for follow-up cases only if you confirm the role 'contact', else ignore it"


def guess_role(header: str, p: ColumnProfile, n_rows: int) -> str:
    """The role rules, in order; see the module docstring."""
    if p.filled == 0:
        return "ignore"
    head = header.strip()
    if _never_a_rating(header):
        return "ignore"
    if (_ID.match(head) or _ID_WORD.search(head)) and p.unique == p.filled and p.filled >= 0.5 * n_rows \
            and not _NPS.search(header):
        return "id"
    if p.date_share >= 0.9:
        return "date"
    if _WEIGHT.search(header) and not _UNIT.search(header) and p.numeric_share >= 0.9:
        return "weight"  # non-positive or unreadable weights are refused at import with their row
    if p.numeric_share == 1.0:
        in_range = p.minimum is not None and p.minimum >= 0 and p.maximum <= 10
        if _NPS.search(header) and p.integer_share >= 0.99 and p.maximum is not None and p.maximum <= 100:
            return "nps"  # values outside 0–10 are then reported with their row, not silently dropped
        # decimals are allowed: agencies deliver averaged indices ("4,5") as ratings
        if in_range and p.maximum - p.minimum >= 1 and not _ID.match(head):
            return "overall" if _OVERALL.search(header) else "rating"
        return "ignore"
    if _COMMENT.search(header) and p.mean_length >= 3:
        return "comment"
    if p.unique == 1 and p.filled >= 5:
        # one and the same text in every answer: the ticked option of a flattened multiple-choice question
        # (SurveyMonkey's "Column27" = "Using version control …"), not something people wrote
        return "segment"
    if p.unique <= 30 and p.mean_length <= 40 and (p.unique_share <= 0.5 or p.unique <= 3):
        return "segment"
    if p.mean_length >= 15 or p.unique_share > 0.5:
        return "comment"
    return "ignore"


_BRACKETED = re.compile(r"^(.*\S)\s*\[([^\]]+)\]\s*$")
#: answers of a ticked/empty or yes/no option column (plus the option's own text, SurveyMonkey-style)
_TICKED = frozenset({"yes", "ja", "y", "j", "1", "x", "true", "wahr", "checked", "ausgewählt", "selected", "gewählt", "✓", "✔"})
UNTICKED = frozenset({"no", "nein", "n", "0", "false", "falsch", "unchecked", "nicht ausgewählt", "not selected", "nicht gewählt"})


def _option_answers(table: RawTable, column: str, option: str) -> bool:
    """True when a column holds only "ticked"/"not ticked" answers (at least one ticked)."""
    answers = {" ".join(str(v).split()).casefold() for v in table.parsed(column).first(5000)}
    ticked = _TICKED | {" ".join(option.split()).casefold()}
    return bool(answers & ticked) and answers <= ticked | UNTICKED


def group_multiple_choice(table: RawTable, specs: list[ColumnSpec]) -> None:
    """The option columns of one multiple-choice question become role ``multi``.

    ``Welchen Hintergrund haben Sie? [Maschinenbau]``, ``… [Informatik]`` … (Google Forms,
    LimeSurvey, SurveyMonkey's two header rows): two or more columns with the same question and
    only ticked/empty or yes/no answers (or the option's own text) are one question, offered as
    one filter ("any of"); stored as segment = question, value = each ticked option.
    """
    groups: dict[str, list[tuple[ColumnSpec, str]]] = {}
    for spec in specs:
        match = _BRACKETED.match(spec.column)
        if match and spec.role in {"segment", "rating", "ignore", "comment"}:
            groups.setdefault(match.group(1), []).append((spec, match.group(2)))
    for question, members in groups.items():
        if len(members) < 2:
            continue
        options = [(spec, option) for spec, option in members if _option_answers(table, spec.column, option)]
        if len(options) < 2:
            continue
        for spec, option in options:
            spec.role, spec.touchpoint, spec.option = "multi", question, option
            spec.scale_min = spec.scale_max = spec.labels = spec.unsure = None


_EVALUATIVE = re.compile(
    r"\b(very|sehr|eher|somewhat|extremely|äußerst|rather|fairly|slightly|ziemlich|not at all|gar nicht|überhaupt nicht|"
    r"good|gut|poor|schlecht|bad|excellent|agree|zu|satisf\w*|zufrieden|likely|wahrscheinlich|important|wichtig|"
    r"helpful|hilfreich|useful|nützlich|easy|einfach|difficult|schwierig|positiv\w*|negativ\w*|favou?rabl\w*)\b",
    re.I,
)


def _evaluative(parsed: ParsedColumn) -> bool:
    """Most answers use words of judgement or intensity ("sehr", "eher gut", "Very useful"): an
    unknown set of them may be a rating scale; regions, ages and education levels are not."""
    answers = list(dict.fromkeys(parsed.first(5000)))
    return sum(bool(_EVALUATIVE.search(a)) for a in answers) >= max(2, len(answers) / 2)


def _label_scale(parsed: ParsedColumn):
    """A known label set matching the column's text answers — including answers that are
    no-answer words elsewhere ("trifft nicht zu") when the set itself spells them as a point; the
    others ("weiß nicht", "k.A.") stay don't-know answers beside the set."""
    answers = list(dict.fromkeys(parsed.first(5000)))
    tokens = [v for v in dict.fromkeys(parsed.first(5000, missing=True)) if v]
    return match_labels(answers, optional=tokens)


def detect(table: RawTable) -> list[ColumnSpec]:
    """One :class:`ColumnSpec` per column of ``table``, in file order.

    Only the first id, date, NPS, overall and weight column keep that role; later overall
    columns are ratings, the others are ignored.
    """
    specs: list[ColumnSpec] = []
    profiles: dict[str, ColumnProfile] = {}
    taken: set[str] = set()
    table.unknown_scales.clear()
    table.parse_all()
    for header in table.columns:
        parsed = table.parsed(header)
        p = profile(parsed)
        role = guess_role(header, p, table.n_rows)
        scale = jar = None
        unsure = None
        if p.numeric_share < 1.0 and 1 <= p.unique <= 12 and role in {"segment", "comment", "ignore"} \
                and not _never_a_rating(header):
            jar = jar_sides(list(parsed.value_text[(parsed.counts > 0) & ~parsed.value_missing]))
            scale = None if jar else _label_scale(parsed)
            if jar:
                role, unsure = "jar", jar[1]
            elif scale:
                role = "nps" if _NPS.search(header) and scale[:2] == (0, 10) else (
                    "overall" if _OVERALL.search(header) else "rating")
            elif 3 <= p.unique <= 7 and role == "segment":
                table.unknown_scales.append(header)  # maybe a rating scale in words TPM does not know
            if not scale and 3 <= p.unique <= 7 and role == "segment" and _evaluative(parsed):
                unsure = (f"{p.unique} different text answers: a segment, or a rating scale in words TPM does not know "
                          "(then define its order on the Upload page)")
        if role == "segment" and p.unique_share > 0.3 and p.mean_length > 15:
            unsure = "short text with repeated answers: a segment or a comment?"
        elif role == "segment" and p.unique == 1 and p.mean_length > 15 and not _COMMENT.search(header):
            # guess_role's rule for a text written identically in every answer: a ticked multiple-choice option
            unsure = "the same text in every answer: the ticked option of a multiple-choice question, or a comment?"
        header_jar = jar_from_header(header, scale_from_header(header)) if role in {"rating", "overall"} and not scale else None
        if header_jar:  # "Länge (1 = zu kurz, 3 = genau richtig, 5 = zu lang)": a distribution, not a rating
            role, jar = "jar", (header_jar, None)
        if role in {"id", "date", "nps", "weight", "overall"}:
            if role in taken:
                role = "rating" if role == "overall" else "ignore"
            taken.add(role)
        kind = contact_kind(header, parsed) if role != "id" else None
        if kind:
            role, unsure = "contact", CONTACT_UNSURE.format(kind=kind)
        spec = ColumnSpec(column=header, role=role, unsure=unsure, contact_kind=kind)
        if role in {"rating", "overall"}:
            spec.touchpoint = touchpoint_name(header, table.platform)
            if scale:
                spec.scale_min, spec.scale_max, spec.labels = scale[0], scale[1], scale[2]
            else:
                spec.scale_min, spec.scale_max, spec.unsure = infer_scale(
                    header, p.minimum, p.maximum, p.zeros, p.filled, p.minimum_above_zero)
                if spec.unsure:  # guessed: the readings to choose from, each with its score
                    spec.candidates = scale_candidates(parsed.value_numbers, parsed.counts * ~parsed.value_missing,
                                                       (spec.scale_min, spec.scale_max, None))
        elif role == "nps":
            spec.scale_min, spec.scale_max = 0, 10
            spec.labels = scale[2] if scale else None
        elif role == "segment":
            spec.touchpoint = header  # the segment's name; editable like a touchpoint name
        elif role == "date":
            spec.unsure = date_doubt(parsed)  # day and month the data cannot tell apart
        elif role == "jar":
            spec.touchpoint, spec.labels = header, jar[0]  # the question; each answer's side (−2 … +2)
        if role in {"rating", "nps", "overall"} and not spec.labels:
            stated = scale_from_header(header)
            codes = [c for c in missing_codes_from_header(header) if stated and not stated[0] <= c <= stated[1]]
            if codes:  # "9 = weiß nicht" in the header: the header says so, the 9s are no answer
                spec.missing_codes = codes
                valid = parsed.value_numbers[~parsed.value_missing & (parsed.counts > 0) & ~np.isin(parsed.value_numbers, codes)]
                valid = valid[~np.isnan(valid) & (valid >= 0)]
                p.minimum, p.maximum = (float(valid.min()), float(valid.max())) if len(valid) else (None, None)
            if stated and p.minimum is not None and (p.minimum < spec.scale_min or p.maximum > spec.scale_max):
                outside = p.zeros if p.minimum == 0 and spec.scale_min > 0 else None
                spec.unsure = (f"values outside the stated scale {spec.scale_min}–{spec.scale_max} "
                               f"(seen {p.minimum:g}–{p.maximum:g}{f', 0 ×{outside}' if outside else ''}): "
                               "fix the data or declare the value a missing code")
                if role != "nps":  # the readings that hold every answer (the stated one does not)
                    present = (parsed.counts > 0) & ~parsed.value_missing & ~np.isin(parsed.value_numbers, codes)
                    spec.candidates = scale_candidates(parsed.value_numbers, parsed.counts * present,
                                                       (spec.scale_min, spec.scale_max, None)) or None
            elif stated and reversed_in_header(header, stated):
                spec.unsure = (f"the header names {stated[0]} the best point (e.g. school grades): TPM reads "
                               f"{stated[1]} as the best — recode the answers (best = {stated[1]}) before importing")
        specs.append(spec)
        profiles[header] = p
    group_multiple_choice(table, specs)
    recommend_question(table, specs, profiles)
    outcome_columns(table, specs, profiles)
    names: dict[str, int] = {}
    for spec in specs:  # the same label under two questions (e.g. a matrix asked twice) stays apart
        if spec.role == "rating":
            key = spec.touchpoint.casefold()
            names[key] = names.get(key, 0) + 1
            if names[key] > 1:
                spec.touchpoint = f"{spec.touchpoint} ({names[key]})"
    tie_comments(specs)
    return specs


#: why a comment column was tied to a touchpoint (the Upload page asks the analyst to confirm it)
TIED_FROM_HEADER = "tied to the touchpoint '{touchpoint}' because the header names it: confirm, or clear the name"


def tie_comments(specs: list[ColumnSpec]) -> None:
    """A comment column whose header names a rated touchpoint of the same file ("Kommentar Hotline", "Was können
    wir an der Hotline besser machen?") is tied to it (``touchpoint``), *unsure*: the header alone says so.
    Names are compared folded (case, umlauts, ß) and as whole words; the longest name found wins."""
    names = {spec.touchpoint.strip() for spec in specs if spec.role == "rating" and (spec.touchpoint or "").strip()}
    for spec in specs:
        if spec.role != "comment" or spec.touchpoint:
            continue
        header = fold(spec.column)
        found = [name for name in names
                 if re.search(rf"(?<![^\W\d_]){re.escape(fold(name))}(?![^\W\d_])", header)]
        if found:
            spec.touchpoint = max(found, key=lambda name: (len(name), name))
            spec.unsure = TIED_FROM_HEADER.format(touchpoint=spec.touchpoint)


def outcome_value(answer: str, labels: dict[str, float] | None = None) -> float | None:
    """An outcome answer as a number: the analyst's ``labels`` first, else yes → 1, no → 0
    (:data:`OUTCOME_YES`, :data:`OUTCOME_NO`), else the number written ("1", "0", "2,5"), a
    negative code ("-1", "-99") as NaN (no answer, DOMAIN.md); None if it is none of these."""
    key = " ".join(str(answer).split()).casefold().rstrip(".")
    if labels:
        known = {" ".join(str(k).split()).casefold().rstrip("."): float(v) for k, v in labels.items()}
        if key in known:
            return known[key]
    if key in OUTCOME_YES:
        return 1.0
    if key in OUTCOME_NO:
        return 0.0
    try:
        number = float(key.replace(",", "."))
    except ValueError:
        return None
    return number if number >= 0 else float("nan")


_OUTCOME_REASON = "the header names an outcome (churn, cancellation, repurchase …)"


def outcome_columns(table: RawTable, specs: list[ColumnSpec], profiles: dict[str, ColumnProfile]) -> None:
    """Columns whose header names an outcome (:data:`_OUTCOME`) are never silently a segment or a
    touchpoint: yes/no (or 0/1) answers become role ``outcome`` (1 = yes), marked *unsure* as the
    header alone decides; a rating or a two-answer segment keeps its role, marked *unsure* with
    ``outcome`` offered. Other segments ("Kündigungsgrund": the reasons) stay segments."""
    for spec in specs:
        if not _OUTCOME.search(spec.column) or spec.role not in {"segment", "rating"}:
            continue
        answers = table.parsed(spec.column).distinct()
        values = {v for v in map(outcome_value, answers) if v is None or v == v}  # negative codes are no answer
        if values and values <= {0.0, 1.0}:  # yes/no, 1/0
            spec.role, spec.touchpoint = "outcome", spec.touchpoint if spec.role == "segment" else spec.column
            spec.scale_min = spec.scale_max = spec.missing_codes = None
            words = profiles[spec.column].numeric_share < 1.0
            spec.labels = {a: v for a in answers if (v := outcome_value(a)) in (0.0, 1.0)} if words else None  # shown on the Upload page
            spec.unsure = (f"{_OUTCOME_REASON}: read as role 'outcome' (yes = 1, no = 0; key drivers can explain it, "
                           "and it filters like a segment) — or a segment?")
        elif spec.role == "rating":
            spec.unsure = (f"{_OUTCOME_REASON}: a touchpoint rating, or role 'outcome' (key drivers can explain it)?"
                           + (f"; {spec.unsure}" if spec.unsure else ""))
        elif len(answers) == 2:
            spec.unsure = (f"{_OUTCOME_REASON}: a segment, or role 'outcome' once its two answers are written "
                           "as yes/no or 1/0?")


def nps_group(answer: str) -> str | None:
    """"Promoter", "Passive", "Detractor" (DE: "Promotoren", "Passive", "Kritiker"/"Detraktoren") → its group."""
    key = " ".join(str(answer).split()).casefold()
    return next((group for group, words in NPS_GROUPS.items() if key in words), None)


def _group_of_score(score: np.ndarray) -> np.ndarray:
    """The NPS group of 0–10 answers (0–6 detractor, 7–8 passive, 9–10 promoter: :mod:`tpm.metrics.rules`; "" where none)."""
    from tpm.metrics import rules

    return np.select([score >= rules.PROMOTER_MIN, score > rules.DETRACTOR_MAX, score >= 0], ["promoter", "passive", "detractor"], "").astype(object)


def _groups_named(table: RawTable, groups: ColumnSpec) -> np.ndarray:
    """Each row's NPS group as its promoter/passive/detractor column names it ("" where none)."""
    parsed = table.parsed(groups.column)
    return np.array([nps_group(v) or "" for v in parsed.value_text], dtype=object)[parsed.codes()]


def _disagreeing(named: np.ndarray, table: RawTable, scores: ColumnSpec) -> tuple[int, int]:
    """(rows where both the groups ``named`` and the 0–10 column are answered, of them rows whose
    group does not fit the 0–10 answer)."""
    score = table.parsed(scores.column).numbers
    both = (named != "") & ~np.isnan(score) & (score >= 0) & (score <= 10)
    return int(both.sum()), int((named[both] != _group_of_score(score[both])).sum())


def _is_0_to_10(p: ColumnProfile) -> bool:
    return p.numeric_share == 1.0 and p.integer_share >= 0.99 and p.minimum is not None and p.minimum >= 0 and p.maximum <= 10


def recommend_question(table: RawTable, specs: list[ColumnSpec], profiles: dict[str, ColumnProfile]) -> None:
    """The recommend question by any name, and the export's own promoter/passive/detractor column.

    - A column of promoter/passive/detractor answers (:data:`NPS_GROUPS`) is the NPS grouped, not a
      segment: beside a 0–10 column whose every answered row falls in the group it names
      (0–6 detractor, 7–8 passive, 9–10 promoter), that column is the NPS question (role ``nps``,
      whatever its header says) and the groups are ignored, with the reason kept. Groups that
      disagree with the NPS column, or stand alone, stay a segment marked *unsure*.
    - Qualtrics names its grouping ``<question>_NPS_GROUP``: ``<question>`` is the NPS question.
    - A column named like the recommend question that is still read otherwise says so (*unsure*):
      a rating with decimals, a stated scale other than 0–10, or answers that stop at 5.
    """
    by_column = {spec.column: spec for spec in specs}
    nps = next((spec for spec in specs if spec.role == "nps"), None)
    for spec in specs:  # Qualtrics: "Q1_NPS_GROUP" groups the answers of "Q1"
        match = re.match(r"^(.+)_NPS_GROUP$", spec.column.strip(), re.I)
        question = by_column.get(match.group(1)) if match else None
        if question is not None and nps is None and question.role in {"rating", "ignore"} \
                and _is_0_to_10(profiles[question.column]):
            _make_nps(question)
            nps = question
    for spec in specs:
        if spec.role != "segment":
            continue
        answers = [v for v in dict.fromkeys(table.parsed(spec.column).first(5000))]
        groups = {nps_group(v) for v in answers}
        if not answers or None in groups or len(groups) < 2 or groups == {"passive"}:
            continue
        candidates = [nps] if nps is not None else [
            other for other in specs if other.role in {"rating", "ignore"} and _is_0_to_10(profiles[other.column])]
        fitting, named = [], _groups_named(table, spec)
        for other in candidates:
            both, differ = _disagreeing(named, table, other)
            if both and not differ:
                fitting.append(other)
            elif nps is not None:
                spec.unsure = (f"promoter/passive/detractor groups that disagree with the NPS question '{nps.column}' "
                               f"in {differ} of {both} rows: a segment, or ignore")
        if fitting:
            question = fitting[0]
            if nps is None:
                _make_nps(question)
                nps = question
                if len(fitting) > 1:
                    question.unsure = (f"the NPS question by its promoter/passive/detractor column '{spec.column}'; "
                                       f"{len(fitting)} columns fit it — check which is the recommend question")
            spec.role, spec.touchpoint = "ignore", None
            spec.unsure = (f"promoter/passive/detractor groups of the NPS question '{question.column}' "
                           "(the NPS is computed from its 0–10 answers)")
        elif not spec.unsure:
            spec.unsure = ("promoter/passive/detractor groups without a 0–10 recommend column that fits them: "
                           "a segment, or ignore (the NPS needs the 0–10 answers)")
    for spec in specs:
        if not _NPS.search(spec.column) or spec.role not in {"rating", "nps"}:
            continue
        p = profiles[spec.column]
        stated = scale_from_header(spec.column)
        if spec.role == "rating" and nps is None and (stated in (None, (0, 10))):
            spec.unsure = ("the header names the recommend question: a touchpoint rating, or role 'nps' "
                           "(the 0–10 recommend question)?") + (f"; {spec.unsure}" if spec.unsure else "")
        elif spec.role == "nps" and stated not in (None, (0, 10)):
            spec.role, spec.touchpoint = "rating", touchpoint_name(spec.column, table.platform)
            spec.scale_min, spec.scale_max = stated
            spec.unsure = (f"the header names the recommend question on the scale {stated[0]}–{stated[1]}: "
                           "the NPS needs 0–10, so it is read as a rating")
        elif spec.role == "nps" and not spec.labels and p.maximum is not None and p.maximum <= 5 and not spec.unsure:
            spec.unsure = (f"the recommend question, but its answers stop at {p.maximum:g}: the 0–10 NPS question, "
                           "or a rating on a shorter scale?")


def _make_nps(spec: ColumnSpec) -> None:
    spec.role, spec.touchpoint, spec.scale_min, spec.scale_max = "nps", None, 0, 10
    spec.labels = spec.missing_codes = spec.unsure = None


def unsure_specs(specs: list[ColumnSpec]) -> list[ColumnSpec]:
    """The columns whose reading the analyst still has to confirm."""
    return [s for s in specs if s.doubt]
