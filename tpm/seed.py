"""Seed an empty database with the sample surveys in ``sample_surveys/`` (first start)."""

from __future__ import annotations

import re
from pathlib import Path

from tpm import store
from tpm.ingest import ingest_bytes

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_surveys"
SAMPLE_SUFFIXES = {".xlsx", ".csv"}


def sample_files(directory: Path = SAMPLE_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*") if p.suffix.lower() in SAMPLE_SUFFIXES)


def dataset_name(path: Path) -> str:
    """"kundenbefragung_2026_welle1.xlsx" → "Kundenbefragung 2026 Welle 1"."""
    words = re.sub(r"(welle|wave)(\d+)", r"\1 \2", path.stem, flags=re.I).replace("_", " ").split()
    return " ".join(w.capitalize() if w.isalpha() else w for w in words if w.lower() != "export")


def seed_if_empty(con, directory: Path = SAMPLE_DIR) -> list[store.Saved]:
    """Import every sample file if no dataset is stored yet, then the sample inventory and
    measures (``inventory/``); returns the saved datasets."""
    if not store.is_empty(con):
        return []
    saved = []
    for path in sample_files(directory):
        result = ingest_bytes(path.name, path.read_bytes())
        saved.append(store.save_import(con, result, name=dataset_name(path), platform="TPM sample"))
    seed_inventory(con, directory / "inventory", [s.name for s in saved])
    return saved


def seed_inventory(con, directory: Path, waves: list[str]) -> None:
    """The sample company's classified inventory and a few measures (baseline wave by number)."""
    import pandas as pd

    from tpm import actions, inventory

    if (directory / "kontaktpunkte.csv").exists():
        frame = pd.read_csv(directory / "kontaktpunkte.csv", sep=";", dtype=str, keep_default_na=False)
        inventory.save(con, frame)
    if (directory / "massnahmen.csv").exists():
        plan = pd.read_csv(directory / "massnahmen.csv", sep=";", dtype=str, keep_default_na=False)
        for row in plan.itertuples():
            wave = waves[int(row.baseline_wave) - 1]
            actions.create(con, row.touchpoint, row.title, row.problem or None, row.owner or None,
                           pd.Timestamp(row.due).date() if row.due else None, row.status, row.step or None,
                           now=pd.Timestamp(row.due).to_pydatetime() - pd.Timedelta(days=60), baseline_wave=wave)
