"""Statistics of comments (tpm.comments.stats): Monroe et al.'s log-odds against a hand computation, planted terms
and themes recovered, weights, bases and Benjamini–Hochberg."""

import math
from itertools import pairwise

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from tpm import compact, store
from tpm.comments.stats import (
    distinctive_terms,
    term_rows_sql,
    terms_of,
    terms_params,
    theme_by_touchpoint,
    theme_impact,
    theme_shares,
    theme_trend,
)
from tpm.metrics.rules import ANONYMITY

DUCK = duckdb.connect()


def docs_of(groups_and_terms, weights=None):
    rows = [{"id": i, "group": g, "terms": terms, "weight": 1.0 if weights is None else weights[i]}
            for i, (g, terms) in enumerate(groups_and_terms)]
    return pd.DataFrame(rows)


# --- distinctive terms ----------------------------------------------------------------------------------------

TOY = [("a", ["x"]), ("a", ["x", "y"]), ("a", ["x"]), ("b", ["y"]), ("b", ["zz"]), ("b", ["y", "zz"])]


def test_log_odds_by_hand_with_the_corpus_prior():
    # y_a = (x 3, y 1, zz 0), n_a = 4; y_b = (x 0, y 2, zz 2), n_b = 4; corpus y = (3, 3, 2), n = 8.
    # Default α0 = n = 8, so α_w = y_w: α_x = 3.
    # δ_x = log((3+3)/(4+8−3−3)) − log((0+3)/(4+8−0−3)) = log(6/6) − log(3/9) = log 3
    # σ²_x = 1/(3+3) + 1/(0+3) = 1/2
    out = distinctive_terms(docs_of(TOY), min_count=1)
    assert out["term"].tolist() == ["x"]           # y and zz have δ < 0: b uses them more
    row = out.iloc[0]
    assert row["delta"] == pytest.approx(math.log(3))
    assert row["se"] ** 2 == pytest.approx(0.5)
    assert row["z"] == pytest.approx(math.log(3) / math.sqrt(0.5))
    assert (row["count_a"], row["count_b"], row["n_a"], row["n_b"]) == (3, 0, 3, 0)


def test_log_odds_by_hand_with_a_chosen_prior_size_and_the_groups_swapped():
    swapped = [("b" if g == "a" else "a", terms) for g, terms in TOY]
    out = distinctive_terms(docs_of(swapped), alpha0=4, min_count=1).set_index("term")
    # now a = the former b: y_a = (x 0, y 2, zz 2), n_a = 4; y_b = (x 3, y 1, zz 0), n_b = 4; α_w = 4·y_w/8
    # y:  α = 1.5; δ = log((2+1.5)/(4+4−2−1.5)) − log((1+1.5)/(4+4−1−1.5)) = log(3.5/4.5) − log(2.5/5.5)
    #     σ² = 1/3.5 + 1/2.5
    # zz: α = 1;   δ = log((2+1)/(4+4−2−1)) − log((0+1)/(4+4−0−1)) = log(3/5) − log(1/7);  σ² = 1/3 + 1/1
    d_y, v_y = math.log(3.5 / 4.5) - math.log(2.5 / 5.5), 1 / 3.5 + 1 / 2.5
    d_z, v_z = math.log(3 / 5) - math.log(1 / 7), 1 / 3 + 1
    assert out.loc["y", "delta"] == pytest.approx(d_y) and out.loc["y", "z"] == pytest.approx(d_y / math.sqrt(v_y))
    assert out.loc["zz", "delta"] == pytest.approx(d_z) and out.loc["zz", "z"] == pytest.approx(d_z / math.sqrt(v_z))
    assert list(out.index) == ["zz", "y"]            # z_zz = 1.44 > z_y = 0.78
    assert "x" not in out.index


