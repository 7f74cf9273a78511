"""Gram sums: the pairwise sums of the columns of a matrix with missing values, from which the
key-driver correlations are computed (:func:`tpm.metrics.drivers.drivers_for`) — over the stored
ratings, or once per segment profile into the compact tables (:mod:`tpm.compact`, ``profile_pairs``).
numpy only: it sits below both.
"""

from __future__ import annotations

#: OpenBLAS runs a matrix product on several threads above m·n·k = 4 · 65 536 (its
#: GEMM_MULTITHREAD_THRESHOLD); on a busy machine those threads spin and a Gram product of
#: 41 columns took 25 × as long as on one thread. Blocks of rows stay below it.
BLAS_ONE_THREAD = 4 * 65_536


def gram_sums(X, weights=None, rows=None, centre=None, dtype=None, step: int | None = None):
    """Pairwise sums of the columns of X (NaN = missing; over the boolean mask ``rows`` only, when
    given): (counts, n, sw2, sx, sxx, sxy), per pair (i, j) over the rows where both are present:
    the rows, Σw, Σw², Σw·xᵢ, Σw·xᵢ², Σw·xᵢxⱼ of x − ``centre`` — the Gram products M'M, M'WM,
    MW'MW, X'WM, X²'WM, X'WX of the centred values X (0 where missing) and the presence mask M
    (unweighted: n = counts, sw2 None), taken over blocks of ``step`` rows (small enough for
    OpenBLAS to stay on one thread, :data:`BLAS_ONE_THREAD`) in ``dtype`` and summed in float64."""
    import numpy as np

    k = X.shape[1]
    dtype = dtype or np.float64
    step = step or max(64, BLAS_ONE_THREAD // max(k * k, 1) - 1)
    shift = np.zeros(k, dtype=dtype) if centre is None else np.asarray(centre).astype(dtype)
    counts, n, sx, sxx, sxy, sw2 = (np.zeros((k, k)) for _ in range(6))
    for start in range(0, len(X), step):
        block = slice(start, start + step)
        x = X[block] if rows is None else X[block][rows[block]]
        X0 = x.astype(dtype, copy=False) - shift
        missing = np.isnan(X0)
        X0[missing] = 0.0
        M = (~missing).astype(dtype)
        counts += M.T @ M
        if weights is None:
            MW, X0W = M, X0
        else:
            w = (weights[block] if rows is None else weights[block][rows[block]]).astype(dtype)[:, None]
            MW, X0W = M * w, X0 * w
            n += M.T @ MW
            sw2 += MW.T @ MW
        sx += X0.T @ MW      # sx[i, j] = Σ w·x_i over rows where x_j is present too
        sxx += (X0 * X0).T @ MW
        sxy += X0.T @ X0W
    return (counts, counts, None, sx, sxx, sxy) if weights is None else (counts, n, sw2, sx, sxx, sxy)
