"""IAM quotas and name rules that validation enforces (default quotas, as of 2026).

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
IAM counts policy size without white space; we measure compact JSON, which is never smaller.
"""

from __future__ import annotations

import re

ROLE_NAME_MAX = 64
USER_NAME_MAX = 64
GROUP_NAME_MAX = 128
POLICY_NAME_MAX = 128
PATH_MAX = 512
ROLE_DESCRIPTION_MAX = 1000
TRUST_POLICY_MAX = 2048
MANAGED_POLICY_MAX = 6144
ROLE_INLINE_POLICIES_MAX = 10240  # all inline policies of one role together
GROUP_INLINE_POLICIES_MAX = 5120  # all inline policies of one group together
USER_INLINE_POLICIES_MAX = 2048  # all inline policies of one user together
MANAGED_POLICIES_PER_ROLE = 10
GROUPS_PER_USER = 10
TAGS_PER_RESOURCE = 50
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256

ROLE_SESSION_MIN = 3600  # a role's MaxSessionDuration: 1h ..
ROLE_SESSION_MAX = 43200  # .. 12h
ROLE_CHAIN_SESSION_MAX = 3600  # a session assumed with a role session (role chaining): 1h (IAM User Guide)
ASSUME_ROLE_MIN = 900  # a requested role session: 15m ..
SESSION_TOKEN_MIN = 900  # GetSessionToken: 15m ..
SESSION_TOKEN_MAX = 129600  # .. 36h

IAM_NAME = re.compile(r"[\w+=,.@-]+", re.ASCII)
IAM_PATH = re.compile(r"/(?:[\x21-\x7e]+/)?")
ACCOUNT_ID = re.compile(r"\d{12}")
MANAGED_POLICY_ARN = re.compile(
    r"arn:aws(?:-cn|-us-gov)?:iam::(?:aws|\d{12}):policy/(?:[\w+=,.@-]+/)*[\w+=,.@-]+", re.ASCII
)
TAG_TEXT = re.compile(r"[\w\s.:/=+\-@]*")
REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d")
