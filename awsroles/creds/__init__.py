"""Credential vending: long-term keys, MFA sessions, role sessions, and the ways to use them.

Kept light on purpose: the cached path of ``credential-process`` imports only what it needs and
never boto3 (see :mod:`awsroles.creds.hotpath`).
"""
