"""The ``[org]`` settings of an import that IAM does not hold, their defaults, and what one line
of an org file can hold."""

from __future__ import annotations

import re
from dataclasses import dataclass

from awsroles.errors import UsageError
from awsroles.org import limits
from awsroles.org.builder import NAME  # the org file's own name rule: what it cannot hold is skipped

DEFAULT_PATH = "/awsroles/"
DEFAULT_BOOTSTRAP_ROLE = "OrganizationAccountAccessRole"
DEFAULT_POLICY_DIR = "policies"
DEFAULT_ENVIRONMENT_TAG = "Environment"
DEFAULT_NAME = "imported"
DEFAULT_MFA_MAX_AGE = 12 * 3600
DEFAULT_SESSION_DURATION = 3600


@dataclass(frozen=True)
class OrgSettings:
    """The ``[org]`` settings IAM does not hold (or that the caller chose)."""

    name: str = DEFAULT_NAME
    region: str = "us-east-1"
    path: str = DEFAULT_PATH
    bootstrap_role: str = DEFAULT_BOOTSTRAP_ROLE
    policy_dir: str = DEFAULT_POLICY_DIR
    session_duration: int = DEFAULT_SESSION_DURATION
    mfa: tuple[bool, int] | None = None  # (required, max age) from --from; live trust policies win
    adopt: frozenset[str] = frozenset()  # kinds adopted in place outside the path: users, teams, roles (--adopt)
    moves: frozenset[str] = frozenset()  # of those, the kinds brought to the org's path (--adopt KIND=move)

    def adopts(self, kind: str) -> bool:
        """Whether ``kind`` (users, teams, roles) outside the path is adopted in place."""
        return kind in self.adopt

    def check(self) -> None:
        """Raise UsageError for settings the org file would reject."""
        if not NAME.fullmatch(self.name):
            raise UsageError(f"org name '{self.name}' is not valid: use lower-case letters, digits and '-' (--name)")
        if not limits.REGION.fullmatch(self.region):
            raise UsageError(f"region '{self.region}' is not an AWS region name (--region)")
        if self.path == "/" or not limits.IAM_PATH.fullmatch(self.path) or len(self.path) > limits.PATH_MAX:
            raise UsageError(f"path '{self.path}' is not valid: use /name/ (--path)")
        if not limits.IAM_NAME.fullmatch(self.bootstrap_role) or len(self.bootstrap_role) > limits.ROLE_NAME_MAX:
            raise UsageError(f"bootstrap role '{self.bootstrap_role}' is not a valid role name (--bootstrap-role)")
        if not self.policy_dir.strip() or ini_unsafe(self.policy_dir):
            raise UsageError(f"policy directory {self.policy_dir!r} cannot be written in an org file (--policy-dir)")


def ini_unsafe(value: str) -> bool:
    """True when configparser would not read ``value`` back as written on one line."""
    return (value != value.strip() or "\n" in value or "\r" in value
            or bool(re.search(r"(?:^|\s)[;#]", value)))


def ini_text(value: str) -> str:
    """Free text (a description) made safe for one INI line: white space collapsed, and no
    ``;``/``#`` after white space (configparser would cut the value there)."""
    text = " ".join(value.split())
    text = re.sub(r"\s+([;#])", r"\1", text)
    return text.lstrip(";#").strip()


def partition_of(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
