"""Journey map: phases left to right, swimlanes by department or channel, cards coloured against target."""

import streamlit as st

from pages._cache import cached_drivers, cached_touchpoints
from pages._db import cursor
from pages._ui import choice, page_start, show_chart
from tpm import inventory
from tpm.charts.common import standalone_html
from tpm.charts.journey import emotion_curve_chart, journey_map
from tpm.i18n import t
from tpm.journey import LANES, emotion_curve, journey_cards

ctx = page_start("page_journey")
lang = ctx.lang
lane = choice(t("lanes_by", lang), list(LANES), "lanes", "department", lambda x: t("lane_" + x, lang))
con = cursor()
stats = cached_touchpoints(ctx.version, repr(ctx.flt), ctx.flt)
drivers, _ = cached_drivers(ctx.version, repr(ctx.flt), "nps", "shapley", "pairwise", ctx.flt)
order = inventory.phases(con, ctx.study)
cards = journey_cards(inventory.load(con, ctx.study), stats, order, lane, drivers.table if drivers else None)
if lane == "channel":  # the stored channel values, in the reader's language
    cards["lane"] = [t("channel_" + v, lang) if v in inventory.CHANNELS else v for v in cards["lane"]]
curve = emotion_curve(cards)
if len(curve):
    show_chart(emotion_curve_chart(curve, lang), "emotion", "emotionskurve" if lang == "de" else "emotion-curve", lang)
figure = journey_map(cards, order, t("lane_" + lane, lang), lang)
show_chart(figure, "journey", "kundenreise" if lang == "de" else "journey-map", lang)
st.download_button(t("download_html", lang), lambda: standalone_html(figure),  # made on click: 4.6 MB, not every run
                   file_name="kundenreise.html", mime="text/html", key="journey_html")
