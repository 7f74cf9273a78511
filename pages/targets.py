"""Target vs actual (Soll–Ist) per touchpoint, and the largest gaps that matter most."""

import streamlit as st

from pages._cache import cached_drivers, cached_touchpoints
from pages._db import cursor
from pages._ui import page_start, show_chart, table_with_downloads
from tpm import inventory
from tpm.charts.journey import targets_chart
from tpm.i18n import t
from tpm.journey import journey_cards, target_gaps
from tpm.report.tables import targets_table

ctx = page_start("page_targets")
lang = ctx.lang
con = cursor()
stats = cached_touchpoints(ctx.version, repr(ctx.flt), ctx.flt)
drivers, _ = cached_drivers(ctx.version, repr(ctx.flt), "nps", "shapley", "pairwise", ctx.flt)
cards = journey_cards(inventory.load(con, ctx.study), stats, inventory.phases(con, ctx.study), "department", drivers.table if drivers else None)
cards = target_gaps(cards)
if cards.empty:
    st.info(t("no_targets", lang))
    st.stop()
show_chart(targets_chart(cards, lang), "targets", "soll-ist" if lang == "de" else "targets", lang)
st.subheader(t("largest_gaps", lang))
table_with_downloads(targets_table(cards, lang), "targets_table", "soll-ist" if lang == "de" else "targets")
