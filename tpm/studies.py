"""Studies: each survey programme on its own, its waves (datasets) inside it.

A *study* is one survey programme (the relationship survey, a transactional hotline survey, a
B2B study). Every dataset (wave) belongs to exactly one study, and so do the touchpoint
inventory, the aliases, the journey phases, the targets, the measures and the mapping
templates. Every page and every command looks at one study at a time
(:class:`tpm.metrics.Filter` ``study``); nothing of one study shows in another.

On import a study is *proposed* (:func:`propose`): the study whose mapping template matches the
file's headers (the next wave of the same export), else the study that already knows most of
the file's touchpoints (Jaccard ≥ :data:`MATCH` over names and aliases: a reworded export of
the same programme), else a new study named after the file. The analyst can choose or name
another. Databases made before studies existed are migrated by the same rules
(:func:`migrate_to_studies`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePath

import duckdb
import pandas as pd

from tpm import compact
from tpm.store import coding
from tpm.store.schema import DATA_TABLES, INVENTORY_COLUMNS, TOUCHPOINT_TABLES, create_tables
from tpm.store.templates import header_signature
from tpm.store.transactions import transaction

#: two sets of touchpoint names belong to the same programme from this Jaccard similarity on
MATCH = 0.5
_WAVE_WORDS = re.compile(r"^(welle|wave|w|export|teil|part|q[1-4]|\d{1,2}|[ivx]+)$", re.I)


class StudyError(ValueError):
    """A study that does not exist, an empty or taken name, an ambiguous choice."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --- reading


