"""Touchpoint inventory: classify every touchpoint, set targets, merge spellings; Excel for workshops."""

import streamlit as st

from pages._auth import perform
from pages._db import cursor
from pages._text import plain
from pages._ui import file_upload, page_start
from tpm import access, inventory
from tpm.i18n import t

ctx = page_start("page_inventory")
lang = ctx.lang
st.markdown(t("inventory_intro", lang))
for message in st.session_state.pop("inventory_flash", []):
    st.success(message, icon=":material/check_circle:")

con = cursor()
frame = inventory.load(con, ctx.study)
open_items = int((~frame["classified"]).sum())
if open_items:
    st.warning(t("to_classify", lang, n=open_items))
allowed = inventory.phases(con, ctx.study)
may_edit = access.allowed(ctx.user, "edit")
edited = st.data_editor(
    frame, placeholder="", key="inventory_editor", hide_index=True, width="stretch",
    disabled=["name", "classified"] if may_edit else True,
    column_config={
        "name": st.column_config.TextColumn(t("f_name", lang)),
        "aliases": st.column_config.TextColumn(t("f_aliases", lang)),
        "phase": st.column_config.SelectboxColumn(t("f_phase", lang), options=allowed),
        "channel": st.column_config.SelectboxColumn(t("f_channel", lang), options=inventory.CHANNELS,
                                                    format_func=lambda v: t("channel_" + v, lang)),
        "contact": st.column_config.SelectboxColumn(t("f_contact", lang), options=inventory.CONTACTS,
                                                    format_func=lambda v: t("contact_" + v, lang)),
        "department": st.column_config.TextColumn(t("f_department", lang)),
        "manager": st.column_config.TextColumn(t("f_manager", lang)),
        "target": st.column_config.NumberColumn(t("f_target", lang), min_value=0, max_value=100),
        "benchmark": st.column_config.NumberColumn(t("f_benchmark", lang), min_value=0, max_value=100),
        "moment_of_truth": st.column_config.CheckboxColumn(t("f_moment_of_truth", lang)),
        "pain_points": st.column_config.TextColumn(t("f_pain_points", lang)),
        "classified": st.column_config.CheckboxColumn(t("f_classified", lang)),
    },
)


def save(action: str, *args) -> None:
    try:
        merged = perform(ctx, action, *args, details={"study_id": ctx.study})
    except inventory.InventoryError as exc:
        st.error(plain(exc.text(lang)), icon=":material/block:")
        return
    st.session_state["inventory_flash"] = [t("inventory_saved", lang)] + (
        [t("inventory_merged", lang, names=plain(", ".join(merged)))] if merged else [])
    st.rerun()


left, right = st.columns(2)
left.download_button(t("inventory_export", lang), inventory.to_excel(con, ctx.study), file_name="kontaktpunkte.xlsx",
                     mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="inventory_xlsx")
if not may_edit:  # viewers browse and download; the writes below check the role again
    st.stop()

if st.button(t("save_changes", lang), type="primary", key="inventory_save"):
    save("inventory.save", edited.drop(columns=["classified"]), ctx.study)

with st.expander(t("phases_edit", lang)):
    text = st.text_input(t("phases_label", lang), value=", ".join(allowed), key="phases_text")
    if st.button(t("save_changes", lang), key="phases_save"):
        save("inventory.phases", text.split(","), ctx.study)

upload = file_upload(t("inventory_import", lang), ["xlsx"], "inventory_upload", lang, right)
if upload is not None and right.button(t("inventory_import_button", lang), key="inventory_import"):
    save("inventory.import", upload.getvalue(), ctx.study)


def rename_and_merge(names: list[str]) -> None:
    """Rename a touchpoint in every wave (the old name stays as an alias), or merge two names of one touchpoint."""
    with st.expander(t("tp_rename_merge", lang), icon=":material/merge:"):
        st.caption(t("tp_rename_merge_help", lang))
        c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
        old = c1.selectbox(t("tp_rename_pick", lang), names, key="tp_rename_pick")
        new = c2.text_input(t("tp_new_name", lang), value=old, key=f"tp_rename_name_{old}")
        if c3.button(t("tp_rename", lang), key="tp_rename_button", disabled=" ".join(new.split()) in ("", old)):
            change("touchpoint.rename", (old, new), t("tp_renamed", lang, old=plain(old), new=plain(" ".join(new.split()))))
        if len(names) < 2:
            return
        c1, c2 = st.columns(2)
        source = c1.selectbox(t("tp_merge_source", lang), names, key="tp_merge_source")
        target = c2.selectbox(t("tp_merge_target", lang), [n for n in names if n != source], key="tp_merge_target")
        sure = st.checkbox(t("tp_merge_confirm", lang, source=plain(source), target=plain(target)), key="tp_merge_sure")
        if st.button(t("tp_merge", lang), disabled=not sure, key="tp_merge_button"):
            change("touchpoint.merge", (source, target), t("tp_merged", lang, source=plain(source), target=plain(target)))


def change(action: str, names: tuple[str, str], message: str) -> None:
    try:
        perform(ctx, action, *names, ctx.study, target=names[0], details={"study_id": ctx.study, "to": names[1]})
    except inventory.InventoryError as exc:
        st.error(plain(exc.text(lang)), icon=":material/block:")
        return
    st.session_state["inventory_flash"] = [message]
    st.rerun()


rename_and_merge(frame["name"].tolist())
