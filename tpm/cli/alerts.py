"""``python -m tpm alerts add|list|remove|run`` and ``python -m tpm cases [close|assign|loop]``: a study's alert rules and
the follow-up cases they open (:mod:`tpm.followup.cases`), from the shell and from cron.

Writes go through :func:`tpm.access.perform` (checked and audited, as the CLI user). Bad input (an unknown
touchpoint, segment or theme in a rule, a duplicate or unknown rule name, an unknown case id or status, an empty
outcome): exit 2, one line naming it, nothing written.
"""

from __future__ import annotations

import json

from tpm.cli.common import CliError, chosen_study, database, existing, studies
from tpm.cli.options import STUDY_HELP


def add_alerts(sub) -> None:
    p = sub.add_parser("alerts", help="alert rules of a study: add, list, remove, run over the stored waves")
    p.add_argument("action", choices=["list", "add", "remove", "run"])
    p.add_argument("name", nargs="?", help="add/remove: the rule's name")
    p.add_argument("--rule", action="append", default=[], metavar="CONDITION",
                   help='add: a condition (repeatable), e.g. "nps <= 4", "Hotline <= 2", "Hotline = dk", '
                        '"theme: Lieferung", "Region = Nord"; all must hold (AND) unless --any')
    p.add_argument("--any", action="store_true", help="add: a response matching any one condition opens a case (OR)")
    p.add_argument("--sla-days", type=int, default=7, help="add: a case is due this many days after it opened (default 7)")
    p.add_argument("--study", help=STUDY_HELP)
    p.add_argument("--json", action="store_true", help="list: as JSON")
    p.add_argument("--db")
    p.set_defaults(func=cmd_alerts)


def add_cases(sub) -> None:
    p = sub.add_parser("cases", help="follow-up cases: list (overdue first), close with an outcome, assign; purge and "
                                     "retention of contact data; loop: cases per wave, time to close, within SLA, "
                                     "and the NPS change of followed-up detractors")
    p.add_argument("action", nargs="?", choices=["list", "close", "assign", "purge", "retention", "loop"],
                   default="list")
    p.add_argument("ids", nargs="*", type=int, metavar="ID", help="close: one case id; assign: one or more")
    p.add_argument("--outcome", help='close: what was done, e.g. "Problem gelöst", "Gutschrift"')
    p.add_argument("--to", metavar="USER", help="assign: the user the cases go to")
    p.add_argument("--status", help="list: only cases of this status (new, in_progress, done, unreachable)")
    p.add_argument("--owner", help="list: only cases of this owner")
    p.add_argument("--study", help=STUDY_HELP)
    p.add_argument("--json", action="store_true", help="list, loop: as JSON")
    p.add_argument("--days", help="retention: whole days after closing that contact data and notes are kept, or 'none'")
    p.add_argument("--today", help="purge: the day to count from, YYYY-MM-DD (default: today)")
    p.add_argument("--db")
    p.set_defaults(func=cmd_cases)


def _checked(fn, *args, **kwargs):
    """A write or read of tpm.followup, its RuleError as a CLI error (exit 2, one line)."""
    from tpm.followup.rules import RuleError

    try:
        return fn(*args, **kwargs)
    except RuleError as exc:
        raise CliError(str(exc)) from None


