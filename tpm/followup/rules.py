"""The alert rule language: conditions over one response, parsed (never evaluated as code) and compiled to ONE
DuckDB query with bound parameters — the text a user typed reaches the database only as a value.

A condition is one of

- ``nps <= 4`` — the recommendation question (0–10); operators ``<=  <  >=  >  =``;
- ``TOUCHPOINT <= 2`` — a rating of the touchpoint, on its own scale (``Hotline <= 2`` on a 1–5 scale: the bottom two);
- ``TOUCHPOINT = dk`` — a don't-know answer ("weiß nicht", "k.A.") for the touchpoint;
- ``theme: NAME`` — a comment of the response coded with the study's theme NAME (:mod:`tpm.comments.themes`);
- ``SEGMENT = VALUE`` — a segment answer, or a ticked option of a multiple-choice question (segment = the question).

Names may contain spaces: the operator splits, at the first place where the left side is a known name (so a segment
question may contain "="). Names are matched as stored, else equal but for case and spacing; an unknown name is an
error naming it and the known ones. A rule's conditions hold together with AND, or with OR (``any_of``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import duckdb

from tpm.i18n import MessageError

#: comparison → the SQL operator (the SQL text comes from here, never from the rule)
OPS = {"<=": "<=", ">=": ">=", "<": "<", ">": ">", "=": "="}
#: the right-hand side meaning "a don't-know answer"
DONT_KNOW = {"dk", "weiß nicht", "weiss nicht", "don't know", "dont know", "k.a."}
_CUT = re.compile(r"<=|>=|<|>|=")
_THEME = re.compile(r"^\s*(theme|thema)\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)


class RuleError(MessageError):
    """A rule or case that cannot be stored or changed; ``text(lang)`` for the page, English as ``str``."""


@dataclass(frozen=True)
class Condition:
    kind: str            # nps | rating | dont_know | theme | segment
    name: str | None     # the touchpoint, segment question or theme (as stored); None for nps
    op: str              # a key of OPS
    value: float | str | None
    text: str            # the condition as written (normalised spaces)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Known:
    """The names a study's rules may use: touchpoints, segment questions → their values, theme names."""
    touchpoints: tuple[str, ...]
    segments: dict[str, tuple[str, ...]]
    themes: tuple[str, ...]

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection, study_id: int) -> Known:
        tps = [r[0] for r in con.execute("SELECT name FROM touchpoints WHERE study_id = ? ORDER BY name", [study_id]).fetchall()]
        segs: dict[str, list[str]] = {}
        for segment, value in con.execute(
                """SELECT DISTINCT s.segment, s.value FROM segments s JOIN datasets d ON d.id = s.dataset_id
                   WHERE d.study_id = ? ORDER BY 1, 2""", [study_id]).fetchall():
            segs.setdefault(segment, []).append(value)
        themes = [r[0] for r in con.execute("SELECT name FROM themes WHERE study_id = ? ORDER BY name", [study_id]).fetchall()]
        return cls(tuple(tps), {k: tuple(v) for k, v in segs.items()}, tuple(themes))


def _match(text: str, names) -> str | None:
    """The name ``text`` gives: itself, else the only one equal to it but for case and spacing."""
    text = " ".join(text.split())
    if text in names:
        return text
    key = text.casefold()
    found = [n for n in names if " ".join(str(n).split()).casefold() == key]
    return found[0] if len(found) == 1 else None


def _listing(names, limit: int = 30) -> str:
    names = list(names)
    return (", ".join(names[:limit]) + (f" … (+{len(names) - limit})" if len(names) > limit else "")) if names else "—"


