"""The touchpoint inventory (Ist-Analyse): every touchpoint with its journey phase, channel,
contact type, owning department, touchpoint manager, target (Soll) and best-in-class benchmark
on the 0–100 score, moment-of-truth flag and pain-point notes — persisted in DuckDB, kept
across re-uploads.

New touchpoints from an upload join the inventory unclassified ("to classify"). *Aliases* are
other survey spellings of the same touchpoint ("Telefon-Hotline", "Kundenservice (Telefon)"):
declaring one renames the ratings already stored under it and every future import maps it.
The inventory travels as an Excel sheet (:func:`to_excel` / :func:`from_excel`) so that a
workshop can fill it in.

The inventory, its aliases and the journey phases belong to one study (``study``: its id; None
only for a database holding a single study, see :func:`tpm.studies.resolve`).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import duckdb
import fastexcel
import numpy as np
import openpyxl
import pandas as pd

from tpm import compact, store, studies
from tpm.csv_export import neutralise_reversibly, restore
from tpm.i18n import MessageError, ingest_text, t

DEFAULT_PHASES = ["Vorkauf", "Kauf", "Nutzung", "Service", "Loyalität"]
CHANNELS = ["online", "offline", "mobile"]
CONTACTS = ["direct", "indirect"]
FIELDS = ["name", "aliases", "phase", "channel", "contact", "department", "manager", "target", "benchmark",
          "moment_of_truth", "pain_points"]
SHEET = "Kontaktpunkte"


class InventoryError(ValueError):
    """An invalid inventory edit: names the touchpoint and the field."""

    def text(self, lang: str) -> str:
        return str(self)


class InventoryFileError(InventoryError):
    """An inventory file refused before it is read (a zip bomb, :func:`tpm.workbook.unzipped_size`);
    ``text(lang)`` for the UI."""

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(f"the inventory file is refused: {problem}; use the exported .xlsx as template")

    def text(self, lang: str) -> str:
        return t("inventory_file_refused", lang, problem=ingest_text(self.problem, lang))


class TouchpointError(MessageError, InventoryError):
    """A rename or merge that cannot be done; ``text(lang)`` for the UI."""


def phases(con: duckdb.DuckDBPyConnection, study: int | str | None = None) -> list[str]:
    """The study's journey phases in order (configurable; default Vorkauf / Kauf / Nutzung / Service / Loyalität)."""
    sid = studies.resolve_or_none(con, study)
    return (studies.phases_of(con, sid) if sid is not None else None) or list(DEFAULT_PHASES)


def set_phases(con: duckdb.DuckDBPyConnection, names: list[str], study: int | str | None = None) -> None:
    names = [n.strip() for n in names if n and n.strip()]
    if not names or len(set(names)) != len(names):
        raise InventoryError("phases must be distinct and not empty")
    studies.set_phases(con, studies.resolve(con, study), names)


def load(con: duckdb.DuckDBPyConnection, study: int | str | None = None) -> pd.DataFrame:
    """The study's inventory, one row per touchpoint (columns :data:`FIELDS` + ``classified``), by phase then name."""
    sid = studies.resolve_or_none(con, study)
    frame = con.execute(
        """SELECT t.name, coalesce(string_agg(a.alias, '; ' ORDER BY a.alias), '') AS aliases, t.phase, t.channel,
                  t.contact, t.department, t.manager, t.target, t.benchmark, coalesce(t.moment_of_truth, false) AS moment_of_truth,
                  t.pain_points
           FROM touchpoints t LEFT JOIN touchpoint_aliases a ON a.name = t.name AND a.study_id = t.study_id
           WHERE t.study_id = ?
           GROUP BY ALL ORDER BY t.name""",
        [sid],
    ).df()
    order = {p: i for i, p in enumerate(phases(con, sid))}
    frame["classified"] = frame["phase"].notna() & frame["department"].notna()
    frame = frame.assign(_o=frame["phase"].map(order).fillna(len(order))).sort_values(["_o", "name"]).drop(columns="_o")
    return frame.reset_index(drop=True)


@dataclass
class Row:
    name: str
    aliases: list[str]
    phase: str | None
    channel: str | None
    contact: str | None
    department: str | None
    manager: str | None
    target: float | None
    benchmark: float | None
    moment_of_truth: bool
    pain_points: str | None


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _score(value, name: str, field: str) -> float | None:
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        raise InventoryError(f"'{name}': {field} '{text}' is not a number (0–100 score)") from None
    if not 0 <= number <= 100:
        raise InventoryError(f"'{name}': {field} {number:g} is outside 0–100 (targets are on the 0–100 score)")
    return number


