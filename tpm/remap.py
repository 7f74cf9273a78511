"""Re-mapping a stored dataset: a wrongly detected column's role, scale or missing codes corrected
after the import, without deleting the dataset.

Every import keeps the file it came from (``dataset_files``: bytes, SHA-256, sheet). Re-mapping
reads that file again, normalises it with the corrected mapping (the same
:func:`tpm.ingest.normalise.normalise` the import uses) and replaces the dataset's respondents,
ratings, don't-know answers, segments and comments in one transaction. The dataset keeps its id,
study, name and wave; the corrected mapping becomes the study's template for the next wave of
that layout. A mapping the file does not fit (a value outside the new scale, two NPS columns …)
raises :class:`tpm.ingest.IngestError` and nothing is written. Survey weights: a weight column
in the new mapping replaces the weights; without one, raked weights (``weight_sets.source =
'raking'``) are kept per respondent, file weights go.

Datasets imported before files were kept cannot be re-mapped: :class:`RemapError` says that the
file has to be uploaded again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import duckdb
import numpy as np
import pandas as pd

from tpm import store
from tpm.i18n import MessageError
from tpm.ingest import ROLES, ColumnSpec, ImportResult, arrange, read_table, touchpoint_name
from tpm.ingest.detect import SCORED
from tpm.upload import Prepared


class RemapError(MessageError):
    """A dataset that cannot be re-mapped, or a correction that does not fit it; ``text(lang)`` for the UI."""


@dataclass
class Stored:
    """A stored dataset, its file read again, with the mapping it was imported with."""

    dataset_id: int
    study_id: int
    name: str
    prepared: Prepared  # ``prepared.specs``: the stored mapping

    @property
    def specs(self) -> list[ColumnSpec]:
        return self.prepared.specs


def can_remap(con: duckdb.DuckDBPyConnection, dataset_id: int) -> bool:
    """True if the dataset's file is stored (imported by this version or later)."""
    return con.execute("SELECT count(*) FROM dataset_files WHERE dataset_id = ?", [int(dataset_id)]).fetchone()[0] > 0


def load(con: duckdb.DuckDBPyConnection, dataset_id: int) -> Stored:
    """The dataset's stored file, read and arranged as at the import, with its stored mapping."""
    row = con.execute("SELECT study_id, name, mapping FROM datasets WHERE id = ?", [int(dataset_id)]).fetchone()
    if row is None:
        raise RemapError("err_remap_missing", id=dataset_id)
    file = con.execute("SELECT file_name, sha256, sheet, include_incomplete, size, data FROM dataset_files WHERE dataset_id = ?",
                       [int(dataset_id)]).fetchone()
    if file is None:
        raise RemapError("err_remap_no_file", name=row[1])
    file_name, sha256, sheet, incomplete, size, packed = file
    data = unpack(packed, size)
    table = arrange(read_table(file_name, data, sheet=sheet), bool(incomplete))
    specs = [ColumnSpec.from_dict(spec) for spec in json.loads(row[2])]
    return Stored(int(dataset_id), int(row[0]), str(row[1]),
                  Prepared(file_name, sha256, table, specs, data=data, include_incomplete=bool(incomplete)))


def unpack(packed: bytes, size: int) -> bytes:
    """The kept file's bytes from its stored (Zstandard-compressed) form."""
    import pyarrow as pa

    return pa.decompress(packed, decompressed_size=int(size), codec="zstd", asbytes=True)


