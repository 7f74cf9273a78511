"""Target vs actual (Soll–Ist) per touchpoint, and the largest gaps that matter most."""

import numpy as np
import streamlit as st

from pages._ui import cached_drivers, cached_touchpoints, cursor, page_start, show_table
from tpm import inventory
from tpm.charts.journey import targets_chart
from tpm.formatting import format_table
from tpm.i18n import t
from tpm.journey import journey_cards

ctx = page_start("page_targets")
lang = ctx.lang
con = cursor()
stats = cached_touchpoints(ctx.version, repr(ctx.flt), ctx.flt)
drivers, _ = cached_drivers(ctx.version, repr(ctx.flt), "nps", "shapley", "pairwise", ctx.flt)
cards = journey_cards(inventory.load(con, ctx.study), stats, inventory.phases(con, ctx.study), "department", drivers.table if drivers else None)
cards = cards[cards["target"].notna() & cards["score"].notna()].copy()
if cards.empty:
    st.info(t("no_targets", lang))
    st.stop()
cards["gap"] = cards["target"] - cards["score"]
cards["gap_x_importance"] = np.maximum(cards["gap"], 0) * cards["importance"].fillna(0) / 100
st.plotly_chart(targets_chart(cards, lang), width="stretch", key="targets")
st.subheader(t("largest_gaps", lang))
rows = cards.sort_values("gap_x_importance", ascending=False)[
    ["name", "score", "target", "benchmark", "gap", "importance", "gap_x_importance", "n"]]
labels = {"name": t("touchpoint", lang), "score": t("actual", lang), "target": t("target", lang), "benchmark": t("benchmark", lang),
          "gap": t("gap", lang), "importance": t("importance", lang) + " (%)", "gap_x_importance": t("gap_x_importance", lang)}
show_table(format_table(rows, lang, {c: "score" for c in ("score", "target", "benchmark", "gap", "importance", "gap_x_importance")},
                          labels))
