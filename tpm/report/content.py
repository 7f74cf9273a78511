"""What a report holds, computed once for one filter and shared by the workbook and the deck:
the same metrics API the pages use, so the report is correct to the numbers on screen.

:func:`gather` returns a :class:`Report`; each part that cannot be computed (no outcome to explain,
fewer than two waves, no targets) is ``None`` or empty, with the reason in ``notes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from tpm import actions, inventory, store, studies
from tpm.comments.highlights import detractor_themes
from tpm.followup.loop import LoopEffect, case_flow, followed_up_effect, has_cases
from tpm.formatting import scale_labelled
from tpm.i18n import Message, t
from tpm.journey import emotion_curve, journey_cards, target_gaps
from tpm.metrics import Filter
from tpm.metrics.drivers import DriverResult, default_outcome, drivers_for, outcome_columns
from tpm.metrics.nps import NPS, nps_for, respondent_count
from tpm.metrics.priority import priority_matrix
from tpm.metrics.satisfaction import overall_stats, touchpoint_stats
from tpm.metrics.segments import ANONYMITY, breakdown_and_totals
from tpm.metrics.trend import biggest_movers, tracking_view, wave_count
from tpm.report.comment_tables import comments_table
from tpm.report.tables import Table, respondents_table

if TYPE_CHECKING:  # annotation only: tpm.report.tables is imported where the data table is made
    from tpm.report.tables import Table

#: the heatmap metric of the report (the pages' default)
HEATMAP_METRIC = "score"
#: themes on the deck's "What detractors say" slide at most (a 2 × 2 grid, each with its quotes)
DETRACTOR_THEMES = 4
#: the steps :func:`gather` reports to ``progress`` (for a progress bar)
STEPS = ("overview", "heatmap", "drivers", "journey", "tracking", "actions", "cases", "comments", "data")


class ReportError(ValueError):
    """The report cannot be made (names what is missing and what to do)."""


@dataclass
class Report:
    lang: str
    flt: Filter
    created: datetime
    datasets: pd.DataFrame  # id, name, wave, source_file … of the datasets in the report
    filters: list[str]  # "Region: Nord, Süd" …
    respondents: int
    nps: NPS
    stats: pd.DataFrame
    overall: pd.DataFrame
    heatmaps: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = field(default_factory=dict)  # segment → (cells, totals)
    drivers: DriverResult | None = None
    drivers_error: str | None = None
    matrix: pd.DataFrame | None = None
    crosshairs: tuple[float, float] | None = None
    cards: pd.DataFrame | None = None
    curve: pd.DataFrame | None = None
    phases: list[str] = field(default_factory=list)
    targets: pd.DataFrame | None = None
    nps_waves: pd.DataFrame | None = None
    trend: pd.DataFrame | None = None
    movers: pd.DataFrame | None = None
    plan: pd.DataFrame | None = None
    data: Table | None = None  # respondent level: only when the role may see it
    comments: Table | None = None  # the Comments sheet (None: no comments, or too few commenters: comments_hidden)
    comments_hidden: bool = False
    detractors: pd.DataFrame | None = None  # tpm.comments.highlights.detractor_themes (None: the study has no themes)
    case_flow: pd.DataFrame | None = None  # tpm.followup.loop.case_flow of the report's datasets (None: no cases)
    loop_effect: LoopEffect | None = None  # tpm.followup.loop.followed_up_effect (None: the study has no cases)
    weighted: bool = False
    study: int | None = None
    study_name: str = ""

    @property
    def title(self) -> str:
        return t("report_title", self.lang)

    @property
    def survey(self) -> str:
        """The study, and the datasets (waves) of it in the report."""
        sets = ", ".join(self.datasets["name"].astype(str))
        return f"{self.study_name}: {sets}" if self.study_name else sets

    @property
    def waves(self) -> list[str]:
        return list(dict.fromkeys(self.datasets["wave"].dropna().astype(str)))

    @property
    def main_segment(self) -> str | None:
        """The segment with the most significant cells (the deck's heatmap), None without segments."""
        if not self.heatmaps:
            return None
        return max(self.heatmaps, key=lambda s: (self.heatmaps[s][0]["flag"].isin(["higher", "lower"]).sum(), s == "Region"))

    def base_text(self) -> str:
        """"Basis: n = 3.800 Befragte · alle Datensätze · ungewichtet" – the footnote of every slide."""
        from tpm.i18n import fmt_number

        scope = "; ".join(self.filters) if self.filters else t("no_filter", self.lang)
        return t("report_base", self.lang, n=fmt_number(self.respondents, 0, self.lang), scope=scope,
                 weighting=t("weighted" if self.weighted else "unweighted", self.lang))


def describe_filter(flt: Filter) -> list[str]:
    return [f"{segment}: {', '.join(values)}" for segment, values in flt.segments]


def dataset_ids(con, flt: Filter) -> list[int]:
    """The datasets the filter's respondents come from (whatever the filter restricts: study, datasets, segments)."""
    cte, params = flt.units_cte()
    return [int(r[0]) for r in con.execute(f"WITH {cte} SELECT DISTINCT dataset_id FROM resp ORDER BY 1", params).fetchall()]


def is_weighted(con, flt: Filter) -> bool:
    """Whether the figures use survey weights: the filter asks for them and the data has some."""
    if not getattr(flt, "weighted", False):
        return False
    has_column = con.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'respondents' "
                             "AND column_name = 'weight'").fetchone()[0]
    if not has_column:
        return False
    cte, params = flt.respondents_cte()
    return bool(con.execute(f"WITH {cte} SELECT count(*) FROM resp JOIN respondents r USING (dataset_id, resp) "
                            "WHERE r.weight IS NOT NULL AND r.weight <> 1", params).fetchone()[0])


