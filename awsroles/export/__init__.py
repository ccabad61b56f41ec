"""Exports of the desired state: policy documents as JSON files, and Terraform (with a small HCL writer).

May import: awsroles.org, awsroles.iam, awsroles.identity_center, awsroles.budgets,
awsroles.accounts, awsroles.fsutil, awsroles.errors.
"""
