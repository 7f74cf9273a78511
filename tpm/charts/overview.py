"""Overview figures: the NPS mix and the touchpoint ranking with confidence intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tpm.charts.common import BAR, DETRACTOR, GREY, PASSIVE, PROMOTER, base_layout, safe, unique_short
from tpm.formatting import scale_labelled
from tpm.i18n import fmt_number, t
from tpm.metrics.nps import NPS


def nps_mix(nps: NPS, lang: str = "de") -> go.Figure:
    """One horizontal 100 % bar: detractors | passives | promoters, with shares and counts."""
    fig = go.Figure()
    parts = [
        ("detractors", nps.detractors, nps.detractor_share, DETRACTOR),
        ("passives", nps.passives, nps.passive_share, PASSIVE),
        ("promoters", nps.promoters, nps.promoter_share, PROMOTER),
    ]
    for key, count, share, colour in parts:
        label = t(key, lang)
        fig.add_bar(
            x=[share], y=[t("nps", lang)], orientation="h", name=label, marker_color=colour,
            text=[f"{fmt_number(share, 0, lang)} %"], textposition="inside", insidetextanchor="middle",
            customdata=[[count, nps.n]],
            hovertemplate=f"{label}: %{{x:.1f}} %<br>%{{customdata[0]}} / n = %{{customdata[1]}}<extra></extra>",
        )
    title = f"{t('nps_mix_title', lang)} (n = {fmt_number(nps.n, 0, lang)})"
    base_layout(fig, title, lang, height=200)
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": 1.0, "x": 0, "yanchor": "bottom", "traceorder": "normal"},
                      margin={"t": 90, "b": 60})
    fig.update_xaxes(range=[0, 100], title_text=t("share_pct", lang), ticksuffix=" %")
    fig.update_yaxes(showticklabels=False)
    return fig


def touchpoint_ranking(stats: pd.DataFrame, lang: str = "de") -> go.Figure:
    """Touchpoints ranked by 0–100 score, best on top, 95 % CI whiskers, low bases in grey."""
    frame = stats.sort_values("score_0_100", ascending=True)
    names = [str(name) for name in scale_labelled(frame)[0]["touchpoint"]]
    # long names (a whole survey question) are wrapped and shortened on the axis; the hover has them in full
    labels = [f"{label} (n={fmt_number(n, 0, lang)})" + (" ⚠" if low else "")
              for label, n, low in zip(unique_short(names, 34), frame["n"], frame["low_base"])]
    colours = [GREY if low else BAR for low in frame["low_base"]]
    fig = go.Figure(
        go.Bar(
            x=frame["score_0_100"], y=labels, orientation="h", marker_color=colours,
            error_x={"type": "data", "symmetric": False,
                     "array": frame["score_ci_high"] - frame["score_0_100"],
                     "arrayminus": frame["score_0_100"] - frame["score_ci_low"],
                     "color": "#333", "thickness": 1.2, "width": 3},
            text=[fmt_number(v, 0, lang) for v in frame["score_0_100"]], textposition="inside", insidetextanchor="start",
            textfont={"color": "white"},
            customdata=np.column_stack([frame[["n", "mean", "scale_min", "scale_max", "ci_low", "ci_high", "top2_box"]].to_numpy(dtype=object),
                                        [safe(name) for name in names]]),
            hovertemplate=(
                "<b>%{customdata[7]}</b><br>" + t("score_0_100", lang) + ": %{x:.1f}<br>"
                + t("mean", lang) + ": %{customdata[1]:.2f} (" + t("scale", lang) + " %{customdata[2]}–%{customdata[3]})<br>"
                + t("ci95", lang) + ": %{customdata[4]:.2f} – %{customdata[5]:.2f}<br>"
                + t("top2_box", lang) + ": %{customdata[6]:.1f}<br>n = %{customdata[0]}<extra></extra>"
            ),
            showlegend=False,
        )
    )
    base_layout(fig, t("ranking_title", lang), lang, height=max(320, 28 * len(frame) + 14 * sum('<br>' in label for label in labels) + 120))
    fig.update_xaxes(range=[0, 100], title_text=t("ranking_x", lang), gridcolor="#eee")
    fig.update_yaxes(title_text=t("touchpoint", lang), automargin=True)
    return fig
