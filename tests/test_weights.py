"""Weighted figures against an independent computation from the formulas (DOMAIN.md), to 1e-9.

The reference side never calls TPM's estimators: it works on the planted respondent arrays with
numpy, and computes the Taylor-linearised variance in its influence-function form — the way R's
``survey`` package does for ``svydesign(ids = ~1, weights = ~w)``::

    zᵢ = wᵢ (yᵢ − ȳw) / Σw,   Var(ȳw) = n/(n−1) · Σ (zᵢ − z̄)²   (z̄ = 0)

which is algebraically the SE of DOMAIN.md. A two-respondent example is checked by hand.
"""

import math

import numpy as np
import pandas as pd
import pytest
from conftest import xlsx_bytes
from scipy import stats

from tpm import store
from tpm.ingest import ingest_bytes
from tpm.metrics import Filter
from tpm.metrics.estimate import taylor
from tpm.metrics.nps import nps_for
from tpm.metrics.satisfaction import touchpoint_stats
from tpm.metrics.segments import nps_by_segment, segment_breakdown
from tpm.metrics.trend import nps_trend, touchpoint_trend

TOL = 1e-9


def ref_mean_se(y, w):
    """(ȳw, SE, n_eff) by the influence-function form (see module docstring)."""
    y, w = np.asarray(y, float), np.asarray(w, float)
    mean = (w * y).sum() / w.sum()
    z = w * (y - mean) / w.sum()
    n = len(y)
    return mean, math.sqrt(n / (n - 1) * ((z - z.mean()) ** 2).sum()), w.sum() ** 2 / (w**2).sum()


def test_two_respondents_by_hand():
    # y = (0, 1), w = (1, 3): ȳ = 0.75; Σw²(y−ȳ)² = 0.5625 + 9·0.0625 = 1.125; SE = √(2·1.125)/4 = 0.375
    est = taylor(2, 4, 10, 3, 9, 9)  # n, Σw, Σw², Σwy, Σw²y, Σw²y²
    assert float(est.value) == 0.75 and float(est.se) == pytest.approx(0.375, abs=1e-15)
    assert float(est.n_eff) == pytest.approx(16 / 10)
    assert ref_mean_se([0, 1], [1, 3])[:2] == pytest.approx((0.75, 0.375), abs=1e-15)


def planted(seed=3, n=400):
    """Respondents with region, two touchpoints (Hotline sparse), NPS, and lognormal weights."""
    rng = np.random.default_rng(seed)
    region = rng.choice(["Nord", "Süd"], n, p=[0.3, 0.7])
    hotline = rng.integers(1, 11, n).astype(float)
    hotline[rng.random(n) < 0.2] = np.nan
    shop = np.clip(np.round(rng.normal(7, 2, n) + (region == "Nord")), 1, 10)
    nps = rng.integers(0, 11, n).astype(float)
    nps[rng.random(n) < 0.1] = np.nan
    weight = rng.lognormal(0, 0.5, n) * np.where(region == "Nord", 2.0, 1.0)
    return pd.DataFrame({"region": region, "Hotline": hotline, "Shop": shop, "nps": nps, "weight": weight})


def store_weighted(con, frame: pd.DataFrame, name: str, weights=True) -> int:
    rows = [["ID", "Region", "Hotline", "Shop", "Weiterempfehlung (0-10)"]]
    for i, r in enumerate(frame.itertuples()):
        rows.append([f"{name}-{i}", r.region, *(None if np.isnan(v) else int(v) for v in (r.Hotline, r.Shop, r.nps))])
    result = ingest_bytes(f"{name}.xlsx", xlsx_bytes(rows))
    if weights:
        result.canonical.respondents["weight"] = frame["weight"].to_numpy()
    return store.save_import(con, result, name=name).dataset_id


@pytest.fixture
def weighted_db(con):
    frame = planted()
    return con, frame, store_weighted(con, frame, "gewichtet")


def nps_y(values):
    return np.where(values >= 9, 100.0, np.where(values <= 6, -100.0, 0.0))