def test_planted_detractor_words_come_first_and_promoter_words_never():
    rng = np.random.default_rng(7)
    filler = [f"wort{i}" for i in range(60)]
    rows = []
    for i in range(400):
        group = "a" if i < 200 else "b"
        words = list(rng.choice(filler, 6))
        if group == "a" and i % 5 < 2:
            words += ["nicht", "erreichbar"]       # 40 % of detractors
        if group == "a" and i % 4 == 0:
            words += ["unfreundlich"]              # 25 % of detractors
        if group == "b" and i % 5 < 2:
            words += ["schnell"]                   # 40 % of promoters
        rows.append((group, terms_of(" ".join(words), stop=frozenset({"nicht"}))))
    rows += [(None, ["schnell", "wort1"])] * 30     # passives: in the prior only
    out = distinctive_terms(docs_of(rows), top=10)
    assert set(out["term"].head(4)) == {"nicht", "erreichbar", "nicht erreichbar", "unfreundlich"}
    assert "schnell" not in set(out["term"])
    assert out.loc[out["term"] == "nicht erreichbar", "n_a"].item() == 80


def test_weights_count_as_pandas_counts_them_and_examples_are_short_comments_of_group_a():
    groups_and_terms = [("a", ["late", "rude"]), ("a", ["late"]), ("b", ["late", "fast"]), ("a", ["rude", "late"]),
                        ("b", ["fast"]), ("a", ["late", "late"])]
    texts = ["late and rude!!", "late", "late but fast", "rude, late", "fast", "late, late, late!"]
    weights = [2.0 if g == "a" else 1.0 for g, _ in groups_and_terms]   # detractors' comments count twice
    docs = docs_of(groups_and_terms, weights).assign(text=texts)
    out = distinctive_terms(docs, min_count=1, alpha0=1).set_index("term")
    for term in out.index:
        has = docs["terms"].map(lambda ts, term=term: term in ts)
        assert out.loc[term, "count_a"] == docs.loc[has & (docs["group"] == "a"), "weight"].sum()
        assert out.loc[term, "count_b"] == docs.loc[has & (docs["group"] == "b"), "weight"].sum()
    assert out.loc["late", "count_a"] == 8          # four comments of a, each weight 2; "late late" counts once
    unweighted = distinctive_terms(docs.assign(weight=1.0), min_count=1, alpha0=1).set_index("term")
    assert unweighted.loc["late", "count_a"] == 4 and out.loc["late", "z"] != unweighted.loc["late", "z"]
    assert out.loc["late", "examples"] == [1, 3, 0]  # "late" (4), "rude, late" (10), "late and rude!!" (15); not "late, late, late!" (17)


def test_min_count_keeps_one_persons_wording_out():
    out = distinctive_terms(docs_of([("a", ["rare"])] + [("a", ["common"])] * 5 + [("b", ["other"])] * 5))
    assert out["term"].tolist() == ["common"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["die", "nicht", "kein", "hotline", "gut", "warten", "x"]), max_size=8),
       st.frozensets(st.sampled_from(["die", "nicht", "gut", "x"])))
def test_the_term_rule_in_duckdb_is_the_python_rule(words, stop):
    lemmas = " ".join(words)
    sql = f"WITH d AS (SELECT 0 AS id, ?::VARCHAR AS words) SELECT term FROM {term_rows_sql('d')}"
    found = [r[0] for r in DUCK.execute(sql, [lemmas, *terms_params(stop)]).fetchall()]
    assert sorted(found) == sorted(terms_of(lemmas, stop))


def test_terms_are_lemmas_and_phrases_without_stop_words_but_with_negations():
    assert terms_of("die hotline sein nicht erreichbar", stop=frozenset({"die", "sein", "nicht"})) == \
        ["hotline", "nicht", "erreichbar", "hotline nicht", "nicht erreichbar"]
    assert terms_of("gut gut") == ["gut"] and terms_of("") == []


# --- theme impact ---------------------------------------------------------------------------------------------


def commenters(blocks):
    """blocks: (count, nps, mentions A) → one row per commenter; theme B: every 5th row of each block (a null theme)."""
    rows = []
    for count, nps, a in blocks:
        rows += [{"nps": nps, "weight": 1.0, "A": a, "B": i % 5 == 0} for i in range(count)]
    return pd.DataFrame(rows)


PLANTED = [(180, 3, True), (90, 7, True), (30, 10, True), (140, 3, False), (210, 8, False), (350, 9, False)]


