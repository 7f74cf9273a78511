"""The report deck (python-pptx, 16:9): a title slide, then one slide per chart — overview,
heatmap, priority matrix, key drivers, journey map, targets, tracking — each with a headline
that states the finding, the chart as a high-resolution picture of the very plotly figure the
dashboard shows (:mod:`tpm.report.images`), and the base as a footnote.

Where the study has themes (and at least the anonymity base of detractors wrote comments), a text slide
"Was Detraktoren sagen" / "What detractors say" follows the key drivers: the detractors' most frequent themes
(:func:`tpm.comments.highlights.detractor_themes`) in a grid, each with its share, n and 2–3 masked quotes, in a
font size chosen so that the text fits its box (:func:`quote_size`). Without themes there is no such slide.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.util import Emu, Inches, Pt

from tpm.charts.drivers import driver_bars, outcome_label, priority_chart
from tpm.charts.heatmap import segment_heatmap
from tpm.charts.journey import journey_map, targets_chart
from tpm.charts.overview import nps_mix, touchpoint_ranking
from tpm.charts.tracking import trend_chart
from tpm.i18n import fmt_number, t
from tpm.report import findings
from tpm.report.content import HEATMAP_METRIC, Report

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
HEADLINE_TOP, HEADLINE_HEIGHT = Inches(0.35), Inches(0.95)
PICTURE_TOP = Inches(1.35)
FOOTER_HEIGHT = Inches(0.45)
PICTURE_BOX = (WIDTH - 2 * MARGIN, HEIGHT - PICTURE_TOP - FOOTER_HEIGHT - Inches(0.25))
DARK = RGBColor(0x22, 0x22, 0x22)
MUTED = RGBColor(0x55, 0x55, 0x55)
ACCENT = RGBColor(0x1F, 0x6F, 0x8B)
TITLE_ONLY, TITLE_SLIDE = 5, 0
#: touchpoints on the tracking slide of a study without NPS: the biggest movers (as the Tracking page opens)
TRACKED = 3


@dataclass
class Slide:
    key: str  # overview, heatmap, priority, drivers, journey, targets, tracking
    headline: str
    figures: list[go.Figure]
    base: str  # the chart's own base, before the report's
    themes: pd.DataFrame | None = None  # the detractor slide: its themes with quotes (no figures)


def slides(report: Report) -> list[Slide]:
    """The chart slides the report's data allows, in order."""
    lang = report.lang
    out = []
    overview = [touchpoint_ranking(report.stats, lang)] if len(report.stats) else []
    if report.nps.n:
        overview.insert(0, nps_mix(report.nps, lang))
    out.append(Slide("overview", findings.overview(report), overview,
                     t("slide_base_nps", lang, n=fmt_number(report.nps.n, 0, lang)) if report.nps.n else ""))
    if report.main_segment:
        segment = report.main_segment
        cells, totals = report.heatmaps[segment]
        out.append(Slide("heatmap", findings.heatmap(report, segment),
                         [segment_heatmap(cells, totals, HEATMAP_METRIC, segment, lang)], ""))
    if report.drivers is not None:
        d = report.drivers
        driver_base = t("drivers_summary", lang, r2=fmt_number(d.r2, 3, lang), r2_adj=fmt_number(d.r2_adj, 3, lang),
                        n=fmt_number(d.n, 0, lang), method=t("method_" + d.method, lang), missing=t("missing_" + d.missing, lang))
        outcome = outcome_label(d.outcome, lang)
        x, y = report.crosshairs
        out.append(Slide("priority", findings.priority(report),
                         [priority_chart(report.matrix, x, y, outcome, lang, "mean")], driver_base))
        out.append(Slide("drivers", findings.drivers(report), [driver_bars(d.table, outcome, lang)], driver_base))
    if report.detractors is not None and not report.detractors["hidden"].any():
        top = report.detractors.iloc[0]
        out.append(Slide("detractors", t("hl_slide_headline", lang, share=fmt_number(top["share"], 0, lang), theme=top["theme"]),
                         [], t("hl_slide_base", lang, n=fmt_number(top["n"], 0, lang)), themes=report.detractors))
    if report.cards is not None and len(report.cards):
        out.append(Slide("journey", findings.journey(report),
                         [journey_map(report.cards, report.phases, t("lane_department", lang), lang)], ""))
    if report.targets is not None:
        out.append(Slide("targets", findings.targets(report), [targets_chart(report.targets, lang)], ""))
    if report.nps_waves is not None:
        out.append(Slide("tracking", findings.tracking(report),
                         [trend_chart(report.nps_waves, None, t("nps_trend_title", lang), t("nps_axis", lang), lang)],
                         t("trend_legend", lang)))
    elif report.movers is not None and len(report.movers):  # no NPS question: the touchpoints that moved most
        movers = report.movers["touchpoint"].drop_duplicates().head(TRACKED).tolist()
        label = t("score_0_100", lang)
        out.append(Slide("tracking", findings.tracking(report),
                         [trend_chart(report.trend[report.trend["touchpoint"].isin(movers)], "touchpoint",
                                      t("tp_trend_title", lang, metric=label), label, lang)], t("trend_legend", lang)))
    return [s for s in out if s.figures or s.themes is not None]


