"""IAM Identity Center's admin API (``sso-admin``) as AWS answers it, where moto 5.2 differs.

moto gives every account one Identity Center instance per region (made when the account's
``sso-admin`` backend is first used, so the organization's management account has one in the
org's region) and keeps permission sets, their policies and account assignments. It has no
DescribeInstance, no tags (TagResource, UntagResource, ListTagsForResource), no permissions
boundary (Put/Get/DeletePermissionsBoundary...), no DescribePermissionSetProvisioningStatus; it
checks none of the rules below, provisions every permission set to the caller's own account, and
answers every provisioning and assignment request SUCCEEDED at once. The sandbox answers these
calls on moto's own permission sets and assignments (so moto's other calls still see them), as the
IAM Identity Center API Reference (https://docs.aws.amazon.com/singlesignon/latest/APIReference/,
one page per action: ``API_<Action>.html``) and the quotas page
(https://docs.aws.amazon.com/singlesignon/latest/userguide/limits.html) describe them:

- An organization's instance is its management account's (User Guide, "Organization and account
  instances of IAM Identity Center":
  https://docs.aws.amazon.com/singlesignon/latest/userguide/identity-center-instances.html): a
  member account of an organization has none (ListInstances answers an empty list); moto gave every
  account one. ``InstanceArn`` names an instance of the caller (else ResourceNotFoundException).
- Identifiers as AWS makes them (API reference, the request parameters' patterns): an identity
  store id is ``d-`` and 10 hexadecimal digits, a permission set's ARN
  ``arn:PARTITION:sso:::permissionSet/ssoins-.../ps-...`` (moto: ``.../instance/ssoins-.../ps-...``).
- CreatePermissionSet: ``Name`` 1 to 32 of ``[\\w+=,.@-]``, ``Description`` 1 to 700 characters
  (ValidationException); the name is unique in the instance (ConflictException);
  ``SessionDuration`` an ISO-8601 duration from PT1H to PT12H (User Guide, "Set session duration":
  https://docs.aws.amazon.com/singlesignon/latest/userguide/howtosessionduration.html), PT1H when
  left out; ``Tags`` kept, and read and written by the permission set's ARN with TagResource,
  UntagResource and ListTagsForResource (tag keys 1 to 128 characters, values up to 256).
- UpdatePermissionSet changes only what it is given.
- DeletePermissionSet of a permission set still provisioned to an account is ConflictException
  "Could not delete because PermissionSet has ApplicationProfile associated with it" (what AWS
  answers; see hashicorp/terraform-provider-aws#26757): remove its assignments first.
- PutInlinePolicyToPermissionSet: 1 to 32,768 characters of JSON (ValidationException).
- AttachManagedPolicyToPermissionSet: an AWS managed policy that exists (ResourceNotFoundException),
  not attached already (ConflictException); customer managed policy references (``Name`` 1 to 128
  of ``[\\w+=,.@-]``, ``Path`` ``/`` or ``/.../``) likewise; at most 10 policies of both kinds per
  permission set (quotas page; ServiceQuotaExceededException).
- PermissionsBoundary: exactly one of ``ManagedPolicyArn`` (an existing AWS managed policy) and
  ``CustomerManagedPolicyReference`` (ValidationException); Get and Delete of a permission set
  without one are ResourceNotFoundException.
- ProvisionPermissionSet (``TargetType`` AWS_ACCOUNT with a ``TargetId`` of the organization, or
  ALL_PROVISIONED_ACCOUNTS), CreateAccountAssignment and DeleteAccountAssignment are asynchronous:
  each answers IN_PROGRESS with a ``RequestId``; the matching Describe...Status answers IN_PROGRESS
  the first time it is asked about a request within :data:`IN_PROGRESS_FOR` (0.2 s) of it, and
  SUCCEEDED after, so a client that reads the status at once must poll. (AWS takes a second or more;
  the sandbox's short time keeps its applies quick: a client that pauses before its first read, as
  apply does for a quarter of a second and terraform's AWS provider for 5 to 10 seconds, reads
  SUCCEEDED, and is not made to wait again for nothing.) An unknown request id is
  ResourceNotFoundException.
- CreateAccountAssignment: ``TargetId`` an account of the caller's organization (ValidationException),
  the principal a user or group of the instance's identity store and the permission set one of the
  instance (ResourceNotFoundException). The API reference lists both errors without saying which
  case gets which: these are the sandbox's reading, and AWS may instead accept the request and
  report the failure in its status. Creating an assignment that exists changes nothing. It
  provisions the permission set to the account; deleting the account's last assignment of a
  permission set deprovisions it. A permission set changed after it was provisioned to an account
  (its description, session duration, relay state or policies) is
  LATEST_PERMISSION_SET_NOT_PROVISIONED there until it is provisioned again: the ``ProvisioningStatus``
  filter of ListAccountsForProvisionedPermissionSet and ListPermissionSetsProvisionedToAccount.
- Lists are paginated with ``MaxResults`` (1 to 100) and ``NextToken``.

Identity Store's side (users, groups, memberships) is :mod:`.identity_store`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

NAME = re.compile(r"[\w+=,.@-]{1,32}", re.ASCII)  # the API's \w is ASCII (Java regular expressions)
POLICY_NAME = re.compile(r"[\w+=,.@-]{1,128}", re.ASCII)
POLICY_PATH = re.compile(r"/|/[\w+=,.@-]+(/[\w+=,.@-]+)*/", re.ASCII)
DURATION = re.compile(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?")
MIN_SESSION, MAX_SESSION = 3600, 12 * 3600
MAX_DESCRIPTION = 700
MAX_INLINE_POLICY = 32768
MAX_POLICIES = 10
MAX_RESULTS = 100
POLLS_IN_PROGRESS = 1  # how many reads of a request's status may answer IN_PROGRESS ...
IN_PROGRESS_FOR = 0.2  # ... and only within this many seconds of the request (after it: SUCCEEDED)
LATEST, NOT_LATEST = "LATEST_PERMISSION_SET_PROVISIONED", "LATEST_PERMISSION_SET_NOT_PROVISIONED"


def error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    exc = JsonRESTError(code, message)
    exc.code = 400
    return exc


@dataclass
class Request:
    """An asynchronous request: what Describe...Status answers, and how often it was asked."""

    status: dict[str, Any]
    polls: int = 0
    made: float = field(default_factory=time.monotonic)

    def describe(self) -> dict[str, Any]:
        self.polls += 1
        busy = self.polls <= POLLS_IN_PROGRESS and time.monotonic() - self.made < IN_PROGRESS_FOR
        return {**self.status, "Status": "IN_PROGRESS" if busy else "SUCCEEDED"}


@dataclass
class State:
    """What the sandbox keeps beside moto's objects, per sso-admin backend (account and region)."""

    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # permission set ARN -> tags
    boundaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)  # bumped by every change to a permission set
    provisioned: dict[tuple[str, str], int] = field(default_factory=dict)  # (set, account) -> version
    provisioning: dict[str, Request] = field(default_factory=dict)
    creations: dict[str, Request] = field(default_factory=dict)
    deletions: dict[str, Request] = field(default_factory=dict)

    def changed(self, arn: str) -> None:
        self.versions[arn] = self.versions.get(arn, 0) + 1

    def status_of(self, arn: str, account: str) -> str | None:
        version = self.provisioned.get((arn, account))
        if version is None:
            return None
        return LATEST if version == self.versions.get(arn, 0) else NOT_LATEST


