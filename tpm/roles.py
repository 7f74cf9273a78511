"""The roles, each including the one before (:mod:`tpm.access` says what each may do).

A module of its own, without imports, so the CLI's ``--help`` lists them without loading the store.
"""

ROLES = ("viewer", "analyst", "admin")
