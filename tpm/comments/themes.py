"""Themes: a study's code frame for its comments, editable by analysts, with manual overrides per comment.

A theme has a name (unique within the study, case-insensitively), German and English labels and match rules —
words, stems ("liefer*") and phrases ("zu lange"), see :mod:`tpm.text.rules`. Each comment gets 0..n themes:
``comment_themes`` = rule matches ∪ manual adds − manual removals (:mod:`tpm.store.coding`, one DuckDB query per
theme over the stored lemmas). Themes travel with the study: every new wave imported into it is coded at import,
a dataset moved to another study is coded with that study's themes, and :func:`copy_themes` hands a code frame to
another study.

Every write here is an action of :data:`tpm.access.WRITES` (``theme.add``, ``theme.update``, ``theme.remove``,
``theme.recode``, ``theme.override``, ``theme.copy``: role analyst, scope = the study), so it is checked and
audited by :func:`tpm.access.perform`. Bad input (an empty or duplicate name, a rule without letters or with a
regular-expression character) raises :class:`~tpm.text.rules.ThemeError` before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import duckdb
import pandas as pd

from tpm import studies
from tpm.store import coding
from tpm.store.transactions import transaction
from tpm.text.rules import ThemeError, check_rule


@dataclass(frozen=True)
class Theme:
    """One theme of a study's code frame (``id``: None until stored)."""

    name: str
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    label_de: str | None = None
    label_en: str | None = None
    id: int | None = field(default=None, compare=False)

    def label(self, lang: str) -> str:
        """The label in ``lang`` (the name where none is set)."""
        return (self.label_de if lang == "de" else self.label_en) or self.name


def checked(theme: Theme) -> Theme:
    """``theme`` with its name, labels and rules normalised (spaces), or :class:`ThemeError`."""
    name = " ".join(str(theme.name or "").split())
    if not name:
        raise ThemeError("err_theme_name_empty")

    def rules(items) -> tuple[str, ...]:
        return tuple(dict.fromkeys(check_rule(r) for r in (items or ()) if str(r or "").strip()))

    def label(text) -> str | None:
        return " ".join(str(text or "").split()) or None

    return replace(theme, name=name, words=rules(theme.words), phrases=rules(theme.phrases),
                   label_de=label(theme.label_de), label_en=label(theme.label_en))


def _row(row) -> Theme:
    return Theme(id=int(row[0]), name=row[1], label_de=row[2], label_en=row[3], words=tuple(row[4] or ()),
                 phrases=tuple(row[5] or ()))


def themes(con: duckdb.DuckDBPyConnection, study: int | str | None = None) -> list[Theme]:
    """The study's themes in the order they were made."""
    sid = studies.resolve(con, study)
    rows = con.execute("SELECT id, name, label_de, label_en, words, phrases FROM themes WHERE study_id = ? ORDER BY id",
                       [sid]).fetchall()
    return [_row(r) for r in rows]


def theme_table(con: duckdb.DuckDBPyConnection, study: int | str | None = None) -> pd.DataFrame:
    """One row per theme: id, name, label_de, label_en, words, phrases (as text), comments (coded with it),
    manual (overrides on it)."""
    sid = studies.resolve(con, study)
    return con.execute(
        """SELECT t.id, t.name, t.label_de, t.label_en, array_to_string(t.words, ', ') AS words,
                  array_to_string(t.phrases, '; ') AS phrases,
                  (SELECT count(*) FROM comment_themes c JOIN datasets d ON d.id = c.dataset_id
                   WHERE d.study_id = t.study_id AND c.theme_id = t.id) AS comments,
                  (SELECT count(*) FROM theme_overrides o JOIN datasets d ON d.id = o.dataset_id
                   WHERE d.study_id = t.study_id AND o.theme_id = t.id) AS manual
           FROM themes t WHERE t.study_id = ? ORDER BY t.id""", [sid]).df()


def find(con: duckdb.DuckDBPyConnection, study: int | str | None, name: str) -> Theme:
    """The theme called ``name`` (case-insensitive) in the study, or :class:`ThemeError`."""
    sid = studies.resolve(con, study)
    row = con.execute("SELECT id, name, label_de, label_en, words, phrases FROM themes WHERE study_id = ? AND lower(name) = lower(?)",
                      [sid, " ".join(str(name or "").split())]).fetchone()
    if row is None:
        raise ThemeError("err_theme_unknown", name=str(name))
    return _row(row)


def _refuse_duplicate(con, sid: int, name: str, other_than: int | None = None) -> None:
    row = con.execute("SELECT name FROM themes WHERE study_id = ? AND lower(name) = lower(?) AND id IS DISTINCT FROM ?",
                      [sid, name, other_than]).fetchone()
    if row:
        raise ThemeError("err_theme_exists", name=row[0])


