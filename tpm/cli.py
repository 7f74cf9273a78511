"""``python -m tpm …``: import exports and read the figures from the shell.

Database: ``--db`` if given, else ``$TPM_DB``, else ``data/tpm.duckdb``.
Bad input: exit code 2, one line on stderr, nothing written.
Studies: every read command looks at one study (``--study NAME``, needed when the database
holds several; the command names them and exits 2 instead of pooling them).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import math
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from tpm import cli_themes
from tpm.metrics.registry import CHOICES as METRIC_CHOICES
from tpm.metrics.rules import ANONYMITY, MIN_TEST
from tpm.roles import ROLES


class _Lazy:
    """A module, or a name in one, imported on first use: ``--help`` and argument errors answer
    without loading pandas, DuckDB or SciPy (each command loads what it uses)."""

    def __init__(self, module: str, name: str | None = None):
        self._module, self._name = module, name

    def _target(self):
        module = importlib.import_module(self._module)
        return module if self._name is None else getattr(module, self._name)

    def __getattr__(self, attr):
        return getattr(self._target(), attr)

    def __call__(self, *args, **kwargs):
        return self._target()(*args, **kwargs)


access = _Lazy("tpm.access")
store = _Lazy("tpm.store")
studies = _Lazy("tpm.studies")
Filter = _Lazy("tpm.metrics.filters", "Filter")
drivers_for = _Lazy("tpm.metrics.drivers", "drivers_for")
segment_breakdown = _Lazy("tpm.metrics.segments", "segment_breakdown")
has_weights = _Lazy("tpm.metrics.weighted", "has_weights")
prepare = _Lazy("tpm.upload", "prepare")
use_template = _Lazy("tpm.upload", "use_template")
unsure_specs = _Lazy("tpm.ingest.detect", "unsure_specs")
nps_for = _Lazy("tpm.metrics.nps", "nps_for")
respondent_count = _Lazy("tpm.metrics.nps", "respondent_count")
touchpoint_stats = _Lazy("tpm.metrics.satisfaction", "touchpoint_stats")
scale_labelled = _Lazy("tpm.formatting", "scale_labelled")
shortened = _Lazy("tpm.formatting", "shortened")
jar_distribution = _Lazy("tpm.metrics.jar", "jar_distribution")


class CliError(Exception):
    """A user error: printed as one line, exit code 2."""


STUDY_HELP = "study name or id (needed when the database holds several)"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `python -m tpm … | head`: the reader left; what was done is done
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
    except Exception as exc:
        import duckdb

        from tpm.access import UserError
        from tpm.ingest import IngestError
        from tpm.inventory import InventoryError
        from tpm.remap import RemapError
        from tpm.store import Busy
        from tpm.studies import StudyError
        from tpm.text.rules import ThemeError

        if isinstance(exc, (IngestError, CliError, StudyError, UserError, Busy, RemapError, InventoryError, ThemeError)):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if store.disk_full(exc):
            print(f"error: {store.DiskFull(store.db_path(getattr(args, 'db', None)))}", file=sys.stderr)
            return 2
        if isinstance(exc, duckdb.Error):  # e.g. a damaged file: one line, never a traceback
            print(f"error: database: {' '.join(str(exc).split())}", file=sys.stderr)
            return 2
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tpm", description="TPM — touchpoint survey analysis")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="import survey exports (.xlsx, .xls, .csv)")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--db")
    p.add_argument("--dataset", help="dataset name (default: the file name); with several files, used as prefix")
    p.add_argument("--study", help="study (survey programme) to import into, created if missing "
                                   "(default: the study whose template or touchpoints match, else a new one named after the file)")
    p.add_argument("--wave", help="wave label (default: the dataset name)")
    p.add_argument("--sheet", help="sheet name of an Excel workbook (default: the first with data)")
    p.add_argument("--include-incomplete", action="store_true", help="keep LimeSurvey responses without submitdate")
    p.add_argument("--wait", type=float, default=60.0,
                   help="seconds to wait while the dashboard or another import holds the database (default 60)")
    p.add_argument("--scale", action="append", default=[], metavar="HEADER=MIN-MAX",
                   help="the scale of a rating column, HEADER as written in the file, e.g. \"Hotline=1-10\" (repeatable)")
    p.add_argument("--missing", action="append", default=[], metavar="HEADER=CODE[;CODE]",
                   help="values of a rating column that mean 'no answer', e.g. \"Hotline (1-5)=0\" (repeatable)")
    p.add_argument("--date-order", action="append", default=[], metavar="HEADER=day-first|month-first",
                   help="how a date column's \"11/04/2018\" reads, when the data cannot tell (repeatable)")
    p.add_argument("--strict", action="store_true",
                   help="refuse (exit 2, nothing written) while any column was read without full certainty")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("health", help="check that the database file reads end to end (exit 0 ok, 1 damaged)")
    p.add_argument("--db")
    p.set_defaults(func=cmd_health)

    p = sub.add_parser("summary", help="respondents, NPS and per-touchpoint satisfaction")
    p.add_argument("--db")
    p.add_argument("--dataset", action="append", help="dataset name (repeatable; default: all)")
    p.add_argument("--json", action="store_true")
    _unweighted(p)
    _where(p)
    p.add_argument("--study", help=STUDY_HELP)
    p.set_defaults(func=cmd_summary)

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
    _unweighted(p)
    _where(p)
    p.add_argument("--study", help=STUDY_HELP)
    p.set_defaults(func=cmd_drivers)

    p = sub.add_parser("segments", help="touchpoint x segment breakdown with significance against the rest")
    p.add_argument("--by", required=True, help="segment column, e.g. Region")
    p.add_argument("--metric", choices=METRIC_CHOICES, default="mean")
    p.add_argument("--anonymity", type=int, default=ANONYMITY, help=f"hide cells with fewer respondents (default {ANONYMITY})")
    p.add_argument("--db")
    p.add_argument("--dataset", action="append")
    p.add_argument("--json", action="store_true")
    _unweighted(p)
    _where(p)
    p.add_argument("--study", help=STUDY_HELP)
    p.set_defaults(func=cmd_segments)

    p = sub.add_parser("trend", help="NPS and touchpoints per wave, with change tests")
    p.add_argument("--metric", choices=METRIC_CHOICES, default="score")
    p.add_argument("--waves", choices=["dataset", "month", "quarter"], default="dataset",
                   help="waves from the dataset's wave label (default) or from response dates")
    p.add_argument("--db")
    p.add_argument("--dataset", action="append")
    p.add_argument("--json", action="store_true")
    _unweighted(p)
    _where(p)
    p.add_argument("--study", help=STUDY_HELP)
    p.set_defaults(func=cmd_trend)

    p = sub.add_parser("weights", help="rake a dataset to known margins (CSV variable,value,share) and store the weights")
    p.add_argument("--db")
    p.add_argument("--dataset", required=True, help="dataset name or id")
    p.add_argument("--margins", required=True, type=Path, help="CSV with the columns variable,value,share (e.g. Region,Nord,25)")
    p.add_argument("--trim", nargs=2, type=float, metavar=("LOW", "HIGH"),
                   help="trim the weights to LOW–HIGH times the mean weight, e.g. --trim 0.3 3")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_weights)
    p = sub.add_parser("report", help="the dashboard as an Excel workbook (.xlsx) or a PowerPoint deck (.pptx)")
    p.add_argument("--db")
    p.add_argument("--dataset", action="append", help="dataset name (repeatable; default: all)")
    p.add_argument("--lang", choices=["de", "en"], default="de", help="language of sheets, labels and headlines")
    p.add_argument("--no-data", action="store_true", help="leave out the respondent-level data sheet")
    p.add_argument("--out", type=Path, required=True, help="FILE.xlsx or FILE.pptx (the suffix chooses)")
    _where(p)
    p.add_argument("--study", help=STUDY_HELP)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("datasets", help="list the datasets (waves) of a study")
    p.add_argument("--db")
    p.add_argument("--study", help=STUDY_HELP)
    p.set_defaults(func=cmd_datasets)

    p = sub.add_parser("studies", help="list the studies with their waves, respondents and last import")
    p.add_argument("--db")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_studies)

    p = sub.add_parser("study", help="rename, merge or delete a study")
    p.add_argument("action", choices=["rename", "merge", "delete"])
    p.add_argument("study", help="study name or id")
    p.add_argument("other", nargs="?", help="rename: the new name; merge: the study to merge into")
    p.add_argument("--db")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation (delete)")
    p.set_defaults(func=cmd_study)

    p = sub.add_parser("move", help="move a dataset (wave) to another study, e.g. to split a study holding two programmes")
    p.add_argument("dataset", help="dataset name or id")
    p.add_argument("to", help="the study to move it to (name or id; created if missing)")
    p.add_argument("--study", help="the study of the dataset (when names repeat across studies)")
    p.add_argument("--db")
    p.set_defaults(func=cmd_move)

    p = sub.add_parser("delete", help="delete a dataset and all its responses")
    p.add_argument("dataset", help="dataset name or id")
    p.add_argument("--study", help="the study of the dataset (when names repeat across studies)")
    p.add_argument("--db")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_delete)

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

    p = sub.add_parser("touchpoint", help="rename a touchpoint in every wave (the old name stays as an alias), "
                                          "or merge two names of one touchpoint")
    p.add_argument("action", choices=["rename", "merge"])
    p.add_argument("name", help="the touchpoint (rename) or the one merged away (merge)")
    p.add_argument("other", help="rename: the new name; merge: the touchpoint to merge into")
    p.add_argument("--study", help=STUDY_HELP)
    p.add_argument("--db")
    p.set_defaults(func=cmd_touchpoint)

    cli_themes.add_parser(sub, STUDY_HELP).set_defaults(func=cmd_themes)

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

    p = sub.add_parser("audit", help="the audit trail: who imported, deleted or edited what, when")
    p.add_argument("--db")
    p.add_argument("--limit", type=int, default=50, help="newest N entries (default 50; 0 = all)")
    p.add_argument("--csv", action="store_true", help="all fields as CSV (for a spreadsheet)")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("seed", help="import the sample surveys if the database is empty")
    p.add_argument("--db")
    p.set_defaults(func=cmd_seed)
    return parser


def _unweighted(parser) -> None:
    parser.add_argument("--unweighted", action="store_true", help="ignore the survey weights (default: use them where the data has them)")


def _where(parser) -> None:
    parser.add_argument("--where", action="append", default=[], metavar="QUESTION=VALUE",
                        help="only respondents with this answer, e.g. \"Region=Nord\" or an option of a multiple-choice "
                             "question, \"Kanal=Online\" (repeatable: values of one question are OR'd, questions AND'd — "
                             "as the sidebar filters)")


def cmd_health(args) -> int:
    """Exit 0 with "ok: …" if the database reads end to end (or is busy, or not made yet), else 1
    with the reason (:func:`tpm.store.health`): the container's HEALTHCHECK runs it."""
    ok, detail = store.health(args.db)
    print(detail, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def cmd_ingest(args) -> int:
    """All files or none: read and check every file first, without the database; then hold the
    database only to look up earlier waves' mappings and, in one transaction, to write."""
    for path in args.paths:
        if not path.is_file():
            raise CliError(f"'{path}': no such file")
    overrides = _overrides(args.scale, args.missing, args.date_order)
    gc.disable()  # loading modules makes no garbage worth collecting (the collector ran ~40 times over them)
    try:
        reading = _read_ahead(args.paths, args.sheet)
        _load_for_import()
    finally:
        gc.freeze()  # and they live as long as the command: the collector need not look at them again
        gc.enable()
    prepared = [prepare(path.name, data, args.sheet, args.include_incomplete, release=False, table=table)
                for path, (data, table) in zip(args.paths, reading)]
    db = store.db_path(args.db)
    waiting = _say_waiting(db)

    if db.exists():
        with store.writing(db, args.wait, waiting) as con:
            for item in prepared:
                use_template(item, con)
    results = []
    for item in prepared:  # validates; raises before anything is written
        specs = apply_overrides(item.file_name, item.specs, overrides)
        if args.strict:
            doubts = unsure_specs(specs)
            if doubts:
                raise CliError(f"'{item.file_name}': {len(doubts)} column(s) read without full certainty (--strict):\n"
                               + "\n".join("\n".join([f"  '{s.column}': {s.unsure}", *readings(s.column, s.candidates)])
                                           for s in doubts)
                               + "\nconfirm with --scale/--missing/--date-order, a mapping template, or drop --strict")
        results.append(item.apply(specs))
    actor = access.cli_actor()
    saved = []
    with store.writing(db, args.wait, waiting) as con, store.insert_threads(1):  # this process's own DuckDB
        # the commit writes the tables into the file at once (a checkpoint), not first into the
        # write-ahead log and again at the close (the compact tables, the kept file): 0.5 → 0.3 s
        con.execute("SET checkpoint_threshold = '0b'")
        # --study: an existing study by name or id, else the name of a new one
        study = None if args.study is None else studies.find(con, args.study) or args.study
        con.execute("BEGIN TRANSACTION")
        try:
            for result in results:
                name = args.dataset if args.dataset and len(results) == 1 else (
                    f"{args.dataset} {Path(result.file_name).stem}" if args.dataset else None)
                saved.append(access.perform(con, actor, "dataset.import", result, name=name, wave=args.wave, study=study,
                                            transaction=False))
            con.execute("COMMIT")
        except BaseException:
            store.rollback_quietly(con)
            raise
    for result, one in zip(results, saved):  # printed after the commit: a closed pipe cannot undo half of it
        print_report(one.report or result.report(), one)
    return 0


def _read_ahead(paths: list[Path], sheet: str | None):
    """The files' bytes and raw tables, ``(data, table)`` in order, read on a thread of their own
    that starts now; a file's error is raised when its turn comes.

    The thread begins with what needs only fastexcel (:func:`tpm.workbook.open_workbook`: unzip
    and parse a workbook's sheet, ~60 % of a 100 000-row import), which lets go of the GIL: the
    command meanwhile loads NumPy, Arrow, pandas and DuckDB (:func:`_load_for_import`) on the
    other core. A CSV is read once ``tpm.ingest`` is loaded (Arrow's reader runs on its own threads)."""
    from concurrent.futures import ThreadPoolExecutor

    from tpm.workbook import open_workbook  # fastexcel and the standard library only: loads at once

    def read(path: Path):
        data = path.read_bytes()
        workbook = open_workbook(data, sheet)
        from tpm.ingest import read_table

        return data, read_table(path.name, data, sheet=sheet, workbook=workbook)

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tpm-read")
    futures = [pool.submit(read, path) for path in paths]

    def results():
        try:
            for future in futures:
                yield future.result()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)  # after an error: the files not started are not read

    return results()


