"""Text on a page: user text made inert for Streamlit's markdown (:func:`plain`), and the page's
language from the URL (:func:`language`)."""

from __future__ import annotations

import re

import streamlit as st

from tpm.i18n import DEFAULT_LANGUAGE, LANGUAGES

_MARKDOWN = re.compile(r"([\\`*_{}\[\]#|<>~$:@&])")  # "!", "(", ")" need a "[" to matter; "-", "+" a line start
_AUTOLINK = re.compile(r"(?i)(://|\bwww(?=\\?\.)|@)")
_BREAK = "\u2060"  # WORD JOINER: invisible, keeps the word together, but no autolink pattern matches across it


def plain(text: str) -> str:
    """User text made inert for Streamlit markdown (labels, captions, st.error/st.info, help).

    Every character with a meaning in (GitHub/Streamlit) markdown is backslash-escaped: no link,
    image, emphasis, ``:color[…]``/``:material/…:`` directive, LaTeX or HTML. GitHub's autolinks
    (``https://…``, ``www.…``, ``name@host``) are found in the text *after* escapes are resolved, so an
    invisible word joiner goes after ``:``, ``www`` and ``@``. Line breaks become spaces (a label is one line).
    """
    text = _AUTOLINK.sub(lambda m: ":" + _BREAK + "//" if m.group(1) == "://" else m.group(1) + _BREAK,
                         " ".join(str(text).splitlines()))
    return _MARKDOWN.sub(r"\\\1", text)


def language() -> str:
    lang = st.query_params.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE
