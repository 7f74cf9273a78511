"""Metrics computed in DuckDB: aggregates as SQL, statistics on the small results."""

from tpm.metrics.filters import Filter

__all__ = ["Filter"]