def _load_for_import() -> None:
    """Import the modules an import uses (~0.4 s: pandas, DuckDB, the store), while files are read."""
    for module in ("tpm.ingest", "tpm.upload", "tpm.access", "tpm.studies"):  # tpm.ingest first: a CSV's reading waits for it
        importlib.import_module(module)


def _overrides(scales: list[str], missing: list[str], date_orders: list[str] = ()) -> dict[str, dict]:
    """``--scale "H=1-10"``, ``--missing "H=0;99"`` and ``--date-order "D=day-first"`` →
    {header: {"scale": (1, 10), "missing": [0, 99], "date_order": "day-first"}}."""
    out: dict[str, dict] = {}
    for text in date_orders:
        header, _, value = text.rpartition("=")
        if value.strip() not in ("day-first", "month-first") or not header.strip():
            raise CliError(f"--date-order '{text}': write HEADER=day-first or HEADER=month-first")
        out.setdefault(header.strip(), {})["date_order"] = value.strip()
    for text in scales:
        header, _, value = text.rpartition("=")
        parts = value.replace("–", "-").split("-")
        try:
            lo, hi = int(parts[0]), int(parts[1])
            if len(parts) != 2 or not 0 <= lo < hi <= 100:
                raise ValueError
        except (ValueError, IndexError):
            raise CliError(f"--scale '{text}': write HEADER=MIN-MAX, e.g. \"Hotline=1-10\"") from None
        out.setdefault(header.strip(), {})["scale"] = (lo, hi)
    for text in missing:
        header, _, value = text.rpartition("=")
        try:
            codes = [float(v) for v in value.replace(",", ";").split(";") if v.strip()]
            if not codes or not header.strip():
                raise ValueError
        except ValueError:
            raise CliError(f"--missing '{text}': write HEADER=CODE[;CODE], e.g. \"Hotline (1-5)=0\"") from None
        out.setdefault(header.strip(), {})["missing"] = codes
    return out


