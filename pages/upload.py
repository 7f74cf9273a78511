"""Upload: file → preview and detected mapping (editable) → study (proposed) → import in one
transaction; list/delete datasets of the study; rename, merge and delete studies."""


import streamlit as st
from babel.dates import format_date

from pages import _streamlit_private as private
from pages._auth import perform, require_role
from pages._db import cursor
from pages._text import plain
from pages._ui import NEXT_STUDY, file_upload, page_context
from tpm import access, remap, store, studies
from tpm.formatting import LOCALES, format_table
from tpm.i18n import fmt_number, ingest_text, scale_reading, t
from tpm.ingest import ROLES, IngestError, unsure_specs
from tpm.ingest.detect import SCORED
from tpm.upload import (
    choose_scale,
    chosen_reading,
    label_choices,
    lighten,
    mapping_frame,
    prepare,
    preview,
    release_memory,
    set_label_scale,
    specs_from_frame,
)

ctx = page_context()
lang = ctx.lang
st.title(t("page_upload", lang))
require_role(ctx, "upload")
visible = access.visible_studies(cursor(), ctx.user)  # None: every study; else the only ones offered for a write
st.markdown(t("upload_intro", lang))
for message in st.session_state.pop("flash", []):
    st.success(message, icon=":material/check_circle:")

# a new key after each import empties the widget, so the server forgets the uploaded bytes
uploader_key = f"upload_{st.session_state.get('uploads_done', 0)}" if st.session_state.get("uploads_done") else "upload"
uploaded = file_upload(t("upload_label", lang), ["xlsx", "xlsm", "xls", "csv", "txt", "tsv"], uploader_key, lang)


def forget_prepared(file_id: str | None = None) -> None:
    """Drop the parsed file (~30x the file's size in memory) and the uploaded bytes; give the memory back."""
    for key in ("prepared", "prepared_key"):
        st.session_state.pop(key, None)
    if file_id:  # Streamlit keeps an upload for the whole session unless the browser removes it
        private.forget_upload(file_id)
    release_memory()


def show_error(exc: Exception) -> None:
    st.error(t("import_failed", lang, error=plain(ingest_text(str(exc), lang))), icon=":material/block:")


NEW_STUDY = -1


def study_choice(prepared) -> int | str:
    """The study to import into: proposed (template or touchpoints match, else a new one named after
    the file), changeable to any stored study or a new name. Returns its id or the new name. A user
    limited to some studies sees only those proposed or offered (and no new one: access.require_scope)."""
    proposal = studies.propose(cursor(), list(prepared.table.columns),
                               [s.touchpoint for s in prepared.specs if s.role == "rating" and s.touchpoint], prepared.file_name)
    st.subheader(t("study", lang))
    if visible is not None and proposal.study_id not in visible:  # another study's (or a new) one: not for her
        return pick_study(t("study_target", lang), f"upload_study_{prepared.sha256[:12]}", None, "")
    if proposal.study_id is not None:
        st.info(t("study_proposed_existing", lang, wave=proposal.wave_no, name=plain(proposal.name),
                  reason=t("reason_" + proposal.reason, lang)), icon=":material/folder_open:")
    else:
        st.info(t("study_proposed_new", lang, name=plain(proposal.name)), icon=":material/create_new_folder:")
    new_name = proposal.name if proposal.study_id is None else studies.unique_name(cursor(), studies.name_from_file(prepared.file_name))
    return pick_study(t("study_target", lang), f"upload_study_{prepared.sha256[:12]}", proposal.study_id, new_name)


def pick_study(label: str, key: str, chosen: int | None, new_name: str, container=st) -> int | str:
    """A stored study (its id) or a new one (its name, typed under the choice); ``chosen`` None: new.
    A user limited to some studies is offered only those, and no new one."""
    names = study_names()
    options = [NEW_STUDY, *names] if visible is None else list(names)
    target = container.selectbox(label, options, index=options.index(chosen if chosen in names else options[0]),
                                 format_func=lambda i: t("new_study", lang) if i == NEW_STUDY else names[i], key=key)
    if target != NEW_STUDY:
        return int(target)
    return container.text_input(t("new_study_name", lang), value=new_name, key=key + "_name")


def study_names() -> dict[int, str]:
    """The studies this user may write to (all, or those she is limited to): id → name."""
    frame = studies.list_studies(cursor())
    return {i: n for i, n in zip(frame["id"].astype(int), frame["name"]) if visible is None or i in visible}


