"""Reports that travel: the dashboard as an Excel workbook or a PowerPoint deck, and every
page's table as CSV/Excel — all from the same metrics API and chart builders as the pages."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

#: file suffix → what is written
FORMATS = {".xlsx": "workbook", ".pptx": "deck"}


def build(con, flt, kind: str, lang: str = "de", with_data: bool = True, progress=None) -> bytes:
    """The workbook or the deck (``kind``) for the respondents passing ``flt``, as bytes.

    ``progress(text, share)``: what is being done and how far (0…1)."""
    from tpm.i18n import t
    from tpm.report.content import gather

    def say(text: str, share: float) -> None:
        if progress is not None:
            progress(text, share)

    gathered = 0.5 if kind == "deck" else 0.6
    report = gather(con, flt, lang, with_data=with_data and kind == "workbook", with_comments=kind == "workbook",
                    progress=lambda step, share: say(t("report_step_" + step, lang), share * gathered))
    if kind == "workbook":
        from tpm.report.excel import workbook

        say(t("report_step_write", lang), gathered)
        data = workbook(report)
    else:
        from tpm.report.deck import deck

        def drawn(i: int, k: int) -> None:
            say(t("report_step_render", lang, i=i, k=k), gathered + (1 - gathered) * 0.95 * i / k)

        data = deck(report, progress=drawn)
    say(t("report_ready", lang, name=""), 1.0)
    return data


def write_report(con, flt, path: Path, lang: str = "de", with_data: bool = True) -> float:
    """Build and write ``path`` (kind by suffix) all at once: a failure leaves no file. Returns seconds."""
    start = time.perf_counter()
    data = build(con, flt, FORMATS[path.suffix.lower()], lang, with_data)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tpm-report-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return time.perf_counter() - start
