"""Deterministic generator for the TPM sample survey exports.

Creates three waves of a fictional customer survey of "Nordlicht Haushaltsgeräte
GmbH" (two Excel exports, one "German Excel" CSV) with a *known, planted*
structure, so that the dashboard's analyses can be checked against the truth.

Data model (per respondent, per wave):

* latent general satisfaction ``g ~ N(0, 1)``;
* latent experience per touchpoint ``x_t = mu_t + g + e_t`` with
  ``e_t ~ N(0, 1.3)``; ``mu_t`` from :data:`MU`, shifted by
  :data:`SEGMENT_GAP` (Region Ost, Lieferung -1.8) and :data:`WAVE_EFFECT`
  (Hotline +1.2 from wave 2 on);
* shown rating ``clip(round(x_t), 1, 10)``, only if the touchpoint was used
  (probabilities :data:`USAGE` / :data:`USAGE_OVERRIDES`), otherwise empty;
* recommendation (0-10) ``clip(round(NPS_INTERCEPT + sum_d w_d * z_d
  + NPS_G * g + N(0, NPS_NOISE)), 0, 10)`` with ``z_d = (x_d - MU[d]) / LATENT_SD``
  for the :data:`DRIVERS` only (latent, i.e. also for non-users). ``MU`` is the
  wave-1 baseline, so the better Hotline of waves 2/3 and the worse Lieferung of
  Region Ost also move the recommendation score.

Run ``python sample_surveys/generate.py`` to (re)write the files next to this
script; the output is byte-identical on every run.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import pathlib
import re
import zipfile

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font

SEED = 20261125
COMPANY = "Nordlicht Haushaltsgeräte GmbH"
FIXED_TIMESTAMP = dt.datetime(2026, 11, 25, 12, 0, 0)  # xlsx metadata + zip entry times

TOUCHPOINTS = [
    "Website", "Online-Werbung", "Bewertungsportale", "Newsletter", "Filiale",
    "Onlineshop", "Außendienst", "Lieferung", "Rechnung", "App", "Hotline",
    "Reklamation", "E-Mail-Support", "Chat", "Kundenkarte", "Kundenmagazin",
]
MU = {  # wave-1 baseline mean of the latent experience (1-10 scale)
    "Website": 7.8, "Online-Werbung": 6.6, "Bewertungsportale": 7.2, "Newsletter": 6.4,
    "Filiale": 7.9, "Onlineshop": 7.6, "Außendienst": 8.3, "Lieferung": 7.0,
    "Rechnung": 6.8, "App": 7.1, "Hotline": 6.0, "Reklamation": 5.5,
    "E-Mail-Support": 6.5, "Chat": 6.9, "Kundenkarte": 7.4, "Kundenmagazin": 6.7,
}
USAGE = {  # default probability that a respondent used (and rated) the touchpoint
    "Website": 0.85, "Online-Werbung": 0.40, "Bewertungsportale": 0.30, "Newsletter": 0.35,
    "Filiale": 0.50, "Onlineshop": 0.55, "Außendienst": 0.25, "Lieferung": 0.70,
    "Rechnung": 0.75, "App": 0.30, "Hotline": 0.45, "Reklamation": 0.18,
    "E-Mail-Support": 0.25, "Chat": 0.12, "Kundenkarte": 0.20, "Kundenmagazin": 0.05,
}
USAGE_OVERRIDES = {  # touchpoint -> (segment column, {segment value: probability})
    "Filiale": ("Kanal", {"Online": 0.30, "Filiale": 0.85, "Telefon": 0.45}),
    "Onlineshop": ("Kanal", {"Online": 0.82, "Filiale": 0.30, "Telefon": 0.30}),
    "Außendienst": ("Kundenart", {"B2B": 0.25, "B2C": 0.03}),
}
NOISE_SD = 1.3
LATENT_SD = math.sqrt(1.0 + NOISE_SD**2)  # sd of x_t within a segment and wave
DRIVERS = ["Hotline", "Lieferung", "Reklamation"]  # ordered by planted importance
NPS_WEIGHTS = {"Hotline": 1.1, "Lieferung": 0.85, "Reklamation": 0.6}
NPS_INTERCEPT = 8.0
NPS_G = 0.35
NPS_NOISE = 1.2
SEGMENT_GAP = {"segment": "Region", "value": "Ost", "touchpoint": "Lieferung", "delta": -1.8}
WAVE_EFFECT = {"touchpoint": "Hotline", "delta": 1.2, "from_wave": 1, "to_wave": 2}

NPS_HEADER = ("Wie wahrscheinlich ist es, dass Sie Nordlicht einem Freund oder "
              "Kollegen weiterempfehlen? (0-10)")
XLSX_RATING_HEADER = "Wie zufrieden sind Sie mit: {}?"
CSV_RATING_HEADER = "Zufriedenheit {} (1-10)"
META_HEADERS = ["Bestellwert (EUR)", "Dauer (Sek.)", "Anmerkungen"]
FILES = {
    1: "kundenbefragung_2026_welle1.xlsx",
    2: "kundenbefragung_2026_welle2.xlsx",
    3: "kundenbefragung_2026_welle3_export.csv",
}
WAVES = {  # wave -> (respondents, first date, last date)
    1: (1500, dt.date(2026, 1, 5), dt.date(2026, 3, 27)),
    2: (1500, dt.date(2026, 4, 6), dt.date(2026, 6, 26)),
    3: (800, dt.date(2026, 7, 6), dt.date(2026, 9, 25)),
}
SEGMENTS = {  # column -> (values, probabilities)
    "Region": (["Nord", "Süd", "Ost", "West"], [0.30, 0.30, 0.15, 0.25]),
    "Kundenart": (["B2B", "B2C"], [0.30, 0.70]),
    "Altersgruppe": (["18–29", "30–44", "45–59", "60+"], [0.20, 0.30, 0.28, 0.22]),
    "Kanal": (["Online", "Filiale", "Telefon"], [0.50, 0.30, 0.20]),
}
COMMENT_RATE = 0.25
XLSX_DONT_KNOW_RATE = 0.015  # share of used ratings shown as "weiß nicht" in the xlsx waves
CSV_CODE_RATE = 0.03  # share of used ratings shown as "k.A." and, again, as "weiß nicht" in the CSV
NPS_MISSING_RATE = 0.02  # recommend answer "weiß nicht" (xlsx) / "k.A." (CSV)

# Comment building blocks: two alternative sentences per touchpoint (no final full stop).
NEGATIVE = {  # used for the worst-rated touchpoint (rating <= 4)
    "Website": ("Die Website ist unübersichtlich", "Auf der Website findet man kaum etwas"),
    "Online-Werbung": ("Die Online-Werbung nervt", "Zu viel aufdringliche Werbung im Netz"),
    "Bewertungsportale": ("Die Bewertungen im Netz haben mich verunsichert",
                          "Auf Bewertungsportalen wird nicht auf Kritik reagiert"),
    "Newsletter": ("Der Newsletter kommt viel zu oft", "Newsletter abbestellen klappt nicht"),
    "Filiale": ("In der Filiale fühlte sich niemand zuständig",
                "Filiale schlecht besetzt, lange Wartezeit"),
    "Onlineshop": ("Im Onlineshop brach der Bezahlvorgang ab",
                   "Der Onlineshop zeigt falsche Verfügbarkeiten"),
    "Außendienst": ("Der Außendienst meldet sich nie zurück",
                    "Außendienst-Termin wurde zweimal verschoben"),
    "Lieferung": ("Die Lieferung kam zwei Tage zu spät", "Das Gerät wurde beschädigt geliefert"),
    "Rechnung": ("Rechnung war unverständlich – bitte übersichtlicher gestalten",
                 "Die Rechnung enthielt einen falschen Betrag"),
    "App": ("Die App stürzt ständig ab", "Der Login in der App funktioniert nur jedes zweite Mal"),
    "Hotline": ("Hotline sehr freundlich, aber lange Warteschleife", "Bei der Hotline 40 Minuten gewartet"),
    "Reklamation": ("Die Reklamation dauerte über sechs Wochen",
                    "Reklamation erst abgelehnt, dann doch akzeptiert"),
    "E-Mail-Support": ("Auf meine E-Mail kam nie eine Antwort",
                       "Der E-Mail-Support antwortet nur mit Textbausteinen"),
    "Chat": ("Der Chatbot versteht keine einfachen Fragen", "Im Chat wurde ich dreimal weitergeleitet"),
    "Kundenkarte": ("Die Punkte der Kundenkarte wurden nicht gutgeschrieben",
                    "Die Kundenkarte bringt kaum Vorteile"),
    "Kundenmagazin": ("Das Kundenmagazin ist reine Werbung", "Das Kundenmagazin kommt unregelmäßig"),
}
POSITIVE = {  # used for the best-rated touchpoint (rating >= 9)
    "Website": ("Die Website ist übersichtlich", "Auf der Website findet man alles schnell"),
    "Online-Werbung": ("Die Werbung hat mich auf ein tolles Angebot gebracht",
                       "Gute Angebote in der Online-Werbung"),
    "Bewertungsportale": ("Die guten Bewertungen im Netz stimmen",
                          "Auf Bewertungsportalen wird schnell reagiert"),
    "Newsletter": ("Der Newsletter enthält nützliche Tipps", "Newsletter mit echten Rabatten"),
    "Filiale": ("Sehr kompetente Beratung in der Filiale", "In der Filiale nimmt man sich Zeit"),
    "Onlineshop": ("Bestellung im Onlineshop ging schnell und einfach",
                   "Onlineshop übersichtlich, Bezahlung problemlos"),
    "Außendienst": ("Unser Außendienstmitarbeiter ist sehr zuverlässig",
                    "Der Außendienst kennt unsere Anforderungen genau"),
    "Lieferung": ("Lieferung pünktlich, Altgerät gleich mitgenommen",
                  "Die Lieferung kam sogar einen Tag früher"),
    "Rechnung": ("Rechnung klar und verständlich", "Die Rechnung kam sofort per E-Mail"),
    "App": ("Die App ist sehr praktisch", "Mit der App behalte ich alle Bestellungen im Blick"),
    "Hotline": ("Die Hotline hat mein Problem sofort gelöst",
                "An der Hotline freundlich und kompetent beraten"),
    "Reklamation": ("Reklamation schnell und unkompliziert bearbeitet",
                    "Das Ersatzgerät kam innerhalb von drei Tagen"),
    "E-Mail-Support": ("Schnelle Antwort vom E-Mail-Support",
                       "Der E-Mail-Support hat ausführlich geantwortet"),
    "Chat": ("Im Chat wurde mir sofort geholfen", "Chat-Beratung schnell und freundlich"),
    "Kundenkarte": ("Die Kundenkarte lohnt sich", "Mit der Kundenkarte schon viel gespart"),
    "Kundenmagazin": ("Das Kundenmagazin lese ich gern", "Schöne Rezepte im Kundenmagazin"),
}
NEG_TAIL = ["Das muss besser werden.", "Schade, sonst bin ich zufrieden.", "So verliert man Kunden!",
            "Bitte dringend verbessern.", "Ich überlege, zur Konkurrenz zu wechseln.",
            "Für den Preis erwarte ich mehr."]
POS_TAIL = ["Alles bestens, gerne wieder!", "Weiter so!", "Bin sehr zufrieden.", "Klare Empfehlung.",
            "Danke an das ganze Team."]
NEUTRAL = ["Alles in Ordnung.", "Keine besonderen Vorkommnisse.",
           "Nichts zu beanstanden, aber auch nichts Besonderes."]
# Rare variants (~5%) with ";" and '"' so CSV readers must cope with quoted fields.
RARE = {
    "neg": ['Antwort des Mitarbeiters: "Da kann man nichts machen."', "Fazit: Produkt gut; Service mangelhaft."],
    "pos": ['Mein Fazit: "Jederzeit wieder."'],
    "neutral": ["Preis-Leistung passt; Service durchschnittlich."],
}
RARE_RATE = 0.05


def _comment(rng: np.random.Generator, ratings: dict[str, int]) -> str:
    """Compose a plausible comment from the respondent's worst/best rated touchpoint."""
    def pick(seq: list[str] | tuple[str, ...], rare: str | None = None) -> str:
        if rare is not None and rng.random() < RARE_RATE:
            seq = RARE[rare]
        return seq[int(rng.integers(len(seq)))]

    sep = "\n" if rng.random() < 0.03 else " "  # a few multi-line comments
    if not ratings:
        return pick(NEUTRAL, "neutral")
    worst = min(ratings, key=lambda t: (ratings[t], TOUCHPOINTS.index(t)))
    best = max(ratings, key=lambda t: (ratings[t], -TOUCHPOINTS.index(t)))
    if ratings[worst] <= 4:
        if ratings[best] >= 9 and rng.random() < 0.35:
            return f"{pick(POSITIVE[best])}.{sep}Aber: {pick(NEGATIVE[worst])}."
        return f"{pick(NEGATIVE[worst])}.{sep}{pick(NEG_TAIL, 'neg')}"
    if ratings[best] >= 9:
        return f"{pick(POSITIVE[best])}.{sep}{pick(POS_TAIL, 'pos')}"
    return pick(NEUTRAL, "neutral")


