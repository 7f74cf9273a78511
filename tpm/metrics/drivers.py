"""Key driver analysis: how much of the outcome (recommendation, overall satisfaction) each
touchpoint explains — Shapley value regression (LMG) or Johnson's relative weights.

Both work on the correlation matrix R of outcome y and drivers x₁…x_p alone, so the heavy
part — the correlations — runs inside DuckDB on any number of respondents.

**Shapley / LMG / general dominance** (Lindeman, Merenda & Gold 1980; Grömping 2006):
with R²(S) = r_yS' R_SS⁻¹ r_yS the R² of the regression on subset S,

    raw_j = Σ_{S ⊆ P∖{j}} |S|! (p − |S| − 1)! / p! · [R²(S ∪ {j}) − R²(S)],

which sums to the full-model R². All 2^p subsets are solved in batches (one stacked
``numpy.linalg.solve`` per subset size); exact up to :data:`MAX_SHAPLEY` drivers.

**Relative weights** (Johnson 2000, Multivariate Behavioral Research 35(1)): with the
eigen-decomposition R_xx = V Λ V', the orthogonal counterpart Z has loadings
L = V Λ^½ V'; β = L⁻¹ r_xy; raw_j = Σ_k L_jk² β_k², summing to R². Any number of drivers.

``share`` = 100 · raw / R²; ``sign`` is the sign of the driver's coefficient in the full
model (R_xx⁻¹ r_xy). Pratt's measure is not offered: it can go negative.

**Where the correlations are computed.** Up to 15 drivers: DuckDB's ``corr()`` aggregates over a
wide pivot. With more drivers the number of pairs grows with p², so DuckDB joins, filters and
numbers the long ratings, and numpy scatters them into a respondents × drivers matrix whose
pairwise Gram sums are BLAS products (:func:`pairwise_corr`); both give the same matrix.

**Missing data.** ``listwise`` uses respondents who answered the outcome and every driver;
``pairwise`` (the default in the UI) uses every available pair, repairs a matrix that is not
positive definite (eigenvalues clipped, unit diagonal restored) and reports the smallest
pairwise base. Touchpoint surveys are sparse, so listwise deletion can leave few respondents.

**Bootstrap**: respondents are resampled with replacement (seeded); percentile 95 % CIs of
the shares. **Minimum base**: n ≥ max(30, 10 × drivers), else a warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations

import duckdb
import numpy as np
import pandas as pd

from tpm.i18n import Message

METHODS = ("shapley", "relative_weights")
MISSING = ("pairwise", "listwise")
#: Exact Shapley up to this many drivers; above, relative weights (they agree closely).
MAX_SHAPLEY = 15


@dataclass
class DriverResult:
    """``table``: driver, raw, share (%), sign, n (pairs with the outcome) [, ci_low, ci_high]."""

    r2: float
    n: int
    table: pd.DataFrame
    method: str
    missing: str
    outcome: str
    notes: list[Message] = field(default_factory=list)  # English as str; .text(lang) translates
    warnings: list[Message] = field(default_factory=list)


# --- correlations ---------------------------------------------------------------------------


def correlations_sql(relation: str, p: int, missing: str, with_clause: str = "") -> str:
    """SQL over ``relation`` with columns c0 (outcome), c1…c_p (drivers): one row holding the
    count, every corr(c_i, c_j) and every pairwise count. Only generated names, no user text."""
    cols = [f"c{i}" for i in range(p + 1)]
    parts = ["count(*) AS n_rows"]
    for i, j in combinations(range(p + 1), 2):
        parts.append(f"corr(c{i}, c{j}) AS r_{i}_{j}")
        parts.append(f"regr_count(c{i}, c{j}) AS n_{i}_{j}")
    where = " AND ".join(f"{c} IS NOT NULL" for c in cols) if missing == "listwise" else "c0 IS NOT NULL"
    return f"{with_clause} SELECT {', '.join(parts)} FROM {relation} WHERE {where}"


def correlation_matrix(con: duckdb.DuckDBPyConnection, relation: str, p: int, missing: str, params: list | None = None,
                       with_clause: str = ""):
    """(R, pair_n, n_rows): the (p+1)×(p+1) correlation matrix computed by DuckDB."""
    row = con.execute(correlations_sql(relation, p, missing, with_clause), params or []).fetchone()
    values = iter(row[1:])
    R = np.eye(p + 1)
    pair_n = np.zeros((p + 1, p + 1), dtype=np.int64)
    for i, j in combinations(range(p + 1), 2):
        R[i, j] = R[j, i] = np.nan if (r := next(values)) is None else r
        pair_n[i, j] = pair_n[j, i] = next(values) or 0
    return R, pair_n, int(row[0])


def pairwise_corr(X: np.ndarray, single: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete Pearson correlations of the columns of X (NaN = missing), vectorised.

    The columns are centred first (numerically stable sums); the four Gram matrices
    (M'M, X'M, X²'M, X'X with M the presence mask) are BLAS products. ``single`` runs them in
    float32 — 3× faster on millions of rows; after centring the error stays below 1e-7.
    """
    with np.errstate(invalid="ignore"):
        centre = np.nanmean(X, axis=0) if len(X) else np.zeros(X.shape[1])
    dtype = np.float32 if single else np.float64
    Xc = (X - np.nan_to_num(centre)).astype(dtype, copy=False)
    M = (~np.isnan(Xc)).astype(dtype)
    X0 = np.nan_to_num(Xc)
    n = (M.T @ M).astype(np.float64)
    sx = (X0.T @ M).astype(np.float64)    # sx[i, j] = Σ x_i over rows where x_j is present too
    sxx = ((X0 * X0).T @ M).astype(np.float64)
    sxy = (X0.T @ X0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = n * sxy - sx * sx.T
        var_i = n * sxx - sx * sx
        R = cov / np.sqrt(var_i * var_i.T)
    np.fill_diagonal(R, 1.0)
    return R, np.rint(n).astype(np.int64)


def nearest_correlation(R: np.ndarray, floor: float = 1e-6) -> tuple[np.ndarray, bool]:
    """R if positive definite, else eigenvalues clipped at ``floor`` and unit diagonal restored."""
    values, vectors = np.linalg.eigh(R)
    if values.min() > floor:
        return R, False
    fixed = vectors @ np.diag(np.maximum(values, floor)) @ vectors.T
    d = np.sqrt(np.diag(fixed))
    fixed = fixed / np.outer(d, d)
    np.fill_diagonal(fixed, 1.0)
    return fixed, True


# --- importance from a correlation matrix ---------------------------------------------------


def _solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(A, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return (np.linalg.pinv(A) @ b[..., None])[..., 0]


def subset_r2(Rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R² of every subset of drivers, indexed by bit mask (bit j = driver j)."""
    p = len(rxy)
    r2 = np.zeros(1 << p)
    for k in range(1, p + 1):
        subsets = np.array(list(combinations(range(p), k)), dtype=np.int64)
        A = Rxx[subsets[:, :, None], subsets[:, None, :]]
        b = rxy[subsets]
        masks = (1 << subsets).sum(axis=1)
        r2[masks] = (b * _solve(A, b)).sum(axis=1)
    return r2


def shapley(Rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """LMG raw values (sum to the full-model R²), exact over all 2^p subsets."""
    p = len(rxy)
    r2 = subset_r2(Rxx, rxy)
    masks = np.arange(1 << p)
    sizes = np.array([bin(m).count("1") for m in range(1 << p)])
    weights = np.array([math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)])
    raw = np.empty(p)
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        raw[j] = (weights[sizes[without]] * (r2[without | (1 << j)] - r2[without])).sum()
    return raw


def relative_weights(Rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights (sum to the full-model R²)."""
    values, vectors = np.linalg.eigh(Rxx)
    L = vectors @ np.diag(np.sqrt(np.maximum(values, 0))) @ vectors.T
    beta = _solve(L, rxy)
    return (L**2) @ (beta**2)


def importance(R: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]:
    """(raw, full-model standardised coefficients) from R with the outcome at index 0."""
    Rxx, rxy = R[1:, 1:], R[0, 1:]
    raw = shapley(Rxx, rxy) if method == "shapley" else relative_weights(Rxx, rxy)
    return raw, _solve(Rxx, rxy)


# --- the public entry points -----------------------------------------------------------------


def key_drivers(
    frame: pd.DataFrame,
    outcome: str,
    drivers: list[str],
    method: str = "shapley",
    missing: str = "listwise",
    bootstrap: int = 0,
    seed: int = 0,
) -> DriverResult:
    """Key drivers of ``outcome`` among ``drivers`` (columns of ``frame``; NaN = not answered).

    The correlations are computed by DuckDB over the frame (scanned in place, not copied).
    """
    data = frame[[outcome, *drivers]].apply(pd.to_numeric, errors="coerce").astype("float64")
    data.columns = [f"c{i}" for i in range(len(drivers) + 1)]
    con = duckdb.connect()
    try:
        con.register("driver_data", data)
        R, pair_n, n_rows = correlation_matrix(con, "driver_data", len(drivers), _check(method, missing, drivers))
    finally:
        con.close()
    values = data.to_numpy() if bootstrap else None
    return _result(R, pair_n, n_rows, outcome, list(drivers), method, missing, values, bootstrap, seed)


def _check(method: str, missing: str, drivers: list[str]) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    if missing not in MISSING:
        raise ValueError(f"missing must be one of {MISSING}")
    if len(drivers) < 1:
        raise ValueError("at least one driver is needed")
    return missing


def _result(R, pair_n, n_rows, outcome, drivers, method, missing, values, bootstrap, seed, progress=None) -> DriverResult:
    notes, warnings = [], []
    p = len(drivers)
    used = method
    if method == "shapley" and p > MAX_SHAPLEY:
        used = "relative_weights"
        notes.append(Message("note_fallback", p=p, max=MAX_SHAPLEY))
    if missing == "listwise" and n_rows < 3:
        raise ValueError(Message("err_listwise", n=n_rows, p=p))
    if np.isnan(R).any():
        i, j = np.argwhere(np.isnan(R))[0]
        names = [outcome, *drivers]
        raise ValueError(f"a correlation could not be computed between '{names[i]}' and '{names[j]}' "
                         "(no variance, or no respondent answered both)")
    if missing == "pairwise":
        R, repaired = nearest_correlation(R)
        if repaired:
            notes.append(Message("note_repaired"))
        n = int(pair_n[0, 1:].min())
        driver_n = pair_n[0, 1:]
    else:
        n = n_rows
        driver_n = np.full(p, n_rows)
    base = max(30, 10 * p)
    if n < base:
        warnings.append(Message("warn_base", n=n, p=p, base=base))
    raw, beta = importance(R, used)
    r2 = float(raw.sum())
    table = pd.DataFrame({
        "driver": drivers,
        "raw": raw,
        "share": 100 * raw / r2 if r2 > 0 else np.nan,
        "sign": np.sign(beta).astype(int),
        "n": driver_n.astype(int),
    })
    if bootstrap:
        low, high = _bootstrap(values, used, missing, bootstrap, seed, progress)
        table["ci_low"], table["ci_high"] = low, high
    table = table.sort_values("share", ascending=False, ignore_index=True)
    return DriverResult(r2=r2, n=n, table=table, method=used, missing=missing, outcome=outcome, notes=notes, warnings=warnings)


def _bootstrap(values: np.ndarray, method: str, missing: str, times: int, seed: int,
               progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Percentile 95 % CIs of the shares over ``times`` resamples of respondents;
    ``progress(done_share)`` (0…1) is called after each resample when given."""
    rng = np.random.default_rng(seed)
    values = values[~np.isnan(values[:, 0])]
    if missing == "listwise":
        values = values[~np.isnan(values).any(axis=1)]
    shares = []
    for i in range(times):
        if progress is not None:
            progress(i / times)
        sample = values[rng.integers(0, len(values), len(values))]
        R, _ = pairwise_corr(sample)
        if np.isnan(R).any():
            continue
        R, _ = nearest_correlation(R)
        raw, _ = importance(R, method)
        shares.append(100 * raw / raw.sum())
    shares = np.array(shares)
    return np.percentile(shares, 2.5, axis=0), np.percentile(shares, 97.5, axis=0)


# --- on the stored survey data --------------------------------------------------------------

#: outcome name for the 0–10 recommend question
NPS_OUTCOME = "nps"
#: outcome name for the overall-satisfaction question (role *overall*), as a 0–1 score
OVERALL_OUTCOME = "overall"
#: outcomes stored per respondent (not among the touchpoint ratings), as SQL over ``resp``
RESPONDENT_OUTCOMES = {
    NPS_OUTCOME: "nps",
    OVERALL_OUTCOME: "(overall - overall_min) / nullif(overall_max - overall_min, 0)",
}


def wide_sql(flt, outcome: str, drivers: list[str]) -> tuple[str, list]:
    """``WITH resp AS (…), wide AS (…)``: one row per respondent, c0 = outcome, c1… = drivers.

    Ratings enter as 0–1 scores ((score − min)/(max − min)) so datasets on different scales
    pool; touchpoint names are bound parameters.
    """
    cte, params = flt.respondents_cte()
    norm = "(t.score - t.scale_min) / (t.scale_max - t.scale_min)"
    if outcome in RESPONDENT_OUTCOMES:
        first = f"any_value({RESPONDENT_OUTCOMES[outcome]})"  # columns of resp (ratings has none of these names)
    else:
        first = f"max({norm}) FILTER (WHERE t.touchpoint = ?)"
        params = params + [outcome]
    columns = [f"{first} AS c0"]
    for i, name in enumerate(drivers, start=1):
        columns.append(f"max({norm}) FILTER (WHERE t.touchpoint = ?) AS c{i}")
        params.append(name)
    sql = (f"WITH {cte}, wide AS (SELECT r.dataset_id, r.resp, {', '.join(columns)} "
           "FROM resp r LEFT JOIN ratings t USING (dataset_id, resp) GROUP BY r.dataset_id, r.resp)")
    return sql, params


def default_drivers(con, flt, outcome: str, min_n: int = 30) -> list[str]:
    """Every touchpoint in the filtered data with at least ``min_n`` ratings, except the outcome."""
    from tpm.metrics.satisfaction import touchpoint_stats

    stats = touchpoint_stats(con, flt)
    names = stats.loc[stats["n"] >= min_n, "touchpoint"].drop_duplicates().tolist()
    return sorted(n for n in names if n != outcome)


#: every correlation between two drivers (and with the outcome) needs this many respondents
MIN_PAIR_BASE = 30


def prune_sparse(names: list[str], pair_n: np.ndarray, min_pair: int = MIN_PAIR_BASE) -> list[int]:
    """Indices (into ``names``) of drivers kept so that every pair among them and with the
    outcome (index 0 of ``pair_n``) rests on ≥ ``min_pair`` respondents: the driver with the
    smallest base is dropped until that holds. Rarely co-used touchpoints otherwise give
    unstable pairwise correlations and a meaningless R²."""
    keep = [i for i in range(len(names)) if pair_n[0, i + 1] >= min_pair]
    while len(keep) > 1:
        sub = pair_n[np.ix_([k + 1 for k in keep], [k + 1 for k in keep])]
        if sub[~np.eye(len(keep), dtype=bool)].min() >= min_pair:
            break
        weakest = min(keep, key=lambda k: (pair_n[k + 1, [j + 1 for j in keep]].min(), pair_n[0, k + 1]))
        keep.remove(weakest)
    return keep


#: above this many drivers the correlations come from BLAS Gram matrices over the wide matrix
#: (DuckDB's corr() aggregates grow with p²: 820 of them for 40 drivers took 8 s on 1M rows)
GRAM_FROM = MAX_SHAPLEY + 1


def wide_matrix(con, flt, outcome: str, drivers: list[str]) -> np.ndarray:
    """Respondents (passing ``flt``) × [outcome, drivers…] as floats (NaN = not answered),
    scattered from the long ratings that DuckDB joins, filters and numbers."""
    cte, params = flt.respondents_cte()
    own = outcome in RESPONDENT_OUTCOMES
    names = ([] if own else [outcome]) + list(drivers)
    y = RESPONDENT_OUTCOMES.get(outcome, "NULL")
    numbered = (f"WITH {cte}, numbered AS (SELECT dataset_id, resp, {y} AS y, "
                "(row_number() OVER (ORDER BY dataset_id, resp)) - 1 AS row FROM resp)")
    count, = con.execute(f"WITH {cte} SELECT count(*) FROM resp", params).fetchone()
    X = np.full((count, len(drivers) + 1), np.nan)
    if own:
        ys = con.execute(f"{numbered} SELECT row, y FROM numbered WHERE y IS NOT NULL", params).fetchnumpy()
        X[np.asarray(ys["row"]), 0] = np.asarray(ys["y"], dtype=np.float64)
    offset = 1 if own else 0
    long = con.execute(
        f"""{numbered}, codes AS (SELECT unnest(?::VARCHAR[]) AS touchpoint, unnest(range(?::INTEGER)) AS code)
            SELECT n.row, c.code, (t.score - t.scale_min) / (t.scale_max - t.scale_min) AS x
            FROM ratings t JOIN numbered n USING (dataset_id, resp) JOIN codes c USING (touchpoint)""",
        params + [names, len(names)],
    ).fetchnumpy()
    X[np.asarray(long["row"]), np.asarray(long["code"]) + offset] = np.asarray(long["x"], dtype=np.float64)
    return X


def _matrix_correlations(X: np.ndarray, missing: str):
    """(R, pair_n, n_rows) like :func:`correlation_matrix`, from an in-memory matrix."""
    X = X[~np.isnan(X[:, 0])]
    if missing == "listwise":
        X = X[~np.isnan(X).any(axis=1)]
    R, pair_n = pairwise_corr(X, single=X.size > 5_000_000)
    return R, pair_n, len(X)


def drivers_for(
    con,
    flt,
    outcome: str = NPS_OUTCOME,
    drivers: list[str] | None = None,
    method: str = "shapley",
    missing: str = "pairwise",
    bootstrap: int = 0,
    seed: int = 0,
    progress=None,
) -> DriverResult:
    """Key drivers on the stored data of the respondents that pass ``flt``.

    ``outcome``: "nps" (the 0–10 recommend question), "overall" (the overall-satisfaction
    question, role *overall*) or a touchpoint name (e.g. overall
    satisfaction). ``drivers``: touchpoint names; by default every touchpoint with enough
    ratings, pruned by :func:`prune_sparse`. The correlations are computed by DuckDB.
    """
    chosen = list(drivers) if drivers is not None else default_drivers(con, flt, outcome)
    _check(method, missing, chosen)
    notes = []
    with_clause, params = wide_sql(flt, outcome, chosen)
    first_pass = "pairwise" if drivers is None else missing  # pruning needs the pairwise bases
    matrix = wide_matrix(con, flt, outcome, chosen) if len(chosen) >= GRAM_FROM else None
    if matrix is not None:
        R, pair_n, n_rows = _matrix_correlations(matrix, first_pass)
    else:
        R, pair_n, n_rows = correlation_matrix(con, "wide", len(chosen), first_pass, params, with_clause)
    if drivers is None:
        keep = prune_sparse(chosen, pair_n)
        dropped = [chosen[i] for i in range(len(chosen)) if i not in keep]
        if dropped:
            notes.append(Message("note_left_out", names=", ".join(dropped)))
        idx = [0] + [k + 1 for k in keep]
        chosen, R, pair_n = [chosen[k] for k in keep], R[np.ix_(idx, idx)], pair_n[np.ix_(idx, idx)]
        if not chosen:
            raise ValueError(Message("err_no_drivers"))
        matrix = matrix[:, idx] if matrix is not None else None
        with_clause, params = wide_sql(flt, outcome, chosen)
    if missing == "listwise" and first_pass != "listwise":
        if matrix is not None:
            R, pair_n, n_rows = _matrix_correlations(matrix, "listwise")
        else:
            R, pair_n, n_rows = correlation_matrix(con, "wide", len(chosen), "listwise", params, with_clause)
    values = None
    if bootstrap and matrix is not None:
        values = matrix[~np.isnan(matrix[:, 0])]
    elif bootstrap:
        columns = ", ".join(f"c{i}" for i in range(len(chosen) + 1))
        values = con.execute(f"{with_clause} SELECT {columns} FROM wide WHERE c0 IS NOT NULL", params).df().to_numpy(dtype=np.float64)
    result = _result(R, pair_n, n_rows, outcome, chosen, method, missing, values, bootstrap, seed, progress)
    result.notes[:0] = notes
    return result
