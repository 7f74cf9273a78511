"""What every page shares: the database, the language, the study and the sidebar filters (in the
URL), caching.

Not a page itself (``app.py`` lists the pages explicitly with ``st.navigation``).
The study and the filters live in ``st.query_params`` so that a copied link opens the same view:
``?study=2&lang=en&ds=1&ds=2&seg.Region=Nord&seg.Region=Süd`` (and ``w=0`` for unweighted figures). Every page shows one study
(default: the most recently imported); ``study`` takes its id or its name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import streamlit as st

from tpm import store, studies
from tpm.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from tpm.metrics import Filter
from tpm.metrics.nps import nps_for, respondent_count
from tpm.metrics.satisfaction import touchpoint_stats
from tpm.seed import seed_if_empty

SEGMENT_PREFIX = "seg."
#: session key through which a page (Upload) makes the picker switch to a study on the next run
NEXT_STUDY = "study_next"


@st.cache_resource(show_spinner=False)
def database(path: str):
    """The one DuckDB connection of this server process, seeded with the samples on first start."""
    con = store.connect(path)
    seed_if_empty(con)
    return con


def cursor():
    """A cursor of the shared connection for this script run (connections are not thread-safe)."""
    return database(str(store.db_path())).cursor()


@dataclass
class Context:
    lang: str
    flt: Filter
    version: str
    has_data: bool
    study: int | None = None  # the study every figure and object of the page belongs to
    study_name: str = ""
    notices: list[str] = field(default_factory=list)  # what a link asked for that no longer exists


def page_context() -> Context:
    """The context ``app.py`` computed in this very script run (taken, so a stale one is never reused).

    Streamlit runs a file of ``pages/`` directly, without ``app.py``, while its legacy
    "pages directory" mode is on: in a fresh server process until ``st.navigation`` has
    run once (e.g. when the first visitor opens a shared deep link such as ``/heatmap``).
    Then this switches that mode off: on a first page load it reruns at once, so ``app.py``
    does the routing; within a session (a click must not be lost) it builds the sidebar
    itself for this one run.
    """
    ctx = st.session_state.pop("ctx", None)
    if ctx is None:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        if "lang_choice" not in st.session_state:  # a fresh session: nothing to lose
            st.rerun()
        ctx = sidebar(cursor())
    return ctx


def page_start(title_key: str) -> Context:
    """Context, title, and — without any data yet — a pointer to the Upload page (then stop)."""
    from tpm.i18n import t

    ctx = page_context()
    st.title(t(title_key, ctx.lang))
    show_notices(ctx)
    if not ctx.has_data:
        st.info(t("no_data", ctx.lang))
        st.stop()
    return ctx


def show_notices(ctx: Context) -> None:
    for notice in ctx.notices + st.session_state.pop("path_notices", []):
        st.info(notice, icon=":material/link_off:")


def land_unknown_paths(known: set[str], lang: str) -> None:
    """An unknown address (``/start``, an old bookmark) opens the default page with a notice
    instead of Streamlit's "Page not found" dialog: the request is turned into one for the default page."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    manager = getattr(get_script_run_ctx(), "pages_manager", None)  # Streamlit's router: read what was asked for
    wanted = getattr(manager, "intended_page_name", None)
    if wanted and wanted.strip("/") not in known and hasattr(manager, "set_script_intent"):
        manager.set_script_intent("", "")
        st.session_state["path_notices"] = [t("unknown_page", lang, path=plain("/" + wanted.strip("/")))]