def test_weights_are_stored_rescaled_to_n(weighted_db):
    con, frame, dataset = weighted_db
    stored = con.execute("SELECT weight FROM respondents WHERE dataset_id = ? ORDER BY resp", [dataset]).fetchnumpy()["weight"]
    assert stored.sum() == pytest.approx(len(frame), abs=1e-9)
    np.testing.assert_allclose(stored, frame["weight"] * len(frame) / frame["weight"].sum(), rtol=1e-12)
    report = con.execute("SELECT report FROM datasets WHERE id = ?", [dataset]).fetchone()[0]
    assert "rescaled to sum to n = 400" in report
    row = con.execute("SELECT source, n, n_eff FROM weight_sets WHERE dataset_id = ?", [dataset]).fetchone()
    assert row[0] == "file" and row[1] == 400
    assert row[2] == pytest.approx(frame["weight"].sum() ** 2 / (frame["weight"] ** 2).sum())


def test_weighted_nps_equals_the_formulas(weighted_db):
    con, frame, dataset = weighted_db
    answered = frame.dropna(subset=["nps"])
    value, se, n_eff = ref_mean_se(nps_y(answered["nps"]), answered["weight"])
    nps = nps_for(con, Filter.of([dataset]))
    assert nps.weighted and nps.n == len(answered)
    assert nps.score == pytest.approx(value, abs=TOL) and nps.se == pytest.approx(se, abs=TOL)
    assert nps.n_eff == pytest.approx(n_eff, abs=TOL)
    z = stats.norm.ppf(0.975)
    assert (nps.ci_low, nps.ci_high) == pytest.approx((max(-100, value - z * se), min(100, value + z * se)), abs=TOL)
    w = answered["weight"]
    assert nps.promoter_share == pytest.approx(100 * w[answered["nps"] >= 9].sum() / w.sum(), abs=TOL)
    assert nps.detractor_share == pytest.approx(100 * w[answered["nps"] <= 6].sum() / w.sum(), abs=TOL)
    assert nps.promoter_share + nps.passive_share + nps.detractor_share == pytest.approx(100)


def test_weighted_touchpoint_figures_equal_the_formulas(weighted_db):
    con, frame, dataset = weighted_db
    stats_ = touchpoint_stats(con, Filter.of([dataset])).set_index("touchpoint")
    for name in ("Hotline", "Shop"):
        rated = frame.dropna(subset=[name])
        y, w = rated[name].to_numpy(), rated["weight"].to_numpy()
        mean, se, n_eff = ref_mean_se(y, w)
        row = stats_.loc[name]
        assert row["n"] == len(rated) and row["n_eff"] == pytest.approx(n_eff, abs=TOL)
        assert row["mean"] == pytest.approx(mean, abs=TOL)
        half = stats.t.ppf(0.975, len(rated) - 1) * se
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((mean - half, mean + half), abs=TOL)
        assert row["score_0_100"] == pytest.approx((mean - 1) / 9 * 100, abs=TOL)
        assert row["top2_box"] == pytest.approx(100 * ref_mean_se(y >= 9, w)[0], abs=TOL)
        assert row["bottom2_box"] == pytest.approx(100 * ref_mean_se(y <= 2, w)[0], abs=TOL)
        raters = rated.dropna(subset=["nps"])
        assert row["nps"] == pytest.approx(ref_mean_se(nps_y(raters["nps"]), raters["weight"])[0], abs=TOL)


@pytest.mark.parametrize("metric", ["mean", "top2", "nps"])
def test_weighted_segment_test_equals_the_formulas(weighted_db, metric):
    con, frame, dataset = weighted_db
    table = segment_breakdown(con, Filter.of([dataset]), "Region", metric)
    cell = table[(table.touchpoint == "Shop") & (table.segment == "Nord")].iloc[0]
    rated = frame.dropna(subset=["nps"]) if metric == "nps" else frame
    y = {"mean": rated["Shop"], "top2": 100.0 * (rated["Shop"] >= 9), "nps": nps_y(rated["nps"])}[metric]
    y = np.asarray(y, float)
    inside = (rated["region"] == "Nord").to_numpy()
    a, b = ref_mean_se(y[inside], rated["weight"][inside]), ref_mean_se(y[~inside], rated["weight"][~inside])
    z = (a[0] - b[0]) / math.sqrt(a[1] ** 2 + b[1] ** 2)
    assert cell["value"] == pytest.approx(a[0], abs=TOL) and cell["rest"] == pytest.approx(b[0], abs=TOL)
    assert cell["p"] == pytest.approx(2 * stats.norm.sf(abs(z)), abs=TOL)
    assert cell["n_eff"] == pytest.approx(a[2], abs=TOL) and bool(cell["weighted"])


