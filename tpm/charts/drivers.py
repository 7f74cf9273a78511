"""Key-driver bars and the importance–performance (priority) matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tpm.charts.common import BAR, base_layout, safe, short, theme_lines, unique_short
from tpm.charts.common import DETRACTOR as NEGATIVE
from tpm.i18n import fmt_number, t

QUADRANT_COLOURS = {"concentrate": "#fde0dc", "keep_up": "#e3f1e0", "low_priority": "#f2f2f2", "overkill": "#e6eef7"}
QUADRANT_TEXT = {"concentrate": "#b2182b", "keep_up": "#1b7837", "low_priority": "#666666", "overkill": "#2166ac"}


def outcome_label(outcome: str, lang: str = "de", long: bool = False) -> str:
    """How an outcome is named: "Weiterempfehlung" / "Gesamtzufriedenheit" (``long``: with the question's
    scale, "Weiterempfehlung (NPS-Frage 0–10)"), an outcome column or touchpoint by its own name."""
    if outcome not in ("nps", "overall"):
        return outcome
    text = t("outcome_" + outcome, lang)
    return text if long else text.split(" (")[0]


def driver_bars(table: pd.DataFrame, outcome_label: str, lang: str = "de") -> go.Figure:
    """Horizontal bars of the shares (largest on top), with bootstrap whiskers if present.

    The share of R² has no sign; the driver's direction (``sign``, its coefficient in the full model)
    is drawn as the bar's direction and colour: a negative driver (rating it higher goes with a lower
    outcome) points left in red, with its label signed and a legend saying what that means."""
    frame = table.sort_values("share")
    names = unique_short(frame["driver"], 34)
    direction = np.where(frame["sign"].to_numpy() < 0, -1.0, 1.0)
    x = direction * frame["share"].to_numpy(float)
    error, ends = None, x
    if "ci_low" in frame:
        above, below = frame["ci_high"] - frame["share"], frame["share"] - frame["ci_low"]
        error = {"type": "data", "symmetric": False, "array": np.where(direction < 0, below, above),
                 "arrayminus": np.where(direction < 0, above, below), "color": "#333", "thickness": 1.2, "width": 3}
        ends = direction * np.fmax(frame["share"], frame["ci_high"]).to_numpy(float)
    fig = go.Figure(go.Bar(
        x=x, y=names, orientation="h", marker_color=np.where(direction < 0, NEGATIVE, BAR).tolist(), error_x=error,
        customdata=np.column_stack([frame[["raw", "n", "sign"]].to_numpy(dtype=object), [safe(d) for d in frame["driver"]],
                                    frame["share"].to_numpy(float)]),
        hovertemplate="<b>%{customdata[3]}</b><br>" + t("share_of_r2", lang) + ": %{customdata[4]:.1f} %<br>"
                      + t("sign", lang) + ": %{customdata[2]:+d}<br>"
                      + t("raw_r2", lang) + ": %{customdata[0]:.3f}<br>n = %{customdata[1]}<extra></extra>",
        showlegend=False,
    ))
    # the value labels sit beyond the bar and its whisker (right of a positive, left of a negative one), never under it
    fig.add_scatter(x=ends, y=names, mode="text", cliponaxis=False, hoverinfo="skip", showlegend=False, name="labels",
                    text=[f"  {fmt_number(d * v, 1, lang)} %  " for v, d in zip(frame["share"], direction)],
                    textposition=[("middle left" if d < 0 else "middle right") for d in direction]
                    if (direction < 0).any() else "middle right")
    base_layout(fig, t("drivers_title", lang, outcome=outcome_label), lang, height=max(320, 30 * len(frame) + 140))
    reach = max(5.0, float(np.nanmax(np.abs(ends))) * 1.22)
    negative = bool((direction < 0).any())
    ticks = _nice_ticks(0, reach)
    ticks = sorted({-v for v in ticks} | set(ticks)) if negative else ticks
    fig.update_xaxes(title_text=t("share_of_r2", lang) + " (%)", gridcolor="#eee", range=[-reach if negative else 0, reach],
                     zeroline=True, zerolinecolor="#999", tickmode="array", tickvals=ticks,
                     ticktext=[f"{fmt_number(abs(v), 0, lang)} %" for v in ticks])  # a share has no sign: the side shows it
    fig.update_yaxes(title_text=t("touchpoint", lang), automargin=True, title_standoff=14)
    if negative:  # what the red, left-pointing bars mean, in words, under the axis
        fig.add_annotation(text=f"<span style='color:{BAR}'>■</span> {t('driver_positive', lang)}<br>"
                                f"<span style='color:{NEGATIVE}'>■</span> {t('driver_negative', lang, outcome=safe(outcome_label))}",
                           showarrow=False, xref="paper", yref="paper", x=0, y=0, yshift=-72, xanchor="left", yanchor="top",
                           align="left", font={"color": "#555", "size": 12}, name="sign_legend")
        fig.update_layout(margin={"b": 130}, height=fig.layout.height + 70)
    return fig


def _label_offsets(xs, ys, labels, xr, yr, width=900, height=560) -> list[tuple[int, int]]:
    """Pixel offsets for point labels so that they do not overlap each other or the points (greedy)."""
    px = (np.asarray(xs) - xr[0]) / (xr[1] - xr[0]) * width
    py = (1 - (np.asarray(ys) - yr[0]) / (yr[1] - yr[0])) * height
    placed: list[tuple[float, float, float, float]] = []
    points = [(x - 6, y - 6, x + 6, y + 6) for x, y in zip(px, py)]
    candidates = [(0, -16), (0, 16), (1, 0), (-1, 0), (0, -32), (0, 32), (1, -24), (-1, -24), (1, 24), (-1, 24),
                  (0, -48), (0, 48)]
    offsets = []
    for i in np.argsort(-py):  # bottom first
        w, h = 7.2 * len(labels[i]) + 6, 16
        best = None
        for dx_sign, dy in candidates:
            dx = dx_sign * (w / 2 + 10)
            cx, cy = px[i] + dx, py[i] + dy
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            clash = any(not (box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3]) for b in placed + points
                        if b != points[i])
            if not clash:
                best = (dx, dy, box)
                break
        if best is None:
            dx, dy = 0, -16
            best = (dx, dy, (px[i] - w / 2, py[i] - 24, px[i] + w / 2, py[i] - 8))
        placed.append(best[2])
        offsets.append((int(i), int(best[0]), int(best[1])))
    out = [(0, 0)] * len(labels)
    for i, dx, dy in offsets:
        out[i] = (dx, dy)
    return out


#: share of the importance axis kept free above and below the points for the quadrant names
LABEL_BAND = 0.1


def _nice_ticks(low: float, high: float, count: int = 7) -> list[float]:
    """Round tick values from 0 (importance is never negative) up to ``high``."""
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100) if (high - max(low, 0)) / s <= count)
    return [float(v) for v in np.arange(0, high + 1e-9, step) if v >= low]


def priority_chart(matrix: pd.DataFrame, x_line: float, y_line: float, outcome_label: str, lang: str = "de",
                   crosshair: str = "mean", themes: dict[str, str] | None = None) -> go.Figure:
    """Bubble chart: x = performance (score 0–100), y = importance (% of R²); shaded, named quadrants.

    ``themes``: touchpoint → its frequent themes (:func:`tpm.comments.highlights.theme_hover`), a last hover line;
    without themes the figure is the same as before there were any.

    With targets as crosshair each touchpoint is judged against its own target, so x is the
    distance to it (score − target) and the line is at 0: a point's drawn side is its quadrant.
    The quadrant names sit in bands above and below all points, where no bubble can cover them."""
    ys = matrix["importance"]
    if crosshair == "target":
        xs, x_line = matrix["performance"] - matrix["reference"], 0.0
    else:
        xs = matrix["performance"]
    pad_x = max(3.0, (xs.max() - xs.min()) * 0.12)
    pad_y = max(1.0, (ys.max() - ys.min()) * 0.08)
    xr = (min(xs.min(), x_line) - pad_x, max(xs.max(), x_line) + pad_x)
    data_low, data_high = min(ys.min(), y_line) - pad_y, max(ys.max(), y_line) + pad_y
    band = LABEL_BAND * (data_high - data_low) / (1 - 2 * LABEL_BAND)
    yr = (data_low - band, data_high + band)
    fig = go.Figure()
    for quadrant, (x0, x1, y0, y1) in {
        "concentrate": (xr[0], x_line, y_line, yr[1]), "keep_up": (x_line, xr[1], y_line, yr[1]),
        "low_priority": (xr[0], x_line, yr[0], y_line), "overkill": (x_line, xr[1], yr[0], y_line),
    }.items():
        fig.add_shape(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, fillcolor=QUADRANT_COLOURS[quadrant], line_width=0, layer="below")
        top = y1 == yr[1]
        fig.add_annotation(x=x0 if quadrant in ("concentrate", "low_priority") else x1, y=yr[1] if top else yr[0],
                           xanchor="left" if quadrant in ("concentrate", "low_priority") else "right",
                           yanchor="top" if top else "bottom", showarrow=False, name="quadrant",
                           text=f"<b>{t('q_' + quadrant, lang)}</b>", font={"color": QUADRANT_TEXT[quadrant], "size": 14})
    fig.add_vline(x=x_line, line={"color": "#888", "dash": "dash", "width": 1})
    fig.add_hline(y=y_line, line={"color": "#888", "dash": "dash", "width": 1})
    sizes = np.sqrt(matrix["n"].to_numpy(dtype=float))
    sizes = 12 + 26 * (sizes - sizes.min()) / max(sizes.max() - sizes.min(), 1e-9)
    colours = [QUADRANT_TEXT[q] for q in matrix["quadrant"]]
    lines = theme_lines(matrix["touchpoint"], themes)
    labels = [short(name, 24, 1) + (" ≈" if near else "") for name, near in zip(matrix["touchpoint"], matrix["near_line"])]
    fig.add_scatter(
        x=xs, y=ys, mode="markers", showlegend=False,
        marker={"size": sizes, "color": colours, "opacity": 0.8, "line": {"color": "white", "width": 1.5},
                "symbol": ["circle-open-dot" if near else "circle" for near in matrix["near_line"]]},
        customdata=np.column_stack([matrix["n"], matrix["mean"], matrix["ci_low"], matrix["ci_high"],
                                    matrix["scale_min"], matrix["scale_max"], [t("q_" + q, lang) for q in matrix["quadrant"]],
                                    matrix["performance"], matrix["reference"]] + ([lines] if lines else [])),
        text=[safe(n) for n in matrix["touchpoint"]],
        hovertemplate=("<b>%{text}</b> – %{customdata[6]}<br>" + t("score_0_100", lang) + ": %{customdata[7]:.1f}"
                       + (" (" + t("target", lang) + " %{customdata[8]:.0f})" if crosshair == "target" else "") + "<br>"
                       + t("importance", lang) + ": %{y:.1f} %<br>" + t("mean", lang)
                       + ": %{customdata[1]:.2f} (" + t("ci95", lang) + " %{customdata[2]:.2f}–%{customdata[3]:.2f}, "
                       + t("scale", lang) + " %{customdata[4]}–%{customdata[5]})<br>n = %{customdata[0]}"
                       + ("%{customdata[9]}" if lines else "") + "<extra></extra>"),
    )
    for (dx, dy), x, y, label in zip(_label_offsets(xs, ys, labels, xr, yr), xs, ys, labels):
        fig.add_annotation(x=x, y=y, text=label, ax=dx, ay=dy, showarrow=True, arrowhead=0,
                           arrowwidth=0.8, arrowcolor="#999", standoff=4, font={"size": 12, "color": "#222"},
                           bgcolor="rgba(255,255,255,0.7)")
    base_layout(fig, t("priority_title", lang), lang, height=640)
    fig.update_xaxes(range=xr, title_text=t("performance_gap_axis" if crosshair == "target" else "performance_axis", lang),
                     showgrid=False, zeroline=False)
    fig.update_yaxes(range=yr, title_text=t("importance_axis", lang, outcome=safe(outcome_label)), ticksuffix=" %", showgrid=False,
                     zeroline=False, tickmode="array", tickvals=_nice_ticks(*yr))
    legend = t("priority_legend", lang, lines=t("lines_" + crosshair, lang))
    fig.add_annotation(text=legend.replace(" · ", "<br>", 1), showarrow=False, xref="paper", yref="paper", x=0, y=-0.12,
                       xanchor="left", yanchor="top", align="left", font={"size": 12, "color": "#555"})
    fig.update_layout(margin={"b": 110})
    return fig