def validate(frame: pd.DataFrame, allowed_phases: list[str]) -> list[Row]:
    """Check an edited inventory; raise :class:`InventoryError` naming the touchpoint and field."""
    rows, seen, alias_owner = [], set(), {}
    for record in frame.to_dict("records"):
        name = _text(record.get("name"))
        if not name:
            raise InventoryError("every touchpoint needs a name")
        if name.lower() in seen:
            raise InventoryError(f"'{name}' is listed twice")
        seen.add(name.lower())
        phase, channel, contact = (_text(record.get(f)) for f in ("phase", "channel", "contact"))
        if phase and phase not in allowed_phases:
            raise InventoryError(f"'{name}': phase '{phase}' is not one of {', '.join(allowed_phases)}")
        if channel and channel.lower() not in CHANNELS:
            raise InventoryError(f"'{name}': channel '{channel}' is not one of {', '.join(CHANNELS)}")
        if contact and contact.lower() not in CONTACTS:
            raise InventoryError(f"'{name}': contact '{contact}' is not one of {', '.join(CONTACTS)}")
        aliases = [a.strip() for a in (_text(record.get("aliases")) or "").split(";") if a.strip()]
        for alias in aliases:
            key = alias.lower()
            if key in alias_owner and alias_owner[key] != name:
                raise InventoryError(f"alias '{alias}' is given to both '{alias_owner[key]}' and '{name}'")
            alias_owner[key] = name
        mot = record.get("moment_of_truth")
        rows.append(Row(
            name=name, aliases=aliases, phase=phase, channel=channel.lower() if channel else None,
            contact=contact.lower() if contact else None, department=_text(record.get("department")),
            manager=_text(record.get("manager")), target=_score(record.get("target"), name, "target"),
            benchmark=_score(record.get("benchmark"), name, "benchmark"),
            moment_of_truth=str(mot).strip().lower() in {"true", "1", "ja", "yes", "x", "wahr"} if mot is not None else False,
            pain_points=_text(record.get("pain_points")),
        ))
    # a touchpoint that is listed as another's alias is merged into that one
    return [row for row in rows if alias_owner.get(row.name.lower(), row.name) == row.name]


def save(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, study: int | str | None = None) -> list[str]:
    """Validate and store the study's whole inventory in one transaction; returns the touchpoints
    merged into others through aliases. The study's ratings stored under an alias are renamed to
    its touchpoint."""
    sid = studies.resolve(con, study)
    rows = validate(frame, phases(con, sid))
    merged = []
    in_study = "dataset_id IN (SELECT id FROM datasets WHERE study_id = ?)"
    with store.transaction(con):
        con.execute("DELETE FROM touchpoint_aliases WHERE study_id = ?", [sid])
        for row in rows:
            con.execute(
                """INSERT INTO touchpoints (study_id, name, first_seen, phase, channel, contact, department, manager, target,
                                            benchmark, moment_of_truth, pain_points)
                   VALUES (?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (study_id, name) DO UPDATE SET phase = excluded.phase, channel = excluded.channel,
                       contact = excluded.contact, department = excluded.department, manager = excluded.manager,
                       target = excluded.target, benchmark = excluded.benchmark,
                       moment_of_truth = excluded.moment_of_truth, pain_points = excluded.pain_points""",
                [sid, row.name, row.phase, row.channel, row.contact, row.department, row.manager, row.target, row.benchmark,
                 row.moment_of_truth, row.pain_points],
            )
            for alias in row.aliases:
                if alias.lower() == row.name.lower():
                    continue
                _refuse_double_ratings(con, sid, alias, row.name)
                con.execute("INSERT INTO touchpoint_aliases (study_id, alias, name) VALUES (?, ?, ?)", [sid, alias.lower(), row.name])
                hit = con.execute(f"SELECT count(*) FROM ratings WHERE lower(touchpoint) = ? AND {in_study}",
                                  [alias.lower(), sid]).fetchone()[0]
                for table in store.TOUCHPOINT_TABLES:
                    con.execute(f"UPDATE {table} SET touchpoint = ? WHERE lower(touchpoint) = ? AND {in_study}",
                                [row.name, alias.lower(), sid])
                con.execute("UPDATE actions SET touchpoint = ? WHERE lower(touchpoint) = ? AND study_id = ?",
                            [row.name, alias.lower(), sid])
                gone = con.execute("DELETE FROM touchpoints WHERE lower(name) = ? AND name <> ? AND study_id = ? RETURNING name",
                                   [alias.lower(), row.name, sid]).fetchall()
                if hit or gone:
                    merged.append(alias)
        if merged:
            compact.refresh_study(con, sid)
    return merged


