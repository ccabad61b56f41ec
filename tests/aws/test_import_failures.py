"""``awsroles import`` fails cleanly (issue 19, item 4), on a sandbox in this process, where IAM
authorization is enforced as AWS enforces it:

- a request IAM refuses to a JSON-protocol service (Organizations...) is answered in JSON with that
  protocol's code, as AWS answers it (:mod:`awsroles.sandbox.server.auth_errors`); a non-admin
  importing through Organizations gets the documented hint, exit code 2;
- the policy files and the org file are written as one set: a read-only org folder with a writable
  ``policies/`` writes nothing at all.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from awsroles import fsutil
from awsroles.cli.app import App
from awsroles.cli.runner import run
from awsroles.errors import ExitCode, FileWriteError
from awsroles.importer.build import ImportOptions, collect, write_import
from awsroles.sandbox.process import Sandbox
from tests.aws.conftest import applied_in_process
from tests.conftest import EXAMPLES, REPO

REGION = "us-east-1"
HINT = ("error: cannot list the accounts of the AWS Organization from account 111111111111 (AccessDeniedException: "
        "only the management account or a delegated administrator can); pass the accounts with --account "
        "NAME=ID[:ENVIRONMENT] (repeatable), or write [org] and [account] sections by hand and use --from FILE")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, tuple[str, str]]]:
    """The classic org applied to a sandbox in this process; ``nobody``, an ops user with a key and
    no permissions."""
    path = tmp_path_factory.mktemp("org") / "awsroles.ini"
    path.write_text((EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies")))
    with applied_in_process(path, environ=False) as (box, engine):
        iam = engine.iam(box.org.ops)
        iam.create_user(UserName="nobody")
        key = iam.create_access_key(UserName="nobody")["AccessKey"]
        yield box, (key["AccessKeyId"], key["SecretAccessKey"])


@pytest.fixture
def as_sandbox(world: tuple[Sandbox, tuple[str, str]], monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    box = world[0]
    for name, value in box.env().items():
        monkeypatch.setenv(name, value)
    return box


def raw(box: Sandbox, service: str, keys: tuple[str, str]) -> Any:
    """A plain boto3 client: what the sandbox sends, read by botocore alone."""
    return boto3.client(service, region_name=REGION, endpoint_url=box.endpoint, aws_access_key_id=keys[0],
                        aws_secret_access_key=keys[1])


def refusal(call: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv), App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def test_json_services_refuse_in_json_with_their_codes_query_services_in_xml(world: Any) -> None:
    box, keys = world
    denied = "User: arn:aws:iam::111111111111:user/nobody is not authorized to perform: "
    assert refusal(raw(box, "organizations", keys).describe_organization) == (
        403, "AccessDeniedException", denied + "organizations:DescribeOrganization")
    assert refusal(lambda: raw(box, "budgets", keys).describe_budgets(AccountId="111111111111"))[:2] == (
        403, "AccessDeniedException")
    assert refusal(raw(box, "iam", keys).list_users) == (403, "AccessDenied", denied + "iam:ListUsers")
    unknown = ("AKIAIOSFODNN7EXAMPLE", "x")
    assert refusal(raw(box, "organizations", unknown).describe_organization)[:2] == (
        403, "UnrecognizedClientException")
    assert refusal(raw(box, "iam", unknown).list_users)[:2] == (403, "InvalidClientTokenId")


@pytest.mark.parametrize(("service", "call"), [
    ("ce", lambda c: c.get_cost_and_usage(TimePeriod={"Start": "2026-01-01", "End": "2026-02-01"},
                                          Granularity="MONTHLY", Metrics=["UnblendedCost"])),
    ("sso-admin", lambda c: c.list_instances()),
    ("identitystore", lambda c: c.list_users(IdentityStoreId="d-1234567890")),
    ("cloudtrail", lambda c: c.lookup_events()),
    ("account", lambda c: c.get_alternate_contact(AlternateContactType="BILLING")),
])
def test_every_json_service_the_sandbox_serves_refuses_in_json(world: Any, service: str, call: Any) -> None:
    box, keys = world
    assert refusal(lambda: call(raw(box, service, keys)))[:2] == (403, "AccessDeniedException")


def test_a_non_admin_importing_through_organizations_gets_the_hint_exit_2(
        world: Any, as_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    keys = world[1]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys[0])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys[1])
    code, out, err = invoke("import", "-O", str(tmp_path / "x.ini"))
    assert (code, out, err.splitlines()) == (ExitCode.USAGE, "", [f"awsroles: {HINT}"])
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_org_folder_with_a_writable_policy_folder_writes_nothing(
        world: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    box = world[0]
    imported = collect(box.aws(), ImportOptions(accounts=("dev=222222222222", "stage=333333333333",
                                                          "prod=444444444444")))
    assert imported.policy_files  # deny-iam-writes.json, and more
    (tmp_path / "policies").mkdir()
    real = tempfile.mkstemp

    def mkstemp(*args: Any, dir: Any = None, **kwargs: Any) -> Any:
        if Path(dir) == tmp_path:  # the org file's folder is read-only; policies/ below it is not
            raise PermissionError(13, "Permission denied", str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(fsutil.tempfile, "mkstemp", mkstemp)
    with pytest.raises(FileWriteError) as raised:
        write_import(imported, tmp_path / "awsroles.ini")
    assert str(raised.value) == f"cannot write {tmp_path / 'awsroles.ini'}: Permission denied"
    assert [p.name for p in tmp_path.rglob("*")] == ["policies"]  # empty, as it was
    monkeypatch.undo()
    result = write_import(imported, tmp_path / "awsroles.ini")  # writable again: all of them
    assert sorted(result.written) == sorted([tmp_path / "awsroles.ini",
                                             *(tmp_path / "policies" / ref for ref in imported.policy_files)])
