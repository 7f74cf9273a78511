"""Closing the loop measured (tpm.followup.loop): planted cases with known close times and SLAs, planted repeat
customers whose NPS moves by known amounts, small groups hidden, the CLI and the report's Cases sheet."""

from __future__ import annotations

import io
import json
import math

import openpyxl
import pytest

from tpm import store
from tpm.followup.loop import case_flow, followed_up_effect
from tpm.metrics.rules import ANONYMITY

Z = 1.959963984540054  # the 97.5 % quantile of the standard normal


def plant_study(con, study=1, name="Kunden", waves=(("Frühjahr", "2026-04-15"), ("Winter", "2026-01-15"))):
    """A study and its datasets (ids from 10·study); the first dataset's responses are *later* than the second's,
    so wave order must come from the dates, not the ids."""
    con.execute("INSERT INTO studies (id, name, created_at) VALUES (?, ?, now())", [study, name])
    for i, (wave, _) in enumerate(waves):
        con.execute("""INSERT INTO datasets (id, study_id, name, source_file, sha256, wave, uploaded_at, rows, mapping, report)
                       VALUES (?, ?, ?, 'f.csv', ?, ?, now(), 0, '{}', '{}')""",
                    [10 * study + i, study, wave, f"sha{study}-{i}", wave])
    return {wave: (10 * study + i, day) for i, (wave, day) in enumerate(waves)}


def respond(con, wave, resp, rid, nps, customer_no=None):
    dataset, day = wave
    con.execute("INSERT INTO respondents (dataset_id, resp, respondent_id, row_number, responded_at, nps) "
                "VALUES (?, ?, ?, ?, ?, ?)", [dataset, resp, rid, resp, day, nps])
    if customer_no is not None:
        con.execute("INSERT INTO contacts VALUES (?, ?, 'customer_no', ?)", [dataset, resp, customer_no])


def rule(con, rule_id, name, sla_days, study=1):
    con.execute("INSERT INTO alert_rules VALUES (?, ?, ?, '[]', false, ?, now())", [study, rule_id, name, sla_days])


_case_ids = iter(range(1, 10_000))


def case(con, dataset, resp, rule_id, status="new", opened="2026-03-01 00:00", days=None, sla_days=7, study=1):
    """A case opened at ``opened``, closed ``days`` later (None: open), due ``sla_days`` after opening."""
    con.execute(
        """INSERT INTO cases (id, study_id, rule_id, dataset_id, resp, opened_at, due_at, status, closed_at)
           VALUES (?, ?, ?, ?, ?, ?::TIMESTAMP, ?::TIMESTAMP + to_days(?::INTEGER), ?,
                   ?::TIMESTAMP + to_seconds(?::DOUBLE * 86400))""",
        [next(_case_ids), study, rule_id, dataset, resp, opened, opened, sla_days, status, opened, days])


@pytest.fixture
def con(tmp_path):
    connection = store.connect(tmp_path / "loop.duckdb")
    yield connection
    connection.close()


# --- the flow of cases


def test_case_flow_counts_medians_and_sla_shares_per_wave_and_rule(con):
    waves = plant_study(con)
    spring, winter = waves["Frühjahr"][0], waves["Winter"][0]
    for dataset, day in waves.values():
        for resp in range(8):
            respond(con, (dataset, day), resp, f"{dataset}-{resp}", 3)
    rule(con, 1, "Detraktoren", 7)
    rule(con, 2, "Hotline", None)
    # winter, rule 1: closed after 1, 2, 7 (exactly on the due date: within) and 10 days; one still open
    for resp, days in enumerate([1, 2, 7, 10]):
        case(con, winter, resp, 1, "done" if resp % 2 else "unreachable", days=days)
    case(con, winter, 4, 1, "in_progress")
    # winter, rule 2 (no due date): closed after 12 and 36 hours
    case(con, winter, 5, 2, "done", days=0.5, sla_days=None)
    case(con, winter, 6, 2, "done", days=1.5, sla_days=None)
    # spring, rule 1: one case, closed a day late
    case(con, spring, 0, 1, "done", days=8)

    flow = case_flow(con, "Kunden")
    assert list(zip(flow["wave"], flow["rule"])) == [("Winter", "Detraktoren"), ("Winter", "Hotline"),
                                                      ("Frühjahr", "Detraktoren")]
    first, second, third = (row for _, row in flow.iterrows())
    assert (first.opened, first.closed, first.open) == (5, 4, 1)
    assert first.median_days == pytest.approx((2 + 7) / 2)
    assert (first.sla_n, first.in_sla) == (4, 3)
    assert first.sla_share == pytest.approx(75.0)
    p, n = 0.75, 4  # Wilson by hand
    centre, half = (p + Z**2 / (2 * n)) / (1 + Z**2 / n), Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    assert (first.sla_low, first.sla_high) == pytest.approx((100 * (centre - half), 100 * (centre + half)))
    assert (second.opened, second.closed, second.median_days, second.sla_n) == (2, 2, pytest.approx(1.0), 0)
    assert math.isnan(second.sla_share) and math.isnan(second.sla_low)
    assert (third.opened, third.in_sla, third.sla_share, third.median_days) == (1, 0, 0.0, pytest.approx(8.0))
    assert case_flow(con, "Kunden", dataset_ids=[spring])["opened"].tolist() == [1]


