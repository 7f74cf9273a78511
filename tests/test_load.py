"""Load, small: two real browser sessions browse while a CLI import and an upload run (issue #12).

The full run (10 sessions, every page twice) is ``python benchmarks/load.py``; this one keeps the
suite fast but can fail on the same things: an exception box or traceback on a page, a failed
navigation, the CLI refused (rc ≠ 0), or sessions that see different respondent counts afterwards.
"""

import asyncio

import pytest
from conftest import benchmark

load = benchmark("load")


@pytest.mark.load  # in `make verify`; `make test` covers an import while serving in test_browser.py
def test_sessions_browse_while_cli_import_and_upload_run():
    pages = [p for p in load.PAGES if p[0] in ("/", "/heatmap", "/drivers")]
    result = asyncio.run(load.run(sessions=2, rounds=1, pages=pages, cli_rows=2000, upload_rows=500, cli_delay=2))
    assert result["errors"] == []
    assert len(result["times"]) == 2 * len(pages)
    seen = {int(v.replace(",", "")) for v in result["seen"]}
    assert seen == {result["in_db"]}, (result["seen"], result["in_db"])