def gather(con, flt: Filter, lang: str = "de", with_data: bool = True, progress=None, now: datetime | None = None,
           with_comments: bool = True) -> Report:
    """Everything the workbook and the deck show, for the respondents passing ``flt``.

    A report is of one study: the filter's, or the only one there is (several studies and none
    chosen is a :class:`ReportError` naming them, never a pooled report).
    ``with_data``: include the respondent-level data (only for roles allowed to see it).
    ``with_comments``: include the comments (the workbook's Comments sheet: masked, without respondent ids, so for
    every role; the deck has no use for them). The detractors' themes (the deck's slide) are always gathered.
    ``progress(step, share)`` is called before each of :data:`STEPS`.
    """
    def step(name: str) -> None:
        if progress is not None:
            progress(name, STEPS.index(name) / len(STEPS))

    try:
        study = studies.resolve_or_none(con, flt.study)
    except studies.StudyError as exc:
        raise ReportError(str(exc)) from None
    flt = replace(flt, study=study)
    ids = dataset_ids(con, flt)
    all_sets = store.list_datasets(con)
    chosen = all_sets[all_sets["id"].isin(ids)]
    respondents = respondent_count(con, flt)
    if chosen.empty or respondents == 0:
        raise ReportError(t("report_no_data", lang))
    step("overview")
    report = Report(lang=lang, flt=flt, created=now or datetime.now(), datasets=chosen.reset_index(drop=True),
                    filters=describe_filter(flt), respondents=respondents, nps=nps_for(con, flt),
                    stats=touchpoint_stats(con, flt), overall=overall_stats(con, flt), study=study,
                    study_name=studies.name_of(con, study) or "")
    step("heatmap")
    report.weighted = is_weighted(con, flt)
    for segment in store.segment_values(con, ids):
        cells, totals = breakdown_and_totals(con, flt, segment, HEATMAP_METRIC, anonymity=ANONYMITY)
        if len(cells):
            report.heatmaps[segment] = scale_labelled(cells, totals)  # a touchpoint on two scales: a row per scale
    step("drivers")
    outcome = default_outcome(report.nps.n > 0, not report.overall.empty, sorted(outcome_columns(con, flt)))
    if outcome is not None:  # the outcome the study has, as the Drivers page opens on it
        try:
            report.drivers = drivers_for(con, flt, outcome=outcome, method="shapley", missing="pairwise", stats=report.stats)
        except ValueError as exc:
            message = exc.args[0]
            report.drivers_error = message.text(lang) if isinstance(message, Message) else str(message)
    else:
        report.drivers_error = t("no_outcome", lang)
    touchpoints = inventory.load(con, study)
    targets = touchpoints.set_index("name")["target"].dropna()
    if report.drivers is not None:
        report.matrix, x, y = priority_matrix(report.stats, report.drivers.table, "mean", targets)
        report.crosshairs = (x, y)
    step("journey")
    report.phases = inventory.phases(con, study)
    cards = journey_cards(touchpoints, report.stats, report.phases, "department",
                          report.drivers.table if report.drivers else None)
    report.cards, report.curve = cards, emotion_curve(cards)
    with_target = target_gaps(cards)
    if len(with_target):
        report.targets = with_target
    step("tracking")
    waves, trend = tracking_view(con, flt, HEATMAP_METRIC)
    if wave_count(waves, trend) >= 2:  # the touchpoints' trend stands without an NPS question
        report.nps_waves = waves if len(waves) >= 2 else None
        (report.trend,) = scale_labelled(trend)
        report.movers = biggest_movers(report.trend)
    step("actions")
    report.plan = actions.plan(con, study=study)
    step("cases")
    if study is not None and has_cases(con, study):  # a study without cases: no Cases sheet
        report.case_flow = case_flow(con, study, dataset_ids=ids)
        report.loop_effect = followed_up_effect(con, study)
    step("comments")
    if with_comments:
        report.comments, report.comments_hidden = comments_table(con, flt, lang)
    detractors = detractor_themes(con, flt, k=DETRACTOR_THEMES, quotes=3, lang=lang)
    if len(detractors):
        report.detractors = detractors
    step("data")
    if with_data:
        report.data = respondents_table(con, flt, lang)
    return report