def test_planted_theme_share_and_nps_gap_are_recovered_exactly_and_the_null_theme_is_not_significant():
    out = theme_impact(commenters(PLANTED), ["A", "B"], weighted=False).set_index("theme")
    a, b = out.loc["A"], out.loc["B"]
    assert (a["n"], a["mentions"], a["share"]) == (1000, 300, pytest.approx(30.0))
    # Wilson, n = 1000, p = 0.3: (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)
    z = scipy_stats.norm.ppf(0.975)
    centre, half = (0.3 + z**2 / 2000) / (1 + z**2 / 1000), z * math.sqrt(0.21 / 1000 + z**2 / 4e6) / (1 + z**2 / 1000)
    assert (a["share_low"], a["share_high"]) == (pytest.approx(100 * (centre - half)), pytest.approx(100 * (centre + half)))
    # NPS with A: (30 − 180)/300 = −50; without: (350 − 140)/700 = +30; gap −80
    assert (a["nps_with"], a["nps_without"], a["diff"]) == (pytest.approx(-50), pytest.approx(30), pytest.approx(-80))
    var_with, var_without = 0.1 + 0.6 - 0.5**2, 0.5 + 0.2 - 0.3**2   # p_pro + p_det − (p_pro − p_det)²
    se = 100 * math.sqrt(var_with / 300 + var_without / 700)
    assert (a["diff_low"], a["diff_high"]) == (pytest.approx(-80 - z * se), pytest.approx(-80 + z * se))
    assert a["p"] == pytest.approx(2 * scipy_stats.norm.sf(80 / se)) and a["q"] < 0.05
    assert b["share"] == pytest.approx(20.0) and b["diff"] == pytest.approx(0) and b["q"] > 0.05


def test_a_planted_theme_is_recovered_within_its_intervals_from_a_random_sample():
    rng = np.random.default_rng(21)
    n = 3000
    mention = rng.random(n) < 0.25
    # mentioners: 50 % detractors, 20 % promoters (NPS −30); others: 20 % / 50 % (NPS +30): gap −60
    u = rng.random(n)
    det = np.where(mention, u < 0.5, u < 0.2)
    pro = np.where(mention, u > 0.8, u > 0.5)
    frame = pd.DataFrame({"nps": np.where(det, 4, np.where(pro, 9, 7)), "weight": 1.0, "A": mention,
                          "null": rng.random(n) < 0.4})
    out = theme_impact(frame, ["A", "null"], weighted=False).set_index("theme")
    assert out.loc["A", "share_low"] < 25 < out.loc["A", "share_high"]
    assert out.loc["A", "diff_low"] < -60 < out.loc["A", "diff_high"] and out.loc["A", "q"] < 0.001
    assert out.loc["null", "q"] > 0.05


def test_weighted_impact_uses_the_weights_of_the_commenters():
    frame = commenters(PLANTED)
    frame["weight"] = np.where(frame["nps"] <= 6, 2.0, 1.0)          # detractors count twice
    out = theme_impact(frame, ["A"], weighted=True).set_index("theme").loc["A"]
    assert out["share"] == pytest.approx(100 * (360 + 90 + 30) / (360 + 90 + 30 + 280 + 210 + 350))
    assert out["nps_with"] == pytest.approx(100 * (30 - 360) / 480)
    assert out["nps_without"] == pytest.approx(100 * (350 - 280) / 840)
    assert out["n_eff"] == pytest.approx((1320**2) / (320 * 4 + 680))  # Kish: (Σw)²/Σw²


def test_a_group_of_exactly_the_anonymity_base_is_shown_and_one_less_is_hidden():
    size = 2 * ANONYMITY - 1
    frame = pd.DataFrame({"nps": [10.0] * size, "weight": 1.0, "wave": ["a"] * ANONYMITY + ["b"] * (ANONYMITY - 1),
                          "T": [i % 2 == 0 for i in range(size)]})
    shares = theme_shares(frame, ["T"], weighted=False, by="wave").set_index("wave")
    mentions_a = sum(i % 2 == 0 for i in range(ANONYMITY))
    assert not shares.loc["a", "hidden"] and shares.loc["a", "mentions"] == mentions_a and shares.loc["a", "n"] == ANONYMITY
    assert shares.loc["b", "hidden"] and math.isnan(shares.loc["b", "share"])


