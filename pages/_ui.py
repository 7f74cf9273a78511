"""What every page shares: the study and the sidebar filters (in the URL), the page context, the
widgets that keep their state in the URL, and the downloads.

Not a page itself (``app.py`` lists the pages explicitly with ``st.navigation``). Its neighbours, one job
each: ``_db.py`` (the database of a script run), ``_auth.py`` (who is using it; the one door for writes),
``_cache.py`` (the cached aggregates), ``_text.py`` (user text made inert; the page's language),
``_streamlit_private.py`` (every private Streamlit call).
The study and the filters live in ``st.query_params`` so that a copied link opens the same view:
``?study=2&lang=en&ds=1&ds=2&seg.Region=Nord&seg.Region=Süd`` (and ``w=0`` for unweighted figures). Every page shows one study
(default: the most recently imported); ``study`` takes its id or its name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyarrow as pa
import streamlit as st

from pages import _streamlit_private as private
from pages._auth import authenticate, logout_button
from pages._cache import cache_version, cached_nps, cached_outcome_columns, cached_overall, cached_touchpoints
from pages._db import cursor
from pages._text import language, plain
from tpm import access, store, studies
from tpm.i18n import LANGUAGES, t
from tpm.metrics import Filter

# A long-running server must give the memory of a parsed upload back: Arrow's default pool
# (mimalloc) keeps ~100 MB of a 50 MB CSV for good, the system allocator returns it with malloc_trim.
pa.set_memory_pool(pa.system_memory_pool())

SEGMENT_PREFIX = "seg."
#: session key through which a page (Upload) makes the picker switch to a study on the next run
NEXT_STUDY = "study_next"


@dataclass
class Context:
    lang: str
    flt: Filter
    version: str
    has_data: bool
    study: int | None = None  # the study every figure and object of the page belongs to
    study_name: str = ""
    notices: list[str] = field(default_factory=list)  # what a link asked for that no longer exists
    user: access.Actor = field(default=access.LOCAL)


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
        private.leave_pages_directory_mode()
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
    wanted = private.requested_page()  # Streamlit's router: read what was asked for
    if wanted and wanted.strip("/") not in known:
        private.open_default_page()
        st.session_state["path_notices"] = [t("unknown_page", lang, path=plain("/" + wanted.strip("/")))]


def sidebar(con) -> Context:
    """Study picker, language switch and filters in the sidebar, synchronised with the URL."""
    lang = language()
    if st.session_state.get("lang_choice") in ("Deutsch", "English"):  # a click on the switch, before it renders again
        lang = "de" if st.session_state["lang_choice"] == "Deutsch" else "en"
    user = authenticate(lang)  # before anything of the data, even the studies' names
    visible = access.visible_studies(con, user)
    if visible is not None and not visible & set(studies.list_studies(con)["id"].astype(int)):
        st.title(t("app_title", lang))  # limited to studies that are gone (or none yet): nothing to show
        st.info(t("no_study_shared", lang), icon=":material/lock:")
        logout_button(user, lang)
        st.stop()
    with st.sidebar:
        study, study_name = study_picker(con, lang, visible)
        choice = st.radio(t("language", lang), ["Deutsch", "English"], index=LANGUAGES.index(lang), horizontal=True, key="lang_choice")
        lang = "de" if choice == "Deutsch" else "en"
        st.query_params["lang"] = lang
        logout_button(user, lang)
        datasets = store.list_datasets(con, study)
        version = cache_version(con)
        if datasets.empty:
            return Context(lang, Filter(study=study), version, False, study, study_name, user=user)
        st.subheader(t("filters", lang))
        names = studies.dataset_labels(datasets)  # what tells the waves apart first, even when a chip is cut short
        asked = st.query_params.get_all("ds")
        wanted = [int(v) for v in asked if v.isdigit() and int(v) in names]
        gone = [t("gone_dataset", lang, id=plain(v)) for v in asked if not (v.isdigit() and int(v) in names)]
        chosen = st.multiselect(
            t("datasets", lang), list(names), default=wanted, format_func=lambda i: names[i],
            placeholder=t("all_datasets", lang), key="ds_filter", select_all=False,
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
            picked = st.multiselect(plain(segment), values, default=wanted, placeholder=t("segment_filter_help", lang),
                                    key=f"seg_filter_{_key(segment)}", select_all=False)
            st.query_params[SEGMENT_PREFIX + segment] = picked
            if picked:
                segments[segment] = picked
        weighted = weighting_switch(con, chosen, lang)
    notices = [t("gone_filters", lang, items=", ".join(gone))] if gone else []
    return Context(lang, Filter.of(chosen, segments, study, weighted), version, True, study, study_name, notices, user)


def study_picker(con, lang: str, visible: set[int] | None = None) -> tuple[int | None, str]:
    """The study (id, name) of this view: ``?study=`` (id or name), else the most recently imported;
    only studies in ``visible`` (None: every study) are offered or opened from a link. Switching to another study drops the dataset and segment filters of the one before."""
    frame = studies.list_studies(con)
    if visible is not None:  # limited by an admin: other studies are neither offered nor opened from a link
        frame = frame[frame["id"].astype(int).isin(visible)]
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


def choice(label: str, options: list[str], param: str, default: str, format_func=str, container=st):
    """A selectbox whose value lives in the URL under ``param``."""
    wanted = st.query_params.get(param, default)
    index = options.index(wanted) if wanted in options else options.index(default) if default in options else 0
    value = container.selectbox(label, options, index=index, format_func=format_func, key=f"q_{param}")
    st.query_params[param] = value
    return value


#: Streamlit's dropzone text ("200MB per file • XLSX, CSV") is English only: hidden, and said by :func:`file_upload`
_DROPZONE_TEXT = "<style>[data-testid='stFileUploaderDropzoneInstructions'] {display: none;}</style>"


def file_upload(label: str, types: list[str], key: str, lang: str, container=st):
    """``st.file_uploader`` without Streamlit's English "200MB per file" line: the accepted types and
    the limit (``server.maxUploadSize``) in a caption in the user's language instead."""
    st.html(_DROPZONE_TEXT)  # style only: goes to the page's event container, takes no space
    uploaded = container.file_uploader(label, type=types, key=key)
    container.caption(t("upload_limit", lang, types=", ".join("." + kind for kind in types),
                        mb=st.get_option("server.maxUploadSize")))
    return uploaded