def apply_overrides(file_name: str, specs: list, overrides: dict[str, dict]) -> list:
    """The analyst's ``--scale``/``--missing`` decisions applied to the detected specs (they
    settle the detector's doubt about that column). A header the file lacks is an error."""
    from dataclasses import replace

    by_column = {" ".join(s.column.split()).casefold(): s for s in specs}
    out = list(specs)
    for header, change in overrides.items():
        spec = by_column.get(" ".join(header.split()).casefold())
        if spec is None:
            raise CliError(f"'{file_name}': no column '{header}' (--scale/--missing name a header as written in the file)")
        if "date_order" in change:
            if spec.role != "date":
                raise CliError(f"'{file_name}', column '{header}': not read as a date (role {spec.role}); --date-order applies to dates")
            out[out.index(spec)] = replace(spec, unsure=None, date_order=change["date_order"])
            continue
        if spec.role not in ("rating", "nps", "overall"):
            raise CliError(f"'{file_name}', column '{header}': not read as a rating (role {spec.role}); --scale/--missing apply to ratings")
        new = replace(spec, unsure=None)
        if "scale" in change:
            if spec.labels:
                raise CliError(f"'{file_name}', column '{header}': a scale in words; its points come from the labels")
            new.scale_min, new.scale_max = change["scale"]
        if "missing" in change:
            new.missing_codes = change["missing"]
        out[out.index(spec)] = new
    return out


