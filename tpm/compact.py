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
- ``profile_dont_know (dataset_id, profile, touchpoint, c)`` — their "weiß nicht" answers;
- ``profile_pairs (dataset_id, sp, outcome, a, b, n, ux, uxx, uxy, sw, sw2, sx, sxx, sxy)`` — the
  sufficient statistics of the key-driver correlations: per segment profile and outcome (the NPS
  answer or the overall-satisfaction answer on 0–1), over its respondents who answered the
  outcome, for every ordered pair of variables a, b (``''`` = the outcome, else a touchpoint's
  0–1 score) the respondents with both (``n``), and Σ(x_a − c), Σ(x_a − c)², Σ(x_a − c)(x_b − c)
  over them, unweighted (``u…``) and weighted (``s…``, with ``sw`` = Σw, ``sw2`` = Σw²). The values are
  centred on fixed constants c (5 for the NPS answer, 0.5 for 0–1 scores), so the sums stay
  additive and numerically stable. :func:`tpm.metrics.drivers.drivers_for` turns their sums over
  the filtered segment profiles into the pairwise correlation matrix;
  ``pair_sets (dataset_id, outcome, built)`` says for which datasets they exist (a dataset whose
  respondents split into very many small segment profiles has none: its drivers are computed
  from the ratings).

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


def row_key(alias: str, column: str = "resp") -> str:
    """SQL: the one-integer key of a row of table ``alias``: its dataset id in the high 32 bits and
    ``column`` (a respondent, profile or segment profile number) in the low ones. DuckDB hashes one
    64-bit key several times faster than the pair (10 M ratings × 1 M respondents: 0.4 s against 3 s)."""
    return f"(({alias}.dataset_id::BIGINT << 32) + {alias}.{column})"



#: the respondent-level outcomes of the key-driver sums (SQL over respondents), and the centres of the values
PAIR_OUTCOMES = {"nps": "nps", "overall": "(overall - overall_min) / nullif(overall_max - overall_min, 0)"}
CENTRE = {"nps": 5.0, "overall": 0.5}
SCORE_CENTRE = 0.5
#: pair sums are kept when a dataset has at most PAIR_PROFILES segment profiles, or no more than one per
#: PAIR_RESPONDENTS_PER_PROFILE respondents
PAIR_PROFILES = 64
PAIR_RESPONDENTS_PER_PROFILE = 50

# The segment values of a respondent as one number. A segment with one value per respondent gets
# codes 1…k for its values (0: none) and is one digit of radix k + 1; a multiple-choice question
# (a respondent may hold several of its values: one row per ticked option) gives each of its
# options a digit of its own, of radix 2 (ticked or not) — so the number stands for the *set* of
# ticked options and two different sets never share it (a sum of codes of one digit would: codes
# 1 + 2 = 3). The digits of a respondent are summed in a 128-bit integer — a sum per respondent,
# 10 × faster than a sorted list of values; should the radices of a dataset's digits multiply
# beyond 2¹²⁶ the combination is the sorted list of its values instead.
_CODES = """WITH v AS (SELECT DISTINCT dataset_id, segment, value FROM segments WHERE list_contains(?::INTEGER[], dataset_id)),
            multi AS (SELECT DISTINCT dataset_id, segment FROM segments WHERE list_contains(?::INTEGER[], dataset_id)
                      GROUP BY dataset_id, resp, segment HAVING count(DISTINCT value) > 1)
            SELECT v.dataset_id, v.segment, v.value, m.segment IS NOT NULL AS multi,
                   dense_rank() OVER (PARTITION BY v.dataset_id, v.segment ORDER BY v.value) AS code
            FROM v LEFT JOIN multi m USING (dataset_id, segment)"""
_COMBO_NUMBER = """SELECT s.dataset_id, s.resp, sum(c.code::HUGEINT * c.mult::HUGEINT)::VARCHAR AS combo
                   FROM segments s JOIN _segment_codes c USING (dataset_id, segment, value) GROUP BY ALL"""
