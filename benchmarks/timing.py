"""The one timing loop of the benchmark scripts (imported as a sibling: ``python benchmarks/x.py``)."""

from __future__ import annotations

import time


def timed(repeat: int, fn) -> tuple[list[float], object]:
    """Wall-clock seconds of ``repeat`` calls of ``fn`` (perf_counter), and the last call's result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out
