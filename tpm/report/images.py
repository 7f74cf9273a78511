"""Plotly figures as high-resolution PNG, offline: Kaleido drives the system's Chromium
(Debian's ``/usr/bin/chromium``) — it never downloads a browser, and MathJax is off, so no page
of the render loads anything from the network. One browser serves all figures of a report.

The browser is found by ``TPM_CHROMIUM``, then Kaleido's own ``BROWSER_PATH``, then ``chromium``,
``chromium-browser``, ``google-chrome`` on the PATH.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import plotly.graph_objects as go

from tpm.report.content import ReportError

#: pixels are multiplied by this (2 = sharp on a projector and in print)
SCALE = 2
WIDTH = 1400
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium_path() -> str:
    for candidate in (os.environ.get("TPM_CHROMIUM"), os.environ.get("BROWSER_PATH")):
        if candidate:
            if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
                raise ReportError(f"no browser at '{candidate}' (TPM_CHROMIUM/BROWSER_PATH); charts need Chromium to be drawn")
            return candidate
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    raise ReportError("charts are drawn by Chromium, and none was found: install Debian's 'chromium' "
                      "(apt-get install chromium) or set TPM_CHROMIUM to a Chrome/Chromium executable")


def native_size(fig: go.Figure) -> tuple[int, int]:
    """(width, height) in CSS pixels as on screen: the figure's own height, a wide page's width."""
    return WIDTH, int(fig.layout.height or 500)


def render_png(figures: list[go.Figure], sizes: list[tuple[int, int]] | None = None, progress=None) -> list[bytes]:
    """Each figure as PNG bytes (``SCALE`` × its pixel size, by default :func:`native_size`);
    ``progress(i, k)`` after each one."""
    if not figures:
        return []
    path = chromium_path()

    async def draw() -> list[bytes]:
        import kaleido

        out = []
        async with kaleido.Kaleido(n=1, mathjax=False, path=path, timeout=120) as k:
            for i, (fig, (width, height)) in enumerate(zip(figures, sizes or [native_size(f) for f in figures]), start=1):
                out.append(await k.calc_fig(fig, opts={"format": "png", "width": width, "height": height, "scale": SCALE}))
                if progress is not None:
                    progress(i, len(figures))
        return out

    try:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop in this thread (CLI, a Streamlit script run): progress stays in this thread
            return asyncio.run(draw())
        with ThreadPoolExecutor(max_workers=1) as pool:  # inside a running loop (notebooks): a thread of its own
            return pool.submit(asyncio.run, draw()).result()
    except ReportError:
        raise
    except Exception as exc:  # the browser did not start or did not answer: say which and why
        raise ReportError(f"the charts could not be drawn with '{path}': {type(exc).__name__}: {exc}") from exc


def figure_png(fig: go.Figure) -> bytes:
    """One figure as PNG (the pages' "chart as PNG" button)."""
    return render_png([fig])[0]
