"""Masking personal data in comments: the one rule for pages, CLI and exports.

Customers write their e-mail address, phone number, IBAN or customer number into a free-text answer
("Rufen Sie mich an: 0171 2345678"). Before a comment is shown or exported, :func:`mask` replaces each
such item by a language-neutral token (the same in German and English views):

========================  ============  ==================================================================
kind                      token         rule
========================  ============  ==================================================================
IBAN                      ``[IBAN]``    two letters, two check digits, 11–30 letters/digits (groups of 4
                                        may be spaced), at least 10 digits in all
e-mail address            ``[E-Mail]``  ``name@host.tld`` (also ``name (at) host.tld``)
card number               ``[Karte]``   a run of 13–19 digits (spaces/dashes between) that passes the
                                        Luhn check (ISO/IEC 7812) — so an order number rarely looks like one
customer/contract number  ``[Nr.]``     the token (with a digit) after "Kundennummer", "Vertrags-Nr.",
                                        "customer no", "account number" … — the word itself stays
phone number              ``[Tel.]``    ``+``/``0`` then a digit, at least 7 digits in all (spaces, ``/``,
                                        ``-``, brackets between), or any number of ≥ 5 digits after
                                        "Tel.", "Telefon", "Handy", "phone", "mobile" …
========================  ============  ==================================================================

What is *not* personal stays: dates ("01.02.2024", "01/02/2024", "2024-03-12"), prices ("49,90 €",
"0,99 €"), postcodes ("10115", "01067 Dresden"), ratings ("5 Sterne"), years, times. A phone number
must begin with ``+``, ``00`` or ``0`` and have ≥ 7 digits, and a date pattern is never a phone number.
The rules run in the order of the table, each on the text the ones before left.
"""

from __future__ import annotations

import re

__all__ = ["TOKENS", "mask"]

TOKENS = {"iban": "[IBAN]", "email": "[E-Mail]", "card": "[Karte]", "number": "[Nr.]", "phone": "[Tel.]"}

_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,4})?\b")
_EMAIL = re.compile(r"[\w.+-]+(?:@|\s?[(\[]at[)\]]\s?)[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
_CARD = re.compile(r"(?<![\d+])\d(?:[ -]?\d){12,18}(?!\d)")
_NUMBER = re.compile(
    r"(?i)\b(?:kunden|vertrags|mitglieds|versicherungs|policen|rechnungs|auftrags|bestell|konto|kd|vertr)"
    r"[\s.-]*(?:nummer|nr)\b\.?"
    r"|\b(?:customer|contract|account|member(?:ship)?|policy|invoice|order|client)\s*(?:no\b\.?|number\b|nr\b\.?|#|id\b)"
    r"(?P<sep>[\s:#.]*)(?P<value>[A-Za-z0-9/-]*\d[A-Za-z0-9/-]*)"
)
_NUMBER_DE_VALUE = re.compile(r"[\s:#.]*(?P<value>[A-Za-z0-9/-]*\d[A-Za-z0-9/-]*)")
_PHONE = re.compile(r"(?<![\w.,+/-])(?:\+\s?\d|\(?0\d)[\d ()/-]{4,}\d(?![\d.,]\d)")
_PHONE_WORD = re.compile(r"(?i)\b(?:tel|telefon(?:nummer)?|rufnummer|handy(?:nummer)?|mobil(?:nummer)?|fon|phone|mobile|cell)"
                         r"\b\.?(?:\s*(?:nr|no)\.?)?[\s:]*(?P<value>\+?\d[\d ()/-]{3,}\d)")
_DATE = re.compile(r"\(?\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\)?")


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def _luhn(digits: str) -> bool:
    """ISO/IEC 7812 check: from the right, every second digit doubled (its digit sum taken: 16 → 7); the sum of
    all ends in 0."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        total += sum(divmod(int(c) * (2 if i % 2 else 1), 10))
    return total % 10 == 0


def _iban(m: re.Match) -> str:
    return TOKENS["iban"] if _digits(m.group()) >= 10 else m.group()


def _card(m: re.Match) -> str:
    digits = re.sub(r"\D", "", m.group())
    return TOKENS["card"] if 13 <= len(digits) <= 19 and _luhn(digits) else m.group()


def _number(text: str) -> str:
    """The value after a customer/contract number word, masked (the word stays)."""
    out, pos = [], 0
    for m in _NUMBER.finditer(text):
        if m.start() < pos:
            continue
        if m.group("value") is not None:  # the English words: their value is part of the match
            start, end = m.start("value"), m.end("value")
        else:
            value = _NUMBER_DE_VALUE.match(text, m.end())
            if not value:
                continue
            start, end = value.start("value"), value.end("value")
        out += [text[pos:start], TOKENS["number"]]
        pos = end
    return "".join(out) + text[pos:]


def _phone(m: re.Match) -> str:
    found = m.group().rstrip(" (-/")
    rest = m.group()[len(found):]
    if _digits(found) < 7 or _digits(found) > 15 or _DATE.fullmatch(found.strip()):
        return m.group()
    return TOKENS["phone"] + rest


def _phone_word(m: re.Match) -> str:
    if _digits(m.group("value")) < 5:
        return m.group()
    return m.group()[:m.start("value") - m.start()] + TOKENS["phone"]


def mask(text: str) -> str:
    """``text`` with IBANs, e-mail addresses, card, customer and phone numbers replaced by their tokens
    (:data:`TOKENS`; the rules of the module docstring). Text without such items comes back unchanged."""
    if not text or not any(c.isdigit() or c == "@" or c == "(" or c == "[" for c in text):
        return text  # the common comment: nothing to mask, no regular expression run
    text = _IBAN.sub(_iban, text)
    text = _EMAIL.sub(TOKENS["email"], text)
    text = _CARD.sub(_card, text)
    text = _number(text)
    text = _PHONE_WORD.sub(_phone_word, text)
    return _PHONE.sub(_phone, text)
