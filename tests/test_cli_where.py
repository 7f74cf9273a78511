"""``--where QUESTION=VALUE`` on every read command, a touchpoint asked on two scales in the
segment and trend outputs, and raking refused on a multiple-choice margin (issue #20, items 7, 9
and the raking row).

The files are made here from a seeded generator; every expected figure is computed with plain
pandas over the generated rows (never through TPM's own code) and the CLI runs in-process.
"""

from __future__ import annotations

import json
from itertools import permutations

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import german_csv_bytes

from tpm import store

NPS_HEADER = "Wie wahrscheinlich ist es, dass Sie uns weiterempfehlen? (0-10)"
OPTIONS = ["Filiale", "Online", "Telefon"]
REGIONS = ["Nord", "Süd", "Ost", ""]  # "": no answer (no segment value)


def survey(seed: int, n: int, hotline_top: int, multiple_choice: bool = False) -> pd.DataFrame:
    """One wave's raw rows: the truth the tests compute from. The Hotline is asked on 1–``hotline_top``;
    recommendation depends on the ratings (so the drivers have something to find)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        website, filiale, hotline = (int(rng.integers(1, 11)), int(rng.integers(1, 6)), int(rng.integers(1, hotline_top + 1)))
        region = str(rng.choice(REGIONS, p=[0.35, 0.3, 0.25, 0.1]))
        if region == "Nord":  # a planted segment difference: the North likes the Hotline
            hotline = max(hotline, hotline_top - 1)
        nps = int(np.clip(round(website * 0.5 + filiale * 0.6 + hotline * 3 / hotline_top + rng.normal(0, 1.5)), 0, 10))
        row = {"ID": f"K{i:04d}", "Region": region,
               "Kundenart": str(rng.choice(["Privat", "Gewerbe"])),
               "Hotline": np.nan if rng.random() < 0.1 else hotline,
               "Website": np.nan if rng.random() < 0.15 else website,
               "Filiale": np.nan if rng.random() < 0.2 else filiale, "NPS": nps, "hotline_top": hotline_top}
        if multiple_choice:
            row |= {f"Kanal:{o}": bool(rng.random() < p) for o, p in zip(OPTIONS, (0.5, 0.4, 0.3))}
        rows.append(row)
    return pd.DataFrame(rows)


def csv_file(path, frame: pd.DataFrame) -> None:
    """``frame`` as a German Excel CSV export (blank = no answer; a multiple-choice option "Ja" or blank)."""
    top = int(frame["hotline_top"].iloc[0])
    mc = [o for o in OPTIONS if f"Kanal:{o}" in frame]
    header = ["ID", "Region", "Kundenart", *[f"Kanal [{o}]" for o in mc], f"Zufriedenheit Hotline (1-{top})",
              "Zufriedenheit Website (1-10)", "Zufriedenheit Filiale (1-5)", NPS_HEADER]
    cell = lambda v: "" if pd.isna(v) else int(v)  # noqa: E731
    rows = [[r["ID"], r["Region"], r["Kundenart"], *["Ja" if r[f"Kanal:{o}"] else "" for o in mc], cell(r["Hotline"]),
             cell(r["Website"]), cell(r["Filiale"]), r["NPS"]] for _, r in frame.iterrows()]
    path.write_bytes(german_csv_bytes([header, *rows]))


@pytest.fixture
def two_waves(cli, db_path, tmp_path):
    """Wave 1 asks the Hotline on 1–5, wave 2 on 1–10; both have a multiple-choice question "Kanal"."""
    w1, w2 = survey(1, 400, 5, True).assign(wave="welle1"), survey(2, 400, 10, True).assign(wave="welle2")
    csv_file(tmp_path / "welle1.csv", w1)
    csv_file(tmp_path / "welle2.csv", w2)
    out = cli("ingest", tmp_path / "welle1.csv", tmp_path / "welle2.csv", "--db", db_path, "--study", "Kunden")
    assert out.returncode == 0, out.stderr
    return pd.concat([w1, w2], ignore_index=True)


@pytest.fixture
def plain_waves(cli, db_path, tmp_path):
    """The same two waves without a multiple-choice question."""
    w1, w2 = survey(3, 400, 5).assign(wave="welle1"), survey(4, 400, 10).assign(wave="welle2")
    csv_file(tmp_path / "welle1.csv", w1)
    csv_file(tmp_path / "welle2.csv", w2)
    out = cli("ingest", tmp_path / "welle1.csv", tmp_path / "welle2.csv", "--db", db_path, "--study", "Kunden")
    assert out.returncode == 0, out.stderr
    return pd.concat([w1, w2], ignore_index=True)


# --- plain pandas: the truth --------------------------------------------------------------------

def long_ratings(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per rating: touchpoint, scale (lo, hi), score, with the respondent's columns."""
    parts = []
    for name, top in (("Hotline", None), ("Website", 10), ("Filiale", 5)):
        part = raw[raw[name].notna()].assign(touchpoint=name, score=lambda f, c=name: f[c].astype(float))
        part["hi"] = part["hotline_top"] if top is None else top
        parts.append(part)
    return pd.concat(parts, ignore_index=True).assign(lo=1)