def corrected(specs: list[ColumnSpec], column: str, role: str | None = None, scale: tuple[int, int] | None = None,
              missing: list[float] | None = None, name: str | None = None) -> list[ColumnSpec]:
    """``specs`` with one column's role, scale, missing codes or name changed (the CLI's ``--role``,
    ``--scale``, ``--missing``, ``--name``); ``column`` is the header as written in the file
    (spaces and case do not matter). A column turned into a rating needs a scale."""
    by_column = {" ".join(s.column.split()).casefold(): i for i, s in enumerate(specs)}
    index = by_column.get(" ".join(column.split()).casefold())
    if index is None:
        raise RemapError("err_remap_column", column=column)
    spec = replace(specs[index], unsure=None)
    if role is not None:
        if role not in ROLES:
            raise RemapError("err_remap_role", column=spec.column, role=role, allowed=", ".join(ROLES))
        if role != spec.role:
            spec.role, spec.labels, spec.option = role, None, None
            if role in ("rating", "overall", "segment", "outcome", "jar"):
                spec.touchpoint = spec.touchpoint or touchpoint_name(spec.column)
            else:
                spec.touchpoint = None
            if role == "nps":
                spec.scale_min, spec.scale_max = 0, 10
            elif role not in SCORED:
                spec.scale_min = spec.scale_max = None
                spec.missing_codes = None
    if scale is not None:
        if spec.role not in SCORED:
            raise RemapError("err_remap_not_scored", column=spec.column, role=spec.role)
        if spec.labels:
            raise RemapError("err_remap_labels", column=spec.column)
        spec.scale_min, spec.scale_max = scale
    if missing is not None:
        if spec.role not in SCORED:
            raise RemapError("err_remap_not_scored", column=spec.column, role=spec.role)
        spec.missing_codes = list(missing) or None
    if name is not None:
        spec.touchpoint = name.strip() or spec.touchpoint
    if spec.role in ("rating", "overall") and (spec.scale_min is None or spec.scale_max is None):
        raise RemapError("err_remap_needs_scale", column=spec.column)
    out = list(specs)
    out[index] = spec
    return out


def differences(before: list[ColumnSpec], after: list[ColumnSpec]) -> list[dict]:
    """What the correction changes, per column (for the audit trail and the preview)."""
    old = {s.column: s for s in before}
    changed = []
    for spec in after:
        was = old.get(spec.column)
        fields = ("role", "touchpoint", "scale_min", "scale_max", "missing_codes")
        if was is None or any(getattr(was, f) != getattr(spec, f) for f in fields):
            changed.append({"column": spec.column,
                            **{f: [getattr(was, f, None), getattr(spec, f)] for f in fields
                               if was is None or getattr(was, f) != getattr(spec, f)}})
    return changed


def _scores(ratings: pd.DataFrame) -> pd.DataFrame:
    """n, scale and unweighted 0–100 score per touchpoint of a dataset's long ratings."""
    if ratings.empty:
        return pd.DataFrame(columns=["touchpoint", "scale", "n", "score"])
    from tpm.metrics.rules import score_0_100

    frame = ratings.assign(touchpoint=ratings["touchpoint"].astype(str),
                           s=score_0_100(ratings["score"], ratings["scale_min"], ratings["scale_max"]))
    grouped = frame.groupby("touchpoint", sort=True)
    return pd.DataFrame({
        "scale": grouped.apply(lambda g: ", ".join(f"{lo}–{hi}" for lo, hi in sorted(set(zip(g["scale_min"], g["scale_max"])))),
                               include_groups=False),
        "n": grouped.size(), "score": grouped["s"].mean()}).reset_index()


def preview(con: duckdb.DuckDBPyConnection, stored: Stored, specs: list[ColumnSpec]) -> tuple[pd.DataFrame, ImportResult]:
    """Per touchpoint (and NPS): scale, n and unweighted 0–100 score now and after the correction.
    Raises :class:`tpm.ingest.IngestError` when the file does not fit the corrected mapping."""
    result = stored.prepared.apply(specs)
    aliases = dict(con.execute("SELECT alias, name FROM touchpoint_aliases WHERE study_id = ?", [stored.study_id]).fetchall())
    after_ratings = result.canonical.ratings.assign(
        touchpoint=[aliases.get(str(t).lower(), str(t)) for t in result.canonical.ratings["touchpoint"]])
    before = _scores(con.execute("SELECT touchpoint, score, scale_min, scale_max FROM ratings WHERE dataset_id = ?",
                                 [stored.dataset_id]).df())
    after = _scores(after_ratings)
    nps_before = con.execute("SELECT count(nps) FROM respondents WHERE dataset_id = ?", [stored.dataset_id]).fetchone()[0]
    nps_after = int(result.canonical.respondents["nps"].notna().sum())
    nps = pd.DataFrame([{"touchpoint": "NPS", "scale_before": "0–10" if nps_before else "", "n_before": nps_before or np.nan,
                         "scale_after": "0–10" if nps_after else "", "n_after": nps_after or np.nan}])
    table = before.merge(after, on="touchpoint", how="outer", suffixes=("_before", "_after"))
    table = pd.concat([table, nps], ignore_index=True) if nps_before or nps_after else table
    columns = ["touchpoint", "scale_before", "n_before", "score_before", "scale_after", "n_after", "score_after"]
    table = table.reindex(columns=columns)
    same = [table[f"{c}_before"].fillna(-1).astype(str) == table[f"{c}_after"].fillna(-1).astype(str) for c in ("scale", "n", "score")]
    unchanged = same[0] & same[1] & same[2]
    return table.assign(_u=unchanged).sort_values("_u", kind="stable").drop(columns="_u").reset_index(drop=True), result


