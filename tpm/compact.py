"""Compact count tables: the stored ratings summed per respondent *profile*, kept by the store.

Every figure of the touchpoint pages is a function of sums over respondents — n, Σw, Σw² of each
(touchpoint, scale, score, NPS answer) combination among the respondents a filter lets through
(:mod:`tpm.metrics.weighted`). A filter selects respondents by dataset and segment values only, and
the pages group them further by segment value, by wave (dataset, month or quarter) and by the NPS
answer and the overall-satisfaction answer. Respondents who agree on all of these are
interchangeable for every such figure; they form one **profile**:

    profile = (dataset, every segment value of the respondent, NPS answer, month of the response,
               overall-satisfaction answer and its scale)

and a **segment profile** (``sp``) is the part a filter and a breakdown look at: (dataset, every
segment value). The tables (one set of rows per dataset):

- ``segment_profiles (dataset_id, sp, segment, value)`` — the segment values of each segment profile;
- ``profiles (dataset_id, profile, sp, nps, first_at, overall, overall_min, overall_max, c, s1, s2, has_weight)``
  — ``c`` respondents with weights summing to ``s1`` (squares: ``s2``; a respondent without a
  weight counts 1, as in every weighted figure), ``first_at`` the earliest response date, ``has_weight``
  whether any of them carries a survey weight;
- ``profile_ratings (dataset_id, profile, touchpoint, score, scale_min, scale_max, c, s1, s2)`` — the
  ratings of a profile's respondents per touchpoint, scale and score;
- ``profile_dont_know (dataset_id, profile, touchpoint, c)`` — their "weiß nicht" answers.

Sums over these rows equal the sums over the respondents and ratings they stand for: counts
exactly, weighted sums up to the order of floating-point additions (tests compare both to 1e-9).
With 1 M respondents × 12 touchpoints (10.2 M ratings; 4 regions, 2 customer kinds, 12 months,
11 NPS answers) ``profile_ratings`` holds ~0.3 M rows: the pages sum those instead of joining ten
million ratings with their respondents. Where profiles are nearly as many as respondents (many
segments with many values) the tables are about as large as the long ones, and as fast.

The store keeps them in step: :func:`refresh` rebuilds the rows of the datasets a write changed,
inside the write's transaction — on import and re-mapping (:func:`tpm.store.insert_rows`), when
weights are raked, when touchpoints are renamed or merged or aliases applied; deleting a dataset
deletes its rows (:data:`tpm.store.DATA_TABLES`). ``tests/test_compact.py`` performs every write
of :data:`tpm.access.WRITES` and compares the tables with a fresh build.
"""

from __future__ import annotations

#: the compact tables, each with a ``dataset_id`` column
TABLES = ("segment_profiles", "profiles", "profile_ratings", "profile_dont_know")

SCHEMA = """
CREATE TABLE IF NOT EXISTS segment_profiles (
    dataset_id INTEGER NOT NULL,
    sp INTEGER NOT NULL,            -- segment profile: one combination of segment values within the dataset
    segment VARCHAR NOT NULL,
    value VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS profiles (   -- respondents alike in everything a filter or a page groups by
    dataset_id INTEGER NOT NULL,
    profile INTEGER NOT NULL,
    sp INTEGER NOT NULL,
    nps DOUBLE,
    first_at TIMESTAMP,             -- earliest response date (all of one month)
    overall DOUBLE,
    overall_min SMALLINT,
    overall_max SMALLINT,
    c BIGINT NOT NULL,              -- respondents
    s1 DOUBLE NOT NULL,             -- Σ weight (1 for a respondent without one)
    s2 DOUBLE NOT NULL,             -- Σ weight²
    has_weight BOOLEAN NOT NULL     -- some respondent carries a survey weight
);
CREATE TABLE IF NOT EXISTS profile_ratings (
    dataset_id INTEGER NOT NULL,
    profile INTEGER NOT NULL,
    touchpoint VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    scale_min SMALLINT NOT NULL,
    scale_max SMALLINT NOT NULL,
    c BIGINT NOT NULL,
    s1 DOUBLE NOT NULL,
    s2 DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS profile_dont_know (
    dataset_id INTEGER NOT NULL,
    profile INTEGER NOT NULL,
    touchpoint VARCHAR NOT NULL,
    c BIGINT NOT NULL
);
"""

# The segment values of a respondent as one number: each value of a segment gets a code 1…k (0:
# none), and the codes of a respondent's segments are the digits of a mixed-radix number (radix
# k + 1 per segment), exact in a 128-bit integer — a sum per respondent, 10 × faster than a sorted
# list of values. Two different combinations never share a number; should the radices of a
# dataset's segments multiply beyond 2¹²⁶ the combination is the sorted list of its values instead.
_CODES = """SELECT dataset_id, segment, value, dense_rank() OVER (PARTITION BY dataset_id, segment ORDER BY value) AS code
            FROM (SELECT DISTINCT dataset_id, segment, value FROM segments WHERE list_contains(?::INTEGER[], dataset_id))"""
_COMBO_NUMBER = """SELECT s.dataset_id, s.resp, sum(c.code::HUGEINT * c.mult::HUGEINT)::VARCHAR AS combo
                   FROM segments s JOIN _segment_codes c USING (dataset_id, segment, value) GROUP BY ALL"""
_COMBO_LIST = """SELECT dataset_id, resp, string_agg(segment || chr(31) || value, chr(30) ORDER BY segment, value) AS combo
                 FROM segments WHERE list_contains(?::INTEGER[], dataset_id) GROUP BY ALL"""
_LARGEST = 2 ** 126