def manage_studies() -> None:
    """Rename, merge and delete studies (each with a confirmation where data moves or goes); only the
    user's own studies, deleting only for admins."""
    frame = studies.list_studies(cursor())
    if visible is not None:
        frame = frame[frame["id"].astype(int).isin(visible)]
    if frame.empty:
        return
    with st.expander(t("studies_manage", lang)):
        st.caption(t("studies_table_help", lang))
        table = frame.assign(waves=[", ".join(w) for w in frame["waves"]])[["name", "waves", "respondents", "last_import"]]
        st.dataframe(table.rename(columns={"name": t("study", lang), "waves": t("waves", lang), "respondents": t("respondents", lang),
                                           "last_import": t("last_import", lang)}), hide_index=True, width="stretch")
        names = dict(zip(frame["id"].astype(int), frame["name"]))
        ids = list(names)
        current = ids.index(ctx.study) if ctx.study in ids else 0

        st.markdown("**" + t("study_rename", lang) + "**")
        c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
        which = c1.selectbox(t("study", lang), ids, index=current, format_func=names.get, key="study_rename_pick")
        new = c2.text_input(t("study_new_name", lang), value=names[which], key=f"study_rename_name_{which}")
        if c3.button(t("study_rename", lang), key="study_rename_button", disabled=new.strip() == names[which]):
            change(lambda: perform(ctx, "study.rename", which, new, target=which, details={"name": new}), t("study_renamed", lang, name=plain(" ".join(new.split()))))

        if len(ids) > 1:
            st.markdown("**" + t("study_merge", lang) + "**")
            c1, c2 = st.columns(2)
            source = c1.selectbox(t("study_merge_source", lang), ids, index=current, format_func=names.get, key="study_merge_source")
            target = c2.selectbox(t("study_merge_target", lang), [i for i in ids if i != source], format_func=names.get,
                                  key="study_merge_target")
            sure = st.checkbox(t("study_merge_confirm", lang, source=plain(names[source]), target=plain(names[target])),
                               key="study_merge_sure")
            if st.button(t("study_merge_button", lang), disabled=not sure, key="study_merge_button"):
                change(lambda: perform(ctx, "study.merge", source, target, target=source, details={"into": target}),
                       t("study_merged", lang, source=plain(names[source]), target=plain(names[target])), show=target,
                       more=lambda narrowed: [t("study_merge_narrowed", lang, users=plain(", ".join(narrowed)))] if narrowed else [])

        if not access.allowed(ctx.user, "delete"):  # admins only (the write checks the role again)
            return
        st.markdown("**" + t("study_delete", lang) + "**")
        victim = st.selectbox(t("study", lang), ids, index=current, format_func=names.get, key="study_delete_pick")
        row = frame.set_index("id").loc[victim]
        sure = st.checkbox(t("study_delete_confirm", lang, name=plain(names[victim]), datasets=int(row["datasets"]),
                             respondents=fmt_number(int(row["respondents"]), 0, lang)), key="study_delete_sure")
        if st.button(t("study_delete", lang), disabled=not sure, key="study_delete_button"):
            change(lambda: perform(ctx, "study.delete", victim, target=victim, details={"name": names[victim]}), t("study_deleted", lang, name=plain(names[victim])))


def change(action, message: str, show: int | None = None, more=None) -> None:
    """Run a study change; on success flash ``message`` and ``more(its result)`` (and switch the sidebar to study ``show``)."""
    try:
        result = action()
    except studies.StudyError as exc:
        st.error(t("study_error", lang, error=plain(str(exc))), icon=":material/block:")
        return
    st.cache_data.clear()
    st.session_state["flash"] = [message, *(more(result) if more else [])]
    if show is not None:
        st.session_state[NEXT_STUDY] = show
    st.rerun()