def simulate(wave: int) -> list[dict]:
    """Draw one wave; returns one dict per respondent (ratings None = not used)."""
    rng = np.random.default_rng([SEED, wave])
    n, first, last = WAVES[wave]
    days = np.sort(rng.integers(0, (last - first).days + 1, n))
    seg = {col: rng.choice(vals, size=n, p=p) for col, (vals, p) in SEGMENTS.items()}
    g = rng.normal(0.0, 1.0, n)
    base = np.array([MU[t] for t in TOUCHPOINTS])
    mu = np.tile(base, (n, 1))
    mu[seg[SEGMENT_GAP["segment"]] == SEGMENT_GAP["value"],
       TOUCHPOINTS.index(SEGMENT_GAP["touchpoint"])] += SEGMENT_GAP["delta"]
    if wave >= WAVE_EFFECT["to_wave"]:
        mu[:, TOUCHPOINTS.index(WAVE_EFFECT["touchpoint"])] += WAVE_EFFECT["delta"]
    x = mu + g[:, None] + rng.normal(0.0, NOISE_SD, (n, len(TOUCHPOINTS)))
    rating = np.clip(np.rint(x), 1, 10).astype(int)
    p_use = np.tile([USAGE[t] for t in TOUCHPOINTS], (n, 1))
    for t, (col, probs) in USAGE_OVERRIDES.items():
        p_use[:, TOUCHPOINTS.index(t)] = [probs[v] for v in seg[col]]
    used = rng.random(p_use.shape) < p_use
    z = (x - base) / LATENT_SD
    rec = NPS_INTERCEPT + NPS_G * g + rng.normal(0.0, NPS_NOISE, n)
    for d, w in NPS_WEIGHTS.items():
        rec += w * z[:, TOUCHPOINTS.index(d)]
    rec = np.clip(np.rint(rec), 0, 10).astype(int)
    csv_wave = FILES[wave].endswith(".csv")  # the CSV uses "k.A." and "weiß nicht", xlsx "weiß nicht"
    u_rating, u_nps = rng.random(used.shape), rng.random(n)
    order_value = np.where(seg["Kundenart"] == "B2B", rng.lognormal(math.log(480), 0.8, n),
                           rng.lognormal(math.log(150), 0.8, n))
    order_value = np.round(np.clip(order_value, 23.5, 4000.0), 2)
    duration = np.clip(np.rint(rng.lognormal(math.log(420), 0.45, n)), 90, 1800).astype(int)
    has_comment = rng.random(n) < COMMENT_RATE
    rows = []
    for i in range(n):
        ratings: dict[str, int | str | None] = {}
        for j, t in enumerate(TOUCHPOINTS):
            if not used[i, j]:
                ratings[t] = None
            elif csv_wave and u_rating[i, j] < 2 * CSV_CODE_RATE:
                ratings[t] = "k.A." if u_rating[i, j] < CSV_CODE_RATE else "weiß nicht"
            elif not csv_wave and u_rating[i, j] < XLSX_DONT_KNOW_RATE:
                ratings[t] = "weiß nicht"
            else:
                ratings[t] = int(rating[i, j])
        numeric = {t: r for t, r in ratings.items() if isinstance(r, int)}
        rows.append({
            "Befragten-ID": f"W{wave}-{i + 1:05d}",
            "Datum": first + dt.timedelta(days=int(days[i])),
            **{col: str(vals[i]) for col, vals in seg.items()},
            "ratings": ratings,
            "nps": (("k.A." if csv_wave else "weiß nicht") if u_nps[i] < NPS_MISSING_RATE else int(rec[i])),
            "Bestellwert (EUR)": float(order_value[i]),
            "Dauer (Sek.)": int(duration[i]),
            "Anmerkungen": _comment(rng, numeric) if has_comment[i] else None,
        })
    return rows


