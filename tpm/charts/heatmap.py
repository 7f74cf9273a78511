"""Touchpoint × segment heatmap with significance markers.

Input: the cells of :func:`tpm.metrics.segments.segment_breakdown` and the totals of
:func:`tpm.metrics.segments.total_values`. Two colour modes: the *absolute* value (NPS on a
fixed −100 red … +100 green scale, other metrics over their range) or the *difference to the
rest* (diverging, centred at 0). ▲/▼ mark cells significantly above/below the rest
(Benjamini–Hochberg q < 0.05); cells below the metric's minimum base (:mod:`tpm.metrics.rules`)
are grey and untested; cells under the anonymity threshold show no value at all. Label, decimals
and colour range are the metric's (:mod:`tpm.metrics.registry`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from tpm.charts.common import GREY, base_layout, safe, text_colour, theme_lines, unique_short
from tpm.formatting import scale_labelled
from tpm.i18n import fmt_number, t
from tpm.metrics.registry import metric as metric_named

MODES = ("absolute", "diff")
SORTS = ("total", "gap")
COLOURS = [[0.0, "#e2604f"], [0.25, "#f4a582"], [0.5, "#fbe7a1"], [0.75, "#a6d96a"], [1.0, "#52b365"]]  # light enough for black labels
DIVERGING = [[0.0, "#d6604d"], [0.5, "#f7f7f7"], [1.0, "#4d9a5f"]]
MARK = {"higher": " ▲", "lower": " ▼"}


def cell_colours(z: np.ndarray, grey: np.ndarray, colours, zmin: float, zmax: float) -> np.ndarray:
    """The fill colour of each cell as drawn (colour scale at its value, or grey); "" where no cell."""
    out = np.full(z.shape, "", dtype=object)
    span = (zmax - zmin) or 1.0
    for (i, j), value in np.ndenumerate(z):
        if grey[i, j]:
            out[i, j] = GREY
        elif np.isfinite(value):
            out[i, j] = sample_colorscale(colours, [min(max((value - zmin) / span, 0.0), 1.0)])[0]
    return out


def heatmap_table(cells: pd.DataFrame, totals: pd.DataFrame, total_label: str, sort: str = "total",
                  columns: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Matrices (touchpoints × segment values + total): value, diff, n, n_eff, dont_know, flag — rows sorted;
    ``columns`` fixes the column order (e.g. waves in time order), else alphabetical. A touchpoint on
    several scales has a row per scale, named with it (:func:`tpm.formatting.scale_labelled`)."""
    cells, totals = scale_labelled(cells, totals)

    def pivot(column):
        return cells.pivot_table(index="touchpoint", columns="segment", values=column, aggfunc="first", dropna=False)

    value, diff, n = pivot("value"), pivot("diff"), pivot("n")
    n_eff = pivot("n_eff") if "n_eff" in cells else n.astype(float)
    dont_know = pivot("dont_know") if "dont_know" in cells else n * 0
    flag = cells.pivot(index="touchpoint", columns="segment", values="flag") if len(cells) else pd.DataFrame()
    if columns is not None:
        value, diff, n, n_eff, dont_know = (frame.reindex(columns=columns) for frame in (value, diff, n, n_eff, dont_know))
    total = totals.drop_duplicates("touchpoint").set_index("touchpoint")
    value[total_label], n[total_label], diff[total_label] = total["value"], total["n"], 0.0
    n_eff[total_label] = total["n_eff"] if "n_eff" in total else total["n"]
    dont_know[total_label] = dont_know.sum(axis=1, min_count=1)
    flag = flag.reindex(index=value.index, columns=value.columns).astype(object).fillna("")
    flag[total_label] = ""
    if sort == "gap":  # the largest tested gap first
        tested = diff.where(flag.isin(["higher", "lower", "ns"])).drop(columns=total_label)
        order = tested.abs().max(axis=1).fillna(-1).sort_values(ascending=False).index
    else:
        order = value[total_label].sort_values(ascending=False).index
    out = {"value": value, "diff": diff, "n": n.fillna(0).astype(int), "n_eff": n_eff.astype(float),
           "dont_know": dont_know.fillna(0).astype(int), "flag": flag}
    for key, frame in out.items():
        frame = frame.loc[order]
        frame.columns.name = None
        out[key] = frame
    return out


