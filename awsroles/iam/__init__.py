"""Pure IAM: the policy documents, the desired state of every account, and who may assume what.

May import: awsroles.org and the top-level helpers (errors, render).
"""
