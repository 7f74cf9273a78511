"""Which respondents a view looks at: study, datasets and segment values, as bound SQL parameters.

A :class:`Filter` turns into a ``resp`` common table expression listing
``(dataset_id, resp, nps, responded_at, overall, overall_min, overall_max, weight, w)`` of the
respondents that pass. Values are always bound parameters, never part of the SQL text. ``w`` is
the weight every aggregate uses: the stored survey weight when the filter is ``weighted`` (1 for
datasets without weights), else 1 — so the same SQL gives weighted and unweighted figures
(:mod:`tpm.metrics.weighted`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tpm.metrics.weighted import weight_column


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

    def respondents_cte(self) -> tuple[str, list]:
        """``resp AS (…)`` and its parameters."""
        sql = [
            "resp AS (SELECT r.dataset_id, r.resp, r.nps, r.responded_at, r.overall, r.overall_min, r.overall_max, "
            f"r.weight, {weight_column(self.weighted)} AS w "
            "FROM respondents r",
            "WHERE (len(?::INTEGER[]) = 0 OR list_contains(?::INTEGER[], r.dataset_id))",
        ]
        params: list = [list(self.datasets), list(self.datasets)]
        if self.study is not None:
            sql.append("AND r.dataset_id IN (SELECT id FROM datasets WHERE study_id = ?)")
            params.append(self.study)
        for segment, values in self.segments:
            sql.append(
                "AND EXISTS (SELECT 1 FROM segments s WHERE s.dataset_id = r.dataset_id "
                "AND s.resp = r.resp AND s.segment = ? AND list_contains(?::VARCHAR[], s.value))"
            )
            params += [segment, list(values)]
        return " ".join(sql) + ")", params
