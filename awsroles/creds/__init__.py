"""Credential vending: long-term keys, MFA sessions, role sessions, and the ways to use them.

``setup.py`` is ``awsroles setup``; ``factory.py`` wires the person's store and vendor for every
credential command. Kept light on purpose: the cached path of ``credential-process`` imports only
``awsroles.paths`` and ``fastformat.py`` and never boto3 (see :mod:`awsroles.creds.hotpath`), and
tab completion reads the person's grants through ``confignames.py`` alone.

May import: awsroles.paths, awsroles.errors, awsroles.fsutil, awsroles.aws (never on the hot
path), awsroles.org and awsroles.iam (setup: who may assume what).
"""
