"""The org file: its model, parsing and validation (FILE:LINE), comment-preserving edits, writing a
whole file from the model (:mod:`awsroles.org.write`), and the IAM name rules and quotas it checks.

May import: nothing of awsroles but the top-level helpers (errors, fsutil). The whole-model
checks that need policy sizes live in :mod:`awsroles.iam` (for now :mod:`awsroles.org.parse`
still imports :mod:`awsroles.iam.policies` for them: the one arrow left to cut).
"""
