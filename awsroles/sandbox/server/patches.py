"""What moto lacks or does differently from AWS at the data level, each patch undone by what it returns.

- **Account ids.** moto's Organizations ``CreateAccount`` makes a random 12-digit id. The seeder
  asks for a specific id by putting it into the account's e-mail address
  (``dev+222222222222@acme.example``, see :func:`account_email`); the patched id generator
  returns it for that one call (any other ``CreateAccount`` stays random).
- **AWS managed policies.** moto loads its ~1,600 AWS managed policies into every IAM backend
  when ``MOTO_IAM_LOAD_MANAGED_POLICIES=true``, and it builds one IAM backend per account *and
  partition* (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-eusc) the first time any
  request with an unknown access key arrives (``moto.iam.models.get_account_id_from``): about
  0.6 s per new account. The patched loader parses the policy data once, loads it only in the
  partition the sandbox serves, and builds the policy objects once: each new account gets
  copies (with the one policy id an AWS managed policy has in every account, as on AWS), which
  makes a new account cost a few milliseconds. The in-process library tests use the same patch,
  loading only the policies the examples use.
- **Per-request lookups.** moto's server scans its own package folder and inspects the
  service's response class on every request; both answers are kept once made
  (:func:`patch_request_lookups`).
- **Service-specific credentials** (CodeCommit, Amazon Keyspaces, Bedrock), which moto lacks;
  ``apply`` lists them before it deletes a user, ``users offboard`` deletes them. The sandbox keeps
  them as IAM does: Create, List and DeleteServiceSpecificCredential, and DeleteUser refused while a
  user has any (:func:`patch_missing_iam_reads`).
- **Permissions boundaries on IAM users**, which moto 5 lacks: Put/DeleteUserPermissionsBoundary,
  CreateUser's ``PermissionsBoundary`` (moto ignores it), and the boundary in GetUser and
  GetAccountAuthorizationDetails, as IAM answers them (IAM API Reference,
  "PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary" and "CreateUser",
  https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html: "the ARN of the managed
  policy that is used to set the permissions boundary for the user"): the boundary is a managed
  policy ARN, of a policy that exists (``NoSuchEntity`` otherwise, as for a role's boundary:
  :mod:`awsroles.sandbox.server.boundaries`; a refused CreateUser makes no user); deleting a
  boundary the user does not have is not an error. Installed by
  the sandbox server (:func:`awsroles.sandbox.server.main.install_workarounds`) and by the
  in-process library tests, so that drift through a user's boundary is tested against the same
  behaviour.
"""

from __future__ import annotations

import functools
import gc
import json
import re
import threading
from collections.abc import Callable, Collection
from typing import Any

# -- account ids ------------------------------------------------------------------------

_REQUESTED_ID = re.compile(r"^[^@]*\+([0-9]{12})@")


def account_email(org_name: str, account_name: str, account_id: str) -> str:
    """The e-mail address the seeder gives an account; it carries the id the account must get."""
    return f"{account_name}+{account_id}@{org_name}.example"


def requested_account_id(email: str) -> str | None:
    """The account id an :func:`account_email` address asks for, or None."""
    match = _REQUESTED_ID.match(email)
    return match.group(1) if match else None


_wanted = threading.local()


def patch_account_ids() -> Callable[[], None]:
    from moto.organizations import models, utils

    original_make = utils.make_random_account_id
    original_init = models.FakeAccount.__init__

    def make_account_id() -> str:
        wanted: str | None = getattr(_wanted, "account_id", None)
        return wanted or original_make()

    def init(self: Any, organization: Any, **kwargs: Any) -> None:
        wanted = requested_account_id(str(kwargs.get("Email", "")))
        backend = _organizations_backend_of(organization)
        taken = backend is not None and any(a.id == wanted for a in backend.accounts)
        _wanted.account_id = None if taken else wanted  # a taken id: moto's random one; the seeder notices
        try:
            original_init(self, organization, **kwargs)
        finally:
            _wanted.account_id = None

    setattr(utils, "make_random_account_id", make_account_id)  # noqa: B010  (a patch, not an assignment)
    setattr(models.FakeAccount, "__init__", init)  # noqa: B010

    def undo() -> None:
        setattr(utils, "make_random_account_id", original_make)  # noqa: B010
        setattr(models.FakeAccount, "__init__", original_init)  # noqa: B010

    return undo