_COMBO_LIST = """SELECT dataset_id, resp, string_agg(segment || chr(31) || value, chr(30) ORDER BY segment, value) AS combo
                 FROM segments WHERE list_contains(?::INTEGER[], dataset_id) GROUP BY ALL"""
_LARGEST = 2 ** 126

# One row per respondent of the datasets being built, with its segment profile and profile numbers.
_NUMBERED = f"""
CREATE TEMP TABLE _profile_of AS
WITH combos AS ({{combos}}), r AS (
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
SELECT r.dataset_id, r.resp, {row_key('r')} AS rk, sps.sp, profs.profile, r.nps, r.responded_at,
       r.overall, r.overall_min, r.overall_max, r.w, r.hw
FROM r JOIN sps USING (dataset_id, combo)
JOIN profs ON profs.dataset_id = r.dataset_id AND profs.combo = r.combo
    AND profs.nps IS NOT DISTINCT FROM r.nps AND profs.month IS NOT DISTINCT FROM r.month
    AND profs.overall IS NOT DISTINCT FROM r.overall AND profs.overall_min IS NOT DISTINCT FROM r.overall_min
    AND profs.overall_max IS NOT DISTINCT FROM r.overall_max
"""

_FILL = (
    f"""INSERT INTO segment_profiles
       SELECT DISTINCT p.dataset_id, p.sp, s.segment, s.value FROM segments s JOIN _profile_of p ON {row_key('s')} = p.rk
       WHERE list_contains(?::INTEGER[], s.dataset_id)""",
    """INSERT INTO profiles
       SELECT dataset_id, profile, any_value(sp), any_value(nps), min(responded_at), any_value(overall),
              any_value(overall_min), any_value(overall_max), count(*), sum(w), sum(w * w), bool_or(hw)
       FROM _profile_of GROUP BY dataset_id, profile""",
    f"""INSERT INTO profile_ratings
       SELECT t.dataset_id, p.profile, t.touchpoint, t.score, t.scale_min, t.scale_max, count(*), sum(p.w), sum(p.w * p.w)
       FROM ratings t JOIN _profile_of p ON {row_key('t')} = p.rk
       WHERE list_contains(?::INTEGER[], t.dataset_id) GROUP BY ALL""",
    f"""INSERT INTO profile_dont_know
       SELECT d.dataset_id, p.profile, d.touchpoint, count(*)
       FROM dont_know d JOIN _profile_of p ON {row_key('d')} = p.rk
       WHERE list_contains(?::INTEGER[], d.dataset_id) GROUP BY ALL""",
)


def refresh(con, dataset_ids) -> None:
    """Rebuild the compact rows of ``dataset_ids`` from their stored respondents, ratings, segments
    and don't-know answers (ids no longer stored just lose their rows). Runs inside the caller's
    transaction, so the tables change together with the data."""
    ids = sorted({int(i) for i in dataset_ids})
    if not ids:
        return
    size = con.execute("SELECT count(*) FROM respondents WHERE list_contains(?::INTEGER[], dataset_id)", [ids]).fetchone()[0]
    from tpm.store.memory import duckdb_threads  # (loads DuckDB and pandas: not at import)

    with duckdb_threads(con, 1 if size > ONE_THREAD_FROM else None):
        _build(con, ids)


#: builds of more respondents than this run with DuckDB on one thread: its hash tables (one per
#: thread) took an upload's peak from +80 to +150–210 MB, and one thread is as fast there;
#: smaller ones on all threads (100 000 respondents: 0.35–0.49 s against 0.5–0.69 s on one)
ONE_THREAD_FROM = 200_000


