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
    "low_base": ("n < {min_test}: mit Vorsicht lesen", "n < {min_test}: read with caution"),
    "ranking_title": ("Zufriedenheit je Kontaktpunkt (Score 0–100, mit 95-%-KI)", "Satisfaction per touchpoint (score 0–100, with 95% CI)"),
    "ranking_x": ("Zufriedenheit, Score 0–100 (100 = bestmöglich)", "Satisfaction, score 0–100 (100 = best possible)"),
    "ranking_caption": (
        "Score 0–100 = (Mittelwert − Skalenminimum) / (Skalenmaximum − Skalenminimum) × 100, damit 1–5- und 1–10-Skalen vergleichbar sind. Graue Balken: weniger als {min_test} Bewertungen.",
        "Score 0–100 = (mean − scale minimum) / (scale maximum − scale minimum) × 100, so 1–5 and 1–10 scales compare. Grey bars: fewer than {min_test} ratings.",
    ),
    "table": ("Tabelle", "Table"),
    # heatmap
    "segment": ("Segment", "Segment"),
    "metric": ("Kennzahl", "Metric"),
    "total": ("Gesamt", "Total"),
    "heatmap_title": ("{metric}: Kontaktpunkte × {segment}", "{metric}: touchpoints × {segment}"),
    "heatmap_caption": (
        "Jede Zelle: Kennzahl der Befragten dieses Segments, die den Kontaktpunkt bewertet haben; n und exakter Wert beim Überfahren. Grau: n < {min_test}, zu wenige Antworten für eine belastbare Aussage.",
        "Each cell: the metric among respondents of this segment who rated the touchpoint; n and the exact value on hover. Grey: n < {min_test}, too few answers to rely on.",
    ),
    "no_segments": ("Die Daten enthalten keine Segmente (z. B. Region, Kundenart).", "The data has no segments (e.g. region, customer type)."),
    "grey_cells": ("n < {min_test} (grau)", "n < {min_test} (grey)"),
    "diff_to_rest": ("Differenz zum Rest", "Difference to the rest"),
    "heatmap_legend": (
        "▲/▼ signifikant höher/niedriger als der Rest (95 %, Benjamini–Hochberg) · grau: nicht getestet (n < {min_test}, oder kein Rest zum Vergleich) · „·“: zu wenige Befragte, ausgeblendet",
        "▲/▼ significantly higher/lower than the rest (95%, Benjamini–Hochberg) · grey: not tested (n < {min_test}, or no rest to compare with) · “·”: too few respondents, hidden",
    ),
    "colour_mode": ("Farbe zeigt", "Colour shows"),
    "mode_absolute": ("den Wert", "the value"),
    "mode_diff": ("die Differenz zum Rest", "the difference to the rest"),
    "sort_rows": ("Zeilen sortieren nach", "Sort rows by"),
    "sort_total": ("Gesamtwert", "total"),
    "sort_gap": ("Abweichung", "largest gap"),
    "swap_axes": ("Achsen tauschen", "Swap axes"),
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
    "missing_codes": ("Fehlende-Werte-Codes", "Missing codes"),
    "missing_codes_help": ("Werte, die „keine Antwort“ bedeuten (z. B. 0; 99), getrennt durch ;", "Values that mean “no answer” (e.g. 0; 99), separated by ;"),
    "unsure": ("Unsicher, weil", "Unsure because"),
    "confirmed": ("bestätigt", "confirmed"),
    "confirmed_help": ("Anhaken, wenn die Erkennung dieser Spalte so stimmt", "Tick when this column is read right"),
    "unsure_intro": ("{n} Spalte(n) hat TPM ohne volle Gewissheit erkannt: {columns}. Bitte in der Zuordnung prüfen und „bestätigt“ anhaken (oder korrigieren) – erst dann ist der Import möglich.",
                     "TPM read {n} column(s) without full certainty: {columns}. Check them in the mapping and tick “confirmed” (or correct them) – then the import is possible."),
    "label_scale_title": ("Textskala festlegen: {column}", "Define text scale: {column}"),
    "label_scale_intro": ("TPM kennt diese Antworten nicht als Skala. Reihenfolge von schlecht (1) nach gut festlegen; Antworten wie „weiß nicht“ als fehlend markieren. Die Skala wird mit der Zuordnung gespeichert und bei der nächsten Welle wiederverwendet.",
                          "TPM does not know these answers as a scale. Order them from worst (1) to best; mark answers such as “don’t know” as missing. The scale is saved with the mapping and reused for the next wave."),
    "label": ("Antwort", "Answer"),
    "label_rank": ("Rang (1 = schlechteste)", "Rank (1 = worst)"),
    "label_missing": ("fehlend", "missing"),
    "label_scale_apply": ("Als Bewertungsskala übernehmen", "Use as rating scale"),
    "label_scale_invalid": ("Jede Antwort braucht einen eigenen Rang 1 … k (oder „fehlend“).", "Every answer needs its own rank 1 … k (or “missing”)."),
    "dataset_name": ("Name des Datensatzes", "Dataset name"),
    "wave": ("Welle", "Wave"),
    "import": ("Importieren", "Import"),
    "imported": ("Importiert als Datensatz „{name}“: {respondents} Befragte, {touchpoints} Kontaktpunkte.", "Imported as dataset “{name}”: {respondents} respondents, {touchpoints} touchpoints."),
    "duplicate": ("Diese Datei ist bereits als Datensatz „{name}“ gespeichert – nichts wurde doppelt importiert.", "This file is already stored as dataset “{name}” – nothing was imported twice."),
    "mapping_problem": ("So ist kein Import möglich – bitte die Zuordnung korrigieren: {error}", "This cannot be imported as mapped – please correct the mapping: {error}"),
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
    "columns": ("Spalten", "Columns"),
    "delimiter": ("Trennzeichen", "delimiter"),
    "template_applied": (
        "Diese Datei hat dieselben Spalten wie eine frühere Welle: deren bestätigte Zuordnung wurde übernommen.",
        "This file has the same columns as an earlier wave: its confirmed mapping was applied.",
    ),
    "datasets_edit_help": ("Name und Welle sind editierbar; Datensätze mit derselben Welle werden in der Entwicklung zusammengefasst.", "Name and wave are editable; datasets with the same wave are pooled in tracking."),
    "first_response": ("erste Antwort", "first response"),
    "last_response": ("letzte Antwort", "last response"),
    "save_changes": ("Änderungen speichern", "Save changes"),
    "saved": ("Gespeichert.", "Saved."),
    "name_and_wave_needed": ("Jeder Datensatz braucht einen Namen und eine Welle.", "Every dataset needs a name and a wave."),
    "uploaded_at": ("Hochgeladen am (UTC)", "Uploaded at (UTC)"),
    "ratings": ("Bewertungen", "Ratings"),
    # key drivers and priority matrix
    "page_drivers": ("Treiber", "Key drivers"),
    "page_priority": ("Prioritäten-Matrix", "Priority matrix"),
    "outcome": ("Zielgröße", "Outcome"),
    "outcome_nps": ("Weiterempfehlung (NPS-Frage 0–10)", "Recommendation (NPS question 0–10)"),
    "method": ("Methode", "Method"),
    "method_shapley": ("Shapley-Wert-Regression (exakt)", "Shapley value regression (exact)"),
    "method_relative_weights": ("Relative Gewichte (Johnson)", "Relative weights (Johnson)"),
    "missing_data": ("Fehlende Werte", "Missing data"),
    "missing_pairwise": ("paarweise (alle vorhandenen Paare)", "pairwise (all available pairs)"),
    "missing_listwise": ("listenweise (nur vollständige Fälle)", "listwise (complete cases only)"),
    "bootstrap": ("95-%-Intervalle per Bootstrap (200 Stichproben, dauert einige Sekunden)", "95% intervals by bootstrap (200 resamples, takes a few seconds)"),
    "share_of_r2": ("Anteil an der erklärten Varianz", "Share of explained variance"),
    "raw_r2": ("Beitrag zu R²", "Contribution to R²"),
    "drivers_title": ("Was treibt {outcome}? Anteil je Kontaktpunkt", "What drives {outcome}? Share per touchpoint"),
    "drivers_summary": ("R² = {r2} (korrigiert {r2_adj}) · n = {n} · {method} · fehlende Werte: {missing}",
                        "R² = {r2} (adjusted {r2_adj}) · n = {n} · {method} · missing data: {missing}"),
    "drivers_reading": ("**{name}** erklärt {share} % dessen, was die {outcome} treibt.", "**{name}** explains {share}% of what drives {outcome}."),
    "drivers_reading_r2": ("Zusammen erklären die Kontaktpunkte {r2} % der Unterschiede in der {outcome}.", "Together the touchpoints explain {r2}% of the differences in {outcome}."),
    "drivers_caption": (
        "Anteile summieren sich zu 100 %: jeder Kontaktpunkt erhält seinen fairen Anteil an der erklärten Varianz (R²), auch wenn Kontaktpunkte untereinander korrelieren – anders als einfache Korrelationen. Paarweise fehlende Werte: jede Korrelation nutzt alle Befragten, die beide Fragen beantwortet haben (n = kleinste Paarbasis).",
        "Shares sum to 100%: each touchpoint gets its fair share of the explained variance (R²), even when touchpoints correlate with each other – unlike simple correlations. Pairwise missing data: each correlation uses everyone who answered both questions (n = the smallest pair base).",
    ),
    "importance": ("Wichtigkeit", "Importance"),
    "performance": ("Leistung", "Performance"),
    "importance_axis": ("Wichtigkeit: Anteil an der erklärten {outcome} (%)", "Importance: share of explained {outcome} (%)"),
    "performance_axis": ("Leistung: Zufriedenheit, Score 0–100", "Performance: satisfaction, score 0–100"),
    "priority_title": ("Prioritäten-Matrix: Wichtigkeit × Leistung je Kontaktpunkt", "Priority matrix: importance × performance per touchpoint"),
    "priority_legend": ("Kreisgröße = Anzahl Bewertungen · ≈ / offener Kreis = liegt nahe an einer Linie, Quadrant unsicher · gestrichelt = {lines}", "Bubble size = number of ratings · ≈ / open circle = close to a line, quadrant uncertain · dashed = {lines}"),
    "lines_mean": ("Mittelwerte", "means"),
    "lines_midpoint": ("Skalenmitte und mittlere Wichtigkeit", "scale midpoint and mean importance"),
    "lines_target": ("Ø Soll, Ø Wichtigkeit · | = eigenes Soll (entscheidet)", "mean target, mean importance · | = own target (decides)"),
    "crosshair": ("Achsenkreuz bei", "Crosshairs at"),
    "crosshair_mean": ("Mittelwerten", "the means"),
    "crosshair_midpoint": ("Skalenmitte (Score 50)", "the scale midpoint (score 50)"),
    "crosshair_target": ("Soll-Werten (je Kontaktpunkt; Linie = Ø Soll)", "targets (per touchpoint; line = mean target)"),
    "q_concentrate": ("Hier ansetzen", "Concentrate here"),
    "q_keep_up": ("Stärken halten", "Keep up the good work"),
    "q_low_priority": ("Geringe Priorität", "Low priority"),
    "q_overkill": ("Möglicher Overkill", "Possible overkill"),
    "a_concentrate": ("Verbessern – wichtig für die Weiterempfehlung und unterdurchschnittlich", "Improve – important for recommendation and below average"),
    "a_keep_up": ("Niveau halten und als Stärke kommunizieren", "Keep the level and communicate it as a strength"),
    "a_low_priority": ("Beobachten, keine dringenden Maßnahmen", "Monitor, no urgent action"),
    "a_overkill": ("Aufwand prüfen – gut, aber wenig Einfluss", "Review the effort – good, but little influence"),
    "quadrant": ("Quadrant", "Quadrant"),
    "action": ("Empfehlung", "Recommended action"),
    "near_line": ("nahe Linie", "near a line"),
    "download_csv": ("Tabelle als CSV herunterladen", "Download table as CSV"),
    "no_drivers": ("Keine Treiberanalyse möglich: {error}", "No key driver analysis possible: {error}"),
    "fix_first": ("Zuerst angehen: {names}", "Fix first: {names}"),
    "note_fallback": (
        "{p} Treiber: mehr als {max} für exakte Shapley-Werte, daher wurden Johnsons relative Gewichte verwendet (sie stimmen eng überein)",
        "{p} drivers: more than {max} for exact Shapley values, so Johnson's relative weights were used (they agree closely)",
    ),
    "note_repaired": (
        "Die paarweise Korrelationsmatrix war nicht positiv definit und wurde repariert (Eigenwerte begrenzt)",
        "The pairwise correlation matrix was not positive definite and was repaired (eigenvalues clipped)",
    ),
    "note_left_out": (
        "Nicht berücksichtigt, weil zu wenige Befragte beide Fragen beantwortet haben (< {min_test}): {names}",
        "Left out for too few joint answers (< {min_test} respondents rated both): {names}",
    ),
    "warn_base": (
        "Basis zu klein: n = {n}, aber {p} Treiber brauchen mindestens {base} Befragte (max({min_test}, 10 × Treiber))",
        "Base too small: n = {n}, but {p} drivers need at least {base} respondents (max({min_test}, 10 × drivers))",
    ),
    "page_segments": ("Segmente", "Segments"),
    "page_tracking": ("Entwicklung", "Tracking"),
    "nps_by_segment_title": ("NPS je {segment} (mit 95-%-KI)", "NPS by {segment} (with 95% CI)"),
    "nps_axis": ("NPS (−100 … +100)", "NPS (−100 … +100)"),
    "segment_legend": ("▲/▼ grün/rot: signifikant höher/niedriger als der Rest · grau: n < {min_test}", "▲/▼ green/red: significantly higher/lower than the rest · grey: n < {min_test}"),
    "segment_differs": ("Wo sich dieses Segment am stärksten unterscheidet (Score 0–100, signifikant)", "Where this segment differs most (score 0–100, significant)"),
    "no_differences": ("Keine signifikanten Unterschiede bei den Kontaktpunkten.", "No significant differences at the touchpoints."),
    "segment_value": ("Segmentwert", "Segment value"),
    "rest": ("Rest", "Rest"),
    "change": ("Veränderung", "Change"),
    "waves_by": ("Wellen nach", "Waves by"),
    "waves_dataset": ("Welle des Datensatzes", "dataset wave"),
    "waves_month": ("Monat der Antwort", "response month"),
    "waves_quarter": ("Quartal der Antwort", "response quarter"),
    "nps_trend_title": ("NPS über die Wellen (mit 95-%-KI)", "NPS over waves (with 95% CI)"),
    "tp_trend_title": ("{metric} je Kontaktpunkt über die Wellen", "{metric} per touchpoint over waves"),
    "trend_legend": ("Band = 95-%-KI · ▲/▼ = signifikante Veränderung zur Vorwelle (95 %)", "Band = 95% CI · ▲/▼ = significant change from the previous wave (95%)"),
    "trend_touchpoints": ("Kontaktpunkte im Verlauf", "Touchpoints in the chart"),
    "movers": ("Größte Veränderungen (signifikante zuerst)", "Biggest movers (significant first)"),
    "from_wave": ("von Welle", "from wave"),
    "to_wave": ("zu Welle", "to wave"),
    "significant": ("signifikant", "significant"),
    "one_wave": ("Für eine Entwicklung braucht es mindestens zwei Wellen. Laden Sie eine weitere Welle hoch oder bilden Sie Wellen nach Monat/Quartal.", "Tracking needs at least two waves. Upload another wave or form waves by month/quarter."),
    "wave_heatmap_legend": ("▲/▼ signifikante Veränderung zur Vorwelle (Benjamini–Hochberg über alle gezeigten Schritte) · grau: n < {min_test}",
                            "▲/▼ significant change from the previous wave (Benjamini–Hochberg across all steps shown) · grey: n < {min_test}"),
    "wave_heatmap_title": ("{metric}: Kontaktpunkte × Wellen", "{metric}: touchpoints × waves"),
    "page_inventory": ("Kontaktpunkte", "Touchpoints"),
    "page_journey": ("Kundenreise", "Journey map"),
    "page_targets": ("Soll–Ist", "Targets"),
    "page_actions": ("Maßnahmen", "Action plan"),
    "inventory_intro": (
        "Alle Kontaktpunkte mit Phase, Kanal, Kontaktart, Abteilung, Verantwortlichen, Soll-Wert und Best-in-Class (Score 0–100), Moment der Wahrheit und Schmerzpunkten. Aliase (mit ; getrennt) führen andere Schreibweisen aus früheren Wellen zusammen.",
        "All touchpoints with phase, channel, contact type, department, manager, target and best-in-class (score 0–100), moment of truth and pain points. Aliases (separated by ;) merge other spellings from earlier waves.",
    ),
    "to_classify": ("{n} Kontaktpunkte sind noch nicht zugeordnet (Phase oder Abteilung fehlt).", "{n} touchpoints are still to classify (phase or department missing)."),
    "inventory_saved": ("Inventar gespeichert.", "Inventory saved."),
    "inventory_merged": ("Zusammengeführt: {names}", "Merged: {names}"),
    "inventory_export": ("Als Excel exportieren (für den Workshop)", "Export as Excel (for a workshop)"),
    "inventory_import": ("Ausgefülltes Excel importieren", "Import a filled-in Excel sheet"),
    "inventory_import_button": ("Inventar aus Excel übernehmen", "Take over the inventory from Excel"),
    "f_name": ("Kontaktpunkt", "Touchpoint"),
    "f_aliases": ("Aliase (;)", "Aliases (;)"),
    "f_phase": ("Phase", "Phase"),
    "f_channel": ("Kanal", "Channel"),
    "f_contact": ("Kontaktart", "Contact"),
    "f_department": ("Abteilung", "Department"),
    "f_manager": ("Verantwortlich", "Manager"),
    "f_target": ("Soll (0–100)", "Target (0–100)"),
    "f_benchmark": ("Best-in-Class (0–100)", "Best in class (0–100)"),
    "f_moment_of_truth": ("Moment der Wahrheit", "Moment of truth"),
    "f_pain_points": ("Schmerzpunkte", "Pain points"),
    "f_classified": ("zugeordnet", "classified"),
    "phase": ("Phase", "Phase"),
    "phases_edit": ("Phasen der Kundenreise anpassen", "Adjust the journey phases"),
    "phases_label": ("Phasen in Reihenfolge, mit Komma getrennt", "Phases in order, separated by commas"),
    "lanes_by": ("Schwimmbahnen nach", "Swimlanes by"),
    "lane_department": ("Abteilung", "Department"),
    "lane_channel": ("Kanal", "Channel"),
    "journey_title": ("Kundenreise: Kontaktpunkte nach Phase und Abteilung", "Customer journey: touchpoints by phase and lane"),
    "journey_legend": (
        "Grün/rot: Score über/unter Soll (ohne Soll: über/unter Mittel) · ★ Moment der Wahrheit · ⚠ Schmerzpunkt · ◆ Treiber-Anteil",
        "Green/red: score above/below target (no target: above/below mean) · ★ moment of truth · ⚠ pain point · ◆ driver share",
    ),
    "emotion_title": ("Emotionskurve: Zufriedenheit entlang der Reise", "Emotion curve: satisfaction along the journey"),
    "no_ratings": ("keine Bewertungen", "no ratings"),
    "target_short": ("Soll", "target"),
    "download_html": ("Karte als HTML herunterladen", "Download map as HTML"),
    "actual": ("Ist", "Actual"),
    "target": ("Soll", "Target"),
    "benchmark": ("Best-in-Class", "Best in class"),
    "targets_title": ("Soll–Ist je Kontaktpunkt (Score 0–100)", "Target vs actual per touchpoint (score 0–100)"),
    "no_targets": ("Noch keine Soll-Werte. Tragen Sie sie unter „Kontaktpunkte“ ein.", "No targets yet. Enter them on the “Touchpoints” page."),
    "gap": ("Lücke zum Soll", "Gap to target"),
    "gap_x_importance": ("Lücke × Wichtigkeit", "Gap × importance"),
    "largest_gaps": ("Größte Lücken, die am meisten zählen", "Largest gaps that matter most"),
    "a_title": ("Titel", "Title"),
    "a_problem": ("Problem / Erkenntnis", "Problem / insight"),
    "a_owner": ("Verantwortlich", "Owner"),
    "a_due": ("Fällig am", "Due"),
    "a_status": ("Status", "Status"),
    "a_step": ("Schritt im Zyklus", "Step of the cycle"),
    "a_created": ("Angelegt", "Created"),
    "a_baseline": ("Score bei Anlage", "Score when created"),
    "a_follow": ("Score danach", "Score since"),
    "a_overdue": ("überfällig", "overdue"),
    "new_action": ("Neue Maßnahme", "New measure"),
    "create": ("Anlegen", "Create"),
    "created_action": ("Maßnahme angelegt.", "Measure created."),
    "status_open": ("offen", "open"),
    "status_in_progress": ("in Arbeit", "in progress"),
    "status_done": ("erledigt", "done"),
    "status_dropped": ("verworfen", "dropped"),
    "step_analysis": ("1 Ist-Analyse", "1 Analysis"),
    "step_documentation": ("2 Dokumentation", "2 Documentation"),
    "step_target": ("3 Soll-Erlebnisse", "3 Target experiences"),
    "step_processes": ("4 Prozesse", "4 Processes"),
    "step_plan": ("5 Maßnahmenplan", "5 Plan"),
    "step_implement": ("6 Umsetzung", "6 Implementation"),
    "step_review": ("7 Überprüfung", "7 Review"),
    "step_optimise": ("8 Optimierung", "8 Optimisation"),
    "no_actions": ("Noch keine Maßnahmen.", "No measures yet."),
    "filter_owner": ("Verantwortlich", "Owner"),
    "filter_status": ("Status", "Status"),
    "filter_department": ("Abteilung", "Department"),
    "export_excel": ("Als Excel exportieren", "Export as Excel"),
    "overdue_count": ("{n} Maßnahme(n) überfällig.", "{n} measure(s) overdue."),
    "choose": ("bitte wählen", "please choose"),
    "err_action_touchpoint": ("Eine Maßnahme braucht einen Kontaktpunkt.", "A measure needs a touchpoint."),
    "err_action_title": ("Eine Maßnahme braucht einen Titel.", "A measure needs a title."),
    "err_action_status": ("Status muss einer von {allowed} sein.", "Status must be one of {allowed}."),
    "err_action_step": ("Schritt muss einer von {allowed} sein.", "Step must be one of {allowed}."),
    "err_action_due": ("Das Fälligkeitsdatum muss ein Datum sein.", "The due date must be a date."),
    "err_action_field": ("{fields} kann nicht geändert werden.", "Cannot change {fields}."),
    "err_action_missing": ("Keine Maßnahme {id}.", "No measure {id}."),
    "err_action_wave": ("„{touchpoint}“ hat keine Bewertungen in Welle „{wave}“.", "'{touchpoint}' has no ratings in wave '{wave}'."),
    "err_listwise": (
        "Nur {n} Befragte haben die Zielgröße und alle {p} Treiber beantwortet – zu wenige für listenweisen Ausschluss. Wählen Sie „paarweise“ oder weniger Treiber.",
        "Only {n} respondents answered the outcome and all {p} drivers: too few for listwise deletion; use pairwise, or fewer drivers.",
    ),
    "err_no_drivers": ("Kein Kontaktpunkt hat {min_test} oder mehr Bewertungen zusammen mit der Zielgröße.", "No touchpoint has {min_test} or more ratings together with the outcome."),
    "role_id": ("ID", "id"),
    "role_date": ("Datum", "date"),
    "role_rating": ("Kontaktpunkt-Bewertung", "touchpoint rating"),
    "role_nps": ("NPS (0–10)", "NPS (0–10)"),
    "role_segment": ("Segment", "segment"),
    "role_overall": ("Gesamtzufriedenheit", "overall satisfaction"),
    "overall_satisfaction": ("Gesamtzufriedenheit", "Overall satisfaction"),
    "overall_help": ("Mittelwert der Frage zur Gesamtzufriedenheit auf ihrer eigenen Skala; sie ist Zielgröße (Treiber-Analyse), kein Kontaktpunkt.",
                     "Mean of the overall-satisfaction question on its own scale; it is an outcome (key drivers), not a touchpoint."),
    "outcome_overall": ("Gesamtzufriedenheit", "Overall satisfaction"),
    "dont_know": ("weiß nicht", "don't know"),
    "dont_know_rate": ("weiß nicht %", "don't know %"),
    "base_rated": ("Basis: bewertet, ohne „weiß nicht“ (k.A./weiß nicht werden gezählt, aber nicht als Note gewertet).",
                   "Base: rated, without “don't know” (k.A./don't know answers are counted, never scored)."),
    "role_weight": ("Gewicht", "weight"),
    "role_multi": ("Mehrfachauswahl (Option)", "multiple choice (option)"),
    "role_comment": ("Kommentar", "comment"),
    "role_ignore": ("ignorieren", "ignore"),
    # survey weights
    "weighting": ("Gewichtung", "Weighting"),
    "weighted": ("gewichtet", "weighted"),
    "unweighted": ("ungewichtet", "unweighted"),
    "weighting_help": (
        "Gewichtet: jede Kennzahl als Σw·y/Σw mit den Gewichten der Datei bzw. der Randverteilungs-Gewichtung; "
        "Standardfehler nach Taylor-Linearisierung, effektive Fallzahl n_eff nach Kish. Mindestbasen gelten für das ungewichtete n.",
        "Weighted: every figure as Σw·y/Σw with the file's or the raking weights; Taylor-linearised standard errors, "
        "Kish effective sample size n_eff. Minimum bases apply to the unweighted n.",
    ),
    "n_eff": ("n_eff (Kish)", "n_eff (Kish)"),
    "weighted_caption": ("gewichtet · effektive Fallzahl n_eff = {n_eff}", "weighted · effective sample size n_eff = {n_eff}"),
    "tracking_rule": (
        "▲/▼: signifikante Veränderung zur Vorwelle — Benjamini–Hochberg (q < 0,05) über alle hier gezeigten Wellenschritte; "
        "getestet wird nur, wenn beide Wellen n ≥ {min_test} haben.",
        "▲/▼: significant change from the previous wave — Benjamini–Hochberg (q < 0.05) across all wave steps shown here; "
        "a step is tested only when both waves have n ≥ {min_test}.",
    ),
    "weights_title": ("Gewichtung (Randverteilungen)", "Weighting (raking to margins)"),
    "weights_intro": (
        "Zielanteile je Segment eingeben (z. B. Region Nord 25 %) oder eine CSV mit den Spalten variable,value,share hochladen. "
        "TPM gewichtet iterativ (Raking), bis jede Randverteilung auf 10⁻⁶ erreicht ist.",
        "Enter target shares per segment (e.g. Region Nord 25 %) or upload a CSV with the columns variable,value,share. "
        "TPM rakes (iterative proportional fitting) until every margin is met within 10⁻⁶.",
    ),
    "weights_dataset": ("Datensatz", "Dataset"),
    "weights_margins_csv": ("Randverteilungen als CSV (variable,value,share)", "Margins as CSV (variable,value,share)"),
    "weights_trim": ("Gewichte kappen (0,3–3)", "Trim weights (0.3–3)"),
    "weights_apply": ("Gewichten", "Compute weights"),
    "weights_done": (
        "Gewichtet: effektive Fallzahl n_eff = {n_eff} von n = {n} (Effizienz {efficiency} %), Gewichte {min} bis {max}, "
        "größte Abweichung einer Randverteilung {error} Prozentpunkte.",
        "Weighted: effective sample size n_eff = {n_eff} of n = {n} (efficiency {efficiency} %), weights {min} to {max}, "
        "largest margin deviation {error} percentage points.",
    ),
    "weights_current": ("Aktuelle Gewichtungen", "Current weight sets"),
}


