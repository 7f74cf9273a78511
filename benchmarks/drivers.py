"""Key-driver speed on 1 000 000 respondents stored in DuckDB, against naive regressions.

Builds (in a temporary DuckDB file, through TPM's own store) one dataset of 1 000 000
respondents rating 15 touchpoints (dense, so listwise = all rows) and one with 40
touchpoints rated by 40 % each, with a planted structure. Then times, in one run:

- TPM exact Shapley, 15 drivers, end to end: ratings joined and filtered by DuckDB, pairwise sums
  as Gram products in numpy, then all 2^15 = 32 768 subset regressions from the matrix (``drivers_for``);
- TPM relative weights, 40 drivers, end to end, pairwise (and, as its floor, a DuckDB group-by
  of the same ratings);
- the naive way: one numpy least-squares fit per subset on the same 1 000 000 rows
  (``numpy.linalg.lstsq``); timed on a sample of subsets and extrapolated to all 32 768,
  which would take hours to run in full.

Targets (issue #3): Shapley 15 drivers on 1M < 2 s; relative weights 40 drivers < 1 s.
Usage: ``python benchmarks/drivers.py [--respondents N]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import timed  # noqa: E402  (benchmarks/timing.py)

from tpm import store  # noqa: E402
from tpm.ingest import ImportResult  # noqa: E402
from tpm.ingest.detect import ColumnSpec  # noqa: E402
from tpm.ingest.normalise import Canonical  # noqa: E402
from tpm.metrics import Filter  # noqa: E402
from tpm.metrics.drivers import drivers_for  # noqa: E402


def synthetic(n: int, p: int, usage: float, seed: int) -> tuple[Canonical, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    g = rng.normal(size=n)
    latent = 0.8 * g[:, None] + rng.normal(size=(n, p))
    weights = np.zeros(p)
    weights[[2, 5, 9]] = [1.0, 0.7, 0.4]
    nps = np.clip(np.round(6.5 + latent @ weights + 0.3 * g + rng.normal(size=n)), 0, 10)
    scores = np.clip(np.round(6.5 + 1.5 * latent), 1, 10)
    used = rng.random((n, p)) < usage
    resp, tp = np.nonzero(used)
    names = [f"Kontaktpunkt {i + 1:02d}" for i in range(p)]
    ratings = pd.DataFrame({"resp": resp.astype(np.int32), "touchpoint": pd.Categorical.from_codes(tp, names),
                            "score": scores[resp, tp], "scale_min": np.int16(1), "scale_max": np.int16(10)})
    respondents = pd.DataFrame({"resp": np.arange(n, dtype=np.int32), "respondent_id": np.arange(n).astype(str),
                                "row_number": np.arange(n, dtype=np.int32) + 2,
                                "responded_at": pd.Series(pd.NaT, index=range(n), dtype="datetime64[us]"), "nps": nps})
    empty = pd.DataFrame({"resp": pd.Series(dtype=np.int32), "segment": pd.Series(dtype=str), "value": pd.Series(dtype=str)})
    comments = pd.DataFrame({"resp": pd.Series(dtype=np.int32), "question": pd.Series(dtype=str), "text": pd.Series(dtype=str)})
    specs = [ColumnSpec(name, "rating", name, 1, 10) for name in names]
    canonical = Canonical(respondents, ratings, empty, comments, specs)
    dense = np.where(used, scores, np.nan)
    return canonical, dense, nps


def store_synthetic(con, canonical: Canonical, name: str) -> int:
    result = ImportResult(f"{name}.xlsx", name, None, canonical)
    result.report = lambda: {"synthetic": True}
    return store.save_import(con, result, name=name).dataset_id


def best_of(k, fn):
    times, out = timed(k, fn)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--respondents", type=int, default=1_000_000)
    parser.add_argument("--naive-subsets", type=int, default=24)
    args = parser.parse_args()
    n = args.respondents
    with tempfile.TemporaryDirectory() as tmp:
        con = store.connect(Path(tmp) / "bench.duckdb")
        t0 = time.perf_counter()
        c15, dense15, nps15 = synthetic(n, 15, 1.0, seed=1)
        id15 = store_synthetic(con, c15, "dense15")
        c40, _, _ = synthetic(n, 40, 0.4, seed=2)
        id40 = store_synthetic(con, c40, "sparse40")
        print(f"stored {n:,} respondents x 15 touchpoints (dense) and x 40 touchpoints (40 % used) "
              f"in {time.perf_counter() - t0:.0f} s")
        names15 = [f"Kontaktpunkt {i + 1:02d}" for i in range(15)]
        names40 = [f"Kontaktpunkt {i + 1:02d}" for i in range(40)]

        t_shap, res = best_of(3, lambda: drivers_for(con, Filter.of([id15]), drivers=names15, method="shapley", missing="listwise"))
        print(f"TPM exact Shapley, 15 drivers, 1 dataset of {n:,} (listwise): {t_shap:6.2f} s   "
              f"top 3: {', '.join(res.table.driver[:3])}; R² = {res.r2:.3f}")
        t_pair, _ = best_of(3, lambda: drivers_for(con, Filter.of([id15]), drivers=names15, method="shapley", missing="pairwise"))
        print(f"TPM exact Shapley, 15 drivers (pairwise)                      : {t_pair:6.2f} s")
        t_rw, res40 = best_of(3, lambda: drivers_for(con, Filter.of([id40]), drivers=names40, method="relative_weights", missing="pairwise"))
        t_floor, _ = best_of(3, lambda: con.execute(
            "SELECT touchpoint, count(*), sum(score), sum(score * score) FROM ratings WHERE dataset_id = ? GROUP BY ALL",
            [id40]).fetchall())
        print(f"TPM relative weights, 40 drivers (pairwise, 40 % used)        : {t_rw:6.2f} s   top 3: {', '.join(res40.table.driver[:3])}")
        print(f"  floor: DuckDB group-by of the same {len(names40)}-touchpoint ratings: {t_floor:6.2f} s   "
              f"relative weights = {t_rw / t_floor:4.1f}x floor")

        # naive: one least-squares fit per subset on the same rows
        X = (dense15 - dense15.mean(0)) / dense15.std(0)
        y = (nps15 - nps15.mean()) / nps15.std()
        rng = np.random.default_rng(0)
        subsets = [s for k in range(1, 16) for s in combinations(range(15), k)]
        sample = [subsets[i] for i in rng.choice(len(subsets), args.naive_subsets, replace=False)]
        t0 = time.perf_counter()
        for s in sample:
            np.linalg.lstsq(X[:, s], y, rcond=None)
        per_fit = (time.perf_counter() - t0) / len(sample)
        naive_total = per_fit * (1 << 15)
        print(f"naive: numpy lstsq per subset on {n:,} rows: {per_fit * 1000:.0f} ms/fit x 32,768 subsets "
              f"= {naive_total / 60:.0f} min (extrapolated from {len(sample)} fits)")
        print(f"ratio naive / TPM Shapley: {naive_total / t_shap:,.0f}x   (targets: Shapley < 2 s, relative weights 40 < 1 s)")
        con.close()


if __name__ == "__main__":
    main()
