"""``python -m tpm themes list|add|remove|recode|suggest|impact``: a study's code frame for its comments, from the shell.

``list``, ``suggest`` and ``impact`` read; the other actions write through :func:`tpm.access.perform` (checked and
audited, as the CLI user). ``suggest`` and ``impact`` print the figures of the Comments page's Suggestions and
Impact tabs (one home: :mod:`tpm.comments.figures`). Bad input (an empty or duplicate name, a rule without letters
or with a regex character, an unknown study, touchpoint or ``--where`` answer): exit 2, one line.
"""

from __future__ import annotations

import json

from tpm.cli.common import (
    CliError,
    chosen_study,
    database,
    existing,
    num,
    print_where,
    read_filter,
    studies,
    where_json,
)
from tpm.cli.options import STUDY_HELP, unweighted_option, where_option

#: the actions of ``themes`` that write (the others read)
WRITING = ("add", "remove", "recode")
#: the actions of ``themes`` that measure (the Suggestions and Impact tabs)
FIGURES = ("suggest", "impact")


def add_themes(sub) -> None:
    p = sub.add_parser("themes", help="the themes (code frame) of a study's comments: list, add, remove, recode")
    p.add_argument("action", choices=["list", *WRITING, *FIGURES])
    p.add_argument("name", nargs="?", help="add/remove: the theme's name")
    p.add_argument("--words", default="", help='add: words and stems, comma-separated, e.g. "Lieferung, liefer*"')
    p.add_argument("--phrases", default="", help='add: phrases, semicolon-separated, e.g. "zu lange; nicht erreicht"')
    p.add_argument("--label-de", help="add: the German label (default: the name)")
    p.add_argument("--label-en", help="add: the English label (default: the name)")
    p.add_argument("--study", help=STUDY_HELP)
    p.add_argument("--json", action="store_true", help="list, suggest, impact: as JSON")
    p.add_argument("--compare", default="detractors", metavar="detractors|low:TOUCHPOINT",
                   help="suggest: the terms detractors use more than promoters (default), or the bottom box of a "
                        "touchpoint's raters more than its top box (low:Hotline)")
    p.add_argument("--top", type=int, default=30, help="suggest: at most this many terms (default 30)")
    where_option(p)
    unweighted_option(p)
    p.add_argument("--db")
    p.set_defaults(func=cmd_themes)


def cmd_themes(args) -> int:
    if args.action in FIGURES:
        with existing(args.db) as con:
            study = chosen_study(con, args.study) or studies.resolve(con, args.study)
            flt = read_filter(con, None, study, not args.unweighted, args.where)
            return suggest(con, args, flt) if args.action == "suggest" else impact(con, args, flt)
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


def _terms(terms) -> list[dict]:
    return [{"term": r.term, "display": r.display, "count": num(r.count), "count_a": num(r.count_a), "count_b": num(r.count_b),
             "n_a": int(r.n_a), "n_b": int(r.n_b), "delta": num(r.delta), "se": num(r.se), "z": num(r.z),
             "examples": list(r.example_texts)} for r in terms.itertuples(index=False)]


def suggest(con, args, flt) -> int:
    """``themes suggest``: :func:`tpm.comments.figures.suggestions` (Monroe et al.'s weighted log-odds with an
    informative Dirichlet prior) of ``--compare``; examples masked."""
    from tpm.comments import figures

    try:
        how, touchpoint = figures.compare_groups(args.compare)
    except ValueError as exc:
        raise CliError(f"--compare: {exc}") from None
    if args.top < 1:
        raise CliError(f"--top {args.top}: must be at least 1")
    if touchpoint is not None:
        known = [r[0] for r in con.execute(
            "SELECT DISTINCT touchpoint FROM ratings r JOIN datasets d ON d.id = r.dataset_id WHERE d.study_id = ? "
            "ORDER BY touchpoint", [flt.study]).fetchall()]
        if touchpoint not in known:
            raise CliError(f"--compare: no touchpoint '{touchpoint}' in this study; touchpoints: {', '.join(known) or 'none'}")
    terms = _terms(figures.suggestions(con, flt, args.compare, top=args.top))
    if args.json:
        print(json.dumps({"compare": args.compare, "weighted": flt.weighted, "terms": terms, **where_json(flt)},
                         ensure_ascii=False, indent=2))
        return 0
    print_where(flt)
    group = "detractors vs promoters" if how == "detractors" else f"bottom box vs top box of {touchpoint}"
    print(f"terms of {group}: {len(terms)}" + ("" if terms else " (none with enough comments)"))
    for r in terms:
        print(f"{r['z']:>7.2f}  {r['display']}  ({r['n_a']} vs {r['n_b']} comments)")
    return 0


def impact(con, args, flt) -> int:
    """``themes impact``: :func:`tpm.comments.figures.impact` — per theme the share of commenters mentioning it
    (95 % CI) and the NPS of mentioners against the other commenters (difference, CI, p, BH q)."""
    from tpm.comments import figures

    result = figures.impact(con, flt, lang="en")
    columns = ["n", "mentions", "share", "share_low", "share_high", "n_eff", "nps_with", "nps_with_low", "nps_with_high",
               "n_with", "nps_without", "nps_without_low", "nps_without_high", "n_without", "diff", "diff_low",
               "diff_high", "p", "q"]
    rows = [{"theme": r["theme"], **{c: num(r[c]) for c in columns}, "hidden": bool(r["hidden"]),
             "hidden_nps": bool(r["hidden_nps"])} for r in result.table.to_dict("records")]
    if args.json:
        print(json.dumps({"commenters": result.commenters, "weighted": result.weighted, "themes": rows, **where_json(flt)},
                         ensure_ascii=False, indent=2))
        return 0
    print_where(flt)
    print(f"{result.commenters} commenters{' (weighted)' if result.weighted else ''}")
    for r in rows:
        if r["hidden"]:
            print(f"{r['theme']}: hidden (fewer commenters than the anonymity base)")
            continue
        gap = "NPS gap hidden (a side below the base)" if r["hidden_nps"] else \
            f"NPS {r['nps_with']:+.0f} vs {r['nps_without']:+.0f}, diff {r['diff']:+.1f} (p {r['p'] if r['p'] is not None else '–'})"
        print(f"{r['theme']}: {r['share']:.1f} % [{r['share_low']:.1f}; {r['share_high']:.1f}] of {int(r['n'])}; {gap}")
    return 0
