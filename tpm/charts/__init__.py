"""Plotly figure builders: small frames in, ``go.Figure`` out. Pure, so tests read them as data.

Every figure has a title, axis titles with units, the base (n) in the hover, and German
number format when ``lang == "de"``. Labels that come from user files are escaped, since
plotly reads a small subset of HTML in text.
"""
