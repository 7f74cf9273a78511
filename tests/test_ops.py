"""Operations: a killed import leaves no lasting "busy", a full disk and a damaged file say so, private files,
a pinned image, and no third-party host in what we serve or export."""

import signal
import subprocess
import sys

from conftest import ROOT
from tpm import store


# --- a killed writer


def test_a_killed_cli_writer_leaves_no_busy_behind(db_path):
    store.connect(db_path).close()
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from tpm import store\n"
                               "with store.writing(sys.argv[1], 5):\n    print('held', flush=True); time.sleep(60)",
         str(db_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "held"
        assert store.writer_waiting(db_path)  # alive: the dashboard steps back
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert store.writer_flag(db_path).exists()  # what SIGKILL leaves behind …
    waits = []
    con = store.open_retrying(db_path, wait=0.5, on_wait=waits.append, migrate_schema=False, yield_to_writer=True)
    con.close()
    assert waits == []  # … is not taken for a writer: the next visitor opens at once
