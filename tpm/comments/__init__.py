"""Open comments: search, themes and what they say in figures (issue #21)."""
