"""Weights computed in TPM: raking (iterative proportional fitting) to known margins.

The analyst gives target shares for one or more segment variables — a CSV ``variable,value,share``
(``Region,Nord,25`` …; shares in % or as fractions, ``,`` or ``;`` separated, German decimal
commas allowed) or the same rows on the Upload page. :func:`rake_dataset` then

1. checks the margins against the dataset: every variable is a single-choice segment of it (a
   multiple-choice question's options are no shares of one whole: :func:`check_single_choice`), every value has
   respondents and every respondent's value has a target, no respondent lacks a value, each
   variable's shares sum to 100 % (±0.1 points, then normalised exactly) — else
   :class:`WeightsError` naming the file, row and column or the value;
2. rakes: IPF by ``weightipy`` (its RIM/raking engine; ``convcrit = 0`` so it iterates until a
   pass no longer improves the weights, at most :data:`MAX_ITERATIONS` passes) and checks that
   every weighted margin meets its target within :data:`TOLERANCE` (as a proportion). If it does
   not, the margins cannot be met together — the message names the empty cells of the
   variables' cross-table, the usual reason;
3. optionally trims the weights to [low, high] × the mean weight (e.g. 0.3–3): clip, rescale to
   mean 1, repeat until inside. Trimming moves the margins a little; the largest remaining
   deviation is reported and stored;
4. stores the weights (mean 1, so they sum to n) in ``respondents.weight`` and the weight set
   (margins, trimming, Kish n_eff = (Σw)²/Σw², efficiency n_eff/n, min/max weight) in
   ``weight_sets``, in one transaction. Nothing is written on any error.

Why weightipy: small (numpy/pandas only, no pins changed), maintained, and its raking is the
classic RIM algorithm used in market research (quantipy lineage). Its own cap for a
*range* (``cap=(low, high)``) fails in 0.4.2 (``TypeError`` comparing a tuple), hence the small
trimming loop here.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tpm.ingest.errors import IngestError

#: every margin must be met within this (as a proportion, i.e. 1e-6 = 0.0001 percentage points)
TOLERANCE = 1e-6
MAX_ITERATIONS = 1000
#: each variable's shares must sum to 100 % within this many percentage points
SUM_SLACK = 0.1

_HEADER = {"variable": ("variable", "merkmal", "segment"), "value": ("value", "wert", "ausprägung", "auspraegung"),
           "share": ("share", "anteil", "target", "ziel", "prozent", "percent")}


class WeightsError(IngestError):
    """Margins that cannot be used, with where and why (a one-line message like the importer's)."""


@dataclass(frozen=True)
class Margin:
    variable: str
    value: str
    share: float  # in percent, 0 < share ≤ 100
    row: int | None = None  # the CSV row (1-based, header = 1), for messages


@dataclass
class RakeResult:
    weights: np.ndarray  # mean 1 (sum n)
    max_error: float  # largest |achieved − target| share, in percentage points
    summary: dict  # n, n_eff, efficiency, min, max (tpm.store.weight_summary)
    trimmed: tuple[float, float] | None = None


# --- reading the margins ------------------------------------------------------------------------


def _number(text: str) -> float | None:
    cleaned = text.strip().replace("%", "").replace("\u00a0", "").strip()
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    try:
        return float(cleaned)
    except ValueError:
        return None


def read_margins(file_name: str, data: bytes | str) -> list[Margin]:
    """Margins from a CSV with the columns variable, value, share (German headers Merkmal, Wert, Anteil too)."""
    from tpm.ingest.readers import _decode

    text = data if isinstance(data, str) else _decode(data)[0]
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise WeightsError(file_name, "the margins file is empty", hint="give rows variable,value,share such as Region,Nord,25")
    delimiter = max((";", ",", "\t"), key=lines[0].count)
    rows = list(csv.reader(lines, delimiter=delimiter))
    header = [h.strip().lower() for h in rows[0]]
    index = {}
    for key, names in _HEADER.items():
        found = [i for i, h in enumerate(header) if h in names]
        if not found:
            raise WeightsError(file_name, f"no column '{key}' in the header {rows[0]}", row=1,
                               hint="the header must be variable,value,share")
        index[key] = found[0]
    return margins_from_rows(file_name, [[row[index[k]] if index[k] < len(row) else "" for k in _HEADER] for row in rows[1:]],
                             first_row=2)


def margins_from_rows(source: str, rows: list[list], first_row: int = 1) -> list[Margin]:
    """Margins from (variable, value, share) rows; empty cells and bad shares name their row and column."""
    margins, seen = [], {}
    for number, row in enumerate(rows, start=first_row):
        cells = ["" if c is None or (isinstance(c, float) and np.isnan(c)) else str(c).strip() for c in list(row)[:3]]
        cells += [""] * (3 - len(cells))
        if not any(cells):
            continue
        for column, cell in zip(_HEADER, cells):
            if not cell:
                raise WeightsError(source, "the cell is empty", row=number, column=column)
        share = _number(cells[2])
        if share is None or not np.isfinite(share):
            raise WeightsError(source, f"'{cells[2]}' is not a number", row=number, column="share")
        if share <= 0:
            raise WeightsError(source, f"a target share must be above 0 (got {cells[2]})", row=number, column="share",
                               hint="leave a value out of the data instead of weighting it to nothing")
        key = (cells[0], cells[1])
        if key in seen:
            raise WeightsError(source, f"'{cells[0]} = {cells[1]}' is given twice (rows {seen[key]} and {number})", row=number)
        seen[key] = number
        margins.append(Margin(cells[0], cells[1], share, number))
    if not margins:
        raise WeightsError(source, "no margins given", hint="give rows variable,value,share such as Region,Nord,25")
    return _normalised(source, margins)


def _normalised(source: str, margins: list[Margin]) -> list[Margin]:
    """Shares per variable as percent summing to exactly 100 (fractions summing to 1 are accepted)."""
    out = []
    for variable in dict.fromkeys(m.variable for m in margins):  # in the order given
        group = [m for m in margins if m.variable == variable]
        total = sum(m.share for m in group)
        if abs(total - 1) <= SUM_SLACK / 100 or abs(total - 100) <= SUM_SLACK:
            scale = 100 / total
        else:
            rows = ", ".join(str(m.row) for m in group if m.row is not None)
            raise WeightsError(source, f"the shares of '{variable}' sum to {total:g} %, not 100 %", column="share",
                               hint=f"rows {rows}: correct them so that they add up to 100" if rows else None)
        out += [Margin(m.variable, m.value, m.share * scale, m.row) for m in group]
    return out


def margins_json(margins: list[Margin]) -> list[dict]:
    return [{"variable": m.variable, "value": m.value, "share": m.share} for m in margins]


# --- raking -------------------------------------------------------------------------------------


def check_margins(source: str, frame: pd.DataFrame, margins: list[Margin]) -> None:
    """Every variable a column of ``frame``, no respondent without a value, data values = target values."""
    variables = list(dict.fromkeys(m.variable for m in margins))
    for variable in variables:
        if variable not in frame:
            known = ", ".join(c for c in frame.columns if c != "row_number") or "none"
            raise WeightsError(source, f"'{variable}' is not a segment of this dataset", column="variable",
                               hint=f"segments: {known}")
        values = frame[variable]
        if values.isna().any():
            rows = frame.loc[values.isna(), "row_number"].head(3).tolist() if "row_number" in frame else []
            raise WeightsError(source, f"{int(values.isna().sum())} respondent(s) have no value for '{variable}'"
                               + (f" (file rows {', '.join(map(str, rows))})" if rows else ""),
                               hint="give their answer a value (e.g. 'keine Angabe') with its own target share")
        targets = {m.value: m for m in margins if m.variable == variable}
        present = set(values.unique())
        for value, margin in targets.items():
            if value not in present:
                raise WeightsError(source, f"'{variable} = {value}' has a target but no respondent in the data",
                                   row=margin.row, hint=f"values in the data: {', '.join(sorted(present))}")
        missing = sorted(present - set(targets))
        if missing:
            counts = values.value_counts()
            raise WeightsError(source, f"'{variable} = {missing[0]}' ({int(counts[missing[0]])} respondents) has no target share",
                               hint=f"give a share for every value of '{variable}': {', '.join(sorted(present))}")


def margin_error(frame: pd.DataFrame, weights: np.ndarray, margins: list[Margin]) -> float:
    """Largest |weighted share − target| over all margins, as a proportion."""
    total = weights.sum()
    return max(abs(weights[(frame[m.variable] == m.value).to_numpy()].sum() / total - m.share / 100) for m in margins)


def _empty_cells(frame: pd.DataFrame, variables: list[str]) -> list[str]:
    cells = []
    for a, b in itertools.combinations(variables, 2):
        table = pd.crosstab(frame[a], frame[b])
        cells += [f"{a} = {i} × {b} = {j}" for i in table.index for j in table.columns if table.loc[i, j] == 0]
    return cells


def rake(frame: pd.DataFrame, margins: list[Margin], trim: tuple[float, float] | None = None,
         source: str = "margins") -> RakeResult:
    """Raking weights (mean 1) for the respondents in ``frame`` (one column per margin variable)."""
    import weightipy

    check_margins(source, frame, margins)
    variables = list(dict.fromkeys(m.variable for m in margins))
    targets = {v: {m.value: m.share for m in margins if m.variable == v} for v in variables}
    scheme = weightipy.scheme_from_dict(targets, name="tpm", rim_params={"convcrit": 0.0, "max_iterations": MAX_ITERATIONS})
    with contextlib.redirect_stdout(io.StringIO()):  # weightipy prints its convergence notes
        weights = np.asarray(weightipy.weight(frame[variables].astype(str), scheme), dtype=float)
    weights = weights / weights.mean()
    error = margin_error(frame, weights, margins)
    if not np.isfinite(error) or error > TOLERANCE:
        empty = _empty_cells(frame, variables)
        reason = (f"the cross-table has empty cells ({'; '.join(empty[:3])}), so the margins cannot all be met together"
                  if empty else "the margins contradict each other in this sample")
        raise WeightsError(source, f"raking did not converge: a margin is still {100 * error:.4f} points off — {reason}",
                           hint="merge small groups or check the target shares")
    if trim is not None:
        weights = trimmed(weights, *trim)
        error = margin_error(frame, weights, margins)
    from tpm.store import weight_summary

    return RakeResult(weights, 100 * error, weight_summary(weights), trim)


def trimmed(weights: np.ndarray, low: float, high: float, max_rounds: int = 100) -> np.ndarray:
    """Weights clipped to [low, high] × their mean and rescaled to mean 1, repeated until inside."""
    if not 0 < low < 1 < high:
        raise ValueError(f"trimming needs 0 < low < 1 < high (got {low}–{high})")
    w = np.asarray(weights, dtype=float) / np.mean(weights)
    for _ in range(max_rounds):
        if w.min() >= low - 1e-12 and w.max() <= high + 1e-12:
            break
        w = np.clip(w, low, high)
        w = w / w.mean()
    return w


# --- on the stored data -------------------------------------------------------------------------


def multiple_choice(con, dataset_id: int, variables: list[str]) -> dict[str, int]:
    """The ``variables`` that are multiple-choice questions in the dataset — mapped so at the import
    (role ``multi``) or with a respondent holding several values — each with the number of
    respondents who ticked more than one option."""
    import json

    mapping = con.execute("SELECT mapping FROM datasets WHERE id = ?", [int(dataset_id)]).fetchone()
    mapped = {spec.get("touchpoint") for spec in json.loads(mapping[0]) if spec.get("role") == "multi"} if mapping else set()
    several = dict(con.execute(
        """SELECT segment, count(*) FROM (SELECT segment, resp FROM segments
                                          WHERE dataset_id = ? AND list_contains(?::VARCHAR[], segment)
                                          GROUP BY ALL HAVING count(*) > 1) GROUP BY segment""",
        [int(dataset_id), list(variables)]).fetchall())
    return {v: int(several.get(v, 0)) for v in variables if v in mapped or v in several}


def check_single_choice(con, dataset_id: int, margins: list[Margin], source: str) -> None:
    """Raking fits shares of one whole: a multiple-choice question (whose options a respondent may
    tick several or none of) is no margin; the message names it and what to do instead."""
    variables = list(dict.fromkeys(m.variable for m in margins))
    for variable, ticked in multiple_choice(con, dataset_id, variables).items():
        row = next(m.row for m in margins if m.variable == variable)
        raise WeightsError(source, f"'{variable}' is a multiple-choice question ({ticked} respondent(s) ticked more than "
                                   "one option), so its options are not shares of one whole and cannot be a raking margin",
                           row=row, column="variable",
                           hint=f"leave '{variable}' out of the margins and rake on single-choice segments "
                                "(e.g. region, age group)")


def segment_frame(con, dataset_id: int, variables: list[str]) -> pd.DataFrame:
    """One row per respondent of the dataset (resp, row_number) with a column per segment variable."""
    people = con.execute("SELECT resp, row_number FROM respondents WHERE dataset_id = ? ORDER BY resp", [int(dataset_id)]).df()
    long = con.execute("SELECT resp, segment, value FROM segments WHERE dataset_id = ? AND list_contains(?::VARCHAR[], segment)",
                       [int(dataset_id), list(variables)]).df()
    wide = long.pivot(index="resp", columns="segment", values="value") if len(long) else pd.DataFrame(index=pd.Index([], name="resp"))
    return people.merge(wide, left_on="resp", right_index=True, how="left")


def rake_dataset(con, dataset: int | str, margins: list[Margin], trim: tuple[float, float] | None = None,
                 source: str = "margins") -> RakeResult:
    """Rake one stored dataset (id or name) to ``margins`` and store the weight set (one transaction)."""
    from tpm import compact, store

    dataset_id = _dataset_id(con, dataset, source)
    check_single_choice(con, dataset_id, margins, source)
    frame = segment_frame(con, dataset_id, list(dict.fromkeys(m.variable for m in margins)))
    result = rake(frame, margins, trim, source)
    with store.changing(con):
        con.register("raked", pd.DataFrame({"resp": frame["resp"].to_numpy(), "w": result.weights}))
        con.execute("UPDATE respondents SET weight = raked.w FROM raked WHERE respondents.dataset_id = ? AND respondents.resp = raked.resp",
                    [dataset_id])
        con.unregister("raked")
        compact.refresh(con, [dataset_id])
        store.save_weight_set(con, dataset_id, "raking", result.summary, margins_json(margins), trim, result.max_error)
    return result


def margin_template(con, dataset_id: int) -> pd.DataFrame:
    """variable, value, share: every segment value of a dataset with its share in the sample (%),
    a starting point for typing in the targets."""
    return con.execute(
        """SELECT variable, value, round(100.0 * k / sum(k) OVER (PARTITION BY variable), 1) AS share
           FROM (SELECT segment AS variable, value, count(*) AS k FROM segments WHERE dataset_id = ? GROUP BY ALL)
           ORDER BY variable, value""", [int(dataset_id)]).df()


def _dataset_id(con, dataset: int | str, source: str) -> int:
    rows = con.execute("SELECT id FROM datasets WHERE name = ? OR CAST(id AS VARCHAR) = ?", [str(dataset), str(dataset)]).fetchall()
    if len(rows) != 1:
        names = ", ".join(r[0] for r in con.execute("SELECT name FROM datasets ORDER BY id").fetchall()) or "none"
        raise WeightsError(source, f"no single dataset '{dataset}'" + (" (several have this name; give the id)" if rows else ""),
                           hint=f"datasets: {names}")
    return int(rows[0][0])


def describe(result: RakeResult) -> str:
    """One line for the CLI and the Upload page."""
    s = result.summary
    text = (f"raked {s['n']} respondents: Kish effective n = {s['n_eff']:.1f} (efficiency {100 * s['efficiency']:.1f} %), "
            f"weights {s['min']:.3f} to {s['max']:.3f}, largest margin deviation {result.max_error:.2g} points")
    if result.trimmed:
        text += f" after trimming to {result.trimmed[0]:g}–{result.trimmed[1]:g}"
    return text


__all__ = ["Margin", "RakeResult", "WeightsError", "describe", "margins_from_rows", "rake", "rake_dataset",
           "read_margins", "trimmed"]
