"""The options several commands share (``--study``, ``--unweighted``, ``--where``): one wording each."""

from __future__ import annotations

STUDY_HELP = "study name or id (needed when the database holds several)"


def unweighted_option(parser) -> None:
    parser.add_argument("--unweighted", action="store_true", help="ignore the survey weights (default: use them where the data has them)")


def where_option(parser) -> None:
    parser.add_argument("--where", action="append", default=[], metavar="QUESTION=VALUE",
                        help="only respondents with this answer, e.g. \"Region=Nord\" or an option of a multiple-choice "
                             "question, \"Kanal=Online\" (repeatable: values of one question are OR'd, questions AND'd — "
                             "as the sidebar filters)")