def weighting_section(names: dict[int, str]) -> None:
    """Raking to target shares: typed into a table (pre-filled with the sample's shares) or a CSV."""
    from tpm.weights import WeightsError, margin_template, margins_from_rows, read_margins

    with st.expander(t("weights_title", lang)):
        st.caption(t("weights_intro", lang))
        target = st.selectbox(t("weights_dataset", lang), list(names), format_func=lambda i: f"{names[i]} (id {i})", key="weights_pick")
        use_csv = st.toggle(t("weights_margins_csv", lang), key="weights_use_csv")  # (one file input on the page by default)
        upload = file_upload(t("weights_margins_csv", lang), ["csv", "txt"], "weights_csv", lang) if use_csv else None
        rows = st.data_editor(margin_template(cursor(), int(target)), num_rows="dynamic", hide_index=True, width="stretch",
                              key=f"weights_rows_{target}", disabled=upload is not None)
        trim = st.checkbox(t("weights_trim", lang), key="weights_trim")
        if st.button(t("weights_apply", lang), key="weights_apply"):
            try:
                margins = (read_margins(upload.name, upload.getvalue()) if upload is not None
                           else margins_from_rows(t("weights_title", lang), rows.values.tolist()))
                result = perform(ctx, "dataset.weights", int(target), margins, (0.3, 3.0) if trim else None, target=int(target),
                                 details={"source": upload.name if upload is not None else "table", "trim": trim})
            except WeightsError as exc:
                show_error(exc)
            else:
                s = result.summary
                st.cache_data.clear()
                st.session_state["flash"] = [t("weights_done", lang, n_eff=fmt_number(s["n_eff"], 0, lang), n=fmt_number(s["n"], 0, lang),
                                               efficiency=fmt_number(100 * s["efficiency"], 1, lang), min=fmt_number(s["min"], 2, lang),
                                               max=fmt_number(s["max"], 2, lang), error=fmt_number(result.max_error, 4, lang))]
                st.rerun()
        current = store.weight_sets(cursor())
        if not current.empty:
            st.caption(t("weights_current", lang))
            st.dataframe(current[["dataset", "source", "n", "n_eff", "min_weight", "max_weight", "max_margin_error", "created_at"]],
                         hide_index=True, width="stretch")


def mapping_editor(frame, key: str, role_labels: dict[str, str], confirm: bool = True):
    """The mapping as an editable table: role, name, scale and missing codes per column (and, before
    an import, the tick that confirms a column the detector was unsure about)."""
    return st.data_editor(
        frame, key=key, hide_index=True, width="stretch", placeholder="", disabled=["column", "unsure", "examples"],
        column_order=None if confirm else [c for c in frame.columns if c != "confirmed"],
        column_config={
            "column": st.column_config.TextColumn(t("column", lang)),
            "role": st.column_config.SelectboxColumn(t("role", lang), options=list(role_labels.values()), required=True),
            "name": st.column_config.TextColumn(t("name", lang), help=t("mapping_name_help", lang)),
            "scale_min": st.column_config.NumberColumn(t("scale_min", lang), min_value=0, max_value=100, step=1),
            "scale_max": st.column_config.NumberColumn(t("scale_max", lang), min_value=1, max_value=100, step=1),
            "missing_codes": st.column_config.TextColumn(t("missing_codes", lang), help=t("missing_codes_help", lang)),
            "unsure": st.column_config.TextColumn(t("unsure", lang)),
            "confirmed": st.column_config.CheckboxColumn(t("confirmed", lang), help=t("confirmed_help", lang)),
            "examples": st.column_config.TextColumn(t("examples", lang)),
        },
    )


