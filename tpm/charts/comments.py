"""Figures of comment themes: NPS gap per theme, theme × touchpoint heatmap, theme shares over waves.

Small frames of :mod:`tpm.comments.stats` in, ``go.Figure`` out. Theme names and touchpoints are user text:
escaped (:func:`tpm.charts.common.safe`) wherever plotly renders text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tpm.charts.common import BAR, DETRACTOR, GREY, PROMOTER, base_layout, safe, unique_short
from tpm.charts.tracking import trend_chart
from tpm.i18n import fmt_number, t
from tpm.metrics.rules import ALPHA

SHARE_COLOURS = [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#08306b"]]


def impact_chart(table: pd.DataFrame, lang: str = "de") -> go.Figure:
    """Horizontal bars: NPS of commenters mentioning a theme minus the others' NPS, with its 95 % CI; red/green
    where q < 0.05 (Benjamini–Hochberg), blue otherwise; themes with hidden NPS (small base) left out.

    ``table``: :func:`tpm.comments.stats.theme_impact`."""
    shown = table[~table["hidden_nps"]].sort_values("diff")
    colours = [BAR if not q < ALPHA else (DETRACTOR if d < 0 else PROMOTER) for d, q in zip(shown["diff"], shown["q"])]
    labels = unique_short(shown["theme"], 30)
    fig = go.Figure(go.Bar(
        y=labels, x=shown["diff"], orientation="h", marker_color=colours,
        error_x={"type": "data", "symmetric": False, "array": shown["diff_high"] - shown["diff"],
                 "arrayminus": shown["diff"] - shown["diff_low"], "color": "#333", "thickness": 1.2, "width": 4},
        text=[fmt_number(d, 0, lang, signed=True) for d in shown["diff"]], textposition="outside",
        customdata=np.column_stack([[safe(s) for s in shown["theme"]], shown["nps_with"], shown["n_with"], shown["nps_without"],
                                    shown["n_without"], shown["diff_low"], shown["diff_high"], shown["q"]]),
        hovertemplate=("<b>%{customdata[0]}</b><br>" + t("cs_nps_with", lang) + ": %{customdata[1]:.0f} (n = %{customdata[2]})<br>"
                       + t("cs_nps_without", lang) + ": %{customdata[3]:.0f} (n = %{customdata[4]})<br>"
                       + t("cs_diff", lang) + ": %{x:+.1f} (" + t("ci95", lang) + " %{customdata[5]:.1f} … %{customdata[6]:.1f})"
                       "<br>q = %{customdata[7]:.3f}<extra></extra>"),
    ))
    base_layout(fig, t("cs_impact_title", lang), lang, height=max(320, 60 + 34 * len(shown)))
    fig.update_xaxes(title_text=t("cs_diff_axis", lang), zeroline=True, zerolinecolor="#999", gridcolor="#eee")
    fig.update_yaxes(type="category", automargin=True)
    fig.add_annotation(text=t("cs_impact_legend", lang), showarrow=False, xref="paper", yref="paper", x=0, y=1.0,
                       xanchor="left", yanchor="bottom", font={"color": "#555", "size": 12})
    return fig


def theme_touchpoint_heatmap(by_touchpoint: pd.DataFrame, lang: str = "de") -> go.Figure:
    """Rows themes, columns touchpoints: the share (%) of the touchpoint's commenting raters who mention the theme
    (:func:`theme_heatmap` of :func:`tpm.comments.stats.theme_by_touchpoint`)."""
    return theme_heatmap(by_touchpoint, "touchpoint", t("touchpoint", lang), t("cs_heatmap_title", lang), lang)


def theme_segment_heatmap(by_segment: pd.DataFrame, segment: str, lang: str = "de") -> go.Figure:
    """Rows themes, columns the values of ``segment``: the share (%) of the value's commenters who mention the
    theme (:func:`theme_heatmap` of :func:`tpm.comments.figures.theme_by_segment`)."""
    return theme_heatmap(by_segment, "value", segment, t("cs_segment_heatmap_title", lang, segment=segment), lang)


def theme_heatmap(frame: pd.DataFrame, column: str, column_title: str, title: str, lang: str = "de") -> go.Figure:
    """Rows themes, columns the groups in ``column``, colour and text the share (%) of the group's commenters who
    mention the theme; grey "·" where the group is below the anonymity base. Hover: share, 95 % CI, n.

    ``frame``: :func:`tpm.comments.stats.theme_shares` by ``column``."""
    themes, touchpoints = list(dict.fromkeys(frame["theme"])), list(dict.fromkeys(frame[column]))
    pivot = lambda values: frame.pivot(index="theme", columns=column, values=values).reindex(  # noqa: E731
        index=themes, columns=touchpoints)
    share, hidden = pivot("share").to_numpy(float), pivot("hidden").fillna(True).to_numpy(bool)
    n, low, high = pivot("n").to_numpy(float), pivot("share_low").to_numpy(float), pivot("share_high").to_numpy(float)
    rows, cols = unique_short(themes, 30), unique_short(touchpoints, 16)
    full = np.dstack([np.repeat(np.array([safe(x) for x in themes], dtype=object)[:, None], len(cols), axis=1),
                      np.repeat(np.array([safe(x) for x in touchpoints], dtype=object)[None, :], len(rows), axis=0),
                      low.astype(object), high.astype(object), n.astype(object)])
    text = [["·" if h else fmt_number(v, 0, lang) for v, h in zip(r, hr)] for r, hr in zip(share, hidden)]
    fig = go.Figure()
    fig.add_heatmap(z=np.where(hidden, np.nan, share), x=cols, y=rows, customdata=full, colorscale=SHARE_COLOURS,
                    zmin=0, zmax=max(10.0, float(np.nanmax(np.where(hidden, np.nan, share))) if (~hidden).any() else 10.0),
                    text=text, texttemplate="%{text}", xgap=2, ygap=2, hoverongaps=False,
                    hovertemplate=("<b>%{customdata[0]}</b> · %{customdata[1]}<br>" + t("cs_share", lang)
                                   + ": %{z:.1f} % (" + t("ci95", lang) + " %{customdata[2]:.1f} … %{customdata[3]:.1f})"
                                   "<br>n = %{customdata[4]}<extra></extra>"),
                    colorbar={"title": {"text": "%", "side": "top"}, "ticksuffix": " %"})
    fig.add_heatmap(z=np.where(hidden, 1.0, np.nan), x=cols, y=rows, customdata=full, colorscale=[[0, GREY], [1, GREY]],
                    showscale=False, xgap=2, ygap=2, hoverongaps=False, text=text, texttemplate="%{text}",
                    hovertemplate="<b>%{customdata[0]}</b> · %{customdata[1]}<br>n = %{customdata[4]} ("
                                  + t("cs_hidden", lang) + ")<extra></extra>")
    base_layout(fig, title, lang, height=max(360, 200 + 40 * len(rows)))
    # the groups below the cells, slanted: long names ("Bewertungsportale") neither wrap nor run into the title
    fig.update_xaxes(title_text=safe(column_title), type="category", side="bottom", tickangle=-40, automargin=True)
    fig.update_yaxes(type="category", autorange="reversed", automargin=True)
    return fig


def theme_trend_chart(trend: pd.DataFrame, lang: str = "de") -> go.Figure:
    """Share of each theme over the waves with 95 % CI bands (the tracking line chart; waves with a base below the
    anonymity base are left out). ``trend``: :func:`tpm.comments.stats.theme_trend` (with ``wave_no``)."""
    shown = trend[~trend["hidden"]].copy()
    shown["wave_no"] = shown["wave_no"] if "wave_no" in shown else shown.groupby("theme").cumcount()
    frame = shown.assign(value=shown["share"], ci_low=shown["share_low"], ci_high=shown["share_high"], change=np.nan,
                         significant=False)
    return trend_chart(frame, "theme", t("cs_trend_title", lang), t("cs_share_axis", lang), lang, y_range=(0, None))