def _build(con, ids: list[int]) -> None:
    from tpm.store.schema import COMPACT_TABLES

    for table in COMPACT_TABLES:
        con.execute(f"DELETE FROM {table} WHERE list_contains(?::INTEGER[], dataset_id)", [ids])
    combos, params = _combos(con, ids)  # (an error leaves the temporary tables to the caller's rollback)
    con.execute("DROP TABLE IF EXISTS _profile_of")
    con.execute(_NUMBERED.format(combos=combos), params + [ids])
    for sql in _FILL:
        con.execute(sql, [ids] if "?" in sql else [])
    for dataset_id in ids:
        _fill_pairs(con, dataset_id)
    con.execute("DROP TABLE _profile_of")
    con.execute("DROP TABLE IF EXISTS _segment_codes")


def _combos(con, ids: list[int]) -> tuple[str, list]:
    """SQL (and parameters) of each respondent's segment combination as a string key: its
    mixed-radix number (a digit per single-valued segment, a binary digit per option of a
    multiple-choice question), or the sorted list of its values where the number would not fit."""
    codes = con.execute(_CODES, [ids, ids]).df().sort_values(["dataset_id", "segment", "code"], ignore_index=True)
    mult, fits = [], True
    for _, part in codes.groupby("dataset_id", sort=False):
        product = 1
        for _, values in part.groupby("segment", sort=False):  # (rows in the order of the frame)
            if values["multi"].iloc[0]:  # a digit of radix 2 per option: the set of ticked options
                for _ in range(len(values)):
                    mult.append(product)
                    product *= 2
            else:                        # one digit of radix k + 1 for the segment's k values
                mult += [product] * len(values)
                product *= len(values) + 1
        fits &= product < _LARGEST
    if not fits:
        return _COMBO_LIST, [ids]
    codes["mult"] = [str(m) for m in mult]
    codes.loc[codes["multi"], "code"] = 1  # an option's digit: 1 = ticked
    con.register("_codes_frame", codes)
    con.execute("CREATE OR REPLACE TEMP TABLE _segment_codes AS SELECT * FROM _codes_frame")
    con.unregister("_codes_frame")
    return _COMBO_NUMBER, []


