"""A theme's match rules, checked and turned into one regular expression over a comment's lemmas.

A comment's ``lemmas`` (:mod:`tpm.text.lemmas`) are its words' folded lemmas joined by single spaces, in order.
A rule is

- a **word** ("Lieferung"): matches a comment holding the word's lemma ("Lieferungen" → "lieferung");
- a **stem** — a word ending in ``*`` ("liefer*"): matches a lemma *starting with* the folded stem ("lieferung",
  "liefern" from "geliefert", "lieferzeit" from "Lieferzeiten"); the stem itself is not lemmatised;
- a **phrase** ("zu lange"): matches the phrase's lemmas as consecutive lemmas of the comment; its last word
  may be a stem ("zu lang*").

A word of several words ("E-Mail" → "e mail") is a phrase. :func:`pattern` joins a theme's rules into one RE2
expression ``(?:^| )(?:rule|rule…)(?: |$)``, so coding a theme is one ``regexp_matches`` per comment inside DuckDB.
Rules are checked before anything is stored (:func:`check_rule`): no letters, or a regular-expression character
(``. ^ $ | ? + ( ) [ ] { } \\``, a ``*`` not at the end) → :class:`ThemeError` naming the rule.
"""

from __future__ import annotations

import re

from tpm.i18n import MessageError
from tpm.text.fold import fold
from tpm.text.lemmas import lemma, words

__all__ = ["ThemeError", "check_rule", "pattern", "rule_lemmas"]

#: characters that would make a rule a regular expression; refused, never escaped silently
META = frozenset("\\.^$|?+()[]{}*")


class ThemeError(MessageError):
    """A theme or rule that cannot be stored; ``text(lang)`` for the page, English as ``str``."""


def check_rule(rule: str) -> str:
    """The rule with its spaces normalised, or :class:`ThemeError` (no letters, a regex character)."""
    text = " ".join(str(rule or "").split())
    body = text[:-1].rstrip() if text.endswith("*") else text
    bad = next((c for c in body if c in META), None)
    if bad is not None:
        raise ThemeError("err_theme_rule_char", rule=text, char=bad)
    if not words(body):
        raise ThemeError("err_theme_rule_letters", rule=text)
    return text


def rule_lemmas(rule: str) -> tuple[list[str], bool]:
    """(the rule's lemmas, whether the last one is a stem): "Lieferzeiten" → (["lieferzeit"], False),
    "liefer*" → (["liefer"], True), "zu lange" → (["zu", "lange"], False)."""
    text = check_rule(rule)
    stem = text.endswith("*")
    found = words(text[:-1] if stem else text)
    return [lemma(w) for w in found[:-1]] + [fold(found[-1]) if stem else lemma(found[-1])], stem


def pattern(word_rules: list[str] | tuple[str, ...], phrases: list[str] | tuple[str, ...] = ()) -> str | None:
    """One RE2 expression matching a lemma string that any rule matches; None without rules."""
    alternatives = []
    for rule in [*(word_rules or ()), *(phrases or ())]:
        found, stem = rule_lemmas(rule)
        alternatives.append(" ".join(re.escape(x) for x in found) + (r"[^ ]*" if stem else ""))
    if not alternatives:
        return None
    return "(?:^| )(?:" + "|".join(sorted(set(alternatives))) + ")(?: |$)"
