"""German and English labels, and number formatting (German: decimal comma, thousands dot).

``t("nps", "de")`` → "NPS"; unknown keys fall back to the key itself so a missing
translation is visible, not a crash. German is the default language.
"""

from __future__ import annotations

import math

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"

TEXT: dict[str, tuple[str, str]] = {
    # navigation
    "app_title": ("TPM – Touchpoint-Management", "TPM – Touchpoint Management"),
    "page_overview": ("Überblick", "Overview"),
    "page_heatmap": ("Heatmap", "Heatmap"),
    "page_upload": ("Daten hochladen", "Upload data"),
    "language": ("Sprache", "Language"),
    # filters
    "filters": ("Filter", "Filters"),
    "datasets": ("Datensätze", "Datasets"),
    "all_datasets": ("alle Datensätze", "all datasets"),
    "segment_filter_help": ("leer = alle", "empty = all"),
    "no_data": (
        "Noch keine Daten. Laden Sie unter „Daten hochladen“ einen Survey-Export hoch.",
        "No data yet. Upload a survey export on the “Upload data” page.",
    ),
    "no_match": ("Kein Befragter passt zu diesen Filtern.", "No respondent matches these filters."),
    # metrics
    "respondents": ("Befragte", "Respondents"),
    "nps": ("NPS", "NPS"),
    "nps_long": ("Net Promoter Score", "Net Promoter Score"),
    "nps_help": (
        "Anteil Promotoren (9–10) minus Anteil Detraktoren (0–6) auf der 0–10-Weiterempfehlungsfrage; 95-%-Intervall nach adjustiertem Wald.",
        "Share of promoters (9–10) minus share of detractors (0–6) on the 0–10 recommend question; 95% adjusted-Wald interval.",
    ),
    "ci95": ("95-%-KI", "95% CI"),
    "promoters": ("Promotoren (9–10)", "Promoters (9–10)"),
    "passives": ("Passive (7–8)", "Passives (7–8)"),
    "detractors": ("Detraktoren (0–6)", "Detractors (0–6)"),
    "share_pct": ("Anteil der Befragten (%)", "Share of respondents (%)"),
    "nps_mix_title": ("Weiterempfehlung: Promotoren, Passive, Detraktoren", "Recommendation: promoters, passives, detractors"),
    "touchpoint": ("Kontaktpunkt", "Touchpoint"),
    "touchpoints": ("Kontaktpunkte", "Touchpoints"),
    "n": ("n", "n"),
    "mean": ("Mittelwert", "Mean"),
    "scale": ("Skala", "Scale"),
    "score_0_100": ("Score 0–100", "Score 0–100"),
    "top2_box": ("Top-2-Box (%)", "Top-2-box (%)"),
    "bottom2_box": ("Bottom-2-Box (%)", "Bottom-2-box (%)"),
    "nps_raters": ("NPS der Bewertenden", "NPS among raters"),
    "low_base": ("n < 30: mit Vorsicht lesen", "n < 30: read with caution"),
    "ranking_title": ("Zufriedenheit je Kontaktpunkt (Score 0–100, mit 95-%-KI)", "Satisfaction per touchpoint (score 0–100, with 95% CI)"),
    "ranking_x": ("Zufriedenheit, Score 0–100 (100 = bestmöglich)", "Satisfaction, score 0–100 (100 = best possible)"),
    "ranking_caption": (
        "Score 0–100 = (Mittelwert − Skalenminimum) / (Skalenmaximum − Skalenminimum) × 100, damit 1–5- und 1–10-Skalen vergleichbar sind. Graue Balken: weniger als 30 Bewertungen.",
        "Score 0–100 = (mean − scale minimum) / (scale maximum − scale minimum) × 100, so 1–5 and 1–10 scales compare. Grey bars: fewer than 30 ratings.",
    ),
    "table": ("Tabelle", "Table"),
    # heatmap
    "segment": ("Segment", "Segment"),
    "metric": ("Kennzahl", "Metric"),
    "total": ("Gesamt", "Total"),
    "heatmap_title": ("{metric}: Kontaktpunkte × {segment}", "{metric}: touchpoints × {segment}"),
    "heatmap_caption": (
        "Jede Zelle: Kennzahl der Befragten dieses Segments, die den Kontaktpunkt bewertet haben; n und exakter Wert beim Überfahren. Grau: n < 30, zu wenige Antworten für eine belastbare Aussage.",
        "Each cell: the metric among respondents of this segment who rated the touchpoint; n and the exact value on hover. Grey: n < 30, too few answers to rely on.",
    ),
    "no_segments": ("Die Daten enthalten keine Segmente (z. B. Region, Kundenart).", "The data has no segments (e.g. region, customer type)."),
    "grey_cells": ("n < 30 (grau)", "n < 30 (grey)"),
    # upload
    "upload_intro": (
        "Laden Sie einen Survey-Export hoch (Excel .xlsx/.xls oder CSV, eine Zeile je Befragtem). TPM erkennt Kontaktpunkte, Skalen, die NPS-Frage, Segmente und Kommentare. Prüfen und korrigieren Sie die Zuordnung, dann importieren.",
        "Upload a survey export (Excel .xlsx/.xls or CSV, one row per respondent). TPM detects touchpoints, scales, the NPS question, segments and comments. Check and correct the mapping, then import.",
    ),
    "upload_label": ("Survey-Export (.xlsx, .xls, .csv)", "Survey export (.xlsx, .xls, .csv)"),
    "sheet": ("Tabellenblatt", "Sheet"),
    "preview": ("Vorschau (erste 20 Zeilen)", "Preview (first 20 rows)"),
    "mapping": ("Erkannte Zuordnung – bitte prüfen", "Detected mapping – please check"),
    "mapping_help": (
        "Rolle je Spalte: Kontaktpunkt-Bewertung, NPS (0–10), Segment, Kommentar, ID, Datum oder ignorieren. Namen und Skalen sind editierbar.",
        "Role per column: touchpoint rating, NPS (0–10), segment, comment, id, date or ignore. Names and scales are editable.",
    ),
    "column": ("Spalte", "Column"),
    "role": ("Rolle", "Role"),
    "name": ("Name (Kontaktpunkt/Segment)", "Name (touchpoint/segment)"),
    "scale_min": ("Skala von", "Scale from"),
    "scale_max": ("Skala bis", "Scale to"),
    "examples": ("Beispielwerte", "Example values"),
    "dataset_name": ("Name des Datensatzes", "Dataset name"),
    "wave": ("Welle", "Wave"),
    "import": ("Importieren", "Import"),
    "imported": ("Importiert als Datensatz „{name}“: {respondents} Befragte, {touchpoints} Kontaktpunkte.", "Imported as dataset “{name}”: {respondents} respondents, {touchpoints} touchpoints."),
    "duplicate": ("Diese Datei ist bereits als Datensatz „{name}“ gespeichert – nichts wurde doppelt importiert.", "This file is already stored as dataset “{name}” – nothing was imported twice."),
    "import_failed": ("Import nicht möglich – nichts wurde gespeichert: {error}", "Cannot import – nothing was stored: {error}"),
    "reading": ("Datei wird gelesen …", "Reading the file …"),
    "detecting": ("Spalten werden erkannt …", "Detecting columns …"),
    "validating": ("Werte werden geprüft …", "Checking values …"),
    "storing": ("Wird in DuckDB gespeichert …", "Storing in DuckDB …"),
    "understood": ("Verstanden: {respondents} Befragte, {touchpoints} Kontaktpunkte, NPS-Spalte: {nps}, Segmente: {segments}.", "Understood: {respondents} respondents, {touchpoints} touchpoints, NPS column: {nps}, segments: {segments}."),
    "stored_datasets": ("Gespeicherte Datensätze", "Stored datasets"),
    "delete": ("Datensatz löschen", "Delete dataset"),
    "delete_pick": ("Datensatz", "Dataset"),
    "delete_confirm": ("Ja, „{name}“ mit allen Antworten endgültig löschen", "Yes, delete “{name}” with all its responses"),
    "deleted": ("Datensatz „{name}“ gelöscht.", "Dataset “{name}” deleted."),
    "none": ("keine", "none"),
    "source_file": ("Datei", "File"),
    "uploaded_at": ("Hochgeladen am (UTC)", "Uploaded at (UTC)"),
    "ratings": ("Bewertungen", "Ratings"),
    "role_id": ("ID", "id"),
    "role_date": ("Datum", "date"),
    "role_rating": ("Kontaktpunkt-Bewertung", "touchpoint rating"),
    "role_nps": ("NPS (0–10)", "NPS (0–10)"),
    "role_segment": ("Segment", "segment"),
    "role_comment": ("Kommentar", "comment"),
    "role_ignore": ("ignorieren", "ignore"),
}


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    """The label for ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    pair = TEXT.get(key)
    text = key if pair is None else pair[0 if lang == "de" else 1]
    return text.format(**values) if values else text


def fmt_number(value: float | None, decimals: int = 1, lang: str = DEFAULT_LANGUAGE, signed: bool = False) -> str:
    """1234.5 → "1.234,5" (de) / "1,234.5" (en); NaN/None → "–"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:{'+' if signed else ''},.{decimals}f}"
    if lang == "de":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text.replace("-", "−")


def plotly_separators(lang: str) -> str:
    """Plotly's ``layout.separators``: decimal then thousands separator."""
    return ",." if lang == "de" else ".,"