def _organizations_backend_of(organization: Any) -> Any:
    from moto.organizations.models import organizations_backends
    from moto.utilities.utils import get_partition

    try:
        return organizations_backends[organization.master_account_id][get_partition(organization.region)]
    except Exception:  # a moto laid out differently: no check, the seeder still verifies every id
        return None


# -- AWS managed policies, IAM reads moto lacks ----------------------------------------


@functools.cache
def _aws_managed_policies() -> dict[str, Any]:
    """moto's AWS managed policies, parsed once per process (read only)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    parsed: dict[str, Any] = json.loads(aws_managed_policies_data)
    return parsed


def _managed_policy_copy(template: Any, account_id: str) -> Any:
    """An AWS managed policy for one more account: a copy of the one built from moto's data, with
    its own versions, tags and attachment count. Building each from the data (its document
    serialised again, a new random id) is what made a new account cost a second; the copy keeps
    the template's policy id, as AWS, where an AWS managed policy has one id in every account."""
    policy = _shallow_copy(template)  # not moto's constructor: its instance tracking is for its dashboard
    policy.account_id = account_id
    policy.attachment_count = 0
    policy.tags = dict(template.tags)
    policy.versions = [_shallow_copy(version) for version in template.versions]
    return policy


def _shallow_copy(obj: Any) -> Any:
    """``copy.copy`` for a plain object, in a microsecond (thousands are made per account)."""
    clone = object.__new__(type(obj))
    clone.__dict__ = obj.__dict__.copy()  # a third faster than updating the new object's own
    return clone


def patch_managed_policies(partition: str, only: Collection[str] | None = None) -> Callable[[], None]:
    """``only``: load just these AWS managed policies (by name), not all of them: the in-process
    library tests (``tests/aws``) load the few the examples use, which makes each test's accounts
    cheaper still."""
    from moto.iam import models

    original = models.IAMBackend._init_aws_policies
    wanted = None if only is None else frozenset(only)
    templates: list[Any] = []
    lock = threading.Lock()

    def init_aws_policies(self: Any) -> list[Any]:
        if self.partition != partition:
            return []
        with lock:
            if not templates:
                everything = _aws_managed_policies()
                chosen = everything if wanted is None else {k: v for k, v in everything.items() if k in wanted}
                templates.extend(models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
                                 for name, data in chosen.items())
        # The collector paused: the copies (two objects per policy, no cycle among them) would
        # otherwise set off collections that go over every account's policies, half the time of a
        # new account's IAM.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return [_managed_policy_copy(template, self.account_id) for template in templates]
        finally:
            if collecting:
                gc.enable()

    setattr(models.IAMBackend, "_init_aws_policies", init_aws_policies)  # noqa: B010

    def undo() -> None:
        setattr(models.IAMBackend, "_init_aws_policies", original)  # noqa: B010

    return undo


def patch_request_lookups() -> Callable[[], None]:
    """Two lookups moto's server makes for every request, made once per process instead (they
    were about a quarter of the server's CPU per request): the names of moto's service packages
    (a scan of its folder, ``moto.backends.list_of_moto_modules``), and the methods of a
    service's response class (``inspect.getmembers``, ``moto.core.responses``). Both are the
    same for the life of the process once the workarounds are installed.

    And one per ``GetAccountAuthorizationDetails``: moto finds an account's own managed policies
    as the set of all its policies less the set of its ~1,600 AWS managed ones, hashing each in
    Python, twice, on every call (a tenth of the sandbox's CPU in a plan of 300 accounts, which
    reads each account so); the same policies are found by their type, in the account's order."""
    from moto import backends
    from moto.core import responses
    from moto.iam import models

    original_details = models.IAMBackend.get_account_authorization_details

    def get_account_authorization_details(self: Any, policy_filter: list[str]) -> dict[str, Any]:
        every = not policy_filter  # moto's own reading of an empty filter: everything
        policies: list[Any] = []
        if every:
            policies = list(self.managed_policies.values())
        else:
            if "AWSManagedPolicy" in policy_filter:
                policies += list(self.aws_managed_policies)
            if "LocalManagedPolicy" in policy_filter:
                policies += [p for p in self.managed_policies.values() if not isinstance(p, models.AWSManagedPolicy)]
        return {"instance_profiles": self.instance_profiles.values(),
                "roles": self.roles.values() if every or "Role" in policy_filter else [],
                "groups": self.groups.values() if every or "Group" in policy_filter else [],
                "users": self.users.values() if every or "User" in policy_filter else [],
                "managed_policies": policies}

    original_modules = backends.list_of_moto_modules
    original_methods = getattr(responses, "method_names_from_class")  # noqa: B009  (imported there from moto.core.utils)
    modules = tuple(original_modules())
    methods: dict[type, list[str]] = {}

    def method_names_from_class(clazz: Any) -> list[str]:
        if clazz not in methods:
            methods[clazz] = original_methods(clazz)
        return list(methods[clazz])

    setattr(backends, "list_of_moto_modules", lambda: iter(modules))  # noqa: B010
    setattr(responses, "method_names_from_class", method_names_from_class)  # noqa: B010
    setattr(models.IAMBackend, "get_account_authorization_details", get_account_authorization_details)  # noqa: B010

    def undo() -> None:
        setattr(backends, "list_of_moto_modules", original_modules)  # noqa: B010
        setattr(responses, "method_names_from_class", original_methods)  # noqa: B010
        setattr(models.IAMBackend, "get_account_authorization_details", original_details)  # noqa: B010

    return undo


