"""AWS Organizations' rules for what the org file declares about accounts and OUs.

From the Organizations API reference (as of 2026):

- ``CreateAccount`` (https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateAccount.html):
  ``AccountName`` is 1 to 50 characters of ``[\\u0020-\\u007E]``; ``Email`` is 6 to 64 characters of
  7-bit ASCII with exactly one ``@``; the local part has no white space nor any of
  ``" ' ( ) < > [ ] : ; , \\ | % &`` and does not begin with a dot; the domain is letters, digits,
  hyphens and dots, neither begins nor ends with a hyphen or a dot, and has at least one dot. The
  address must not belong to another AWS account already (that only AWS can tell: the request then
  fails with ``EMAIL_ALREADY_EXISTS``).
- ``CreateOrganizationalUnit``
  (https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateOrganizationalUnit.html):
  ``Name`` is 1 to 128 characters.
- Quotas (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html):
  OUs nest at most five levels deep under the root.
"""

from __future__ import annotations

import re

ACCOUNT_NAME_MAX = 50
EMAIL_MIN, EMAIL_MAX = 6, 64
OU_NAME_MAX = 128
OU_DEPTH_MAX = 5

_LOCAL_FORBIDDEN = set(" \t\r\n\"'()<>[]:;,\\|%&")
_DOMAIN = re.compile(r"[A-Za-z0-9.-]+")
ACCOUNT_NAME = re.compile(r"[\x20-\x7e]+")


def email_problem(email: str) -> str | None:
    """Why ``email`` is not an address CreateAccount accepts, or None when it is."""
    if not EMAIL_MIN <= len(email) <= EMAIL_MAX:
        return f"is {len(email)} characters; AWS accepts {EMAIL_MIN} to {EMAIL_MAX}"
    if not email.isascii():
        return "has characters that are not 7-bit ASCII"
    if email.count("@") != 1:
        return "must have exactly one @"
    local, domain = email.split("@")
    if not local:
        return "has nothing before the @"
    bad = sorted(set(local) & _LOCAL_FORBIDDEN)
    if bad:
        return f"has {' '.join(repr(c) for c in bad)} before the @, which AWS does not accept there"
    if local.startswith("."):
        return "begins with a dot"
    if not _DOMAIN.fullmatch(domain):
        return "has a domain with characters other than letters, digits, '-' and '.'"
    if domain[0] in ".-" or domain[-1] in ".-":
        return "has a domain that begins or ends with '-' or '.'"
    if "." not in domain:
        return "has a domain without a dot"
    return None


def account_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be the AccountName of CreateAccount, or None."""
    if not 1 <= len(name) <= ACCOUNT_NAME_MAX:
        return f"is {len(name)} characters; AWS Organizations allows {ACCOUNT_NAME_MAX} for an account name"
    if not ACCOUNT_NAME.fullmatch(name):
        return "has characters AWS Organizations does not accept in an account name"
    return None


def parse_ou_path(text: str) -> tuple[tuple[str, ...], str | None]:
    """``Workloads/Prod`` -> ``(("Workloads", "Prod"), None)``; or ``((), why it is not valid)``."""
    parts = tuple(p.strip() for p in text.strip().split("/"))
    if not text.strip():
        return (), "is empty: name the organizational unit, e.g. Workloads/Prod"
    if any(not p for p in parts):
        return (), "has an empty part: separate OU names with single '/', e.g. Workloads/Prod"
    long = next((p for p in parts if len(p) > OU_NAME_MAX), None)
    if long is not None:
        return (), f"has an OU name of {len(long)} characters; AWS Organizations allows {OU_NAME_MAX}"
    if len(parts) > OU_DEPTH_MAX:
        return (), f"is {len(parts)} levels deep; AWS Organizations nests OUs at most {OU_DEPTH_MAX} deep"
    return parts, None


def ou_prefixes(path: str) -> list[str]:
    """``a/b/c`` -> ``["a", "a/b", "a/b/c"]``: every OU a path needs, parents first."""
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]