def readings(column: str, candidates: list[dict] | None) -> list[str]:
    """The readings of a guessed scale, each with its score and the options that choose it."""
    from tpm.i18n import scale_reading

    lines = []
    for c in candidates or []:
        choose = f'--scale "{column}={c["scale_min"]}-{c["scale_max"]}"'
        if c.get("missing_codes"):
            choose += f' --missing "{column}=' + ";".join(f"{v:g}" for v in c["missing_codes"]) + '"'
        lines.append(f"    reading {scale_reading(c, 'en')}  ← {choose}")
    return lines


def print_report(report: dict, saved: store.Saved) -> None:
    if saved.duplicate:
        print(f"{report['file']}: already imported as dataset '{saved.name}' (id {saved.dataset_id}) "
              f"of study '{saved.study_name}'; nothing written")
        return
    where = f", sheet '{report['sheet']}'" if report["sheet"] else ""
    where += f" ({report['platform']})" if report.get("platform") else ""
    print(f"{report['file']}{where}: imported as dataset '{saved.name}' (id {saved.dataset_id})")
    print(f"  study: {saved.study_name}{' (new)' if saved.study_created else ''}")
    print(f"  respondents: {report['respondents']}")
    print(f"  touchpoints ({len(report['touchpoints'])}):")
    for tp in report["touchpoints"]:
        dk = f", don't know={tp['dont_know']}" if tp.get("dont_know") else ""
        print(f"    {tp['name']}: scale {tp['scale'][0]}-{tp['scale'][1]}, n={tp['n']}{dk}  [{tp['column']}]")
    if report.get("overall"):
        o = report["overall"]
        print(f"  overall satisfaction: '{o['column']}', scale {o['scale'][0]}-{o['scale'][1]}, n={o['n']}")
    if report.get("weight_column"):
        print(f"  weight column: {report['weight_column']}")
    if report.get("multiple_choice"):
        print("  multiple choice: " + "; ".join(f"{q} ({k} options)" for q, k in report["multiple_choice"].items()))
    if report.get("just_about_right"):
        print("  just-about-right (a distribution, not a rating): " + "; ".join(q["question"] for q in report["just_about_right"]))
    print(f"  NPS column: {report['nps_column'] or '—'} (n={report['nps_n']})")
    print(f"  id column: {report['id_column'] or '— (numbered by row)'}; date column: {report['date_column'] or '—'}")
    print(f"  segments: {', '.join(report['segments']) or '—'}")
    print(f"  comments: {report['comments']} in {', '.join(report['comment_columns']) or '—'}")
    print(f"  dropped columns: {', '.join(report['ignored_columns']) or '—'}")
    for note in report["notes"]:
        print(f"  note: {note}")
    for doubt in report.get("unsure", []):
        print(f"  unsure: '{doubt['column']}': {doubt['reason']}")
        for line in readings(doubt["column"], doubt.get("candidates")):
            print(line)
    if report.get("template"):
        print("  mapping: the confirmed mapping of an earlier wave with the same columns was applied")


