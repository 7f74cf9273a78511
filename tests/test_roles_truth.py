"""Roles the detector must not get silently wrong (issue #20, items 6 and 8): dates written the
US/UK way, the recommend question by any name, outcome-like columns.

Every case is a small export built here; the truth is computed in the test from the raw cells
(``datetime.strptime``, plain numpy/pandas), never through TPM's own reading of them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import pytest

from tpm.i18n import ingest_text
from tpm.ingest import IngestError, ingest_bytes


def csv_bytes(rows) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


def spec_of(result, column):
    return next(s for s in result.specs if s.column == column)


# --- dates written day and month as numbers ----------------------------------------------------

def dated_file(stamps: list[str]) -> bytes:
    rows = [["ID", "Submitted", "Hotline (1-5)"]]
    rows += [[f"R{i}", stamp, 1 + i % 5] for i, stamp in enumerate(stamps)]
    return csv_bytes(rows)


def read_by_hand(stamps: list[str], fmt: str) -> list[dt.datetime]:
    return [dt.datetime.strptime(s, fmt) for s in stamps]


def responded_at(result) -> list[dt.datetime]:
    return [t.to_pydatetime() for t in result.canonical.respondents["responded_at"]]


AMBIGUOUS = ["11/04/2018 20:09", "4/11/2018 08:09", "12/01/2018 10:00", "1/2/2018 07:30"] * 8


def test_day_and_month_the_data_cannot_tell_apart_are_unsure_naming_both_readings():
    result = ingest_bytes("us.csv", dated_file(AMBIGUOUS))
    spec = spec_of(result, "Submitted")
    assert spec.role == "date"
    assert responded_at(result) == read_by_hand(AMBIGUOUS, "%m/%d/%Y %H:%M")
    # both readings of the first value are named, and the reason speaks German on the German page
    assert spec.unsure and "2018-11-04" in spec.unsure and "2018-04-11" in spec.unsure
    assert "Tag und Monat" in ingest_text(spec.unsure, "de")
    assert {"column": "Submitted", "reason": spec.unsure} in result.report()["unsure"]
    # the analyst's other reading is applied to every row
    spec.date_order, spec.unsure = "day-first", None
    other = ingest_bytes("us.csv", dated_file(AMBIGUOUS), specs=result.specs)
    assert responded_at(other) == read_by_hand(AMBIGUOUS, "%d/%m/%Y %H:%M")


def test_a_first_part_above_12_makes_the_whole_column_day_first():
    stamps = ["11/04/2018 20:09", "4/11/2018 08:09", "21/04/2018 09:15"] * 10  # 21 can only be a day
    result = ingest_bytes("uk.csv", dated_file(stamps))
    spec = spec_of(result, "Submitted")
    assert spec.role == "date" and spec.unsure is None
    assert responded_at(result) == read_by_hand(stamps, "%d/%m/%Y %H:%M")


def test_a_second_part_above_12_makes_the_whole_column_month_first():
    stamps = ["11/04/2018 20:09", "4/11/2018 08:09", "4/13/2018 09:15"] * 10  # 13 can only be a day
    result = ingest_bytes("us.csv", dated_file(stamps))
    spec = spec_of(result, "Submitted")
    assert spec.role == "date" and spec.unsure is None
    assert responded_at(result) == read_by_hand(stamps, "%m/%d/%Y %H:%M")


def test_us_twelve_hour_clock_and_german_dots():
    pm = ["4/11/2018 8:09 PM", "4/13/2018 9:15 AM", "12/1/2018 12:30 PM"] * 10
    result = ingest_bytes("pm.csv", dated_file(pm))
    assert spec_of(result, "Submitted").role == "date"
    assert responded_at(result) == read_by_hand(pm, "%m/%d/%Y %I:%M %p")
    assert responded_at(result)[0] == dt.datetime(2018, 4, 11, 20, 9)

    dots = ["11.04.2018 20:09", "3.5.2018 10:00", "1.12.2018 07:45"] * 10  # the German way: day first, sure
    result = ingest_bytes("de.csv", dated_file(dots))
    spec = spec_of(result, "Submitted")
    assert spec.role == "date" and spec.unsure is None
    assert responded_at(result) == read_by_hand(dots, "%d.%m.%Y %H:%M")


def test_an_unknown_date_order_is_refused_naming_the_column():
    result = ingest_bytes("us.csv", dated_file(AMBIGUOUS))
    spec_of(result, "Submitted").date_order = "year-first"
    with pytest.raises(IngestError) as info:
        ingest_bytes("us.csv", dated_file(AMBIGUOUS), specs=result.specs)
    assert "Submitted" in str(info.value) and "year-first" in str(info.value)
