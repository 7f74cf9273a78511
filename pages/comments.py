"""Comments: what the customers wrote, with each respondent's NPS group, wave, ratings and segments.

Filtered by the sidebar plus NPS group, touchpoint, rating, theme and search (tpm/comments/query.py); the comment
filters live in the URL (``c.grp``, ``c.tp``, ``c.max``, ``c.theme``, ``c.q``, ``c.sort``, ``c.page``) so a deep
link opens the same view. Texts are masked and shown as plain text. The Themes, Suggestions and Impact tabs
come from pages/_themes.py and pages/_comment_stats.py.
"""

import math

import streamlit as st

from pages._cache import cached_touchpoints
from pages._comment_stats import impact_tab, suggestions_tab
from pages._db import cursor
from pages._text import plain
from pages._themes import set_comment_theme, themes_tab
from pages._ui import choice, page_start
from tpm import access
from tpm.comments.query import SORTS, comment_page, theme_names
from tpm.formatting import fmt_date, fmt_number
from tpm.i18n import t
from tpm.metrics.rules import NPS_GROUPS

PER_PAGE = 50
GROUP_LABELS = {"detractor": "detractors", "passive": "passives", "promoter": "promoters"}

ctx = page_start("page_comments")
lang = ctx.lang


def url_text(label: str, param: str, help_text: str) -> str:
    """A text input whose value lives in the URL under ``param`` (dropped from the URL when empty)."""
    value = st.text_input(label, value=st.query_params.get(param, ""), key=f"q_{param}", help=help_text).strip()
    if value:
        st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]
    return value


def filters(con) -> dict:
    """The comment filters (NPS group, touchpoint, rating, theme, search, sort), each kept in the URL."""
    stats = cached_touchpoints(ctx.version, repr(ctx.flt), ctx.flt)
    scale_max = stats.groupby("touchpoint")["scale_max"].max().to_dict() if len(stats) else {}
    themes = theme_names(con, ctx.study, lang)
    any_label = t("comments_any", lang)
    c1, c2, c3, c4 = st.columns(4)
    group = choice(t("comments_nps_group", lang), ["", *NPS_GROUPS], "c.grp", "",
                   lambda g: t(GROUP_LABELS[g], lang) if g else any_label, c1)
    touchpoint = choice(t("touchpoint", lang), ["", *sorted(scale_max)], "c.tp", "", lambda v: plain(v) if v else any_label, c2)
    rating = ""
    if touchpoint:
        rating = choice(t("comments_rating_max", lang), ["", *(str(v) for v in range(1, int(scale_max[touchpoint]) + 1))],
                        "c.max", "", lambda v: v or any_label, c3)
    elif "c.max" in st.query_params:
        del st.query_params["c.max"]
    theme = ""
    if themes:
        theme = choice(t("comments_theme", lang), ["", *(str(i) for i in themes)], "c.theme", "",
                       lambda v: plain(themes[int(v)]) if v else any_label, c4)
    s1, s2 = st.columns([3, 1])
    with s1:
        search = url_text(t("comments_search", lang), "c.q", t("comments_search_help", lang))
    sort = choice(t("comments_sort", lang), list(SORTS), "c.sort", "relevance" if search else "date",
                  lambda s: t("comments_sort_" + s, lang), s2)
    return {"nps_group": group or None, "touchpoint": touchpoint or None, "rating_max": int(rating) if rating else None,
            "theme": int(theme) if theme else None, "search": search or None, "sort": sort}


def current_page(chosen: dict) -> int:
    """The page number of the URL (1-based), back to 1 whenever a filter changed."""
    signature = repr((repr(ctx.flt), sorted(chosen.items())))
    if st.session_state.get("c_signature") not in (None, signature):
        st.query_params["c.page"] = "1"
        st.session_state.pop("c_page", None)
    st.session_state["c_signature"] = signature
    asked = st.query_params.get("c.page", "1")
    return max(int(asked), 1) if asked.isdigit() else 1


