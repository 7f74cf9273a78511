"""Words, lemmas and stop words of comments: what theme rules and term statistics count.

- :data:`WORD_PATTERN` — a word is a run of letters (RE2's and Python's idea of a letter agree on real text):
  "E-Mail" gives "e", "mail"; digits and punctuation separate words. :func:`words` (lower case, original spelling)
  is the Python side of the import's SQL (``regexp_extract_all(lower(text), WORD_PATTERN)``).
- :func:`lemma` — simplemma 2.0 (a dictionary lemmatiser shipped with its data: no download, offline), German
  and English in that order (``lang=("de", "en")``), given the *lower-cased original* word ("bücher" finds
  "Buch"; its folded form "bucher" would not), then folded by :func:`tpm.text.fold.fold` so that lemmas
  compare with folded search terms. "Lieferungen" → "lieferung", "geliefert" → "liefern". Cached: the import
  lemmatises each distinct word once, never each comment.
- :func:`tokens` — the folded words (for search terms); :func:`lemmas` — the lemmas of a text in order (what
  the import stores in ``comments.lemmas``, space-separated; phrases match consecutive lemmas).
- :data:`STOP_WORDS` — German and English stop words of the maintained ``stop-words`` package (2025.11.4),
  folded and lemmatised too, so that they meet the stored lemmas.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from tpm.text.fold import fold

__all__ = ["LANGUAGES", "WORD_PATTERN", "lemma", "lemmas", "readable", "spelled_lemma", "stop_words", "tokens", "words"]

#: a word: one or more letters (RE2 syntax; the same class as Python's ``[^\W\d_]``)
WORD_PATTERN = r"\pL+"
_WORD = re.compile(r"[^\W\d_]+")
#: simplemma's languages, tried in this order (German comments first; English words fall through)
LANGUAGES = ("de", "en")


def words(text: str) -> list[str]:
    """The lower-cased words of ``text`` (runs of letters), in order."""
    return _WORD.findall(str(text).lower())


def tokens(text: str) -> list[str]:
    """The folded words of ``text`` (:func:`tpm.text.fold.fold`), in order: "Größere Lieferungen" → ["grossere", "lieferungen"]."""
    return [fold(w) for w in words(text)]


@lru_cache(maxsize=200_000)
def spelled_lemma(word: str) -> str:
    """The lemma of one word as a reader spells it: simplemma (de, then en) on the lower-cased word, lower case,
    not folded ("Beschädigte" → "beschädigen")."""
    import simplemma

    return simplemma.lemmatize(str(word).lower(), lang=LANGUAGES).lower()


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The folded lemma of one word: :func:`spelled_lemma`, folded ("Beschädigte" → "beschadigen")."""
    return fold(spelled_lemma(word))


def readable(term: str, texts) -> str:
    """A term of folded lemmas ("beschadigen liefern") as a reader writes it ("beschädigen liefern"): each lemma in
    the spelling of :func:`spelled_lemma` of a word of ``texts`` (the comments it was found in) that folds to it;
    a lemma no word of ``texts`` gives stays as it is."""
    spelled: dict[str, str] = {}
    for text in texts:
        for word in words(text):
            spelled.setdefault(lemma(word), spelled_lemma(word))
    return " ".join(spelled.get(part, part) for part in term.split(" "))


def lemmas(text: str) -> list[str]:
    """The lemmas of ``text``'s words, in order (the stored ``comments.lemmas`` is them joined by spaces)."""
    return [lemma(w) for w in words(text)]


@cache
def stop_words() -> frozenset[str]:
    """German and English stop words, folded, with their lemmas (loaded on first use)."""
    from stop_words import get_stop_words

    listed = {w.lower() for language in ("german", "english") for w in get_stop_words(language)}
    return frozenset({fold(w) for w in listed} | {lemma(w) for w in listed if _WORD.fullmatch(w)})


def __getattr__(name: str):  # ``STOP_WORDS``: a module attribute made on first use
    if name == "STOP_WORDS":  # loaded on first use: importing this module costs nothing
        return stop_words()
    raise AttributeError(name)
