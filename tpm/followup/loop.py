"""Closing the loop, measured: how the follow-up cases flow (opened, closed, time to close, within the SLA) and
whether following up a detractor moved the NPS when the same customer answers again in a later wave.

Waves are the study's datasets in the order of :mod:`tpm.metrics.trend` (first response date, then dataset id).
Both functions read; neither writes.

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. *JASA* 22, 209–212.
Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review* 81(12), 46–54.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from tpm import studies
from tpm.metrics.estimate import Estimate
from tpm.metrics.nps_counts import nps_variance
from tpm.metrics.registry import METRICS
from tpm.metrics.rules import ANONYMITY, DETRACTOR_MAX, PROMOTER_MIN

#: the two groups of :func:`followed_up_effect`: a case closed as done, and a case unreachable or still open
GROUPS = ("followed_up", "not_reached")
#: the keys that find a customer's later answer, in the order they are tried
MATCH_KEYS = ("respondent_id", "customer_no")
#: respondent ids the import made up ("row-N": the row number) identify nobody across waves
GENERATED_ID = r"^row-[0-9]+$"

_WAVES = """SELECT d.id AS dataset_id, d.name AS dataset, d.wave,
                   row_number() OVER (ORDER BY min(r.responded_at) NULLS LAST, d.id) AS wave_no
            FROM datasets d LEFT JOIN respondents r ON r.dataset_id = d.id
            WHERE d.study_id = ? GROUP BY d.id, d.name, d.wave"""


def _wilson(k: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson interval (in %) of k of n: the metric registry's interval of a share (one home)."""
    n = n.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = 100 * k / n
    est = Estimate(value=value, se=np.full_like(n, np.nan), n=n, n_eff=n, sw=n)
    low, high = METRICS["top2"].interval(est, weighted=False, confidence=confidence)
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def case_flow(con, study: int | str | None, dataset_ids: list[int] | None = None,
              confidence: float = 0.95) -> pd.DataFrame:
    """Cases per wave (dataset) and rule: opened, closed, still open, median days to close, share within the SLA.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    study : the study (id, name, or None for the only one)
    dataset_ids : only these datasets (None: all of the study)
    confidence : of the SLA share's interval

    Returns
    -------
    pandas.DataFrame
        One row per dataset and rule with cases, in wave order then rule id: ``wave_no``, ``dataset_id``,
        ``dataset``, ``wave``, ``rule_id``, ``rule``, ``opened``, ``closed``, ``open``, ``median_days``,
        ``sla_n``, ``in_sla``, ``sla_share``, ``sla_low``, ``sla_high``.

    Notes
    -----
    A case belongs to the wave of the response that opened it. ``closed`` counts the closed states (done,
    unreachable), ``open = opened − closed``. ``median_days`` is the median of (closed_at − opened_at) in days
    (fractions kept; the mean of the middle two for an even count) over the closed cases. The SLA share is
    ``in_sla / sla_n`` with ``sla_n`` the closed cases that have a due date and ``in_sla`` those with
    closed_at ≤ due_at, in %, with the Wilson score interval
    (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n) — NaN where ``sla_n`` is 0.
    """
    sid = studies.resolve(con, study)
    frame = con.execute(
        f"""WITH w AS ({_WAVES})
            SELECT w.wave_no, w.dataset_id, w.dataset, w.wave, c.rule_id, any_value(a.name) AS rule,
                   count(*) AS opened, count(c.closed_at) AS closed,
                   count(*) - count(c.closed_at) AS open,
                   median(date_diff('second', c.opened_at, c.closed_at) / 86400.0) AS median_days,
                   count(*) FILTER (WHERE c.closed_at IS NOT NULL AND c.due_at IS NOT NULL) AS sla_n,
                   count(*) FILTER (WHERE c.closed_at <= c.due_at) AS in_sla
            FROM cases c JOIN w ON w.dataset_id = c.dataset_id
            LEFT JOIN alert_rules a ON a.id = c.rule_id
            WHERE ?::INTEGER[] IS NULL OR list_contains(?::INTEGER[], c.dataset_id)
            GROUP BY ALL ORDER BY w.wave_no, c.rule_id""",
        [sid, dataset_ids, dataset_ids]).df()
    sla_n, in_sla = frame["sla_n"].to_numpy(float), frame["in_sla"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(sla_n > 0, 100 * in_sla / sla_n, np.nan)
    low, high = _wilson(in_sla, sla_n, confidence)
    return frame.assign(sla_share=share, sla_low=low, sla_high=high)


def has_cases(con, study: int | str | None) -> bool:
    """Whether any response of the study has a case."""
    sid = studies.resolve(con, study)
    return bool(con.execute("SELECT count(*) > 0 FROM cases c JOIN datasets d ON d.id = c.dataset_id WHERE d.study_id = ?",
                            [sid]).fetchone()[0])


@dataclass
class Group:
    """One group of :func:`followed_up_effect`; the figures are NaN when ``hidden`` (``reason`` says why)."""

    group: str
    n: int
    by_respondent_id: int
    by_customer_no: int
    nps_before: float = math.nan
    nps_after: float = math.nan
    change: float = math.nan
    se: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    hidden: bool = False
    reason: str | None = None  # i18n key (``loop_hidden_base``) or None


@dataclass
class LoopEffect:
    """The NPS change of followed-up vs not-reached detractors; ``difference`` = followed_up − not_reached."""

    base: int
    confidence: float
    groups: list[Group] = field(default_factory=list)
    difference: float = math.nan
    diff_low: float = math.nan
    diff_high: float = math.nan
    reason: str | None = None  # why there is no difference (a group hidden)

    def group(self, name: str) -> Group:
        return next(g for g in self.groups if g.group == name)

    def as_dict(self) -> dict:
        clean = lambda v: None if isinstance(v, float) and math.isnan(v) else v  # noqa: E731 (JSON has no NaN)
        out = asdict(self)
        out["groups"] = [{k: clean(v) for k, v in g.items()} for g in out["groups"]]
        return {k: clean(v) if k != "groups" else v for k, v in out.items()}


def repeat_pairs(con, study: int | str | None) -> pd.DataFrame:
    """Each followed-or-not detractor and their next answer in a later wave: one row per customer.

    Returns columns ``dataset_id``, ``resp`` (the detractor's response), ``group`` (:data:`GROUPS`),
    ``nps_before``, ``later_dataset_id``, ``later_resp``, ``nps_after``, ``matched_by`` (:data:`MATCH_KEYS`).

    Notes
    -----
    A detractor is a response with a 0–10 answer ≤ DETRACTOR_MAX and at least one case; *followed up* when one of
    its cases is ``done``, else *not reached* (``unreachable``, or never closed). Their later answer is the same
    customer's response with a 0–10 answer in the nearest later wave: the same respondent id (ids the import made up,
    ``row-N``, match nobody) or else the same ``customer_no`` contact (trimmed, case-insensitive); the first match
    wins, a respondent-id match before a customer-number one. A customer counts once: a detractor response that is
    itself the later answer of another pair starts no pair of its own.
    """
    sid = studies.resolve(con, study)
    pairs = con.execute(
        f"""WITH w AS ({_WAVES}),
            keyed AS (
                SELECT r.dataset_id, r.resp, r.nps, w.wave_no,
                       CASE WHEN NOT regexp_matches(r.respondent_id, '{GENERATED_ID}') THEN r.respondent_id END AS rid,
                       (SELECT min(lower(trim(k.value))) FROM contacts k WHERE k.dataset_id = r.dataset_id
                          AND k.resp = r.resp AND k.kind = 'customer_no') AS cno
                FROM respondents r JOIN w USING (dataset_id) WHERE r.nps IS NOT NULL),
            det AS (
                SELECT k.*, bool_or(c.status = 'done') AS done
                FROM cases c JOIN keyed k USING (dataset_id, resp)
                WHERE k.nps <= {DETRACTOR_MAX} GROUP BY ALL),
            matched AS (
                SELECT det.dataset_id, det.resp, det.done, det.nps AS nps_before,
                       l.dataset_id AS later_dataset_id, l.resp AS later_resp, l.nps AS nps_after,
                       CASE WHEN coalesce(det.rid = l.rid, false) THEN 'respondent_id' ELSE 'customer_no' END AS matched_by,
                       row_number() OVER (PARTITION BY det.dataset_id, det.resp
                                          ORDER BY l.wave_no, coalesce(det.rid = l.rid, false) DESC, l.dataset_id, l.resp) AS pick
                FROM det JOIN keyed l ON l.wave_no > det.wave_no AND (det.rid = l.rid OR det.cno = l.cno))
            SELECT dataset_id, resp, CASE WHEN done THEN 'followed_up' ELSE 'not_reached' END AS "group",
                   nps_before, later_dataset_id, later_resp, nps_after, matched_by
            FROM matched WHERE pick = 1 ORDER BY dataset_id, resp""",
        [sid]).df()
    later = set(zip(pairs["later_dataset_id"], pairs["later_resp"]))
    chained = [(d, r) in later for d, r in zip(pairs["dataset_id"], pairs["resp"])]
    return pairs[~np.array(chained, dtype=bool)].reset_index(drop=True)


def _nps(answers: np.ndarray) -> tuple[float, float, float]:
    """(NPS in points, share of promoters, share of detractors) of 0–10 answers."""
    p_pro, p_det = float(np.mean(answers >= PROMOTER_MIN)), float(np.mean(answers <= DETRACTOR_MAX))
    return 100 * (p_pro - p_det), p_pro, p_det


def followed_up_effect(con, study: int | str | None, base: int = ANONYMITY, confidence: float = 0.95) -> LoopEffect:
    """The NPS change of detractors followed up vs not reached, among those answering again in a later wave.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    study : the study (id, name, or None for the only one)
    base : a group with fewer customers is hidden (reason ``loop_hidden_base``); default the anonymity base
    confidence : of the intervals

    Returns
    -------
    LoopEffect
        per group n (and how many matched by respondent id / customer number), NPS before and after, the change
        with SE and CI; the difference of the changes with its CI, or the reason it is missing.

    Notes
    -----
    Pairs: :func:`repeat_pairs`. Per group of n customers, with s ∈ {−1, 0, +1} (detractor, passive, promoter):

    - change Δ = NPS_after − NPS_before = 100·(p_pro,after − p_det,after) − 100·(p_pro,before − p_det,before).
    - Every earlier answer is a detractor's (s = −1, NPS_before = −100), a constant: the paired difference
      d = s_after − s_before has the variance of s_after alone, so
      SE(Δ) = 100·√(v(p_pro,after, p_det,after) / n) with v(p⁺, p⁻) = p⁺ + p⁻ − (p⁺ − p⁻)²
      (:func:`tpm.metrics.nps_counts.nps_variance`); CI Δ ± z·SE (Wald).
    - The two groups are different customers (independent): difference D = Δ_followed − Δ_not,
      SE(D) = √(SE_followed² + SE_not²), CI D ± z·SE(D).
    """
    pairs = repeat_pairs(con, study)
    z = float(norm.ppf(0.5 + confidence / 2))
    out = LoopEffect(base=int(base), confidence=confidence)
    for name in GROUPS:
        part = pairs[pairs["group"] == name]
        matched = part["matched_by"].value_counts()
        g = Group(name, len(part), int(matched.get("respondent_id", 0)), int(matched.get("customer_no", 0)))
        if g.n < base:
            g.hidden, g.reason = True, "loop_hidden_base"
        else:
            before, _, _ = _nps(part["nps_before"].to_numpy(float))
            after, p_pro, p_det = _nps(part["nps_after"].to_numpy(float))
            g.nps_before, g.nps_after, g.change = before, after, after - before
            g.se = 100 * math.sqrt(nps_variance(p_pro, p_det) / g.n)
            g.ci_low, g.ci_high = g.change - z * g.se, g.change + z * g.se
        out.groups.append(g)
    followed, not_reached = (out.group(n) for n in GROUPS)
    if followed.hidden or not_reached.hidden:
        out.reason = "loop_hidden_base"
    else:
        out.difference = followed.change - not_reached.change
        half = z * math.hypot(followed.se, not_reached.se)
        out.diff_low, out.diff_high = out.difference - half, out.difference + half
    return out
