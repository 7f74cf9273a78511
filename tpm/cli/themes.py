"""``python -m tpm themes list|add|remove|recode``: a study's code frame for its comments, from the shell.

``list`` reads; the other actions write through :func:`tpm.access.perform` (checked and audited, as the CLI user).
Bad input (an empty or duplicate name, a rule without letters or with a regex character): exit 2, one line.
"""

from __future__ import annotations

import json

from tpm.cli.common import chosen_study, database, existing, studies
from tpm.cli.options import STUDY_HELP

#: the actions of ``themes`` that write (the others read)
WRITING = ("add", "remove", "recode")


def add_themes(sub) -> None:
    p = sub.add_parser("themes", help="the themes (code frame) of a study's comments: list, add, remove, recode")
    p.add_argument("action", choices=["list", *WRITING])
    p.add_argument("name", nargs="?", help="add/remove: the theme's name")
    p.add_argument("--words", default="", help='add: words and stems, comma-separated, e.g. "Lieferung, liefer*"')
    p.add_argument("--phrases", default="", help='add: phrases, semicolon-separated, e.g. "zu lange; nicht erreicht"')
    p.add_argument("--label-de", help="add: the German label (default: the name)")
    p.add_argument("--label-en", help="add: the English label (default: the name)")
    p.add_argument("--study", help=STUDY_HELP)
    p.add_argument("--json", action="store_true", help="list: as JSON")
    p.add_argument("--db")
    p.set_defaults(func=cmd_themes)


def cmd_themes(args) -> int:
    opened = database(args) if args.action in WRITING else existing(args.db)
    with opened as con:
        return run(con, args, chosen_study(con, args.study) or studies.resolve(con, args.study))


def _split(text: str, sep: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(sep) if part.strip())


def run(con, args, study: int) -> int:
    """One ``themes`` action on ``study`` (an open connection; writable for :data:`WRITING`). Raises
    :class:`tpm.text.rules.ThemeError` on bad input (the CLI prints it, exit 2)."""
    from tpm import access
    from tpm.comments import themes
    from tpm.text.rules import ThemeError

    actor = access.cli_actor()
    if args.action in ("add", "remove") and not (args.name or "").strip():
        raise ThemeError("err_theme_name_empty")
    if args.action == "add":
        theme = themes.Theme(args.name, words=_split(args.words, ","), phrases=_split(args.phrases, ";"),
                             label_de=args.label_de, label_en=args.label_en)
        access.perform(con, actor, "theme.add", study, theme, target=args.name,
                       details={"study_id": study, "words": list(theme.words), "phrases": list(theme.phrases)})
        count = int(themes.theme_table(con, study).set_index("name").loc[" ".join(args.name.split()), "comments"])
        print(f"added theme '{' '.join(args.name.split())}': {count} comments")
    elif args.action == "remove":
        access.perform(con, actor, "theme.remove", study, args.name, target=args.name, details={"study_id": study})
        print(f"removed theme '{args.name}'")
    elif args.action == "recode":
        counts = access.perform(con, actor, "theme.recode", study, target=str(study), details={"study_id": study})
        for name, n in counts.items():
            print(f"{name}: {n} comments")
        if not counts:
            print("no themes")
    else:
        counts = themes.theme_table(con, study).set_index("id")
        rows = [{"id": t.id, "name": t.name, "label_de": t.label_de, "label_en": t.label_en, "words": list(t.words),
                 "phrases": list(t.phrases), "comments": int(counts.loc[t.id, "comments"]), "manual": int(counts.loc[t.id, "manual"])}
                for t in themes.themes(con, study)]
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
            return 0
        if not rows:
            print("no themes")
        for r in rows:
            rules = ", ".join(r["words"] + [f'"{p}"' for p in r["phrases"]]) or "(manual only)"
            print(f"{r['id']:>4}  {r['name']}: {r['comments']} comments ({r['manual']} manual); rules: {rules}")
    return 0
