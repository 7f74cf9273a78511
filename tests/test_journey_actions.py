"""Journey map as data, targets, and measures with baseline and follow-up (against hand-computed values)."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from conftest import xlsx_bytes
from scipy import stats

from tpm import access, actions, inventory, store
from tpm.charts.journey import journey_map
from tpm.ingest import ingest_bytes
from tpm.journey import emotion_curve, journey_cards

PHASES = ["Vorkauf", "Kauf", "Service"]


def small_inventory():
    return pd.DataFrame([
        {"name": "Website", "phase": "Vorkauf", "department": "Marketing", "channel": "online", "target": 60.0, "benchmark": 80.0,
         "moment_of_truth": True, "pain_points": None, "aliases": ""},
        {"name": "Filiale", "phase": "Kauf", "department": "Vertrieb", "channel": "offline", "target": 90.0, "benchmark": 95.0,
         "moment_of_truth": False, "pain_points": "Wartezeit", "aliases": ""},
        {"name": "Hotline", "phase": "Service", "department": "Service", "channel": "offline", "target": np.nan, "benchmark": np.nan,
         "moment_of_truth": False, "pain_points": None, "aliases": ""},
        {"name": "Chat", "phase": "Service", "department": "Service", "channel": "online", "target": np.nan, "benchmark": np.nan,
         "moment_of_truth": False, "pain_points": None, "aliases": ""},
        {"name": "Messe", "phase": None, "department": None, "channel": None, "target": np.nan, "benchmark": np.nan,
         "moment_of_truth": False, "pain_points": None, "aliases": ""},
    ])


def small_stats():
    return pd.DataFrame({"touchpoint": ["Website", "Filiale", "Hotline", "Chat"], "score_0_100": [70.0, 80.0, 50.0, 66.0],
                         "n": [100, 50, 80, 40]})


def test_cards_per_phase_and_lane_with_status():
    cards = journey_cards(small_inventory(), small_stats(), PHASES, "department")
    by = cards.set_index("name")
    assert by.loc["Website", ["phase", "lane", "status"]].tolist() == ["Vorkauf", "Marketing", "above"]  # 70 ≥ target 60
    assert by.loc["Filiale", "status"] == "below"  # 80 < target 90
    # no target: against the mean of the cards (66.5): Hotline below, Chat below, mean
    assert by.loc["Hotline", "status"] == "below" and by.loc["Chat", "status"] == "below"
    assert by.loc["Messe", ["phase", "lane", "status"]].tolist() == ["—", "—", "no_data"]
    assert cards.groupby("phase").size().to_dict() == {"Vorkauf": 1, "Kauf": 1, "Service": 2, "—": 1}
    by_channel = journey_cards(small_inventory(), small_stats(), PHASES, "channel").set_index("name")
    assert by_channel.loc["Chat", "lane"] == "online"


def test_emotion_curve_is_the_mean_per_phase():
    curve = emotion_curve(journey_cards(small_inventory(), small_stats(), PHASES))
    assert curve["phase"].tolist() == PHASES
    assert curve["score"].tolist() == [70.0, 80.0, 58.0]


def test_map_figure_has_one_card_per_touchpoint():
    cards = journey_cards(small_inventory(), small_stats(), PHASES)
    fig = journey_map(cards, PHASES, "Abteilung", "de")
    texts = [a.text for a in fig.layout.annotations]
    for name in ["Website", "Filiale", "Hotline", "Chat", "Messe"]:
        assert sum(name in (text or "") for text in texts) == 1
    assert any("★" in text and "Website" in text for text in texts)
    assert any("⚠" in text and "Filiale" in text for text in texts)
    assert list(fig.layout.xaxis.ticktext) == ["<b>Vorkauf</b>", "<b>Kauf</b>", "<b>Service</b>", "<b>—</b>"]


def store_wave(con, name, hotline, offset):
    rows = [["ID", "Hotline (1-10)", "Website"]] + [[i + offset, hotline(i), (i % 10) + 1] for i in range(60)]
    return store.save_import(con, ingest_bytes(f"{name}.xlsx", xlsx_bytes(rows)), name=name, wave=name)


def test_action_baseline_and_follow_up(con):
    store_wave(con, "W1", lambda i: (i % 5) + 1, 0)        # Hotline 1..5
    action = actions.create(con, "Hotline", "Rückrufservice", "Wartezeit", "Aylin", date(2026, 3, 1), "in_progress", "implement",
                            now=datetime(2026, 1, 15))
    store_wave(con, "W2", lambda i: (i % 5) + 5, 100)      # Hotline 5..9
    plan = actions.plan(con, today=date(2026, 4, 1)).set_index("id")
    row = plan.loc[action]
    before = np.array([(i % 5) + 1 for i in range(60)], dtype=float)
    after = np.array([(i % 5) + 5 for i in range(60)], dtype=float)
    assert row.baseline_wave == "W1" and row.baseline_score == pytest.approx((before.mean() - 1) / 9 * 100)
    assert row.follow_wave == "W2" and row.follow_score == pytest.approx((after.mean() - 1) / 9 * 100)
    assert row.change == pytest.approx((after.mean() - before.mean()) / 9 * 100)
    assert row.p == pytest.approx(stats.ttest_ind(after, before, equal_var=False).pvalue)
    assert bool(row.significant) and bool(row.overdue)  # due 1 March, still in progress on 1 April
    actions.update(con, action, status="done")
    assert not actions.plan(con, today=date(2026, 4, 1)).set_index("id").loc[action, "overdue"]


def test_action_without_later_wave_and_bad_input(con):
    store_wave(con, "W1", lambda i: (i % 5) + 1, 0)
    action = actions.create(con, "Hotline", "Schulung")
    row = actions.plan(con).set_index("id").loc[action]
    assert row.follow_wave is None and np.isnan(row.change)
    with pytest.raises(actions.ActionError, match="title"):
        actions.create(con, "Hotline", "  ")
    with pytest.raises(actions.ActionError, match="Status"):
        actions.update(con, action, status="vielleicht")
    with pytest.raises(actions.ActionError, match="Cannot change"):
        actions.update(con, action, created_at=datetime(2020, 1, 1))
    with pytest.raises(actions.ActionError, match="Cannot change"):
        actions.update(con, action, baseline_score=99.0)  # follows the touchpoint and wave, never typed
    with pytest.raises(actions.ActionError, match="no ratings in wave"):
        actions.create(con, "Hotline", "Alt", baseline_wave="W9")


def test_every_field_of_a_measure_is_editable(con):
    store_wave(con, "W1", lambda i: (i % 5) + 1, 0)
    store_wave(con, "W2", lambda i: (i % 5) + 5, 100)
    action = actions.create(con, "Hotline", "Schulung", "Wartezeit", "Aylin", date(2026, 3, 1), "open", "plan")
    assert actions.get(con, action)["baseline_wave"] == "W2"
    changed = actions.update(con, action, touchpoint="Website", title="  Website-Relaunch ", problem="", owner="Ben",
                             due=date(2026, 6, 30), status="in_progress", step="implement", baseline_wave="W1")
    row = actions.get(con, action)
    website = np.array([(i % 10) + 1 for i in range(60)], dtype=float)
    assert {k: row[k] for k in actions.EDITABLE} == {
        "touchpoint": "Website", "title": "Website-Relaunch", "problem": None, "owner": "Ben", "due": date(2026, 6, 30),
        "status": "in_progress", "step": "implement", "baseline_wave": "W1"}
    assert row["baseline_score"] == pytest.approx((website.mean() - 1) / 9 * 100)  # the new touchpoint's score in W1
    assert changed["touchpoint"] == ["Hotline", "Website"] and changed["problem"] == ["Wartezeit", None]
    assert actions.update(con, action, title="Website-Relaunch") == {}  # nothing changed
    with pytest.raises(actions.ActionError, match="no ratings in wave"):
        actions.update(con, action, baseline_wave="W9")
    assert actions.get(con, action)["baseline_wave"] == "W1"


def test_delete_a_measure_and_viewers_are_refused(con):
    store_wave(con, "W1", lambda i: (i % 5) + 1, 0)
    keep = actions.create(con, "Hotline", "Bleibt")
    gone = actions.create(con, "Website", "Geht")
    viewer = access.Actor("vera", "viewer", "password")
    for name, args, kwargs in (("action.update", (gone,), {"title": "Gekapert"}), ("action.delete", (gone,), {})):
        with pytest.raises(access.Denied):
            access.perform(con, viewer, name, *args, **kwargs)
    assert actions.get(con, gone)["title"] == "Geht"
    access.perform(con, access.LOCAL, "action.delete", gone, target=gone)
    assert actions.plan(con)["id"].tolist() == [keep]
    assert store.audit_log(con).iloc[0][["action", "target"]].tolist() == ["action.delete", str(gone)]
    with pytest.raises(actions.ActionError, match=f"No measure {gone}"):
        actions.delete(con, gone)


def test_filtered_keeps_rows_matching_every_chosen_column():
    plan = pd.DataFrame({"owner": ["A", "B", "A"], "status": ["open", "open", "done"], "touchpoint": ["X", "Y", "Y"]})
    assert actions.filtered(plan, owner=["A"], status=[]).index.tolist() == [0, 2]
    assert actions.filtered(plan, owner=["A"], touchpoint=["Y"]).index.tolist() == [2]
    assert actions.filtered(plan).index.tolist() == [0, 1, 2]


def test_excel_export_keeps_text_as_text(con):
    from tpm.report.tables import Table

    frame = pd.DataFrame({"Titel": ["=HYPERLINK(\"x\")", "Schulung"], "Score": [50.0, np.nan]})
    import io

    import openpyxl

    from tpm.report.excel import table_xlsx

    ws = openpyxl.load_workbook(io.BytesIO(table_xlsx(Table(frame, {"Score": "score"}, "Maßnahmen")))).active
    assert ws["A2"].value == "=HYPERLINK(\"x\")" and ws["A2"].data_type == "s" and ws["A2"].quotePrefix
    assert ws["B2"].value == 50.0 and ws["B2"].number_format == "0.0" and ws["B3"].value is None


def test_seeded_demo_shows_a_measure_that_worked(tmp_path):
    from tpm.seed import CUSTOMER_STUDY, HOTLINE_STUDY, seed_if_empty

    con = store.connect(tmp_path / "demo.duckdb")
    seed_if_empty(con)
    inv = inventory.load(con, CUSTOMER_STUDY)
    assert inv["classified"].all() and len(inv) == 16
    assert actions.plan(con, study=HOTLINE_STUDY).empty  # the measures belong to the customer survey
    plan = actions.plan(con, study=CUSTOMER_STUDY).set_index("touchpoint")
    hotline = plan.loc["Hotline"]
    assert hotline.baseline_wave.endswith("Welle 1") and hotline.change > 8 and bool(hotline.significant)
    con.close()