def _fill_pairs(con, dataset_id: int) -> None:
    """``profile_pairs`` and ``pair_sets`` of one dataset (``_profile_of`` holds its respondents):
    per segment profile the Gram products M'M, X'M, X²'M, X'X (and with the weights W: M'WM,
    MW'MW, X'WM, X²'WM, X'WX) of the centred values X (0 where missing) and the presence mask M —
    summed over passes of :data:`PAIR_CHUNK` respondents, so that the memory it takes does not
    grow with the dataset (an upload builds them in the dashboard's process)."""
    import numpy as np
    import pyarrow as pa

    size, profiles, weighted = con.execute("""SELECT coalesce(max(resp) + 1, 0), count(DISTINCT sp), coalesce(bool_or(hw), false)
                                              FROM _profile_of WHERE dataset_id = ?""", [dataset_id]).fetchone()
    built = profiles <= max(PAIR_PROFILES, size // PAIR_RESPONDENTS_PER_PROFILE)
    for outcome in CENTRE:
        con.execute("INSERT INTO pair_sets VALUES (?, ?, ?)", [dataset_id, outcome, built])
    if not built or not size:
        return
    names = [n for (n,) in con.execute("SELECT DISTINCT touchpoint FROM ratings WHERE dataset_id = ? ORDER BY 1",
                                       [dataset_id]).fetchall()]
    sums: dict[tuple[str, int], list] = {}
    for low in range(0, size, PAIR_CHUNK):
        where = "dataset_id = ? AND resp >= ? AND resp < ?"
        bounds = [dataset_id, low, low + PAIR_CHUNK]
        resp = con.execute(f"""SELECT resp, sp, w, {', '.join(f"coalesce(({e})::DOUBLE, 'NaN') AS {o}" for o, e in PAIR_OUTCOMES.items())}
                               FROM _profile_of WHERE {where}""", bounds).fetchnumpy()
        ratings = con.sql(f"""WITH v AS (SELECT unnest(?::VARCHAR[]) AS touchpoint, unnest(range(1, ?::INTEGER + 1)) AS code)
                              SELECT t.resp, v.code, ((t.score - t.scale_min) / (t.scale_max - t.scale_min))::DOUBLE AS x
                              FROM ratings t JOIN v USING (touchpoint) WHERE {where.replace('resp', 't.resp')}""",
                          params=[names, len(names), *bounds]).to_arrow_table()  # Arrow: ~5 × faster than fetchnumpy
        column = lambda name: ratings.column(name).combine_chunks().to_numpy(zero_copy_only=False)  # noqa: E731, B023 (used in this pass)
        rows = min(PAIR_CHUNK, size - low)
        X = np.full((rows, len(names) + 1), np.nan)
        X[column("resp") - low, column("code")] = column("x") - SCORE_CENTRE
        row, sp = resp["resp"] - low, np.asarray(resp["sp"])
        for outcome, centre in CENTRE.items():
            y = np.asarray(resp[outcome])
            keep = ~np.isnan(y)
            X[row[keep], 0] = y[keep] - centre
            order = np.argsort(sp[keep], kind="stable")
            kept_rows, kept_sp, kept_w = row[keep][order], sp[keep][order], np.asarray(resp["w"])[keep][order]
            starts = np.flatnonzero(np.r_[True, np.diff(kept_sp) != 0]) if len(kept_sp) else []
            for start, end in zip(starts, np.r_[starts[1:], len(kept_sp)]):
                block = X[kept_rows[start:end]]
                products = _pair_products(block, kept_w[start:end] if weighted else None)
                key = (outcome, int(kept_sp[start]))
                sums[key] = products if key not in sums else [a + b for a, b in zip(sums[key], products)]
    if sums:
        variables = np.array(["", *names], dtype=object)
        k = len(variables)
        a, b = np.repeat(np.arange(k), k), np.tile(np.arange(k), k)
        table = pa.table({
            "sp": np.repeat(np.array([sp for _, sp in sums], dtype=np.int32), k * k),
            "outcome": np.repeat(np.array([outcome for outcome, _ in sums], dtype=object), k * k),
            "a": np.tile(variables[a], len(sums)), "b": np.tile(variables[b], len(sums)),
            **{name: np.concatenate([matrices[i].reshape(-1) for matrices in sums.values()])
               for i, name in enumerate(PAIR_SUMS)},
        })
        con.register("_pairs_frame", table)
        con.execute(f"INSERT INTO profile_pairs SELECT ?, sp, outcome, a, b, {', '.join(PAIR_SUMS)} FROM _pairs_frame",
                    [dataset_id])
        con.unregister("_pairs_frame")


#: the sums of ``profile_pairs``, in the order :func:`_pair_products` gives them
PAIR_SUMS = ("n", "ux", "uxx", "uxy", "sw", "sw2", "sx", "sxx", "sxy")
#: respondents per pass of :func:`_fill_pairs` (~10 MB with 20 touchpoints)
PAIR_CHUNK = 32_768


def _pair_products(x, w) -> list:
    """One block's Gram products (:data:`PAIR_SUMS`; weighted ones equal to the unweighted when ``w`` is None)."""
    from tpm.gram import gram_sums

    n, _, _, ux, uxx, uxy = gram_sums(x)
    _, sw, sw2, sx, sxx, sxy = (n, n, n, ux, uxx, uxy) if w is None else gram_sums(x, w)
    return [n, ux, uxx, uxy, sw, sw2, sx, sxx, sxy]


def refresh_study(con, study_id: int) -> None:
    """:func:`refresh` every dataset of a study (after its touchpoints were renamed, merged or aliased)."""
    refresh(con, [i for (i,) in con.execute("SELECT id FROM datasets WHERE study_id = ?", [int(study_id)]).fetchall()])


def refresh_all(con) -> None:
    """:func:`refresh` every stored dataset (a database made before the compact tables)."""
    refresh(con, [i for (i,) in con.execute("SELECT id FROM datasets").fetchall()])
