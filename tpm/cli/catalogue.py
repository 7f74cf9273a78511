"""The commands that list and tidy what the database holds: datasets, studies (rename, merge,
delete), moving and deleting a dataset, re-mapping its columns, renaming or merging a touchpoint."""

from __future__ import annotations

import json
import sys

from tpm.cli.common import CliError, access, chosen_study, database, open_existing, reading, store, studies
from tpm.cli.importing import parse_overrides
from tpm.cli.options import STUDY_HELP


def add_datasets(sub) -> None:
    p = sub.add_parser("datasets", help="list the datasets (waves) of a study")
    p.add_argument("--db")
    p.add_argument("--study", help=STUDY_HELP)
    p.set_defaults(func=cmd_datasets)



def cmd_datasets(args) -> int:
    with reading(args) as (con, flt):
        frame = store.list_datasets(con, flt.study)
        name = studies.name_of(con, flt.study)
    if name:
        print(f"study: {name}")
    if frame.empty:
        print("no datasets")
    for r in frame.itertuples():
        print(f"{r.id:>4}  {r.name}  (wave {r.wave}; {r.respondents} respondents, {r.touchpoints} touchpoints, from {r.source_file})")
    return 0


def add_studies(sub) -> None:
    p = sub.add_parser("studies", help="list the studies with their waves, respondents and last import")
    p.add_argument("--db")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_studies)



def cmd_studies(args) -> int:
    con = open_existing(args.db)
    try:
        frame = studies.list_studies(con)
    finally:
        con.close()
    rows = [{"id": int(r.id), "name": r.name, "waves": list(r.waves), "datasets": int(r.datasets),
             "respondents": int(r.respondents),
             "last_import": None if r.last_import is None or r.last_import != r.last_import else r.last_import.isoformat()}
            for r in frame.itertuples()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no studies")
    for r in rows:
        last = (r["last_import"] or "—")[:16].replace("T", " ")
        print(f"{r['id']:>4}  {r['name']}  ({len(r['waves'])} waves: {', '.join(r['waves']) or '—'}; "
              f"{r['respondents']} respondents; last import {last})")
    return 0


def add_study(sub) -> None:
    p = sub.add_parser("study", help="rename, merge or delete a study")
    p.add_argument("action", choices=["rename", "merge", "delete"])
    p.add_argument("study", help="study name or id")
    p.add_argument("other", nargs="?", help="rename: the new name; merge: the study to merge into")
    p.add_argument("--db")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation (delete)")
    p.set_defaults(func=cmd_study)



def cmd_study(args) -> int:
    actor = access.cli_actor()
    with database(args) as con:
        sid = studies.resolve(con, args.study)
        name = studies.name_of(con, sid)
        if args.action == "rename":
            if not args.other:
                raise CliError("rename needs the new name: python -m tpm study rename OLD NEW")
            access.perform(con, actor, "study.rename", sid, args.other, target=sid, details={"from": name, "name": args.other})
            print(f"renamed study '{name}' to '{studies.name_of(con, sid)}'")
        elif args.action == "merge":
            if not args.other:
                raise CliError("merge needs the study to merge into: python -m tpm study merge SOURCE TARGET")
            target = studies.resolve(con, args.other)
            narrowed = access.perform(con, actor, "study.merge", sid, target, target=sid, details={"name": name, "into": target})
            print(f"merged study '{name}' into '{studies.name_of(con, target)}'")
            if narrowed:  # a merge widens no limit: who saw only one of the two sees neither now
                print(f"no longer shared with (they saw only one of the two): {', '.join(narrowed)}")
        else:
            frame = studies.list_studies(con).set_index("id")
            if not _confirmed(args, f"Delete study '{name}' with {frame.loc[sid, 'datasets']} dataset(s), "
                                    f"{frame.loc[sid, 'respondents']} respondents, its inventory and measures?"):
                return 1
            access.perform(con, actor, "study.delete", sid, target=sid, details={"name": name})
            print(f"deleted study '{name}' (id {sid})")
    return 0


def _confirmed(args, question: str) -> bool:
    """--yes, or a "y" typed at the terminal; refuses (exit 2) without a terminal."""
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise CliError("refusing to delete without confirmation; pass --yes")
    if input(f"{question} [y/N] ").strip().lower() in {"y", "yes", "j", "ja"}:
        return True
    print("nothing deleted")
    return False


def _dataset(con, key: str, study: str | None):
    """The one dataset called ``key`` (or with that id), within ``study`` if given."""
    frame = store.list_datasets(con, studies.resolve(con, study) if study else None)
    match = frame[(frame["name"] == key) | (frame["id"].astype(str) == key)]
    if match.empty:
        raise CliError(f"no dataset '{key}'")
    if len(match) > 1:
        raise CliError(f"several datasets are called '{key}'; give the id or --study")
    return match.iloc[0]


def add_move(sub) -> None:
    p = sub.add_parser("move", help="move a dataset (wave) to another study, e.g. to split a study holding two programmes")
    p.add_argument("dataset", help="dataset name or id")
    p.add_argument("to", help="the study to move it to (name or id; created if missing)")
    p.add_argument("--study", help="the study of the dataset (when names repeat across studies)")
    p.add_argument("--db")
    p.set_defaults(func=cmd_move)



def cmd_move(args) -> int:
    with database(args) as con:
        row = _dataset(con, args.dataset, args.study)
        target = studies.find(con, args.to)
        created = target is None
        target = access.perform(con, access.cli_actor(), "dataset.move", int(row["id"]), args.to if created else target,
                                target=int(row["id"]), details={"name": row["name"], "to_study": args.to})
        print(f"moved dataset '{row['name']}' (id {row['id']}) to study '{studies.name_of(con, target)}'{' (new)' if created else ''}")
    return 0


def add_delete(sub) -> None:
    p = sub.add_parser("delete", help="delete a dataset and all its responses")
    p.add_argument("dataset", help="dataset name or id")
    p.add_argument("--study", help="the study of the dataset (when names repeat across studies)")
    p.add_argument("--db")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_delete)



