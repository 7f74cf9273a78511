"""Who sees a case's contact data: analysts and admins, within the studies they may see — never viewers.

One home for the rule: every list of cases that may carry contact data goes through :func:`with_contacts`, which
adds a column per contact kind (``email``, ``phone``, ``customer_no``) only for an actor allowed to see them; for
anyone else the frame comes back without those columns (not with empty ones: nothing to leak by a later join).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from tpm.ingest.detect import CONTACT_KINDS
from tpm.roles import ROLES

#: the least role that sees contact data
CONTACT_ROLE = "analyst"


def may_see_contacts(role: str | None) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(CONTACT_ROLE)


def with_contacts(con: duckdb.DuckDBPyConnection, cases: pd.DataFrame, role: str | None,
                  visible: set[int] | None) -> pd.DataFrame:
    """``cases`` (columns ``id``, ``study_id``, ``dataset_id``, ``resp`` at least) with its contact columns when
    ``role`` may see them, only for cases of ``visible`` studies (None: every study); else without any."""
    out = cases.drop(columns=[c for c in CONTACT_KINDS if c in cases.columns])
    if not may_see_contacts(role) or out.empty:
        return out
    keys = out[["dataset_id", "resp"]].drop_duplicates()
    con.register("wanted_keys", keys)
    try:
        found = con.execute("""SELECT k.dataset_id, k.resp, k.kind, string_agg(k.value, '; ' ORDER BY k.value) AS value
                               FROM contacts k JOIN wanted_keys w USING (dataset_id, resp) GROUP BY ALL""").df()
    finally:
        con.unregister("wanted_keys")
    if found.empty:
        merged = out.assign(**dict.fromkeys(CONTACT_KINDS))
    else:
        wide = found.pivot(index=["dataset_id", "resp"], columns="kind", values="value")
        wide = wide.reindex(columns=list(CONTACT_KINDS)).reset_index()
        merged = out.merge(wide, on=["dataset_id", "resp"], how="left")
    if visible is not None:  # outside the actor's studies: no contact data, even for an analyst
        merged.loc[~merged["study_id"].isin(visible), list(CONTACT_KINDS)] = None
    return merged
