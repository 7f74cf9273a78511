"""Guess each column's role, touchpoint name and scale from its header and its values.

Roles: ``id`` (respondent id), ``date`` (response date/time), ``rating`` (a touchpoint
rated on a numeric scale), ``nps`` (the 0–10 recommend question), ``segment``
(categorical attribute such as Region or Kundenart), ``comment`` (free text), ``ignore``.

The guess is a :class:`ColumnSpec` per column; the Upload page shows them as an editable
table, so a wrong guess is one click to correct, and the corrected specs go to
:func:`tpm.ingest.normalise.normalise` unchanged.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from tpm.ingest.readers import RawTable
from tpm.ingest.scales import match_labels
from tpm.ingest.values import ParsedColumn, to_dates

ROLES = ("id", "date", "rating", "nps", "segment", "comment", "ignore")
#: Scales TPM knows; any (min, max) with 0 <= min < max <= 100 is accepted when set by hand.
KNOWN_SCALES = ((0, 10), (1, 10), (1, 7), (1, 5))

_NPS = re.compile(r"weiterempfehl|empfehlen|recommend|\bnps\b|net promoter", re.I)
_ID = re.compile(
    r"^(id|nr\.?|no\.?|nummer|number|#|respondent|respondent[ _-]?id|response[ _-]?id|responseid|befragten[ -]?id|befragte[rn]?|"
    r"teilnehmer[ -]?(id|nr)?|interview[ -]?(id|nr)?|fall(nummer|nr)?|lfd\.? ?nr\.?|record[ _-]?id|"
    r"antwort[ -]?id|kunden[ -]?(nr|nummer|id)|case[ _-]?id)$",
    re.I,
)
_DATE = re.compile(r"datum|date|zeit|time|timestamp|submit|abgeschickt|erfasst", re.I)
_COMMENT = re.compile(r"kommentar|anmerkung|bemerkung|comment|feedback|freitext|anregung|remark|suggestion|warum|why|sonstig|anything else|noch etwas|mitteilen|tell us", re.I)
_PERSONAL = re.compile(
    r"^\s*(e-?mail(\s*-?adresse|\s*address)?|name|vorname|nachname|first\s*name|last\s*name|ip\s*-?address|ipaddress|"
    r"telefon(nummer)?|phone(\s*number)?|url|token|recipient\w*|location\s*\w+|latitude|longitude)\s*$",
    re.I,
)
_META = re.compile(r"^(lastpage|startlanguage|seed|datestamp|ipaddr|refurl|submitdate|interviewtime|"
                   r"progress|duration \(in seconds\)|finished|status|responseset|locationaccuracy|q_recaptcharesult|"
                   r"distributionchannel|userlanguage|network id|.*_nps_group|response type)$", re.I)
_RANKING = re.compile(r"\brank(ing|e|en)?\b|reihenfolge", re.I)
_SCALE_HINT = re.compile(r"(?<![\d.])(0|1)\s*(?:-|–|—|bis|to|\.\.)\s*(5|7|10)(?![\d.])")
_SCALE_HINT_EQ = re.compile(r"(?<![\d.])(0|1)\s*=.*?(?<![\d.])(5|7|10)\s*=", re.I)

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

    ``touchpoint`` is the touchpoint's name for a rating and the segment's name for a segment
    (both editable on the Upload page); ``scale_min``/``scale_max`` are set for ratings and the NPS;
    ``labels`` maps text answers to scale points for scales written as words.
    """

    column: str
    role: str
    touchpoint: str | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    labels: dict[str, float] | None = None  # text answers → scale points (normalised labels)

    def as_dict(self) -> dict:
        return asdict(self)


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


def profile(parsed: ParsedColumn) -> ColumnProfile:
    present = ~parsed.missing
    filled = int(present.sum())
    if filled == 0:
        return ColumnProfile(0, 0.0, 0.0, None, None, 0, 0.0, 0.0, 0.0, 0)
    numbers = parsed.numbers[present]
    is_number = ~np.isnan(numbers)
    numeric_share = float(is_number.mean())
    negative = int((numbers[is_number] < 0).sum())
    valid = numbers[is_number & (numbers >= 0)] if negative else numbers[is_number]
    integer_share = float((valid == np.round(valid)).mean()) if len(valid) else 0.0
    unique, mean_length, date_share = 0, 0.0, 0.0
    if numeric_share < 1.0:  # text statistics only matter for columns that are not numeric
        text = parsed.text[present]
        unique = len(set(text))
        mean_length = sum(map(len, text)) / filled
        if numeric_share < 0.5:
            _, date_share = to_dates(None, parsed)
    else:
        unique = int(len(np.unique(valid))) if len(valid) else 0
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
    )


def scale_from_header(header: str) -> tuple[int, int] | None:
    """A scale stated in the header, e.g. "(1-10)", "0 bis 10", "1 = schlecht … 5 = sehr gut"."""
    for pattern in (_SCALE_HINT, _SCALE_HINT_EQ):
        match = pattern.search(header)
        if match:
            return int(match.group(1)), int(match.group(2))
    return None


