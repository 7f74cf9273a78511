"""Deterministic generator for the second sample study: a transactional hotline survey.

Nordlicht asks callers of its service hotline right after the call (a second survey programme
beside the relationship survey of ``generate.py``): five aspects of the call on a 1–5 scale and
the recommendation (0–10), in two quarterly waves. Planted structure, for tests:

* latent call experience ``g ~ N(0, 1)``; aspect ``x_a = MU[a] + 0.8 g + N(0, 0.8)``, shown as
  ``clip(round(x_a), 1, 5)``;
* :data:`WAVE_EFFECT`: the waiting time improves by 0.8 scale points in Q4 (a new call-back service);
* recommendation ``clip(round(7.3 + 1.6 · z_first + 0.6 · z_friendly + 0.8 g + N(0, 1.2)), 0, 10)``:
  :data:`DRIVER` (first-contact resolution) drives it most.

Run ``python sample_surveys/generate_hotline.py`` to (re)write ``hotline/`` byte for byte the same.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import pathlib

import numpy as np

SEED = 20261126
ASPECTS = ["Erreichbarkeit", "Wartezeit", "Freundlichkeit", "Fachkompetenz", "Lösung beim ersten Kontakt"]
MU = {"Erreichbarkeit": 3.6, "Wartezeit": 2.9, "Freundlichkeit": 4.2, "Fachkompetenz": 3.8, "Lösung beim ersten Kontakt": 3.3}
DRIVER = "Lösung beim ersten Kontakt"
WAVE_EFFECT = {"aspect": "Wartezeit", "delta": 0.8, "wave": 2}
REASONS = (["Reklamation", "Bestellung", "Rechnung", "Technik"], [0.30, 0.25, 0.20, 0.25])
FILES = {1: "servicehotline_2026_q3.csv", 2: "servicehotline_2026_q4.csv"}
WAVES = {1: (240, dt.date(2026, 7, 1), dt.date(2026, 9, 30)), 2: (260, dt.date(2026, 10, 1), dt.date(2026, 12, 20))}
NPS_HEADER = "Wie wahrscheinlich ist es, dass Sie unseren Service weiterempfehlen? (0-10)"
HEADER = ["Antwort-ID", "Datum", "Anliegen", "Kundenart", *[f"{a} (1-5)" for a in ASPECTS], NPS_HEADER]
OUT_DIR = pathlib.Path(__file__).resolve().parent / "hotline"


def simulate(wave: int) -> list[list]:
    rng = np.random.default_rng([SEED, wave])
    n, first, last = WAVES[wave]
    days = np.sort(rng.integers(0, (last - first).days + 1, n))
    rows = []
    for i in range(n):
        g = rng.normal()
        shift = {WAVE_EFFECT["aspect"]: WAVE_EFFECT["delta"]} if wave >= WAVE_EFFECT["wave"] else {}
        latent = {a: MU[a] + shift.get(a, 0) + 0.8 * g + rng.normal(0, 0.8) for a in ASPECTS}
        z = {a: (latent[a] - MU[a]) / 1.13 for a in ASPECTS}
        nps = int(np.clip(round(7.3 + 1.6 * z[DRIVER] + 0.6 * z["Freundlichkeit"] + 0.8 * g + rng.normal(0, 1.2)), 0, 10))
        rows.append([f"H{wave}-{i + 1:04d}", (first + dt.timedelta(days=int(days[i]))).isoformat(),
                     str(rng.choice(REASONS[0], p=REASONS[1])), "B2B" if rng.random() < 0.25 else "B2C",
                     *[int(np.clip(round(latent[a]), 1, 5)) for a in ASPECTS], nps])
    return rows


def write_csv(rows: list[list], path: pathlib.Path) -> None:
    """A "CSV UTF-8" export: comma, UTF-8 with BOM, ISO dates."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    path.write_bytes(("\ufeff" + buffer.getvalue()).encode("utf-8"))


def generate(out_dir: pathlib.Path = OUT_DIR) -> dict[str, pathlib.Path]:
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for wave, name in FILES.items():
        write_csv(simulate(wave), out_dir / name)
        written[name] = out_dir / name
    return written


if __name__ == "__main__":
    for name, path in generate().items():
        print(f"{name}: {path.stat().st_size:,} bytes")