def test_weighted_nps_by_segment_equals_the_formulas(weighted_db):
    con, frame, dataset = weighted_db
    table = nps_by_segment(con, Filter.of([dataset]), "Region").set_index("segment")
    answered = frame.dropna(subset=["nps"])
    inside = answered["region"] == "Nord"
    a = ref_mean_se(nps_y(answered["nps"][inside]), answered["weight"][inside])
    b = ref_mean_se(nps_y(answered["nps"][~inside]), answered["weight"][~inside])
    assert table.loc["Nord", "value"] == pytest.approx(a[0], abs=TOL)
    assert table.loc["Nord", "diff"] == pytest.approx(a[0] - b[0], abs=TOL)
    assert table.loc["Nord", "p"] == pytest.approx(2 * stats.norm.sf(abs(a[0] - b[0]) / math.hypot(a[1], b[1])), abs=TOL)


def test_switch_off_and_unweighted_data_give_the_classic_figures(con):
    frame = planted(seed=5)
    weighted = store_weighted(con, frame, "mit")
    plain = store_weighted(con, frame, "ohne", weights=False)
    off = Filter.of([weighted], weighted=False)
    for flt in (off, Filter.of([plain])):
        nps = nps_for(con, flt)
        answered = frame["nps"].dropna()
        assert not nps.weighted and nps.n_eff == nps.n == len(answered)
        assert nps.score == pytest.approx(100 * ((answered >= 9).mean() - (answered <= 6).mean()), abs=TOL)
        row = touchpoint_stats(con, flt).set_index("touchpoint").loc["Hotline"]
        rated = frame["Hotline"].dropna()
        ci = stats.t.interval(0.95, len(rated) - 1, loc=rated.mean(), scale=stats.sem(rated))
        assert row["mean"] == pytest.approx(rated.mean(), abs=TOL) and (row["ci_low"], row["ci_high"]) == pytest.approx(ci, abs=TOL)
        assert row["n_eff"] == pytest.approx(len(rated), abs=TOL)
    assert nps_for(con, off) == nps_for(con, Filter.of([plain]))
    assert segment_breakdown(con, off, "Region", "top2").drop(columns="weighted").equals(
        segment_breakdown(con, Filter.of([plain]), "Region", "top2").drop(columns="weighted"))


def test_pooled_waves_with_different_weight_sets(con):
    one, two = planted(seed=1, n=300), planted(seed=2, n=200)
    two["weight"] = two["weight"] * 50  # another scale: rescaling to n makes each wave count by its respondents
    first, second = store_weighted(con, one, "W1"), store_weighted(con, two, "W2")
    both = pd.concat([one.assign(weight=one["weight"] * 300 / one["weight"].sum()),
                      two.assign(weight=two["weight"] * 200 / two["weight"].sum())])
    answered = both.dropna(subset=["nps"])
    value, se, _ = ref_mean_se(nps_y(answered["nps"]), answered["weight"])
    pooled = nps_for(con, Filter.of([first, second]))
    assert pooled.score == pytest.approx(value, abs=TOL) and pooled.se == pytest.approx(se, abs=TOL)
    waves = nps_trend(con, Filter.of([first, second])).set_index("wave")
    parts = {}
    for name, part in (("W1", one), ("W2", two)):
        answered = part.dropna(subset=["nps"])
        parts[name] = ref_mean_se(nps_y(answered["nps"]), answered["weight"])
        assert waves.loc[name, "value"] == pytest.approx(parts[name][0], abs=TOL)
        assert waves.loc[name, "n_eff"] == pytest.approx(parts[name][2], abs=TOL)
    z = (parts["W2"][0] - parts["W1"][0]) / math.hypot(parts["W1"][1], parts["W2"][1])
    assert waves.loc["W2", "p"] == pytest.approx(2 * stats.norm.sf(abs(z)), abs=TOL)
    shop = touchpoint_trend(con, Filter.of([first, second]), "mean").set_index(["touchpoint", "wave"]).loc["Shop"]
    assert shop.loc["W2", "value"] == pytest.approx(ref_mean_se(two["Shop"], two["weight"])[0], abs=TOL)


