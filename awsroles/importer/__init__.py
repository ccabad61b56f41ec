"""Adopting an existing setup: read live IAM, infer the org, write the org file.

May import: awsroles.org, awsroles.iam, awsroles.identity_center, awsroles.budgets,
awsroles.accounts, awsroles.sync (state, plan, planner,
accounts, identity_center), awsroles.aws, awsroles.errors, awsroles.fsutil.
"""
