"""The Themes tab of the Comments page: the study's code frame with its counts; analysts add, edit, remove and
re-code themes (viewers read). :func:`set_comment_theme` is the Comments page's one call for a per-comment
override. Every write goes through ``perform`` (role, study limit, audit); the rules live in
:mod:`tpm.comments.themes`."""

from __future__ import annotations

import streamlit as st

from pages._auth import perform
from pages._text import plain
from tpm import access
from tpm.comments.themes import Theme, theme_table, themes
from tpm.i18n import t
from tpm.text.rules import ThemeError


def _split(text: str, sep: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(sep) if part.strip())


def set_comment_theme(ctx, dataset_id: int, resp: int, question: str, theme_id: int, present: bool | None) -> bool:
    """The analyst's decision on one comment (True: has the theme, False: has not, None: the rules decide);
    survives re-coding. Shows the reason and returns False when refused."""
    try:
        perform(ctx, "theme.override", int(dataset_id), int(resp), str(question), int(theme_id), present, ctx.user.name,
                target=f"{dataset_id}/{resp}", details={"question": question, "theme_id": int(theme_id), "present": present})
    except ThemeError as exc:
        st.error(plain(exc.text(ctx.lang)), icon=":material/block:")
        return False
    return True


def _fields(key: str, lang: str, theme: Theme | None = None) -> Theme:
    """The inputs of one theme (empty, or filled with ``theme``) as the Theme they describe."""
    c1, c2, c3 = st.columns(3)
    name = c1.text_input(t("theme_name", lang), value=theme.name if theme else "", key=f"{key}_name")
    label_de = c2.text_input(t("theme_label_de", lang), value=(theme.label_de or "") if theme else "", key=f"{key}_de")
    label_en = c3.text_input(t("theme_label_en", lang), value=(theme.label_en or "") if theme else "", key=f"{key}_en")
    words = st.text_input(t("theme_words", lang), value=", ".join(theme.words) if theme else "", key=f"{key}_words",
                          help=t("theme_words_help", lang))
    phrases = st.text_input(t("theme_phrases", lang), value="; ".join(theme.phrases) if theme else "", key=f"{key}_phrases",
                            help=t("theme_phrases_help", lang))
    return Theme(name, words=_split(words, ","), phrases=_split(phrases, ";"), label_de=label_de, label_en=label_en)


def _write(ctx, action: str, *args, name: str, done: str) -> None:
    try:
        perform(ctx, action, ctx.study, *args, target=name, details={"study_id": ctx.study})
    except ThemeError as exc:
        st.error(plain(exc.text(ctx.lang)), icon=":material/block:")
        return
    st.session_state["themes_flash"] = [done]
    st.rerun()


def themes_tab(con, ctx) -> None:
    """List the study's themes with how many comments carry each; analysts edit them."""
    lang = ctx.lang
    st.caption(t("themes_intro", lang))
    for message in st.session_state.pop("themes_flash", []):
        st.success(message, icon=":material/check_circle:")
    table = theme_table(con, ctx.study)
    if table.empty:
        st.info(t("themes_none", lang), icon=":material/label:")
    else:
        shown = table.assign(label=[(de if lang == "de" else en) or name
                                    for name, de, en in zip(table["name"], table["label_de"], table["label_en"])])
        st.dataframe(shown[["name", "label", "words", "phrases", "comments", "manual"]], hide_index=True, width="stretch",
                     column_config={"name": t("theme_name", lang), "label": t("theme_label", lang),
                                    "words": t("theme_words", lang), "phrases": t("theme_phrases", lang),
                                    "comments": t("theme_comments", lang), "manual": t("theme_manual", lang)})
    if not access.allowed(ctx.user, "edit"):
        st.caption(t("themes_read_only", lang))
        return
    with st.expander(t("theme_add", lang), icon=":material/add:", expanded=table.empty):
        theme = _fields("theme_new", lang)
        if st.button(t("theme_add", lang), key="theme_add_button", type="primary"):
            _write(ctx, "theme.add", theme, name=theme.name, done=t("theme_added", lang, name=plain(" ".join(theme.name.split()))))
    if table.empty:
        return
    with st.expander(t("theme_edit", lang), icon=":material/edit:"):
        known = {th.name: th for th in themes(con, ctx.study)}
        picked = st.selectbox(t("theme_pick", lang), list(known), key="theme_pick")
        theme = _fields(f"theme_edit_{known[picked].id}", lang, known[picked])
        c1, c2 = st.columns(2)
        if c1.button(t("theme_save", lang), key="theme_save_button", type="primary"):
            _write(ctx, "theme.update", picked, theme, name=picked, done=t("theme_saved", lang, name=plain(picked)))
        sure = c2.checkbox(t("theme_remove_confirm", lang, name=plain(picked)), key="theme_remove_sure")
        if c2.button(t("theme_remove", lang), key="theme_remove_button", disabled=not sure):
            _write(ctx, "theme.remove", picked, name=picked, done=t("theme_removed", lang, name=plain(picked)))
    if st.button(t("theme_recode", lang), key="theme_recode_button", help=t("theme_recode_help", lang)):
        _write(ctx, "theme.recode", name=str(ctx.study), done=t("theme_recoded", lang))
