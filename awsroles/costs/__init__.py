"""Costs: per-environment monthly reports from consolidated billing, for finance.

``sources.py`` reads the lines (Cost Explorer, a CUR export, Athena), ``report.py`` builds the
report, ``forecast.py`` the current month; the clock (``today``) is always passed in.

May import: awsroles.org, awsroles.aws, awsroles.errors, awsroles.fsutil, awsroles.paths,
awsroles.render.
"""