def test_weighted_driver_shares_equal_weighted_least_squares(con):
    """Shapley shares from weighted correlations = LMG computed from weighted least-squares R² of every subset."""

    from tpm.metrics.drivers import drivers_for

    frame = planted(seed=8, n=600)
    rng = np.random.default_rng(8)
    frame["Hotline"] = np.clip(np.round(frame["nps"].fillna(5) * 0.6 + rng.normal(3, 2, len(frame))), 1, 10)
    dataset = store_weighted(con, frame, "treiber")
    result = drivers_for(con, Filter.of([dataset]), drivers=["Hotline", "Shop"], missing="listwise")
    assert result.weighted
    data = frame.dropna(subset=["nps", "Hotline", "Shop"])
    y, w = data["nps"].to_numpy(), data["weight"].to_numpy()
    X = {"Hotline": data["Hotline"].to_numpy(), "Shop": data["Shop"].to_numpy()}

    def r2(names):
        if not names:
            return 0.0
        A = np.column_stack([np.ones(len(y))] + [X[k] for k in names]) * np.sqrt(w)[:, None]
        beta = np.linalg.lstsq(A, y * np.sqrt(w), rcond=None)[0]
        resid = y - np.column_stack([np.ones(len(y))] + [X[k] for k in names]) @ beta
        ybar = (w * y).sum() / w.sum()
        return 1 - (w * resid**2).sum() / (w * (y - ybar) ** 2).sum()

    full = r2(["Hotline", "Shop"])
    lmg = {"Hotline": 0.5 * (r2(["Hotline"]) + full - r2(["Shop"])), "Shop": 0.5 * (r2(["Shop"]) + full - r2(["Hotline"]))}
    table = result.table.set_index("driver")
    assert result.r2 == pytest.approx(full, abs=TOL)
    for name in lmg:
        assert table.loc[name, "raw"] == pytest.approx(lmg[name], abs=TOL)
        assert table.loc[name, "share"] == pytest.approx(100 * lmg[name] / full, abs=1e-7)
    assert result.n == len(data) and result.n_eff == pytest.approx(w.sum() ** 2 / (w**2).sum(), abs=TOL)
    unweighted = drivers_for(con, Filter.of([dataset], weighted=False), drivers=["Hotline", "Shop"], missing="listwise")
    assert not unweighted.weighted and unweighted.r2 != pytest.approx(full, abs=1e-4)


def test_a_weight_column_in_the_file_is_used(con):
    """The importer's weight role (a column 'Gewicht') ends up in every figure, rescaled to n."""
    rows = [["ID", "Region", "Hotline", "Weiterempfehlung (0-10)", "Gewicht"]]
    rows += [[f"a{i}", "Nord", 9, 10, 3.0] for i in range(40)] + [[f"b{i}", "Süd", 4, 2, 1.0] for i in range(60)]
    saved = store.save_import(con, ingest_bytes("gewichtet.xlsx", xlsx_bytes(rows)), name="g")
    assert any("Kish effective n" in note for note in saved.report["notes"])
    assert con.execute("SELECT sum(weight) FROM respondents").fetchone()[0] == pytest.approx(100)
    nps = nps_for(con, Filter())
    assert nps.weighted and nps.score == pytest.approx(100 * (120 - 60) / 180)
    assert nps.n == 100 and nps.n_eff == pytest.approx(180**2 / (40 * 9 + 60))


def test_the_overall_question_is_weighted_too(con):
    from tpm.metrics.satisfaction import overall_stats

    rows = [["ID", "Gesamtzufriedenheit (1-5)", "Hotline (1-10)", "Gewicht"]]
    rows += [[f"a{i}", 5, 9, 3.0] for i in range(40)] + [[f"b{i}", 1, 3, 1.0] for i in range(60)]
    store.save_import(con, ingest_bytes("overall.xlsx", xlsx_bytes(rows)), name="o")
    row = overall_stats(con, Filter()).iloc[0]
    mean, se, n_eff = ref_mean_se([5] * 40 + [1] * 60, [3.0] * 40 + [1.0] * 60)
    assert row["mean"] == pytest.approx(mean, abs=TOL) and row["n_eff"] == pytest.approx(n_eff, abs=TOL)
    assert row["ci_high"] - row["mean"] == pytest.approx(stats.t.ppf(0.975, 99) * se, abs=TOL)
    assert overall_stats(con, Filter(weighted=False)).iloc[0]["mean"] == pytest.approx(2.6)