def _study(con, study: str | None) -> int | None:
    """The study a read command looks at: ``--study``, or the only one; several and none given is an error."""
    if study is None and len(studies.list_studies(con)) > 1:
        raise CliError(f"the database holds several studies ({', '.join(studies.names(con))}); "
                       "choose one with --study NAME")
    return studies.resolve_or_none(con, study)


def _filter(con, names: list[str] | None, study: int | None, weighted: bool = True, where: list[str] = ()) -> Filter:
    """The study, datasets (``--dataset``), segment values (``--where``) and weighting of a read command."""
    ids: list[int] = []
    if names:
        ids = store.dataset_ids_by_name(con, names, study)
        if len(ids) < len(set(names)):
            known = ", ".join(store.list_datasets(con, study)["name"]) or "none"
            raise CliError(f"unknown dataset in {names}; known datasets: {known}")
    return Filter.of(ids, where_segments(con, where, ids, study) if where else None, study=study, weighted=weighted)


def where_segments(con, texts: list[str], datasets: list[int], study: int | None) -> dict[str, list[str]]:
    """``--where "QUESTION=VALUE"`` (repeatable) → the segments of a :class:`Filter`, as the sidebar
    builds them: several values of one question are OR'd, different questions AND'd; an option of a
    multiple-choice question is a value like any other (respondents who ticked it). Questions and
    values are those stored in the chosen datasets of the study (the sidebar's choices): the exact
    name, else the one name equal to it but for case and spacing; anything else is an error naming
    it and listing the valid ones. A question may contain "=" (the split is where a known question ends)."""
    known = store.segment_values(con, list(datasets), study)
    out: dict[str, list[str]] = {}
    for text in texts:
        cuts = [i for i, ch in enumerate(text) if ch == "="]
        if not cuts or not text[:cuts[0]].strip() or not text[cuts[-1] + 1:].strip():
            raise CliError(f"--where '{_one_line(text)}': write QUESTION=VALUE, e.g. \"Region=Nord\"")
        found = next(((q, i) for i in cuts if (q := _match(text[:i], known)) is not None), None)
        if found is None:
            raise CliError(f"--where '{_one_line(text)}': no question '{_one_line(text[:cuts[0]])}'; "
                           f"questions: {_listing(known)}")
        question, cut = found
        value = _match(text[cut + 1:], known[question])
        if value is None:
            raise CliError(f"--where '{_one_line(text)}': '{_one_line(question)}' has no value "
                           f"'{_one_line(text[cut + 1:])}'; values: {_listing(known[question])}")
        if value not in out.setdefault(question, []):
            out[question].append(value)
    return out


def _match(text: str, names) -> str | None:
    """The name in ``names`` that ``text`` gives: itself, else the only one equal but for case and spacing."""
    text = text.strip()
    if text in names:
        return text
    key = " ".join(text.split()).casefold()
    found = [n for n in names if " ".join(str(n).split()).casefold() == key]
    return found[0] if len(found) == 1 else None


def _one_line(text) -> str:
    return " ".join(str(text).split())


