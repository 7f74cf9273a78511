"""What an upload's save holds: the parsed columns the save does not read are dropped first
(:func:`tpm.upload.lighten`). The memory itself is measured by ``benchmarks/import_memory.py``
(a benchmark, not a test: resident-memory bounds depend on the machine)."""

import numpy as np
from conftest import german_csv_bytes

from tpm import store


def _survey(rows: int) -> bytes:
    """A German-Excel CSV: unique ids, dates, NPS, two ratings, a segment and a comment."""
    rng = np.random.default_rng(3)
    body = [[f"R{i:06d}", f"{1 + i % 28:02d}.{1 + i % 12:02d}.2026", int(rng.integers(0, 11)), int(rng.integers(1, 11)),
             int(rng.integers(1, 11)), ["Nord", "Süd"][i % 2], "" if i % 3 else f"Kommentar Nummer {i}"] for i in range(rows)]
    return german_csv_bytes([["Befragten-ID", "Datum", "Weiterempfehlung (0-10)", "Website (1-10)", "Hotline (1-10)",
                              "Region", "Anmerkungen"], *body])


def test_lighten_keeps_only_what_the_save_reads(con):
    """The parsed id, date and NPS columns (their values are in the respondents frame) go before the
    save; the rows stored are the same as without it."""
    from tpm.upload import lighten, prepare

    data = _survey(300)
    prepared = prepare("welle.csv", data)
    result = prepared.apply(prepared.specs, data=data)
    table = result.table
    assert {"Befragten-ID", "Datum", "Weiterempfehlung (0-10)"} <= set(table._parsed)  # parsed by detection/normalising
    lighten(result)
    assert set(table._parsed) == {"Website (1-10)", "Hotline (1-10)", "Region", "Anmerkungen"}
    store.save_import(con, result)
    assert con.execute("SELECT count(*), count(DISTINCT respondent_id), count(nps) FROM respondents").fetchone() == (300, 300, 300)
    assert con.execute("SELECT count(*) FROM ratings").fetchone()[0] == 600
    assert table.parsed("Befragten-ID").counts.sum() == 300  # parsed again when asked (a failed import's page)