# --- the NPS change of followed-up vs not-reached detractors

FOLLOWED_AFTER = [10, 10, 9, 8, 3, 10]  # 4 promoters, 1 detractor of 6: NPS +50, change +150
NOT_REACHED_AFTER = [2, 5, 7, 9, 0]     # 1 promoter, 3 detractors of 5: NPS −40, change +60


def plant_repeat_customers(con):
    waves = plant_study(con)
    spring, winter = waves["Frühjahr"], waves["Winter"]
    rule(con, 1, "Detraktoren", 7)
    # followed up: matched by respondent id; one of them also had a second, unreachable case (done wins)
    for i, later in enumerate(FOLLOWED_AFTER):
        respond(con, winter, i, f"K{i}", [0, 3, 6, 2, 5, 1][i])
        respond(con, spring, i, f"K{i}", later)
        case(con, winter[0], i, 1, "done", days=2)
    rule(con, 2, "Hotline", 7)
    case(con, winter[0], 0, 2, "unreachable", days=1)
    # not reached: generated ids ("row-N" match nobody) but the same customer number, written differently
    for j, later in enumerate(NOT_REACHED_AFTER):
        respond(con, winter, 20 + j, f"row-{20 + j}", 4, customer_no=f"C-{j}")
        respond(con, spring, 20 + j, f"row-{20 + j}", later, customer_no=f" c-{j} ")
        case(con, winter[0], 20 + j, 1, ["unreachable", "new", "in_progress", "unreachable", "unreachable"][j],
             days=3 if j in (0, 3, 4) else None)
    # noise that must not count: a detractor with a case who never answers again; a passive with a case; a
    # generated id alike in both waves without a customer number; a promoter later in another study with id K0
    respond(con, winter, 40, "K40", 2)
    case(con, winter[0], 40, 1, "done", days=1)
    respond(con, winter, 41, "K41", 7)
    respond(con, spring, 41, "K41", 0)
    case(con, winter[0], 41, 1, "done", days=1)
    respond(con, winter, 42, "row-42", 1)
    respond(con, spring, 42, "row-42", 10)
    case(con, winter[0], 42, 1, "unreachable", days=1)
    other = plant_study(con, study=2, name="Andere", waves=(("Später", "2026-09-01"),))
    respond(con, other["Später"], 0, "K0", 0)
    return waves


def test_followed_up_detractors_gain_the_planted_nps_with_the_hand_computed_ci(con):
    plant_repeat_customers(con)
    effect = followed_up_effect(con, "Kunden")
    assert effect.base == ANONYMITY
    followed, not_reached = effect.group("followed_up"), effect.group("not_reached")
    assert (followed.n, followed.by_respondent_id, followed.by_customer_no) == (6, 6, 0)
    assert (not_reached.n, not_reached.by_respondent_id, not_reached.by_customer_no) == (5, 0, 5)
    assert (followed.nps_before, followed.nps_after, followed.change) == pytest.approx((-100, 50, 150))
    assert (not_reached.nps_before, not_reached.nps_after, not_reached.change) == pytest.approx((-100, -40, 60))
    # by hand: the per-customer variance of the later score (−1/0/+1) is E[s²] − E[s]²
    se_f = 100 * math.sqrt(((4 + 1) / 6 - (3 / 6) ** 2) / 6)
    se_n = 100 * math.sqrt(((1 + 3) / 5 - (-2 / 5) ** 2) / 5)
    assert (followed.ci_low, followed.ci_high) == pytest.approx((150 - Z * se_f, 150 + Z * se_f))
    assert (not_reached.ci_low, not_reached.ci_high) == pytest.approx((60 - Z * se_n, 60 + Z * se_n))
    half = Z * math.sqrt(se_f**2 + se_n**2)
    assert effect.difference == pytest.approx(90)
    assert (effect.diff_low, effect.diff_high) == pytest.approx((90 - half, 90 + half))
    assert not followed.hidden and effect.reason is None


