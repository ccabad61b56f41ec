"""Pure IAM: the policy documents, the desired state of every account, and who may assume what.

May import: awsroles.org, awsroles.identity_center (its checks run with IAM's in validate) and the top-level
helpers (errors, render).
"""