# One row per respondent of the datasets being built, with its segment profile and profile numbers.
_NUMBERED = """
CREATE TEMP TABLE _profile_of AS
WITH combos AS ({combos}), r AS (
    SELECT r.dataset_id, r.resp, coalesce(k.combo, '') AS combo, r.nps, date_trunc('month', r.responded_at) AS month,
           r.responded_at, r.overall, r.overall_min, r.overall_max, coalesce(r.weight, 1.0) AS w,
           r.weight IS NOT NULL AS hw
    FROM respondents r LEFT JOIN combos k USING (dataset_id, resp)
    WHERE list_contains(?::INTEGER[], r.dataset_id)
), sps AS (
    SELECT dataset_id, combo, (row_number() OVER (PARTITION BY dataset_id ORDER BY combo))::INTEGER AS sp
    FROM (SELECT DISTINCT dataset_id, combo FROM r)
), profs AS (
    SELECT dataset_id, combo, nps, month, overall, overall_min, overall_max,
           (row_number() OVER (PARTITION BY dataset_id ORDER BY combo, nps, month, overall, overall_min, overall_max))::INTEGER
               AS profile
    FROM (SELECT DISTINCT dataset_id, combo, nps, month, overall, overall_min, overall_max FROM r)
)
SELECT r.dataset_id, r.resp, (r.dataset_id::BIGINT << 32) + r.resp AS rk, sps.sp, profs.profile, r.nps, r.responded_at, r.overall, r.overall_min, r.overall_max, r.w, r.hw
FROM r JOIN sps USING (dataset_id, combo)
JOIN profs ON profs.dataset_id = r.dataset_id AND profs.combo = r.combo
    AND profs.nps IS NOT DISTINCT FROM r.nps AND profs.month IS NOT DISTINCT FROM r.month
    AND profs.overall IS NOT DISTINCT FROM r.overall AND profs.overall_min IS NOT DISTINCT FROM r.overall_min
    AND profs.overall_max IS NOT DISTINCT FROM r.overall_max
"""

_FILL = (
    """INSERT INTO segment_profiles
       SELECT DISTINCT p.dataset_id, p.sp, s.segment, s.value FROM segments s JOIN _profile_of p ON ((s.dataset_id::BIGINT << 32) + s.resp) = p.rk
       WHERE list_contains(?::INTEGER[], s.dataset_id)""",
    """INSERT INTO profiles
       SELECT dataset_id, profile, any_value(sp), any_value(nps), min(responded_at), any_value(overall),
              any_value(overall_min), any_value(overall_max), count(*), sum(w), sum(w * w), bool_or(hw)
       FROM _profile_of GROUP BY dataset_id, profile""",
    """INSERT INTO profile_ratings
       SELECT t.dataset_id, p.profile, t.touchpoint, t.score, t.scale_min, t.scale_max, count(*), sum(p.w), sum(p.w * p.w)
       FROM ratings t JOIN _profile_of p ON ((t.dataset_id::BIGINT << 32) + t.resp) = p.rk
       WHERE list_contains(?::INTEGER[], t.dataset_id) GROUP BY ALL""",
    """INSERT INTO profile_dont_know
       SELECT d.dataset_id, p.profile, d.touchpoint, count(*)
       FROM dont_know d JOIN _profile_of p ON ((d.dataset_id::BIGINT << 32) + d.resp) = p.rk
       WHERE list_contains(?::INTEGER[], d.dataset_id) GROUP BY ALL""",
)


def refresh(con, dataset_ids) -> None:
    """Rebuild the compact rows of ``dataset_ids`` from their stored respondents, ratings, segments
    and don't-know answers (ids no longer stored just lose their rows). Runs inside the caller's
    transaction, so the tables change together with the data."""
    ids = sorted({int(i) for i in dataset_ids})
    if not ids:
        return
    for table in TABLES:
        con.execute(f"DELETE FROM {table} WHERE list_contains(?::INTEGER[], dataset_id)", [ids])
    combos, params = _combos(con, ids)  # (an error leaves the temporary tables to the caller's rollback)
    con.execute("DROP TABLE IF EXISTS _profile_of")
    con.execute(_NUMBERED.format(combos=combos), params + [ids])
    for sql in _FILL:
        con.execute(sql, [ids] if "?" in sql else [])
    con.execute("DROP TABLE _profile_of")
    con.execute("DROP TABLE IF EXISTS _segment_codes")


def _combos(con, ids: list[int]) -> tuple[str, list]:
    """SQL (and parameters) of each respondent's segment combination as a string key: its
    mixed-radix number, or the sorted list of its values where the number would not fit."""
    codes = con.execute(_CODES, [ids]).df()
    radix = codes.groupby(["dataset_id", "segment"])["code"].max().add(1)
    mult, fits = {}, True
    for dataset_id, part in radix.groupby(level=0):
        product = 1
        for (_, segment), k in part.sort_index().items():
            mult[(dataset_id, segment)] = product
            product *= int(k)
        fits &= product < _LARGEST
    if not fits:
        return _COMBO_LIST, [ids]
    codes["mult"] = [str(mult[(d, s)]) for d, s in zip(codes["dataset_id"], codes["segment"])]
    con.register("_codes_frame", codes)
    con.execute("CREATE OR REPLACE TEMP TABLE _segment_codes AS SELECT * FROM _codes_frame")
    con.unregister("_codes_frame")
    return _COMBO_NUMBER, []


def refresh_study(con, study_id: int) -> None:
    """:func:`refresh` every dataset of a study (after its touchpoints were renamed, merged or aliased)."""
    refresh(con, [i for (i,) in con.execute("SELECT id FROM datasets WHERE study_id = ?", [int(study_id)]).fetchall()])


def refresh_all(con) -> None:
    """:func:`refresh` every stored dataset (a database made before the compact tables)."""
    refresh(con, [i for (i,) in con.execute("SELECT id FROM datasets").fetchall()])