def remap_section(names: dict[int, str]) -> None:
    """A stored dataset's mapping corrected after the import: its rows derived again from the kept file."""
    with st.expander(t("remap_title", lang), icon=":material/tune:"):
        st.caption(t("remap_intro", lang))
        # nothing chosen until the analyst picks: loading a dataset's kept file (read, detect, preview)
        # on every view of this page, e.g. right after an import, would hold the file in memory again
        chosen = st.selectbox(t("delete_pick", lang), list(names), format_func=lambda i: f"{names[i]} (id {i})", key="remap_pick",
                              index=None, placeholder=t("choose", lang))
        if chosen is None:
            st.session_state.pop("remap_stored", None)
            return
        chosen = int(chosen)
        key = ("remap", chosen, ctx.version)
        stored = st.session_state.get("remap_stored") if st.session_state.get("remap_key") == key else None
        if stored is None:
            try:
                stored = remap.load(cursor(), chosen)
            except remap.RemapError as exc:
                st.info(plain(exc.text(lang)), icon=":material/upload_file:")
                return
            except IngestError as exc:
                show_error(exc)
                return
            st.session_state["remap_stored"], st.session_state["remap_key"] = stored, key
        role_labels = {role: t(f"role_{role}", lang) for role in ROLES}
        frame = mapping_frame(stored.prepared.table, stored.specs, role_labels)
        frame["unsure"] = [ingest_text(reason, lang) for reason in frame["unsure"]]
        edited = mapping_editor(frame, f"remap_mapping_{chosen}_{ctx.version}", role_labels, confirm=False)
        try:
            specs = specs_from_frame(edited, role_labels, stored.specs)
            table, _ = remap.preview(cursor(), stored, specs)
        except (IngestError, remap.RemapError) as exc:
            show_error(exc)
            return
        changes = remap.differences(stored.specs, specs)
        st.caption(t("remap_preview", lang, n=len(changes)))
        labels = {"touchpoint": t("touchpoint", lang), "scale_before": t("remap_scale_before", lang),
                  "n_before": t("remap_n_before", lang), "score_before": t("remap_score_before", lang),
                  "scale_after": t("remap_scale_after", lang), "n_after": t("remap_n_after", lang),
                  "score_after": t("remap_score_after", lang)}
        st.dataframe(format_table(table, lang, {"n_before": "count", "n_after": "count", "score_before": "score",
                                                "score_after": "score"}, labels), hide_index=True, width="stretch", placeholder="")
        if st.button(t("remap_apply", lang), type="primary", disabled=not changes, key="remap_apply"):
            try:
                done = perform(ctx, "dataset.remap", chosen, specs, target=chosen, details={"name": names[chosen]})
            except (IngestError, remap.RemapError) as exc:
                show_error(exc)
                return
            st.session_state.pop("remap_stored", None)
            st.session_state["flash"] = [t("remapped", lang, name=plain(names[chosen]), n=len(done.changes),
                                           respondents=fmt_number(done.respondents, 0, lang))]
            st.rerun()


def pick_scale_reading(prepared, spec) -> None:
    """A scale guessed from the answers: its readings, each with the score it gives; the analyst picks one."""
    key = f"reading_{prepared.sha256[:12]}_{spec.column}"
    current = chosen_reading(spec)
    picked = st.radio(t("scale_pick", lang, column=plain(spec.column[:60])), range(len(spec.candidates)), key=key,
                      index=None if spec.doubt else current, format_func=lambda i: scale_reading(spec.candidates[i], lang),
                      help=t("scale_pick_help", lang))
    if picked is not None and (spec.doubt or picked != current):
        choose_scale(prepared, spec.column, picked)
        st.session_state["label_scales"] = st.session_state.get("label_scales", 0) + 1  # the mapping table shows it
        st.rerun()


def define_label_scale(prepared, column: str) -> None:
    """An unknown text scale ordered by the analyst (worst → best, some answers missing)."""
    with st.expander(t("label_scale_title", lang, column=plain(column[:60])), icon=":material/format_list_numbered:"):
        st.caption(t("label_scale_intro", lang))
        choices = st.data_editor(
            label_choices(prepared.table, column), placeholder="", key=f"labels_{prepared.sha256[:12]}_{column}", hide_index=True,
            disabled=["label"],
            column_config={"label": st.column_config.TextColumn(t("label", lang)),
                           "rank": st.column_config.NumberColumn(t("label_rank", lang), min_value=1, max_value=20, step=1),
                           "missing": st.column_config.CheckboxColumn(t("label_missing", lang))})
        if st.button(t("label_scale_apply", lang), key=f"labels_apply_{column}"):
            if set_label_scale(prepared, column, choices):
                st.session_state["label_scales"] = st.session_state.get("label_scales", 0) + 1
                st.rerun()
            st.error(t("label_scale_invalid", lang))


if uploaded is None:
    if "prepared" in st.session_state:  # the file was removed from the widget: abandoned
        forget_prepared()
