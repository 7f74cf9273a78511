"""One home per survey platform (tpm/ingest/platforms/): each module is registered, recognises
its own exports and names its bookkeeping columns."""

import csv
import io
import pkgutil

import pytest

import tpm.ingest.platforms as platforms_pkg
from tpm.ingest import ingest_bytes
from tpm.ingest.platforms import is_meta, platforms


def csv_bytes(rows):
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


def test_every_platform_module_is_registered():
    modules = {m.name for m in pkgutil.iter_modules(platforms_pkg.__path__)} - {"base"}  # base: what they share
    registered = {p.rows.__module__.rsplit(".", 1)[1] if p.rows else None for p in platforms()}
    registered |= {(p.header or p.recognise).__module__.rsplit(".", 1)[1] for p in platforms() if p.header or p.recognise}
    assert modules <= registered


@pytest.mark.parametrize("header, platform", [
    (["Timestamp", "Hotline (1-5)", "Region"], "Google Forms"),
    (["ID", "Start time", "Completion time", "Email", "Name", "Hotline (1-5)"], "Microsoft Forms"),
    (["#", "Hotline (1-5)", "Submit Date (UTC)", "Network ID"], "Typeform"),
    (["id", "submitdate", "lastpage", "startlanguage", "seed", "Hotline (1-5)"], "LimeSurvey"),
    (["Kunden-Nr", "Hotline (1-5)", "Region"], None),
])
def test_platform_named_in_the_report(header, platform):
    dates = {"Timestamp", "Start time", "Completion time", "Submit Date (UTC)", "submitdate"}

    def cell(h, i):
        if h in dates:
            return f"2026-01-{1 + i % 28:02d} 10:00:00"
        if "Hotline" in h:
            return 1 + i % 5
        return ["Nord", "Süd"][i % 2] if h == "Region" else f"v{i}"

    rows = [header] + [[cell(h, i) for h in header] for i in range(30)]
    result = ingest_bytes("export.csv", csv_bytes(rows))
    assert result.report()["platform"] == platform
    assert [t["name"] for t in result.report()["touchpoints"]] == ["Hotline"]


@pytest.mark.parametrize("column, meta", [
    ("lastpage", True), ("Progress", True), ("Q7_NPS_GROUP", True), ("Network ID", True), ("Collector ID", True),
    ("StartDate", False), ("ResponseId", False), ("Hotline", False), ("Respondent ID", False),
])
def test_bookkeeping_columns(column, meta):
    assert is_meta(column) is meta