def test_small_groups_are_hidden_or_untested_and_bh_matches_scipy():
    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame({"nps": rng.integers(0, 11, n).astype(float), "weight": 1.0})
    frame.loc[:9, "nps"] = np.nan                                     # no NPS answer: no NPS side
    frame["tiny"] = np.arange(n) < 13                                 # 3 with an NPS answer: hidden
    frame["small"] = (np.arange(n) >= 100) & (np.arange(n) < 120)     # 20: shown, not tested
    for i, cut in enumerate((0.5, 0.3, 0.2, 0.1)):
        frame[f"t{i}"] = rng.random(n) < cut + 0.3 * (frame["nps"] <= 3 if i % 2 else 0)
    themes = ["tiny", "small", "t0", "t1", "t2", "t3"]
    out = theme_impact(frame, themes, weighted=False).set_index("theme")
    assert out.loc["tiny", "hidden_nps"] and math.isnan(out.loc["tiny", "nps_with"]) and out.loc["tiny", "n_with"] == 3
    assert not out.loc["small", "hidden_nps"] and math.isnan(out.loc["small", "p"]) and math.isnan(out.loc["small", "q"])
    tested = ["t0", "t1", "t2", "t3"]
    expected = scipy_stats.false_discovery_control(out.loc[tested, "p"].to_numpy(), method="bh")
    assert out.loc[tested, "q"].to_numpy() == pytest.approx(expected)


def test_theme_by_touchpoint_counts_commenters_who_rated_it_and_hides_small_bases():
    frame = pd.DataFrame({"key": range(20), "weight": 1.0, "A": [k < 6 for k in range(20)]})
    rated = pd.DataFrame({"key": list(range(20)) + [0, 1, 2, 3] + [0], "touchpoint": ["Hotline"] * 20 + ["Filiale"] * 4 + ["Hotline"]})
    out = theme_by_touchpoint(frame, rated, ["A"], weighted=False).set_index("touchpoint")
    assert out.loc["Hotline", "n"] == 20 and out.loc["Hotline", "share"] == pytest.approx(30.0)
    assert out.loc["Filiale", "hidden"] and out.loc["Filiale", "n"] == 4 and math.isnan(out.loc["Filiale", "share"])


def test_theme_trend_per_wave_in_wave_order():
    frame = pd.DataFrame({"wave": ["2025"] * 10 + ["2024"] * 8, "wave_no": [2] * 10 + [1] * 8, "weight": 1.0,
                          "A": [True] * 5 + [False] * 5 + [True] * 2 + [False] * 6})
    out = theme_trend(frame, ["A"], weighted=False)
    assert out["wave"].tolist() == ["2024", "2025"]
    assert out["share"].tolist() == pytest.approx([25.0, 50.0])


# --- read from the database (tpm.comments.figures) ------------------------------------------------------------

def wait_theme(con):
    """The real code frame: theme "wait" (rule: Warteschleife) and "empty" (no rule) in study 1, "other" in study 2,
    coded by tpm.comments.themes over the stored lemmas."""
    from tpm.comments.themes import Theme, add_theme

    add_theme(con, 1, Theme("wait", words=("Warteschleife",), label_de="Wartezeit", label_en="Waiting"))
    add_theme(con, 1, Theme("empty"))
    add_theme(con, 2, Theme("other"))