def nps_of(values: pd.Series) -> float:
    return 100 * ((values >= 9).mean() - (values <= 6).mean())


def label(name: str, lo: int, hi: int, several: bool) -> str:
    return f"{name} ({lo}–{hi})" if several else name


def run_json(cli, *args):
    out = cli(*args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


# --- (a) --where ----------------------------------------------------------------------------------

@pytest.mark.parametrize("where, pick, named", [
    (["Region=Nord"], lambda f: f["Region"] == "Nord", {"Region": ["Nord"]}),
    (["Region=Nord", "Region=Süd"], lambda f: f["Region"].isin(["Nord", "Süd"]), {"Region": ["Nord", "Süd"]}),  # OR
    (["Region=Nord", "Kundenart=Gewerbe"], lambda f: (f["Region"] == "Nord") & (f["Kundenart"] == "Gewerbe"),
     {"Kundenart": ["Gewerbe"], "Region": ["Nord"]}),  # AND
    ([" region = süd "], lambda f: f["Region"] == "Süd", {"Region": ["Süd"]}),  # case and spacing as typed in a shell
])
def test_where_summary_equals_plain_pandas(cli, db_path, plain_waves, where, pick, named):
    args = [a for w in where for a in ("--where", w)]
    data = run_json(cli, "summary", "--db", db_path, "--json", *args)
    chosen = plain_waves[pick(plain_waves)]
    assert data["respondents"] == len(chosen)
    assert data["nps"]["n"] == len(chosen)
    assert data["nps"]["score"] == pytest.approx(nps_of(chosen["NPS"]), abs=1e-3)
    truth = long_ratings(chosen).groupby(["touchpoint", "lo", "hi"])["score"].agg(["size", "mean"])
    got = {(tp["name"], tp["scale_min"], tp["scale_max"]): (tp["n"], tp["mean"]) for tp in data["touchpoints"]}
    assert set(got) == set(truth.index)
    for key, (n, mean) in got.items():
        assert n == truth.loc[key, "size"] and mean == pytest.approx(truth.loc[key, "mean"], abs=1e-3), key
    assert data["where"] == named
    text = cli("summary", "--db", db_path, *args).stdout
    assert text.splitlines()[0].startswith("where: ") and f"respondents: {len(chosen)}" in text


def test_where_segments_trend_drivers_report_equal_plain_pandas(cli, db_path, plain_waves, tmp_path):
    nord = plain_waves[plain_waves["Region"] == "Nord"]
    ratings = long_ratings(nord)
    # segments by Kundenart among Nord: every cell and its difference to the rest
    data = run_json(cli, "segments", "--by", "Kundenart", "--where", "Region=Nord", "--db", db_path, "--json")
    assert data["where"] == {"Region": ["Nord"]}
    assert len(data["cells"]) == 4 * 2  # Hotline on two scales, Website, Filiale × Privat, Gewerbe
    for cell in data["cells"]:
        expected_name = "Hotline (1–{})".format(cell["scale_max"]) if cell["touchpoint"].startswith("Hotline") else None
        assert cell["touchpoint"] == (expected_name or cell["touchpoint"])
        name = cell["touchpoint"].split(" (")[0]
        raters = ratings[(ratings["touchpoint"] == name) & (ratings["lo"] == cell["scale_min"]) & (ratings["hi"] == cell["scale_max"])]
        inside = raters[raters["Kundenart"] == cell["segment"]]
        rest = raters[raters["Kundenart"] != cell["segment"]]
        assert cell["n"] == len(inside) > 0
        assert cell["value"] == pytest.approx(inside["score"].mean(), abs=1e-3)
        assert cell["diff"] == pytest.approx(inside["score"].mean() - rest["score"].mean(), abs=1e-3)
    # trend among Süd: NPS and every touchpoint per wave
    sued = plain_waves[plain_waves["Region"] == "Süd"]
    data = run_json(cli, "trend", "--metric", "mean", "--where", "Region=Süd", "--db", db_path, "--json")
    assert [(r["wave"], r["n"]) for r in data["nps"]] == [(w, len(g)) for w, g in sued.groupby("wave")]
    for r, (_, g) in zip(data["nps"], sued.groupby("wave")):
        assert r["value"] == pytest.approx(nps_of(g["NPS"]), abs=1e-3)
    truth = long_ratings(sued).groupby(["touchpoint", "lo", "hi", "wave"])["score"].agg(["size", "mean"])
    assert len(data["touchpoints"]) == len(truth)
    for r in data["touchpoints"]:
        name = r["touchpoint"].split(" (")[0]
        n, mean = truth.loc[(name, r["scale_min"], r["scale_max"], r["wave"])]
        assert (r["n"], r["value"]) == (n, pytest.approx(mean, abs=1e-3))
    # drivers among Nord in wave 1 (listwise: Shapley shares of R² by least squares over the complete rows)
    data = run_json(cli, "drivers", "--where", "Region=Nord", "--dataset", "welle1", "--missing", "listwise",
                    "--db", db_path, "--json")
    complete = nord[nord["wave"] == "welle1"].dropna(subset=["Hotline", "Website", "Filiale"])
    assert data["n"] == len(complete)
    shares = shapley_shares(complete, ["Hotline", "Website", "Filiale"], "NPS")
    assert {d["name"]: d["share"] for d in data["drivers"]} == pytest.approx(shares, abs=1e-2)
    # the report: its data sheet holds exactly the Nord respondents
    out = cli("report", "--where", "Region=Nord", "--lang", "en", "--out", tmp_path / "nord.xlsx", "--db", db_path)
    assert out.returncode == 0, out.stderr
    from tpm.i18n import t

    sheet = openpyxl.load_workbook(tmp_path / "nord.xlsx", read_only=True)[t("sheet_data", "en")]
    rows = list(sheet.iter_rows(values_only=True))
    region = rows[0].index("Region")
    assert len(rows) - 1 == len(nord) and {r[region] for r in rows[1:]} == {"Nord"}
    cover = openpyxl.load_workbook(tmp_path / "nord.xlsx", read_only=True).worksheets[0]
    assert "Region: Nord" in {v for row in cover.iter_rows(values_only=True) for v in row}  # the report says so


def shapley_shares(frame: pd.DataFrame, drivers: list[str], outcome: str) -> dict[str, float]:
    """Shapley decomposition of R² (OLS with intercept, numpy) over every order of the drivers, in % of R²."""
    y = frame[outcome].to_numpy(float)

    def r2(subset):
        if not subset:
            return 0.0
        x = np.column_stack([np.ones(len(y)), frame[list(subset)].to_numpy(float)])
        fitted = x @ np.linalg.lstsq(x, y, rcond=None)[0]
        return 1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum()

    value = dict.fromkeys(drivers, 0.0)
    orders = list(permutations(drivers))
    for order in orders:
        for i, d in enumerate(order):
            value[d] += (r2(order[:i + 1]) - r2(order[:i])) / len(orders)
    total = sum(value.values())
    return {d: 100 * v / total for d, v in value.items()}


def test_where_option_of_a_multiple_choice_question(cli, db_path, two_waves):
    """An option of a multiple-choice question filters like a segment value (respondents who ticked
    it); two options of one question are OR'd, with an ordinary segment AND'd."""
    for where, pick in ((["Kanal=Telefon"], lambda f: f["Kanal:Telefon"]),
                        (["Kanal=Filiale", "Kanal=Online"], lambda f: f["Kanal:Filiale"] | f["Kanal:Online"]),
                        (["Kanal=Online", "Region=Nord"], lambda f: f["Kanal:Online"] & (f["Region"] == "Nord"))):
        chosen = two_waves[pick(two_waves)]
        data = run_json(cli, "summary", "--db", db_path, "--json", *[a for w in where for a in ("--where", w)])
        assert (data["respondents"], data["nps"]["n"]) == (len(chosen), len(chosen)), where
        assert data["nps"]["score"] == pytest.approx(nps_of(chosen["NPS"]), abs=1e-3), where
        truth = long_ratings(chosen).groupby(["touchpoint", "lo", "hi"])["score"].agg(["size", "mean"])
        for tp in data["touchpoints"]:
            n, mean = truth.loc[(tp["name"], tp["scale_min"], tp["scale_max"])]
            assert (tp["n"], tp["mean"]) == (n, pytest.approx(mean, abs=1e-3)), (where, tp["name"])


@pytest.mark.parametrize("command", [["summary"], ["drivers"], ["segments", "--by", "Kundenart"], ["trend"],
                                     ["report", "--out", "never.xlsx"]])
def test_where_errors_name_the_question_or_value_and_list_the_valid_ones(cli, db_path, plain_waves, tmp_path, command):
    command = [a if a != "never.xlsx" else str(tmp_path / a) for a in command]
    cases = [("Regio=Nord", "no question 'Regio'; questions: Kundenart, Region"),
             ("Region=West", "'Region' has no value 'West'; values: Nord, Ost, Süd"),
             ("Region", "write QUESTION=VALUE"), ("=Nord", "write QUESTION=VALUE"), ("Region=", "write QUESTION=VALUE")]
    for where, message in cases:
        out = cli(*command, "--db", db_path, "--where", where)
        assert out.returncode == 2, (command, where)
        assert out.stdout == "" and len(out.stderr.strip().splitlines()) == 1, (command, where)
        assert message in out.stderr and f"--where '{where}'" in out.stderr, out.stderr
    assert not (tmp_path / "never.xlsx").exists()


def test_where_values_are_those_of_the_chosen_datasets(cli, db_path, tmp_path):
    """As the sidebar offers only the values in the chosen datasets, --where checks against them."""
    csv_file(tmp_path / "a.csv", survey(5, 60, 5).assign(Region="Nord"))
    csv_file(tmp_path / "b.csv", survey(6, 60, 5).assign(Region="Süd"))
    assert cli("ingest", tmp_path / "a.csv", tmp_path / "b.csv", "--db", db_path, "--study", "S").returncode == 0
    assert run_json(cli, "summary", "--db", db_path, "--json", "--where", "Region=Süd")["respondents"] == 60
    out = cli("summary", "--db", db_path, "--dataset", "a", "--where", "Region=Süd")
    assert out.returncode == 2 and "'Region' has no value 'Süd'; values: Nord" in out.stderr


# --- (b) a touchpoint asked on two scales -------------------------------------------------------

def test_touchpoint_on_two_scales_is_named_with_its_scale(cli, db_path, plain_waves):
    ratings = long_ratings(plain_waves)
    data = run_json(cli, "segments", "--by", "Region", "--db", db_path, "--json")
    hotline = [c for c in data["cells"] if c["touchpoint"].startswith("Hotline")]
    assert {c["touchpoint"] for c in hotline} == {"Hotline (1–5)", "Hotline (1–10)"}
    assert {c["touchpoint"] for c in data["cells"]} - {"Hotline (1–5)", "Hotline (1–10)"} == {"Website", "Filiale"}
    for c in hotline:
        top = int(c["touchpoint"][-3:-1].lstrip("–"))
        assert c["scale_max"] == top
        raters = ratings[(ratings["touchpoint"] == "Hotline") & (ratings["hi"] == top) & (ratings["Region"] == c["segment"])]
        assert (c["n"], c["value"]) == (len(raters), pytest.approx(raters["score"].mean(), abs=1e-3))
    text = cli("segments", "--by", "Region", "--db", db_path).stdout
    nord = [line.split() for line in text.splitlines() if " Nord " in line and "Hotline" in line]
    assert sorted((parts[1], float(parts[4])) for parts in nord) == sorted(
        (f"(1–{top})", pytest.approx(g["score"].mean(), abs=0.005))
        for top, g in ratings[(ratings["touchpoint"] == "Hotline") & (ratings["Region"] == "Nord")].groupby("hi"))
    # trend: one row per wave and scale, named with it; score 0–100 by hand
    data = run_json(cli, "trend", "--db", db_path, "--json")
    rows = {(r["touchpoint"], r["wave"]): r for r in data["touchpoints"]}
    for (wave, top), g in ratings[ratings["touchpoint"] == "Hotline"].groupby(["wave", "hi"]):
        r = rows[(f"Hotline (1–{top})", wave)]
        assert (r["n"], r["value"]) == (len(g), pytest.approx(((g["score"] - 1) / (top - 1) * 100).mean(), abs=1e-3))
        assert r["change"] is None  # the other scale's wave is no step of this series
    assert ("Website", "welle2") in rows and rows[("Website", "welle2")]["change"] is not None
    text = cli("trend", "--db", db_path).stdout
    assert "Hotline (1–5)" in text and "Hotline (1–10)" in text


def test_two_scales_in_the_report_heatmap_and_tables(cli, db_path, plain_waves, tmp_path):
    from tpm.charts.heatmap import heatmap_table
    from tpm.metrics import Filter
    from tpm.metrics.segments import breakdown_and_totals
    from tpm.metrics.trend import biggest_movers, touchpoint_trend
    from tpm.report.tables import movers_table, segment_differences_table

    out = cli("report", "--lang", "en", "--out", tmp_path / "r.xlsx", "--db", db_path)
    assert out.returncode == 0, out.stderr
    workbook = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    texts = {str(v) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None}
    assert {"Hotline (1–5)", "Hotline (1–10)"} <= texts
    con = store.connect(db_path, read_only=True)
    try:
        cells, totals = breakdown_and_totals(con, Filter(), "Region", "mean")
        trend = touchpoint_trend(con, Filter(), "mean")
    finally:
        con.close()
    matrix = heatmap_table(cells, totals, "Total")
    ratings = long_ratings(plain_waves)
    for top in (5, 10):
        raters = ratings[(ratings["touchpoint"] == "Hotline") & (ratings["hi"] == top)]
        assert matrix["value"].loc[f"Hotline (1–{top})", "Total"] == pytest.approx(raters["score"].mean())
        assert matrix["n"].loc[f"Hotline (1–{top})", "Ost"] == (raters["Region"] == "Ost").sum()
    assert "Website" in matrix["value"].index
    everything = cells.assign(flag="higher")  # every cell shown
    assert {"Hotline (1–5)", "Hotline (1–10)"} <= set(segment_differences_table(everything, "en").frame.iloc[:, 1])
    movers = biggest_movers(trend)
    assert not movers["touchpoint"].eq("Hotline").any()  # no step from one scale to the other
    assert "Hotline" not in set(movers_table(movers, "mean", "Mean", "en").frame.iloc[:, 0])


def test_scale_labelled_rule_by_hand():
    from tpm.formatting import scale_labelled, shortened

    cells = pd.DataFrame({"touchpoint": ["Hotline", "Hotline", "Web"], "scale_min": [1, 1, 1], "scale_max": [5, 10, 10]})
    totals = pd.DataFrame({"touchpoint": ["Web", "App"], "scale_min": [1, 0], "scale_max": [10, 10]})
    once = pd.DataFrame({"touchpoint": ["Web"], "scale_min": [1], "scale_max": [5]})
    a, b, c = scale_labelled(cells, totals, once)
    assert list(a["touchpoint"]) == ["Hotline (1–5)", "Hotline (1–10)", "Web (1–10)"]
    assert list(b["touchpoint"]) == ["Web (1–10)", "App"]
    assert list(c["touchpoint"]) == ["Web (1–5)"]  # several scales across the frames taken together
    assert list(scale_labelled(once)[0]["touchpoint"]) == ["Web"]
    assert list(scale_labelled(a)[0]["touchpoint"]) == list(a["touchpoint"])  # twice = once
    assert list(cells["touchpoint"]) == ["Hotline", "Hotline", "Web"]  # the input is left as it was
    assert shortened("Zufriedenheit mit der Hotline (1–10)", 24) == "Zufriedenheit mi… (1–10)"
    assert shortened("Hotline (1–10)", 24) == "Hotline (1–10)"
    from tpm.charts.common import short

    long = "Zufriedenheit mit der telefonischen Hotline am Wochenende"
    assert short(long + " (1–10)", 30, 1) == "Zufriedenheit mit der… (1–10)"  # chart labels keep the scale too
    assert short(long, 30, 1) == "Zufriedenheit mit der…"


def test_two_scales_on_the_pages(db_path, plain_waves, monkeypatch):
    """Heatmap, Segments and Tracking pages: a row (a line, a choice) per scale, named with it."""
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TPM_DB", str(db_path))
    monkeypatch.chdir(ROOT)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["lang"] = "en"
    app.run()
    labels = {"Hotline (1–5)", "Hotline (1–10)"}
    app.switch_page("pages/heatmap.py").run()
    assert not app.exception, [e.value for e in app.exception]
    rows = {str(y) for chart in app.get("plotly_chart") for trace in json.loads(chart.proto.spec)["data"]
            for y in trace.get("y") or []}
    assert labels <= {r.replace("<br>", " ") for r in rows}, rows
    app.switch_page("pages/segments.py").run()
    assert not app.exception, [e.value for e in app.exception]
    table = app.dataframe[0].value  # the planted North–Hotline difference, on both scales
    assert labels <= set(table["Touchpoint"]) and "Hotline" not in set(table["Touchpoint"])
    app.switch_page("pages/tracking.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert labels <= set(app.multiselect(key="trend_tp").options)
    assert "Hotline" not in app.multiselect(key="trend_tp").options


# --- (c) raking on a multiple-choice question -----------------------------------------------------

def test_raking_on_a_multiple_choice_question_is_refused_with_its_name(cli, db_path, two_waves, tmp_path):
    margins = tmp_path / "ziele.csv"
    margins.write_text("variable,value,share\nRegion,Nord,40\nRegion,Süd,30\nRegion,Ost,30\n"
                       "Kanal,Filiale,40\nKanal,Online,35\nKanal,Telefon,25\n", encoding="utf-8")
    con = store.connect(db_path, read_only=True)
    before = con.execute("SELECT count(*) FILTER (WHERE weight IS NOT NULL), (SELECT count(*) FROM weight_sets) "
                         "FROM respondents").fetchone()
    con.close()
    out = cli("weights", "--db", db_path, "--dataset", "welle1", "--margins", margins)
    assert out.returncode == 2 and out.stdout == "" and len(out.stderr.strip().splitlines()) == 1
    several = int((two_waves[two_waves["wave"] == "welle1"][[f"Kanal:{o}" for o in OPTIONS]].sum(axis=1) > 1).sum())
    assert "'ziele.csv', row 5, column 'variable': 'Kanal' is a multiple-choice question" in out.stderr
    assert f"({several} respondent(s) ticked more than one option)" in out.stderr
    assert "leave 'Kanal' out of the margins" in out.stderr and "Traceback" not in out.stderr
    con = store.connect(db_path, read_only=True)
    after = con.execute("SELECT count(*) FILTER (WHERE weight IS NOT NULL), (SELECT count(*) FROM weight_sets) "
                        "FROM respondents").fetchone()
    con.close()
    assert after == before == (0, 0)