# Services that take service-specific credentials (IAM API Reference, CreateServiceSpecificCredential,
# https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceSpecificCredential.html).
SERVICE_CREDENTIAL_SERVICES = frozenset({"codecommit.amazonaws.com", "cassandra.amazonaws.com",
                                         "bedrock.amazonaws.com"})
_SERVICE_CREDENTIALS = "awsroles_service_credentials"  # on moto's User: its credentials, gone with it
_SERVICE_CREDENTIAL_LIMIT = 2  # per user and service (IAM User Guide, "IAM and AWS STS quotas")


def _service_credentials(user: Any) -> list[dict[str, Any]]:
    if not hasattr(user, _SERVICE_CREDENTIALS):
        setattr(user, _SERVICE_CREDENTIALS, [])
    return list(getattr(user, _SERVICE_CREDENTIALS))


def patch_missing_iam_reads() -> Callable[[], None]:
    """Service-specific credentials, which moto lacks, as IAM keeps them: Create, List and Delete
    ServiceSpecificCredential (a user that does not exist: NoSuchEntity; a service that takes none:
    NotSupportedService; a third for one user and service: LimitExceeded), and DeleteUser refused
    (DeleteConflict) while the user has any (IAM API Reference, DeleteUser: "you must delete the
    items attached to the user manually ... Service-specific credentials")."""
    import datetime
    import secrets
    import string

    from moto.core.responses import ActionResult, EmptyResult
    from moto.iam import models
    from moto.iam.exceptions import DeleteConflictException, IAMException, LimitExceededException, NoSuchEntity
    from moto.iam.responses import IamResponse

    if hasattr(IamResponse, "list_service_specific_credentials"):
        return lambda: None

    class NotSupportedService(IAMException):
        code = "NotSupportedService"

    def service(self: Any) -> str | None:
        name = self._get_param("ServiceName")
        if name is not None and name not in SERVICE_CREDENTIAL_SERVICES:
            raise NotSupportedService(f"The specified service {name} is not supported.")
        return str(name) if name is not None else None

    def public(credential: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in credential.items() if k != "ServicePassword"}

    def create_service_specific_credential(self: Any) -> Any:
        user = self.backend.get_user(self._get_param("UserName"))
        name = service(self)
        mine = _service_credentials(user)
        if sum(c["ServiceName"] == name for c in mine) >= _SERVICE_CREDENTIAL_LIMIT:
            raise LimitExceededException(f"Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: "
                                         f"{_SERVICE_CREDENTIAL_LIMIT}")
        alphabet = string.ascii_uppercase + string.digits
        credential = {
            "CreateDate": datetime.datetime.now(datetime.timezone.utc), "ServiceName": name,
            "ServiceUserName": f"{user.name}-at-{self.current_account}",
            "ServicePassword": secrets.token_urlsafe(30),
            "ServiceSpecificCredentialId": "ACCA" + "".join(secrets.choice(alphabet) for _ in range(17)),
            "UserName": user.name, "Status": "Active"}
        setattr(user, _SERVICE_CREDENTIALS, [*mine, credential])
        return ActionResult({"ServiceSpecificCredential": credential})

    def list_service_specific_credentials(self: Any) -> Any:
        name = self._get_param("UserName")
        wanted = service(self)
        if name is None:  # the caller's own: the sandbox's callers are its admins, who hold none
            return ActionResult({"ServiceSpecificCredentials": []})
        found = [public(c) for c in _service_credentials(self.backend.get_user(name))
                 if wanted is None or c["ServiceName"] == wanted]
        return ActionResult({"ServiceSpecificCredentials": found})

    def delete_service_specific_credential(self: Any) -> Any:
        user = self.backend.get_user(self._get_param("UserName"))
        wanted = self._get_param("ServiceSpecificCredentialId")
        mine = _service_credentials(user)
        if not any(c["ServiceSpecificCredentialId"] == wanted for c in mine):
            raise NoSuchEntity(f"No such credential {wanted}")
        setattr(user, _SERVICE_CREDENTIALS, [c for c in mine if c["ServiceSpecificCredentialId"] != wanted])
        return EmptyResult()

    original_delete_user = models.IAMBackend.delete_user

    def delete_user(self: Any, user_name: str) -> None:
        if _service_credentials(self.get_user(user_name)):
            raise DeleteConflictException("Cannot delete entity, must remove service specific credentials first.")
        original_delete_user(self, user_name)

    added = {"create_service_specific_credential": create_service_specific_credential,
             "list_service_specific_credentials": list_service_specific_credentials,
             "delete_service_specific_credential": delete_service_specific_credential}
    for method_name, method in added.items():
        setattr(IamResponse, method_name, method)
    setattr(models.IAMBackend, "delete_user", delete_user)  # noqa: B010  (a patch)

    def undo() -> None:
        setattr(models.IAMBackend, "delete_user", original_delete_user)  # noqa: B010
        for method_name in added:
            delattr(IamResponse, method_name)

    return undo


