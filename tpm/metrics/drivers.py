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

**Where the correlations are computed.** On stored data (:func:`drivers_for`) DuckDB joins and
filters the long ratings and hands them over as Arrow columns (respondent, touchpoint code, 0–1
score; :func:`rating_arrays`); numpy places them in a respondents × drivers matrix whose pairwise
sums (n, Σw, Σwx, Σwx², Σwxy, Σw² per pair) are float64 Gram products over blocks of rows
(:func:`pair_statistics`). A pivot in SQL (one group per respondent) or 78–820 ``corr()``
aggregates were several times slower at a million respondents. The pairwise sums kept by
:mod:`tpm.compact` (:func:`stored_pair_statistics`) and the bootstrap's resamples
(:func:`resample_correlations`) become correlations by the same formula (:func:`correlations_from_sums`).

**Missing data.** ``listwise`` uses respondents who answered the outcome and every driver;
``pairwise`` (the default in the UI) uses every available pair, repairs a matrix that is not
positive definite (eigenvalues clipped, unit diagonal restored) and reports the smallest
pairwise base (over every pair, drivers among themselves included). Touchpoint surveys are sparse,
so listwise deletion can leave few respondents; with n ≤ drivers + 1 it is refused (the
regression would fit noise perfectly). ``r2_adj`` = 1 − (1 − R²)(n − 1)/(n − p − 1) is reported
beside R².

**Bootstrap**: respondents are resampled with replacement (seeded); percentile 95 % CIs of
the shares read at rank (B + 1)·α (Davison & Hinkley 1997), which cover the population shares
93–97 % of the time in a simulation; BCa was measured and covered less (:func:`_bootstrap`).
**Minimum base**: n ≥ max(:data:`~tpm.metrics.rules.MIN_TEST`, 10 × drivers), else a warning.

