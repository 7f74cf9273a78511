"""Touchpoint × segment heatmap: one cell per touchpoint and segment value, plus a total column.

Cells with fewer than :data:`tpm.metrics.satisfaction.MIN_BASE` answers are drawn grey
(their value is still in the hover, marked as a low base). NPS uses a diverging scale
−100 (red) … +100 (green); the other metrics a red–yellow–green scale over their range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tpm.charts.common import GREY, base_layout, safe
from tpm.i18n import fmt_number, t
from tpm.metrics.satisfaction import MIN_BASE

#: metric key → (label key, decimals, colour range or None for the data's range)
METRICS: dict[str, tuple[str, int, tuple[float, float] | None]] = {
    "mean": ("mean", 2, None),
    "score_0_100": ("score_0_100", 0, None),
    "top2_box": ("top2_box", 0, None),
    "nps": ("nps_raters", 0, (-100, 100)),
}
COLOURS = [[0.0, "#e2604f"], [0.25, "#f4a582"], [0.5, "#fbe7a1"], [0.75, "#a6d96a"], [1.0, "#52b365"]]  # light enough for black labels


def heatmap_matrix(breakdown: pd.DataFrame, totals: pd.DataFrame, metric: str, total_label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values, bases): touchpoints as rows (best total first), segment values + total as columns."""
    values = breakdown.pivot_table(index="touchpoint", columns="segment_value", values=metric, aggfunc="first")
    bases = breakdown.pivot_table(index="touchpoint", columns="segment_value", values="n", aggfunc="first")
    total = totals.drop_duplicates("touchpoint").set_index("touchpoint")
    values[total_label] = total[metric]
    bases[total_label] = total["n"]
    order = values[total_label].sort_values(ascending=False).index
    values, bases = values.loc[order], bases.loc[order].fillna(0).astype(int)
    values.columns.name = bases.columns.name = None
    return values, bases


def segment_heatmap(breakdown: pd.DataFrame, totals: pd.DataFrame, metric: str, segment: str, lang: str = "de") -> go.Figure:
    label_key, decimals, zrange = METRICS[metric]
    metric_label = t(label_key, lang)
    values, bases = heatmap_matrix(breakdown, totals, metric, t("total", lang))
    low = bases.to_numpy() < MIN_BASE
    z = values.to_numpy(dtype=float)
    x = [safe(c) for c in values.columns]
    y = [safe(r) for r in values.index]
    text = [
        [("" if np.isnan(v) else fmt_number(v, decimals, lang)) for v in row] for row in z
    ]
    custom = np.dstack([bases.to_numpy(), np.where(low, 1, 0)])
    if zrange is None:
        finite = z[np.isfinite(z) & ~low] if (np.isfinite(z) & ~low).any() else np.array([0.0, 1.0])
        zrange = (float(np.floor(finite.min())), float(np.ceil(finite.max())))
    hover = (
        "<b>%{y}</b> · %{x}<br>" + metric_label + ": %{z:." + str(decimals if metric != "mean" else 2) + "f}"
        "<br>n = %{customdata[0]}<extra></extra>"
    )
    fig = go.Figure()
    fig.add_heatmap(
        z=np.where(low, np.nan, z), x=x, y=y, text=text, texttemplate="%{text}", customdata=custom,
        colorscale=COLOURS, zmin=zrange[0], zmax=zrange[1], hovertemplate=hover, xgap=2, ygap=2,
        colorbar={"title": {"text": metric_label, "side": "right"}}, hoverongaps=False,
    )
    fig.add_heatmap(
        z=np.where(low & np.isfinite(z), 1.0, np.nan), x=x, y=y, text=text, texttemplate="%{text}",
        customdata=custom, colorscale=[[0, GREY], [1, GREY]], showscale=False, hoverongaps=False,
        hovertemplate=hover.replace("<extra></extra>", " (" + t("low_base", lang) + ")<extra></extra>"),
        xgap=2, ygap=2, name=t("grey_cells", lang),
    )
    title = t("heatmap_title", lang, metric=metric_label, segment=segment)
    base_layout(fig, title, lang, height=max(380, 30 * len(y) + 160))
    fig.update_xaxes(title_text=safe(segment), side="bottom")
    fig.update_yaxes(title_text=t("touchpoint", lang), autorange="reversed", automargin=True)
    fig.add_annotation(
        text="▇ " + t("grey_cells", lang), showarrow=False, xref="paper", yref="paper", x=1, y=1.02,
        xanchor="right", yanchor="bottom", font={"color": "#777", "size": 12},
    )
    return fig
