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
from dataclasses import dataclass

import duckdb
import fastexcel
import numpy as np
import openpyxl
import pandas as pd

from tpm import store, studies
from tpm.report.csv_export import neutralise

DEFAULT_PHASES = ["Vorkauf", "Kauf", "Nutzung", "Service", "Loyalität"]
CHANNELS = ["online", "offline", "mobile"]
CONTACTS = ["direct", "indirect"]
FIELDS = ["name", "aliases", "phase", "channel", "contact", "department", "manager", "target", "benchmark",
          "moment_of_truth", "pain_points"]
SHEET = "Kontaktpunkte"


class InventoryError(ValueError):
    """An invalid inventory edit: names the touchpoint and the field."""


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
                con.execute("INSERT INTO touchpoint_aliases (study_id, alias, name) VALUES (?, ?, ?)", [sid, alias.lower(), row.name])
                hit = con.execute(f"SELECT count(*) FROM ratings WHERE lower(touchpoint) = ? AND {in_study}",
                                  [alias.lower(), sid]).fetchone()[0]
                for table in ("ratings", "dont_know"):
                    con.execute(f"UPDATE {table} SET touchpoint = ? WHERE lower(touchpoint) = ? AND {in_study}",
                                [row.name, alias.lower(), sid])
                con.execute("UPDATE actions SET touchpoint = ? WHERE lower(touchpoint) = ? AND study_id = ?",
                            [row.name, alias.lower(), sid])
                gone = con.execute("DELETE FROM touchpoints WHERE lower(name) = ? AND name <> ? AND study_id = ? RETURNING name",
                                   [alias.lower(), row.name, sid]).fetchall()
                if hit or gone:
                    merged.append(alias)
    return merged


def to_excel(con: duckdb.DuckDBPyConnection, study: int | str | None = None) -> bytes:
    """The study's inventory as an .xlsx sheet for a workshop (formula-like text neutralised)."""
    frame = load(con, study)[FIELDS]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(FIELDS)
    for record in frame.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and np.isnan(v)) or v is None or v is pd.NA else neutralise(v)
                   for v in record])
    ws.freeze_panes = "A2"
    meta = wb.create_sheet("Phasen")
    for phase in phases(con, study):
        meta.append([phase])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def from_excel(con: duckdb.DuckDBPyConnection, data: bytes, study: int | str | None = None) -> list[str]:
    """Read a filled-in inventory sheet and :func:`save` it into the study (all or nothing)."""
    try:
        reader = fastexcel.read_excel(data)
        sheet = SHEET if SHEET in reader.sheet_names else reader.sheet_names[0]
        table = reader.load_sheet(sheet, dtypes="string").to_arrow()
    except Exception:
        raise InventoryError("the inventory file cannot be read; use the exported .xlsx as template") from None
    frame = table.to_pandas()
    missing = [f for f in ("name",) if f not in frame.columns]
    if missing:
        raise InventoryError(f"the sheet '{sheet}' has no column 'name'; use the exported .xlsx as template")
    for field in FIELDS:
        if field not in frame.columns:
            frame[field] = None
    return save(con, frame[FIELDS], study)