def _header(rating_header: str) -> list[str]:
    return (["Befragten-ID", "Datum", *SEGMENTS]
            + [rating_header.format(t) for t in TOUCHPOINTS] + [NPS_HEADER, *META_HEADERS])


def _values(row: dict) -> list:
    return ([row["Befragten-ID"], row["Datum"], *(row[c] for c in SEGMENTS)]
            + [row["ratings"][t] for t in TOUCHPOINTS] + [row["nps"]]
            + [row[h] for h in META_HEADERS])


def write_xlsx(rows: list[dict], path: pathlib.Path) -> None:
    """Write an Excel export (sheet "Export") with stable bytes."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Export"
    ws.append(_header(XLSX_RATING_HEADER))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = _values(row)
        values[1] = dt.datetime.combine(values[1], dt.time())
        ws.append(values)
    for (cell,) in ws.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.number_format = "DD.MM.YYYY"
    ws.freeze_panes = "A2"
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 11
    wb.properties.creator = COMPANY
    wb.properties.title = "Kundenbefragung 2026"
    wb.properties.created = FIXED_TIMESTAMP
    buf = io.BytesIO()
    wb.save(buf)  # openpyxl stamps "modified" with now(); normalise it and the zip times
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP.timetuple()[:6])
            dst.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)


def _german_number(value: float) -> str:
    return f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def write_csv(rows: list[dict], path: pathlib.Path) -> None:
    """Write a "German Excel" CSV: ';', cp1252, CRLF, dd.mm.yyyy, decimal comma."""
    with open(path, "w", encoding="cp1252", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(_header(CSV_RATING_HEADER))
        for row in rows:
            values = _values(row)
            values[1] = values[1].strftime("%d.%m.%Y")
            values[-3] = _german_number(values[-3])
            writer.writerow(["" if v is None else v for v in values])


def generate(out_dir: pathlib.Path) -> dict[str, pathlib.Path]:
    """Generate all waves into ``out_dir``; returns {file name: path}."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for wave, name in FILES.items():
        path = out_dir / name
        (write_csv if name.endswith(".csv") else write_xlsx)(simulate(wave), path)
        written[name] = path
    return written


def main() -> None:
    for name, path in generate(pathlib.Path(__file__).resolve().parent).items():
        print(f"{name}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