else:
    sheet = st.session_state.get("upload_sheet")
    cache_key = ("prepared", uploaded.file_id, sheet)
    prepared = st.session_state.get("prepared") if st.session_state.get("prepared_key") == cache_key else None
    if prepared is None:
        try:
            with st.status(t("reading", lang), expanded=False) as status:
                # the bytes only while reading: a copy of the upload held by every later rerun (the import's) would add to its peak
                prepared = prepare(uploaded.name, uploaded.getvalue(), sheet, con=cursor())
                prepared.data = None  # nor kept with the prepared file: the import takes them from the widget again
                status.update(label=t("detecting", lang), state="complete")
            st.session_state["prepared"], st.session_state["prepared_key"] = prepared, cache_key
        except IngestError as exc:
            show_error(exc)

    if prepared is not None:
        table = prepared.table
        if len(table.sheets) > 1:
            st.selectbox(t("sheet", lang), table.sheets, index=table.sheets.index(table.sheet), key="upload_sheet")
        existing = store.find_by_hash(cursor(), prepared.sha256)
        if existing and visible is not None and studies.of_dataset(cursor(), existing[0]) not in visible:
            st.info(t("duplicate_elsewhere", lang), icon=":material/info:")  # stored in a study she may not see: not named
        elif existing:
            st.info(t("duplicate", lang, name=plain(existing[1])), icon=":material/info:")
        facts = [f"{t('respondents', lang)}: {fmt_number(table.n_rows, 0, lang)}", f"{t('columns', lang)}: {len(table.columns)}"]
        facts += [value for value in (table.platform, table.encoding, table.delimiter and f"{t('delimiter', lang)} '{table.delimiter}'") if value]
        st.caption(plain(" · ".join(facts + [ingest_text(note, lang) for note in table.notes])))
        source = store.template_source(cursor(), list(table.columns)) if prepared.from_template else None
        if source:  # which earlier mapping was applied, and a way back to fresh detection
            when = format_date(source["saved_at"], format="medium", locale=LOCALES[lang])
            visible = access.visible_studies(cursor(), ctx.user)  # a file stored in another's study is not named
            named = visible is None or (source["studies"] and source["studies"] <= visible)
            st.info(t("template_from", lang, file=plain(source["source_file"] or "?") if named else "…", date=when)
                    + ("" if source["dataset_kept"] else t("template_orphan", lang)), icon=":material/history:")
            if st.button(t("template_discard", lang), key="template_discard"):
                perform(ctx, "template.delete", list(table.columns), target=source["source_file"],
                        details={"columns": len(table.columns)})
                st.session_state.pop("prepared_key", None)
                st.rerun()
        st.subheader(t("preview", lang))
        st.dataframe(preview(table), width="stretch", hide_index=True, placeholder="")

        problem_slot = st.empty()  # what would stop the import with the mapping as it stands (filled below the editor)
        st.subheader(t("mapping", lang))
        st.caption(t("mapping_help", lang))
        for column in table.unknown_scales:
            define_label_scale(prepared, column)
        for spec in prepared.specs:
            if spec.candidates and spec.role in SCORED and len(spec.candidates) > 1:
                pick_scale_reading(prepared, spec)
        role_labels = {role: t(f"role_{role}", lang) for role in ROLES}
        frame = mapping_frame(table, prepared.specs, role_labels)
        frame["unsure"] = [ingest_text(reason, lang) for reason in frame["unsure"]]
        if (frame["unsure"] != "").any():
            columns = ", ".join((f"„{c[:40]}“" if lang == "de" else f"“{c[:40]}”") for c in frame.loc[frame["unsure"] != "", "column"])
            st.warning(plain(t("unsure_intro", lang, n=int((frame["unsure"] != "").sum()), columns=columns)),
                       icon=":material/help:")
        edited = mapping_editor(frame, f"mapping_{prepared.sha256[:12]}_{st.session_state.get('label_scales', 0)}", role_labels)
        study = study_choice(prepared)
        left, right = st.columns(2)
        name = left.text_input(t("dataset_name", lang), value=prepared.default_name, key="upload_name")
        wave = right.text_input(t("wave", lang), value=prepared.default_name, key="upload_wave")
        try:
            specs = specs_from_frame(edited, role_labels, prepared.specs)
        except IngestError as exc:
            show_error(exc)
            specs = None
        waiting = specs is None or bool(unsure_specs(specs))
        problem = prepared.problem_with(specs) if specs is not None else None  # fixed in the mapping: the warning goes
        if problem:
            problem_slot.warning(t("mapping_problem", lang, error=plain(ingest_text(problem, lang))), icon=":material/warning:")
        if st.button(t("import", lang), type="primary", disabled=bool(existing) or waiting, key="upload_import"):
            try:
                with st.status(t("validating", lang), expanded=False) as status:
                    result = prepared.apply(specs, data=uploaded.getvalue())
                    status.update(label=t("storing", lang))
                    lighten(result)  # what the save does not read, and what this run freed, before DuckDB buffers the rows
                    saved = perform(ctx, "dataset.import", result, name=name, wave=wave, study=study)
                    status.update(label=t("storing", lang), state="complete")
            except (IngestError, studies.StudyError) as exc:
                show_error(exc)
            else:
                report = saved.report or result.report()
                del result, prepared, table
                forget_prepared(uploaded.file_id)
                st.session_state["uploads_done"] = st.session_state.get("uploads_done", 0) + 1
                st.session_state["flash"] = [
                    t("imported", lang, name=plain(saved.name), respondents=fmt_number(report["respondents"], 0, lang),
                      touchpoints=len(report["touchpoints"])),
                    plain(t("understood", lang, respondents=report["respondents"], touchpoints=len(report["touchpoints"]),
                            nps=report["nps_column"] or t("none", lang), segments=", ".join(report["segments"]) or t("none", lang))),
                    t("imported_study", lang, name=plain(saved.study_name),
                      new=t("imported_study_new", lang) if saved.study_created else ""),
                ] + ([plain(report["weights"]["note"])] if report.get("weights") else [])
                st.session_state[NEXT_STUDY] = saved.study_id  # the sidebar shows the study just imported into
                st.rerun()

