"""Coverage of the bootstrap intervals of key-driver shares, measured against planted truth.

A population with a known correlation matrix (3 correlated drivers, outcome y = Xβ + e) has
exact Shapley shares, computed from that matrix (:func:`tpm.metrics.drivers.importance`). Each
repetition draws a sample of n respondents, bootstraps it (the same batched resampling the
Drivers page uses) and checks, per driver and per interval method, whether the 95 % interval
covers the population share. All methods read the same bootstrap replicates
(:func:`tpm.metrics.drivers.bootstrap_shares`, as on the Drivers page):

- ``pct_linear``: the 2.5 / 97.5 % quantiles of the replicates by numpy's default (linear) rule;
- ``percentile``: the same quantiles read at rank (B + 1)·α (Davison & Hinkley 1997, §5.2) — TPM's;
- ``bc``: bias-corrected percentile (BCa with a = 0);
- ``bca``: bias-corrected and accelerated (Efron & Tibshirani 1993, ch. 14), full jackknife;
- ``bca_g``: BCa with a grouped (delete-n/G) jackknife of G groups.

Monte Carlo error of a coverage near 95 % over R repetitions: √(0.95·0.05/R), e.g. 0.49 points at
R = 2 000 (``tests/test_drivers.py`` runs a small version). Usage:
``python benchmarks/bootstrap_coverage.py [--reps 2000] [--n 150 300] [--resamples 999] [--methods percentile bca]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tpm.metrics.drivers import (  # noqa: E402
    acceleration,
    bca_interval,
    bootstrap_quantile,
    bootstrap_shares,
    grouped_jackknife,
    importance,
    resampled_shares,
)

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


METHODS = ("pct_linear", "percentile", "bc", "bca", "bca_g")


def simulate(n: int, reps: int, resamples: int, seed: int = 1, methods=METHODS, groups: int = 50) -> dict[str, np.ndarray]:
    """Coverage (0–1, per driver) of each interval method over ``reps`` samples of ``n`` respondents;
    the replicates of sample r are TPM's own (:func:`bootstrap_shares`, seed r)."""
    true = population_shares()
    chol = np.linalg.cholesky(SIGMA)
    rng = np.random.default_rng(seed)
    hits = {m: np.zeros(len(BETA)) for m in methods}
    for rep in range(reps):
        X = rng.normal(size=(n, len(BETA))) @ chol.T
        y = X @ BETA + rng.normal(scale=np.sqrt(NOISE), size=n)
        values = np.column_stack([y, X])
        boot = bootstrap_shares(values, "shapley", "pairwise", resamples, rep)
        theta = resampled_shares(values, np.ones((1, n)), "shapley")[0]
        for method in methods:
            if method == "pct_linear":
                low, high = np.percentile(boot, 2.5, axis=0), np.percentile(boot, 97.5, axis=0)
            elif method == "percentile":
                low, high = bootstrap_quantile(boot, [0.025, 0.975])
            else:
                jack = {"bc": None, "bca": 1.0 - np.eye(n), "bca_g": grouped_jackknife(n, groups, rng)}[method]
                accel = np.zeros(len(BETA)) if jack is None else acceleration(resampled_shares(values, jack, "shapley"))
                low, high = bca_interval(boot, theta, accel)
            hits[method] += (low <= true) & (true <= high)
    return {m: h / reps for m, h in hits.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--n", type=int, nargs="+", default=[150, 300])
    parser.add_argument("--resamples", type=int, default=999)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    args = parser.parse_args()
    print(f"population shares: {np.round(population_shares(), 3)}")
    for n in args.n:
        start = time.perf_counter()
        coverage = simulate(n, args.reps, args.resamples, args.seed, args.methods, args.groups)
        took = time.perf_counter() - start
        mc = 100 * np.sqrt(0.95 * 0.05 / args.reps)
        print(f"n = {n}, {args.reps} samples, {args.resamples} resamples ({took:.0f} s; Monte Carlo SE ±{mc:.2f} points):")
        for method, c in coverage.items():
            print(f"  {method:<11}" + "  ".join(f"{100 * v:5.1f} %" for v in c))


if __name__ == "__main__":
    main()
