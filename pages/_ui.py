"""What every page shares: the database, the language, the study and the sidebar filters (in the
URL), caching.

Not a page itself (``app.py`` lists the pages explicitly with ``st.navigation``).
The study and the filters live in ``st.query_params`` so that a copied link opens the same view:
``?study=2&lang=en&ds=1&ds=2&seg.Region=Nord&seg.Region=Süd`` (and ``w=0`` for unweighted figures). Every page shows one study
(default: the most recently imported); ``study`` takes its id or its name.
"""

from __future__ import annotations

import os
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import pyarrow as pa
import streamlit as st

from pages import _streamlit_private as private
from tpm import access, gate, logins, store, studies
from tpm.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from tpm.metrics import Filter
from tpm.metrics.nps import nps_for, respondent_count
from tpm.metrics.satisfaction import touchpoint_stats
from tpm.seed import seed_if_empty

# A long-running server must give the memory of a parsed upload back: Arrow's default pool
# (mimalloc) keeps ~100 MB of a 50 MB CSV for good, the system allocator returns it with malloc_trim.
pa.set_memory_pool(pa.system_memory_pool())

SEGMENT_PREFIX = "seg."
#: session key through which a page (Upload) makes the picker switch to a study on the next run
NEXT_STUDY = "study_next"


# --- the database: one connection per script run, so that a CLI import can take the file between runs
#
# DuckDB lets one process at a time open a file for writing. A connection kept for the server's
# lifetime would lock the analysts' `python -m tpm ingest` out for good; here each script run opens
# the file (the connections of concurrent runs share one database instance: ~18 ms for the first,
# nothing for the others) and closes it at its end, and a waiting CLI writer goes first.

_run = threading.local()
_orphans: list[tuple[threading.Thread, object]] = []  # connections of runs that did not start in app.py
_orphans_lock = threading.Lock()
BUSY_WAIT = 60.0  # seconds a visitor waits for an import to finish before a message instead of the page


_ready: set[str] = set()
_ready_lock = threading.Lock()


def database(path: str, on_wait=None) -> str:
    """Create, migrate and (on first start) seed the database file, once per server process."""
    if path not in _ready:
        with _ready_lock:
            if path not in _ready:
                con = store.open_retrying(path, wait=BUSY_WAIT, on_wait=on_wait)
                try:
                    if os.environ.get("TPM_SEED", "1") != "0":  # a hosted installation starts empty (Dockerfile)
                        seed_if_empty(con)
                finally:
                    con.close()
                _ready.add(path)
    return path


def _open(path: str):
    """This run's connection; while an import holds the file, "busy, retrying" instead of an error."""
    note = st.empty()

    def busy(_seconds):
        note.info(t("db_busy", language()), icon=":material/hourglass_top:")

    try:
        database(path, busy)
        con = store.open_retrying(path, wait=BUSY_WAIT, migrate_schema=False, yield_to_writer=True, on_wait=busy)
    except store.Busy:
        note.error(t("db_busy_gave_up", language()), icon=":material/block:")
        st.stop()
    note.empty()
    return con


def _close_orphans() -> None:
    with _orphans_lock:
        for thread, con in list(_orphans):
            if not thread.is_alive():
                con.close()
                _orphans.remove((thread, con))


@contextmanager
def run_database():
    """The database for this script run (app.py wraps the whole run in it): closed when the run ends."""
    _close_orphans()
    con = _open(str(store.db_path()))
    _run.con = con
    try:
        yield con
    finally:
        _run.con = None
        con.close()


def cursor():
    """The database connection of this script run."""
    con = getattr(_run, "con", None)
    if con is None:  # a page run without app.py (see page_context): closed once its thread has ended
        _close_orphans()
        con = _run.con = _open(str(store.db_path()))
        with _orphans_lock:
            _orphans.append((threading.current_thread(), con))
    return con


# --- who is using it


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets.toml: a local installation
        return {}


