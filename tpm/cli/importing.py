"""``python -m tpm ingest``: read the files (ahead, on a thread of their own), apply the analyst's
``--scale``/``--missing``/``--date-order``, write all files or none, and print each file's import report."""

from __future__ import annotations

import gc
import importlib
from pathlib import Path

from tpm.cli.common import CliError, Lazy, access, say_waiting, store, studies

prepare = Lazy("tpm.upload", "prepare")
use_template = Lazy("tpm.upload", "use_template")
unsure_specs = Lazy("tpm.ingest.detect", "unsure_specs")


def add_ingest(sub) -> None:
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



def cmd_ingest(args) -> int:
    """All files or none: read and check every file first, without the database; then hold the
    database only to look up earlier waves' mappings and, in one transaction, to write."""
    for path in args.paths:
        if not path.is_file():
            raise CliError(f"'{path}': no such file")
    overrides = parse_overrides(args.scale, args.missing, args.date_order)
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
    waiting = say_waiting(db)

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


def parse_overrides(scales: list[str], missing: list[str], date_orders: list[str] = ()) -> dict[str, dict]:
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
