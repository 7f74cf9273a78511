"""Which respondents a view looks at: study, datasets and segment values, as bound SQL parameters.

A :class:`Filter` turns into a ``resp`` common table expression listing
``(dataset_id, resp, nps, responded_at, overall, overall_min, overall_max, weight, w, rk)`` of the
respondents that pass. Values are always bound parameters, never part of the SQL text. ``w`` is
the weight every aggregate uses: the stored survey weight when the filter is ``weighted`` (1 for
datasets without weights), else 1 — so the same SQL gives weighted and unweighted figures
(:mod:`tpm.metrics.weighted`).

``rk`` is the respondent's one-integer key (:func:`row_key`): the long ratings and segments join
``resp`` on it (``ON {row_key('t')} = resp.rk``), as one 64-bit key hashes several times faster
than the pair (dataset_id, resp) — 10 M ratings × 1 M respondents: 0.4 s against 3 s.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tpm.metrics.weighted import weight_column


def row_key(alias: str) -> str:
    """SQL: the one-integer key of a respondent row of table ``alias`` (dataset id in the high 32 bits)."""
    return f"(({alias}.dataset_id::BIGINT << 32) + {alias}.resp)"


@dataclass(frozen=True)
class Filter:
    """``study``: the study (None = no restriction: for a database holding one study only).
    ``datasets``: ids (empty = all of the study). ``segments``: segment name → allowed values (empty = all).
    ``weighted``: use the survey weights where the data has them (the sidebar switch)."""

    datasets: tuple[int, ...] = ()
    segments: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    study: int | None = None
    weighted: bool = True

    @classmethod
    def of(cls, datasets=None, segments: dict[str, list[str]] | None = None, study: int | None = None,
           weighted: bool = True) -> "Filter":
        segs = tuple(sorted((k, tuple(sorted(v))) for k, v in (segments or {}).items() if v))
        return cls(tuple(sorted(int(d) for d in (datasets or []))), segs, None if study is None else int(study), bool(weighted))

    def unweighted(self) -> "Filter":
        return replace(self, weighted=False)

    def datasets_sql(self, column: str) -> tuple[str, list]:
        """SQL condition on a dataset id ``column`` (the datasets and study of the filter, not its
        segments) and its parameters."""
        sql = "(len(?::INTEGER[]) = 0 OR list_contains(?::INTEGER[], {c}))".format(c=column)
        params: list = [list(self.datasets), list(self.datasets)]
        if self.study is not None:
            sql += f" AND {column} IN (SELECT id FROM datasets WHERE study_id = ?)"
            params.append(self.study)
        return sql, params

    def respondents_cte(self) -> tuple[str, list]:
        """``resp AS (…)`` and its parameters."""
        where, params = self.datasets_sql("r.dataset_id")
        sql = [
            "resp AS (SELECT r.dataset_id, r.resp, r.nps, r.responded_at, r.overall, r.overall_min, r.overall_max, "
            f"r.weight, {weight_column(self.weighted)} AS w, {row_key('r')} AS rk "
            "FROM respondents r",
            f"WHERE {where}",
        ]
        for segment, values in self.segments:
            sql.append(
                f"AND {row_key('r')} IN (SELECT {row_key('s')} FROM segments s "
                "WHERE s.segment = ? AND list_contains(?::VARCHAR[], s.value))"
            )
            params += [segment, list(values)]
        return " ".join(sql) + ")", params