def study_with_comments(con):
    """Study 1, waves 2024 (dataset 1) and 2025 (dataset 2); dataset 3 belongs to study 2. Respondent r of a
    dataset: NPS 2 (detractor) for even r < 20, 10 (promoter) for odd r < 20, 7 from 20 on; Hotline rated 1 by
    detractors and 5 by promoters (1–5 scale); comments: detractors say "Warteschleife ewig", promoters "Beratung
    freundlich", passives "Beratung"; respondent 0 of each dataset comments twice. Lemmas and folded text are
    filled by the import's own rule (tpm.store.comment_text.fill)."""
    from tpm.store.comment_text import fill

    con.execute("INSERT INTO studies (id, name, created_at) VALUES (1, 'S1', now()::TIMESTAMP), (2, 'S2', now()::TIMESTAMP)")
    for ds, study, wave in ((1, 1, "2024"), (2, 1, "2025"), (3, 2, "x")):
        con.execute("INSERT INTO datasets (id, study_id, name, source_file, sha256, wave, uploaded_at, rows, mapping, report) "
                    "VALUES (?, ?, ?, 'f', ?, ?, TIMESTAMP '2026-01-01' + INTERVAL (?) DAY, 30, '[]', '{}')",
                    [ds, study, f"d{ds}", f"h{ds}", wave, ds])
        con.execute("INSERT INTO respondents (dataset_id, resp, respondent_id, responded_at, nps, weight) "
                    "SELECT ?, i, 'r' || i, TIMESTAMP '2026-01-01' + INTERVAL (?) DAY, "
                    "CASE WHEN i >= 20 THEN 7 WHEN i % 2 = 0 THEN 2 ELSE 10 END, CASE WHEN i % 2 = 0 THEN 2.0 ELSE 1.0 END "
                    "FROM range(30) t(i)", [ds, ds])
        con.execute("INSERT INTO ratings SELECT ?, i, 'Hotline', CASE WHEN i % 2 = 0 THEN 1 ELSE 5 END, 1, 5 "
                    "FROM range(20) t(i)", [ds])
        con.execute("INSERT INTO comments (dataset_id, resp, question, text) SELECT ?, i, 'Warum?', CASE WHEN i >= 20 "
                    "THEN 'Beratung' WHEN i % 2 = 0 THEN 'Die Warteschleife war ewig' ELSE 'Beratung sehr freundlich' END "
                    "FROM range(30) t(i) UNION ALL SELECT ?, 0, 'Sonst?', 'Warteschleife'", [ds, ds])
        con.execute("INSERT INTO segments SELECT ?, i, 'Region', CASE WHEN i < 10 THEN 'Nord' ELSE 'Süd' END "
                    "FROM range(30) t(i)", [ds])
    fill(con)


def test_docs_from_the_database_take_the_stored_lemmas(con):
    from tpm.comments.figures import suggestion_docs
    from tpm.metrics.filters import Filter
    from tpm.text.lemmas import lemmas

    study_with_comments(con)
    flt = Filter.of(study=1, weighted=False)
    docs = suggestion_docs(con, flt, stop=frozenset())
    assert len(docs) == 62                                        # 2 × (30 + 1); study 2 left out
    first = docs.iloc[0]                                          # dataset 1, respondent 0, "Sonst?" < "Warum?"
    assert (first["text"], first["group"], first["terms"]) == ("Warteschleife", "a", ["warteschleife"])
    said = lemmas("Die Warteschleife war ewig")                   # the Python side of the import's lemmas
    assert docs.loc[docs["text"] == "Die Warteschleife war ewig", "terms"].iloc[0] == \
        said + [f"{a} {b}" for a, b in pairwise(said)]
    assert docs["group"].value_counts().to_dict() == {"a": 22, "b": 20}
    docs = suggestion_docs(con, flt, "low:Hotline", stop=frozenset({said[0], said[2]}))
    assert docs.loc[docs["text"] == "Die Warteschleife war ewig", "terms"].iloc[0] == \
        [said[1], said[3], f"{said[1]} {said[3]}"]
    assert docs["group"].value_counts().to_dict() == {"a": 22, "b": 20}   # bottom box 1–2 / top box 4–5 of 1–5
    with pytest.raises(ValueError, match="low:TOUCHPOINT"):
        suggestion_docs(con, flt, "lowest")