def _text(slide, left, top, width, height, text: str, size: int, colour=DARK, bold: bool = False):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    run = frame.paragraphs[0].add_run()
    run.text = text
    run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, colour
    return box


def _headline(slide, text: str) -> None:
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = MARGIN, HEADLINE_TOP, WIDTH - 2 * MARGIN, HEADLINE_HEIGHT
    title.text = text
    frame = title.text_frame
    frame.word_wrap = True
    for paragraph in frame.paragraphs:
        paragraph.alignment = 1  # left
        for run in paragraph.runs:
            run.font.size, run.font.bold, run.font.color.rgb = Pt(26 if len(text) < 70 else 22), True, ACCENT


#: CSS pixels per inch of slide: plotly's 13 px text lands at ~9 pt, readable from the back row
PIXELS_PER_INCH = 110
#: a figure is drawn at no less than this share of its on-screen height (or its text would crowd)
MIN_SHRINK = 0.7
#: figures up to this height are drawn at their own height
KEEP_BELOW = 320


def layout(figures: list[go.Figure]) -> list[tuple[int, int]]:
    """Pixel sizes for figures stacked on one slide: the box's width, the on-screen heights
    shrunk (not below :data:`MIN_SHRINK`) so that the stack fills the picture box."""
    box_w, box_h = (Emu(v).inches * PIXELS_PER_INCH for v in PICTURE_BOX)
    heights = [int(fig.layout.height or 500) for fig in figures]
    shrink = max(MIN_SHRINK, min(1.0, box_h / sum(heights)))
    heights = [int(max(h * shrink, min(h, KEEP_BELOW))) for h in heights]  # a short figure is mostly margin: kept
    width = int(max(box_w, sum(heights) * box_w / box_h))  # never narrower than the box's shape
    return [(width, h) for h in heights]


def _pictures(slide, images: list[bytes], sizes: list[tuple[int, int]]) -> None:
    """The stack scaled to fit the picture box (aspect kept), centred."""
    box_w, box_h = PICTURE_BOX
    width_px, total_px = sizes[0][0], sum(h for _, h in sizes)
    emu_per_px = min(box_w / width_px, box_h / total_px)
    top = PICTURE_TOP
    for image, (w, h) in zip(images, sizes):
        width, height = Emu(int(w * emu_per_px)), Emu(int(h * emu_per_px))
        slide.shapes.add_picture(io.BytesIO(image), Emu(int((WIDTH - width) / 2)), top, width, height)
        top = Emu(top + height)


#: the quotes' font sizes tried, largest first; a theme's heading is set in HEADING_SIZE
QUOTE_SIZES, HEADING_SIZE = (14, 13, 12, 11, 10), 16
#: average character width in em (Calibri, the default theme's font, is about 0.5 em; kept on the safe side)
CHAR_EM = 0.55
#: line height as a multiple of the font size, and the text frame's inner margins (left+right, top+bottom)
LINE = 1.2
PAD_W, PAD_H = Inches(0.2), Inches(0.1)


def text_height(paragraphs: list[str], size: int, width) -> float:
    """Inches a run of ``paragraphs`` in ``size`` pt needs in a box ``width`` (EMU) wide: each paragraph takes
    ⌈characters × :data:`CHAR_EM` × size / usable width⌉ lines of :data:`LINE` × size."""
    usable = Emu(width - PAD_W).inches * 72  # points
    lines = sum(max(1, math.ceil(len(p) * CHAR_EM * size / usable)) for p in paragraphs)
    return lines * LINE * size / 72


