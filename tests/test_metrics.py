"""Per-touchpoint satisfaction, NPS and segment breakdowns against an independent computation.

The reference side reads the sample files with pandas (openpyxl engine / pandas' CSV parser
with explicit German options) and computes means, t-intervals, top-2-box and NPS itself;
TPM's side reads them with its own importer (calamine, detection) and aggregates in DuckDB.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLES
from scipy import stats

from tpm import store
from tpm.ingest import ingest_bytes
from tpm.metrics import Filter
from tpm.metrics.nps import nps_for, respondent_count
from tpm.metrics.satisfaction import touchpoint_stats
from tpm.metrics.segments import segment_breakdown

XLSX = SAMPLES / "kundenbefragung_2026_welle1.xlsx"
CSV = SAMPLES / "kundenbefragung_2026_welle3_export.csv"
PREFIX_XLSX, PREFIX_CSV = "Wie zufrieden sind Sie mit: ", "Zufriedenheit "


def reference_frame(path):
    """(ratings by touchpoint name, recommend, respondents frame) read independently with pandas."""
    if path.suffix == ".xlsx":
        raw = pd.read_excel(path, engine="openpyxl")
        cols = {c: c[len(PREFIX_XLSX):].rstrip("?") for c in raw.columns if c.startswith(PREFIX_XLSX)}
    else:
        raw = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
        cols = {c: c[len(PREFIX_CSV):].replace(" (1-10)", "") for c in raw.columns if c.startswith(PREFIX_CSV)}
    ratings = raw[list(cols)].rename(columns=cols).apply(pd.to_numeric, errors="coerce")
    nps_col = next(c for c in raw.columns if "weiterempfehlen" in c)
    recommend = pd.to_numeric(raw[nps_col], errors="coerce")
    return ratings, recommend, raw


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    con = store.connect(tmp_path_factory.mktemp("m") / "m.duckdb")
    ids = {}
    for path in (XLSX, CSV):
        ids[path.name] = store.save_import(con, ingest_bytes(path.name, path.read_bytes())).dataset_id
    yield con, ids
    con.close()


@pytest.mark.parametrize("path", [XLSX, CSV], ids=["xlsx", "german-csv"])
def test_touchpoint_stats_match_independent_computation(loaded, path):
    con, ids = loaded
    ratings, _, _ = reference_frame(path)
    ours = touchpoint_stats(con, Filter.of([ids[path.name]])).set_index("touchpoint")
    assert set(ours.index) == set(ratings.columns)
    for name in ratings.columns:
        values = ratings[name].dropna()
        row = ours.loc[name]
        assert row.n == len(values)
        assert row["mean"] == pytest.approx(values.mean(), abs=1e-9)
        half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
        assert row.ci_low == pytest.approx(values.mean() - half, abs=1e-9)
        assert row.ci_high == pytest.approx(values.mean() + half, abs=1e-9)
        assert row.score_0_100 == pytest.approx((values.mean() - 1) / 9 * 100, abs=1e-9)
        assert row.top2_box == pytest.approx(100 * (values >= 9).mean(), abs=1e-9)
        assert row.bottom2_box == pytest.approx(100 * (values <= 2).mean(), abs=1e-9)
        assert (row.scale_min, row.scale_max) == (1, 10)
        assert row.low_base == (len(values) < 30)


@pytest.mark.parametrize("path", [XLSX, CSV], ids=["xlsx", "german-csv"])
def test_nps_matches_independent_counts(loaded, path):
    con, ids = loaded
    _, recommend, raw = reference_frame(path)
    r = recommend.dropna()
    nps = nps_for(con, Filter.of([ids[path.name]]))
    assert (nps.detractors, nps.passives, nps.promoters) == ((r <= 6).sum(), ((r >= 7) & (r <= 8)).sum(), (r >= 9).sum())
    assert nps.score == pytest.approx(100 * ((r >= 9).mean() - (r <= 6).mean()))
    assert respondent_count(con, Filter.of([ids[path.name]])) == len(raw)


def test_segment_filter(loaded):
    con, ids = loaded
    ratings, recommend, raw = reference_frame(XLSX)
    east = (raw["Region"] == "Ost") & (raw["Kundenart"].isin(["B2B"]))
    flt = Filter.of([ids[XLSX.name]], {"Region": ["Ost"], "Kundenart": ["B2B"]})
    ours = touchpoint_stats(con, flt).set_index("touchpoint")
    assert ours.loc["Hotline", "n"] == ratings.loc[east, "Hotline"].notna().sum()
    assert ours.loc["Hotline", "mean"] == pytest.approx(ratings.loc[east, "Hotline"].mean())
    r = recommend[east].dropna()
    assert nps_for(con, flt).n == len(r)
    assert respondent_count(con, flt) == int(east.sum())


def test_breakdown_by_segment(loaded):
    con, ids = loaded
    ratings, recommend, raw = reference_frame(XLSX)
    flt = Filter.of([ids[XLSX.name]])
    ours, nps = (segment_breakdown(con, flt, "Region", metric, anonymity=0).set_index(["touchpoint", "segment"])
                 for metric in ("mean", "nps"))
    for region, part in ratings.groupby(raw["Region"]):
        values = part["Lieferung"].dropna()
        assert ours.loc[("Lieferung", region), "n"] == len(values)
        assert ours.loc[("Lieferung", region), "value"] == pytest.approx(values.mean())
        raters = recommend[part["Lieferung"].notna().index[part["Lieferung"].notna()]].dropna()
        expected_nps = 100 * ((raters >= 9).mean() - (raters <= 6).mean())
        assert nps.loc[("Lieferung", region), "value"] == pytest.approx(expected_nps)


def test_all_datasets_is_the_union(loaded):
    con, ids = loaded
    both = touchpoint_stats(con, Filter()).set_index("touchpoint")
    one = [touchpoint_stats(con, Filter.of([i])).set_index("touchpoint") for i in ids.values()]
    assert both.loc["Hotline", "n"] == sum(o.loc["Hotline", "n"] for o in one)


def test_mixed_scales_are_kept_apart(con):
    from conftest import xlsx_bytes

    a = [["ID", "Hotline"]] + [[i, i % 5 + 1] for i in range(10)]
    b = [["ID", "Hotline"]] + [[i, i % 10 + 1] for i in range(20)]
    store.save_import(con, ingest_bytes("a.xlsx", xlsx_bytes(a)))
    store.save_import(con, ingest_bytes("b.xlsx", xlsx_bytes(b)))
    frame = touchpoint_stats(con, Filter())
    assert sorted(zip(frame.scale_max, frame.n)) == [(5, 10), (10, 20)]