def test_suggestions_and_impact_from_the_database(con, monkeypatch):
    from tpm.comments.figures import impact, suggestion_docs, suggestions, theme_by_segment
    from tpm.metrics.filters import Filter

    study_with_comments(con)
    terms = suggestions(con, Filter.of(study=1, weighted=True))
    assert terms["term"].iloc[0] in {"warteschleife", "ewig", "warteschleife ewig"}  # "der", "sein": stop words
    row = terms.set_index("term").loc["warteschleife"]
    assert row["count_a"] == 2 * 22 and row["n_a"] == 22          # weight 2 on even respondents (all detractors)
    assert row["example_texts"] == ["Warteschleife"] * 2 + ["Die Warteschleife war ewig"]
    # the examples go through the one masking rule (tpm.text.mask.mask; a stand-in here marks what it was given)
    monkeypatch.setattr("tpm.comments.figures.mask", lambda text: f"masked({text})")
    masked = suggestions(con, Filter.of(study=1, weighted=True)).set_index("term").loc["warteschleife", "example_texts"]
    assert masked == ["masked(Warteschleife)"] * 2 + ["masked(Die Warteschleife war ewig)"]
    monkeypatch.undo()

    docs = suggestion_docs(con, Filter.of(study=1, weighted=True), stop=frozenset({"der"}))
    by_pandas = distinctive_terms(docs, min_count=2).set_index("term")
    by_duckdb = suggestions(con, Filter.of(study=1, weighted=True), stop=frozenset({"der"}), min_count=2).set_index("term")
    assert list(by_duckdb.index) == list(by_pandas.index)           # the same terms in the same order
    columns = ["count", "count_a", "count_b", "n_a", "n_b", "delta", "se", "z"]
    assert np.allclose(by_duckdb[columns].to_numpy(float), by_pandas[columns].to_numpy(float))
    assert by_duckdb["examples"].tolist() == by_pandas["examples"].tolist()

    wait_theme(con)
    result = impact(con, Filter.of(study=1, weighted=False), lang="en")
    assert result.commenters == 60 and not result.weighted
    table = result.table.set_index("theme")
    assert list(table.index) == ["Waiting", "empty"]              # study 2's theme is not this study's
    # respondent 0 commented twice about waiting: counted once; 10 detractors per wave of 30 commenters
    assert table.loc["Waiting", "mentions"] == 20 and table.loc["Waiting", "share"] == pytest.approx(100 * 20 / 60)
    assert table.loc["Waiting", "nps_with"] == pytest.approx(-100) and table.loc["Waiting", "n_without"] == 40
    assert table.loc["empty", "mentions"] == 0
    trend = result.trend.set_index(["theme", "wave"])
    assert trend.loc[("Waiting", "2024"), "share"] == pytest.approx(100 / 3) and list(result.trend["wave"][:2]) == ["2024", "2024"]
    by_tp = result.by_touchpoint.set_index(["theme", "touchpoint"])
    assert by_tp.loc[("Waiting", "Hotline"), "n"] == 40 and by_tp.loc[("Waiting", "Hotline"), "share"] == pytest.approx(50)
    by_region = theme_by_segment(con, Filter.of(study=1, weighted=False), "Region", "en").set_index(["theme", "value"])
    # Nord: respondents 0–9 of each wave, 5 of them detractors (even); Süd: 10–29, 5 detractors
    assert by_region.loc[("Waiting", "Nord"), "n"] == 20 and by_region.loc[("Waiting", "Nord"), "share"] == pytest.approx(50)
    assert by_region.loc[("Waiting", "Süd"), "n"] == 40 and by_region.loc[("Waiting", "Süd"), "share"] == pytest.approx(25)
    weighted = impact(con, Filter.of(study=1, weighted=True)).table.set_index("theme")
    assert weighted.loc["Wartezeit", "share"] == pytest.approx(100 * 40 / 90)
    # Σw of the 20 detractors: 2·20; of all: per wave 10 detractors · 2 + 10 promoters · 1 + 5 even passives · 2 + 5 odd · 1


# --- figures and tables ---------------------------------------------------------------------------------------


