"""The schema: every table (with the compact count tables that :mod:`tpm.compact` fills), the
columns older files lack, and the version that says when :mod:`tpm.store.opening` migrates."""

from __future__ import annotations

import duckdb

SCHEMA_VERSION = 10  # bump with a migration in migrate() when the tables change (2: studies; 3: weights; 4: study scopes;
                   # 5: dataset_files; 6: the compact count tables of tpm.compact; 7: those rebuilt, a multiple-choice
                   # question's options keyed as a set; 8: LOGIN_SCHEMA, the web sessions and failed logins;
                   # 9: comments' touchpoint, folded text and lemmas (filled for stored comments), THEME_SCHEMA;
                   # 10: FOLLOWUP_SCHEMA, alert rules and follow-up cases)

SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS study_ids START 1;
CREATE TABLE IF NOT EXISTS studies (
    id INTEGER PRIMARY KEY DEFAULT nextval('study_ids'),
    name VARCHAR NOT NULL,          -- unique, case-insensitively (checked by tpm.studies)
    created_at TIMESTAMP NOT NULL,
    phases JSON                     -- the journey phases of this study (NULL: the defaults)
);
CREATE SEQUENCE IF NOT EXISTS dataset_ids START 1;
CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY DEFAULT nextval('dataset_ids'),
    study_id INTEGER,               -- every dataset (wave) belongs to exactly one study
    name VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL UNIQUE,
    platform VARCHAR,
    wave VARCHAR,
    uploaded_at TIMESTAMP NOT NULL,
    uploaded_by VARCHAR,
    rows INTEGER NOT NULL,
    mapping JSON NOT NULL,
    report JSON NOT NULL
);
CREATE TABLE IF NOT EXISTS respondents (
    dataset_id INTEGER NOT NULL,
    resp INTEGER NOT NULL,          -- 0-based row of the respondent within its dataset: the join key
    respondent_id VARCHAR NOT NULL, -- the id as the export gave it (or "row-N")
    row_number INTEGER,
    responded_at TIMESTAMP,
    nps DOUBLE,
    weight DOUBLE                   -- survey weight, rescaled to sum to n per dataset; NULL = unweighted
);
CREATE TABLE IF NOT EXISTS dont_know (  -- "weiß nicht" / "k.A." answers: not a score, counted
    dataset_id INTEGER NOT NULL,
    resp INTEGER NOT NULL,
    touchpoint VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS ratings (
    dataset_id INTEGER NOT NULL,
    resp INTEGER NOT NULL,
    touchpoint VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    scale_min SMALLINT NOT NULL,
    scale_max SMALLINT NOT NULL
);
CREATE TABLE IF NOT EXISTS segments (
    dataset_id INTEGER NOT NULL,
    resp INTEGER NOT NULL,
    segment VARCHAR NOT NULL,
    value VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS comments (
    dataset_id INTEGER NOT NULL,
    resp INTEGER NOT NULL,
    question VARCHAR NOT NULL,      -- the comment column's header
    text VARCHAR NOT NULL,
    touchpoint VARCHAR,             -- the touchpoint the comment column is tied to (NULL: a general comment)
    folded VARCHAR,                 -- tpm.text.fold.fold_sql(text): what a search scans
    lemmas VARCHAR                  -- its words' folded lemmas, space-separated, in order (tpm.store.comment_text)
);
CREATE TABLE IF NOT EXISTS touchpoints (
    study_id INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    PRIMARY KEY (study_id, name)
);
CREATE TABLE IF NOT EXISTS touchpoint_aliases (
    study_id INTEGER NOT NULL,
    alias VARCHAR NOT NULL,      -- lower-case header spelling from a survey ("telefon-hotline")
    name VARCHAR NOT NULL,       -- the inventory touchpoint it means ("Hotline")
    PRIMARY KEY (study_id, alias)
);
CREATE SEQUENCE IF NOT EXISTS action_ids START 1;
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY DEFAULT nextval('action_ids'),
    study_id INTEGER,
    touchpoint VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    problem VARCHAR,
    owner VARCHAR,
    due DATE,
    status VARCHAR NOT NULL,
    step VARCHAR,
    created_at TIMESTAMP NOT NULL,
    baseline_wave VARCHAR,
    baseline_score DOUBLE
);
CREATE TABLE IF NOT EXISTS weight_sets (
    dataset_id INTEGER PRIMARY KEY, -- the weight set now in respondents.weight of this dataset
    source VARCHAR NOT NULL,        -- 'file' (a weight column) or 'raking' (margins below)
    margins JSON,                   -- raking: [{"variable", "value", "share"}…]
    trim_low DOUBLE,
    trim_high DOUBLE,
    n INTEGER NOT NULL,
    n_eff DOUBLE NOT NULL,          -- Kish: (Σw)² / Σw²
    min_weight DOUBLE NOT NULL,
    max_weight DOUBLE NOT NULL,
    max_margin_error DOUBLE,        -- raking: largest |achieved − target| share (percentage points)
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS dataset_files (  -- the file a dataset was imported from: re-mapping re-reads it
    dataset_id INTEGER PRIMARY KEY,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    sheet VARCHAR,                  -- the sheet read (workbooks)
    include_incomplete BOOLEAN NOT NULL,
    size BIGINT NOT NULL,           -- bytes of the file
    data BLOB NOT NULL              -- the file, Zstandard-compressed (pyarrow.compress)
);
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE SEQUENCE IF NOT EXISTS audit_ids START 1;
CREATE TABLE IF NOT EXISTS audit (
    id BIGINT PRIMARY KEY DEFAULT nextval('audit_ids'),
    at_utc TIMESTAMP NOT NULL,
    actor VARCHAR NOT NULL,         -- user name, e-mail (OIDC) or OS user (CLI)
    via VARCHAR NOT NULL,           -- local | password | oidc | cli
    action VARCHAR NOT NULL,        -- e.g. dataset.import, dataset.delete, inventory.save
    target VARCHAR,                 -- what: dataset id, touchpoint name, action id, user name
    details JSON
);
CREATE TABLE IF NOT EXISTS users (
    name VARCHAR PRIMARY KEY,
    role VARCHAR NOT NULL,
    password_hash VARCHAR NOT NULL,  -- scrypt$n$r$p$salt$hash (tpm.access.hash_password)
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS study_scopes (  -- a user limited to some studies (no row: every study)
    name VARCHAR PRIMARY KEY,       -- a built-in user's name or an OIDC e-mail address
    studies INTEGER[] NOT NULL      -- the study ids this user may see (may become empty: sees none)
);
CREATE TABLE IF NOT EXISTS mapping_templates (
    study_id INTEGER NOT NULL,
    signature VARCHAR NOT NULL,     -- hash of the file's column headers
    mapping JSON NOT NULL,          -- the confirmed column specs
    source_file VARCHAR,
    saved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (study_id, signature)
);
"""

#: the web gate's tables (tpm.logins): a login that survives reloads, and the failed logins behind the lockout.
#: Created with IF NOT EXISTS by :func:`create_tables`, so older files simply gain them (schema 8).
LOGIN_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_sessions (  -- one row per browser login (the cookie holds the token)
    token_sha256 VARCHAR PRIMARY KEY,  -- the token's SHA-256: the file alone does not give a valid cookie
    user_name VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (  -- failed logins per user name and per client address
    kind VARCHAR NOT NULL,          -- user | addr
    key VARCHAR NOT NULL,           -- the lower-cased user name, or the client address
    failures INTEGER NOT NULL,
    last_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, key)
);
"""

#: the code frame of a study's comments (schema 9): themes with their match rules (tpm.text.rules), the coding
#: (rules ∪ manual adds − manual removals, rebuilt by tpm.store.coding) and the analysts' overrides
THEME_SCHEMA = """
CREATE TABLE IF NOT EXISTS themes (
    study_id INTEGER NOT NULL,
    id INTEGER NOT NULL,            -- numbered within the study
    name VARCHAR NOT NULL,          -- unique within the study, case-insensitively (checked by tpm.comments.themes)
    label_de VARCHAR,
    label_en VARCHAR,
    words VARCHAR[] NOT NULL,       -- words ("Lieferung") and stems ("liefer*")
    phrases VARCHAR[] NOT NULL,     -- consecutive words ("zu lange")
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (study_id, id)
);
CREATE TABLE IF NOT EXISTS comment_themes (  -- one row per comment and theme it mentions
    dataset_id INTEGER NOT NULL,
    resp INTEGER NOT NULL,
    question VARCHAR NOT NULL,
    theme_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS theme_overrides (  -- an analyst's decision on one comment; survives re-coding
    dataset_id INTEGER NOT NULL,
    resp INTEGER NOT NULL,
    question VARCHAR NOT NULL,
    theme_id INTEGER NOT NULL,
    present BOOLEAN NOT NULL,       -- true: the comment mentions the theme whatever the rules say; false: it does not
    by_user VARCHAR,
    "at" TIMESTAMP NOT NULL,       -- when (quoted: AT is a keyword)
    PRIMARY KEY (dataset_id, resp, question, theme_id)
);
"""

#: alert rules and the follow-up cases they open (schema 10; :mod:`tpm.followup`). A case is one response matching
#: one rule: UNIQUE(rule_id, dataset_id, resp) is what keeps re-runs and re-imports from opening it twice.
#: and the follow-up's contact data and notifications:
#: ``contacts``: a confirmed contact column's answers (tpm.ingest.normalise), nowhere else — deleted with the dataset,
#: replaced on re-mapping, and purged by the retention (tpm.followup.retention) once the case is closed long enough.
#: ``outbox``: every notification (tpm.followup.notify) with its tries and last error (shown on the Cases page).
#: ``study_settings``: per-study settings of the follow-up, a table of its own (not a column of ``studies``) so that
#: a study without settings needs no row and later settings (e.g. a default SLA) need no migration of ``studies``.
FOLLOWUP_SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS alert_rule_ids START 1;
CREATE TABLE IF NOT EXISTS alert_rules (
    study_id INTEGER NOT NULL,
    id INTEGER NOT NULL,            -- from alert_rule_ids: never reused, so a new rule never meets an old rule's cases
    name VARCHAR NOT NULL,          -- unique within the study, case-insensitively (checked by tpm.followup.cases)
    conditions JSON NOT NULL,       -- [{"kind", "name", "op", "value", "text"}…] (tpm.followup.rules.Condition)
    any_of BOOLEAN NOT NULL,        -- true: a response matching any condition (OR); false: all of them (AND)
    sla_days INTEGER,               -- a case is due this many days after it opened (NULL: no due date)
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (study_id, id)
);
CREATE SEQUENCE IF NOT EXISTS case_ids START 1;
CREATE TABLE IF NOT EXISTS cases (
    id BIGINT PRIMARY KEY,
    study_id INTEGER NOT NULL,
    rule_id INTEGER NOT NULL,
    dataset_id INTEGER NOT NULL,
    resp INTEGER NOT NULL,          -- the respondent (respondents.resp of the dataset)
    opened_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP,               -- opened_at + the rule's sla_days
    owner VARCHAR,                  -- a user name (default: the touchpoint's manager or department in the inventory)
    status VARCHAR NOT NULL,        -- new | in_progress | done | unreachable (labels: tpm.i18n case_status_*)
    outcome VARCHAR,
    measure_id INTEGER,             -- a measure of the action plan (actions.id)
    closed_at TIMESTAMP,
    UNIQUE (rule_id, dataset_id, resp)
);
CREATE TABLE IF NOT EXISTS case_notes (
    case_id BIGINT NOT NULL,
    "at" TIMESTAMP NOT NULL,
    by_user VARCHAR,
    text VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS contacts (
    dataset_id INTEGER NOT NULL,
    resp INTEGER NOT NULL,
    kind VARCHAR NOT NULL,          -- email | phone | customer_no (tpm.ingest.detect.CONTACT_KINDS)
    value VARCHAR NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS outbox_ids START 1;
CREATE TABLE IF NOT EXISTS outbox (
    id BIGINT PRIMARY KEY DEFAULT nextval('outbox_ids'),
    case_id INTEGER NOT NULL,
    channel VARCHAR NOT NULL,       -- email | webhook
    event VARCHAR NOT NULL,         -- new | overdue
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,              -- NULL: not (yet) delivered
    tries INTEGER NOT NULL DEFAULT 0,
    last_error VARCHAR
);
CREATE TABLE IF NOT EXISTS study_settings (
    study_id INTEGER PRIMARY KEY,
    retention_days INTEGER          -- contact data and notes of a case closed longer ago are purged (NULL: kept)
);
"""

#: the compact count tables (:mod:`tpm.compact` fills them), each with a ``dataset_id`` column
COMPACT_TABLES = ("segment_profiles", "profiles", "profile_ratings", "profile_dont_know", "profile_pairs", "pair_sets")

COMPACT_SCHEMA = """
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
CREATE TABLE IF NOT EXISTS profile_pairs (  -- key-driver sums per segment profile, outcome and pair of variables
    dataset_id INTEGER NOT NULL,
    sp INTEGER NOT NULL,
    outcome VARCHAR NOT NULL,       -- nps | overall
    a VARCHAR NOT NULL,             -- '' = the outcome, else a touchpoint
    b VARCHAR NOT NULL,
    n DOUBLE NOT NULL, ux DOUBLE NOT NULL, uxx DOUBLE NOT NULL, uxy DOUBLE NOT NULL,
    sw DOUBLE NOT NULL, sw2 DOUBLE NOT NULL, sx DOUBLE NOT NULL, sxx DOUBLE NOT NULL, sxy DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS pair_sets (
    dataset_id INTEGER NOT NULL,
    outcome VARCHAR NOT NULL,
    built BOOLEAN NOT NULL          -- false: too many small segment profiles; drivers read the ratings
);
"""


#: the rows derived from a file by its mapping (replaced together when a dataset is re-mapped),
#: and the compact count tables made from them (:mod:`tpm.compact`, rebuilt by :func:`insert_rows`)
DERIVED_TABLES = ("respondents", "ratings", "dont_know", "segments", "comments", "comment_themes", "contacts",
                  *COMPACT_TABLES)
#: the tables holding touchpoint names of answers (a rename changes them, then :func:`tpm.compact.refresh_study`)
TOUCHPOINT_TABLES = ("ratings", "dont_know", "comments")
#: every row of a dataset (deleted with it); the theme overrides and the follow-up cases outlive a re-mapping (same
#: respondents, same columns)
DATA_TABLES = (*DERIVED_TABLES, "weight_sets", "dataset_files", "theme_overrides", "cases")


#: inventory columns added to ``touchpoints`` (the table predates them in older files)
INVENTORY_COLUMNS = {
    "phase": "VARCHAR", "channel": "VARCHAR", "contact": "VARCHAR", "department": "VARCHAR", "manager": "VARCHAR",
    "target": "DOUBLE", "benchmark": "DOUBLE", "moment_of_truth": "BOOLEAN DEFAULT false", "pain_points": "VARCHAR",
}


#: the schema that brought the comments' folded text and lemmas (a file made before gets them filled)
COMMENT_TEXT_SCHEMA = 9
#: comment columns added in schema 9 (filled for stored comments by the migration, tpm.store.comment_text)
COMMENT_COLUMNS = {"touchpoint": "VARCHAR", "folded": "VARCHAR", "lemmas": "VARCHAR"}


#: respondent columns added after the first release: the overall-satisfaction question (on its
#: own scale) and the survey weight (NULL: unweighted)
RESPONDENT_COLUMNS = {"overall": "DOUBLE", "overall_min": "SMALLINT", "overall_max": "SMALLINT", "weight": "DOUBLE"}


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The tables that are missing, and the columns that older files lack."""
    con.execute(SCHEMA)
    con.execute(LOGIN_SCHEMA)
    con.execute(COMPACT_SCHEMA)
    con.execute(THEME_SCHEMA)
    con.execute(FOLLOWUP_SCHEMA)  # alert rules, cases, notes, contacts, outbox, study settings
    for column, kind in COMMENT_COLUMNS.items():
        con.execute(f"ALTER TABLE comments ADD COLUMN IF NOT EXISTS {column} {kind}")
    for table in ("datasets", "actions"):
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS study_id INTEGER")
    for column, kind in INVENTORY_COLUMNS.items():
        con.execute(f"ALTER TABLE touchpoints ADD COLUMN IF NOT EXISTS {column} {kind}")
    for column, kind in RESPONDENT_COLUMNS.items():  # schema 2: older files get these (empty) columns
        con.execute(f"ALTER TABLE respondents ADD COLUMN IF NOT EXISTS {column} {kind}")


def _schema_version(con: duckdb.DuckDBPyConnection) -> int:
    try:
        row = next(iter(con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()), None)
    except duckdb.CatalogException:
        return 0
    return int(row[0]) if row else 0
