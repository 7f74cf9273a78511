"""Metrics computed in DuckDB: aggregates as SQL, statistics on the small results."""

__all__ = ["Filter"]


def __getattr__(name: str):
    # ``from tpm.metrics import Filter`` without importing NumPy/pandas for ``tpm.metrics.rules``
    # (the CLI's --help reads its defaults from there)
    if name == "Filter":
        from tpm.metrics.filters import Filter

        return Filter
    raise AttributeError(f"module 'tpm.metrics' has no attribute {name!r}")