def list_studies(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every study, the most recently imported first: id, name, datasets, waves (labels in import
    order), respondents, last_import, created_at."""
    frame = con.execute(
        """SELECT s.id, s.name, count(d.id) AS datasets,
                  coalesce(list(d.wave ORDER BY d.id) FILTER (WHERE d.id IS NOT NULL), []) AS waves,
                  coalesce(sum(d.rows), 0)::BIGINT AS respondents, max(d.uploaded_at) AS last_import, s.created_at
           FROM studies s LEFT JOIN datasets d ON d.study_id = s.id
           GROUP BY s.id, s.name, s.created_at
           ORDER BY coalesce(max(d.uploaded_at), s.created_at) DESC, s.id DESC"""
    ).df()
    frame["waves"] = [list(dict.fromkeys(w)) for w in frame["waves"]]
    return frame


def default_study(con: duckdb.DuckDBPyConnection) -> int | None:
    """The most recently imported study (None without any)."""
    row = con.execute(
        """SELECT s.id FROM studies s LEFT JOIN datasets d ON d.study_id = s.id GROUP BY s.id, s.created_at
           ORDER BY coalesce(max(d.uploaded_at), s.created_at) DESC, s.id DESC LIMIT 1"""
    ).fetchone()
    return int(row[0]) if row else None


def name_of(con: duckdb.DuckDBPyConnection, study_id: int | None) -> str | None:
    row = con.execute("SELECT name FROM studies WHERE id = ?", [study_id]).fetchone() if study_id is not None else None
    return row[0] if row else None


def of_dataset(con: duckdb.DuckDBPyConnection, dataset_id: int) -> int | None:
    """The study of a dataset (None: no such dataset)."""
    row = con.execute("SELECT study_id FROM datasets WHERE id = ?", [int(dataset_id)]).fetchone()
    return int(row[0]) if row else None


def find(con: duckdb.DuckDBPyConnection, key: int | str | None) -> int | None:
    """The study with this id or name (case-insensitive), or None."""
    if key is None:
        return None
    if isinstance(key, int) or str(key).strip().isdigit():
        row = con.execute("SELECT id FROM studies WHERE id = ?", [int(key)]).fetchone()
        if row:
            return int(row[0])
    return by_name(con, str(key))


def by_name(con: duckdb.DuckDBPyConnection, name: str) -> int | None:
    """The study called ``name`` (case-insensitive, spaces normalised), or None."""
    row = con.execute("SELECT id FROM studies WHERE lower(name) = lower(?) ORDER BY id LIMIT 1", [" ".join(name.split())]).fetchone()
    return int(row[0]) if row else None


def names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return list_studies(con)["name"].tolist()


def resolve(con: duckdb.DuckDBPyConnection, study: int | str | None) -> int:
    """The study meant: the given one (id or name), or — if None — the only one there is.

    Several studies and none chosen is an error, never a pooled view."""
    if study is not None:
        found = find(con, study)
        if found is None:
            raise StudyError(f"no study '{study}'; studies: {', '.join(names(con)) or 'none'}")
        return found
    ids = [int(r[0]) for r in con.execute("SELECT id FROM studies ORDER BY id").fetchall()]
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise StudyError("no study yet; import a file first")
    raise StudyError(f"several studies: {', '.join(names(con))}; choose one")


def resolve_or_none(con: duckdb.DuckDBPyConnection, study: int | str | None) -> int | None:
    """:func:`resolve`, but None on a database without any study when none was asked for."""
    if study is None and not con.execute("SELECT count(*) FROM studies").fetchone()[0]:
        return None
    return resolve(con, study)


def phases_of(con: duckdb.DuckDBPyConnection, study_id: int) -> list[str] | None:
    row = con.execute("SELECT phases FROM studies WHERE id = ?", [study_id]).fetchone()
    return json.loads(row[0]) if row and row[0] else None


# --- proposing a study for an import


@dataclass
class Proposal:
    """The study an import goes to: an existing one (``study_id``) or a new one (``name``)."""

    study_id: int | None
    name: str
    reason: str  # "template" (same headers as an earlier wave), "touchpoints" (same touchpoints) or "new"
    wave_no: int = 1  # the number this import would get among the study's waves
    similarity: float = field(default=0.0)


def similarity(a: set[str], b: set[str]) -> float:
    """Jaccard similarity of two sets of touchpoint names (case-insensitive)."""
    a, b = {x.casefold() for x in a}, {x.casefold() for x in b}
    return len(a & b) / len(a | b) if a and b else 0.0


def propose(con: duckdb.DuckDBPyConnection, headers: list[str], touchpoints: list[str], file_name: str) -> Proposal:
    """Template match → that study; else most touchpoints in common (≥ :data:`MATCH`) → that study;
    else a new study named after the file."""
    row = con.execute(
        "SELECT study_id FROM mapping_templates WHERE signature = ? ORDER BY saved_at DESC LIMIT 1",
        [header_signature(list(headers))],
    ).fetchone() if headers else None
    if row:
        return _existing(con, int(row[0]), "template", 1.0)
    known = con.execute(
        """SELECT study_id, list(DISTINCT lower(name)) FROM (
               SELECT study_id, name FROM touchpoints UNION ALL SELECT study_id, alias FROM touchpoint_aliases)
           GROUP BY study_id ORDER BY study_id"""
    ).fetchall()
    mine = {t for t in touchpoints if t}
    best = max(((similarity(mine, set(names_)), -int(sid), int(sid)) for sid, names_ in known), default=None)
    if best and best[0] >= MATCH:
        return _existing(con, best[2], "touchpoints", best[0])
    return Proposal(None, unique_name(con, name_from_file(file_name)), "new")


def propose_for(con: duckdb.DuckDBPyConnection, result) -> Proposal:
    """:func:`propose` for an :class:`tpm.ingest.ImportResult` (or anything with table, specs, file_name)."""
    headers = list(result.table.columns) if getattr(result, "table", None) is not None else []
    touchpoints = [s.touchpoint for s in result.specs if s.role == "rating" and s.touchpoint]
    return propose(con, headers, touchpoints, result.file_name)


def _existing(con, study_id: int, reason: str, score: float) -> Proposal:
    waves = con.execute("SELECT count(DISTINCT wave) FROM datasets WHERE study_id = ?", [study_id]).fetchone()[0]
    return Proposal(study_id, name_of(con, study_id), reason, int(waves) + 1, score)


def name_from_file(file_name: str) -> str:
    """"kundenbefragung_2026_welle1.xlsx" → "Kundenbefragung 2026" (the wave part left out)."""
    words = humanise(PurePath(file_name).stem).split()
    while len(words) > 1 and _WAVE_WORDS.match(words[-1]):
        words.pop()
    return " ".join(words) or PurePath(file_name).stem or "Studie"


def humanise(stem: str) -> str:
    """"kundenbefragung_2026_welle1" → "Kundenbefragung 2026 Welle 1"."""
    words = re.sub(r"(welle|wave)(\d+)", r"\1 \2", stem, flags=re.I).replace("_", " ").split()
    return " ".join(w.capitalize() if w.islower() else w for w in words if w.lower() != "export")


def unique_name(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """``name``, or ``name (2)``, ``name (3)`` … if a study is called so already."""
    taken = {n.casefold() for n in names(con)}
    candidate, i = name, 2
    while candidate.casefold() in taken:
        candidate, i = f"{name} ({i})", i + 1
    return candidate


# --- changing studies (each in one transaction, except ensure(): the caller's)


def _clean(name) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise StudyError("a study needs a name")
    if len(text) > 200:
        raise StudyError("a study name has at most 200 characters")
    return text


def ensure(con: duckdb.DuckDBPyConnection, study: int | str) -> tuple[int, bool]:
    """(id, created): an existing study by id, or by name — created if missing. Runs inside the
    caller's transaction."""
    if isinstance(study, int):
        if name_of(con, study) is None:
            raise StudyError(f"no study with id {study}")
        return study, False
    name = _clean(study)
    found = by_name(con, name)
    if found is not None:
        return found, False
    row = con.execute("INSERT INTO studies (name, created_at) VALUES (?, ?) RETURNING id", [name, _now()]).fetchone()
    return int(row[0]), True


def create(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """A new, empty study; its name must not be taken."""
    name = _clean(name)
    if by_name(con, name) is not None:
        raise StudyError(f"a study called '{name}' exists already")
    with transaction(con):
        return ensure(con, name)[0]


def rename(con: duckdb.DuckDBPyConnection, study_id: int, name: str) -> None:
    name = _clean(name)
    if name_of(con, study_id) is None:
        raise StudyError(f"no study with id {study_id}")
    clash = con.execute("SELECT name FROM studies WHERE lower(name) = lower(?) AND id <> ?", [name, study_id]).fetchone()
    if clash:
        raise StudyError(f"a study called '{clash[0]}' exists already")
    with transaction(con):
        con.execute("UPDATE studies SET name = ? WHERE id = ?", [name, study_id])


def set_phases(con: duckdb.DuckDBPyConnection, study_id: int, phases: list[str]) -> None:
    with transaction(con):
        con.execute("UPDATE studies SET phases = ? WHERE id = ?", [json.dumps(phases, ensure_ascii=False), study_id])


def merge(con: duckdb.DuckDBPyConnection, source: int, target: int) -> list[str]:
    """Move everything of ``source`` into ``target`` (the same programme imported as two studies),
    then remove ``source``. Where both know a touchpoint, alias or template, ``target``'s is kept;
    the merged aliases then apply to all ratings of the merged study.

    Limits (:func:`set_scope`) are never widened by a merge: the merged study holds the data of
    both, so a limited user keeps it only if she could see both before; one who saw only one of
    the two loses it (an admin may give it back). Returns the names of the users who lost it."""
    if source == target:
        raise StudyError("a study cannot be merged into itself")
    for sid in (source, target):
        if name_of(con, sid) is None:
            raise StudyError(f"no study with id {sid}")

    with transaction(con):
        moved = [r[0] for r in con.execute("SELECT id FROM datasets WHERE study_id = ?", [source]).fetchall()]
        con.execute("UPDATE datasets SET study_id = ? WHERE study_id = ?", [target, source])
        con.execute("UPDATE actions SET study_id = ? WHERE study_id = ?", [target, source])
        for table, key in (("touchpoints", "name"), ("touchpoint_aliases", "alias"), ("mapping_templates", "signature")):
            con.execute(f"""UPDATE {table} SET study_id = ? WHERE study_id = ?
                            AND {key} NOT IN (SELECT {key} FROM {table} WHERE study_id = ?)""", [target, source, target])
            con.execute(f"DELETE FROM {table} WHERE study_id = ?", [source])
        apply_aliases(con, target)
        coding.merge_themes(con, source, target, moved)  # the themes of both code the comments of both
        con.execute("DELETE FROM studies WHERE id = ?", [source])
        narrowed = []
        for name, scope in con.execute("SELECT name, studies FROM study_scopes WHERE list_contains(studies, ?)"
                                       " OR list_contains(studies, ?) ORDER BY name", [source, target]).fetchall():
            both = source in scope and target in scope
            kept = sorted({int(s) for s in scope} - {source} - (set() if both else {target}))
            con.execute("UPDATE study_scopes SET studies = ? WHERE name = ?", [kept, name])
            if not both:
                narrowed.append(name)
    return narrowed


def move_dataset(con: duckdb.DuckDBPyConnection, dataset_id: int, study: int | str) -> int:
    """Move one dataset (wave) to another study — an existing one (id) or a new one (name): how a
    study that holds two programmes is split. Its touchpoints join the target's inventory (as "to
    classify" where new), the target's aliases apply to it, and its mapping template goes along, so
    the next file of its layout is proposed for the target. Returns the target study's id."""
    row = con.execute("SELECT study_id, mapping, source_file FROM datasets WHERE id = ?", [int(dataset_id)]).fetchone()
    if row is None:
        raise StudyError(f"no dataset with id {dataset_id}")
    with transaction(con):
        target, _ = ensure(con, study)
        con.execute("UPDATE datasets SET study_id = ? WHERE id = ?", [target, int(dataset_id)])
        con.execute("""INSERT INTO touchpoints (study_id, name, first_seen)
                       SELECT DISTINCT ?, touchpoint, now()::TIMESTAMP FROM ratings WHERE dataset_id = ?
                       ON CONFLICT DO NOTHING""", [target, int(dataset_id)])
        apply_aliases(con, target)
        coding.rehome(con, [int(dataset_id)], row[0], target)  # coded with the target's themes
        signature = header_signature([spec["column"] for spec in json.loads(row[1])])
        con.execute("""INSERT OR REPLACE INTO mapping_templates (study_id, signature, mapping, source_file, saved_at)
                       VALUES (?, ?, ?, ?, now()::TIMESTAMP)""", [target, signature, row[1], row[2]])
        if row[0] != target:  # the layout now belongs to the target: not proposed for the old study any more
            con.execute("DELETE FROM mapping_templates WHERE study_id = ? AND signature = ?", [row[0], signature])
    return target


def apply_aliases(con: duckdb.DuckDBPyConnection, study_id: int) -> None:
    """Rename ratings and measures stored under an alias of the study to its touchpoint, and drop
    inventory rows that are now aliases. (Inside the caller's transaction.)"""
    in_study = "dataset_id IN (SELECT id FROM datasets WHERE study_id = ?)"
    for table in TOUCHPOINT_TABLES:
        con.execute(f"""UPDATE {table} SET touchpoint = a.name FROM touchpoint_aliases a
                        WHERE a.study_id = ? AND lower({table}.touchpoint) = a.alias AND {table}.{in_study}""",
                    [study_id, study_id])
    con.execute("""UPDATE actions SET touchpoint = a.name FROM touchpoint_aliases a
                   WHERE a.study_id = ? AND actions.study_id = ? AND lower(actions.touchpoint) = a.alias""", [study_id, study_id])
    con.execute("""DELETE FROM touchpoints WHERE study_id = ? AND lower(name) IN
                   (SELECT alias FROM touchpoint_aliases a WHERE a.study_id = ? AND lower(a.name) <> a.alias)""",
                [study_id, study_id])
    compact.refresh_study(con, study_id)


def delete(con: duckdb.DuckDBPyConnection, study_id: int) -> bool:
    """Delete a study with all its datasets, rows, inventory, aliases, measures, templates and themes.
    False if it did not exist."""
    if name_of(con, study_id) is None:
        return False

    with transaction(con):
        datasets = "dataset_id IN (SELECT id FROM datasets WHERE study_id = ?)"
        for table in DATA_TABLES:
            con.execute(f"DELETE FROM {table} WHERE {datasets}", [study_id])
        for table in ("datasets", "touchpoints", "touchpoint_aliases", "actions", "mapping_templates", "themes"):
            con.execute(f"DELETE FROM {table} WHERE study_id = ?", [study_id])
        con.execute("DELETE FROM studies WHERE id = ?", [study_id])
        # a user limited to this study stays limited (to what is left, possibly nothing)
        con.execute("UPDATE study_scopes SET studies = list_filter(studies, lambda s: s <> ?) WHERE list_contains(studies, ?)",
                    [study_id, study_id])
    return True


# --- who may see which study (issue #12: a viewer limited to some studies)


def scope_of(con: duckdb.DuckDBPyConnection, name: str) -> list[int] | None:
    """The study ids user ``name`` is limited to, or None: not limited (every study)."""
    row = con.execute("SELECT studies FROM study_scopes WHERE name = ?", [name]).fetchone()
    return None if row is None else sorted(int(s) for s in row[0])


def set_scope(con: duckdb.DuckDBPyConnection, name: str, study_keys: list[int | str] | None) -> None:
    """Limit user ``name`` (a built-in user or an OIDC e-mail address) to the given studies (ids or
    names), or lift the limit with None. An unknown study is refused; nothing is changed then."""
    name = (name or "").strip()
    if not name:
        raise StudyError("a user name or e-mail address is needed")
    if study_keys is None:
        con.execute("DELETE FROM study_scopes WHERE name = ?", [name])
        return
    ids = []
    for key in study_keys:
        found = find(con, key)
        if found is None:
            raise StudyError(f"no study '{key}'")
        ids.append(found)
    con.execute("INSERT OR REPLACE INTO study_scopes VALUES (?, ?)", [name, sorted(set(ids))])


def list_scopes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every limited user with the names of the studies they may see: name, studies (list of names)."""
    return con.execute(
        """SELECT sc.name, list(s.name ORDER BY s.name) FILTER (WHERE s.name IS NOT NULL) AS studies
           FROM study_scopes sc LEFT JOIN studies s ON list_contains(sc.studies, s.id) GROUP BY sc.name ORDER BY sc.name"""
    ).df()


# --- migration of databases made before studies existed (schema version 1)


def needs_migration(con: duckdb.DuckDBPyConnection) -> bool:
    """True for a database whose inventory predates studies (no ``study_id`` on touchpoints)."""
    columns = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'touchpoints'").fetchall()}
    return bool(columns) and "study_id" not in columns


@dataclass
class _Item:
    id: int
    name: str
    signature: str
    touchpoints: set[str]


def group_datasets(items: list[_Item]) -> list[list[_Item]]:
    """Datasets of one programme: the same header signature (mapping template), or touchpoints in
    common (Jaccard ≥ :data:`MATCH`), transitively. Groups in order of their first dataset."""
    parent = list(range(len(items)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(items):
        for j in range(i):
            b = items[j]
            if a.signature == b.signature or similarity(a.touchpoints, b.touchpoints) >= MATCH:
                parent[root(i)] = root(j)
    groups: dict[int, list[_Item]] = {}
    for i, item in enumerate(items):
        groups.setdefault(root(i), []).append(item)
    return sorted(groups.values(), key=lambda g: g[0].id)


def name_for(dataset_names: list[str]) -> str:
    """A study's name from its datasets' names: their common words ("Kundenbefragung 2026 Welle 1/2/3"
    → "Kundenbefragung 2026"), else the first name."""
    split = [n.split() for n in dataset_names]
    common = []
    for words in zip(*split):
        if len({w.casefold() for w in words}) != 1:
            break
        common.append(words[0])
    while common and _WAVE_WORDS.match(common[-1]):
        common.pop()
    return " ".join(common) or name_from_file(dataset_names[0])


def migrate_to_studies(con: duckdb.DuckDBPyConnection) -> None:
    """Group the datasets of a version-1 database into studies and give every inventory row,
    alias, measure, template and the phases to a study — in one transaction."""
    with transaction(con, bump=False):
        _migrate(con)


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    rated = dict(con.execute("SELECT dataset_id, list(DISTINCT touchpoint) FROM ratings GROUP BY dataset_id").fetchall())
    items = [
        _Item(int(i), name, header_signature([spec["column"] for spec in json.loads(mapping)]), set(rated.get(i, [])))
        for i, name, mapping in con.execute("SELECT id, name, mapping FROM datasets ORDER BY id").fetchall()
    ]
    study_ids, groups = [], group_datasets(items)
    for group in groups:
        created = con.execute("SELECT min(uploaded_at) FROM datasets WHERE list_contains(?, id)", [[g.id for g in group]]).fetchone()[0]
        sid = con.execute("INSERT INTO studies (name, created_at) VALUES (?, ?) RETURNING id",
                          [unique_name(con, name_for([g.name for g in group])), created or _now()]).fetchone()[0]
        con.execute("UPDATE datasets SET study_id = ? WHERE list_contains(?, id)", [sid, [g.id for g in group]])
        study_ids.append(int(sid))
    leftovers = sum(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                    for t in ("touchpoints", "touchpoint_aliases", "actions", "mapping_templates"))
    if not study_ids and leftovers:  # an inventory without datasets: kept in a study of its own
        study_ids.append(int(con.execute("INSERT INTO studies (name, created_at) VALUES ('Studie 1', ?) RETURNING id",
                                         [_now()]).fetchone()[0]))
    phases = con.execute("SELECT value FROM meta WHERE key = 'phases'").fetchone()
    if phases:
        con.execute("UPDATE studies SET phases = ?", [phases[0]])
        con.execute("DELETE FROM meta WHERE key = 'phases'")
    for table in ("touchpoints", "touchpoint_aliases", "mapping_templates"):
        con.execute(f"ALTER TABLE {table} RENAME TO {table}_v1")
    create_tables(con)
    if not study_ids:
        for table in ("touchpoints", "touchpoint_aliases", "mapping_templates"):
            con.execute(f"DROP TABLE {table}_v1")
        return
    fallback = study_ids[0]
    columns = ", ".join(["name", "first_seen", *INVENTORY_COLUMNS])
    # a touchpoint goes to every study that rated it (the inventory row copied), unrated ones to the first study
    con.execute(f"""INSERT INTO touchpoints (study_id, {columns})
                    SELECT u.study_id, {', '.join('t.' + c for c in columns.split(', '))} FROM touchpoints_v1 t
                    JOIN (SELECT DISTINCT d.study_id, r.touchpoint FROM ratings r JOIN datasets d ON d.id = r.dataset_id) u
                      ON u.touchpoint = t.name""")
    con.execute(f"""INSERT INTO touchpoints (study_id, {columns}) SELECT ?, {columns} FROM touchpoints_v1
                    WHERE name NOT IN (SELECT name FROM touchpoints)""", [fallback])
    con.execute("""INSERT INTO touchpoint_aliases SELECT DISTINCT t.study_id, a.alias, a.name
                   FROM touchpoint_aliases_v1 a JOIN touchpoints t ON t.name = a.name""")
    con.execute("""INSERT INTO touchpoint_aliases SELECT ?, alias, name FROM touchpoint_aliases_v1
                   WHERE alias NOT IN (SELECT alias FROM touchpoint_aliases)""", [fallback])
    # a measure goes to the study that has its touchpoint, preferring the one with its baseline wave
    for action_id, touchpoint, wave in con.execute("SELECT id, touchpoint, baseline_wave FROM actions").fetchall():
        row = con.execute(
            """SELECT t.study_id FROM touchpoints t
               WHERE t.name = ? ORDER BY EXISTS (SELECT 1 FROM datasets d WHERE d.study_id = t.study_id AND d.wave = ?) DESC,
                     t.study_id LIMIT 1""", [touchpoint, wave]).fetchone()
        con.execute("UPDATE actions SET study_id = ? WHERE id = ?", [row[0] if row else fallback, action_id])
    # a template goes to the study of the datasets with its header signature
    owner = {item.signature: sid for sid, group in zip(study_ids, groups) for item in group}
    for signature, mapping, source, saved in con.execute(
            "SELECT signature, mapping, source_file, saved_at FROM mapping_templates_v1").fetchall():
        con.execute("INSERT INTO mapping_templates VALUES (?, ?, ?, ?, ?)", [owner.get(signature, fallback), signature, mapping, source, saved])
    for table in ("touchpoints", "touchpoint_aliases", "mapping_templates"):
        con.execute(f"DROP TABLE {table}_v1")


def dataset_labels(datasets) -> dict[int, str]:
    """Short, distinct labels for the sidebar's dataset chips, the part that tells waves apart first:
    the wave label when it differs from the name ("W3 · Kundenbefragung 2026"), else the name with
    the words all datasets share moved behind ("Welle 3 · Kundenbefragung 2026" for five datasets
    named "Kundenbefragung 2026 Welle 1…5"). ``datasets``: a frame with id, name, wave."""
    names = [str(n).split() for n in datasets["name"]]
    common = 0
    if len(names) > 1:
        while all(len(words) > common + 1 and words[common] == names[0][common] for words in names):
            common += 1
        while common and not all(any(ch.isalpha() for ch in "".join(words[common:])) for words in names):
            common -= 1  # "1", "2" alone say little: keep the word before them ("Welle 1")
    labels = {}
    for i, name, wave, words in zip(datasets["id"], datasets["name"], datasets["wave"], names):
        name, wave = str(name).strip(), str(wave or "").strip()
        if wave and wave != name:
            labels[int(i)] = f"{wave} · {name}"
        elif common:
            labels[int(i)] = f"{' '.join(words[common:])} · {' '.join(words[:common])}"
        else:
            labels[int(i)] = name
    return labels
