"""DuckDB storage: one transaction per import, idempotent re-upload, listing and deletion."""

import contextlib

import duckdb
import pytest
from conftest import table_counts, xlsx_bytes

from tpm import store
from tpm.ingest import ingest_bytes

#: what DuckDB says when the insert of the segments meets a column the table does not have (the planted failure)
EXTRA_COLUMN = 'Table "segments" does not have a column with name "extra_column"'


def rows(offset=0, n=40):
    return [["ID", "Region", "Hotline", "Empfehlung NPS"]] + [
        [i + offset, ["Nord", "Süd"][i % 2], i % 10 + 1, i % 11] for i in range(n)
    ]


def test_import_is_stored_completely(con, db_path):
    result = ingest_bytes("w1.xlsx", xlsx_bytes(rows()))
    saved = store.save_import(con, result, name="Welle 1")
    assert not saved.duplicate
    counts = table_counts(con)
    assert counts == {"datasets": 1, "respondents": 40, "ratings": 40, "segments": 40, "comments": 0}
    con.close()
    # it is a real file on disk: a new connection sees the data
    again = store.connect(db_path)
    assert store.list_datasets(again)["name"].tolist() == ["Welle 1"]
    again.close()


def test_same_file_twice_is_recognised(con):
    data = xlsx_bytes(rows())
    first = store.save_import(con, ingest_bytes("a.xlsx", data))
    second = store.save_import(con, ingest_bytes("a-kopie.xlsx", data))
    assert second.duplicate and second.dataset_id == first.dataset_id
    assert table_counts(con)["respondents"] == 40


def test_failure_mid_import_rolls_back_everything(con, monkeypatch):
    store.save_import(con, ingest_bytes("w1.xlsx", xlsx_bytes(rows())))
    before = table_counts(con)
    result = ingest_bytes("w2.xlsx", xlsx_bytes(rows(offset=1000)))
    # make the third table's insert fail, after datasets, respondents and ratings were written
    original = result.canonical.segments
    result.canonical.segments = original.assign(extra_column="breaks the insert")
    with pytest.raises(duckdb.BinderException, match=EXTRA_COLUMN):
        store.save_import(con, result)
    assert table_counts(con) == before


def test_rows_inserted_on_one_thread_are_the_same_and_the_setting_returns(tmp_path):
    """``store.insert_threads(1)`` (the import command): the same rows in the same order; DuckDB's
    thread count is set back afterwards, also when the insert fails inside the transaction."""
    result = ingest_bytes("w1.xlsx", xlsx_bytes(rows(n=300)))
    stored = {}
    for name, threads in (("default", None), ("one", 1)):
        con = store.connect(tmp_path / f"{name}.duckdb")
        con.execute("SET threads = 2")
        with store.insert_threads(threads) if threads else contextlib.nullcontext():
            store.save_import(con, result)
        assert con.execute("SELECT current_setting('threads')").fetchall()[0][0] == 2
        stored[name] = {t: con.execute(f"SELECT * EXCLUDE (dataset_id) FROM {t} ORDER BY rowid").fetchall()
                        for t in ("respondents", "ratings", "segments", "dont_know", "comments")}
        con.close()
    assert stored["one"] == stored["default"]
    con = store.connect(tmp_path / "failing.duckdb")
    con.execute("SET threads = 2")
    broken = ingest_bytes("w2.xlsx", xlsx_bytes(rows(offset=1000)))
    broken.canonical.segments = broken.canonical.segments.assign(extra_column="breaks the insert")
    with store.insert_threads(1), pytest.raises(duckdb.BinderException, match=EXTRA_COLUMN):
        store.save_import(con, broken)
    assert con.execute("SELECT current_setting('threads')").fetchall()[0][0] == 2
    assert table_counts(con)["datasets"] == 0
    con.close()