def segment_heatmap(cells: pd.DataFrame, totals: pd.DataFrame, metric: str, segment: str, lang: str = "de",
                    mode: str = "absolute", sort: str = "total", swap: bool = False, columns: list[str] | None = None,
                    title: str | None = None, diff_label: str | None = None, legend: str | None = None,
                    themes: dict[str, str] | None = None) -> go.Figure:
    """``themes``: touchpoint → its frequent themes (:func:`tpm.comments.highlights.theme_hover`), the last line of
    each of its cells' hover; without themes the figure is the same as before there were any."""
    spec = metric_named(metric)
    decimals, zrange = spec.decimals, (spec.value_range if spec.fixed_colours else None)
    metric_label = t(spec.label, lang)
    m = heatmap_table(cells, totals, t("total", lang), sort, columns)
    diff_label = diff_label or t("diff_to_rest", lang)
    shown = m["value"] if mode == "absolute" else m["diff"]
    z = shown.to_numpy(dtype=float)
    n = m["n"].to_numpy()
    flags = m["flag"].to_numpy()
    low = (n < spec.min_base) | (flags == "untested")
    hidden = flags == "hidden"
    if mode == "diff":  # the total column shows its value, in a neutral colour
        z[:, -1] = 0.0
    shown_text = z.copy()
    shown_text[:, -1] = m["value"].to_numpy(dtype=float)[:, -1]
    text = np.array([[("·" if hid else "" if np.isnan(v) else fmt_number(v, decimals, lang, signed=mode == "diff" and j < len(row) - 1)
                       + MARK.get(f, "")) for j, (v, f, hid) in enumerate(zip(row, frow, hrow))]
                     for row, frow, hrow in zip(shown_text, flags, hidden)], dtype=object)
    rows, cols = unique_short(shown.index, 30), unique_short(shown.columns, 16)
    full_rows, full_cols = np.array([safe(r) for r in shown.index], dtype=object), np.array([safe(c) for c in shown.columns], dtype=object)
    lines = theme_lines(shown.index, themes)  # the frequent themes of each row's touchpoint (None: no themes)
    custom = np.dstack([n.astype(object), m["value"].to_numpy(dtype=float).astype(object), m["diff"].to_numpy(dtype=float).astype(object),
                        np.repeat(full_rows[:, None], len(cols), axis=1), np.repeat(full_cols[None, :], len(rows), axis=0),
                        m["n_eff"].to_numpy(dtype=float).astype(object), m["dont_know"].to_numpy().astype(object)]
                       + ([np.repeat(np.array(lines, dtype=object)[:, None], len(cols), axis=1)] if lines else []))
    weighted = bool(cells["weighted"].any()) if "weighted" in cells and len(cells) else False
    if mode == "diff":
        limit = float(np.nanmax(np.abs(np.where(low | hidden, np.nan, z)))) if np.isfinite(z).any() else 1.0
        limit = limit if limit > 0 else 1.0
        colours, zmin, zmax, bar_title = DIVERGING, -limit, limit, diff_label
    else:
        colours, bar_title = COLOURS, metric_label
        if zrange is None:
            finite = z[np.isfinite(z) & ~low]
            zrange = (float(np.floor(finite.min())), float(np.ceil(finite.max()))) if len(finite) else (0.0, 1.0)
        zmin, zmax = zrange
    grey = (low | hidden) & ~np.isnan(z) | hidden
    fill = cell_colours(z, grey, colours, zmin, zmax)
    if swap:
        z, text, low, hidden, grey, fill, custom = z.T, text.T, low.T, hidden.T, grey.T, fill.T, custom.transpose(1, 0, 2)
        rows, cols = cols, rows
    decimals_hover = str(decimals)
    hover = ("<b>%{customdata[3]}</b> · %{customdata[4]}<br>" + metric_label + ": %{customdata[1]:." + decimals_hover
             + "f}<br>" + diff_label + ": %{customdata[2]:+." + decimals_hover + "f}<br>n = %{customdata[0]}"
             + (" · n_eff = %{customdata[5]:.0f} (" + t("weighted", lang) + ")" if weighted else "")
             + "<br>" + t("dont_know", lang) + ": %{customdata[6]}" + ("%{customdata[7]}" if lines else "") + "<extra></extra>")
    fig = go.Figure()
    fig.add_heatmap(z=np.where(low | hidden, np.nan, z), x=cols, y=rows, customdata=custom,
                    colorscale=colours, zmin=zmin, zmax=zmax, hovertemplate=hover, xgap=2, ygap=2, hoverongaps=False,
                    colorbar={"title": {"text": bar_title, "side": "right"}})
    fig.add_heatmap(z=np.where(grey, 1.0, np.nan), x=cols, y=rows, customdata=custom, colorscale=[[0, GREY], [1, GREY]], showscale=False,
                    hoverongaps=False, xgap=2, ygap=2,
                    hovertemplate=hover.replace("<extra></extra>", " (" + t("low_base", lang) + ")<extra></extra>"))
    # the values as text, each in black or white by its cell's luminance (WCAG contrast ≥ 4.5:1)
    cells_with_text = [(i, j) for i in range(len(rows)) for j in range(len(cols)) if text[i, j] and fill[i, j]]
    fig.add_scatter(x=[cols[j] for _, j in cells_with_text], y=[rows[i] for i, _ in cells_with_text], mode="text",
                    text=[text[i, j] for i, j in cells_with_text], hoverinfo="skip", showlegend=False, name="values",
                    textfont={"color": [text_colour(fill[i, j]) for i, j in cells_with_text], "size": 13})
    title = title or t("heatmap_title", lang, metric=metric_label + (" – " + diff_label if mode == "diff" else ""), segment=segment)
    base_layout(fig, title, lang, height=max(380, 30 * len(rows) + 14 * sum("<br>" in r for r in rows) + 180))
    # waves and segment values are categories (never dates or numbers), every one labelled
    fig.update_xaxes(title_text=safe(segment if not swap else t("touchpoint", lang)), side="bottom", type="category",
                     tickmode="array", tickvals=cols, ticktext=cols, showgrid=False, zeroline=False)
    fig.update_yaxes(title_text=t("touchpoint", lang) if not swap else safe(segment), autorange="reversed", automargin=True,
                     type="category", tickmode="array", tickvals=rows, ticktext=rows, showgrid=False, zeroline=False)
    fig.add_annotation(text=(legend or t("heatmap_legend", lang)).replace(" · ", "<br>"), showarrow=False, xref="paper", yref="paper",
                       x=0, y=1.0, xanchor="left", yanchor="bottom", align="left", font={"color": "#555", "size": 12})
    fig.update_layout(margin={"t": 130})
    return fig
