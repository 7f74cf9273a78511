"""The cached aggregates of the pages: keyed on the database and its data version (:func:`cache_version`)
and the filter, so that they refresh after every write and never mix two databases."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import streamlit as st

from pages._db import cursor
from tpm import store
from tpm.metrics import Filter
from tpm.metrics.nps import nps_for, respondent_count
from tpm.metrics.satisfaction import touchpoint_stats

if TYPE_CHECKING:
    from pages._ui import Context

def cache_version(con) -> str:
    """The cache key of the data: which database file (its path and inode — a restored backup or another
    file at the same path is another database) and its data version (raised by every write). The data
    version alone is a counter that two databases share ("1" after their first import)."""
    path = store.db_path()
    try:
        inode = os.stat(path).st_ino
    except OSError:
        inode = 0
    return f"{path}#{inode}#{store.data_version(con)}"


@st.cache_data(show_spinner=False, max_entries=256)
def cached_touchpoints(version: str, flt_key: str, _flt: Filter):
    return touchpoint_stats(cursor(), _flt)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_overall(version: str, flt_key: str, _flt: Filter):
    from tpm.metrics.satisfaction import overall_stats

    return overall_stats(cursor(), _flt)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_outcome_columns(version: str, flt_key: str, _flt: Filter) -> list[str]:
    """The names of the outcome columns (role *outcome*: churn, repurchase …) in the view's datasets."""
    from tpm.metrics.drivers import outcome_columns

    return sorted(outcome_columns(cursor(), _flt))


@st.cache_data(show_spinner=False, max_entries=256)
def cached_jar(version: str, flt_key: str, _flt: Filter):
    """The just-about-right questions' distributions (too little / just right / too much)."""
    from tpm.metrics.jar import jar_distribution

    return jar_distribution(cursor(), _flt)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_nps(version: str, flt_key: str, _flt: Filter):
    return nps_for(cursor(), _flt)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_respondents(version: str, flt_key: str, _flt: Filter) -> int:
    return respondent_count(cursor(), _flt)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_breakdown(version: str, flt_key: str, segment: str, metric: str, anonymity: int, _flt: Filter):
    """Cells with significance against the rest, and the totals, for the heatmap and segments pages."""
    from tpm.metrics.segments import breakdown_and_totals

    return breakdown_and_totals(cursor(), _flt, segment, metric, anonymity)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_theme_hover(version: str, flt_key: str, lang: str, _flt: Filter) -> dict[str, str]:
    """Touchpoint → "Häufige Themen: …" for the Priority and Heatmap hovers ({} without themes)."""
    from tpm.comments.highlights import theme_hover, top_themes

    return theme_hover(top_themes(cursor(), _flt, lang=lang), lang)


def _drivers(flt: Filter, outcome: str, method: str, missing: str, bootstrap: int = 0, progress=None, *, version: str):
    """Key drivers, or the reason there are none (a message for the page). The touchpoint figures the
    page shows anyway (cached) choose the drivers."""
    from tpm.metrics.drivers import drivers_for

    stats = cached_touchpoints(version, repr(flt), flt)
    try:
        return drivers_for(cursor(), flt, outcome=outcome, method=method, missing=missing, bootstrap=bootstrap, seed=0,
                           progress=progress, stats=stats), None
    except ValueError as exc:
        return None, exc.args[0]  # a Message where the analysis layer gives one


@st.cache_data(show_spinner=False, max_entries=64)
def cached_drivers(version: str, flt_key: str, outcome: str, method: str, missing: str, _flt: Filter):
    """Key drivers without bootstrap intervals (fast), cached on the data version and the filter."""
    return _drivers(_flt, outcome, method, missing, version=version)


#: bootstrap runs (~30 s) report progress to a bar on the page, which ``st.cache_data`` cannot replay
#: on a cache hit; so they are kept here, keyed like :func:`cached_drivers` (a new data version is a new key)
_BOOTSTRAPPED: dict[tuple, tuple] = {}


def bootstrapped_drivers(ctx: Context, outcome: str, method: str, missing: str, resamples: int, progress):
    """Key drivers with bootstrap 95 % intervals; ``progress(share)`` follows a run that is not cached yet."""
    key = (ctx.version, repr(ctx.flt), outcome, method, missing, resamples)
    if key not in _BOOTSTRAPPED:
        while len(_BOOTSTRAPPED) >= 16:
            _BOOTSTRAPPED.pop(next(iter(_BOOTSTRAPPED)))
        _BOOTSTRAPPED[key] = _drivers(ctx.flt, outcome, method, missing, resamples, progress, version=ctx.version)
    return _BOOTSTRAPPED[key]


@st.cache_data(show_spinner=False, max_entries=64)
def cached_nps_by_segment(version: str, flt_key: str, segment: str, _flt: Filter):
    from tpm.metrics.segments import nps_by_segment

    return nps_by_segment(cursor(), _flt, segment)


@st.cache_data(show_spinner=False, max_entries=64)
def cached_trend(version: str, flt_key: str, metric: str, by: str, _flt: Filter):
    """(NPS per wave, touchpoints per wave, touchpoint totals over all waves); the change tests are
    Benjamini–Hochberg adjusted across the NPS and touchpoint steps together (one view)."""
    from tpm.metrics.trend import tracking_and_totals

    return tracking_and_totals(cursor(), _flt, metric, by)
