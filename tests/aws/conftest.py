"""In-process moto for library tests: an Aws object in the ops account of the classic org.

moto is patched with the sandbox's own workarounds for what it lacks at the data level
(:mod:`awsroles.sandbox.server.patches`: AWS managed policies, service-specific credentials,
permissions boundaries on IAM users; :mod:`awsroles.sandbox.server.boundaries`: a role's boundary
must exist; :mod:`awsroles.sandbox.server.principals`: a trust policy's IAM users and roles must
exist; :mod:`awsroles.sandbox.server.budgets`: AWS Budgets' updates,
subscribers, tags and rules; :mod:`awsroles.sandbox.server.scps`: Organizations' rules for SCPs;
:mod:`awsroles.sandbox.server.contacts`: Account Management's rules for alternate contacts;
:mod:`awsroles.sandbox.server.closures`: CloseAccount's;
:mod:`awsroles.sandbox.server.identity_center` and :mod:`awsroles.sandbox.server.identity_store`:
IAM Identity Center's; :mod:`awsroles.sandbox.server.serial`: one request at a time, as ``apply``
sends them concurrently; ``patch_request_lookups`` of :mod:`awsroles.sandbox.server.patches`: the
lookups moto makes per request, made once),
so library tests and e2e tests meet the same moto. The sandbox's request-level patches
(GetSessionToken sessions, IAM authorization, the synthetic bill) are not installed: these tests
use moto's own STS and queue their Cost Explorer results.
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from awsroles.aws import Aws, AwsSettings
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sandbox.process import Sandbox
from awsroles.sandbox.server.boundaries import patch_role_boundaries
from awsroles.sandbox.server.budgets import patch_budgets
from awsroles.sandbox.server.closures import patch_close_account
from awsroles.sandbox.server.contacts import patch_alternate_contacts
from awsroles.sandbox.server.identity_center import patch_identity_center
from awsroles.sandbox.server.identity_store import patch_identity_store
from awsroles.sandbox.server.moves import patch_group_moves
from awsroles.sandbox.server.patches import (
    patch_managed_policies,
    patch_missing_iam_reads,
    patch_request_lookups,
    patch_user_permissions_boundary,
)
from awsroles.sandbox.server.principals import patch_trust_principals
from awsroles.sandbox.server.scps import patch_policies
from awsroles.sandbox.server.serial import patch_one_request_at_a_time
from awsroles.sync.engine import Engine
from tests.conftest import EXAMPLES


@functools.cache
def used_managed_policies() -> frozenset[str]:
    """The AWS managed policies the examples use, by name. Test speed only: moto otherwise makes
    ~1,600 policy objects for every account a test touches (the sandbox server loads them all)."""
    names = {arn.rsplit("/", 1)[-1] for path in EXAMPLES.glob("*.ini") for role in load_org(path).roles
             for arn in role.managed}
    return frozenset(names | {"AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess"})


@contextlib.contextmanager
def patched_moto(mp: pytest.MonkeyPatch) -> Iterator[None]:
    """``mock_aws`` with the sandbox's data-level workarounds, undone on the way out."""
    mp.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    mp.delenv("AWS_ENDPOINT_URL", raising=False)  # set to a dead endpoint by the autouse fixture
    undos = [patch_managed_policies("aws", only=used_managed_policies()), patch_missing_iam_reads(),
             patch_user_permissions_boundary(), patch_role_boundaries(), patch_trust_principals(), patch_group_moves(),
             patch_budgets(),
             patch_policies(),
             patch_alternate_contacts(), patch_close_account(), patch_identity_center(), patch_identity_store(),
             patch_request_lookups(),  # after the patches that change moto's response classes
             patch_one_request_at_a_time()]
    try:
        with mock_aws():
            yield
    finally:
        for undo in reversed(undos):
            undo()


@contextlib.contextmanager
def applied_in_process(path: Path, *, environ: bool = True) -> Iterator[tuple[Sandbox, Engine]]:
    """The org file at ``path`` applied to a sandbox server running in this process (its rules,
    AWS managed policies loaded), and the engine that applied it. With ``environ``, this process
    points at it as a person's shell would (``AWSROLES_FILE`` and the sandbox's AWS variables)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        if environ:
            mp.setenv("AWSROLES_FILE", str(path))
        with Sandbox(path, in_process=True) as box:
            if environ:
                for name, value in box.env().items():
                    mp.setenv(name, value)
            engine = Engine(box.org, box.aws())
            assert engine.apply(engine.plan()).ok
            yield box, engine


@contextlib.contextmanager
def applied_with_key(path: Path, user: str) -> Iterator[tuple[Sandbox, Org, tuple[str, str]]]:
    """:func:`applied_in_process`, and an access key of ``user``'s own IAM user: (id, secret)."""
    with applied_in_process(path) as (box, engine):
        key = engine.iam(box.org.ops).create_access_key(UserName=user)["AccessKey"]
        yield box, box.org, (key["AccessKeyId"], key["SecretAccessKey"])


