"""The touchpoint inventory (Ist-Analyse): every touchpoint with its journey phase, channel,
contact type, owning department, touchpoint manager, target (Soll) and best-in-class benchmark
on the 0–100 score, moment-of-truth flag and pain-point notes — persisted in DuckDB, kept
across re-uploads.

New touchpoints from an upload join the inventory unclassified ("to classify"). *Aliases* are
other survey spellings of the same touchpoint ("Telefon-Hotline", "Kundenservice (Telefon)"):
declaring one renames the ratings already stored under it and every future import maps it.
The inventory travels as an Excel sheet (:func:`to_excel` / :func:`from_excel`) so that a
workshop can fill it in.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import duckdb
import fastexcel
import numpy as np
import openpyxl
import pandas as pd

from tpm import store
from tpm.report.csv_export import neutralise

DEFAULT_PHASES = ["Vorkauf", "Kauf", "Nutzung", "Service", "Loyalität"]
CHANNELS = ["online", "offline", "mobile"]
CONTACTS = ["direct", "indirect"]
FIELDS = ["name", "aliases", "phase", "channel", "contact", "department", "manager", "target", "benchmark",
          "moment_of_truth", "pain_points"]
SHEET = "Kontaktpunkte"


class InventoryError(ValueError):
    """An invalid inventory edit: names the touchpoint and the field."""


def phases(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The journey phases in order (configurable; default Vorkauf / Kauf / Nutzung / Service / Loyalität)."""
    row = con.execute("SELECT value FROM meta WHERE key = 'phases'").fetchone()
    return json.loads(row[0]) if row else list(DEFAULT_PHASES)


def set_phases(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    names = [n.strip() for n in names if n and n.strip()]
    if not names or len(set(names)) != len(names):
        raise InventoryError("phases must be distinct and not empty")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('phases', ?)", [json.dumps(names, ensure_ascii=False)])


def load(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The inventory, one row per touchpoint (columns :data:`FIELDS` + ``classified``), by phase then name."""
    frame = con.execute(
        """SELECT t.name, coalesce(string_agg(a.alias, '; ' ORDER BY a.alias), '') AS aliases, t.phase, t.channel,
                  t.contact, t.department, t.manager, t.target, t.benchmark, coalesce(t.moment_of_truth, false) AS moment_of_truth,
                  t.pain_points
           FROM touchpoints t LEFT JOIN touchpoint_aliases a ON a.name = t.name
           GROUP BY ALL ORDER BY t.name"""
    ).df()
    order = {p: i for i, p in enumerate(phases(con))}
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


def save(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> list[str]:
    """Validate and store the whole inventory in one transaction; returns the touchpoints merged
    into others through aliases. Ratings stored under an alias are renamed to its touchpoint."""
    rows = validate(frame, phases(con))
    merged = []
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM touchpoint_aliases")
        for row in rows:
            con.execute(
                """INSERT INTO touchpoints (name, first_seen, phase, channel, contact, department, manager, target, benchmark,
                                            moment_of_truth, pain_points)
                   VALUES (?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET phase = excluded.phase, channel = excluded.channel,
                       contact = excluded.contact, department = excluded.department, manager = excluded.manager,
                       target = excluded.target, benchmark = excluded.benchmark,
                       moment_of_truth = excluded.moment_of_truth, pain_points = excluded.pain_points""",
                [row.name, row.phase, row.channel, row.contact, row.department, row.manager, row.target, row.benchmark,
                 row.moment_of_truth, row.pain_points],
            )
            for alias in row.aliases:
                if alias.lower() == row.name.lower():
                    continue
                con.execute("INSERT INTO touchpoint_aliases VALUES (?, ?)", [alias.lower(), row.name])
                hit = con.execute("SELECT count(*) FROM ratings WHERE lower(touchpoint) = ?", [alias.lower()]).fetchone()[0]
                con.execute("UPDATE ratings SET touchpoint = ? WHERE lower(touchpoint) = ?", [row.name, alias.lower()])
                con.execute("UPDATE dont_know SET touchpoint = ? WHERE lower(touchpoint) = ?", [row.name, alias.lower()])
                con.execute("UPDATE actions SET touchpoint = ? WHERE lower(touchpoint) = ?", [row.name, alias.lower()])
                gone = con.execute("DELETE FROM touchpoints WHERE lower(name) = ? AND name <> ? RETURNING name",
                                   [alias.lower(), row.name]).fetchall()
                if hit or gone:
                    merged.append(alias)
        store.bump_version(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return merged


def to_excel(con: duckdb.DuckDBPyConnection) -> bytes:
    """The inventory as an .xlsx sheet for a workshop (formula-like text neutralised)."""
    frame = load(con)[FIELDS]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(FIELDS)
    for record in frame.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and np.isnan(v)) or v is None or v is pd.NA else neutralise(v)
                   for v in record])
    ws.freeze_panes = "A2"
    meta = wb.create_sheet("Phasen")
    for phase in phases(con):
        meta.append([phase])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def from_excel(con: duckdb.DuckDBPyConnection, data: bytes) -> list[str]:
    """Read a filled-in inventory sheet and :func:`save` it (all or nothing)."""
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
    return save(con, frame[FIELDS])
