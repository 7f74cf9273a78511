"""Property: whatever bytes arrive as a CSV, the importer either imports or raises IngestError."""

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tpm.ingest import IngestError, ingest_bytes

cell = st.one_of(
    st.sampled_from(["", "k.A.", "weiß nicht", "-99", "7", "10", "3,5", "1.234,5", "=SUM(A1)", '"', ";", "\n", "NA", "Ost"]),
    st.integers(-5, 120).map(str),
    st.text(max_size=12),
)
table = st.lists(st.lists(cell, min_size=1, max_size=6), min_size=1, max_size=12)


# the profile's count: a few in `make test`, 150 in `make verify` (tests/conftest.py)
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=table, delimiter=st.sampled_from([",", ";", "\t"]), encoding=st.sampled_from(["utf-8", "cp1252", "utf-8-sig"]))
def test_csv_never_raises_anything_else(rows, delimiter, encoding):
    text = "\r\n".join(delimiter.join(row) for row in rows)
    data = text.encode(encoding, errors="replace")
    try:
        result = ingest_bytes("zufall.csv", data)
    except IngestError as exc:
        assert "zufall.csv" in str(exc)
        return
    assert len(result.canonical.respondents) >= 1


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=400))
def test_random_bytes_never_raise_anything_else(data):
    for name in ("zufall.csv", "zufall.xlsx"):
        with contextlib.suppress(IngestError):
            ingest_bytes(name, data)
