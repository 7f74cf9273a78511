"""Layout shared by all figures."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from tpm.i18n import plotly_separators

FONT = "Source Sans Pro, DejaVu Sans, Arial, sans-serif"
GREY = "#b8b8b8"
PROMOTER, PASSIVE, DETRACTOR = "#1a9850", "#c8c8c8", "#d73027"
BAR = "#1f6f8b"


def safe(label) -> str:
    """A user-provided label made inert for plotly's HTML-like text rendering."""
    return html.escape(str(label), quote=False)


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