def _listing(names, limit: int = 30) -> str:
    names = [_one_line(n) for n in names]
    if not names:
        return "none"
    more = f" … ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _where_text(flt: Filter) -> str:
    """The ``--where`` filter in words ("Region = Nord or Süd; Kanal = Online"), "" without one."""
    return "; ".join(f"{q} = {' or '.join(values)}" for q, values in flt.segments)


def _print_where(flt: Filter) -> None:
    if flt.segments:
        print(f"where: {_where_text(flt)}")


def _where_json(flt: Filter) -> dict:
    """``{"where": {question: [values]}}`` for a JSON output when filtered, else nothing."""
    return {"where": {q: list(values) for q, values in flt.segments}} if flt.segments else {}


def _num(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 4)


def summary_dict(con, flt: Filter) -> dict:
    nps = nps_for(con, flt)
    stats = touchpoint_stats(con, flt)
    return {
        "weighted": has_weights(con, flt),
        "respondents": respondent_count(con, flt),
        "nps": {
            "score": _num(nps.score), "n": nps.n, "n_eff": _num(nps.n_eff), "promoters": nps.promoters,
            "passives": nps.passives, "detractors": nps.detractors, "promoter_share": _num(nps.promoter_share),
            "detractor_share": _num(nps.detractor_share), "se": _num(nps.se), "ci_low": _num(nps.ci_low),
            "ci_high": _num(nps.ci_high),
        },
        "touchpoints": [
            {
                "name": r.touchpoint, "n": int(r.n), "n_eff": _num(r.n_eff), "mean": _num(r.mean), "scale_min": int(r.scale_min),
                "scale_max": int(r.scale_max), "score_0_100": _num(r.score_0_100), "top2_box": _num(r.top2_box),
                "bottom2_box": _num(r.bottom2_box), "box_points": int(r.box_points),
                "ci_low": _num(r.ci_low), "ci_high": _num(r.ci_high),
                "dont_know": int(r.dont_know), "dont_know_rate": _num(r.dont_know_rate),
            }
            for r in stats.itertuples()
        ],
        # just-about-right questions: a distribution (% of those who answered), never a score
        "just_about_right": [
            {"question": r.question, "n": int(r.n), "too_little": _num(r.too_little), "just_right": _num(r.just_right),
             "too_much": _num(r.too_much)}
            for r in jar_distribution(con, flt).itertuples()
        ],
    }


@contextmanager
def _reading(args):
    """(connection, study and dataset filter) of an existing database, closed afterwards."""
    with _existing(args.db) as con:
        yield con, _filter(con, getattr(args, "dataset", None), _study(con, getattr(args, "study", None)),
                           not getattr(args, "unweighted", False), getattr(args, "where", []))


@contextmanager
def _existing(db):
    """An existing database, read-only, closed afterwards (for what is not of one study: users, audit)."""
    con = _open_existing(db)
    try:
        yield con
    finally:
        con.close()


def _open_existing(db, read_only: bool = True) -> store.duckdb.DuckDBPyConnection:
    path = store.db_path(db)
    if not path.exists():
        raise CliError(f"'{path}': no database yet; import a file first with 'python -m tpm ingest FILE'")
    return store.open_retrying(path, wait=30.0, read_only=read_only, on_wait=_say_waiting(path))


@contextmanager
def _database(args):
    """The database of ``--db`` for one command that writes (created if missing), closed afterwards."""
    con = store.open_retrying(args.db, wait=30.0, on_wait=_say_waiting(store.db_path(args.db)))
    try:
        yield con
    finally:
        con.close()


def _say_waiting(path):
    def say(_):
        print(f"waiting for the database '{path}' (the dashboard or an import is using it) …", file=sys.stderr)
    return say


def cmd_summary(args) -> int:
    with _reading(args) as (con, flt):
        data = {**summary_dict(con, flt), **_where_json(flt)}
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    _print_where(flt)
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


def cmd_drivers(args) -> int:
    with _reading(args) as (con, flt):
        try:
            result = drivers_for(con, flt, outcome=args.outcome, method=args.method, missing=args.missing,
                                 bootstrap=args.bootstrap, seed=args.seed)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    rows = []
    for r in result.table.itertuples():
        row = {"name": r.driver, "raw": _num(r.raw), "share": _num(r.share), "sign": int(r.sign), "n": int(r.n),
               "n_eff": _num(r.n_eff)}
        if args.bootstrap:
            row.update(ci_low=_num(r.ci_low), ci_high=_num(r.ci_high))
        rows.append(row)
    data = {"outcome": result.outcome, "method": result.method, "missing": result.missing, "weighted": result.weighted,
            "n": result.n, "n_eff": _num(result.n_eff),
            "r2": _num(result.r2), "r2_adj": _num(result.r2_adj), "drivers": rows, "notes": result.notes, "warnings": result.warnings,
            **_where_json(flt)}
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    _print_where(flt)
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


