"""Adopting an existing setup: read live IAM, infer the org, write the org file.

May import: awsroles.org, awsroles.iam, awsroles.budgets, awsroles.sync (state, plan, planner), awsroles.aws,
awsroles.errors, awsroles.fsutil.
"""
