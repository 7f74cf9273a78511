"""The options several commands share (``--study``, ``--unweighted``, ``--where``, and the set every command that
reads figures takes): one wording each."""

from __future__ import annotations

STUDY_HELP = "study name or id (needed when the database holds several)"


def unweighted_option(parser) -> None:
    parser.add_argument("--unweighted", action="store_true", help="ignore the survey weights (default: use them where the data has them)")


def where_option(parser) -> None:
    parser.add_argument("--where", action="append", default=[], metavar="QUESTION=VALUE",
                        help="only respondents with this answer, e.g. \"Region=Nord\" or an option of a multiple-choice "
                             "question, \"Kanal=Online\" (repeatable: values of one question are OR'd, questions AND'd — "
                             "as the sidebar filters)")


def reading_options(parser) -> None:
    """The options of every command that reads figures: ``--db``, ``--dataset``, ``--json``, ``--unweighted``,
    ``--where``, ``--study``."""
    parser.add_argument("--db")
    parser.add_argument("--dataset", action="append", help="dataset name (repeatable; default: all)")
    parser.add_argument("--json", action="store_true")
    unweighted_option(parser)
    where_option(parser)
    parser.add_argument("--study", help=STUDY_HELP)
