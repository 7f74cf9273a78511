"""``python -m tpm cases loop [--json] [--study S]``: closing the loop, measured (:mod:`tpm.followup.loop`) — the
cases per wave and rule (opened, closed, open, median days to close, share within the SLA with its 95 % CI) and the
NPS change of followed-up vs not-reached detractors answering again, with its base. Read only. The ``cases`` command
(tpm/cli/alerts.py) dispatches this action here. An unknown study, or several and none chosen: exit 2, one line.
"""

from __future__ import annotations

import json
import math

from tpm.cli.common import chosen_study, existing, studies
from tpm.i18n import t


def _number(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 4)


def loop_figures(con, study) -> dict:
    """The figures of the command as plain data (JSON-ready: NaN → null)."""
    from tpm.followup.loop import case_flow, followed_up_effect

    flow = case_flow(con, study)
    effect = followed_up_effect(con, study)
    rows = [{"wave": r.wave, "dataset": r.dataset, "rule": r.rule, "opened": int(r.opened), "closed": int(r.closed),
             "open": int(r.open), "median_days": _number(r.median_days), "sla_n": int(r.sla_n), "in_sla": int(r.in_sla),
             "sla_share": _number(r.sla_share), "sla_low": _number(r.sla_low), "sla_high": _number(r.sla_high)}
            for r in flow.itertuples(index=False)]
    out = effect.as_dict()
    for group in out["groups"]:
        group.update({k: _number(group[k]) for k in ("nps_before", "nps_after", "change", "se", "ci_low", "ci_high")})
        if group["reason"]:
            group["reason_text"] = t(group["reason"], "en", base=effect.base)
    out.update({k: _number(out[k]) for k in ("difference", "diff_low", "diff_high")})
    if out["reason"]:
        out["reason_text"] = t(out["reason"], "en", base=effect.base)
    return {"study": studies.name_of(con, study), "flow": rows, "effect": out}


def _fmt(value, signed: bool = False) -> str:
    return "—" if value is None else (f"{value:+.1f}" if signed else f"{value:.1f}")


def cmd_loop(args) -> int:
    with existing(args.db) as con:
        study = chosen_study(con, args.study) or studies.resolve(con, args.study)
        figures = loop_figures(con, study)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return 0
    if not figures["flow"]:
        print("no cases")
    for r in figures["flow"]:
        print(f"{r['wave'] or r['dataset']} · {r['rule']}: {r['opened']} opened, {r['closed']} closed, {r['open']} open; "
              f"median {_fmt(r['median_days'])} days to close; within SLA {_fmt(r['sla_share'])} % "
              f"[{_fmt(r['sla_low'])}, {_fmt(r['sla_high'])}] of {r['sla_n']}")
    effect = figures["effect"]
    for g in effect["groups"]:
        shown = g.get("reason_text") or (f"NPS {_fmt(g['nps_before'], True)} → {_fmt(g['nps_after'], True)}, change "
                                         f"{_fmt(g['change'], True)} [{_fmt(g['ci_low'], True)}, {_fmt(g['ci_high'], True)}]")
        print(f"{g['group']}: n = {g['n']} (respondent id {g['by_respondent_id']}, customer no {g['by_customer_no']}); {shown}")
    diff = effect.get("reason_text") or (f"{_fmt(effect['difference'], True)} [{_fmt(effect['diff_low'], True)}, "
                                         f"{_fmt(effect['diff_high'], True)}]")
    print(f"difference followed up − not reached: {diff} (base: at least {effect['base']} customers per group)")
    return 0