def url_multiselect(label: str, options: list[str], param: str, key: str, lang: str, format_func=str, container=st) -> list[str]:
    """A multiselect whose values live in the URL under ``param`` (repeated: ``?owner=A&owner=B``), so a
    copied link shows the same selection; values no longer offered are named in a notice and dropped."""
    asked = st.query_params.get_all(param)
    gone = [v for v in asked if v not in options]
    if gone:
        st.info(t("gone_filters", lang, items=", ".join(f"{plain(label)} = {plain(format_func(v))}" for v in gone)),
                icon=":material/link_off:")
    picked = container.multiselect(label, options, default=[v for v in asked if v in options], format_func=format_func,
                                   key=key, placeholder=t("segment_filter_help", lang), select_all=False)
    st.query_params[param] = picked
    return picked


def metric_choice(lang: str, container=st, default: str = "score") -> tuple[str, str]:
    """The metric to show (in the URL as ``metric``), one of the registry's choices; and its label."""
    from tpm.i18n import t
    from tpm.metrics.registry import CHOICES, METRICS

    label = lambda m: t(METRICS[m].label, lang)  # noqa: E731
    metric = choice(t("metric", lang), list(CHOICES), "metric", default, label, container)
    return metric, label(metric)


def driver_settings(ctx: Context, with_method: bool = True) -> tuple[str, str, str]:
    """Outcome, method and missing-data choice (shared by the Drivers and Priority pages, kept in the URL)."""
    from tpm.i18n import t

    lang = ctx.lang
    touchpoints = cached_touchpoints(ctx.version, repr(ctx.flt), ctx.flt)["touchpoint"].drop_duplicates().tolist()
    columns = st.columns(3 if with_method else 1)
    from tpm.charts.drivers import outcome_label
    from tpm.metrics.drivers import default_outcome

    has_overall = not cached_overall(ctx.version, repr(ctx.flt), ctx.flt).empty
    outcome_columns = cached_outcome_columns(ctx.version, repr(ctx.flt), ctx.flt)
    outcomes = ["nps", *(["overall"] if has_overall else []), *outcome_columns, *sorted(touchpoints)]
    opens_on = default_outcome(has_nps(ctx), has_overall, outcome_columns) or "nps"  # the outcome the study has
    outcome = choice(t("outcome", lang), outcomes, "outcome", opens_on, lambda o: outcome_label(o, lang, long=True), columns[0])
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


# --- downloads: the page's table as CSV/Excel as shown, the chart as PNG -----------------------


def table_with_downloads(table, key: str, file_name: str, styler=None) -> None:
    """A :class:`tpm.report.tables.Table` on screen in the language's number format (or as ``styler``),
    with CSV and Excel downloads of the same columns and decimals."""
    from tpm.formatting import format_table

    show_table(styler if styler is not None else format_table(table.frame, table.lang, table.format_kinds()))
    table_downloads(table, key, file_name)


def table_downloads(table, key: str, file_name: str) -> None:
    from tpm.report.excel import XLSX_MIME, table_xlsx

    lang = table.lang
    left, right, _ = st.columns([1, 1, 3])
    left.download_button(t("download_table_csv", lang), table.to_csv(), file_name=f"{file_name}.csv", mime="text/csv",
                         key=f"{key}_csv", icon=":material/download:", on_click="ignore")
    right.download_button(t("download_excel", lang), table_xlsx(table), file_name=f"{file_name}.xlsx", mime=XLSX_MIME,
                          key=f"{key}_xlsx", icon=":material/download:", on_click="ignore")


def show_chart(fig, key: str, file_name: str, lang: str) -> None:
    """The figure, and a button drawing it as a high-resolution PNG when clicked (not before)."""
    from tpm.report.images import figure_png

    st.plotly_chart(fig, width="stretch", key=key,
                    config={"toImageButtonOptions": {"format": "png", "filename": file_name, "scale": 2}})
    st.download_button(t("download_png", lang), lambda: figure_png(fig), file_name=f"{file_name}.png", mime="image/png",
                       key=f"{key}_png", icon=":material/image:", on_click="ignore")
