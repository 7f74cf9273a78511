"""The read commands that print figures (summary, drivers, segments, trend), the weighting and the
report file: each reads one study (:func:`tpm.cli.common.reading`) and prints text or ``--json``."""

from __future__ import annotations

import json
from pathlib import Path

from tpm.cli.common import CliError, Filter, Lazy, access, num, open_existing, print_where, reading, store, where_json
from tpm.cli.options import STUDY_HELP, reading_options, unweighted_option, where_option
from tpm.metrics.registry import CHOICES as METRIC_CHOICES
from tpm.metrics.rules import ANONYMITY, MIN_TEST

drivers_for = Lazy("tpm.metrics.drivers", "drivers_for")
segment_breakdown = Lazy("tpm.metrics.segments", "segment_breakdown")
has_weights = Lazy("tpm.metrics.weighted", "has_weights")
nps_for = Lazy("tpm.metrics.nps", "nps_for")
respondent_count = Lazy("tpm.metrics.nps", "respondent_count")
touchpoint_stats = Lazy("tpm.metrics.satisfaction", "touchpoint_stats")
scale_labelled = Lazy("tpm.formatting", "scale_labelled")
shortened = Lazy("tpm.formatting", "shortened")
jar_distribution = Lazy("tpm.metrics.jar", "jar_distribution")


def summary_dict(con, flt: Filter) -> dict:
    nps = nps_for(con, flt)
    stats = touchpoint_stats(con, flt)
    return {
        "weighted": has_weights(con, flt),
        "respondents": respondent_count(con, flt),
        "nps": {
            "score": num(nps.score), "n": nps.n, "n_eff": num(nps.n_eff), "promoters": nps.promoters,
            "passives": nps.passives, "detractors": nps.detractors, "promoter_share": num(nps.promoter_share),
            "detractor_share": num(nps.detractor_share), "se": num(nps.se), "ci_low": num(nps.ci_low),
            "ci_high": num(nps.ci_high),
        },
        "touchpoints": [
            {
                "name": r.touchpoint, "n": int(r.n), "n_eff": num(r.n_eff), "mean": num(r.mean), "scale_min": int(r.scale_min),
                "scale_max": int(r.scale_max), "score_0_100": num(r.score_0_100), "top2_box": num(r.top2_box),
                "bottom2_box": num(r.bottom2_box), "box_points": int(r.box_points),
                "ci_low": num(r.ci_low), "ci_high": num(r.ci_high),
                "dont_know": int(r.dont_know), "dont_know_rate": num(r.dont_know_rate),
            }
            for r in stats.itertuples()
        ],
        # just-about-right questions: a distribution (% of those who answered), never a score
        "just_about_right": [
            {"question": r.question, "n": int(r.n), "too_little": num(r.too_little), "just_right": num(r.just_right),
             "too_much": num(r.too_much)}
            for r in jar_distribution(con, flt).itertuples()
        ],
    }


def add_summary(sub) -> None:
    p = sub.add_parser("summary", help="respondents, NPS and per-touchpoint satisfaction")
    reading_options(p)
    p.set_defaults(func=cmd_summary)



def cmd_summary(args) -> int:
    with reading(args) as (con, flt):
        data = {**summary_dict(con, flt), **where_json(flt)}
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print_where(flt)
    n = data["nps"]
    print(f"respondents: {data['respondents']}{' (weighted figures)' if data['weighted'] else ''}")
    if n["n"]:
        n_eff = f", n_eff={n['n_eff']:.0f}" if data["weighted"] else ""
        print(f"NPS: {n['score']:+.1f} (95% CI {n['ci_low']:+.1f} to {n['ci_high']:+.1f}, n={n['n']}"
              f"{n_eff}; "
              f"promoters {n['promoters']}, passives {n['passives']}, detractors {n['detractors']})")
    print(f"{'touchpoint':<28} {'n':>6} {'mean':>6} {'scale':>6} {'0-100':>6} {'top2%':>6}")
    for tp in data["touchpoints"]:
        flag = f"  (n<{MIN_TEST})" if tp["n"] < MIN_TEST else ""
        print(f"{tp['name'][:28]:<28} {tp['n']:>6} {tp['mean']:>6.2f} {tp['scale_min']:>2}-{tp['scale_max']:<3} "
              f"{tp['score_0_100']:>6.1f} {tp['top2_box']:>6.1f}{flag}")
    if data["just_about_right"]:
        print(f"{'just about right':<28} {'n':>6} {'too little %':>12} {'just right %':>12} {'too much %':>12}")
        for q in data["just_about_right"]:
            print(f"{q['question'][:28]:<28} {q['n']:>6} {q['too_little']:>12.1f} {q['just_right']:>12.1f} {q['too_much']:>12.1f}")
    return 0