def quote_size(heading: str, quotes: list[str], width, height) -> tuple[int, list[str]]:
    """The largest of :data:`QUOTE_SIZES` at which the heading and the quotes fit a box ``width`` × ``height``
    (EMU); where even the smallest does not, the last quotes are left out (two stay)."""
    room = Emu(height - PAD_H).inches
    while True:
        for size in QUOTE_SIZES:
            if text_height([heading], HEADING_SIZE, width) + text_height(quotes, size, width) <= room:
                return size, quotes
        if len(quotes) <= 2:
            return QUOTE_SIZES[-1], quotes
        quotes = quotes[:-1]


def _theme_grid(slide, themes: pd.DataFrame, lang: str) -> None:
    """The detractors' themes in a grid over the picture box (1: whole box, 2: side by side, 3–4: 2 × 2), each
    box: "Theme: 34 % (n = 120)" and its quotes."""
    box_w, box_h = PICTURE_BOX
    gap = Inches(0.3)
    count = len(themes)
    columns, rows = (1, 1) if count == 1 else (2, 1) if count == 2 else (2, 2)
    width, height = Emu(int((box_w - (columns - 1) * gap) / columns)), Emu(int((box_h - (rows - 1) * gap) / rows))
    for i, row in enumerate(themes.itertuples(index=False)):
        left = Emu(int(MARGIN + (i % columns) * (width + gap)))
        top = Emu(int(PICTURE_TOP + (i // columns) * (height + gap)))
        heading = t("hl_slide_theme", lang, theme=row.theme, share=fmt_number(row.share, 0, lang), n=fmt_number(row.n, 0, lang))
        quotes = [t("hl_quote", lang, text=q) for q in row.quotes]
        size, quotes = quote_size(heading, quotes, width, height)
        frame = slide.shapes.add_textbox(left, top, width, height).text_frame
        frame.word_wrap, frame.auto_size = True, MSO_AUTO_SIZE.NONE
        for j, (text, points, colour, bold) in enumerate([(heading, HEADING_SIZE, ACCENT, True)]
                                                          + [(q, size, DARK, False) for q in quotes]):
            paragraph = frame.paragraphs[0] if j == 0 else frame.add_paragraph()
            run = paragraph.add_run()
            run.text = text
            run.font.size, run.font.bold, run.font.color.rgb = Pt(points), bold, colour


def deck(report: Report, progress=None) -> bytes:
    """The deck as .pptx bytes; ``progress(i, k)`` after each chart drawn."""
    from tpm.report.images import render_png

    lang = report.lang
    chart_slides = slides(report)
    figures = [fig for s in chart_slides for fig in s.figures]
    sizes = [size for s in chart_slides if s.figures for size in layout(s.figures)]
    images = iter(render_png(figures, sizes, progress=progress))
    sizes = iter(sizes)

    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    prs.core_properties.title = report.title
    prs.core_properties.author = "TPM"
    first = prs.slides.add_slide(prs.slide_layouts[TITLE_SLIDE])
    first.shapes.title.left, first.shapes.title.top = MARGIN, Inches(2.0)
    first.shapes.title.width, first.shapes.title.height = WIDTH - 2 * MARGIN, Inches(1.4)
    first.shapes.title.text = report.title
    subtitle = first.placeholders[1]
    subtitle.left, subtitle.top, subtitle.width, subtitle.height = MARGIN, Inches(3.6), WIDTH - 2 * MARGIN, Inches(2.6)
    subtitle.text = report.survey
    subtitle.text_frame.paragraphs[0].font.size = Pt(22)
    waves = ", ".join(report.waves)
    created = report.created.strftime("%d.%m.%Y" if lang == "de" else "%Y-%m-%d")
    for line in ([f"{t('waves', lang)}: {waves}"] if waves and waves != report.survey else []) + [
            report.base_text(), f"{t('created', lang)}: {created}"]:
        paragraph = subtitle.text_frame.add_paragraph()
        paragraph.text = line
        paragraph.font.size, paragraph.font.color.rgb = Pt(16), MUTED

    for spec in chart_slides:
        slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY])
        _headline(slide, spec.headline)
        if spec.themes is not None:
            _theme_grid(slide, spec.themes, lang)
        else:
            _pictures(slide, [next(images) for _ in spec.figures], [next(sizes) for _ in spec.figures])
        footer = " · ".join(part for part in (spec.base, report.base_text()) if part)
        _text(slide, MARGIN, HEIGHT - FOOTER_HEIGHT - Inches(0.1), WIDTH - 2 * MARGIN, FOOTER_HEIGHT, footer, 10, MUTED)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()
