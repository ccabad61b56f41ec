"""People in the ops account: users, their MFA devices and access keys, and the audit trail of
every write.

May import: awsroles.org, awsroles.iam, awsroles.sync (a new person is applied through the plan),
awsroles.aws, awsroles.errors, awsroles.fsutil, awsroles.paths.
"""