class Message(str):
    """A message from the analysis layer: reads as English text, translatable with :meth:`text`."""

    def __new__(cls, key: str, **values):
        obj = super().__new__(cls, t(key, "en", **values))
        obj.key, obj.values = key, values
        return obj

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.values)


class _Placeholders(dict):
    """The base rules (``{min_test}`` …, from :mod:`tpm.metrics.rules`) and the caller's values;
    a placeholder nobody filled stays as it is."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _rules() -> dict:
    from tpm.metrics import rules

    return {"min_test": rules.MIN_TEST, "caution": rules.CAUTION, "anonymity": rules.ANONYMITY}


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    """The label for ``key`` in ``lang``, with ``{placeholders}`` filled from ``values`` and the base rules."""
    pair = TEXT.get(key)
    text = key if pair is None else pair[0 if lang == "de" else 1]
    return text.format_map(_Placeholders(_rules(), **values)) if "{" in text else text


def fmt_number(value: float | None, decimals: int = 1, lang: str = DEFAULT_LANGUAGE, signed: bool = False) -> str:
    """1234.5 → "1.234,5" (de) / "1,234.5" (en); NaN/None → "–"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if round(value, decimals) == 0:
        value = 0.0  # no "−0"
    text = f"{value:{'+' if signed else ''},.{decimals}f}"
    if lang == "de":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text.replace("-", "−")


def plotly_separators(lang: str) -> str:
    """Plotly's ``layout.separators``: decimal then thousands separator."""
    return ",." if lang == "de" else ".,"