def test_weighted_bootstrap_resamples_respondents_with_their_weights(con):
    from tpm.metrics.drivers import drivers_for

    frame = planted(seed=9, n=500)
    rng = np.random.default_rng(9)
    frame["Hotline"] = np.clip(np.round(frame["nps"].fillna(5) * 0.6 + rng.normal(3, 2, len(frame))), 1, 10)
    dataset = store_weighted(con, frame, "boot")
    result = drivers_for(con, Filter.of([dataset]), drivers=["Hotline", "Shop"], missing="listwise", bootstrap=200, seed=1)
    table = result.table.set_index("driver")
    assert result.weighted
    assert ((table["ci_low"] <= table["share"]) & (table["share"] <= table["ci_high"])).all()
    again = drivers_for(con, Filter.of([dataset]), drivers=["Hotline", "Shop"], missing="listwise", bootstrap=200, seed=1)
    assert again.table.equals(result.table)  # seeded
    plain = drivers_for(con, Filter.of([dataset], weighted=False), drivers=["Hotline", "Shop"], missing="listwise",
                        bootstrap=200, seed=1).table.set_index("driver")
    assert not np.allclose(plain["ci_low"], table.loc[plain.index, "ci_low"])  # the weights enter the resamples


def test_compact_sums_equal_the_sums_over_every_rating(weighted_db):
    """The figures' sums come from compact rows (one per touchpoint × scale × score × NPS answer, over
    the compact count tables of tpm.compact, or over the respondents' ratings joined on the
    one-integer key); on random filters they equal the sums taken over every rating, joined on
    (dataset_id, resp), the way they were computed before — weighted and unweighted."""
    from dataclasses import replace

    from tpm.metrics.satisfaction import KEYS
    from tpm.metrics.weighted import SUM_COLUMNS, grouped_rating_sums_sql, rating_sums_sql

    con, _frame, weighted = weighted_db
    plain = store_weighted(con, planted(seed=5, n=120), "ungewichtet", weights=False)
    for flt in random_filters(11, 12, (weighted, plain), 0.4):
        cte, params = flt.respondents_cte()
        for by in (None, "Region"):
            keys = KEYS + ([] if by is None else ["segment"])
            old = (f"WITH {cte} SELECT t.touchpoint, t.scale_min, t.scale_max, "
                   + ("" if by is None else "s.value AS segment, ") + f"{rating_sums_sql()} "
                   "FROM ratings t JOIN resp USING (dataset_id, resp) "
                   + ("" if by is None else "JOIN segments s ON s.dataset_id = t.dataset_id AND s.resp = t.resp "
                                            "AND s.segment = ? ") + "GROUP BY ALL")
            extra = [] if by is None else [by]
            a = con.execute(old, params + extra).df()
            for view in (flt, replace(flt, compact=False)):
                units, unit_params = view.units_cte()
                rows = f"{view.rated()} rt" if by is None else view.segment_join(view.rated(), "rt", "segment")
                b = con.execute(f"WITH {units} {grouped_rating_sums_sql(keys, rows)}", unit_params + extra).df()
                assert_same_sums(a, b, keys, f"{view} by {by}")
                for column in SUM_COLUMNS:
                    assert b[column].dtype.kind == a[column].dtype.kind, column


def random_filters(seed: int, times: int, datasets: tuple[int, ...], region_share: float):
    """Random views: some of the datasets, sometimes Region = Nord, weighted or not."""
    rng = np.random.default_rng(seed)
    for _ in range(times):
        chosen = [d for d in datasets if rng.random() < 0.7]
        regions = {"Region": ["Nord"]} if rng.random() < region_share else None
        yield Filter.of(chosen, regions, weighted=bool(rng.random() < 0.6))


def assert_same_sums(a: pd.DataFrame, b: pd.DataFrame, keys: list[str], what: str = "") -> None:
    """The same groups (``keys``) with the same sums (every column of SUM_COLUMNS), to 1e-12 relative / 1e-9 absolute."""
    from tpm.metrics.weighted import SUM_COLUMNS

    a, b = a.sort_values(keys, ignore_index=True), b.sort_values(keys, ignore_index=True)
    assert len(a) == len(b) > 0
    pd.testing.assert_frame_equal(a[keys], b[keys], check_dtype=False)
    for column in SUM_COLUMNS:
        np.testing.assert_allclose(b[column].to_numpy(float), a[column].to_numpy(float), rtol=1e-12, atol=1e-9,
                                   err_msg=f"{column} {what}")


