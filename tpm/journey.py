"""The journey map as data: one card per inventory touchpoint, placed by phase (columns) and
swimlane (department or channel), with its score, base, target status, importance, and the
moment-of-truth / pain-point marks; plus the emotion curve (mean score per phase).

A card's status compares the 0–100 score with the touchpoint's target (Soll) if it has one,
else with the mean of all cards: ``above`` / ``below`` / ``no_data``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LANES = ("department", "channel")
UNASSIGNED = "—"


def journey_cards(inventory: pd.DataFrame, stats: pd.DataFrame, phase_order: list[str], lane: str = "department",
                  drivers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Cards: name, phase, phase_no, lane, score, n, target, benchmark, status, importance, moment_of_truth, pain_points."""
    if lane not in LANES:
        raise ValueError(f"lane must be one of {LANES}")
    perf = stats.drop_duplicates("touchpoint").set_index("touchpoint")
    cards = inventory.copy()
    cards["score"] = cards["name"].map(perf["score_0_100"])
    cards["n"] = cards["name"].map(perf["n"]).fillna(0).astype(int)
    cards["phase"] = cards["phase"].where(cards["phase"].isin(phase_order), UNASSIGNED)
    order = {p: i for i, p in enumerate(phase_order)}
    cards["phase_no"] = cards["phase"].map(order).fillna(len(phase_order)).astype(int)
    cards["lane"] = cards[lane].fillna(UNASSIGNED).replace("", UNASSIGNED)
    mean = cards["score"].mean()
    reference = cards["target"].where(cards["target"].notna(), mean)
    # against a target the card shows both as whole numbers: "75 (Soll 75)" is on target, whatever the decimals
    shown = cards["score"].where(cards["target"].isna(), cards["score"].round())
    reference = reference.where(cards["target"].isna(), reference.round())
    cards["status"] = np.where(cards["score"].isna(), "no_data", np.where(shown >= reference, "above", "below"))
    cards["against_target"] = cards["target"].notna()
    cards["importance"] = cards["name"].map(drivers.set_index("driver")["share"]) if drivers is not None else np.nan
    columns = ["name", "phase", "phase_no", "lane", "score", "n", "target", "benchmark", "status", "against_target",
               "importance", "moment_of_truth", "pain_points"]
    return cards[columns].sort_values(["phase_no", "lane", "name"], ignore_index=True)


def emotion_curve(cards: pd.DataFrame) -> pd.DataFrame:
    """Mean score per phase (cards with data), in journey order: phase, phase_no, score, touchpoints."""
    known = cards[cards["score"].notna()]
    curve = known.groupby(["phase_no", "phase"], as_index=False).agg(score=("score", "mean"), touchpoints=("name", "count"))
    return curve.sort_values("phase_no", ignore_index=True)
