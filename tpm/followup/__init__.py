"""Closing the loop (issue #22): alert rules over single responses (:mod:`tpm.followup.rules`, parsed and compiled to
one DuckDB query) and the follow-up cases they open, with owner, status, due date and notes
(:mod:`tpm.followup.cases`), their notifications (:mod:`tpm.followup.notify`) and the retention of contact data
(:mod:`tpm.followup.retention`). Every write goes through :func:`tpm.access.perform`."""
