"""Load, small: three real browser sessions browse while a CLI import and an upload run (issue #12).

The full run (10 sessions, every page twice) is ``python benchmarks/load.py``; this one keeps the
suite fast but can fail on the same things: an exception box or traceback on a page, a failed
navigation, the CLI refused (rc ≠ 0), or sessions that see different respondent counts afterwards.
"""

import asyncio
import importlib.util

from conftest import ROOT

# loaded by its path: benchmarks/ on sys.path would make `pages` (the app's package) resolve to
# benchmarks/pages.py for every AppTest that runs later in the same worker
_spec = importlib.util.spec_from_file_location("tpm_benchmark_load", ROOT / "benchmarks" / "load.py")
load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load)


def test_sessions_browse_while_cli_import_and_upload_run():
    pages = [p for p in load.PAGES if p[0] in ("/", "/heatmap", "/tracking", "/drivers")]
    result = asyncio.run(load.run(sessions=3, rounds=1, pages=pages, cli_rows=3000, upload_rows=1000))
    assert result["errors"] == []
    assert len(result["times"]) == 3 * len(pages)
    seen = {int(v.replace(",", "")) for v in result["seen"]}
    assert seen == {result["in_db"]}, (result["seen"], result["in_db"])
