"""People in the ops account: users, their MFA devices and access keys, and the audit trail of every write.

May import: awsroles.org, awsroles.iam, awsroles.aws, awsroles.errors, awsroles.fsutil, awsroles.paths.
"""