def add_drivers(sub) -> None:
    p = sub.add_parser("drivers", help="key drivers of recommendation (or another outcome) among the touchpoints")
    p.add_argument("--db")
    p.add_argument("--dataset", action="append", help="dataset name (repeatable; default: all)")
    p.add_argument("--outcome", default="nps", help="'nps' (default), 'overall', an outcome column (role outcome, e.g. churn: yes = 1, no = 0) "
                                                   "or a touchpoint name")
    p.add_argument("--method", choices=["shapley", "relative_weights"], default="shapley")
    p.add_argument("--missing", choices=["pairwise", "listwise"], default="pairwise")
    p.add_argument("--bootstrap", type=int, default=0, help="resamples for 95%% CIs of the shares (e.g. 999)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    unweighted_option(p)
    where_option(p)
    p.add_argument("--study", help=STUDY_HELP)
    p.set_defaults(func=cmd_drivers)



def cmd_drivers(args) -> int:
    with reading(args) as (con, flt):
        try:
            result = drivers_for(con, flt, outcome=args.outcome, method=args.method, missing=args.missing,
                                 bootstrap=args.bootstrap, seed=args.seed)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    rows = []
    for r in result.table.itertuples():
        row = {"name": r.driver, "raw": num(r.raw), "share": num(r.share), "sign": int(r.sign), "n": int(r.n),
               "n_eff": num(r.n_eff)}
        if args.bootstrap:
            row.update(ci_low=num(r.ci_low), ci_high=num(r.ci_high))
        rows.append(row)
    data = {"outcome": result.outcome, "method": result.method, "missing": result.missing, "weighted": result.weighted,
            "n": result.n, "n_eff": num(result.n_eff),
            "r2": num(result.r2), "r2_adj": num(result.r2_adj), "drivers": rows, "notes": result.notes, "warnings": result.warnings,
            **where_json(flt)}
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print_where(flt)
    n_eff = f", n_eff = {data['n_eff']:.0f}" if data["weighted"] else ""
    print(f"key drivers of {data['outcome']}: {data['method']}, {data['missing']} deletion, n = {data['n']}"
          f"{n_eff}, R² = {data['r2']:.3f} (adjusted {data['r2_adj'] or float('nan'):.3f})")
    for row in rows:
        ci = f"  [{row['ci_low']:.1f}–{row['ci_high']:.1f}]" if args.bootstrap else ""
        print(f"  {row['name'][:30]:<30} {row['share']:5.1f} %{ci}  ({'+' if row['sign'] >= 0 else '−'}, n={row['n']})")
    for line in result.notes:
        print(f"note: {line}")
    for line in result.warnings:
        print(f"warning: {line}")
    return 0


def add_segments(sub) -> None:
    p = sub.add_parser("segments", help="touchpoint x segment breakdown with significance against the rest")
    p.add_argument("--by", required=True, help="segment column, e.g. Region")
    p.add_argument("--metric", choices=METRIC_CHOICES, default="mean")
    p.add_argument("--anonymity", type=int, default=ANONYMITY, help=f"hide cells with fewer respondents (default {ANONYMITY})")
    reading_options(p)
    p.set_defaults(func=cmd_segments)



def cmd_segments(args) -> int:
    with reading(args) as (con, flt):
        known = store.segment_values(con, list(flt.datasets), flt.study)
        if args.by not in known:
            raise CliError(f"no segment '{args.by}'; segments: {', '.join(known) or 'none'}")
        table = segment_breakdown(con, flt, args.by, args.metric, anonymity=args.anonymity)
    (table,) = scale_labelled(table)  # a touchpoint on two scales: "Hotline (1–5)", "Hotline (1–10)"
    cells = [{"touchpoint": r.touchpoint, "scale_min": int(r.scale_min), "scale_max": int(r.scale_max), "segment": r.segment,
              "n": int(r.n), "n_eff": num(r.n_eff), "value": num(r.value),
              "diff": num(r.diff), "p": num(r.p), "q": num(r.q), "flag": r.flag, "caution": bool(r.caution)}
             for r in table.itertuples()]
    weighted = bool(table["weighted"].any()) if len(table) else False
    if args.json:
        print(json.dumps({"by": args.by, "metric": args.metric, "weighted": weighted, "cells": cells, **where_json(flt)},
                         ensure_ascii=False, indent=2))
        return 0
    print_where(flt)
    marks = {"higher": "▲", "lower": "▼", "ns": "", "untested": f"(n<{MIN_TEST})", "hidden": "(hidden)"}
    print(f"{args.metric} by {args.by}{', weighted' if weighted else ''}, each cell against the rest "
          "(Benjamini–Hochberg q < 0.05 marked)")
    for c in cells:
        value = "–" if c["value"] is None else f"{c['value']:.2f}"
        diff = "" if c["diff"] is None else f"{c['diff']:+.2f}"
        print(f"  {shortened(c['touchpoint'], 24):<24} {c['segment'][:16]:<16} n={c['n']:<6} {value:>8} {diff:>8} {marks[c['flag']]}")
    return 0


def add_trend(sub) -> None:
    p = sub.add_parser("trend", help="NPS and touchpoints per wave, with change tests")
    p.add_argument("--metric", choices=METRIC_CHOICES, default="score")
    p.add_argument("--waves", choices=["dataset", "month", "quarter"], default="dataset",
                   help="waves from the dataset's wave label (default) or from response dates")
    reading_options(p)
    p.set_defaults(func=cmd_trend)



def cmd_trend(args) -> int:
    from tpm.metrics.trend import TRACKING_RULE, tracking_view

    with reading(args) as (con, flt):
        nps, table = tracking_view(con, flt, args.metric, by=args.waves)
        weighted = has_weights(con, flt)
    (table,) = scale_labelled(table)  # a touchpoint on two scales: "Hotline (1–5)", "Hotline (1–10)"

    def rows(frame, with_touchpoint):
        return [{**({"touchpoint": r.touchpoint, "scale_min": int(r.scale_min), "scale_max": int(r.scale_max)}
                    if with_touchpoint else {}), "wave": r.wave, "n": int(r.n),
                 "n_eff": num(r.n_eff), "value": num(r.value), "ci_low": num(r.ci_low), "ci_high": num(r.ci_high),
                 "change": num(r.change), "p": num(r.p), "q": num(r.q), "significant": bool(r.significant)}
                for r in frame.itertuples()]

    data = {"metric": args.metric, "waves_by": args.waves, "weighted": weighted, "rule": TRACKING_RULE,
            "waves": nps["wave"].tolist(), "nps": rows(nps, False), "touchpoints": rows(table, True), **where_json(flt)}
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print_where(flt)
    print(f"waves: {', '.join(data['waves'])}")
    for r in data["nps"]:
        change = "" if r["change"] is None else f"  change {r['change']:+.1f}{' *' if r['significant'] else ''}"
        print(f"  NPS {r['wave']}: {r['value']:+.1f} [{r['ci_low']:+.1f}, {r['ci_high']:+.1f}] n={r['n']}{change}")
    for r in data["touchpoints"]:
        change = "" if r["change"] is None else f"  change {r['change']:+.2f}{' *' if r['significant'] else ''}"
        print(f"  {shortened(r['touchpoint'], 24):<24} {r['wave'][:28]:<28} {r['value']:7.2f} n={r['n']}{change}")
    print(f"* = significant: {TRACKING_RULE}")
    return 0


def add_weights(sub) -> None:
    p = sub.add_parser("weights", help="rake a dataset to known margins (CSV variable,value,share) and store the weights")
    p.add_argument("--db")
    p.add_argument("--dataset", required=True, help="dataset name or id")
    p.add_argument("--margins", required=True, type=Path, help="CSV with the columns variable,value,share (e.g. Region,Nord,25)")
    p.add_argument("--trim", nargs=2, type=float, metavar=("LOW", "HIGH"),
                   help="trim the weights to LOW–HIGH times the mean weight, e.g. --trim 0.3 3")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_weights)



