"""Keeping AWS in line with the org file: read the live state, plan (pure), apply (runs the plan's calls), saved plans.

IAM in the ops and environment accounts (``planner.py``), and the billing account's budgets
(``budgets.py``).

May import: awsroles.org, awsroles.iam, awsroles.budgets, awsroles.aws, awsroles.errors, awsroles.fsutil.
"""