# -- permissions boundaries on IAM users -----------------------------------------------

_ATTRIBUTE = "awsroles_boundary_arn"


def user_boundary_arn(user: Any) -> str | None:
    """The ARN of an IAM user's (moto's ``User``) permissions boundary, or None."""
    arn = getattr(user, _ATTRIBUTE, None)
    return arn if isinstance(arn, str) and arn else None


def _boundary(self: Any) -> dict[str, str] | None:
    arn = getattr(self, _ATTRIBUTE, None)
    return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn} if arn else None


def patch_user_permissions_boundary() -> Callable[[], None]:
    """Teach moto user boundaries; returns a function that undoes it."""
    from moto.core.responses import EmptyResult
    from moto.iam import models
    from moto.iam.responses import IamResponse

    if hasattr(models.User, "permissions_boundary"):
        return lambda: None

    original_create = IamResponse.create_user

    def check(backend: Any, arn: str | None) -> None:
        if not backend.policy_arn_regex.match(arn or ""):
            from moto.iam.exceptions import InvalidInput

            raise InvalidInput(f"ARN {arn} is not valid.")
        from awsroles.sandbox.server.boundaries import require_policy

        require_policy(backend, arn)  # as for a role's boundary

    def put_user_permissions_boundary(self: Any) -> Any:
        user = self.backend.get_user(self._get_param("UserName"))
        arn = self._get_param("PermissionsBoundary")
        check(self.backend, arn)
        setattr(user, _ATTRIBUTE, arn)
        return EmptyResult()

    def create_user(self: Any) -> Any:
        arn = self._get_param("PermissionsBoundary")
        if arn is not None:
            check(self.backend, arn)  # before the user is made: a refused CreateUser makes none
        result = original_create(self)
        if arn is not None:
            setattr(self.backend.get_user(self._get_param("UserName")), _ATTRIBUTE, arn)
        return result

    def delete_user_permissions_boundary(self: Any) -> Any:
        user = self.backend.get_user(self._get_param("UserName"))
        setattr(user, _ATTRIBUTE, None)
        return EmptyResult()

    setattr(models.User, "permissions_boundary", property(_boundary))  # noqa: B010  (a patch)
    setattr(IamResponse, "put_user_permissions_boundary", put_user_permissions_boundary)  # noqa: B010
    setattr(IamResponse, "delete_user_permissions_boundary", delete_user_permissions_boundary)  # noqa: B010
    setattr(IamResponse, "create_user", create_user)  # noqa: B010

    def undo() -> None:
        setattr(IamResponse, "create_user", original_create)  # noqa: B010
        for owner, name in ((models.User, "permissions_boundary"), (IamResponse, "put_user_permissions_boundary"),
                            (IamResponse, "delete_user_permissions_boundary")):
            delattr(owner, name)

    return undo