def cmd_segments(args) -> int:
    with _reading(args) as (con, flt):
        known = store.segment_values(con, list(flt.datasets), flt.study)
        if args.by not in known:
            raise CliError(f"no segment '{args.by}'; segments: {', '.join(known) or 'none'}")
        table = segment_breakdown(con, flt, args.by, args.metric, anonymity=args.anonymity)
    (table,) = scale_labelled(table)  # a touchpoint on two scales: "Hotline (1–5)", "Hotline (1–10)"
    cells = [{"touchpoint": r.touchpoint, "scale_min": int(r.scale_min), "scale_max": int(r.scale_max), "segment": r.segment,
              "n": int(r.n), "n_eff": _num(r.n_eff), "value": _num(r.value),
              "diff": _num(r.diff), "p": _num(r.p), "q": _num(r.q), "flag": r.flag, "caution": bool(r.caution)}
             for r in table.itertuples()]
    weighted = bool(table["weighted"].any()) if len(table) else False
    if args.json:
        print(json.dumps({"by": args.by, "metric": args.metric, "weighted": weighted, "cells": cells, **_where_json(flt)},
                         ensure_ascii=False, indent=2))
        return 0
    _print_where(flt)
    marks = {"higher": "▲", "lower": "▼", "ns": "", "untested": f"(n<{MIN_TEST})", "hidden": "(hidden)"}
    print(f"{args.metric} by {args.by}{', weighted' if weighted else ''}, each cell against the rest "
          "(Benjamini–Hochberg q < 0.05 marked)")
    for c in cells:
        value = "–" if c["value"] is None else f"{c['value']:.2f}"
        diff = "" if c["diff"] is None else f"{c['diff']:+.2f}"
        print(f"  {shortened(c['touchpoint'], 24):<24} {c['segment'][:16]:<16} n={c['n']:<6} {value:>8} {diff:>8} {marks[c['flag']]}")
    return 0


def cmd_trend(args) -> int:
    from tpm.metrics.trend import TRACKING_RULE, tracking_view

    with _reading(args) as (con, flt):
        nps, table = tracking_view(con, flt, args.metric, by=args.waves)
        weighted = has_weights(con, flt)
    (table,) = scale_labelled(table)  # a touchpoint on two scales: "Hotline (1–5)", "Hotline (1–10)"

    def rows(frame, with_touchpoint):
        return [{**({"touchpoint": r.touchpoint, "scale_min": int(r.scale_min), "scale_max": int(r.scale_max)}
                    if with_touchpoint else {}), "wave": r.wave, "n": int(r.n),
                 "n_eff": _num(r.n_eff), "value": _num(r.value), "ci_low": _num(r.ci_low), "ci_high": _num(r.ci_high),
                 "change": _num(r.change), "p": _num(r.p), "q": _num(r.q), "significant": bool(r.significant)}
                for r in frame.itertuples()]

    data = {"metric": args.metric, "waves_by": args.waves, "weighted": weighted, "rule": TRACKING_RULE,
            "waves": nps["wave"].tolist(), "nps": rows(nps, False), "touchpoints": rows(table, True), **_where_json(flt)}
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    _print_where(flt)
    print(f"waves: {', '.join(data['waves'])}")
    for r in data["nps"]:
        change = "" if r["change"] is None else f"  change {r['change']:+.1f}{' *' if r['significant'] else ''}"
        print(f"  NPS {r['wave']}: {r['value']:+.1f} [{r['ci_low']:+.1f}, {r['ci_high']:+.1f}] n={r['n']}{change}")
    for r in data["touchpoints"]:
        change = "" if r["change"] is None else f"  change {r['change']:+.2f}{' *' if r['significant'] else ''}"
        print(f"  {shortened(r['touchpoint'], 24):<24} {r['wave'][:28]:<28} {r['value']:7.2f} n={r['n']}{change}")
    print(f"* = significant: {TRACKING_RULE}")
    return 0


def cmd_weights(args) -> int:
    from tpm.weights import describe, read_margins

    if not args.margins.is_file():
        raise CliError(f"'{args.margins}': no such file")
    margins = read_margins(args.margins.name, args.margins.read_bytes())
    con = _open_existing(args.db, read_only=False)
    try:
        result = access.perform(con, access.cli_actor(), "dataset.weights", args.dataset, margins,
                                tuple(args.trim) if args.trim else None, source=args.margins.name, target=args.dataset,
                                details={"source": args.margins.name})
    finally:
        con.close()
    if args.json:
        print(json.dumps({"dataset": args.dataset, "weighted": True, **{k: _num(v) for k, v in result.summary.items()},
                          "max_margin_error": _num(result.max_error), "trim": list(args.trim) if args.trim else None},
                         ensure_ascii=False, indent=2))
        return 0
    print(f"{args.dataset}: {describe(result)}")
    return 0