IN_STUDY = "dataset_id IN (SELECT id FROM datasets WHERE study_id = ?)"


def _existing(con: duckdb.DuckDBPyConnection, sid: int, name: str) -> str:
    row = con.execute("SELECT name FROM touchpoints WHERE study_id = ? AND name = ?", [sid, (name or "").strip()]).fetchone()
    if row is None:
        raise TouchpointError("err_tp_missing", name=name)
    return row[0]


def _refuse_double_ratings(con: duckdb.DuckDBPyConnection, sid: int, source: str, target: str) -> None:
    """A touchpoint has at most one rating per respondent (n, the drivers' matrix and every test
    count on it): two touchpoints that one respondent rated both are not merged, whatever their scales."""
    rows = con.execute(
        f"""SELECT d.name, count(*) FROM ratings a JOIN ratings b ON a.dataset_id = b.dataset_id AND a.resp = b.resp
            JOIN datasets d ON d.id = a.dataset_id
            WHERE lower(a.touchpoint) = lower(?) AND lower(b.touchpoint) = lower(?) AND a.{IN_STUDY}
            GROUP BY d.id, d.name ORDER BY d.id""", [source, target, sid]).fetchall()
    if rows:
        raise TouchpointError("err_tp_both_rated", n=sum(int(r[1]) for r in rows), dataset=rows[0][0], source=source,
                              target=target)


def rename(con: duckdb.DuckDBPyConnection, old: str, new: str, study: int | str | None = None) -> str:
    """Rename a touchpoint of the study in all its datasets, measures and aliases; the old name
    becomes an alias, so later waves with the old header land on the new name. Returns the new name."""
    sid = studies.resolve(con, study)
    old = _existing(con, sid, old)
    new = " ".join((new or "").split())
    if not new:
        raise TouchpointError("err_tp_name")
    if new == old:
        return new
    clash = con.execute("""SELECT name FROM touchpoints WHERE study_id = ? AND lower(name) = lower(?) AND name <> ?
                           UNION SELECT name FROM touchpoint_aliases WHERE study_id = ? AND alias = lower(?) AND name <> ?""",
                        [sid, new, old, sid, new, old]).fetchone()
    if clash:
        raise TouchpointError("err_tp_exists", name=new, other=clash[0])
    with store.transaction(con):
        con.execute("""INSERT INTO touchpoints SELECT * REPLACE (? AS name) FROM touchpoints WHERE study_id = ? AND name = ?""",
                    [new, sid, old])
        con.execute("DELETE FROM touchpoints WHERE study_id = ? AND name = ?", [sid, old])
        for table in store.TOUCHPOINT_TABLES:
            con.execute(f"UPDATE {table} SET touchpoint = ? WHERE touchpoint = ? AND {IN_STUDY}", [new, old, sid])
        con.execute("UPDATE actions SET touchpoint = ? WHERE touchpoint = ? AND study_id = ?", [new, old, sid])
        con.execute("DELETE FROM touchpoint_aliases WHERE study_id = ? AND alias = lower(?)", [sid, new])
        con.execute("UPDATE touchpoint_aliases SET name = ? WHERE study_id = ? AND name = ?", [new, sid, old])
        if old.lower() != new.lower():
            con.execute("INSERT INTO touchpoint_aliases VALUES (?, lower(?), ?) ON CONFLICT DO UPDATE SET name = excluded.name",
                        [sid, old, new])
        compact.refresh_study(con, sid)
    return new


