"""The AWS access portal's API (``sso``) as AWS answers it, over moto's Identity Center; moto has none.

After the Portal API Reference (https://docs.aws.amazon.com/singlesignon/latest/PortalAPIReference/,
``API_<Action>.html``). Every call carries an access token from SSO OIDC (:mod:`.sso_tokens`) in
the ``x-amz-sso_bearer_token`` header; an unknown, expired or logged-out token is
UnauthorizedException (HTTP 401). The caller is the Identity Store user who allowed the token's
device request; what they may use are the instance's account assignments (moto's sso-admin, see
:mod:`.identity_center_assignments`) to that user directly or to a group they are a member of.

- **ListAccounts** (API_ListAccounts.html): those accounts, with ``accountName`` and
  ``emailAddress`` from the organization.
- **ListAccountRoles** (API_ListAccountRoles.html): the user's roles in one account: the names of
  the permission sets assigned there.
- **GetRoleCredentials** (API_GetRoleCredentials.html): credentials of the role Identity Center
  makes for the permission set in the account, ``AWSReservedSSO_<PermissionSetName>_<16 hex>`` at
  path ``/aws-reserved/sso.amazonaws.com/`` (User Guide, "IAM Identity Center created IAM roles":
  https://docs.aws.amazon.com/singlesignon/latest/userguide/using-service-linked-roles.html and
  "Referencing permission sets in resource policies"), with the session named after the user
  (``sts get-caller-identity``: ``assumed-role/AWSReservedSSO_..._.../alice``). They last the
  permission set's ``SessionDuration`` (``expiration`` in epoch milliseconds) and are then
  ``ExpiredToken`` by the sandbox's clock. An account and role the user is not assigned: 403
  ForbiddenException "No access", as AWS answers (not in botocore's model, so a plain ClientError).
  As AWS does, the sandbox makes the role (with the set's AWS managed policies, its customer
  managed policies that exist in the account and its inline policy) when the permission set is
  assigned in the account, and deletes it with the account's last assignment of the set ("If you
  delete all assignments to this permission set in the AWS account, the corresponding role that
  IAM Identity Center created is also deleted": IAM Identity Center User Guide, "Referencing
  permission sets in resource policies"); it brings its policies up to date on provisioning and
  on every ask for credentials.
- **Logout** (API_Logout.html): ends the Identity Center session the token belongs to (its access
  and refresh tokens); role credentials already handed out stay valid until they expire.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from awsroles.sandbox.server import clock
from awsroles.sandbox.server.protocol import auth_error
from awsroles.sandbox.server.role_sessions import IDENTITY_STORE_USER
from awsroles.sandbox.server.sso_tokens import Instance, Person, SignIn, SsoError, signed_in

ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"
INLINE_POLICY = "AwsSSOInlinePolicy"
MAX_RESULTS = 100
_EXPIRES = "awsroles_sso_expiration"  # the attribute of a moto AccessKey that says when it expires


def start_url(store_id: str) -> str:
    return f"https://{store_id}.awsapps.com/start"


def instance_of_account(account: str, region: str) -> Instance | None:
    """The Identity Center instance of ``account`` in ``region`` (None: a member account has none)."""
    from moto.ssoadmin.models import ssoadmin_backends

    from awsroles.sandbox.server.identity_center import instances_of

    found = instances_of(ssoadmin_backends[account][region], account)
    return Instance(account, region, found[0].identity_store_id, found[0].instance_arn) if found else None


def instance_of_store(store_id: str) -> Instance | None:
    """The instance whose identity store is ``store_id``, among those moto has made."""
    from moto.ssoadmin.models import ssoadmin_backends

    from awsroles.sandbox.server.identity_center import instances_of

    for account, regions in list(ssoadmin_backends.items()):
        for region, backend in list(regions.items()):
            for instance in instances_of(backend, account):
                if instance.identity_store_id == store_id:
                    return Instance(account, region, store_id, instance.instance_arn)
    return None


def _store(instance: Instance) -> Any:
    from moto.identitystore.models import identitystore_backends

    return identitystore_backends[instance.account][instance.region].identity_stores.get(instance.store_id)


def person_named(instance: Instance, user_name: str) -> Person | None:
    """The instance's Identity Store user called ``user_name`` (compared without case, as
    :mod:`.identity_store` keeps names unique)."""
    store = _store(instance)
    users = list(store.users.values()) if store is not None else []
    found = next((u for u in users if u.UserName.lower() == user_name.lower()), None)
    return Person(found.UserId, found.UserName) if found is not None else None


def _assigned(sign_in: SignIn) -> list[tuple[str, Any]]:
    """(account, permission set) pairs assigned to the user, directly or through a group."""
    from moto.ssoadmin.models import ssoadmin_backends

    instance, user_id = sign_in.instance, sign_in.person.user_id
    store = _store(instance)
    if store is None or user_id not in store.users:
        return []  # the user is gone
    groups = {m["GroupId"] for m in list(store.group_memberships.values()) if m["MemberId"].get("UserId") == user_id}
    backend = ssoadmin_backends[instance.account][instance.region]
    sets = {p.permission_set_arn: p for p in list(backend.permission_sets)}
    pairs: list[tuple[str, Any]] = []
    for a in list(backend.account_assignments):
        mine = (a.principal_type == "USER" and a.principal_id == user_id) or (
            a.principal_type == "GROUP" and a.principal_id in groups)
        if mine and a.instance_arn == instance.instance_arn and a.permission_set_arn in sets:
            pair = (a.target_id, sets[a.permission_set_arn])
            if pair not in pairs:
                pairs.append(pair)
    return pairs


def _page(items: list[dict[str, str]], query: dict[str, str], key: str) -> dict[str, Any]:
    try:
        most = int(query.get("max_result") or MAX_RESULTS)
        start = int(query.get("next_token") or 0)
    except ValueError:
        raise SsoError("InvalidRequestException", 400, "max_result and next_token must be numbers") from None
    if not 1 <= most <= MAX_RESULTS:
        raise SsoError("InvalidRequestException", 400, f"max_result must be between 1 and {MAX_RESULTS}")
    end = start + most
    answer: dict[str, Any] = {key: items[start:end]}
    if end < len(items):
        answer["nextToken"] = str(end)
    return answer


def list_accounts(token: str, query: dict[str, str]) -> dict[str, Any]:
    """ListAccounts (https://docs.aws.amazon.com/singlesignon/latest/PortalAPIReference/API_ListAccounts.html)."""
    from moto.organizations.models import organizations_backends

    sign_in = signed_in(token)
    instance = sign_in.instance
    accounts = {a.id: a for a in list(organizations_backends[instance.account][instance.partition].accounts)}
    ids = sorted({account for account, _ in _assigned(sign_in)})
    items = [{"accountId": i, "accountName": accounts[i].name, "emailAddress": accounts[i].email}
             if i in accounts else {"accountId": i} for i in ids]
    return _page(items, query, "accountList")


def list_account_roles(token: str, query: dict[str, str]) -> dict[str, Any]:
    """ListAccountRoles (https://docs.aws.amazon.com/singlesignon/latest/PortalAPIReference/API_ListAccountRoles.html)."""
    sign_in = signed_in(token)
    account = _required(query, "account_id")
    names = sorted({p.name for a, p in _assigned(sign_in) if a == account})
    return _page([{"roleName": n, "accountId": account} for n in names], query, "roleList")


def _required(query: dict[str, str], name: str) -> str:
    value = query.get(name)
    if not value:
        raise SsoError("InvalidRequestException", 400, f"{name} is required")
    return value


def role_name(account: str, permission_set: Any) -> str:
    """``AWSReservedSSO_<set>_<16 hex>``: the suffix is the same for a set in an account every time."""
    suffix = hashlib.sha256(f"{account}/{permission_set.permission_set_arn}".encode()).hexdigest()[:16]
    return f"AWSReservedSSO_{permission_set.name}_{suffix}"


def get_role_credentials(token: str, query: dict[str, str]) -> dict[str, Any]:
    """GetRoleCredentials (https://docs.aws.amazon.com/singlesignon/latest/PortalAPIReference/
    API_GetRoleCredentials.html)."""
    from moto.sts.models import sts_backends

    from awsroles.sandbox.server.identity_center import session_seconds

    sign_in = signed_in(token)
    account, wanted = _required(query, "account_id"), _required(query, "role_name")
    permission_set = next((p for a, p in _assigned(sign_in) if a == account and p.name == wanted), None)
    if permission_set is None:
        raise SsoError("ForbiddenException", 403, "No access")
    partition = sign_in.instance.partition
    role = _reserved_role(account, partition, permission_set)
    seconds = session_seconds(str(permission_set.session_duration or "PT1H"))
    sts = sts_backends[sign_in.instance.account][partition]
    assumed = sts.assume_role(region_name=sign_in.instance.region, role_session_name=sign_in.person.user_name,
                              role_arn=role.arn, policy="", duration=seconds, external_id="")
    setattr(assumed, IDENTITY_STORE_USER, sign_in.person.user_id)  # identitystore:userId of its requests
    expires = clock.utcnow() + timedelta(seconds=seconds)
    assumed.expiration = expires
    setattr(assumed.access_key, _EXPIRES, expires)
    millis = int((clock.sandbox_time() + seconds) * 1000)
    return {"roleCredentials": {"accessKeyId": assumed.access_key_id, "secretAccessKey": assumed.secret_access_key,
                                "sessionToken": assumed.session_token, "expiration": millis}}


def _reserved_role(account: str, partition: str, permission_set: Any) -> Any:
    """The account's role for the permission set, made or brought up to date (see the module docstring)."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    iam = iam_backends[account][partition]
    name = role_name(account, permission_set)
    try:
        role = iam.get_role(name)
    except NotFoundException:
        provider = f"arn:{partition}:iam::{account}:saml-provider/AWSSSO_{name[-16:]}_DO_NOT_DELETE"
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": provider},
            "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
            "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}
        role = iam.create_role(name, json.dumps(trust), ROLE_PATH, None, "", [], "43200")
    wanted = {p.arn for p in permission_set.managed_policies}
    wanted |= {f"arn:{partition}:iam::{account}:policy{c.path}{c.name}"
               for c in permission_set.customer_managed_policies}
    attached = {p.arn for p in role.managed_policies.values()}
    for arn in attached - wanted:
        iam.detach_role_policy(arn, name)
    for arn in wanted - attached:
        # a customer managed policy the account lacks: AWS would not have provisioned the set
        with contextlib.suppress(NotFoundException):
            iam.attach_role_policy(arn, name)
    if permission_set.inline_policy:
        iam.put_role_policy(name, INLINE_POLICY, permission_set.inline_policy)
    elif INLINE_POLICY in role.policies:
        iam.delete_role_policy(name, INLINE_POLICY)
    return role


def delete_reserved_role(account: str, partition: str, permission_set: Any) -> None:
    """The account's role for the permission set, deleted (nothing: there is none)."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    iam = iam_backends[account][partition]
    name = role_name(account, permission_set)
    try:
        role = iam.get_role(name)
    except NotFoundException:
        return
    for arn in [p.arn for p in role.managed_policies.values()]:
        iam.detach_role_policy(arn, name)
    for policy in list(role.policies):
        iam.delete_role_policy(name, policy)
    iam.delete_role(name)


def patch_sso_sessions() -> Callable[[], None]:
    """Role credentials from GetRoleCredentials expire (``ExpiredToken``) by the sandbox's clock:
    moto never expires assumed-role credentials."""
    from moto.iam import access_control
    from moto.iam.models import iam_backends

    from awsroles.sandbox.server import sso_tokens

    sso_tokens.reset()
    original = access_control.create_access_key

    def create_access_key(account_id: str, partition: str, access_key_id: str, headers: Any) -> Any:
        key = iam_backends[account_id][partition].access_keys.get(access_key_id)
        expires = getattr(key, _EXPIRES, None)
        if expires is not None and clock.utcnow() >= expires:
            raise auth_error()("ExpiredToken", "The security token included in the request is expired")
        return original(account_id, partition, access_key_id, headers)

    setattr(access_control, "create_access_key", create_access_key)  # noqa: B010

    def undo() -> None:
        setattr(access_control, "create_access_key", original)  # noqa: B010
        sso_tokens.reset()

    return undo