def _insert(con, sid: int, theme: Theme) -> int:
    """Store a checked theme under the study's next id and code the study's comments with it (in the caller's transaction)."""
    theme_id = con.execute(
        """INSERT INTO themes (study_id, id, name, label_de, label_en, words, phrases, created_at)
           SELECT ?, coalesce(max(id), 0) + 1, ?, ?, ?, ?, ?, ? FROM themes WHERE study_id = ? RETURNING id""",
        [sid, theme.name, theme.label_de, theme.label_en, list(theme.words), list(theme.phrases),
         datetime.now(UTC).replace(tzinfo=None), sid]).fetchone()[0]
    coding.code(con, sid, theme_ids=[theme_id])
    return int(theme_id)


def add_theme(con: duckdb.DuckDBPyConnection, study: int | str | None, theme: Theme) -> int:
    """Store a new theme in the study and code the study's comments with it; returns its id."""
    sid = studies.resolve(con, study)
    theme = checked(theme)
    _refuse_duplicate(con, sid, theme.name)
    with transaction(con):
        theme_id = _insert(con, sid, theme)
    return theme_id


def update_theme(con: duckdb.DuckDBPyConnection, study: int | str | None, name: str, theme: Theme) -> None:
    """Replace the theme called ``name`` by ``theme`` (name, labels, rules) and code it anew; its
    overrides stay."""
    sid = studies.resolve(con, study)
    old = find(con, sid, name)
    theme = checked(theme)
    _refuse_duplicate(con, sid, theme.name, other_than=old.id)
    with transaction(con):
        con.execute("UPDATE themes SET name = ?, label_de = ?, label_en = ?, words = ?, phrases = ? WHERE study_id = ? AND id = ?",
                    [theme.name, theme.label_de, theme.label_en, list(theme.words), list(theme.phrases), sid, old.id])
        coding.code(con, sid, theme_ids=[old.id])


def remove_theme(con: duckdb.DuckDBPyConnection, study: int | str | None, name: str) -> None:
    """Delete the theme called ``name``, its coding and its overrides."""
    sid = studies.resolve(con, study)
    old = find(con, sid, name)
    in_study = "dataset_id IN (SELECT id FROM datasets WHERE study_id = ?)"
    with transaction(con):
        for table in ("comment_themes", "theme_overrides"):
            con.execute(f"DELETE FROM {table} WHERE theme_id = ? AND {in_study}", [old.id, sid])
        con.execute("DELETE FROM themes WHERE study_id = ? AND id = ?", [sid, old.id])


def recode(con: duckdb.DuckDBPyConnection, study: int | str | None = None, theme_ids: list[int] | None = None) -> dict[str, int]:
    """Code all comments of the study anew with ``theme_ids`` (None: every theme); overrides stay decisive.
    Returns theme name → comments coded with it."""
    sid = studies.resolve(con, study)
    with transaction(con):
        counts = coding.code(con, sid, theme_ids=None if theme_ids is None else [int(i) for i in theme_ids])
    names = {t.id: t.name for t in themes(con, sid)}
    return {names[i]: n for i, n in counts.items()}


def override(con: duckdb.DuckDBPyConnection, dataset_id: int, resp: int, question: str, theme_id: int,
             present: bool | None, user: str | None = None) -> None:
    """The analyst's decision on one comment: ``present`` True (it mentions the theme), False (it does not),
    None (forget the decision: the rules decide again). Survives every re-coding. For the Comments page."""
    row = con.execute(
        """SELECT d.study_id, (SELECT count(*) FROM comments c WHERE c.dataset_id = d.id AND c.resp = ? AND c.question = ?),
                  (SELECT count(*) FROM themes t WHERE t.study_id = d.study_id AND t.id = ?)
           FROM datasets d WHERE d.id = ?""", [int(resp), str(question), int(theme_id), int(dataset_id)]).fetchone()
    if row is None or not row[1]:
        raise ThemeError("err_theme_no_comment", dataset_id=dataset_id, resp=resp, question=str(question))
    if not row[2]:
        raise ThemeError("err_theme_not_in_study", theme_id=theme_id)
    key = [int(dataset_id), int(resp), str(question), int(theme_id)]
    with transaction(con):
        con.execute("DELETE FROM theme_overrides WHERE dataset_id = ? AND resp = ? AND question = ? AND theme_id = ?", key)
        if present is not None:
            con.execute("INSERT INTO theme_overrides VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [*key, bool(present), user, datetime.now(UTC).replace(tzinfo=None)])
        coding.code_comment(con, *key)


def copy_themes(con: duckdb.DuckDBPyConnection, from_study: int | str, to_study: int | str) -> list[str]:
    """Copy the themes of ``from_study`` that ``to_study`` lacks (by name) into it and code its comments
    with them (a code frame reused by a related survey). Returns the names copied."""
    source, target = studies.resolve(con, from_study), studies.resolve(con, to_study)
    if source == target:
        raise ThemeError("err_theme_copy_same")
    have = {t.name.lower() for t in themes(con, target)}
    copied = [t for t in themes(con, source) if t.name.lower() not in have]
    with transaction(con):
        for t in copied:
            _insert(con, target, t)
    return [t.name for t in copied]