def cmd_delete(args) -> int:
    with database(args) as con:
        row = _dataset(con, args.dataset, args.study)
        if not _confirmed(args, f"Delete dataset '{row['name']}' with {row['respondents']} respondents?"):
            return 1
        access.perform(con, access.cli_actor(), "dataset.delete", int(row["id"]), target=int(row["id"]),
                       details={"name": row["name"]})
        print(f"deleted dataset '{row['name']}' (id {row['id']})")
    return 0


def _pairs(option: str, texts: list[str]) -> list[tuple[str, str]]:
    """``["H=V", …]`` → [(H, V), …]; the header may itself contain "=" (the value is after the last one)."""
    out = []
    for text in texts:
        header, sep, value = text.rpartition("=")
        if not sep or not header.strip() or not value.strip():
            raise CliError(f"{option} '{text}': write HEADER=VALUE")
        out.append((header.strip(), value.strip()))
    return out


def add_remap(sub) -> None:
    p = sub.add_parser("remap", help="correct a stored dataset's column roles, scales or missing codes; "
                                     "its rows are derived again from the file kept at the import")
    p.add_argument("--db")
    p.add_argument("--dataset", required=True, help="dataset name or id")
    p.add_argument("--study", help="the study of the dataset (when names repeat across studies)")
    p.add_argument("--role", action="append", default=[], metavar="HEADER=ROLE",
                   help="the role of a column, e.g. \"Gewicht=weight\" (roles: id, date, rating, nps, overall, weight, "
                        "segment, multi, jar (just about right), comment, ignore; repeatable)")
    p.add_argument("--scale", action="append", default=[], metavar="HEADER=MIN-MAX",
                   help="the scale of a rating column, e.g. \"Website=1-10\" (repeatable)")
    p.add_argument("--missing", action="append", default=[], metavar="HEADER=CODE[;CODE]",
                   help="values of a rating column that mean 'no answer', e.g. \"Hotline (1-5)=0\" (repeatable)")
    p.add_argument("--name", action="append", default=[], metavar="HEADER=NAME",
                   help="the touchpoint or segment name of a column (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="show the stored mapping and what would change; write nothing")
    p.set_defaults(func=cmd_remap)



def cmd_remap(args) -> int:
    from tpm.remap import corrected, load, preview

    changes = parse_overrides(args.scale, args.missing)  # checks --scale/--missing as the ingest does
    for header, role in _pairs("--role", args.role):
        changes.setdefault(header, {})["role"] = role
    for header, name in _pairs("--name", args.name):
        changes.setdefault(header, {})["name"] = name
    if not changes and not args.dry_run:
        raise CliError("nothing to change: give --role, --scale, --missing or --name (or --dry-run to see the mapping)")
    with database(args) as con:
        row = _dataset(con, args.dataset, args.study)
        stored = load(con, int(row["id"]))
        specs = stored.specs
        for header, change in changes.items():  # the role first: a new rating then takes its scale
            specs = corrected(specs, header, role=change.get("role"), scale=change.get("scale"),
                              missing=change.get("missing"), name=change.get("name"))
        table, _ = preview(con, stored, specs)
        print(f"dataset '{row['name']}' (id {row['id']}), file '{stored.prepared.file_name}':")
        for spec in specs:
            scale = f" {spec.scale_min}-{spec.scale_max}" if spec.scale_min is not None else ""
            codes = f", missing {';'.join(f'{c:g}' for c in spec.missing_codes)}" if spec.missing_codes else ""
            name = f" '{spec.touchpoint}'" if spec.touchpoint else ""
            print(f"  {spec.column[:40]:<40} {spec.role}{name}{scale}{codes}")
        print("touchpoint: scale, n, score 0-100 (unweighted) now -> after")
        for r in table.itertuples():
            now = f"{r.scale_before or '—'}, n={_int(r.n_before)}, {_score(r.score_before)}"
            after = f"{r.scale_after or '—'}, n={_int(r.n_after)}, {_score(r.score_after)}"
            print(f"  {str(r.touchpoint)[:28]:<28} {now} -> {after}")
        if args.dry_run:
            print("dry run: nothing written")
            return 0
        done = access.perform(con, access.cli_actor(), "dataset.remap", int(row["id"]), specs, target=int(row["id"]))
        print(f"re-mapped dataset '{row['name']}' (id {row['id']}): {len(done.changes)} column(s) changed, "
              f"{done.respondents} respondents, {len(done.touchpoints)} touchpoints")
    return 0


def add_touchpoint(sub) -> None:
    p = sub.add_parser("touchpoint", help="rename a touchpoint in every wave (the old name stays as an alias), "
                                          "or merge two names of one touchpoint")
    p.add_argument("action", choices=["rename", "merge"])
    p.add_argument("name", help="the touchpoint (rename) or the one merged away (merge)")
    p.add_argument("other", help="rename: the new name; merge: the touchpoint to merge into")
    p.add_argument("--study", help=STUDY_HELP)
    p.add_argument("--db")
    p.set_defaults(func=cmd_touchpoint)



def cmd_touchpoint(args) -> int:
    with database(args) as con:
        study = chosen_study(con, args.study)
        done = access.perform(con, access.cli_actor(), f"touchpoint.{args.action}", args.name, args.other, study,
                              target=args.name, details={"study_id": study, "to": args.other})
    print(f"renamed '{args.name}' to '{done}' (the old name stays as an alias)" if args.action == "rename"
          else f"merged '{args.name}' into '{done}'")
    return 0


def _int(value) -> str:
    return "—" if value is None or value != value else str(int(value))


def _score(value) -> str:
    return "—" if value is None or value != value else f"{value:.1f}"
