"""Seed an empty database with the sample surveys in ``sample_surveys/`` (first start): two studies,
the customer survey (three waves, a classified inventory, measures and a starter code frame of themes for its
comments) and a small transactional hotline survey (``sample_surveys/hotline/``, two waves), so the study picker,
the themes, their impact and the suggested terms show from the start."""

from __future__ import annotations

from pathlib import Path

from tpm import store
from tpm.ingest import ingest_bytes
from tpm.studies import humanise

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_surveys"
SAMPLE_SUFFIXES = {".xlsx", ".csv"}
CUSTOMER_STUDY = "Kundenbefragung 2026"
HOTLINE_STUDY = "Hotline-Befragung 2026"


def sample_files(directory: Path = SAMPLE_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*") if p.suffix.lower() in SAMPLE_SUFFIXES)


def dataset_name(path: Path) -> str:
    """"kundenbefragung_2026_welle1.xlsx" → "Kundenbefragung 2026 Welle 1"."""
    return humanise(path.stem)


def seed_if_empty(con, directory: Path = SAMPLE_DIR) -> list[store.Saved]:
    """Import every sample file if no dataset is stored yet — the hotline study first, so that the
    customer survey is the most recent import (the study a first visitor sees) — then the
    customer survey's inventory, measures and themes (``inventory/``); returns the saved datasets."""
    if not store.is_empty(con):
        return []
    hotline = _import(con, sample_files(directory / "hotline"), HOTLINE_STUDY)
    customer = _import(con, sample_files(directory), CUSTOMER_STUDY)
    if customer:
        seed_inventory(con, directory / "inventory", [s.name for s in customer], customer[0].study_id)
        seed_themes(con, directory / "inventory" / "themen.csv", customer[0].study_id)
    return hotline + customer


def _import(con, paths: list[Path], study: str) -> list[store.Saved]:
    return [store.save_import(con, ingest_bytes(path.name, path.read_bytes()), name=dataset_name(path), platform="TPM sample",
                              study=study) for path in paths]


def seed_inventory(con, directory: Path, waves: list[str], study: int | None = None) -> None:
    """The sample company's classified inventory and a few measures (baseline wave by number)."""
    import pandas as pd

    from tpm import actions, inventory

    if (directory / "kontaktpunkte.csv").exists():
        frame = pd.read_csv(directory / "kontaktpunkte.csv", sep=";", dtype=str, keep_default_na=False)
        inventory.save(con, frame, study)
    if (directory / "massnahmen.csv").exists():
        plan = pd.read_csv(directory / "massnahmen.csv", sep=";", dtype=str, keep_default_na=False)
        for row in plan.itertuples():
            wave = waves[int(row.baseline_wave) - 1]
            actions.create(con, row.touchpoint, row.title, row.problem or None, row.owner or None,
                           pd.Timestamp(row.due).date() if row.due else None, row.status, row.step or None,
                           now=pd.Timestamp(row.due).to_pydatetime() - pd.Timedelta(days=60), baseline_wave=wave,
                           study=study)


def seed_themes(con, path: Path, study: int) -> None:
    """The sample's starter code frame (``themen.csv``: name; label_de; label_en; words, comma-separated; phrases,
    separated by "|" — the rules of :mod:`tpm.text.rules`), coded at once over the study's comments."""
    import pandas as pd

    from tpm.comments.themes import Theme, add_theme

    if not path.exists():
        return
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    for row in frame.itertuples(index=False):
        words = tuple(w.strip() for w in row.words.split(",") if w.strip())
        phrases = tuple(p.strip() for p in row.phrases.split("|") if p.strip())
        add_theme(con, study, Theme(row.name, words=words, phrases=phrases, label_de=row.label_de or None,
                                    label_en=row.label_en or None))