def merge(con: duckdb.DuckDBPyConnection, source: str, target: str, study: int | str | None = None) -> str:
    """Merge touchpoint ``source`` into ``target`` (two names of one touchpoint): its ratings,
    "don't know" answers, measures and aliases move to ``target``, its name becomes an alias of it.
    ``target``'s classification is kept; fields it lacks are taken from ``source``. Refused when a
    respondent rated both (:func:`_refuse_double_ratings`). Ratings keep their own scales: a
    touchpoint asked on two scales is reported once per scale and compares on the 0–100 score."""
    sid = studies.resolve(con, study)
    source, target = _existing(con, sid, source), _existing(con, sid, target)
    if source == target:
        raise TouchpointError("err_tp_same", name=source)
    _refuse_double_ratings(con, sid, source, target)
    fill = ", ".join(f"{c} = coalesce(t.{c}, s.{c})" for c in INVENTORY_FIELDS)
    with store.transaction(con):
        con.execute(f"""UPDATE touchpoints t SET {fill} FROM touchpoints s
                        WHERE t.study_id = ? AND t.name = ? AND s.study_id = t.study_id AND s.name = ?""", [sid, target, source])
        for table in store.TOUCHPOINT_TABLES:
            con.execute(f"UPDATE {table} SET touchpoint = ? WHERE touchpoint = ? AND {IN_STUDY}", [target, source, sid])
        # "don't know" for one name and a rating (or another "don't know") for the other: one answer stays
        con.execute(f"""DELETE FROM dont_know k WHERE k.touchpoint = ? AND k.{IN_STUDY} AND (
                            EXISTS (SELECT 1 FROM ratings r WHERE r.dataset_id = k.dataset_id AND r.resp = k.resp
                                    AND r.touchpoint = k.touchpoint)
                            OR k.rowid > (SELECT min(o.rowid) FROM dont_know o WHERE o.dataset_id = k.dataset_id
                                          AND o.resp = k.resp AND o.touchpoint = k.touchpoint))""", [target, sid])
        con.execute("UPDATE actions SET touchpoint = ? WHERE touchpoint = ? AND study_id = ?", [target, source, sid])
        con.execute("UPDATE touchpoint_aliases SET name = ? WHERE study_id = ? AND name = ?", [target, sid, source])
        con.execute("INSERT INTO touchpoint_aliases VALUES (?, lower(?), ?) ON CONFLICT DO UPDATE SET name = excluded.name",
                    [sid, source, target])
        con.execute("DELETE FROM touchpoints WHERE study_id = ? AND name = ?", [sid, source])
        compact.refresh_study(con, sid)
    return target


#: the classification a merge fills in from the merged touchpoint where the target has none
INVENTORY_FIELDS = ["phase", "channel", "contact", "department", "manager", "target", "benchmark", "pain_points"]


def to_excel(con: duckdb.DuckDBPyConnection, study: int | str | None = None) -> bytes:
    """The study's inventory as an .xlsx sheet for a workshop (formula-like text neutralised with an
    apostrophe that :func:`from_excel` takes off again: the round trip keeps every name as it was)."""
    frame = load(con, study)[FIELDS]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(FIELDS)
    for record in frame.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and np.isnan(v)) or v is None or v is pd.NA else neutralise_reversibly(v)
                   for v in record])
    ws.freeze_panes = "A2"
    meta = wb.create_sheet("Phasen")
    for phase in phases(con, study):
        meta.append([phase])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def from_excel(con: duckdb.DuckDBPyConnection, data: bytes, study: int | str | None = None) -> list[str]:
    """Read a filled-in inventory sheet and :func:`save` it into the study (all or nothing). A zip
    bomb is refused before fastexcel unpacks anything (as for a survey export)."""
    from tpm.workbook import ZipTooLarge, unzipped_size

    try:
        if data.startswith(b"PK\x03\x04"):
            unzipped_size(data)
    except ZipTooLarge as exc:
        raise InventoryFileError(exc.problem) from None
    except zipfile.BadZipFile:
        raise InventoryError("the inventory file cannot be read; use the exported .xlsx as template") from None
    try:
        reader = fastexcel.read_excel(data)
        sheet = SHEET if SHEET in reader.sheet_names else reader.sheet_names[0]
        table = reader.load_sheet(sheet, dtypes="string").to_arrow()
    except Exception:
        raise InventoryError("the inventory file cannot be read; use the exported .xlsx as template") from None
    frame = table.to_pandas().map(restore)  # the apostrophes to_excel added
    missing = [f for f in ("name",) if f not in frame.columns]
    if missing:
        raise InventoryError(f"the sheet '{sheet}' has no column 'name'; use the exported .xlsx as template")
    for field in FIELDS:
        if field not in frame.columns:
            frame[field] = None
    return save(con, frame[FIELDS], study)