def caption(row, chosen: dict) -> str:
    """The line under a comment: NPS group, wave, date, the ratings of its touchpoint(s), segments, its themes (user
    text inert)."""
    parts = []
    if isinstance(row.nps_group, str):
        parts.append(f"{t(GROUP_LABELS[row.nps_group], lang)} · {t('comments_recommend', lang, nps=fmt_number(row.nps, 0, lang))}")
    parts += [plain(row.wave), fmt_date(row.responded_at, lang), plain(row.question)]
    shown = [row.touchpoint] if row.touchpoint else [chosen["touchpoint"]] if chosen["touchpoint"] else list(row.ratings)
    parts += [f"{plain(tp)} {fmt_number(row.ratings[tp], 0 if float(row.ratings[tp]).is_integer() else 1, lang)}"
              for tp in shown if tp in row.ratings]
    parts += [f"{plain(k)}: {plain(v)}" for k, v in row.segments.items()]
    if row.themes:
        parts.append(t("comments_themes_of", lang, themes=", ".join(plain(name) for name in row.themes)))
    if "respondent_id" in row._fields and row.respondent_id:
        parts.append(t("comments_respondent", lang, id=plain(row.respondent_id)))
    return " · ".join(parts)


def theme_editor(row, themes: dict[int, str], set_theme) -> None:
    """The analyst's themes of one comment: each added or removed theme is an override that survives re-coding."""
    key = f"ct_{row.dataset_id}_{row.resp}_{row.question}"
    with st.popover(t("comments_edit_themes", lang), icon=":material/sell:"):
        picked = st.multiselect(t("comments_edit_themes", lang), list(themes), default=list(row.theme_ids),
                                format_func=lambda i: plain(themes[i]), key=key, select_all=False,
                                placeholder=t("comments_no_theme", lang), label_visibility="collapsed")
    before, after = set(row.theme_ids), set(picked)
    done = [set_theme(ctx, int(row.dataset_id), int(row.resp), row.question, int(i), i in after) for i in sorted(before ^ after)]
    if done and all(done):  # shown again from the data (the write cleared the caches), never from the widget's state
        del st.session_state[key]
        st.rerun()


def comments_tab(con) -> None:
    chosen = filters(con)
    page = current_page(chosen)
    result = comment_page(con, ctx.flt, **chosen, page=page - 1, per_page=PER_PAGE, lang=lang, role=ctx.user.role)
    last = max(math.ceil(result.matched / PER_PAGE), 1)
    if page > last:  # a link to a page the filter no longer has
        page = last
        result = comment_page(con, ctx.flt, **chosen, page=page - 1, per_page=PER_PAGE, lang=lang, role=ctx.user.role)
    st.markdown(t("comments_count", lang, matched=fmt_number(result.matched, 0, lang), total=fmt_number(result.total, 0, lang)))
    if result.hidden_small_base:
        st.info(t("comments_hidden", lang, base=result.base), icon=":material/visibility_off:")
        return
    if result.rows.empty:
        st.info(t("comments_none", lang))
        return
    st.caption(t("comments_masked", lang))
    themes = theme_names(con, ctx.study, lang)
    set_theme = set_comment_theme if themes and access.allowed(ctx.user, "edit") else None
    for row in result.rows.itertuples(index=False):
        with st.container(border=True):
            st.markdown(plain(row.text))
            st.caption(caption(row, chosen))
            if set_theme is not None:
                theme_editor(row, themes, set_theme)
    if last > 1:
        number = st.number_input(t("comments_page_no", lang), min_value=1, max_value=last, value=page, step=1, key="c_page")
        if int(number) != page:
            st.query_params["c.page"] = str(int(number))
            st.rerun()
    st.query_params["c.page"] = str(page)


con = cursor()
# Only the open tab runs (on_change="rerun"): the suggestions of a large study take seconds and must not delay
# the list of comments; the open tab is in the URL (c.tab), so a shared link opens it.
tabs = st.tabs([t(key, lang) for key in ("comments_tab_list", "comments_tab_themes", "comments_tab_suggestions",
                                         "comments_tab_impact")], key="c.tab", bind="query-params", on_change="rerun")
for tab, draw in zip(tabs, (lambda con, ctx: comments_tab(con), themes_tab, suggestions_tab, impact_tab)):
    if tab.open:
        with tab:
            draw(con, ctx)