def test_charts_hide_small_bases_escape_theme_names_and_colour_only_significant_gaps():
    from tpm.charts.comments import impact_chart, theme_touchpoint_heatmap, theme_trend_chart
    from tpm.report.comment_tables import impact_table

    frame = commenters(PLANTED).rename(columns={"A": "<b>Warten</b>"})
    frame["tiny"] = np.arange(len(frame)) < 3
    frame["key"], frame["wave"] = np.arange(len(frame)), np.where(np.arange(len(frame)) % 2, "2025", "2024")
    themes = ["<b>Warten</b>", "B", "tiny"]
    table = theme_impact(frame, themes, weighted=False)
    fig = impact_chart(table, "en")
    assert list(fig.data[0].y) == ["&lt;b&gt;Warten&lt;/b&gt;", "B"]          # tiny: NPS hidden, not drawn
    assert list(fig.data[0].marker.color) == ["#d73027", "#1f6f8b"]           # significant loss red, null blue
    assert fig.layout.title.text == "NPS difference per theme (with 95% CI)"
    assert impact_chart(table, "de").layout.xaxis.title.text.startswith("NPS Erwähnende minus")
    rated = pd.DataFrame({"key": list(frame["key"]) + [0, 1, 2], "touchpoint": ["Hotline"] * len(frame) + ["Filiale"] * 3})
    heat = theme_touchpoint_heatmap(theme_by_touchpoint(frame, rated, themes, weighted=False), "de")
    assert heat.data[0].text[0] == ["30", "·"] and np.isnan(heat.data[0].z[0][1]) and heat.data[1].z[0][1] == 1
    assert "<b>" not in "".join(heat.data[0].y)
    trend = theme_trend_chart(theme_trend(frame, themes, weighted=False), "en")
    assert {d.name for d in trend.data if d.name} == {"&lt;b&gt;Warten&lt;/b&gt;", "B", "tiny"}
    shown = impact_table(table, "en").frame
    assert list(shown["Theme"]) == themes and shown.loc[0, "Difference"] == pytest.approx(-80)


def _tabs_script():
    """AppTest script: both tabs of the comment statistics on the database of $TPM_DB (study 1, themes coded)."""
    import streamlit as st

    from pages._comment_stats import impact_tab, suggestions_tab
    from pages._db import cursor
    from pages._ui import Context
    from tpm.metrics.filters import Filter

    lang = st.query_params.get("lang", "de")
    ctx = Context(lang=lang, flt=Filter.of(study=1, weighted=False, compact=False), version="v1", has_data=True, study=1)
    suggestions_tab(cursor(), ctx)
    impact_tab(cursor(), ctx)


def test_the_tabs_render_terms_impact_heatmap_and_trend(con, db_path, monkeypatch):
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    study_with_comments(con)
    wait_theme(con)
    compact.refresh(con, [1, 2, 3])                                 # the segment names the page offers
    con.close()
    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_function(_tabs_script, default_timeout=30)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader[0].value == "Words detractors use more often"
    assert len(at.get("plotly_chart")) == 4                      # impact, theme × touchpoint, × region, over the waves
    assert "warteschleife" in at.dataframe[0].value.iloc[:, 0].tolist()
    at.radio(key="cs_compare").set_value("low").run()
    assert not at.exception and at.subheader[0].value == "Words low raters of 'Hotline' use more often"
    # one click makes a suggested term a theme of the study: stored through perform, and the comments coded at once
    term = at.selectbox(key="cs_pick_term").options[0]
    at.selectbox(key="cs_pick_term").set_value(term).run()
    at.button(key="cs_make_theme").click().run()
    assert not at.exception, [e.value for e in at.exception]
    check = store.connect(db_path)
    _theme_id, coded = check.execute(
        "SELECT t.id, (SELECT count(*) FROM comment_themes c WHERE c.theme_id = t.id) FROM themes t "
        "WHERE t.study_id = 1 AND t.name = ?", [term]).fetchone()
    assert coded >= 5                                            # a suggested term occurs in at least 5 comments
    assert check.execute("SELECT count(*) FROM audit WHERE action = 'theme.add'").fetchone()[0] == 1
    check.close()


def test_a_term_is_shown_as_a_reader_spells_it():
    from tpm.text.lemmas import lemma, readable

    texts = ["Das Gerät wurde beschädigt geliefert.", "Größere Pakete"]
    folded = " ".join(lemma(w) for w in ("beschädigt", "geliefert"))
    assert folded == "beschadigen liefern"                      # what the statistics count: folded lemmas
    assert readable(folded, texts) == "beschädigen liefern"     # what the analyst reads
    assert readable("zeppelin", texts) == "zeppelin"            # no word of the texts gives it: unchanged