def test_a_group_below_the_base_is_hidden_with_the_reason_and_no_difference(con):
    plant_repeat_customers(con)
    effect = followed_up_effect(con, "Kunden", base=6)  # followed up: 6 customers; not reached: 5
    followed, not_reached = effect.group("followed_up"), effect.group("not_reached")
    assert effect.base == 6 and not followed.hidden and followed.change == pytest.approx(150)
    assert not_reached.hidden and not_reached.reason == "loop_hidden_base" and not_reached.n == 5
    assert all(math.isnan(v) for v in (not_reached.nps_after, not_reached.change, not_reached.ci_low))
    assert math.isnan(effect.difference) and effect.reason == "loop_hidden_base"
    as_json = effect.as_dict()
    assert as_json["difference"] is None and as_json["groups"][1]["change"] is None
    json.dumps(as_json)


# --- the CLI


def test_cli_cases_loop_json_gives_the_flow_and_the_effect_with_its_base(tmp_path, cli):
    path = tmp_path / "loop.duckdb"
    con = store.connect(path)
    plant_repeat_customers(con)
    con.close()
    result = cli("cases", "loop", "--json", "--study", "Kunden", "--db", path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["study"] == "Kunden" and out["effect"]["base"] == ANONYMITY
    followed, not_reached = out["effect"]["groups"]
    assert (followed["group"], followed["n"], followed["by_respondent_id"]) == ("followed_up", 6, 6)
    assert (not_reached["n"], not_reached["by_customer_no"], not_reached["change"]) == (5, 5, pytest.approx(60))
    assert out["effect"]["difference"] == pytest.approx(90)
    detractors = next(r for r in out["flow"] if r["rule"] == "Detraktoren")
    # rule 1 in winter: 6 followed up + 5 not reached + 3 noise cases; open: the "new" and "in_progress" ones
    assert (detractors["wave"], detractors["opened"], detractors["open"]) == ("Winter", 14, 2)
    text = cli("cases", "loop", "--study", "Kunden", "--db", path)
    assert "followed_up: n = 6" in text.stdout and "difference followed up − not reached: +90.0" in text.stdout
    bad = cli("cases", "loop", "--study", "Nirgendwo", "--db", path)
    assert bad.returncode == 2 and "Nirgendwo" in bad.stderr


# --- the report's Cases sheet


def test_the_report_has_a_cases_sheet_only_for_a_study_with_cases(con):
    from conftest import german_csv_bytes

    from tpm.ingest import ingest_bytes
    from tpm.metrics import Filter
    from tpm.report.content import gather
    from tpm.report.excel import sheet_names, workbook

    rows = [["ID", "Region", "Hotline (1-10)", "Filiale (1-10)", "Wie wahrscheinlich würden Sie uns weiterempfehlen? (0-10)"]]
    rows += [[i, ["Nord", "Süd"][i % 2], i % 10 + 1, (i * 3) % 10 + 1, i % 11] for i in range(40)]
    store.save_import(con, ingest_bytes("klein.csv", german_csv_bytes(rows)), name="Klein")

    def sheets(lang="de"):
        return openpyxl.load_workbook(io.BytesIO(workbook(gather(con, Filter(), lang, with_data=False))))

    without = sheets()
    assert without.sheetnames == sheet_names("de", with_data=False, with_comments=False)
    assert "Fälle" not in without.sheetnames

    rule(con, 1, "Detraktoren", 7, study=con.execute("SELECT min(id) FROM studies").fetchone()[0])
    dataset = con.execute("SELECT min(id) FROM datasets").fetchone()[0]
    for resp, days in enumerate([1, 3, 9]):
        case(con, dataset, resp, 1, "done", days=days)
    case(con, dataset, 3, 1)
    book = sheets("en")
    assert book.sheetnames == sheet_names("en", with_data=False, with_cases=True) and "Cases" in book.sheetnames
    cells = [[c for c in row] for row in book["Cases"].iter_rows(values_only=True)]
    header = cells[2]
    flow = dict(zip(header, cells[3]))
    assert (flow["Rule"], flow["opened"], flow["closed"], flow["still open"], flow["median days to close"]) == \
        ("Detraktoren", 4, 3, 1, 3)
    assert flow["within SLA %"] == pytest.approx(100 * 2 / 3)
    text = " ".join(str(c) for row in cells for c in row if c is not None)
    effect_header = next(row for row in cells if row[0] == "Group")
    followed = dict(zip(effect_header, next(row for row in cells if row[0] == "followed up (done)")))
    assert followed["n"] == 0 and followed["Note"] == f"hidden: fewer than {ANONYMITY} customers"  # nobody answered again
    assert f"Groups below {ANONYMITY} customers are not shown" in text