def infer_scale(header: str, minimum: float | None, maximum: float | None) -> tuple[int, int]:
    """The rating scale: the header's statement if any, else the smallest known scale that fits.

    Observed 0 → 0–10; maximum ≤ 5 → 1–5; ≤ 7 → 1–7; otherwise 1–10.
    """
    stated = scale_from_header(header)
    if stated and (maximum is None or maximum <= stated[1]) and (minimum is None or minimum >= stated[0]):
        return stated
    if minimum is not None and minimum < 1:
        return (0, 10)
    if maximum is not None and maximum <= 3 and minimum == 1:
        return (1, 3)
    if maximum is None or maximum <= 5:
        return (1, 5)
    if maximum <= 7:
        return (1, 7)
    return (1, 10)


def touchpoint_name(header: str, platform: str | None = None) -> str:
    """The touchpoint in a question header, without question boilerplate.

    "Wie zufrieden sind Sie mit: Hotline?" → "Hotline"; "Zufriedenheit Lieferung (1-10)" →
    "Lieferung"; "Please rate [Website]" → "Website"; in Qualtrics exports also
    "Indicate how you feel about the following vegetables-Squash" → "Squash".
    """
    name = header.strip()
    bracket = re.search(r"\[([^\]]+)\]\s*$", name)
    if bracket:
        name = bracket.group(1)
    name = re.sub(r"\((?:[^()]*\d\s*=[^()]*|\s*\d+\s*(?:-|–|—|bis|to)\s*\d+\s*)\)", "", name)
    name = _SCALE_HINT.sub("", name)
    glued = re.match(r"^(\S+\s+\S+\s+\S+.*?\S)-([A-ZÄÖÜ0-9][^-]*)$", name) if platform == "Qualtrics" else None  # Qualtrics: "Indicate how you feel about X-Squash"
    if ":" in name:
        name = name.rsplit(":", 1)[1]
    elif re.search(r"\s[-–—]\s", name):
        name = re.split(r"\s[-–—]\s", name)[-1]
    elif glued:
        name = glued.group(2)
    name = _BOILERPLATE_PREFIX.sub("", name.strip())
    name = _ARTICLE.sub("", name.strip())
    name = name.strip(" ?!.:;\"'„“”")
    name = " ".join(name.split())
    return name or header.strip()


def guess_role(header: str, p: ColumnProfile, n_rows: int) -> str:
    """The role rules, in order; see the module docstring."""
    if p.filled == 0:
        return "ignore"
    if _PERSONAL.search(header) or _META.match(header.strip()) or _RANKING.search(header):
        return "ignore"
    if _ID.match(header.strip()) and p.unique == p.filled:
        return "id"
    if p.date_share >= 0.9:
        return "date"
    if p.numeric_share == 1.0:
        in_range = p.minimum is not None and p.minimum >= 0 and p.maximum <= 10
        if _NPS.search(header) and p.integer_share >= 0.99 and p.maximum is not None and p.maximum <= 100:
            return "nps"  # values outside 0–10 are then reported with their row, not silently dropped
        # decimals are allowed: agencies deliver averaged indices ("4,5") as ratings
        if in_range and p.maximum - p.minimum >= 1 and not _ID.match(header.strip()):
            return "rating"
        return "ignore"
    if _COMMENT.search(header) and p.mean_length >= 3:
        return "comment"
    if p.unique <= 30 and p.mean_length <= 40 and (p.unique_share <= 0.5 or p.unique <= 3):
        return "segment"
    if p.mean_length >= 15 or p.unique_share > 0.5:
        return "comment"
    return "ignore"


def detect(table: RawTable) -> list[ColumnSpec]:
    """One :class:`ColumnSpec` per column of ``table``, in file order.

    Only the first id, date and NPS column keep that role; later ones are ignored.
    """
    specs: list[ColumnSpec] = []
    taken: set[str] = set()
    table.parse_all()
    for header, column in table.columns.items():
        parsed = table.parsed(header)
        p = profile(parsed)
        role = guess_role(header, p, table.n_rows)
        scale = None
        if p.numeric_share < 1.0 and 2 <= p.unique <= 12:
            answers = list(dict.fromkeys(parsed.text[~parsed.missing][:5000]))
            scale = match_labels(answers)
            if scale:
                role = "nps" if _NPS.search(header) and scale[:2] == (0, 10) else "rating"
            elif 3 <= p.unique <= 7 and role == "segment":
                table.unknown_scales.append(header)  # maybe a rating scale in words TPM does not know
        if role in {"id", "date", "nps"}:
            if role in taken:
                role = "ignore"
            taken.add(role)
        spec = ColumnSpec(column=header, role=role)
        if role == "rating" and scale:
            spec.touchpoint = touchpoint_name(header, table.platform)
            spec.scale_min, spec.scale_max, spec.labels = scale[0], scale[1], scale[2]
        elif role == "rating":
            spec.touchpoint = touchpoint_name(header, table.platform)
            spec.scale_min, spec.scale_max = infer_scale(header, p.minimum, p.maximum)
        elif role == "nps":
            spec.scale_min, spec.scale_max = 0, 10
            spec.labels = scale[2] if scale else None
        elif role == "segment":
            spec.touchpoint = header  # the segment's name; editable like a touchpoint name
        specs.append(spec)
    names: dict[str, int] = {}
    for spec in specs:  # the same label under two questions (e.g. a matrix asked twice) stays apart
        if spec.role == "rating":
            key = spec.touchpoint.casefold()
            names[key] = names.get(key, 0) + 1
            if names[key] > 1:
                spec.touchpoint = f"{spec.touchpoint} ({names[key]})"
    return specs