def assume_as(box: Sandbox, keys: tuple[str, str], role_arn: str, person: str) -> dict[str, Any]:
    """``AssumeRole`` of ``role_arn`` with ``person``'s key, as awsroles asks it (SourceIdentity)."""
    import boto3

    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=box.endpoint, aws_access_key_id=keys[0],
                       aws_secret_access_key=keys[1])
    return sts.assume_role(RoleArn=role_arn, RoleSessionName=person,  # type: ignore[no-any-return]
                           SourceIdentity=person)


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with patched_moto(monkeypatch):
        yield


@pytest.fixture
def classic() -> Org:
    return load_org(EXAMPLES / "classic.ini")


@pytest.fixture
def ops_aws(moto_aws: None, classic: Org) -> Aws:
    """Credentials of an admin in the ops account (moto: assume any role into 111111111111)."""
    base = Aws(AwsSettings(region="us-east-1"))
    session = base.for_account(classic.ops.id, "admin")
    return Aws(AwsSettings(region="us-east-1"), session=session)


@pytest.fixture
def orgs(ops_aws: Aws) -> Any:
    """An Organizations client in ops, the management account of a new organization with all features."""
    client = ops_aws.client("organizations")
    client.create_organization(FeatureSet="ALL")
    return client


@pytest.fixture
def console_org(ops_aws: Aws, classic: Org) -> Org:
    """The classic org's accounts holding an org made by hand in the console, at IAM path /
    (:mod:`awsroles.sandbox.console_org`, what ``sandbox start --console-org`` seeds); nothing of
    awsroles' in them yet. Returns the classic org (its accounts)."""
    from awsroles.sandbox.console_org import build_console_org

    build_console_org(classic, lambda a: ops_aws.client("iam", ops_aws.for_account(a.id, "admin")))
    return classic


_APPLIED: dict[Org, list[tuple[Any, dict[str, Any]]]] = {}  # org -> moto's backends just after it was applied


def _untouched_moto() -> bool:
    """moto as ``mock_aws`` starts it, but for sessions (STS, IAM access keys): nothing made yet."""
    from moto.core.base_backend import BackendDict

    for backends in BackendDict._instances:  # type: ignore[misc]
        if backends.service_name == "sts":
            continue
        if backends.service_name != "iam":
            return False
        for account in backends.values():
            for iam in account.values():
                made = (iam.users, iam.roles, iam.groups, iam.instance_profiles, iam.virtual_mfa_devices,
                        iam.open_id_providers, iam.saml_providers, iam.account_aliases, iam.account_password_policy,
                        iam.managed_policies.keys() - _aws_managed(iam))
                if any(made):
                    return False
    return True


def _aws_managed(iam: Any) -> set[str]:
    return {arn for arn in iam.managed_policies if arn.startswith("arn:aws:iam::aws:policy/")}


def _copy(backends: list[tuple[Any, dict[str, Any]]]) -> list[tuple[Any, dict[str, Any]]]:
    """A deep copy of moto's data that keeps moto's BackendDicts themselves (module globals)."""
    return copy.deepcopy(backends, {id(b): b for b, _ in backends})


def apply_org(engine: Engine) -> None:
    """``assert engine.apply(engine.plan()).ok`` into this test's untouched moto, for fixtures that
    start from an org applied. Test speed only: the first time an org is applied in this worker,
    moto's backends are copied as the apply left them; after that, a copy of them is put back
    (~30 ms) instead of planning and applying again (~0.3 s of CPU). The sessions this test made
    (its ``ops_aws``) are kept. A moto that holds anything else already is applied for real."""
    from moto.core.base_backend import BackendDict
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    saved, untouched = _APPLIED.get(engine.org), _untouched_moto()
    if saved is None or not untouched:
        assert engine.apply(engine.plan()).ok
        if untouched:
            _APPLIED[engine.org] = _copy([(b, dict(b)) for b in BackendDict._instances])  # type: ignore[misc]
        return
    keys = [(a, p, k, v) for a, account in iam_backends.items() for p, iam in account.items()
            for k, v in iam.access_keys.items()]
    roles = [(a, p, r) for a, account in sts_backends.items() for p, sts in account.items() for r in sts.assumed_roles]
    for backends, contents in _copy(saved):
        backends.clear()
        backends.update(contents)
        if not any(b is backends for b in BackendDict._instances):  # type: ignore[misc]
            BackendDict._instances.append(backends)  # type: ignore[misc]
    for account_id, partition, key, value in keys:
        iam_backends[account_id][partition].access_keys.setdefault(key, value)
    for account_id, partition, role in roles:
        sts_backends[account_id][partition].assumed_roles.append(role)
