"""The local sandbox AWS: a moto server on 127.0.0.1 with awsroles' fixes for what moto does not
enforce, seeded from an org file.

May import: awsroles.org, awsroles.iam, awsroles.aws, awsroles.errors, awsroles.creds (shell variables).
"""
