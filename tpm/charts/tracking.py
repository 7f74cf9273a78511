"""Segment and tracking figures: NPS per segment value, lines over waves with 95 % CI bands."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from tpm.charts.common import BAR, DETRACTOR, GREY, PROMOTER, base_layout, safe, short
from tpm.i18n import fmt_number, t

FLAG_COLOUR = {"higher": PROMOTER, "lower": DETRACTOR, "ns": BAR, "untested": GREY, "hidden": GREY}
FLAG_MARK = {"higher": " ▲", "lower": " ▼"}
PALETTE = ["#1f6f8b", "#d95f02", "#7570b3", "#1b9e77", "#e7298a", "#66a61e", "#a6761d", "#666666"]


def nps_by_segment_chart(frame: pd.DataFrame, segment: str, lang: str = "de") -> go.Figure:
    """Vertical bars: NPS per segment value with adjusted-Wald 95 % CI; colour = significance vs the rest."""
    labels = [f"<b>{short(s, 18, 2)}</b><br>NPS {fmt_number(v, 0, lang, signed=True)}{FLAG_MARK.get(f, '')}<br>n = {fmt_number(n, 0, lang)}"
              for s, v, f, n in zip(frame["segment"], frame["value"], frame["flag"], frame["n"])]
    fig = go.Figure(go.Bar(
        x=labels, y=frame["value"],
        marker_color=[FLAG_COLOUR[f] for f in frame["flag"]],
        error_y={"type": "data", "symmetric": False, "array": frame["ci_high"] - frame["value"],
                 "arrayminus": frame["value"] - frame["ci_low"], "color": "#333", "thickness": 1.2, "width": 4},
        customdata=frame[["n", "ci_low", "ci_high", "diff"]].to_numpy(),
        hovertemplate=("<b>%{x}</b><br>NPS: %{y:.1f}<br>" + t("ci95", lang) + ": %{customdata[1]:.1f} … %{customdata[2]:.1f}<br>"
                       + t("diff_to_rest", lang) + ": %{customdata[3]:+.1f}<br>n = %{customdata[0]}<extra></extra>"),
        showlegend=False,
    ))
    base_layout(fig, t("nps_by_segment_title", lang, segment=segment), lang, height=460)
    low, high = min(0.0, float(frame["ci_low"].min())), max(0.0, float(frame["ci_high"].max()))
    pad = max(5.0, (high - low) * 0.1)
    fig.update_yaxes(title_text=t("nps_axis", lang), range=[max(-100, low - pad), min(100, high + pad)], zeroline=True,
                     zerolinecolor="#999", gridcolor="#eee")
    fig.update_xaxes(title_text=safe(segment), type="category")
    fig.add_annotation(text=t("segment_legend", lang), showarrow=False, xref="paper", yref="paper", x=0, y=1.0,
                       xanchor="left", yanchor="bottom", font={"color": "#555", "size": 12})
    return fig


def trend_chart(frame: pd.DataFrame, series: str | None, title: str, y_title: str, lang: str = "de",
                y_range: tuple[float, float] | None = None, targets: dict[str, float] | None = None) -> go.Figure:
    """Lines over waves with shaded 95 % CI bands; ▲/▼ where the change to the previous wave is significant;
    a dashed target line (Soll) in the series' colour where ``targets`` has one.

    ``frame``: wave, wave_no, value, ci_low, ci_high, change, significant, n (and ``series`` column for several lines).
    """
    fig = go.Figure()
    groups = [(None, frame)] if series is None else list(frame.groupby(series, sort=False))
    for i, (name, part) in enumerate(groups):
        part = part.sort_values("wave_no")
        colour = PALETTE[i % len(PALETTE)]
        label = short(name, 30, 1) if name is not None else "NPS"
        waves = [safe(w) for w in part["wave"]]
        fig.add_scatter(x=waves + waves[::-1], y=list(part["ci_high"]) + list(part["ci_low"])[::-1], fill="toself", mode="lines",
                        fillcolor=colour, opacity=0.15, line={"width": 0}, hoverinfo="skip", showlegend=False, legendgroup=label)
        marks = [FLAG_MARK["higher" if c > 0 else "lower"] if s else "" for c, s in zip(part["change"].fillna(0), part["significant"])]
        fig.add_scatter(
            x=waves, y=part["value"], mode="lines+markers+text", name=label, legendgroup=label,
            line={"color": colour, "width": 2.5}, marker={"size": 8},
            text=[fmt_number(v, 1, lang) + m for v, m in zip(part["value"], marks)], textposition="top center",
            customdata=part.assign(n_eff=part["n_eff"] if "n_eff" in part else part["n"])[["n", "ci_low", "ci_high", "change", "n_eff"]].to_numpy(),
            hovertemplate=(f"<b>{safe(name) if name is not None else label}</b> · %{{x}}<br>%{{y:.1f}} (" + t("ci95", lang) + " %{customdata[1]:.1f} … %{customdata[2]:.1f})"
                           "<br>" + t("change", lang) + ": %{customdata[3]:+.1f}<br>n = %{customdata[0]}"
                           + (" · n_eff = %{customdata[4]:.0f}" if "weighted" in part and part["weighted"].any() else "")
                           + "<extra></extra>"),
        )
        target = (targets or {}).get(name)
        if target is not None and not pd.isna(target):
            fig.add_hline(y=float(target), line={"color": colour, "dash": "dash", "width": 1.5},
                          annotation_text=f"{t('target', lang)} {label}: {fmt_number(target, 0, lang)}",
                          annotation_position=("top left", "bottom left", "top right", "bottom right")[i % 4],
                          annotation_font={"color": colour, "size": 11})
    base_layout(fig, title, lang, height=440)
    fig.update_xaxes(title_text=t("wave", lang), type="category")
    fig.update_yaxes(title_text=y_title, gridcolor="#eee", range=y_range)
    fig.update_layout(legend={"orientation": "h", "y": -0.25, "x": 0})
    fig.add_annotation(text=t("trend_legend", lang), showarrow=False, xref="paper", yref="paper", x=0, y=1.0,
                       xanchor="left", yanchor="bottom", font={"color": "#555", "size": 12})
    return fig