def cmd_weights(args) -> int:
    from tpm.weights import describe, read_margins

    if not args.margins.is_file():
        raise CliError(f"'{args.margins}': no such file")
    margins = read_margins(args.margins.name, args.margins.read_bytes())
    con = open_existing(args.db, read_only=False)
    try:
        result = access.perform(con, access.cli_actor(), "dataset.weights", args.dataset, margins,
                                tuple(args.trim) if args.trim else None, source=args.margins.name, target=args.dataset,
                                details={"source": args.margins.name})
    finally:
        con.close()
    if args.json:
        print(json.dumps({"dataset": args.dataset, "weighted": True, **{k: num(v) for k, v in result.summary.items()},
                          "max_margin_error": num(result.max_error), "trim": list(args.trim) if args.trim else None},
                         ensure_ascii=False, indent=2))
        return 0
    print(f"{args.dataset}: {describe(result)}")
    return 0


def add_report(sub) -> None:
    p = sub.add_parser("report", help="the dashboard as an Excel workbook (.xlsx) or a PowerPoint deck (.pptx)")
    p.add_argument("--db")
    p.add_argument("--dataset", action="append", help="dataset name (repeatable; default: all)")
    p.add_argument("--lang", choices=["de", "en"], default="de", help="language of sheets, labels and headlines")
    p.add_argument("--no-data", action="store_true", help="leave out the respondent-level data sheet")
    p.add_argument("--out", type=Path, required=True, help="FILE.xlsx or FILE.pptx (the suffix chooses)")
    where_option(p)
    p.add_argument("--study", help=STUDY_HELP)
    p.set_defaults(func=cmd_report)



def cmd_report(args) -> int:
    from tpm.report import FORMATS, write_report
    from tpm.report.content import ReportError

    out: Path = args.out
    if out.suffix.lower() not in FORMATS:
        raise CliError(f"--out '{out}': the file must end in .xlsx (workbook) or .pptx (deck)")
    if not out.parent.is_dir():
        raise CliError(f"--out '{out}': no folder '{out.parent}'")
    with reading(args) as (con, flt):
        try:
            seconds = write_report(con, flt, out, args.lang, with_data=not args.no_data)
        except ReportError as exc:
            raise CliError(str(exc)) from None
    print(f"{out}: written in {seconds:.1f} s")
    return 0
