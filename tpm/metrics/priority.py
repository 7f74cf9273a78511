"""Importance–performance analysis (priority matrix; Martilla & James 1977, J. Marketing 41(1)).

Each touchpoint is a point: x = performance (0–100 score), y = importance (key-driver share,
% of explained variance). Crosshairs split the plane into four quadrants:

=====================  ===================  ========================================
importance             performance          quadrant
=====================  ===================  ========================================
high (≥ y crosshair)   low (< x crosshair)  ``concentrate`` – Hier ansetzen
high                   high                 ``keep_up`` – Stärken halten
low                    low                  ``low_priority`` – Geringe Priorität
low                    high                 ``overkill`` – Möglicher Overkill
=====================  ===================  ========================================

Crosshairs: the means of the plotted touchpoints (default), the scale midpoint (50 on the
0–100 score), or the targets: each touchpoint's performance is then "high" when it reaches its
own target (Soll, from the inventory; touchpoints without one use the mean of the targets),
and the drawn line is the mean target. Importance is always split at its mean. A point within
:data:`NEAR_LINE` of the axis span of its crosshair is flagged ``near_line``: its quadrant could
flip with the next wave.
"""

from __future__ import annotations

import pandas as pd

QUADRANTS = ("concentrate", "keep_up", "low_priority", "overkill")
CROSSHAIRS = ("mean", "midpoint", "target")
#: share of each axis' span within which a point counts as sitting on a crosshair
NEAR_LINE = 0.05


def priority_matrix(stats: pd.DataFrame, drivers: pd.DataFrame, crosshair: str = "mean",
                    targets: pd.Series | None = None) -> tuple[pd.DataFrame, float, float]:
    """Touchpoints in both inputs, with quadrant and near-line flag; plus the crosshairs (x, y).

    ``stats``: :func:`tpm.metrics.satisfaction.touchpoint_stats` (touchpoint, n, mean,
    ci_low, ci_high, score_0_100, …); ``drivers``: a key-driver table (driver, share, …).
    """
    if crosshair not in CROSSHAIRS:
        raise ValueError(f"crosshair must be one of {CROSSHAIRS}")
    perf = stats.drop_duplicates("touchpoint").set_index("touchpoint")
    imp = drivers.set_index("driver")
    names = [n for n in imp.index if n in perf.index]
    frame = pd.DataFrame({
        "touchpoint": names,
        "performance": perf.loc[names, "score_0_100"].to_numpy(),
        "importance": imp.loc[names, "share"].to_numpy(),
        "n": perf.loc[names, "n"].to_numpy(),
        "mean": perf.loc[names, "mean"].to_numpy(),
        "ci_low": perf.loc[names, "ci_low"].to_numpy(),
        "ci_high": perf.loc[names, "ci_high"].to_numpy(),
        "scale_min": perf.loc[names, "scale_min"].to_numpy(),
        "scale_max": perf.loc[names, "scale_max"].to_numpy(),
    })
    y = float(frame["importance"].mean())
    if crosshair == "target":
        own = frame["touchpoint"].map(targets if targets is not None else pd.Series(dtype=float)).astype(float)
        if own.isna().all():
            raise ValueError("no touchpoint has a target; set targets in the inventory")
        x = float(own.mean())
        reference = own.fillna(x)
    else:
        x = 50.0 if crosshair == "midpoint" else float(frame["performance"].mean())
        reference = pd.Series(x, index=frame.index)
    frame["reference"] = reference.to_numpy()
    high_importance = frame["importance"] >= y
    high_performance = frame["performance"] >= frame["reference"]
    frame["quadrant"] = [
        ("keep_up" if hp else "concentrate") if hi else ("overkill" if hp else "low_priority")
        for hi, hp in zip(high_importance, high_performance)
    ]
    x_span = max(frame["performance"].max() - frame["performance"].min(), 1e-9)
    y_span = max(frame["importance"].max() - frame["importance"].min(), 1e-9)
    frame["near_line"] = ((frame["performance"] - frame["reference"]).abs() <= NEAR_LINE * x_span) | (
        (frame["importance"] - y).abs() <= NEAR_LINE * y_span)
    order = {q: i for i, q in enumerate(QUADRANTS)}
    frame = frame.sort_values(["quadrant", "importance"], key=lambda s: s.map(order) if s.name == "quadrant" else -s,
                              ignore_index=True)
    return frame, x, y
