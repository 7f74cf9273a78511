"""Coverage of the bootstrap intervals of key-driver shares, measured against planted truth.

A population with a known correlation matrix (3 correlated drivers, outcome y = Xβ + e) has
exact Shapley shares, computed from that matrix (:func:`tpm.metrics.drivers.importance`). Each
repetition draws a sample of n respondents, bootstraps it (the same batched resampling the
Drivers page uses) and checks, per driver and per interval method, whether the 95 % interval
covers the population share. All methods read the same bootstrap replicates:

- ``pct_linear``: the 2.5 / 97.5 % quantiles of the replicates by numpy's default (linear) rule;
- ``percentile``: the same quantiles read at rank (B + 1)·α (Davison & Hinkley 1997, §5.2) — TPM's;
- ``bc``: bias-corrected percentile (BCa with a = 0);
- ``bca``: bias-corrected and accelerated (Efron & Tibshirani 1993, ch. 14), full jackknife;
- ``bca_g``: BCa with a grouped (delete-n/G) jackknife of G groups.

Monte Carlo error of a coverage near 95 % over R repetitions: √(0.95·0.05/R), e.g. 0.49 points at
R = 2 000. Usage: ``python benchmarks/bootstrap_coverage.py [--reps 2000] [--n 150 300] [--resamples 1000]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tpm.metrics.drivers import (acceleration, bca_interval, bootstrap_quantile, grouped_jackknife,  # noqa: E402
                                 importance, resampled_shares)

SIGMA = np.array([[1, .4, .3], [.4, 1, .5], [.3, .5, 1]])
BETA = np.array([.5, .3, .15])
NOISE = 0.9


def population_shares(sigma=SIGMA, beta=BETA, noise=NOISE) -> np.ndarray:
    """Exact Shapley shares (%) of the population correlation matrix of (y, x₁…x_p)."""
    p = len(beta)
    cov = np.zeros((p + 1, p + 1))
    cov[0, 0], cov[0, 1:], cov[1:, 0], cov[1:, 1:] = beta @ sigma @ beta + noise, sigma @ beta, sigma @ beta, sigma
    d = np.sqrt(np.diag(cov))
    raw, _ = importance(cov / np.outer(d, d), "shapley")
    return 100 * raw / raw.sum()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--n", type=int, nargs="+", default=[150, 300])
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    true = population_shares()
    chol = np.linalg.cholesky(SIGMA)
    print(f"population shares: {np.round(true, 3)}")
    for n in args.n:
        rng = np.random.default_rng(args.seed)
        hits = {m: np.zeros(3) for m in ("pct_linear", "percentile", "bc", "bca", "bca_g")}
        start = time.perf_counter()
        for _ in range(args.reps):
            X = rng.normal(size=(n, 3)) @ chol.T
            y = X @ BETA + rng.normal(scale=np.sqrt(NOISE), size=n)
            values = np.column_stack([y, X])
            theta = resampled_shares(values, np.ones((1, n)), "shapley")[0]
            counts = rng.multinomial(n, np.full(n, 1 / n), size=args.resamples).astype(np.float64)
            boot = resampled_shares(values, counts, "shapley")
            boot = boot[np.isfinite(boot).all(axis=1)]
            jack = resampled_shares(values, 1.0 - np.eye(n), "shapley")
            jack_g = resampled_shares(values, grouped_jackknife(n, args.groups, rng), "shapley")
            intervals = {
                "pct_linear": (np.percentile(boot, 2.5, axis=0), np.percentile(boot, 97.5, axis=0)),
                "percentile": tuple(bootstrap_quantile(boot, [0.025, 0.975])),
                "bc": bca_interval(boot, theta, np.zeros(3)),
                "bca": bca_interval(boot, theta, acceleration(jack)),
                "bca_g": bca_interval(boot, theta, acceleration(jack_g)),
            }
            for method, (low, high) in intervals.items():
                hits[method] += (low <= true) & (true <= high)
        took = time.perf_counter() - start
        mc = 100 * np.sqrt(0.95 * 0.05 / args.reps)
        print(f"n = {n}, {args.reps} samples, {args.resamples} resamples ({took:.0f} s; Monte Carlo SE ±{mc:.2f} points):")
        for method, h in hits.items():
            print(f"  {method:<11}" + "  ".join(f"{100 * c:5.1f} %" for c in h / args.reps))


if __name__ == "__main__":
    stats  # noqa: B018  (scipy loaded before timing)
    main()
