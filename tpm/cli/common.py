"""What every command shares: the lazy imports, the user error, opening the database, the study and
filter of a read command (``--study``, ``--dataset``, ``--where``, ``--unweighted``) and number rounding."""

from __future__ import annotations

import importlib
import math
import sys
from contextlib import contextmanager


class Lazy:
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


access = Lazy("tpm.access")
store = Lazy("tpm.store")
studies = Lazy("tpm.studies")
Filter = Lazy("tpm.metrics.filters", "Filter")


class CliError(Exception):
    """A user error: printed as one line, exit code 2."""


def chosen_study(con, study: str | None) -> int | None:
    """The study a read command looks at: ``--study``, or the only one; several and none given is an error."""
    if study is None and len(studies.list_studies(con)) > 1:
        raise CliError(f"the database holds several studies ({', '.join(studies.names(con))}); "
                       "choose one with --study NAME")
    return studies.resolve_or_none(con, study)


def read_filter(con, names: list[str] | None, study: int | None, weighted: bool = True, where: list[str] = ()) -> Filter:
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
            raise CliError(f"--where '{one_line(text)}': write QUESTION=VALUE, e.g. \"Region=Nord\"")
        found = next(((q, i) for i in cuts if (q := match_name(text[:i], known)) is not None), None)
        if found is None:
            raise CliError(f"--where '{one_line(text)}': no question '{one_line(text[:cuts[0]])}'; "
                           f"questions: {listing(known)}")
        question, cut = found
        value = match_name(text[cut + 1:], known[question])
        if value is None:
            raise CliError(f"--where '{one_line(text)}': '{one_line(question)}' has no value "
                           f"'{one_line(text[cut + 1:])}'; values: {listing(known[question])}")
        if value not in out.setdefault(question, []):
            out[question].append(value)
    return out


def match_name(text: str, names) -> str | None:
    """The name in ``names`` that ``text`` gives: itself, else the only one equal but for case and spacing."""
    text = text.strip()
    if text in names:
        return text
    key = " ".join(text.split()).casefold()
    found = [n for n in names if " ".join(str(n).split()).casefold() == key]
    return found[0] if len(found) == 1 else None


def one_line(text) -> str:
    return " ".join(str(text).split())


def listing(names, limit: int = 30) -> str:
    names = [one_line(n) for n in names]
    if not names:
        return "none"
    more = f" … ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def where_text(flt: Filter) -> str:
    """The ``--where`` filter in words ("Region = Nord or Süd; Kanal = Online"), "" without one."""
    return "; ".join(f"{q} = {' or '.join(values)}" for q, values in flt.segments)


def print_where(flt: Filter) -> None:
    if flt.segments:
        print(f"where: {where_text(flt)}")


def where_json(flt: Filter) -> dict:
    """``{"where": {question: [values]}}`` for a JSON output when filtered, else nothing."""
    return {"where": {q: list(values) for q, values in flt.segments}} if flt.segments else {}


def num(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 4)


@contextmanager
def reading(args):
    """(connection, study and dataset filter) of an existing database, closed afterwards."""
    with existing(args.db) as con:
        yield con, read_filter(con, getattr(args, "dataset", None), chosen_study(con, getattr(args, "study", None)),
                           not getattr(args, "unweighted", False), getattr(args, "where", []))


@contextmanager
def existing(db):
    """An existing database, read-only, closed afterwards (for what is not of one study: users, audit)."""
    con = open_existing(db)
    try:
        yield con
    finally:
        con.close()


def open_existing(db, read_only: bool = True) -> store.duckdb.DuckDBPyConnection:
    path = store.db_path(db)
    if not path.exists():
        raise CliError(f"'{path}': no database yet; import a file first with 'python -m tpm ingest FILE'")
    return store.open_retrying(path, wait=30.0, read_only=read_only, on_wait=say_waiting(path))


@contextmanager
def database(args):
    """The database of ``--db`` for one command that writes (created if missing), closed afterwards."""
    con = store.open_retrying(args.db, wait=30.0, on_wait=say_waiting(store.db_path(args.db)))
    try:
        yield con
    finally:
        con.close()


def say_waiting(path):
    def say(_):
        print(f"waiting for the database '{path}' (the dashboard or an import is using it) …", file=sys.stderr)
    return say
