"""TPM — Customer Touchpoint Management: survey exports in, touchpoint decisions out.

The package never imports streamlit: the pages in ``pages/`` are thin views over it.
"""

__version__ = "0.1.0"
