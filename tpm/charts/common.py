"""Layout shared by all figures."""

from __future__ import annotations

import html
import textwrap

import plotly.graph_objects as go

from tpm.formatting import split_scale
from tpm.i18n import plotly_separators

FONT = "Source Sans Pro, DejaVu Sans, Arial, sans-serif"
GREY = "#b8b8b8"
PROMOTER, PASSIVE, DETRACTOR = "#1a9850", "#c8c8c8", "#d73027"
BAR = "#1f6f8b"


def safe(label) -> str:
    """A user-provided label made inert for plotly's HTML-like text rendering."""
    return html.escape(str(label), quote=False)


DARK_TEXT, LIGHT_TEXT = "#111111", "#ffffff"


def _hex_rgb(colour: str) -> tuple[float, float, float]:
    colour = colour.strip()
    if colour.startswith("#"):
        value = colour[1:]
        if len(value) == 3:
            value = "".join(c * 2 for c in value)
        return tuple(int(value[i:i + 2], 16) for i in (0, 2, 4))
    inside = colour[colour.index("(") + 1:colour.index(")")]
    return tuple(float(part) for part in inside.split(",")[:3])


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb`` / ``rgb(r, g, b)``."""
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in _hex_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio (1 … 21) of two colours."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(background: str) -> str:
    """Dark or light text, whichever contrasts more with ``background`` (always ≥ 4.5:1 for black/white)."""
    return DARK_TEXT if contrast(DARK_TEXT, background) >= contrast(LIGHT_TEXT, background) else LIGHT_TEXT


def theme_lines(names, themes: dict[str, str] | None) -> list[str] | None:
    """The hover line of each touchpoint in ``names`` from ``themes`` (touchpoint → "Häufige Themen: …",
    :func:`tpm.comments.highlights.theme_hover`), escaped and led by a line break; "" for a touchpoint without
    one. None when there are no themes at all: the figure is then built exactly as without them. A name given
    its scale (:func:`tpm.formatting.scale_labelled`) finds its touchpoint's line."""
    if not themes:
        return None
    return [("<br>" + safe(line)) if (line := themes.get(str(name)) or themes.get(split_scale(name)[0])) else ""
            for name in names]


def short(label, width: int = 28, lines: int = 2) -> str:
    """A user label fit for an axis or a card: wrapped at ``width`` characters on at most ``lines``
    lines (joined by ``<br>``), shortened with "…" beyond — the name, never the scale a touchpoint on
    several is named with (:func:`tpm.formatting.scale_labelled`); escaped. The full name goes in the hover."""
    text = " ".join(str(label).split())
    parts = textwrap.wrap(text, width=width, break_long_words=True) or [""]
    if len(parts) > lines:
        name, suffix = split_scale(text)
        parts = (textwrap.wrap(name, width=width, break_long_words=True) or [""])[:lines]
        parts[-1] = parts[-1][: max(width - 1 - len(suffix), 1)].rstrip() + "…" + suffix
    return "<br>".join(safe(part) for part in parts)


def unique_short(labels, width: int = 28, lines: int = 2) -> list[str]:
    """:func:`short` for a list of categories; two names that shorten alike stay apart ("… (2)")."""
    out, seen = [], {}
    for label in labels:
        text = short(label, width, lines)
        seen[text] = seen.get(text, 0) + 1
        out.append(text if seen[text] == 1 else f"{text} ({seen[text]})")
    return out


def base_layout(fig: go.Figure, title: str, lang: str, height: int | None = None) -> go.Figure:
    fig.update_layout(
        title={"text": safe(title), "x": 0, "xanchor": "left", "font": {"size": 18}},
        separators=plotly_separators(lang),
        font={"family": FONT, "size": 13},
        margin={"l": 10, "r": 10, "t": 60, "b": 50},
        plot_bgcolor="white",
        hoverlabel={"font_size": 13},
    )
    if height:
        fig.update_layout(height=height)
    return fig


def standalone_html(fig: go.Figure) -> bytes:
    """The figure as one HTML file that loads nothing from another host: plotly.js (~4.6 MB) inside.

    ``include_plotlyjs="cdn"`` had every reader's browser fetch the library from cdn.plot.ly — a
    third party learning who opens the report, and a blank chart offline or behind a strict proxy.
    Without the plotly logo (a link to plotly.com) in the toolbar."""
    return fig.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False}).encode("utf-8")
