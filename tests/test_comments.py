"""Issue 21, the comments themselves: masking personal data (tpm/text/mask.py), the comment query with
its filters, search, base and privacy rules (tpm/comments/query.py), the Comments page and the CLI."""

import pytest

from tpm.text.mask import TOKENS, mask

# --- masking -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "kind", "kept"), [
    ("Schreiben Sie mir an max.mustermann@web.de bitte", "email", "bitte"),
    ("erreichbar unter erika (at) example.org", "email", "erreichbar unter"),
    ("Rufen Sie an: 0171 2345678.", "phone", "Rufen Sie an:"),
    ("call +49 (0)30 123 456 78 today", "phone", "today"),
    ("Festnetz (030) 123 45 67", "phone", "Festnetz"),
    ("Tel. 12345 ab 18 Uhr", "phone", "ab 18 Uhr"),
    ("IBAN DE89 3704 0044 0532 0130 00 für die Erstattung", "iban", "für die Erstattung"),
    ("refund to GB82WEST12345698765432", "iban", "refund to"),
    ("Karte 4111 1111 1111 1111 wurde doppelt belastet", "card", "doppelt belastet"),
    ("meine Kundennummer: K-12345 bitte prüfen", "number", "meine Kundennummer:"),
    ("Vertrags-Nr. 99887766", "number", "Vertrags-Nr."),
    ("my customer no. 4711-22 was wrong", "number", "my customer no."),
])
def test_each_kind_is_masked_and_the_rest_kept(text, kind, kept):
    masked = mask(text)
    assert TOKENS[kind] in masked
    assert kept in masked
    assert sum(c.isdigit() for c in masked.replace(kept, "")) == 0  # no digit of the item is left
    assert "@" not in masked


@pytest.mark.parametrize("text", [
    "Am 01.02.2024 war ich in der Filiale", "Termin 01/02/2024 verschoben", "seit 2024-03-12 kaputt",
    "für 49,90 € und dann nur 0,99 €", "1.299,00 € für einen Router", "10115 Berlin und 01067 Dresden",
    "5 Sterne", "Kunde seit 2019", "um 09:30 Uhr", "Bestellung 1234567890123 kam nicht",  # fails Luhn: no card
    "von 0 bis 10 Punkte", "Bewertung 0 - 10 20 30", "ab12 test abcd efgh", "Hotline (Montag) war gut",
])
def test_non_personal_look_alikes_stay(text):
    assert mask(text) == text


def test_card_rule_is_luhn_not_length():
    assert mask("4111 1111 1111 1111") == TOKENS["card"]  # the Visa test number passes Luhn
    assert mask("4111 1111 1111 1112") == "4111 1111 1111 1112"  # one digit off: a mere number