def language() -> str:
    lang = st.query_params.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def sidebar(con) -> Context:
    """Study picker, language switch and filters in the sidebar, synchronised with the URL."""
    lang = language()
    if st.session_state.get("lang_choice") in ("Deutsch", "English"):  # a click on the switch, before it renders again
        lang = "de" if st.session_state["lang_choice"] == "Deutsch" else "en"
    with st.sidebar:
        study, study_name = study_picker(con, lang)
        choice = st.radio(t("language", lang), ["Deutsch", "English"], index=LANGUAGES.index(lang), horizontal=True, key="lang_choice")
        lang = "de" if choice == "Deutsch" else "en"
        st.query_params["lang"] = lang

        datasets = store.list_datasets(con, study)
        version = store.data_version(con)
        if datasets.empty:
            return Context(lang, Filter(study=study), version, False, study, study_name)
        st.subheader(t("filters", lang))
        names = dict(zip(datasets["id"].astype(int), datasets["name"]))
        asked = st.query_params.get_all("ds")
        wanted = [int(v) for v in asked if v.isdigit() and int(v) in names]
        gone = [t("gone_dataset", lang, id=plain(v)) for v in asked if not (v.isdigit() and int(v) in names)]
        chosen = st.multiselect(
            t("datasets", lang), list(names), default=wanted, format_func=lambda i: names[i],
            placeholder=t("all_datasets", lang), key="ds_filter",
        )
        st.query_params["ds"] = [str(i) for i in chosen]

        segments = {}
        available = store.segment_values(con, chosen, study)
        for param in list(st.query_params.keys()):
            if param.startswith(SEGMENT_PREFIX) and param[len(SEGMENT_PREFIX):] not in available:
                gone += [f"{plain(param[len(SEGMENT_PREFIX):])} = {plain(v)}" for v in st.query_params.get_all(param)]
                del st.query_params[param]
        for segment, values in available.items():
            asked = st.query_params.get_all(SEGMENT_PREFIX + segment)
            wanted = [v for v in asked if v in values]
            gone += [f"{plain(segment)} = {plain(v)}" for v in asked if v not in values]
            picked = st.multiselect(segment, values, default=wanted, placeholder=t("segment_filter_help", lang),
                                    key=f"seg_filter_{_key(segment)}")
            st.query_params[SEGMENT_PREFIX + segment] = picked
            if picked:
                segments[segment] = picked
        weighted = weighting_switch(con, chosen, lang)
    notices = [t("gone_filters", lang, items=", ".join(gone))] if gone else []
    return Context(lang, Filter.of(chosen, segments, study, weighted), version, True, study, study_name, notices)


def study_picker(con, lang: str) -> tuple[int | None, str]:
    """The study (id, name) of this view: ``?study=`` (id or name), else the most recently imported.
    Switching to another study drops the dataset and segment filters of the one before."""
    frame = studies.list_studies(con)
    if frame.empty:
        return None, ""
    names = dict(zip(frame["id"].astype(int), frame["name"]))
    asked = st.query_params.get("study")
    wanted = linked = studies.find(con, asked) if asked else None
    if NEXT_STUDY in st.session_state:  # e.g. the study of an import just made
        wanted = st.session_state.pop(NEXT_STUDY)
        st.session_state.pop("study_pick", None)  # the widget starts again from ``wanted``
    if st.session_state.get("study_pick") not in names:
        st.session_state.pop("study_pick", None)
    default = wanted if wanted in names else next(iter(names))
    chosen = st.selectbox(t("study", lang), list(names), index=list(names).index(default), format_func=names.get,
                          key="study_pick", help=t("study_help", lang))
    if asked and linked != chosen:  # another study than the URL's: its filters do not apply
        for param in [p for p in st.query_params if p == "ds" or p.startswith(SEGMENT_PREFIX)]:
            del st.query_params[param]
    st.query_params["study"] = str(chosen)
    return chosen, names[chosen]


def weighting_switch(con, chosen: list[int], lang: str) -> bool:
    """"gewichtet / ungewichtet" (in the URL as ``w``; default weighted), shown when the data has weights."""
    weighted_ids = store.weighted_datasets(con)
    if not weighted_ids or (chosen and not weighted_ids & set(chosen)):
        return st.query_params.get("w", "1") != "0"
    options = ["1", "0"]
    value = st.radio(t("weighting", lang), options, index=0 if st.query_params.get("w", "1") != "0" else 1, horizontal=True,
                     format_func=lambda v: t("weighted" if v == "1" else "unweighted", lang), help=t("weighting_help", lang),
                     key="weight_switch")
    st.query_params["w"] = value
    return value == "1"


def _key(text: str) -> str:
    return re.sub(r"\W", "_", text)