**Outcome columns.** An imported column of role *outcome* (churn, cancellation, repurchase …;
:func:`outcome_columns`) is stored with the segments; as the outcome it is read per respondent
on the respondent path (yes = 1, no = 0, numbers as written: :func:`tpm.ingest.detect.outcome_value`
with the dataset's mapping). With a 0/1 outcome the correlations with it are point-biserial and R²
is that of the linear probability model; Shapley values and relative weights divide it as above.

**Weights.** In a weighted view the correlations are weighted Pearson correlations,
r = (Σw·Σwxy − Σwx·Σwy) / √((Σw·Σwx² − (Σwx)²)(Σw·Σwy² − (Σwy)²)) over the respondents present
for the pair (= ``numpy.cov(…, aweights=w)`` scaled to a correlation), computed from weighted
Gram matrices of the respondents × drivers matrix (:func:`pair_statistics` with ``weights``);
Shapley values and relative weights then follow from that matrix unchanged. Bootstrap
resamples respondents together with their weights. ``n`` stays unweighted (base rules);
``n_eff`` is the Kish effective n of the same base.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from tpm.compact import PAIR_OUTCOMES
from tpm.i18n import Message
from tpm.ingest.detect import outcome_value
from tpm.metrics.filters import row_key
from tpm.metrics.rules import MIN_TEST

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
    weighted: bool = False
    n_eff: float = math.nan  #: Kish effective n of the base ``n`` (= n unweighted)
    r2_adj: float = math.nan  #: adjusted R² = 1 − (1 − R²)(n − 1)/(n − p − 1), with n the base above


# --- correlations ---------------------------------------------------------------------------


#: above this many values the Gram products run in float32 (2 × faster; after centring, in blocks
#: summed in float64, the correlations stay within 1e-7), below in float64
SINGLE_FROM = 5_000_000


def pair_statistics(X: np.ndarray, weights: np.ndarray | None = None,
                    rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise-complete (weighted) Pearson correlations of the columns of X (NaN = missing), the
    unweighted pair counts and the Kish effective n (Σw)²/Σw² of each pair's respondents; over
    the ``rows`` (a boolean mask) only, when given.

    Per pair of columns (i, j) over the rows where both are present: n, Σw, Σw·xᵢ, Σw·xᵢ², Σw·xᵢxⱼ
    (and Σw²), as Gram products M'WM, X'WM, X²'WM, X'WX of the centred values X (0 where
    missing) and the presence mask M, over blocks of rows (:data:`tpm.gram.BLAS_ONE_THREAD`) summed in
    float64 (the products in float32 above :data:`SINGLE_FROM` values; the columns are centred
    first: numerically stable sums). Then
    r = (Σw·Σwxy − Σwx·Σwy) / √((Σw·Σwx² − (Σwx)²)(Σw·Σwy² − (Σwy)²)).
    """
    from tpm.gram import BLAS_ONE_THREAD, gram_sums

    dtype = np.float32 if X.size > SINGLE_FROM or X.dtype == np.float32 else np.float64
    step = max(64, BLAS_ONE_THREAD // max(X.shape[1] ** 2, 1) - 1)
    head = X[:max(step, 10_000)] if rows is None else X[:max(step, 10_000)][rows[:max(step, 10_000)]]
    present = (~np.isnan(head)).sum(axis=0)  # any centre near the mean will do: the first rows' (0 for a column without values)
    centre = np.where(present > 0, np.nansum(head, axis=0) / np.maximum(present, 1), 0.0)
    counts, n, sw2, sx, sxx, sxy = gram_sums(X, weights, rows, centre, dtype, step)
    return correlations_from_sums(counts, n, None if weights is None else sw2, sx, sxx, sxy)


def correlations_from_sums(counts, n, sw2, sx, sxx, sxy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(R, pair counts, pair n_eff) from the pairwise sums of :func:`pair_statistics` (or of the
    key-driver sums of :mod:`tpm.compact`): per pair (i, j) the respondents with both ``counts``,
    their Σw ``n`` and Σw² ``sw2`` (None: unweighted, n_eff = the counts), and Σw·xᵢ ``sx``, Σw·xᵢ²
    ``sxx``, Σw·xᵢxⱼ ``sxy`` (values centred on any constant per column); also a stack of such
    matrices (B × k × k, :func:`resample_correlations`). The one home of the correlation formula."""
    transpose = lambda a: np.swapaxes(a, -1, -2)  # noqa: E731
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = n * sxy - sx * transpose(sx)
        var_i = n * sxx - sx * sx
        R = cov / np.sqrt(var_i * transpose(var_i))
        n_eff = counts.copy() if sw2 is None else n**2 / sw2
    k = R.shape[-1]
    R[..., np.arange(k), np.arange(k)] = 1.0
    return R, np.rint(counts).astype(np.int64), n_eff


def stored_pair_statistics(con, flt, outcome: str, weighted: bool):
    """(touchpoint names, R, pair counts, pair n_eff) of the outcome and every touchpoint (index 0:
    the outcome; pairwise-complete, over the respondents who answered it) from the key-driver
    sums kept by :mod:`tpm.compact`, summed over the segment profiles the filter lets through —
    or None where they are not kept (another outcome, a dataset without them, ``compact=False``)."""
    if not getattr(flt, "compact", False) or outcome not in PAIR_OUTCOMES:
        return None
    where, params = flt.datasets_sql("d.id")
    lacking = con.execute(f"""SELECT count(*) FROM datasets d LEFT JOIN pair_sets p ON p.dataset_id = d.id AND p.outcome = ?
                              WHERE {where} AND NOT coalesce(p.built, false)""", [outcome, *params]).fetchone()[0]
    if lacking:
        return None
    where, params = flt.datasets_sql("p.dataset_id")
    segments, segment_params = flt.segments_sql(row_key("p", "sp"))
    sums = ("sum(n) AS counts, sum(sw), sum(sw2), sum(sx), sum(sxx), sum(sxy)" if weighted else
            "sum(n) AS counts, sum(n) AS n, sum(ux), sum(uxx), sum(uxy)")
    rows = con.execute(f"""SELECT a, b, {sums} FROM profile_pairs p WHERE p.outcome = ? AND {where}{segments}
                           GROUP BY a, b""", [outcome, *params, *segment_params]).fetchnumpy()
    names = sorted(set(rows["b"].tolist()) - {""})
    index = {name: i for i, name in enumerate(["", *names])}
    a = np.array([index[v] for v in rows["a"].tolist()], dtype=np.int64)
    b = np.array([index[v] for v in rows["b"].tolist()], dtype=np.int64)
    matrices = []
    for column in list(rows)[2:]:
        matrix = np.zeros((len(index), len(index)))
        matrix[a, b] = rows[column]
        matrices.append(matrix)
    if not weighted:
        matrices.insert(2, None)
    return (names, *correlations_from_sums(*matrices))


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


def _check(method: str, missing: str, drivers: list[str]) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    if missing not in MISSING:
        raise ValueError(f"missing must be one of {MISSING}")
    if len(drivers) < 1:
        raise ValueError("at least one driver is needed")
    return missing


def _result(R, pair_n, n_rows, outcome, drivers, method, missing, values, bootstrap, seed, weights=None,
            progress=None) -> DriverResult:
    notes, warnings = [], []
    p = len(drivers)
    used = method
    if method == "shapley" and p > MAX_SHAPLEY:
        used = "relative_weights"
        notes.append(Message("note_fallback", p=p, max=MAX_SHAPLEY))
    if missing == "listwise" and n_rows <= p + 1:  # a regression on p drivers needs n > p + 1 (else R² = 1 on noise)
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
        n = int(pair_n[np.triu_indices(p + 1, 1)].min())  # the smallest pair base (README), drivers among themselves too
        driver_n = pair_n[0, 1:]
    else:
        n = n_rows
        driver_n = np.full(p, n_rows)
    base = max(MIN_TEST, 10 * p)
    if n < base:
        warnings.append(Message("warn_base", n=n, p=p, base=base))
    raw, beta = importance(R, used)
    r2 = float(raw.sum())
    r2_adj = 1 - (1 - r2) * (n - 1) / (n - p - 1) if n > p + 1 else math.nan
    table = pd.DataFrame({
        "driver": drivers,
        "raw": raw,
        "share": 100 * raw / r2 if r2 > 0 else np.nan,
        "sign": np.sign(beta).astype(int),
        "n": driver_n.astype(int),
        "n_eff": driver_n.astype(float),  # Kish n_eff of the same base (drivers_for sets it when weighted)
    })
    if bootstrap:
        low, high = _bootstrap(values, used, missing, bootstrap, seed, progress, weights)
        table["ci_low"], table["ci_high"] = low, high
    table = table.sort_values("share", ascending=False, ignore_index=True)
    return DriverResult(r2=r2, n=n, table=table, method=used, missing=missing, outcome=outcome, notes=notes, warnings=warnings,
                        n_eff=float(n), r2_adj=r2_adj)


def _bootstrap(values: np.ndarray, method: str, missing: str, times: int, seed: int,
               progress=None, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Percentile 95 % CIs of the shares over ``times`` resamples of respondents (with their weights),
    the quantiles read at rank (B + 1)·α (:func:`bootstrap_quantile`; choose B = 999 so it is the 25th order statistic).

    A resample is a vector of multiplicities, so its pairwise correlations are the weighted ones
    with weights counts·w (:func:`resample_correlations`: all resamples in a few BLAS products,
    then batched Shapley/relative weights) — 500 resamples of 200 respondents × 3 drivers take
    ~20 ms instead of ~0.4 s. ``progress(done_share)`` (0…1) is called once per resample, as each chunk is done.

    Measured coverage of the population shares (``benchmarks/bootstrap_coverage.py``: 3 correlated
    drivers, 2 000 samples per row, Monte Carlo SE ±0.5 points; per driver):

    ======================  ======================  ======================
    B resamples, rule       n = 150                 n = 300
    ======================  ======================  ======================
    200, linear (before)    94.0 / 93.5 / 92.7 %    94.0 / 93.7 / 93.1 %
    200, (B + 1)·α          94.9 / 94.4 / 93.7 %    94.8 / 94.6 / 94.5 %
    200, BCa (jackknife)    93.6 / 93.5 / 92.5 %    93.8 / 93.9 / 94.1 %
    999, (B + 1)·α (page)   94.2 / 94.7 / 94.5 %    95.2 / 95.2 / 95.5 %
    999, BCa (jackknife)    93.5 / 93.4 / 93.0 %    94.7 / 94.7 / 95.2 %
    ======================  ======================  ======================

    The shortfall of the old intervals was the quantile rule (numpy's default reads the 2.5 %
    quantile of 200 replicates inside the tail), not skewness: BCa (:func:`bca_interval`, full or
    grouped jackknife) covers *less* here, and so does BC (a = 0): the bias correction ẑ₀ moves the
    intervals away from the population shares. So the intervals stay percentile ones with the
    (B + 1)·α rule, and the page draws 999 resamples (25th order statistic; 10–20 s on the sample data).
    """
    return tuple(bootstrap_quantile(bootstrap_shares(values, method, missing, times, seed, progress, weights), [0.025, 0.975]))


def bootstrap_shares(values: np.ndarray, method: str, missing: str, times: int, seed: int,
                     progress=None, weights: np.ndarray | None = None) -> np.ndarray:
    """The shares (%) of ``times`` seeded resamples of respondents (rows B × drivers; resamples with an
    undefined correlation left out) — the replicates behind :func:`_bootstrap`."""
    rng = np.random.default_rng(seed)
    keep = ~np.isnan(values[:, 0])
    if missing == "listwise":
        keep &= ~np.isnan(values).any(axis=1)
    values = values[keep]
    weights = None if weights is None else np.asarray(weights, dtype=np.float64)[keep]
    n = len(values)
    chunk = max(1, min(times, 2_000_000 // max(n, 1)))
    parts = []
    for start in range(0, times, chunk):
        size = min(chunk, times - start)
        counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(size)])
        parts.append(resampled_shares(values, counts.astype(np.float64), method, weights))
        for i in range(start, start + size):
            if progress is not None:
                progress(i / times)
    boot = np.concatenate(parts)
    return boot[np.isfinite(boot).all(axis=1)]


def grouped_jackknife(n: int, groups: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Multiplicities (G × n) of a delete-a-group jackknife: respondents are dealt at random into
    G = min(``groups``, n) groups of (nearly) equal size and row g leaves out group g (0) and keeps
    everyone else (1). With G = n this is the ordinary leave-one-out jackknife."""
    groups = max(2, min(groups, n))
    order = (rng or np.random.default_rng(0)).permutation(n)
    member = np.empty(n, dtype=np.int64)
    member[order] = np.arange(n) % groups
    return (member[None, :] != np.arange(groups)[:, None]).astype(np.float64)


def acceleration(jack: np.ndarray) -> np.ndarray:
    """BCa acceleration per column from jackknife replicates θ₍ᵢ₎ (rows; Efron & Tibshirani 1993, eq. 14.15)::

        a = Σᵢ (θ̄₍·₎ − θ₍ᵢ₎)³ / (6 · [Σᵢ (θ̄₍·₎ − θ₍ᵢ₎)²]^{3/2}),

    the same formula for a grouped jackknife (θ₍ᵢ₎ with group i left out). 0 where the replicates do not vary."""
    jack = jack[np.isfinite(jack).all(axis=1)]
    d = jack.mean(axis=0) - jack
    with np.errstate(invalid="ignore", divide="ignore"):
        a = (d**3).sum(axis=0) / (6 * ((d**2).sum(axis=0)) ** 1.5)
    return np.nan_to_num(a)


def bootstrap_quantile(boot: np.ndarray, q, rule: str = "weibull") -> np.ndarray:
    """The ``q`` quantile of each column of bootstrap replicates (NaN-free, B rows), read at rank
    (B + 1)·q — the order statistic θ*₍₍B₊₁₎q₎ of Davison & Hinkley (1997, §5.2; numpy's "weibull"
    method). The usual linear rule reads rank (B − 1)·q + 1, inside the tails: with B = 200 a
    "95 %" percentile interval then spans only ~94 % of the bootstrap distribution. (``rule``: any
    ``numpy.quantile`` method, e.g. "linear" as SciPy reads them.)"""
    return np.quantile(boot, q, axis=0, method=rule)


def bca_interval(boot: np.ndarray, theta: np.ndarray, accel: np.ndarray, confidence: float = 0.95,
                 rule: str = "weibull") -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected and accelerated (BCa) bootstrap interval per column (Efron & Tibshirani 1993,
    ch. 14.3; as ``scipy.stats.bootstrap(method="BCa")``) from replicates ``boot`` (B × p), the
    estimate ``theta`` (p) and the acceleration ``accel`` (p; 0 gives the bias-corrected "BC" interval)::

        ẑ₀ = Φ⁻¹( #{θ*_b < θ̂} / B )          (ties count one half),
        α₁ = Φ( ẑ₀ + (ẑ₀ + z_{α/2}) / (1 − a (ẑ₀ + z_{α/2})) ),   α₂ likewise with z_{1−α/2},

    interval = the α₁ and α₂ quantiles of the replicates (:func:`bootstrap_quantile`)."""
    from scipy.stats import norm

    B = len(boot)
    z0 = norm.ppf(((boot < theta).sum(axis=0) + 0.5 * (boot == theta).sum(axis=0)) / B)
    ends = []
    for z in norm.ppf([(1 - confidence) / 2, (1 + confidence) / 2]):
        level = norm.cdf(z0 + (z0 + z) / (1 - accel * (z0 + z)))
        ends.append(np.array([bootstrap_quantile(boot[:, j], q, rule) if np.isfinite(q) else np.nan
                              for j, q in enumerate(level)]))
    return ends[0], ends[1]


def resample_correlations(values: np.ndarray, counts: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Pairwise-complete correlation matrices (B × k × k), one per row of ``counts`` (how often each
    respondent is in that resample; 0/1 for a jackknife), weighted by counts·w: the same formula as
    :func:`pair_statistics` (:func:`correlations_from_sums`), with the Gram sums of all resamples as matrix products over row chunks."""
    k = values.shape[1]
    Xc = values - np.nan_to_num(np.nanmean(values, axis=0))
    M = (~np.isnan(Xc)).astype(np.float64)
    X0 = np.nan_to_num(Xc)
    W = counts if weights is None else counts * weights[None, :]
    sums = np.zeros((4, len(W), k * k))
    step = max(1000, 4_000_000 // (k * k))

    def outer(a, b):
        return (a[:, :, None] * b[:, None, :]).reshape(len(a), k * k)

    for start in range(0, len(values), step):
        rows = slice(start, start + step)
        m, x = M[rows], X0[rows]
        for i, (a, b) in enumerate(((m, m), (x, m), (x * x, m), (x, x))):
            sums[i] += W[:, rows] @ outer(a, b)
    n, sx, sxx, sxy = (part.reshape(-1, k, k) for part in sums)
    return correlations_from_sums(n, n, None, sx, sxx, sxy)[0]


def resampled_shares(values: np.ndarray, counts: np.ndarray, method: str, weights: np.ndarray | None = None) -> np.ndarray:
    """Driver shares (%) for each resample (rows of ``counts``); NaN rows where a correlation is undefined."""
    R = resample_correlations(values, counts, weights)
    p = values.shape[1] - 1
    shares = np.full((len(R), p), np.nan)
    ok = np.flatnonzero(~np.isnan(R).any(axis=(1, 2)))
    per_matrix = max(1, max(math.comb(p, k) * k * k for k in range(1, p + 1))) if method == "shapley" else p * p
    step = max(1, 4_000_000 // per_matrix)
    for start in range(0, len(ok), step):
        rows = ok[start:start + step]
        raw = importance_batch(nearest_correlation_batch(R[rows]), method)
        shares[rows] = 100 * raw / raw.sum(axis=1, keepdims=True)
    return shares


def nearest_correlation_batch(R: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    """:func:`nearest_correlation` for a stack of matrices (B × k × k)."""
    values, vectors = np.linalg.eigh(R)
    fixed = vectors @ (np.maximum(values, floor)[:, :, None] * vectors.transpose(0, 2, 1))
    d = np.sqrt(np.einsum("bii->bi", fixed))
    fixed = fixed / (d[:, :, None] * d[:, None, :])
    k = R.shape[1]
    fixed[:, np.arange(k), np.arange(k)] = 1.0
    return np.where((values.min(axis=1) > floor)[:, None, None], R, fixed)


def importance_batch(R: np.ndarray, method: str) -> np.ndarray:
    """Raw importances (B × p) of a stack of correlation matrices, outcome at index 0: the same
    formulas as :func:`shapley` and :func:`relative_weights`, batched."""
    Rxx, rxy = R[:, 1:, 1:], R[:, 0, 1:]
    B, p = rxy.shape
    if method != "shapley":
        values, vectors = np.linalg.eigh(Rxx)
        L = vectors @ (np.sqrt(np.maximum(values, 0))[:, :, None] * vectors.transpose(0, 2, 1))
        beta = _solve(L, rxy)
        return np.einsum("bjk,bk->bj", L**2, beta**2)
    r2 = np.zeros((B, 1 << p))
    for k in range(1, p + 1):
        subsets = np.array(list(combinations(range(p), k)), dtype=np.int64)
        A = Rxx[:, subsets[:, :, None], subsets[:, None, :]]
        b = rxy[:, subsets]
        r2[:, (1 << subsets).sum(axis=1)] = (b * _solve(A, b)).sum(axis=2)
    masks = np.arange(1 << p)
    sizes = np.array([bin(m).count("1") for m in masks])
    weights = np.array([math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)])
    raw = np.empty((B, p))
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        raw[:, j] = (weights[sizes[without]] * (r2[:, without | (1 << j)] - r2[:, without])).sum(axis=1)
    return raw


# --- on the stored survey data --------------------------------------------------------------

#: outcome name for the 0–10 recommend question
NPS_OUTCOME = "nps"
#: outcomes stored per respondent (not among the touchpoint ratings), as SQL over ``resp``
RESPONDENT_OUTCOMES = PAIR_OUTCOMES  # tpm.compact keeps the pair sums of the same two


def default_outcome(has_nps: bool, has_overall: bool, outcome_columns: list[str] = ()) -> str | None:
    """The outcome a driver view opens on: the one the study has — NPS if anyone answered it, else the
    overall-satisfaction question (role *overall*), else the first outcome column (role *outcome*);
    None when the study has none of them (the pages and the report then say so)."""
    if has_nps:
        return NPS_OUTCOME
    if has_overall:
        return "overall"
    return next(iter(outcome_columns), None)


@dataclass
class RatingArrays:
    """The filtered respondents and their ratings, fetched once as Arrow (no pivot in SQL).

    Respondent ``i`` of dataset ``d`` sits in row ``offset[d] + i`` of a matrix ordered by dataset
    and respondent (rows of respondents outside the filter stay empty); ``weight``/``own`` are
    indexed by that row (``own``: the respondent's own outcome, NaN if not answered). The long
    ratings of the filtered respondents come in chunks (:meth:`chunks`: row, touchpoint code —
    an index into ``names`` — and the 0–1 score, as zero-copy numpy views; plus the scale,
    scale_min · 2¹⁶ + scale_max, when fetched). ``counts``: ratings per touchpoint."""

    size: int
    weight: np.ndarray
    own: np.ndarray
    names: list[str]
    counts: np.ndarray
    long: object  # pyarrow.Table: [dataset_id,] resp, code, x [, scale]
    low: int = 0
    offset: np.ndarray | None = None
    own_outcome: bool = False  #: ``own`` holds the outcome (the NPS, overall or an outcome column), not a touchpoint

    def chunks(self, scale: bool = False):
        """(row, code, x[, scale]) per Arrow chunk, as numpy views."""
        several = "dataset_id" in self.long.column_names
        for batch in self.long.to_batches():
            get = lambda name: batch.column(name).to_numpy(zero_copy_only=False)  # noqa: E731, B023 (used in this pass)
            row = get("resp")
            if several:
                row = self.offset[get("dataset_id") - self.low] + row
            yield (row, get("code"), get("x")) + ((get("scale"),) if scale else ())

    @property
    def has_scales(self) -> bool:
        return "scale" in self.long.column_names


def rating_arrays(con, flt, outcome: str, scales: bool = False) -> RatingArrays:
    """Three queries: the touchpoint names in the filter's datasets, the filtered respondents
    (weight, own outcome) and their long ratings — joined, filtered and numbered by DuckDB, moved
    as Arrow columns and placed by respondent in numpy (a pivot in SQL, one group per respondent,
    and ``fetchnumpy`` of the long rows were each several times slower)."""
    where, where_params = flt.datasets_sql("dataset_id")
    # execute() first: it closes a result left unfinished on this connection, which con.sql() refuses
    names = sorted(n for (n,) in con.execute(f"SELECT DISTINCT touchpoint FROM ratings WHERE {where}",
                                            where_params).fetchall())
    cte, params = flt.respondents_cte()
    y = RESPONDENT_OUTCOMES.get(outcome, "NULL")
    resp = con.sql(f"WITH {cte} SELECT dataset_id, resp, w, coalesce(({y})::DOUBLE, 'NaN'::DOUBLE) AS y FROM resp",
                   params=params).to_arrow_table()
    ds, number = _column(resp, "dataset_id"), _column(resp, "resp")
    low, offset, size = _offsets(ds, number)
    weight, own = np.ones(size), np.full(size, np.nan)
    own_rows = number if len(offset) == 1 else offset[ds - low] + number
    weight[own_rows] = _column(resp, "w")
    own[own_rows] = _column(resp, "y")
    answers = {} if outcome in RESPONDENT_OUTCOMES else outcome_columns(con, flt)
    if outcome in answers:  # an outcome column: its answers (stored with the segments) as numbers
        rows = con.execute(f"""WITH {cte} SELECT r.dataset_id, r.resp, s.value FROM resp r
                               JOIN segments s ON s.dataset_id = r.dataset_id AND s.resp = r.resp
                               WHERE s.segment = ?""", params + [outcome]).fetchnumpy()
        labels = answers[outcome]
        read = {(d, v): outcome_value(v, labels.get(d)) for d, v in set(zip(rows["dataset_id"].tolist(), rows["value"].tolist()))}
        values = np.array([read[(d, v)] for d, v in zip(rows["dataset_id"].tolist(), rows["value"].tolist())], dtype=np.float64)
        ds_o, number_o = rows["dataset_id"].astype(np.int64), rows["resp"].astype(np.int64)
        own[number_o if len(offset) == 1 else offset[ds_o - low] + number_o] = values
    several = len(offset) > 1
    single = size * (len(names) + 1) > SINGLE_FROM  # the matrix (and its Gram products) in float32: fetch x so
    columns = (f"{'t.dataset_id, ' if several else ''}t.resp, v.code, "
               f"((t.score - t.scale_min) / (t.scale_max - t.scale_min)){'::FLOAT' if single else ''} AS x"
               + (", (t.scale_min::INTEGER << 16) + t.scale_max AS scale" if scales and several else ""))
    codes = "v AS (SELECT unnest(?::VARCHAR[]) AS touchpoint, unnest(range(?::INTEGER))::USMALLINT AS code)"
    if flt.segments:  # the filtered respondents' ratings: a join
        sql = (f"WITH {cte}, {codes} SELECT {columns} FROM ratings t JOIN resp r ON {row_key('t')} = r.rk "
               "JOIN v USING (touchpoint)")
        params = params + [names, len(names)]
    else:  # every respondent of the datasets passes: their ratings, no join
        sql = f"WITH {codes} SELECT {columns} FROM ratings t JOIN v USING (touchpoint) WHERE {where}"
        params = [names, len(names)] + where_params
    long = con.sql(sql, params=params).to_arrow_table()
    counts = np.zeros(len(names), dtype=np.int64)
    for batch in long.to_batches():
        counts += np.bincount(batch.column("code").to_numpy(), minlength=len(names))
    return RatingArrays(size, weight, own, names, counts, long, low, offset,
                        own_outcome=outcome in RESPONDENT_OUTCOMES or outcome in answers)


def outcome_columns(con, flt) -> dict[str, dict[int, dict | None]]:
    """The outcome columns (role *outcome*) of the filter's datasets: name → {dataset id: the
    mapping's labels of its answers (None: yes/no and numbers as written)}."""
    where, params = flt.datasets_sql("id")
    out: dict[str, dict[int, dict | None]] = {}
    for dataset_id, mapping in con.execute(f"SELECT id, mapping FROM datasets WHERE {where}", params).fetchall():
        for spec in json.loads(mapping):
            if spec.get("role") == "outcome":
                name = (spec.get("touchpoint") or spec["column"]).strip()
                out.setdefault(name, {})[int(dataset_id)] = spec.get("labels")
    return out


def _column(table, name: str) -> np.ndarray:
    """A column of an Arrow table as one numpy array (ChunkedArray.to_numpy is ~20× slower)."""
    return table.column(name).combine_chunks().to_numpy(zero_copy_only=False)


def _offsets(ds: np.ndarray, number: np.ndarray) -> tuple[int, np.ndarray, int]:
    """(smallest dataset id, row offset of each dataset id from it on, number of rows)."""
    if not len(ds):
        return 0, np.zeros(1, dtype=np.int64), 0
    low, high = int(ds.min()), int(ds.max())
    if low == high:
        return low, np.zeros(1, dtype=np.int64), int(number.max()) + 1
    sizes = np.zeros(high - low + 1, dtype=np.int64)
    np.maximum.at(sizes, ds - low, number.astype(np.int64) + 1)
    return low, np.concatenate([[0], np.cumsum(sizes)[:-1]]), int(sizes.sum())


def default_drivers(con, flt, outcome: str, min_n: int = MIN_TEST, data: RatingArrays | None = None,
                    stats: pd.DataFrame | None = None) -> list[str]:
    """Every touchpoint in the filtered data with at least ``min_n`` ratings on one of its scales
    (the ``n`` of :func:`tpm.metrics.satisfaction.touchpoint_stats`, or ``stats`` when given), except the outcome."""
    if stats is not None:
        names = stats.loc[stats["n"] >= min_n, "touchpoint"]
    else:
        data = data if data is not None else rating_arrays(con, flt, outcome, scales=True)
        names = [data.names[i] for i in _enough_on_one_scale(data, min_n)]
    return sorted(n for n in set(names) if n != outcome)


def _enough_on_one_scale(data: RatingArrays, min_n: int) -> list[int]:
    """Touchpoint codes with at least ``min_n`` ratings on one scale. A touchpoint has one scale
    within a dataset, so the counts per touchpoint decide, except for a touchpoint asked on
    several scales across datasets: its ratings are counted per scale."""
    enough = set(np.flatnonzero(data.counts >= min_n).tolist())
    if not data.has_scales:
        return sorted(enough)
    seen = np.full(len(data.names), -1, dtype=np.int64)
    several: set[int] = set()
    for _, code, _, scale in data.chunks(scale=True):
        new = seen[code] < 0
        seen[code[new]] = scale[new]  # the first scale met of each touchpoint; a rating on another marks it
        several.update(np.unique(code[scale != seen[code]]).tolist())
    for code in several:
        per_scale: dict[int, int] = {}
        for _, codes, _, scale in data.chunks(scale=True):
            values, n = np.unique(scale[codes == code], return_counts=True)
            for v, c in zip(values.tolist(), n.tolist()):
                per_scale[v] = per_scale.get(v, 0) + c
        (enough.add if max(per_scale.values()) >= min_n else enough.discard)(code)
    return sorted(enough)


def wide_matrix(data: RatingArrays, outcome: str, drivers: list[str]) -> np.ndarray:
    """Respondents (rows as in :class:`RatingArrays`) × [outcome, drivers…] as floats (NaN = not answered),
    in the type the scores were fetched in (float32 above :data:`SINGLE_FROM` respondents × touchpoints)."""
    X = np.full((data.size, len(drivers) + 1), np.nan, dtype=data.long.schema.field("x").type.to_pandas_dtype())
    own = outcome in RESPONDENT_OUTCOMES or data.own_outcome
    if own:
        X[:, 0] = data.own
    touchpoint_outcome = [] if own else [outcome]
    for first, names in ((0, touchpoint_outcome), (1, list(drivers))):
        if not names:
            continue
        columns = {name: i for i, name in enumerate(names, start=first)}
        where = np.array([columns.get(name, -1) for name in data.names] + [-1], dtype=np.int64)
        for row, code, x in data.chunks():
            column = where[code]
            used = column >= 0
            if used.all():
                X[row, column] = x
            else:
                X[row[used], column[used]] = x[used]
    return X


#: every correlation between two drivers (and with the outcome) needs this many respondents
MIN_PAIR_BASE = MIN_TEST


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


def _matrix_correlations(X: np.ndarray, missing: str, weights: np.ndarray | None = None):
    """(R, pair_n, n_rows, pair n_eff) of an in-memory matrix (outcome in column 0): the rows with
    the outcome (``listwise``: and every driver), their pairwise correlations and counts."""
    keep = ~np.isnan(X[:, 0])
    if missing == "listwise":
        keep &= ~np.isnan(X).any(axis=1)
    R, pair_n, n_eff = pair_statistics(X, weights, keep)
    return R, pair_n, int(keep.sum()), n_eff


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
    stats: pd.DataFrame | None = None,
) -> DriverResult:
    """Key drivers on the stored data of the respondents that pass ``flt``.

    ``outcome``: "nps" (the 0–10 recommend question), "overall" (the overall-satisfaction
    question, role *overall*), an outcome column's name (role *outcome*, e.g. churn: yes = 1,
    no = 0; :func:`outcome_columns`) or a touchpoint name (e.g. overall satisfaction). ``drivers``: touchpoint names; by default every touchpoint with enough
    ratings, pruned by :func:`prune_sparse` (``stats``: the :func:`tpm.metrics.satisfaction.touchpoint_stats`
    of the same filter, when the caller has them, saves counting them). DuckDB joins and filters the ratings
    (:func:`rating_arrays`); the correlations are Gram products of the respondents × drivers matrix.
    """
    from tpm.metrics.weighted import has_weights

    _check(method, missing, drivers if drivers is not None else [outcome])
    notes = []
    weighted = has_weights(con, flt)
    first_pass = "pairwise" if drivers is None else missing  # pruning needs the pairwise bases
    stored = _from_stored_sums(con, flt, outcome, drivers, stats, weighted) if missing == "pairwise" and not bootstrap \
        else None
    if stored is not None:  # the pairwise sums kept by tpm.compact: no respondent is read
        chosen, R, pair_n, n_rows, n_eff = stored
        matrix = weights = None
    else:
        data = rating_arrays(con, flt, outcome, scales=drivers is None and stats is None)
        chosen = list(drivers) if drivers is not None else default_drivers(con, flt, outcome, data=data, stats=stats)
        _check(method, missing, chosen)
        matrix = wide_matrix(data, outcome, chosen)
        weights = data.weight if weighted else None
        R, pair_n, n_rows, n_eff = _matrix_correlations(matrix, first_pass, weights)
    if drivers is None:
        keep = prune_sparse(chosen, pair_n)
        dropped = [chosen[i] for i in range(len(chosen)) if i not in keep]
        if dropped:
            notes.append(Message("note_left_out", names=", ".join(dropped)))
        idx = [0] + [k + 1 for k in keep]
        chosen, R, pair_n, n_eff = [chosen[k] for k in keep], R[np.ix_(idx, idx)], pair_n[np.ix_(idx, idx)], n_eff[np.ix_(idx, idx)]
        if not chosen:
            raise ValueError(Message("err_no_drivers"))
        matrix = None if matrix is None else matrix[:, idx]
    if missing == "listwise" and first_pass != "listwise":
        R, pair_n, n_rows, n_eff = _matrix_correlations(matrix, "listwise", weights)
    values, value_weights = None, None
    if bootstrap:
        answered = ~np.isnan(matrix[:, 0])
        values = matrix[answered]
        value_weights = None if weights is None else weights[answered]
    result = _result(R, pair_n, n_rows, outcome, chosen, method, missing, values, bootstrap, seed, value_weights, progress)
    result.notes[:0] = notes
    result.weighted = weighted
    upper = np.triu_indices(len(chosen) + 1, 1)
    smallest = int(np.argmin(pair_n[upper]))
    result.n_eff = float(n_eff[0, 0] if missing == "listwise" else n_eff[upper[0][smallest], upper[1][smallest]])
    driver_n_eff = dict(zip(chosen, np.full(len(chosen), n_eff[0, 0]) if missing == "listwise" else n_eff[0, 1:]))
    result.table["n_eff"] = result.table["driver"].map(driver_n_eff).astype(float)
    return result


def _from_stored_sums(con, flt, outcome: str, drivers: list[str] | None, stats: pd.DataFrame | None, weighted: bool):
    """(chosen drivers, R, pair counts, respondents with the outcome, pair n_eff) of a pairwise view
    from the sums of :func:`stored_pair_statistics`; None where they are not kept or a chosen
    driver has no rating in the view (the ratings then decide, as before)."""
    stored = stored_pair_statistics(con, flt, outcome, weighted)
    if stored is None:
        return None
    names, R, pair_n, n_eff = stored
    if drivers is None:
        if stats is None:
            from tpm.metrics.satisfaction import touchpoint_stats

            stats = touchpoint_stats(con, flt)
        chosen = default_drivers(con, flt, outcome, stats=stats)
    else:
        chosen = list(drivers)
    if any(name not in names for name in chosen):
        return None
    _check("shapley", "pairwise", chosen)
    idx = [0] + [names.index(name) + 1 for name in chosen]
    pick = np.ix_(idx, idx)
    return chosen, R[pick], pair_n[pick], int(pair_n[0, 0]), n_eff[pick]