def authenticate(lang: str) -> access.Actor:
    """The logged-in user (stops the script with a login form or button until there is one)."""
    mode = access.auth_mode(secrets=_secrets())
    if mode == "off":
        if access.open_without_login(st.get_option("server.address")):
            st.error(t("open_refused", lang), icon=":material/lock_open:")
            st.stop()
        return access.LOCAL
    if mode == "oidc":
        return _oidc_user(lang)
    if not gate.SERVING:  # `streamlit run app.py`: nothing serves the login page
        st.error(t("gate_missing", lang), icon=":material/block:")
        st.stop()
    token, user = gate.user_of_cookie(cursor(), _login_cookie())  # on every run: never from session_state
    if user is None:  # logged out (here or in another tab) or expired while the page stayed open
        st.title(t("app_title", lang))
        st.info(t("logged_out", lang), icon=":material/logout:")
        st.link_button(t("login", lang), gate.LOGIN_PATH + f"?lang={lang}", type="primary")
        st.stop()
    session = private.session_id()
    if session is not None:  # uploads to this Streamlit session are accepted from this login only (tpm/gate.py)
        gate.bind(session, token)
    st.session_state["login_token"] = token
    return user


def _login_cookie() -> str | None:
    """The login cookie of this browser (tpm/gate.py sets it on /_tpm/login; the websocket brought it)."""
    return st.context.cookies.get(gate.COOKIE)


def _oidc_user(lang: str) -> access.Actor:
    if not st.user.is_logged_in:
        st.title(t("app_title", lang))
        st.button(t("login_oidc", lang), on_click=st.login, type="primary", key="login_oidc")
        st.stop()
    email = st.user.get("email")
    role = access.role_for_email(email, (_secrets().get("tpm") or {}).get("roles") or {})
    if role is None:
        st.error(t("no_role", lang, email=plain(email or "?")), icon=":material/block:")
        st.button(t("logout", lang), on_click=st.logout, key="logout_norole")
        st.stop()
    return access.Actor(email, role, "oidc")


def logout_button(user: access.Actor, lang: str) -> None:
    """Who is logged in, and the way out (in the sidebar)."""
    if user.via == "off":
        st.caption(t("local_mode", lang))
        return
    st.caption(t("logged_in_as", lang, name=plain(user.name), role=t("role_name_" + user.role, lang)))
    if st.button(t("logout", lang), key="logout"):
        if user.via == "oidc":
            st.logout()
        token = st.session_state.pop("login_token", None)
        logins.end(cursor(), token)  # this login ends in every tab and browser; the next run shows "logged out"
        gate.forget(token)
        st.rerun()


def require_role(ctx: Context, what: str) -> None:
    """Stop a page the user's role does not allow (the navigation hides it, too)."""
    if not access.allowed(ctx.user, what):
        st.error(t("not_allowed", ctx.lang), icon=":material/block:")
        st.stop()


def perform(ctx: Context, action: str, *args, **kwargs):
    """A write through the one door (role check + audit); its data changes refresh every cache."""
    try:
        result = access.perform(cursor(), ctx.user, action, *args, **kwargs)
    except access.OutOfScope:
        st.error(t("not_in_scope", ctx.lang), icon=":material/lock:")
        st.stop()
    except access.Denied:
        st.error(t("not_allowed", ctx.lang), icon=":material/block:")
        st.stop()
    except Exception as exc:
        if not store.disk_full(exc):
            raise
        st.error(t("disk_full", ctx.lang, path=plain(str(store.db_path()))), icon=":material/hard_drive:")
        st.stop()
    st.cache_data.clear()
    return result


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


def language() -> str:
    lang = st.query_params.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


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


_MARKDOWN = re.compile(r"([\\`*_{}\[\]#|<>~$:@&])")  # "!", "(", ")" need a "[" to matter; "-", "+" a line start
_AUTOLINK = re.compile(r"(?i)(://|\bwww(?=\\?\.)|@)")
_BREAK = "\u2060"  # WORD JOINER: invisible, keeps the word together, but no autolink pattern matches across it


def plain(text: str) -> str:
    """User text made inert for Streamlit markdown (labels, captions, st.error/st.info, help).

    Every character with a meaning in (GitHub/Streamlit) markdown is backslash-escaped: no link,
    image, emphasis, ``:color[…]``/``:material/…:`` directive, LaTeX or HTML. GitHub's autolinks
    (``https://…``, ``www.…``, ``name@host``) are found in the text *after* escapes are resolved, so an
    invisible word joiner goes after ``:``, ``www`` and ``@``. Line breaks become spaces (a label is one line).
    """
    text = _AUTOLINK.sub(lambda m: ":" + _BREAK + "//" if m.group(1) == "://" else m.group(1) + _BREAK,
                         " ".join(str(text).splitlines()))
    return _MARKDOWN.sub(r"\\\1", text)


# --- cached aggregates: keyed on the data version and the filter, so they refresh after an import


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
