"""The customers' comments as analysis: themes (the code frame), the comments page's query, the statistics.

Above the metrics (filters, NPS variance), below the action plans (tests/test_architecture.py LAYERS).
"""