st.divider()
st.subheader(t("stored_datasets", lang))
if ctx.study is not None:
    st.caption(t("of_study", lang, name=plain(ctx.study_name)))
datasets = store.list_datasets(cursor(), ctx.study)
if datasets.empty:
    st.info(t("no_data", lang))
else:
    st.caption(t("datasets_edit_help", lang))
    edited = st.data_editor(  # the Styler formats the read-only columns by language
        format_table(datasets, lang, {"id": "count", "uploaded_at": "datetime", "first_response": "date", "last_response": "date"}),
        hide_index=True, width="stretch", placeholder="", key="datasets_editor",
        disabled=[c for c in datasets.columns if c not in ("name", "wave")],
        column_config={"id": st.column_config.NumberColumn("id"), "name": st.column_config.TextColumn(t("dataset_name", lang), required=True),
                       "wave": st.column_config.TextColumn(t("wave", lang), required=True),
                       "source_file": t("source_file", lang), "uploaded_at": t("uploaded_at", lang),
                       "respondents": t("respondents", lang), "ratings": t("ratings", lang), "touchpoints": t("touchpoints", lang),
                       "first_response": t("first_response", lang), "last_response": t("last_response", lang)},
    )
    changed = edited[(edited["name"] != datasets["name"]) | (edited["wave"] != datasets["wave"])]
    if st.button(t("save_changes", lang), disabled=changed.empty, key="datasets_save"):
        try:
            for row in changed.itertuples():
                perform(ctx, "dataset.rename", int(row.id), row.name, row.wave, target=int(row.id),
                        details={"name": row.name, "wave": row.wave})
        except ValueError:
            st.error(t("name_and_wave_needed", lang))
        else:
            st.session_state["flash"] = [t("saved", lang)]
            st.rerun()
    weighting_section(names := dict(zip(datasets["id"].astype(int), datasets["name"])))
    if access.allowed(ctx.user, "delete"):  # admins only (the write checks the role again)
        with st.expander(t("delete", lang)):
            target = st.selectbox(t("delete_pick", lang), list(names), format_func=lambda i: f"{names[i]} (id {i})", key="delete_pick")
            sure = st.checkbox(t("delete_confirm", lang, name=plain(names[target])), key="delete_sure")
            if st.button(t("delete", lang), disabled=not sure, key="delete_button"):
                perform(ctx, "dataset.delete", int(target), target=int(target), details={"name": names[target]})
                st.session_state["flash"] = [t("deleted", lang, name=plain(names[target]))]
                st.rerun()
    remap_section(names)
    with st.expander(t("move", lang)):
        st.caption(t("move_help", lang))
        left, right = st.columns(2)
        moving = left.selectbox(t("delete_pick", lang), list(names), format_func=lambda i: f"{names[i]} (id {i})", key="move_pick")
        with right:
            goal = pick_study(t("move_to", lang), "move_target", None, studies.unique_name(cursor(), names[moving]))
        if st.button(t("move_button", lang), key="move_button", disabled=goal == ctx.study):
            try:
                target = perform(ctx, "dataset.move", int(moving), goal, target=int(moving),
                                 details={"name": names[moving], "from_study": ctx.study, "to_study": goal})
            except studies.StudyError as exc:
                st.error(t("study_error", lang, error=plain(str(exc))), icon=":material/block:")
            else:
                st.session_state["flash"] = [t("moved", lang, name=plain(names[moving]), study=plain(studies.name_of(cursor(), target)))]
                st.session_state[NEXT_STUDY] = target
                st.rerun()

st.divider()
manage_studies()
