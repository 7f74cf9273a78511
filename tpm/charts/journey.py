"""Journey map (phases × swimlanes, one card per touchpoint), emotion curve, and target chart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tpm.charts.common import BAR, base_layout, safe, short, unique_short
from tpm.i18n import fmt_number, t

STATUS_FILL = {"above": "#d9efd3", "below": "#f8d3cd", "no_data": "#eeeeee"}
STATUS_LINE = {"above": "#1b7837", "below": "#b2182b", "no_data": "#999999"}
CARD_W, CARD_H = 0.86, 0.8


def _card_text(card, lang: str) -> str:
    marks = ("★ " if card.moment_of_truth else "") + ("⚠ " if isinstance(card.pain_points, str) and card.pain_points else "")
    line1 = f"<b>{marks}{short(card.name, 20, 2)}</b>"
    if np.isnan(card.score):
        return f"{line1}<br>{t('no_ratings', lang)}"
    target = f" ({t('target_short', lang)} {fmt_number(card.target, 0, lang)})" if card.against_target else ""
    line2 = f"<b>{fmt_number(card.score, 0, lang)}</b>{target}"
    line3 = f"n={fmt_number(card.n, 0, lang)}" + (f" · ◆ {fmt_number(card.importance, 0, lang)} %" if not np.isnan(card.importance) else "")
    return f"{line1}<br>{line2}<br>{line3}"


def journey_map(cards: pd.DataFrame, phase_order: list[str], lane_title: str, lang: str = "de") -> go.Figure:
    """Phases left to right, swimlanes top to bottom; each card coloured by score against its
    target (or the mean), with score, n, target and driver importance (◆) and ★/⚠ marks."""
    phases = list(phase_order) + (["—"] if (cards["phase"] == "—").any() else [])
    lanes = sorted(cards["lane"].unique(), key=lambda x: (x == "—", x))
    slots = cards.groupby(["lane", "phase"]).size()
    lane_rows = {lane: int(slots.loc[lane].max()) for lane in lanes}
    fig = go.Figure()
    placed, lane_centres, top = [], [], 0.0
    for li, lane in enumerate(lanes):
        height = lane_rows[lane]
        if li % 2 == 0:
            fig.add_shape(type="rect", x0=-0.5, x1=len(phases) - 0.5, y0=-(top + height), y1=-top,
                          fillcolor="#f6f8fa", line_width=0, layer="below")
        lane_cards = cards[cards["lane"] == lane]
        for phase_no, phase in enumerate(phases):
            for slot, card in enumerate(lane_cards[lane_cards["phase"] == phase].itertuples()):
                placed.append((card, phase_no, -(top + slot + 0.5)))
        lane_centres.append(-(top + height / 2))
        top += height
    for card, x, y in placed:
        fig.add_shape(type="rect", x0=x - CARD_W / 2, x1=x + CARD_W / 2, y0=y - CARD_H / 2, y1=y + CARD_H / 2,
                      fillcolor=STATUS_FILL[card.status],
                      line={"color": STATUS_LINE[card.status], "width": 2.5 if card.moment_of_truth else 1})
        fig.add_annotation(x=x, y=y, text=_card_text(card, lang), showarrow=False, font={"size": 11, "color": "#222"})
    fig.add_scatter(  # invisible points carry the hover (pain-point notes)
        x=[x for _, x, _ in placed], y=[y for _, _, y in placed], mode="markers", marker={"size": 40, "opacity": 0},
        hovertext=[f"<b>{safe(c.name)}</b><br>{safe(c.pain_points) if isinstance(c.pain_points, str) else ''}" for c, _, _ in placed],
        hoverinfo="text", showlegend=False)
    base_layout(fig, t("journey_title", lang, lane=safe(lane_title if lang == "de" else lane_title.lower())), lang, height=max(360, int(top * 84) + 160))
    fig.update_xaxes(tickvals=list(range(len(phases))), ticktext=[f"<b>{safe(p)}</b>" for p in phases], side="top",
                     range=[-0.5, len(phases) - 0.5], showgrid=False, zeroline=False)
    fig.update_yaxes(tickvals=lane_centres, ticktext=[short(lane, 20, 2) for lane in lanes], range=[-top - 0.05, 0.05],
                     showgrid=False, zeroline=False, title_text=safe(lane_title))
    fig.add_annotation(text=t("journey_legend", lang), showarrow=False, xref="paper", yref="paper", x=0, y=-0.02,
                       xanchor="left", yanchor="top", font={"size": 12, "color": "#555"})
    fig.update_layout(margin={"t": 100, "b": 60}, plot_bgcolor="white")
    return fig


def emotion_curve_chart(curve: pd.DataFrame, lang: str = "de") -> go.Figure:
    fig = go.Figure(go.Scatter(
        x=[safe(p) for p in curve["phase"]], y=curve["score"], mode="lines+markers+text", line={"color": BAR, "width": 3, "shape": "spline"},
        marker={"size": 10}, text=[fmt_number(v, 0, lang) for v in curve["score"]], textposition="top center",
        customdata=curve[["touchpoints"]].to_numpy(),
        hovertemplate="%{x}: %{y:.1f}<br>" + t("touchpoints", lang) + ": %{customdata[0]}<extra></extra>", showlegend=False,
    ))
    base_layout(fig, t("emotion_title", lang), lang, height=280)
    low = float(curve["score"].min()) if len(curve) else 0
    high = float(curve["score"].max()) if len(curve) else 100
    fig.update_yaxes(title_text=t("score_0_100", lang), range=[max(0, low - 10), min(100, high + 10)], gridcolor="#eee")
    fig.update_xaxes(title_text=t("phase", lang))
    return fig


def targets_chart(frame: pd.DataFrame, lang: str = "de") -> go.Figure:
    """Per touchpoint: actual score (bar), target (Soll, black line marker) and best-in-class (◆)."""
    frame = frame.sort_values("gap_x_importance", ascending=True, na_position="first")
    names = unique_short(frame["name"], 34)
    full = np.column_stack([[safe(n) for n in frame["name"]], frame["n"].to_numpy(dtype=object)])
    fig = go.Figure()
    fig.add_bar(x=frame["score"], y=names, orientation="h", name=t("actual", lang), marker_color=BAR,
                customdata=full, hovertemplate="%{customdata[0]}: %{x:.1f} (n = %{customdata[1]})<extra></extra>")
    fig.add_scatter(x=frame["target"], y=names, mode="markers", name=t("target", lang), customdata=full,
                    marker={"symbol": "line-ns", "size": 22, "line": {"width": 3, "color": "#111"}},
                    hovertemplate="%{customdata[0]}: " + t("target", lang) + " %{x:.0f}<extra></extra>")
    fig.add_scatter(x=frame["benchmark"], y=names, mode="markers", name=t("benchmark", lang), customdata=full,
                    marker={"symbol": "diamond", "size": 10, "color": "#d95f02"},
                    hovertemplate="%{customdata[0]}: " + t("benchmark", lang) + " %{x:.0f}<extra></extra>")
    base_layout(fig, t("targets_title", lang), lang, height=max(320, 30 * len(frame) + 150))
    fig.update_xaxes(range=[0, 100], title_text=t("score_0_100", lang), gridcolor="#eee")
    fig.update_yaxes(title_text=t("touchpoint", lang), automargin=True)
    fig.update_layout(legend={"orientation": "h", "y": 1.0, "x": 0, "yanchor": "bottom"}, margin={"t": 90})
    return fig