def show_table(styler) -> None:
    """A table formatted by :func:`tpm.formatting.format_table`; an empty cell stays empty (not "None")."""
    st.dataframe(styler, hide_index=True, width="stretch", placeholder="")


def plain(text: str) -> str:
    """User text made inert for Streamlit markdown (st.error/st.info/st.caption render markdown)."""
    return re.sub(r"([\\`*_{}\[\]#|<>~$])", r"\\\1", str(text))


# --- cached aggregates: keyed on the data version and the filter, so they refresh after an import


@st.cache_data(show_spinner=False, max_entries=256)
def cached_touchpoints(version: str, flt_key: str, _flt: Filter):
    return touchpoint_stats(cursor(), _flt)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_overall(version: str, flt_key: str, _flt: Filter):
    from tpm.metrics.satisfaction import overall_stats

    return overall_stats(cursor(), _flt)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_nps(version: str, flt_key: str, _flt: Filter):
    return nps_for(cursor(), _flt)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_respondents(version: str, flt_key: str, _flt: Filter) -> int:
    return respondent_count(cursor(), _flt)


@st.cache_data(show_spinner=False, max_entries=256)
def cached_breakdown(version: str, flt_key: str, segment: str, metric: str, anonymity: int, _flt: Filter):
    """Cells with significance against the rest, and the totals, for the heatmap and segments pages."""
    from tpm.metrics.segments import segment_breakdown, total_values

    con = cursor()
    return segment_breakdown(con, _flt, segment, metric, anonymity), total_values(con, _flt, metric)


def has_nps(ctx: Context) -> bool:
    """Whether any respondent in the filter answered the recommend (NPS) question."""
    return cached_nps(ctx.version, repr(ctx.flt), ctx.flt).n > 0


def segment_names(ctx: Context) -> list[str]:
    return list(store.segment_values(cursor(), list(ctx.flt.datasets), ctx.study))


def segment_choice(ctx: Context, container=st) -> str:
    """The segment to break down by (in the URL as ``by``); stops the page if the data has none."""
    from tpm.i18n import t

    segments = segment_names(ctx)
    if not segments:
        st.info(t("no_segments", ctx.lang))
        st.stop()
    return choice(t("segment", ctx.lang), segments, "by", "Region" if "Region" in segments else segments[0], container=container)


def _drivers(flt: Filter, outcome: str, method: str, missing: str, bootstrap: int = 0, progress=None):
    """Key drivers, or the reason there are none (a message for the page)."""
    from tpm.metrics.drivers import drivers_for

    try:
        return drivers_for(cursor(), flt, outcome=outcome, method=method, missing=missing, bootstrap=bootstrap, seed=0,
                           progress=progress), None
    except ValueError as exc:
        return None, exc.args[0]  # a Message where the analysis layer gives one


@st.cache_data(show_spinner=False, max_entries=64)
def cached_drivers(version: str, flt_key: str, outcome: str, method: str, missing: str, _flt: Filter):
    """Key drivers without bootstrap intervals (fast), cached on the data version and the filter."""
    return _drivers(_flt, outcome, method, missing)


#: bootstrap runs (~30 s) report progress to a bar on the page, which ``st.cache_data`` cannot replay
#: on a cache hit; so they are kept here, keyed like :func:`cached_drivers` (a new data version is a new key)
_BOOTSTRAPPED: dict[tuple, tuple] = {}


def bootstrapped_drivers(ctx: Context, outcome: str, method: str, missing: str, resamples: int, progress):
    """Key drivers with bootstrap 95 % intervals; ``progress(share)`` follows a run that is not cached yet."""
    key = (ctx.version, repr(ctx.flt), outcome, method, missing, resamples)
    if key not in _BOOTSTRAPPED:
        while len(_BOOTSTRAPPED) >= 16:
            _BOOTSTRAPPED.pop(next(iter(_BOOTSTRAPPED)))
        _BOOTSTRAPPED[key] = _drivers(ctx.flt, outcome, method, missing, resamples, progress)
    return _BOOTSTRAPPED[key]


def choice(label: str, options: list[str], param: str, default: str, format_func=str, container=st):
    """A selectbox whose value lives in the URL under ``param``."""
    wanted = st.query_params.get(param, default)
    index = options.index(wanted) if wanted in options else options.index(default) if default in options else 0
    value = container.selectbox(label, options, index=index, format_func=format_func, key=f"q_{param}")
    st.query_params[param] = value
    return value