def state_of(backend: Any) -> State:
    found = getattr(backend, "awsroles_state", None)
    if found is None:
        found = State()
        backend.awsroles_state = found
    return found


def page(items: Sequence[Any], params: dict[str, Any]) -> tuple[list[Any], str | None]:
    """One page of ``items`` from ``NextToken`` (an offset here; opaque to clients)."""
    most = int(params.get("MaxResults") or MAX_RESULTS)
    if not 1 <= most <= MAX_RESULTS:
        raise error("ValidationException", f"MaxResults must be between 1 and {MAX_RESULTS}")
    token = params.get("NextToken")
    start = int(token) if token and str(token).isdigit() else 0
    end = start + most
    return list(items[start:end]), (str(end) if end < len(items) else None)


def session_seconds(duration: str) -> int:
    match = DURATION.fullmatch(duration)
    if match is None or not any(match.groups()):
        raise error("ValidationException", f"SessionDuration {duration!r} is not an ISO-8601 duration such as PT1H")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def check_permission_set_fields(params: dict[str, Any], *, creating: bool) -> None:
    name = params.get("Name")
    if creating and (not isinstance(name, str) or not NAME.fullmatch(name)):
        raise error("ValidationException", "1 validation error detected: Value at 'name' failed to satisfy constraint: "
                    r"Member must have length between 1 and 32 and match pattern [\w+=,.@-]+")
    description = params.get("Description")
    if description is not None and not 1 <= len(str(description)) <= MAX_DESCRIPTION:
        raise error("ValidationException", f"Description must have length between 1 and {MAX_DESCRIPTION}")
    duration = params.get("SessionDuration")
    if duration is not None and not MIN_SESSION <= session_seconds(str(duration)) <= MAX_SESSION:
        raise error("ValidationException", "SessionDuration must be between 1 hour (PT1H) and 12 hours (PT12H)")


