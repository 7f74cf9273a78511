"""Survey weights of a dataset: rescaled to a mean of 1 on import, their sets and summaries (Kish n_eff)."""

from __future__ import annotations

import json

import duckdb
import pandas as pd


def weight_summary(w) -> dict:
    """n, Kish effective n = (Σw)²/Σw², efficiency n_eff/n, min and max of a weight vector."""
    import numpy as np

    w = np.asarray(w, dtype=float)
    n_eff = float(w.sum() ** 2 / (w**2).sum())
    return {"n": len(w), "n_eff": n_eff, "efficiency": n_eff / len(w), "min": float(w.min()), "max": float(w.max())}


def rescaled_weights(respondents: pd.DataFrame) -> tuple[pd.DataFrame, dict | None]:
    """The respondents with their ``weight`` rescaled to sum to n (the unweighted count), and a
    summary for the import report (None when the file has no weights).

    Rescaling changes no weighted estimate (Σwy/Σw is scale-free) but makes pooled datasets
    count by their respondents, and the weights readable (1 = an average respondent).
    """
    if "weight" not in respondents or respondents["weight"].isna().all():
        return respondents.drop(columns="weight", errors="ignore"), None
    w = respondents["weight"].astype(float)
    if w.isna().any() or (w <= 0).any():  # the ingest refuses these with row and column; never store them
        raise ValueError("weights must be positive numbers for every respondent")
    factor = len(w) / float(w.sum())
    out = respondents.assign(weight=w * factor)
    summary = weight_summary(out["weight"])
    summary["factor"] = factor
    rescaled = f"weights rescaled to sum to n = {len(w)} (factor {factor:.6g}); " if abs(factor - 1) > 1e-9 else "weights: "
    summary["note"] = (f"{rescaled}Kish effective n = {summary['n_eff']:.1f} ({100 * summary['efficiency']:.1f} %), "
                       f"weights {summary['min']:.3g} to {summary['max']:.3g}")
    return out, summary


def save_weight_set(con: duckdb.DuckDBPyConnection, dataset_id: int, source: str, summary: dict, margins=None,
                    trim: tuple[float, float] | None = None, max_margin_error: float | None = None) -> None:
    """Record which weight set is in ``respondents.weight`` of a dataset (inside the caller's transaction)."""
    con.execute(
        "INSERT OR REPLACE INTO weight_sets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [int(dataset_id), source, json.dumps(margins, ensure_ascii=False) if margins is not None else None,
         trim[0] if trim else None, trim[1] if trim else None, summary["n"], summary["n_eff"], summary["min"],
         summary["max"], max_margin_error],
    )


def weighted_datasets(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Ids of the datasets whose respondents carry weights."""
    return {int(r[0]) for r in con.execute("SELECT DISTINCT dataset_id FROM respondents WHERE weight IS NOT NULL").fetchall()}


def weight_sets(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The weight set of every weighted dataset, with the dataset name."""
    return con.execute(
        """SELECT d.name AS dataset, w.* FROM weight_sets w JOIN datasets d ON d.id = w.dataset_id ORDER BY d.id"""
    ).df()