def driver_settings(ctx: Context, with_method: bool = True) -> tuple[str, str, str]:
    """Outcome, method and missing-data choice (shared by the Drivers and Priority pages, kept in the URL)."""
    from tpm.i18n import t

    lang = ctx.lang
    touchpoints = cached_touchpoints(ctx.version, repr(ctx.flt), ctx.flt)["touchpoint"].drop_duplicates().tolist()
    columns = st.columns(3 if with_method else 1)
    has_overall = not cached_overall(ctx.version, repr(ctx.flt), ctx.flt).empty
    outcomes = ["nps", *(["overall"] if has_overall else []), *sorted(touchpoints)]
    outcome = choice(t("outcome", lang), outcomes, "outcome", "nps",
                     lambda o: t("outcome_" + o, lang) if o in ("nps", "overall") else o, columns[0])
    if outcome == "nps" and not has_nps(ctx):  # say what is missing and what to do
        st.warning(t("no_nps_outcome", lang), icon=":material/info:")
        st.stop()
    if not with_method:
        return outcome, st.query_params.get("method", "shapley"), st.query_params.get("missing", "pairwise")
    method = choice(t("method", lang), ["shapley", "relative_weights"], "method", "shapley",
                    lambda m: t("method_" + m, lang), columns[1])
    missing = choice(t("missing_data", lang), ["pairwise", "listwise"], "missing", "pairwise",
                     lambda m: t("missing_" + m, lang), columns[2])
    return outcome, method, missing


@st.cache_data(show_spinner=False, max_entries=64)
def cached_nps_by_segment(version: str, flt_key: str, segment: str, _flt: Filter):
    from tpm.metrics.segments import nps_by_segment

    return nps_by_segment(cursor(), _flt, segment)


@st.cache_data(show_spinner=False, max_entries=64)
def cached_trend(version: str, flt_key: str, metric: str, by: str, _flt: Filter):
    """(NPS per wave, touchpoints per wave, touchpoint totals over all waves); the change tests are
    Benjamini–Hochberg adjusted across the NPS and touchpoint steps together (one view)."""
    from tpm.metrics.segments import total_values
    from tpm.metrics.trend import tracking_view

    con = cursor()
    return (*tracking_view(con, _flt, metric, by), total_values(con, _flt, metric))


# --- downloads: the page's table as CSV/Excel as shown, the chart as PNG -----------------------


def table_with_downloads(table, key: str, file_name: str, styler=None) -> None:
    """A :class:`tpm.report.tables.Table` on screen in the language's number format (or as ``styler``),
    with CSV and Excel downloads of the same columns and decimals."""
    from tpm.formatting import format_table

    show_table(styler if styler is not None else format_table(table.frame, table.lang, table.format_kinds()))
    table_downloads(table, key, file_name)


def table_downloads(table, key: str, file_name: str) -> None:
    from tpm.report.excel import XLSX_MIME

    lang = table.lang
    left, right, _ = st.columns([1, 1, 3])
    left.download_button(t("download_table_csv", lang), table.to_csv(), file_name=f"{file_name}.csv", mime="text/csv",
                         key=f"{key}_csv", icon=":material/download:", on_click="ignore")
    right.download_button(t("download_excel", lang), table.to_excel(), file_name=f"{file_name}.xlsx", mime=XLSX_MIME,
                          key=f"{key}_xlsx", icon=":material/download:", on_click="ignore")


def show_chart(fig, key: str, file_name: str, lang: str) -> None:
    """The figure, and a button drawing it as a high-resolution PNG when clicked (not before)."""
    from tpm.report.images import figure_png

    st.plotly_chart(fig, width="stretch", key=key,
                    config={"toImageButtonOptions": {"format": "png", "filename": file_name, "scale": 2}})
    st.download_button(t("download_png", lang), lambda: figure_png(fig), file_name=f"{file_name}.png", mime="image/png",
                       key=f"{key}_png", icon=":material/image:", on_click="ignore")