def _number(text: str, condition: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise RuleError("err_rule_number", text=condition, value=text) from None


def parse(text: str, known: Known) -> Condition:
    """One condition, checked against the study's names (:class:`RuleError` naming what is wrong)."""
    text = " ".join(str(text or "").split())
    theme = _THEME.match(text)
    if theme:
        name = _match(theme.group(2), known.themes)
        if name is None:
            raise RuleError("err_rule_unknown_theme", text=text, name=theme.group(2).strip(), known=_listing(known.themes))
        return Condition("theme", name, "=", None, text)
    cuts = list(_CUT.finditer(text))
    if not cuts or not text[:cuts[0].start()].strip() or not text[cuts[0].end():].strip():
        raise RuleError("err_rule_syntax", text=text)
    if text[:cuts[0].start()].strip().casefold() == "nps":
        op, value = cuts[0].group(), _number(text[cuts[0].end():].strip(), text)
        if not 0 <= value <= 10:
            raise RuleError("err_rule_nps_range", text=text)
        return Condition("nps", None, op, value, text)
    for cut in cuts:  # the first cut whose left side is a known touchpoint or segment
        left, op, right = text[:cut.start()].strip(), cut.group(), text[cut.end():].strip()
        if not right:
            break
        touchpoint = _match(left, known.touchpoints)
        if touchpoint is not None and right.casefold() in DONT_KNOW:
            if op != "=":
                raise RuleError("err_rule_dk_op", text=text)
            return Condition("dont_know", touchpoint, "=", None, text)
        segment = _match(left, known.segments)
        if touchpoint is not None and (segment is None or _is_number(right)):
            return Condition("rating", touchpoint, op, _number(right, text), text)
        if segment is not None:
            if op != "=":
                raise RuleError("err_rule_segment_op", text=text)
            value = _match(right, known.segments[segment])
            if value is None:
                raise RuleError("err_rule_unknown_value", text=text, name=segment, value=right,
                                known=_listing(known.segments[segment]))
            return Condition("segment", segment, "=", value, text)
    raise RuleError("err_rule_unknown_name", text=text, name=text[:cuts[0].start()].strip(),
                    touchpoints=_listing(known.touchpoints), segments=_listing(known.segments))


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def parse_all(texts: list[str], known: Known) -> list[Condition]:
    conditions = [parse(t, known) for t in texts if str(t or "").strip()]
    if not conditions:
        raise RuleError("err_rule_empty")
    return conditions


#: per condition kind: the SQL (``r`` is the respondent; a ``{op}`` from OPS) and its parameters
_SQL = {
    "nps": ("r.nps {op} ?", lambda c, study: [c.value]),
    "rating": ("EXISTS (SELECT 1 FROM ratings x WHERE x.dataset_id = r.dataset_id AND x.resp = r.resp "
               "AND x.touchpoint = ? AND x.score {op} ?)", lambda c, study: [c.name, c.value]),
    "dont_know": ("EXISTS (SELECT 1 FROM dont_know x WHERE x.dataset_id = r.dataset_id AND x.resp = r.resp "
                  "AND x.touchpoint = ?)", lambda c, study: [c.name]),
    "segment": ("EXISTS (SELECT 1 FROM segments x WHERE x.dataset_id = r.dataset_id AND x.resp = r.resp "
                "AND x.segment = ? AND x.value = ?)", lambda c, study: [c.name, c.value]),
    "theme": ("EXISTS (SELECT 1 FROM comment_themes x JOIN themes th ON th.id = x.theme_id AND th.study_id = ? "
              "WHERE x.dataset_id = r.dataset_id AND x.resp = r.resp AND th.name = ?)", lambda c, study: [study, c.name]),
}


def matches_sql(conditions: list[Condition], any_of: bool, study_id: int,
                dataset_ids: list[int] | None = None) -> tuple[str, list]:
    """``SELECT dataset_id, resp`` of the study's respondents (of ``dataset_ids``, None: every dataset) that match
    all (``any_of``: any) of the conditions, and its parameters. A condition on a name no longer stored
    (a touchpoint renamed since) matches nobody."""
    parts, params = [], []
    for c in conditions:
        sql, values = _SQL[c.kind]
        parts.append("(" + sql.format(op=OPS[c.op]) + ")")
        params += values(c, study_id)
    where = (" OR " if any_of else " AND ").join(parts)
    datasets = "" if dataset_ids is None else " AND d.id IN (SELECT unnest(?::INTEGER[]))"
    sql = (f"SELECT r.dataset_id, r.resp FROM respondents r JOIN datasets d ON d.id = r.dataset_id "
           f"WHERE d.study_id = ?{datasets} AND ({where})")
    return sql, [study_id, *([] if dataset_ids is None else [list(dataset_ids)]), *params]


def from_stored(rows: list[dict]) -> list[Condition]:
    """The conditions of a stored rule (``alert_rules.conditions``)."""
    return [Condition(**row) for row in rows]
