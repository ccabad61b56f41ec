"""``awsroles login ENV --break-glass --reason TEXT``: a break-glass role session, always new.

A break-glass session is never an ordinary role session: it is assumed afresh every time (so every
use is one ``AssumeRole``, one CloudTrail event, one alarm, with its own reason), carries the
reason as the session tag ``awsroles:reason``, lasts at most the role's ``max_session`` (1 hour by
default), and is kept only in the person's secret store under its own name
(``break-glass/ACCOUNT/ROLE/USER``): never in the fast cache, and never served by
``credential-process``, ``env`` or a profile, which look up granted roles only. ``awsroles exec ENV
--break-glass`` uses the stored session until it ends; ``awsroles logout`` forgets it.

In an org on IAM Identity Center alone the session is assumed from the role session of the
permission set ``awsroles-break-glass`` (:meth:`awsroles.creds.sso_vend.IdentityCenterVendor.assume_break_glass`):
an hour at most, and without a source identity (docs/temporary-access.md, "Break-glass through IAM
Identity Center").
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass

from awsroles.creds.model import Credentials
from awsroles.creds.store import SESSIONS
from awsroles.creds.userconfig import RoleGrant
from awsroles.creds.vend import Vendor
from awsroles.errors import NotGrantedError, UsageError
from awsroles.org.marks import REASON_TAG

log = logging.getLogger(__name__)

REASON_MAX = 256  # STS session tag values: at most 256 characters
REASON_PUNCTUATION = "_.:/=+-@"
SESSION_PREFIX = "break-glass/"


@dataclass(frozen=True)
class BreakGlassSession:
    grant: RoleGrant
    credentials: Credentials
    reason: str


def check_reason(text: str) -> str:
    """The reason as STS takes a session tag value: one line of 1 to 256 letters, digits, spaces
    and ``_ . : / = + - @`` (STS API reference, Tag: ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*``, at most 256,
    https://docs.aws.amazon.com/STS/latest/APIReference/API_Tag.html). UsageError otherwise."""
    reason = text.strip()
    if not reason:
        raise UsageError("--reason is empty: say why (an incident or ticket: INC-1234 prod database down)")
    if len(reason) > REASON_MAX:
        raise UsageError(f"--reason is {len(reason)} characters; a session tag holds at most {REASON_MAX}")
    bad = sorted({c for c in reason if not (c.isalnum() or unicodedata.category(c) in ("Zs", "Zl", "Zp")
                                            or c in REASON_PUNCTUATION)})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        raise UsageError(f"--reason has {shown}: AWS takes letters, digits, spaces and {' '.join(REASON_PUNCTUATION)} "
                         "in a session tag")
    return reason


def session_name(vendor: Vendor, grant: RoleGrant) -> str:
    """Its name in the secret store: never a name the role-session lookups use."""
    return f"{SESSION_PREFIX}{grant.account_id}/{grant.role}/{vendor.config.user_name}"


def resolve(vendor: Vendor, environment: str) -> RoleGrant:
    """The break-glass role of ``environment`` that ``awsroles setup`` recorded for this person."""
    found = next((g for g in vendor.config.break_glass if g.environment == environment), None)
    if found is None:
        mine = ", ".join(g.environment for g in vendor.config.break_glass) or "none"
        raise NotGrantedError(f"you are named in no [break-glass {environment}] (as of your last `awsroles setup`); "
                              f"your break-glass environments: {mine}")
    return found


def assume(vendor: Vendor, environment: str, reason: str, duration: int | None = None) -> BreakGlassSession:
    """A new break-glass session of ``environment``'s role, tagged with ``reason``, kept in the store."""
    reason = check_reason(reason)
    grant = resolve(vendor, environment)
    seconds = duration or grant.max_session
    if not 900 <= seconds <= grant.max_session:
        raise UsageError(f"a session of {seconds}s is outside 900..{grant.max_session} for the break-glass role "
                         f"of {environment} (its max_session)")
    user = vendor.config.user_name
    params = {"RoleArn": grant.role_arn, "RoleSessionName": user[:64], "SourceIdentity": user,
              "DurationSeconds": seconds, "Tags": [{"Key": REASON_TAG, "Value": reason}]}
    credentials = vendor.assume_break_glass(grant, params, f"the break-glass role {grant.role} in {environment}")
    vendor.store.set(SESSIONS, session_name(vendor, grant), credentials.to_json())
    return BreakGlassSession(grant, credentials, reason)


def stored(vendor: Vendor, environment: str) -> tuple[RoleGrant, Credentials]:
    """The break-glass session ``login --break-glass`` kept, while it lasts (UsageError otherwise)."""
    grant = resolve(vendor, environment)
    text = vendor.store.get(SESSIONS, session_name(vendor, grant))
    credentials = Credentials.from_json(text) if text else None
    if credentials is None or credentials.remaining(vendor.clock()) <= 60:
        raise UsageError(f"no break-glass session for {environment}: run `awsroles login {environment} --break-glass "
                         "--reason TEXT` first")
    return grant, credentials
