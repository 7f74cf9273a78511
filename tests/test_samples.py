"""The planted structure of sample_surveys/ (see its README) is found by import + metrics.

The truth comes from the generator's constants, not from numbers copied here.
"""

import importlib.util

import pandas as pd
import pytest
from conftest import SAMPLES

from tpm import store, studies
from tpm.metrics import Filter
from tpm.metrics.nps import nps_for
from tpm.metrics.satisfaction import touchpoint_stats
from tpm.metrics.segments import segment_breakdown
from tpm.seed import CUSTOMER_STUDY, HOTLINE_STUDY, dataset_name, seed_if_empty


def load_generator():
    spec = importlib.util.spec_from_file_location("sample_generator", SAMPLES / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = load_generator()


def customer(con) -> Filter:
    """The customer survey's study (the seed adds a second, small one: never pooled with it)."""
    return Filter(study=studies.find(con, CUSTOMER_STUDY))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    con = store.connect(tmp_path_factory.mktemp("s") / "s.duckdb")
    saved = [s for s in seed_if_empty(con) if s.study_name == CUSTOMER_STUDY]
    assert len(saved) == len(GEN.FILES)
    ids = {wave: next(s.dataset_id for s in saved if s.name == dataset_name(SAMPLES / f)) for wave, f in GEN.FILES.items()}
    yield con, ids
    con.close()


def test_seed_imports_every_sample_once(seeded, tmp_path):
    con, _ids = seeded
    assert seed_if_empty(con) == []  # not empty any more: nothing seeded twice
    frame = store.list_datasets(con, customer(con).study)
    assert sorted(frame["respondents"]) == sorted([1500, 1500, 800])
    assert set(frame["touchpoints"]) == {len(GEN.TOUCHPOINTS)}
    assert dataset_name(SAMPLES / GEN.FILES[1]) == "Kundenbefragung 2026 Welle 1"


def test_all_touchpoints_and_segments_detected(seeded):
    con, ids = seeded
    for wave, dataset in ids.items():
        names = set(touchpoint_stats(con, Filter.of([dataset]))["touchpoint"])
        assert names == set(GEN.TOUCHPOINTS), wave
    assert set(store.segment_values(con, study=customer(con).study)) == {"Region", "Kundenart", "Altersgruppe", "Kanal"}


def test_planted_segment_gap_is_the_largest(seeded):
    con, ids = seeded
    gap = GEN.SEGMENT_GAP
    for wave, dataset in ids.items():
        inside = segment_breakdown(con, Filter.of([dataset]), gap["segment"], anonymity=0)
        rest = inside[inside.segment != gap["value"]]
        target = inside[inside.segment == gap["value"]].set_index("touchpoint")
        rest_mean = rest.assign(total=rest["value"] * rest.n).groupby("touchpoint").sum(numeric_only=True)
        rest_mean = rest_mean.total / rest_mean.n
        diffs = (target["value"] - rest_mean).dropna()
        assert diffs.idxmin() == gap["touchpoint"], (wave, diffs.sort_values().head(3))
        assert diffs.min() < gap["delta"] * 0.6


def test_planted_wave_improvement_is_the_largest(seeded):
    con, ids = seeded
    effect = GEN.WAVE_EFFECT
    before = touchpoint_stats(con, Filter.of([ids[effect["from_wave"]]])).set_index("touchpoint")["mean"]
    after = touchpoint_stats(con, Filter.of([ids[effect["to_wave"]]])).set_index("touchpoint")["mean"]
    change = (after - before).sort_values()
    assert change.idxmax() == effect["touchpoint"]
    assert change.max() > effect["delta"] * 0.6
    assert change.drop(effect["touchpoint"]).abs().max() < 0.4


def test_planted_drivers_correlate_most_with_recommendation(seeded):
    con, _ = seeded
    corr = dict(con.execute(
        """SELECT touchpoint, corr(score, r.nps) FROM ratings t JOIN respondents r USING (dataset_id, resp)
           WHERE dataset_id IN (SELECT id FROM datasets WHERE study_id = ?)
           GROUP BY touchpoint HAVING count(r.nps) >= 100 ORDER BY 2 DESC""", [customer(con).study]
    ).fetchall())
    assert list(corr)[:3] == GEN.DRIVERS


def test_wave_nps_rises_with_the_hotline(seeded):
    con, ids = seeded
    first, second = (nps_for(con, Filter.of([ids[w]])) for w in (1, 2))
    assert second.score > first.score
    assert second.ci_low > first.ci_high  # non-overlapping intervals: a real change


@pytest.mark.parametrize("method", ["shapley", "relative_weights"])
def test_planted_drivers_come_out_on_top_through_the_api(seeded, method):
    from tpm.metrics.drivers import drivers_for

    con, ids = seeded
    for wave in (1, 2):
        result = drivers_for(con, Filter.of([ids[wave]]), method=method, missing="pairwise")
        assert result.method == method
        assert result.table["driver"].tolist()[:3] == GEN.DRIVERS, (wave, result.table.head())
        assert result.table["share"].sum() == pytest.approx(100)
        assert 0.3 < result.r2 < 0.95
        # n is the smallest *pair* base (two rarely co-used touchpoints), so the base rule may warn; nothing else
        assert all(w.key == "warn_base" and w.values["n"] == result.n for w in result.warnings)
    pooled = drivers_for(con, customer(con), method=method)
    assert pooled.table["driver"].tolist()[:2] == GEN.DRIVERS[:2]
    assert set(pooled.table["driver"].tolist()[:3]) == set(GEN.DRIVERS)


def test_sparse_touchpoints_are_left_out_with_a_note(seeded):
    from tpm.metrics.drivers import drivers_for

    con, ids = seeded
    result = drivers_for(con, Filter.of([ids[1]]))
    assert "Kundenmagazin" not in result.table["driver"].tolist()
    assert any("Kundenmagazin" in note for note in result.notes)


def test_listwise_on_sparse_data_is_refused_clearly(seeded):
    from tpm.metrics.drivers import drivers_for

    con, ids = seeded
    with pytest.raises(ValueError, match="too few for listwise"):
        drivers_for(con, Filter.of([ids[1]]), missing="listwise")
    few = drivers_for(con, Filter.of([ids[1]]), drivers=GEN.DRIVERS, missing="listwise")
    raw = pd.read_excel(SAMPLES / GEN.FILES[1], engine="openpyxl")
    columns = [f"Wie zufrieden sind Sie mit: {d}?" for d in GEN.DRIVERS] + [GEN.NPS_HEADER]
    complete = raw[columns].apply(pd.to_numeric, errors="coerce").notna().all(axis=1).sum()
    assert few.n == complete  # the base is the respondents who answered all of them


def test_planted_segment_gap_is_flagged_and_nothing_else(seeded):
    from tpm.metrics.segments import segment_breakdown

    con, ids = seeded
    gap = GEN.SEGMENT_GAP
    for wave, dataset in ids.items():
        table = segment_breakdown(con, Filter.of([dataset]), gap["segment"], "mean")
        flagged = table[table.flag.isin(["higher", "lower"])]
        cell = table[(table.touchpoint == gap["touchpoint"]) & (table.segment == gap["value"])].iloc[0]
        assert cell.flag == "lower" and cell.q < 0.001, wave
        # the only other flags are the same touchpoint's other regions, lifted by the contrast to Ost
        assert set(flagged.touchpoint) == {gap["touchpoint"]}, flagged[["touchpoint", "segment", "flag"]]


def test_planted_wave_improvement_is_found(seeded):
    from tpm.metrics.trend import biggest_movers, nps_trend, touchpoint_trend

    con, _ = seeded
    trend = touchpoint_trend(con, customer(con), "mean")
    movers = biggest_movers(trend)
    top = movers.iloc[0]
    assert (top.touchpoint, top.wave_no, bool(top.significant)) == (GEN.WAVE_EFFECT["touchpoint"], 2, True)
    assert top.change == pytest.approx(GEN.WAVE_EFFECT["delta"], abs=0.4)
    hotline = trend[trend.touchpoint == GEN.WAVE_EFFECT["touchpoint"]].set_index("wave_no")
    assert not hotline.loc[3, "significant"]  # nothing planted between waves 2 and 3
    assert movers.significant.sum() <= 2  # (nearly) nothing else moves
    nps = nps_trend(con, customer(con)).set_index("wave_no")
    assert nps.loc[2, "significant"] and nps.loc[2, "change"] > 0


def test_waves_by_quarter_follow_the_response_dates(seeded):
    from tpm.metrics.trend import nps_trend

    con, _ = seeded
    quarters = nps_trend(con, customer(con), by="quarter")
    assert quarters["wave"].tolist() == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert quarters["n"].sum() == nps_trend(con, customer(con))["n"].sum()


def test_seed_makes_two_studies_the_customer_survey_shown_first(seeded):
    con, _ = seeded
    frame = studies.list_studies(con)
    assert frame["name"].tolist() == [CUSTOMER_STUDY, HOTLINE_STUDY]
    assert frame["respondents"].tolist() == [3800, 500] and [len(w) for w in frame["waves"]] == [3, 2]
    assert studies.default_study(con) == customer(con).study


def test_hotline_study_has_its_planted_driver_and_improvement(seeded):
    from tpm.metrics.drivers import drivers_for
    from tpm.metrics.trend import biggest_movers, touchpoint_trend

    spec = importlib.util.spec_from_file_location("hotline_generator", SAMPLES / "generate_hotline.py")
    hotline = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hotline)
    con, _ = seeded
    flt = Filter(study=studies.find(con, HOTLINE_STUDY))
    assert drivers_for(con, flt).table.iloc[0]["driver"] == hotline.DRIVER
    top = biggest_movers(touchpoint_trend(con, flt, "mean")).iloc[0]
    assert (top.touchpoint, bool(top.significant)) == (hotline.WAVE_EFFECT["aspect"], True)
    assert top.change == pytest.approx(hotline.WAVE_EFFECT["delta"], abs=0.3)
    # nothing of the customer survey in the hotline study, and the other way round
    assert set(store.segment_values(con, study=flt.study)) == {"Anliegen", "Kundenart"}
    assert set(inventory_names(con, flt.study)) == set(hotline.ASPECTS)
    assert not set(inventory_names(con, customer(con).study)) & set(hotline.ASPECTS)


def inventory_names(con, study):
    from tpm import inventory

    return inventory.load(con, study)["name"].tolist()