def cmd_alerts(args) -> int:
    from tpm import access
    from tpm.followup import cases

    if args.action in ("add", "remove") and not (args.name or "").strip():
        raise CliError(f"alerts {args.action}: name the rule, e.g. 'python -m tpm alerts {args.action} Detraktoren'")
    if args.action == "add" and not args.rule:
        raise CliError('alerts add: give at least one --rule, e.g. --rule "nps <= 4"')
    opened = database(args) if args.action != "list" else existing(args.db)
    with opened as con:
        study = chosen_study(con, args.study) or studies.resolve(con, args.study)
        actor = access.cli_actor()
        if args.action == "add":
            _checked(access.perform, con, actor, "alert.add", study, args.name, args.rule, any_of=args.any,
                     sla_days=args.sla_days, target=args.name,
                     details={"study_id": study, "conditions": args.rule, "any_of": args.any, "sla_days": args.sla_days})
            print(f"added alert rule '{' '.join(args.name.split())}'; open its cases over the stored waves with "
                  "'python -m tpm alerts run' (new imports run it by themselves)")
        elif args.action == "remove":
            _checked(access.perform, con, actor, "alert.remove", study, args.name, target=args.name,
                     details={"study_id": study})
            print(f"removed alert rule '{args.name}' (its cases stay)")
        elif args.action == "run":
            n = _checked(access.perform, con, actor, "alert.run", study, target=str(study), details={"study_id": study})
            print(f"{n} new cases")
        else:
            frame = cases.rules(con, study)
            rows = [{"id": int(r.id), "name": r.name, "conditions": list(r.conditions), "any_of": bool(r.any_of),
                     "sla_days": None if r.sla_days != r.sla_days else int(r.sla_days), "cases": int(r.cases)}
                    for r in frame.itertuples(index=False)]
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
                return 0
            if not rows:
                print("no alert rules")
            for r in rows:
                joined = (" OR " if r["any_of"] else " AND ").join(r["conditions"])
                sla = "no due date" if r["sla_days"] is None else f"due in {r['sla_days']} days"
                print(f"{r['id']:>4}  {r['name']}: {joined} ({sla}; {r['cases']} cases)")
    return 0


def _iso(value) -> str | None:
    return None if value is None or value != value else value.isoformat()


def cmd_cases(args) -> int:
    from tpm import access
    from tpm.cli import followup_ops
    from tpm.followup import cases

    if args.action == "purge":
        return followup_ops.cmd_purge(args)
    if args.action == "loop":
        from tpm.cli.loop import cmd_loop

        return cmd_loop(args)
    if args.action == "retention":
        if args.days is None:
            raise CliError("cases retention: --days N (or none) and --study S, e.g. cases retention --study S --days 90")
        return followup_ops.cmd_retention(args)
    if args.action == "close" and (len(args.ids) != 1 or not (args.outcome or "").strip()):
        raise CliError('cases close: one case id and --outcome, e.g. cases close 12 --outcome "Problem gelöst"')
    if args.action == "assign" and (not args.ids or not (args.to or "").strip()):
        raise CliError("cases assign: one or more case ids and --to USER, e.g. cases assign 12 13 --to anna")
    if args.action == "list" and args.ids:
        raise CliError("cases: case ids are for 'close' and 'assign'")
    actor = access.cli_actor()
    if args.action == "close":
        with database(args) as con:
            _checked(access.perform, con, actor, "case.close", args.ids[0], args.outcome, target=args.ids[0],
                     details={"outcome": args.outcome})
        print(f"closed case {args.ids[0]}")
        return 0
    if args.action == "assign":
        with database(args) as con:
            _checked(access.perform, con, actor, "case.assign", args.ids, args.to, target=",".join(map(str, args.ids)),
                     details={"to": args.to})
        print(f"assigned {len(set(args.ids))} cases to {args.to}")
        return 0
    with existing(args.db) as con:
        study = chosen_study(con, args.study) or studies.resolve(con, args.study)
        frame = _checked(cases.cases, con, study, status=args.status, owner=args.owner)
    rows = [{"id": int(r.id), "status": r.status, "overdue": bool(r.overdue), "due_at": _iso(r.due_at),
             "opened_at": _iso(r.opened_at), "owner": r.owner, "rule": r.rule, "dataset": r.dataset,
             "respondent_id": r.respondent_id, "nps": None if r.nps != r.nps else r.nps, "outcome": r.outcome,
             "closed_at": _iso(r.closed_at), "notes": int(r.notes)} for r in frame.itertuples(index=False)]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no cases")
    for r in rows:
        due = (r["due_at"] or "—")[:10] + (" OVERDUE" if r["overdue"] else "")
        print(f"{r['id']:>6}  {r['status']:<12} due {due:<19} {r['owner'] or '—'}  {r['rule']} · {r['dataset']} · "
              f"respondent {r['respondent_id']}")
    return 0
