"""Exports: tables as CSV (and later Excel), safe to open in a spreadsheet."""