@dataclass
class Remapped:
    dataset_id: int
    changes: list[dict]
    respondents: int
    touchpoints: list[str]


def remap(con: duckdb.DuckDBPyConnection, dataset_id: int, specs: list[ColumnSpec],
          audit: tuple[str, str] | None = None) -> Remapped:
    """Replace the dataset's rows by those its stored file gives under ``specs``: one transaction,
    same dataset id, study, name and wave; ``audit`` = (actor, via) writes the audit line
    (``dataset.remap``) inside it. Bad mapping: IngestError/RemapError, nothing written."""
    stored = load(con, dataset_id)
    result = stored.prepared.apply(specs)  # validates: raises before anything is written
    changes = differences(stored.specs, result.specs)
    c = result.canonical
    report = result.report()
    respondents, weights = store.rescaled_weights(c.respondents)
    old_source = con.execute("SELECT source FROM weight_sets WHERE dataset_id = ?", [stored.dataset_id]).fetchone()
    old_names = {s.touchpoint.strip() for s in stored.specs if s.role == "rating" and s.touchpoint}
    with store.transaction(con):
        if weights:
            report["weights"] = weights
            report["notes"] = [*report.get("notes", []), weights["note"]]
        elif old_source and old_source[0] == "raking":  # raked weights belong to the respondents: kept
            kept = con.execute("SELECT resp, weight FROM respondents WHERE dataset_id = ?", [stored.dataset_id]).df()
            respondents = respondents.drop(columns="weight", errors="ignore").merge(kept, on="resp", how="left")
        for table in store.DERIVED_TABLES:
            con.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [stored.dataset_id])
        if weights:
            store.save_weight_set(con, stored.dataset_id, "file", weights)
        elif not (old_source and old_source[0] == "raking"):
            con.execute("DELETE FROM weight_sets WHERE dataset_id = ?", [stored.dataset_id])
        store.insert_rows(con, stored.dataset_id, stored.study_id, result, respondents)
        con.execute("UPDATE datasets SET mapping = ?, report = ?, rows = ? WHERE id = ?",
                    [json.dumps([s.as_dict() for s in c.specs], ensure_ascii=False),
                     json.dumps(report, ensure_ascii=False, default=str), len(c.respondents), stored.dataset_id])
        # touchpoints that were only a wrongly read column of this dataset leave the inventory
        # (never a classified one, one with measures, or one still rated in another wave)
        con.execute(
            """DELETE FROM touchpoints t WHERE t.study_id = ? AND list_contains(?, t.name)
                 AND t.phase IS NULL AND t.department IS NULL AND t.target IS NULL AND t.benchmark IS NULL
                 AND NOT EXISTS (SELECT 1 FROM ratings r JOIN datasets d ON d.id = r.dataset_id
                                 WHERE d.study_id = t.study_id AND r.touchpoint = t.name)
                 AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.study_id = t.study_id AND a.touchpoint = t.name)""",
            [stored.study_id, sorted(old_names)])
        if audit:
            store.record(con, audit[0], audit[1], "dataset.remap", str(stored.dataset_id),
                         {"study_id": stored.study_id, "name": stored.name, "file": stored.prepared.file_name,
                          "changes": changes})
    return Remapped(stored.dataset_id, changes, len(c.respondents), c.touchpoints)
