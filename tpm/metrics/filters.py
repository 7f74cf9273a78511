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

The figures of the pages do not need the respondents one by one: :meth:`Filter.units_cte` lists
the *profiles* of :mod:`tpm.compact` that pass — groups of respondents alike in everything a filter
or a page groups by, each with its count ``c`` and weight sums ``s1`` = Σw, ``s2`` = Σw² — and
:meth:`Filter.rated`, :meth:`Filter.dont_know` and :meth:`Filter.segment_join` give their ratings,
"weiß nicht" answers and segment values. With ``compact=False`` the same methods read the
respondents themselves (``c`` = 1, ``s1`` = w, ``s2`` = w²): the same sums, the reference the tests
compare the compact tables with.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tpm.compact import row_key
from tpm.metrics.weighted import weight_column

__all__ = ["Filter", "row_key"]


@dataclass(frozen=True)
class Filter:
    """``study``: the study (None = no restriction: for a database holding one study only).
    ``datasets``: ids (empty = all of the study). ``segments``: segment name → allowed values (empty = all).
    ``weighted``: use the survey weights where the data has them (the sidebar switch)."""

    datasets: tuple[int, ...] = ()
    segments: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    study: int | None = None
    weighted: bool = True
    compact: bool = True

    @classmethod
    def of(cls, datasets=None, segments: dict[str, list[str]] | None = None, study: int | None = None,
           weighted: bool = True, compact: bool = True) -> Filter:
        segs = tuple(sorted((k, tuple(sorted(v))) for k, v in (segments or {}).items() if v))
        return cls(tuple(sorted(int(d) for d in (datasets or []))), segs, None if study is None else int(study), bool(weighted),
                   bool(compact))

    def unweighted(self) -> Filter:
        return replace(self, weighted=False)

    def datasets_sql(self, column: str) -> tuple[str, list]:
        """SQL condition on a dataset id ``column`` (the datasets and study of the filter, not its
        segments) and its parameters."""
        sql = f"(len(?::INTEGER[]) = 0 OR list_contains(?::INTEGER[], {column}))"
        params: list = [list(self.datasets), list(self.datasets)]
        if self.study is not None:
            sql += f" AND {column} IN (SELECT id FROM datasets WHERE study_id = ?)"
            params.append(self.study)
        return sql, params

    def respondents_cte(self) -> tuple[str, list]:
        """``resp AS (…)`` and its parameters."""
        where, params = self.datasets_sql("r.dataset_id")
        segment_sql, segment_params = self.segments_sql(row_key("r"), "segments", row_key("s"))
        return ("resp AS (SELECT r.dataset_id, r.resp, r.nps, r.responded_at, r.overall, r.overall_min, r.overall_max, "
                f"r.weight, {weight_column(self.weighted)} AS w, {row_key('r')} AS rk "
                f"FROM respondents r WHERE {where}{segment_sql})", params + segment_params)

    # --- what the figures sum over: profiles (compact) or respondents

    def units_cte(self, name: str = "resp") -> tuple[str, list]:
        """``resp AS (…)`` and its parameters: the units that pass — profiles of :mod:`tpm.compact`
        (``compact``) or respondents — with columns dataset_id, nps, responded_at (a profile's
        earliest), overall, overall_min, overall_max, has_weight, ``c`` (respondents), ``s1`` = Σw and
        ``s2`` = Σw² of the view's weights, ``uk`` (the key of their ratings, :meth:`rated`) and ``sk``
        (the key of their segment values, :meth:`segment_join`)."""
        where, params = self.datasets_sql("u.dataset_id")
        if self.compact:
            s1, s2 = ("u.s1", "u.s2") if self.weighted else ("u.c", "u.c")
            columns = (f"u.dataset_id, u.nps, u.first_at AS responded_at, u.overall, u.overall_min, u.overall_max, "
                       f"u.has_weight, u.c, {s1} AS s1, {s2} AS s2, {row_key('u', 'profile')} AS uk, {row_key('u', 'sp')} AS sk")
            source, segments, segment_key = "profiles u", "segment_profiles", row_key("s", "sp")
        else:
            w = weight_column(self.weighted, "u")
            columns = (f"u.dataset_id, u.nps, u.responded_at, u.overall, u.overall_min, u.overall_max, "
                       f"u.weight IS NOT NULL AS has_weight, 1 AS c, {w} AS s1, {w} * {w} AS s2, "
                       f"{row_key('u')} AS uk, {row_key('u')} AS sk")
            source, segments, segment_key = "respondents u", "segments", row_key("s")
        segment_sql, segment_params = self.segments_sql(row_key("u", "sp") if self.compact else row_key("u"),
                                                        segments, segment_key)
        return f"{name} AS (SELECT {columns} FROM {source} WHERE {where}{segment_sql})", params + segment_params

    def segments_sql(self, key: str, table: str = "segment_profiles", table_key: str = "") -> tuple[str, list]:
        """SQL conditions (each beginning `` AND``) that the unit with segment key ``key`` has the
        filter's segment values, looked up in ``table`` (default: the segment profiles of
        :mod:`tpm.compact`, keyed by dataset and ``sp``), and their parameters."""
        table_key = table_key or row_key("s", "sp")
        sql, params = "", []
        for segment, values in self.segments:
            sql += (f" AND {key} IN (SELECT {table_key} FROM {table} s "
                    "WHERE s.segment = ? AND list_contains(?::VARCHAR[], s.value))")
            params += [segment, list(values)]
        return sql, params

    def rated(self, units: str = "resp", columns: str = "") -> str:
        """SQL: a subquery of the ratings of ``units`` (a CTE of :meth:`units_cte` or one with its
        columns): touchpoint, score, scale_min, scale_max, the unit's nps and sk, ``columns`` (more
        of the units' columns, e.g. ", u.wave") and the ratings' own ``c``, ``s1``, ``s2``."""
        if self.compact:
            sums = "t.c, t.s1, t.s2" if self.weighted else "t.c, t.c AS s1, t.c AS s2"
            table, key = "profile_ratings", row_key("t", "profile")
        else:
            sums, table, key = "1 AS c, u.s1, u.s2", "ratings", row_key("t")
        return (f"(SELECT t.touchpoint, t.score, t.scale_min, t.scale_max, u.nps, u.sk{columns}, {sums} "
                f"FROM {table} t JOIN {units} u ON {key} = u.uk)")

    def dont_know(self, units: str = "resp") -> str:
        """SQL: a subquery of the "weiß nicht" answers of ``units``: touchpoint, sk and their count ``c``."""
        table, key, c = ("profile_dont_know", row_key("d", "profile"), "d.c") if self.compact else \
            ("dont_know", row_key("d"), "1 AS c")
        return f"(SELECT d.touchpoint, u.sk, {c} FROM {table} d JOIN {units} u ON {key} = u.uk)"

    def segment_join(self, rows: str, alias: str, name: str, keep_all: bool = False) -> str:
        """SQL: ``rows`` (a relation with column ``sk``, named ``alias``) with each unit's value of one
        segment (bound as the next parameter) as column ``name``; units without a value are left out
        (``keep_all``: kept, with NULL)."""
        table, key = ("segment_profiles", row_key("s", "sp")) if self.compact else ("segments", row_key("s"))
        return (f"{rows} {alias} {'LEFT ' if keep_all else ''}JOIN (SELECT {key} AS seg_key, s.value AS {name} FROM {table} s "
                f"WHERE s.segment = ?) sg ON sg.seg_key = {alias}.sk")
