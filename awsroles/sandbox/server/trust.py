"""AssumeRole is refused unless the role's trust policy allows the caller, as AWS decides it.

moto issues credentials for any role to any caller that its own policies let call
``sts:AssumeRole``: it never reads the role's trust policy. On AWS, assuming a role in another
account (or in the same one, by a principal the trust policy names) takes both: the caller's
identity policy must allow ``sts:AssumeRole`` on the role (moto checks that, with the sandbox's
conditions: :mod:`awsroles.sandbox.server.sessions`) *and* the role's trust policy, a resource-based
policy, must allow the caller; an explicit ``Deny`` in either wins (IAM User Guide, "Policy
evaluation logic" and "Cross-account policy evaluation logic":
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
A trust policy that omits an action the request needs refuses it too: ``sts:SetSourceIdentity``
when the request sets a ``SourceIdentity``, ``sts:TagSession`` when it passes session tags
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html). A role that does not exist
at the ARN given (name or path) is refused the same way, as AWS does.

What the sandbox evaluates, per statement of the trust policy:

- ``Principal``: ``*``; an account (``123456789012`` or ``arn:aws:iam::123456789012:root``: any
  principal of that account); a user's or a role's exact ARN (a role's matches its sessions; IAM
  compares the names without case); a role session's ARN (``arn:aws:sts::ID:assumed-role/ROLE/NAME``);
  ``Service``, ``Federated`` and ``CanonicalUser`` never match an IAM caller. ``NotPrincipal``
  matches every caller it does not name.
- ``Action`` / ``NotAction``, with ``*`` and ``?`` wildcards, without case.
- ``Condition``: every operator of :mod:`awsroles.sandbox.server.conditions` plus ``ArnEquals``,
  ``ArnLike``, ``ArnNotEquals`` and ``ArnNotLike`` (each of an ARN's six colon-separated parts matched
  on its own), over the caller's request context: ``aws:PrincipalArn``, ``aws:PrincipalAccount``,
  ``aws:PrincipalType``, ``aws:username`` and ``aws:userid`` (IAM users), ``aws:MultiFactorAuthPresent``
  and ``aws:MultiFactorAuthAge`` (a ``GetSessionToken`` session: as it was made; long-term keys with
  ``SerialNumber`` and ``TokenCode`` on the ``AssumeRole`` itself: present, age 0; otherwise absent),
  ``sts:SourceIdentity``, ``sts:RoleSessionName``, ``sts:ExternalId``, ``aws:SourceIdentity`` (a role
  session's), ``aws:CurrentTime``, ``aws:EpochTime``, ``aws:TokenIssueTime``, and the session tags
  asked for: ``aws:RequestTag/KEY`` and ``aws:TagKeys`` (multivalued: ``ForAllValues:`` and
  ``ForAnyValue:``). Policy variables (``${aws:username}``) take the caller's values. A key the
  request lacks is absent, as on AWS. A condition the sandbox cannot evaluate (``IpAddress``...) is
  not met: an Allow with one allows nothing, a Deny with one denies nothing.

The same evaluation decides for a caller in the role's own account (moto's own check, which
compares the caller's ARN with ``Principal`` literally, would refuse an account principal).

The refusal is AWS's: ``AccessDenied`` (HTTP 403), ``User: ARN is not authorized to perform:
sts:AssumeRole on resource: ROLE-ARN``. Installed by the sandbox server
(:func:`awsroles.sandbox.server.main.install_workarounds`) after the sessions' patches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from awsroles.sandbox.server.conditions import evaluate_conditions

_ACCOUNT = re.compile(r"^\d{12}$")
_ROOT = re.compile(r"^arn:[\w-]+:iam::(\d{12}):root$")
_ROLE_ARN = re.compile(r"^arn:([\w-]+):iam::(\d{12}):role(/(?:.*/)?)([^/]+)$")


@dataclass(frozen=True)
class Caller:
    """Who asks to assume a role: an IAM user (``arn`` its ARN) or a role session (``arn`` the role's,
    ``session_arn`` the session's ``assumed-role`` ARN)."""

    account: str
    arn: str
    session_arn: str = ""


def _values(value: Any) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _like(pattern: str, value: str) -> bool:
    """IAM's ``*`` and ``?``, without case (actions)."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL) is not None


def _same_arn(a: str, b: str) -> bool:
    """Two IAM entity ARNs name the same entity: IAM names (and paths) compare without case."""
    return a.lower() == b.lower()


def _names(principal: Any, caller: Caller) -> bool:
    """Whether a ``Principal`` element names ``caller``."""
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    for value in _values(principal.get("AWS", [])):
        if value == "*":
            return True
        root = _ROOT.match(value)
        if (_ACCOUNT.match(value) and value == caller.account) or (root and root.group(1) == caller.account):
            return True
        if _same_arn(value, caller.arn) or (caller.session_arn and _same_arn(value, caller.session_arn)):
            return True
    return False


def _statement_matches(statement: Mapping[str, Any], caller: Caller, action: str,
                       context: Mapping[str, str], multi: Mapping[str, list[str]]) -> bool:
    if "Principal" in statement:
        if not _names(statement["Principal"], caller):
            return False
    elif "NotPrincipal" in statement:
        if _names(statement["NotPrincipal"], caller):
            return False
    else:
        return False  # a trust policy statement always names its principals
    if "Action" in statement:
        if not any(_like(a, action) for a in _values(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(_like(a, action) for a in _values(statement["NotAction"])):
            return False
    else:
        return False
    conditions = statement.get("Condition")
    return not conditions or evaluate_conditions(conditions, context, multi)


def refusal(document: Mapping[str, Any], caller: Caller, context: Mapping[str, str],
            actions: Sequence[str], multi: Mapping[str, list[str]] | None = None) -> str | None:
    """None when ``document`` (a trust policy) allows ``caller`` every one of ``actions`` in
    ``context`` (``multi``: its multivalued keys, ``aws:tagkeys``); else the first action it does
    not allow (explicitly denied, or allowed by no statement)."""
    statements = document.get("Statement", [])
    listed: Iterable[Any] = statements if isinstance(statements, list) else [statements]
    statements = [s for s in listed if isinstance(s, Mapping)]
    for action in actions:
        matching = [s for s in statements if _statement_matches(s, caller, action, context, multi or {})]
        if any(s.get("Effect") == "Deny" for s in matching) or not any(s.get("Effect") == "Allow" for s in matching):
            return action
    return None


def _request(handler: Any) -> tuple[list[str], dict[str, str], dict[str, list[str]]]:
    """The actions an ``AssumeRole`` request needs of the trust policy, and its own context keys
    (single, and multivalued): ``sts:SourceIdentity``, ``sts:RoleSessionName``, ``sts:ExternalId``,
    each session tag as ``aws:RequestTag/KEY`` and their keys as ``aws:TagKeys``."""
    actions = ["sts:AssumeRole"]
    extra: dict[str, str] = {}
    source_identity = handler._get_param("SourceIdentity")
    if source_identity:
        actions.append("sts:SetSourceIdentity")
        extra["sts:sourceidentity"] = source_identity
    params = handler._get_params()
    tags = {str(t.get("Key", "")): str(t.get("Value", "")) for t in params.get("Tags") or [] if isinstance(t, dict)}
    if tags or params.get("TransitiveTagKeys"):
        actions.append("sts:TagSession")
    extra.update({f"aws:requesttag/{k.lower()}": v for k, v in tags.items()})
    for key, name in (("sts:rolesessionname", "RoleSessionName"), ("sts:externalid", "ExternalId")):
        value = handler._get_param(name)
        if value:
            extra[key] = value
    return actions, extra, {"aws:tagkeys": list(tags)} if tags else {}


def _nameable(account: str, partition: str, key: str) -> bool:
    """Whether :func:`_caller` can name the caller of this access key (an IAM user, one's session, a
    role session): then the sandbox decides its ``AssumeRole`` by the trust policy."""
    from moto.iam.models import iam_backends

    from awsroles.sandbox.server.role_sessions import find_assumed
    from awsroles.sandbox.server.sessions import find_session

    return bool(key) and (find_session(account, partition, key) is not None
                          or iam_backends[account][partition].get_user_from_access_key_id(key) is not None
                          or find_assumed(account, partition, key) is not None)


def _caller(handler: Any) -> tuple[Caller, dict[str, str]] | None:
    """The caller of an ``AssumeRole`` and its request context, or None when the sandbox cannot
    tell (moto's own authorization then answers for the request)."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    from awsroles.sandbox.server.role_sessions import find_assumed, role_context
    from awsroles.sandbox.server.sessions import find_session, user_context

    account, partition, key = handler.current_account, handler.partition, handler.get_access_key()
    backend = iam_backends[account][partition]
    session = find_session(account, partition, key)
    user = backend.users.get(session.user_name) if session is not None else backend.get_user_from_access_key_id(key)
    if user is not None:
        context = user_context(session, user)
        if session is None and handler._get_param("SerialNumber") and handler._get_param("TokenCode"):
            # MFA given with the AssumeRole itself: present for this request, just now (the code is
            # checked by the sessions' patch)
            context["aws:multifactorauthpresent"], context["aws:multifactorauthage"] = "true", "0"
        return Caller(account, str(user.arn)), context
    assumed = find_assumed(account, partition, key)
    if assumed is None:
        return None
    try:
        role = iam_backends[account][partition].get_role(str(assumed.role_arn).rsplit("/", 1)[-1])
    except NotFoundException:  # the role is gone: its sessions carry no role id
        role = None
    context = role_context(assumed, role, "sts:GetCallerIdentity", {})
    return Caller(account, str(assumed.role_arn), str(assumed.arn)), context


def _role(role_arn: str) -> Any:
    """The IAM role ``role_arn`` names, exactly (path and name), or None."""
    from moto.iam.models import iam_backends

    match = _ROLE_ARN.match(role_arn or "")
    if match is None:
        return None
    partition, account, path, name = match.groups()
    backend = iam_backends[account][partition]
    role = next((r for r in backend.roles.values() if r.name.lower() == name.lower()), None)
    return role if role is not None and role.path.lower() == path.lower() else None


def patch_trust() -> Callable[[], None]:
    """AssumeRole evaluates the role's trust policy (see the module docstring)."""
    import json

    from moto.iam import access_control
    from moto.sts import responses as sts_responses

    from awsroles.sandbox.server.protocol import auth_error

    original = sts_responses.TokenResponse.assume_role
    original_trust = access_control.IAMRequestBase._check_role_trust_relationship

    def check_role_trust_relationship(self: Any, role_arn: str) -> bool:
        """moto's own trust check, made for an ``AssumeRole`` of a role in the caller's own account,
        compares the caller's ARN with ``Principal`` literally: an account principal
        (``arn:aws:iam::ID:root``, any principal of that account on AWS) never matches, and its
        conditions know few keys. For a caller the sandbox can name (:func:`_nameable`), the trust
        is :func:`refusal`'s to decide, in ``assume_role`` below, for callers of every account alike."""
        key = self._access_key
        if _nameable(key.account_id, key.partition, getattr(key, "_access_key_id", "")):
            return True
        return bool(original_trust(self, role_arn))

    def assume_role(self: Any) -> Any:
        found = _caller(self)
        if found is not None:
            caller, context = found
            role_arn = self._get_param("RoleArn") or ""
            actions, extra, multi = _request(self)
            role = _role(role_arn)
            document = json.loads(role.assume_role_policy_document) if role is not None else {}
            denied = refusal(document, caller, {**context, **extra}, actions, multi)
            if role is None or denied is not None:
                who = caller.session_arn or caller.arn
                raise auth_error()("AccessDenied", f"User: {who} is not authorized to perform: "
                                                   f"{denied or 'sts:AssumeRole'} on resource: {role_arn}")
        return original(self)

    setattr(sts_responses.TokenResponse, "assume_role", assume_role)  # noqa: B010  (a patch)
    setattr(access_control.IAMRequestBase, "_check_role_trust_relationship", check_role_trust_relationship)  # noqa: B010

    def undo() -> None:
        setattr(sts_responses.TokenResponse, "assume_role", original)  # noqa: B010
        setattr(access_control.IAMRequestBase, "_check_role_trust_relationship", original_trust)  # noqa: B010

    return undo