def cmd_report(args) -> int:
    from tpm.report import FORMATS, write_report
    from tpm.report.content import ReportError

    out: Path = args.out
    if out.suffix.lower() not in FORMATS:
        raise CliError(f"--out '{out}': the file must end in .xlsx (workbook) or .pptx (deck)")
    if not out.parent.is_dir():
        raise CliError(f"--out '{out}': no folder '{out.parent}'")
    with _reading(args) as (con, flt):
        try:
            seconds = write_report(con, flt, out, args.lang, with_data=not args.no_data)
        except ReportError as exc:
            raise CliError(str(exc)) from None
    print(f"{out}: written in {seconds:.1f} s")
    return 0


def cmd_datasets(args) -> int:
    with _reading(args) as (con, flt):
        frame = store.list_datasets(con, flt.study)
        name = studies.name_of(con, flt.study)
    if name:
        print(f"study: {name}")
    if frame.empty:
        print("no datasets")
    for r in frame.itertuples():
        print(f"{r.id:>4}  {r.name}  (wave {r.wave}; {r.respondents} respondents, {r.touchpoints} touchpoints, from {r.source_file})")
    return 0


def cmd_studies(args) -> int:
    con = _open_existing(args.db)
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


def cmd_study(args) -> int:
    actor = access.cli_actor()
    with _database(args) as con:
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


def cmd_move(args) -> int:
    with _database(args) as con:
        row = _dataset(con, args.dataset, args.study)
        target = studies.find(con, args.to)
        created = target is None
        target = access.perform(con, access.cli_actor(), "dataset.move", int(row["id"]), args.to if created else target,
                                target=int(row["id"]), details={"name": row["name"], "to_study": args.to})
        print(f"moved dataset '{row['name']}' (id {row['id']}) to study '{studies.name_of(con, target)}'{' (new)' if created else ''}")
    return 0


def cmd_delete(args) -> int:
    with _database(args) as con:
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


def cmd_remap(args) -> int:
    from tpm.remap import corrected, load, preview

    changes = _overrides(args.scale, args.missing)  # checks --scale/--missing as the ingest does
    for header, role in _pairs("--role", args.role):
        changes.setdefault(header, {})["role"] = role
    for header, name in _pairs("--name", args.name):
        changes.setdefault(header, {})["name"] = name
    if not changes and not args.dry_run:
        raise CliError("nothing to change: give --role, --scale, --missing or --name (or --dry-run to see the mapping)")
    with _database(args) as con:
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


def cmd_touchpoint(args) -> int:
    with _database(args) as con:
        study = _study(con, args.study)
        done = access.perform(con, access.cli_actor(), f"touchpoint.{args.action}", args.name, args.other, study,
                              target=args.name, details={"study_id": study, "to": args.other})
    print(f"renamed '{args.name}' to '{done}' (the old name stays as an alias)" if args.action == "rename"
          else f"merged '{args.name}' into '{done}'")
    return 0


def cmd_themes(args) -> int:
    """``themes …`` (:mod:`tpm.cli_themes`): list reads, the other actions write."""
    opened = _database(args) if args.action in cli_themes.WRITING else _existing(args.db)
    with opened as con:
        return cli_themes.run(con, args, _study(con, args.study) or studies.resolve(con, args.study))


def _int(value) -> str:
    return "—" if value is None or value != value else str(int(value))


def _score(value) -> str:
    return "—" if value is None or value != value else f"{value:.1f}"


def _password(prompt: str) -> str:
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass(prompt)
        if getpass.getpass("again: ") != first:
            raise CliError("the two passwords differ; nothing changed")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def cmd_users(args) -> int:
    actor = access.cli_actor()
    command = args.users_command
    if command == "list":
        with _existing(args.db) as con:  # not of a study: works whatever the database holds
            frame = access.list_users(con)
            scopes = {name: list(names) for name, names in studies.list_scopes(con).itertuples(index=False)}
        for r in frame.itertuples():
            limit = f"\tstudies: {', '.join(scopes[r.name]) or '(none)'}" if r.name in scopes else ""
            print(f"{r.name}\t{r.role}\t{r.created_at:%Y-%m-%d}{limit}")
        if frame.empty:
            print("no users")
        return 0
    password = _password(f"password for {args.name}: ") if command in ("add", "set-password") else None
    with store.writing(args.db, 30.0, _say_waiting(store.db_path(args.db))) as con:
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


def cmd_audit(args) -> int:
    with _existing(args.db) as con:
        frame = store.audit_log(con, args.limit or None)
    if args.csv:
        frame.to_csv(sys.stdout, index=False)
        return 0
    if frame.empty:
        print("no entries")
    for r in frame.itertuples():
        print(f"{r.at_utc:%Y-%m-%d %H:%M:%S} UTC  {r.actor} ({r.via})  {r.action}  {r.target or ''}  {r.details}")
    return 0


def cmd_seed(args) -> int:
    from tpm.seed import seed_if_empty

    with _database(args) as con:
        saved = seed_if_empty(con)
    print(f"seeded {len(saved)} dataset(s) in {len({s.study_id for s in saved})} studies" if saved
          else "database not empty; nothing seeded")
    return 0
