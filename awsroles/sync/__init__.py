"""Keeping AWS in line with the org file: read the live state, plan (pure), apply (runs the plan's calls), saved plans.

May import: awsroles.org, awsroles.iam, awsroles.aws, awsroles.errors, awsroles.fsutil.
"""