def check_tags(tags: list[dict[str, str]]) -> dict[str, str]:
    for tag in tags:
        if not 1 <= len(tag.get("Key") or "") <= 128 or len(tag.get("Value") or "") > 256:
            raise error("ValidationException", "A tag key must have 1 to 128 characters and its value at most 256")
    return {t["Key"]: t.get("Value", "") for t in tags}


def check_reference(reference: dict[str, Any] | None) -> tuple[str, str]:
    reference = reference or {}
    name, path = str(reference.get("Name") or ""), str(reference.get("Path") or "/")
    if not POLICY_NAME.fullmatch(name) or not POLICY_PATH.fullmatch(path):
        raise error("ValidationException", "CustomerManagedPolicyReference needs a Name of 1 to 128 of [\\w+=,.@-] "
                    "and a Path that begins and ends with /")
    return name, path


def permission_set_prefix(instance_arn: str) -> str:
    """``arn:aws:sso:::permissionSet/ssoins-...`` for ``arn:aws:sso:::instance/ssoins-...``."""
    return instance_arn.replace(":instance/", ":permissionSet/", 1)


def instances_of(backend: Any, account_id: str) -> list[Any]:
    """The caller's Identity Center instances: none for a member account of an organization."""
    from moto.organizations.models import organizations_backends

    management = organizations_backends.master_accounts.get(account_id, (account_id, ""))[0]
    return list(backend.instances) if management == account_id else []


def organization_accounts(account_id: str, partition: str) -> set[str]:
    """The accounts of the organization ``account_id`` manages (empty: it manages none)."""
    from moto.organizations.models import organizations_backends

    backend = organizations_backends[account_id][partition]
    if backend.org is None or backend.org.master_account_id != account_id:
        return set()
    return {a.id for a in backend.accounts}


def principal_exists(account_id: str, region: str, store_id: str, kind: str, principal_id: str) -> bool:
    from moto.identitystore.models import identitystore_backends

    store = identitystore_backends[account_id][region].identity_stores.get(store_id)
    if store is None:
        return False
    return principal_id in (store.users if kind == "USER" else store.groups)


def patch_identity_center() -> Callable[[], None]:
    """Teach moto's sso-admin the operations and rules above; returns a function that undoes it."""
    from moto.moto_api._internal import mock_random
    from moto.ssoadmin import models
    from moto.ssoadmin.responses import SSOAdminResponse

    from awsroles.sandbox.server import identity_center_assignments, identity_center_calls

    calls = {f.__name__: f for f in identity_center_calls.OPERATIONS + identity_center_assignments.OPERATIONS}
    saved = {name: SSOAdminResponse.__dict__.get(name) for name in calls}
    for name, method in calls.items():
        setattr(SSOAdminResponse, name, method)
    original_init, original_generate = models.Instance.__init__, models.PermissionSet.__dict__["generate_id"]

    def init(self: Any, account_id: str, region: str) -> None:
        original_init(self, account_id, region)
        self.identity_store_id = f"d-{mock_random.get_random_hex(10)}"

    def generate_id(instance_arn: str) -> str:
        return f"{permission_set_prefix(instance_arn)}/ps-{mock_random.get_random_hex(16)}"

    setattr(models.Instance, "__init__", init)  # noqa: B010  (a patch, not an assignment)
    setattr(models.PermissionSet, "generate_id", staticmethod(generate_id))  # noqa: B010

    def undo() -> None:
        setattr(models.Instance, "__init__", original_init)  # noqa: B010
        setattr(models.PermissionSet, "generate_id", original_generate)  # noqa: B010
        for name, original in saved.items():
            if original is None:
                delattr(SSOAdminResponse, name)
            else:
                setattr(SSOAdminResponse, name, original)

    return undo


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)
