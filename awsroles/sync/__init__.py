"""Keeping AWS in line with the org file: read the live state, plan (pure), apply (runs the plan's calls), saved plans.

IAM in the ops and environment accounts (``planner.py``, groups and users in
``planner_people.py``), the billing account's budgets (``budgets.py``), the organization's
accounts and OUs in the management account (``accounts.py``, run by ``organizations.py``; their
kinds of change in ``kinds.py``), and Identity Center (``identity_center.py``,
``identity_center_sets.py``, ``identity_center_base.py``).

May import: awsroles.org, awsroles.iam, awsroles.identity_center, awsroles.budgets,
awsroles.accounts, awsroles.aws, awsroles.errors,
awsroles.fsutil.
"""
