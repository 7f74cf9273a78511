"""Text of the customers' comments: folding for search, masking of personal data, lemmas for themes.

No database and no pandas here: the same rules serve the import (as SQL), the pages, the CLI and the reports.
"""
