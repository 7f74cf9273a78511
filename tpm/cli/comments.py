"""``python -m tpm comments``: a study's comments with their themes, filtered and masked as on the Comments page
(one home: :func:`tpm.comments.query.comment_page`)."""

from __future__ import annotations

import json

from tpm.cli.common import CliError, Lazy, num, print_where, reading, where_json
from tpm.cli.options import reading_options
from tpm.metrics.rules import ANONYMITY, NPS_GROUPS

comment_page = Lazy("tpm.comments.query", "comment_page")
theme_names = Lazy("tpm.comments.query", "theme_names")


def add_comments(sub) -> None:
    p = sub.add_parser("comments", help="the comments of a study with their themes, masked as on the Comments page")
    p.add_argument("--nps-group", choices=NPS_GROUPS, help="only the comments of this NPS group")
    p.add_argument("--touchpoint", help="the comments tied to this touchpoint and the general comments of those who rated it")
    p.add_argument("--rating-max", type=float, help="only respondents who rated --touchpoint at most this (its own scale)")
    p.add_argument("--theme", help="only the comments coded with this theme (its name)")
    p.add_argument("--search", help='words that must all occur ("a phrase" in quotes; case, umlauts and ß folded)')
    p.add_argument("--sort", choices=("date", "relevance"), default="date")
    p.add_argument("--limit", type=int, default=50, help="at most this many comments (default 50)")
    p.add_argument("--anonymity", type=int, default=ANONYMITY,
                   help=f"show nothing when the filters describe fewer respondents (default {ANONYMITY})")
    reading_options(p)
    p.set_defaults(func=cmd_comments)


def cmd_comments(args) -> int:
    if args.rating_max is not None and not args.touchpoint:
        raise CliError("--rating-max needs --touchpoint (the rating of which touchpoint?)")
    if args.limit < 1:
        raise CliError(f"--limit {args.limit}: must be at least 1")
    with reading(args) as (con, flt):
        theme = None
        if args.theme:
            names = {name.lower(): i for i, name in theme_names(con, flt.study, None).items()}
            if args.theme.lower() not in names:
                raise CliError(f"no theme '{args.theme}'; themes: {', '.join(sorted(names)) or 'none'}")
            theme = names[args.theme.lower()]
        page = comment_page(con, flt, nps_group=args.nps_group, touchpoint=args.touchpoint, rating_max=args.rating_max,
                            theme=theme, search=args.search, sort=args.sort, per_page=args.limit, lang=None, role="admin",
                            base=args.anonymity)
    comments = [{"text": r.text, "question": r.question, "nps": num(r.nps), "nps_group": r.nps_group, "wave": r.wave,
                 "responded_at": None if r.responded_at is None or r.responded_at != r.responded_at else str(r.responded_at),
                 "touchpoint": r.touchpoint, "themes": list(r.themes), "ratings": {k: num(v) for k, v in r.ratings.items()},
                 "segments": dict(r.segments), "respondent_id": r.respondent_id}
                for r in page.rows.itertuples(index=False)]
    if args.json:
        print(json.dumps({"matched": page.matched, "total": page.total, "hidden_small_base": page.hidden_small_base,
                          "comments": comments, **where_json(flt)}, ensure_ascii=False, indent=2))
        return 0
    print_where(flt)
    print(f"{page.matched} of {page.total} comments")
    if page.hidden_small_base:
        print(f"hidden: the filters describe fewer than {args.anonymity} respondents")
    for c in comments:
        meta = " · ".join(str(x) for x in (c["nps_group"], c["wave"], (c["responded_at"] or "")[:10], c["touchpoint"],
                                              ", ".join(c["themes"])) if x)
        print(f"- {' '.join(c['text'].split())}\n  ({meta})")
    return 0