def test_import_lowers_duckdbs_memory_limit_only_while_it_writes(con, monkeypatch):
    limit = lambda: con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]  # noqa: E731
    default, during = limit(), []
    from tpm.store import importing
    from tpm.store.memory import _size_bytes

    original = importing.insert_rows
    monkeypatch.setattr(importing, "insert_rows", lambda *a, **k: (during.append(limit()), original(*a, **k)))
    store.save_import(con, ingest_bytes("w1.xlsx", xlsx_bytes(rows())))
    assert _size_bytes(during[0]) < _size_bytes(default) and limit() == default
    # restored after a failed import too, and a limit someone set is kept (not the default)
    con.execute("SET memory_limit = '3GB'")
    configured = limit()
    result = ingest_bytes("w2.xlsx", xlsx_bytes(rows(offset=1000)))
    result.canonical.segments = result.canonical.segments.assign(extra_column="breaks the insert")
    with pytest.raises(duckdb.BinderException, match=EXTRA_COLUMN):
        store.save_import(con, result)
    assert limit() == configured and store.lean_memory._users == 0
    # inside the caller's transaction, which the failure aborted (the CLI imports several files in one)
    con.execute("BEGIN TRANSACTION")
    with pytest.raises(duckdb.BinderException, match=EXTRA_COLUMN):
        store.save_import(con, result, transaction=False)
    con.execute("ROLLBACK")
    assert limit() == configured and store.lean_memory._users == 0


def test_delete_removes_all_rows(con):
    a = store.save_import(con, ingest_bytes("a.xlsx", xlsx_bytes(rows())))
    b = store.save_import(con, ingest_bytes("b.xlsx", xlsx_bytes(rows(offset=500, n=10))))
    assert store.delete_dataset(con, a.dataset_id)
    assert table_counts(con) == {"datasets": 1, "respondents": 10, "ratings": 10, "segments": 10, "comments": 0}
    assert not store.delete_dataset(con, a.dataset_id)
    assert store.list_datasets(con)["id"].tolist() == [b.dataset_id]


def test_data_version_changes_on_import_and_delete(con):
    v0 = store.data_version(con)
    saved = store.save_import(con, ingest_bytes("a.xlsx", xlsx_bytes(rows())))
    v1 = store.data_version(con)
    store.delete_dataset(con, saved.dataset_id)
    assert len({v0, v1, store.data_version(con)}) == 3


def test_segment_values_and_hostile_names_are_parameters(con):
    hostile = "Nord'); DROP TABLE ratings; --"
    data = [["ID", "Region", "Hotline"], [1, hostile, 5], [2, "Süd", 6], [3, hostile, 7]]
    store.save_import(con, ingest_bytes("h.xlsx", xlsx_bytes(data)))
    assert store.segment_values(con) == {"Region": sorted([hostile, "Süd"])}
    assert table_counts(con)["ratings"] == 3


def test_rename_dataset_and_pool_waves(con):
    from tpm.metrics import Filter
    from tpm.metrics.trend import nps_trend

    a = store.save_import(con, ingest_bytes("a.xlsx", xlsx_bytes(rows())), wave="W1")
    b = store.save_import(con, ingest_bytes("b.xlsx", xlsx_bytes(rows(offset=500))), wave="W2")
    assert nps_trend(con, Filter())["wave"].tolist() == ["W1", "W2"]
    v = store.data_version(con)
    store.rename_dataset(con, b.dataset_id, "B", "W1")
    assert store.data_version(con) != v
    pooled = nps_trend(con, Filter())
    assert pooled["wave"].tolist() == ["W1"] and pooled["n"].tolist() == [80]
    with pytest.raises(ValueError):
        store.rename_dataset(con, a.dataset_id, "  ", "W1")


def test_confirmed_mapping_is_reapplied_to_the_next_wave(con):
    from tpm.ingest import ColumnSpec
    from tpm.upload import prepare

    wave1 = xlsx_bytes(rows())
    first = prepare("welle1.xlsx", wave1, con=con)
    assert not first.from_template
    corrected = [ColumnSpec(s.column, s.role, "Service-Hotline" if s.role == "rating" else s.touchpoint, s.scale_min, s.scale_max)
                 for s in first.specs]
    store.save_import(con, first.apply(corrected))
    second = prepare("welle2.xlsx", xlsx_bytes(rows(offset=1000)), con=con)
    assert second.from_template
    assert [s.touchpoint for s in second.specs if s.role == "rating"] == ["Service-Hotline"]
    other = prepare("anders.xlsx", xlsx_bytes([["Nr", "Filiale"], [1, 4], [2, 5]]), con=con)
    assert not other.from_template
