"""Running the server: the health check, the users of the built-in login, the audit trail, the
sample data."""

from __future__ import annotations

import argparse
import sys

from tpm.cli.common import CliError, access, database, existing, say_waiting, store, studies
from tpm.roles import ROLES


def add_health(sub) -> None:
    p = sub.add_parser("health", help="check that the database file reads end to end (exit 0 ok, 1 damaged)")
    p.add_argument("--db")
    p.set_defaults(func=cmd_health)



def cmd_health(args) -> int:
    """Exit 0 with "ok: …" if the database reads end to end (or is busy, or not made yet), else 1
    with the reason (:func:`tpm.store.health`): the container's HEALTHCHECK runs it."""
    ok, detail = store.health(args.db)
    print(detail, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def _password(prompt: str) -> str:
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass(prompt)
        if getpass.getpass("again: ") != first:
            raise CliError("the two passwords differ; nothing changed")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def add_users(sub) -> None:
    p = sub.add_parser("users", help="users of the built-in login (TPM_AUTH=password)")
    users = p.add_subparsers(dest="users_command", required=True)
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db")
    u = users.add_parser("add", parents=[db], help="add a user; the password is asked for (or read from stdin)")
    u.add_argument("name")
    u.add_argument("--role", choices=ROLES, default="viewer")
    u = users.add_parser("remove", parents=[db], help="remove a user")
    u.add_argument("name")
    u = users.add_parser("set-role", parents=[db], help="change a user's role")
    u.add_argument("name")
    u.add_argument("role", choices=ROLES)
    u = users.add_parser("set-password", parents=[db], help="set a new password (asked for, or read from stdin)")
    u.add_argument("name")
    users.add_parser("list", parents=[db], help="list users and roles (and the studies a limited user may see)")
    u = users.add_parser("studies", parents=[db], help="limit a user (name or OIDC e-mail) to some studies, or --all")
    u.add_argument("name")
    group = u.add_mutually_exclusive_group(required=True)
    group.add_argument("--study", action="append", help="a study (name or id) the user may see; repeat for more")
    group.add_argument("--all", action="store_true", help="lift the limit: every study")
    p.set_defaults(func=cmd_users)



def cmd_users(args) -> int:
    actor = access.cli_actor()
    command = args.users_command
    if command == "list":
        with existing(args.db) as con:  # not of a study: works whatever the database holds
            frame = access.list_users(con)
            scopes = {name: list(names) for name, names in studies.list_scopes(con).itertuples(index=False)}
        for r in frame.itertuples():
            limit = f"\tstudies: {', '.join(scopes[r.name]) or '(none)'}" if r.name in scopes else ""
            print(f"{r.name}\t{r.role}\t{r.created_at:%Y-%m-%d}{limit}")
        if frame.empty:
            print("no users")
        return 0
    password = _password(f"password for {args.name}: ") if command in ("add", "set-password") else None
    with store.writing(args.db, 30.0, say_waiting(store.db_path(args.db))) as con:
        if command == "add":
            access.perform(con, actor, "user.add", args.name, args.role, password, target=args.name, details={"role": args.role})
            print(f"added {args.name} ({args.role})")
        elif command == "remove":
            access.perform(con, actor, "user.remove", args.name, target=args.name)
            print(f"removed {args.name}")
        elif command == "studies":
            chosen = None if args.all else args.study
            access.perform(con, actor, "user.studies", args.name, chosen, target=args.name, details={"studies": chosen})
            print(f"{args.name} may see {'every study' if chosen is None else 'only: ' + ', '.join(chosen)}")
        elif command == "set-role":
            access.perform(con, actor, "user.set_role", args.name, args.role, target=args.name, details={"role": args.role})
            print(f"{args.name} is now {args.role}")
        else:
            access.perform(con, actor, "user.set_password", args.name, password, target=args.name)
            print(f"new password set for {args.name}")
    return 0


def add_audit(sub) -> None:
    p = sub.add_parser("audit", help="the audit trail: who imported, deleted or edited what, when")
    p.add_argument("--db")
    p.add_argument("--limit", type=int, default=50, help="newest N entries (default 50; 0 = all)")
    p.add_argument("--csv", action="store_true", help="all fields as CSV (for a spreadsheet)")
    p.set_defaults(func=cmd_audit)



def cmd_audit(args) -> int:
    with existing(args.db) as con:
        frame = store.audit_log(con, args.limit or None)
    if args.csv:
        frame.to_csv(sys.stdout, index=False)
        return 0
    if frame.empty:
        print("no entries")
    for r in frame.itertuples():
        print(f"{r.at_utc:%Y-%m-%d %H:%M:%S} UTC  {r.actor} ({r.via})  {r.action}  {r.target or ''}  {r.details}")
    return 0


def add_seed(sub) -> None:
    p = sub.add_parser("seed", help="import the sample surveys if the database is empty")
    p.add_argument("--db")
    p.set_defaults(func=cmd_seed)



def cmd_seed(args) -> int:
    from tpm.seed import seed_if_empty

    with database(args) as con:
        saved = seed_if_empty(con)
    print(f"seeded {len(saved)} dataset(s) in {len({s.study_id for s in saved})} studies" if saved
          else "database not empty; nothing seeded")
    return 0
