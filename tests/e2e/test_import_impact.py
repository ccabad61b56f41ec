"""`awsroles import --check -o json` on the sandbox, as an admin runs it, and the first apply after it:
what the report says a person loses is what the sandbox (IAM authorization on, identity policies
and their conditions evaluated) then refuses. Trust policies are not evaluated by the sandbox: that
part is checked on the documents in tests/aws/test_import_impact.py."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import SandboxHandle
from tests.forkserver import command

pytestmark = pytest.mark.e2e


def run(box: SandboxHandle, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command(), *argv], env=box.env, capture_output=True, text=True, timeout=120, cwd=cwd,
                          stdin=subprocess.DEVNULL)


def test_import_check_names_who_loses_what_and_apply_does_it(fresh_applied_sandbox: SandboxHandle,
                                                             tmp_path: Path) -> None:
    box = fresh_applied_sandbox
    org = box.org
    admin_in_dev = org.role_arn("dev", "admin")
    iam = box.client("iam")
    # By hand, as an admin would: dave at the path with an access key and no MFA device, in team-backend,
    # whose extra policy lets its members assume any role in dev without any condition (a grant the org
    # file cannot hold: not imported, so apply removes it).
    iam.create_user(UserName="dave", Path=org.path)
    key = iam.create_access_key(UserName="dave")["AccessKey"]
    iam.add_user_to_group(GroupName="team-backend", UserName="dave")
    any_in_dev = admin_in_dev.rsplit("/", 1)[0] + "/*"
    statement = {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"], "Resource": any_in_dev}
    iam.put_group_policy(GroupName="team-backend", PolicyName="assume-dev-admin",
                         PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    # and the role trusts the ops account without conditions, as a role made by hand may (awsroles' own
    # trust policy, which the sandbox evaluates as AWS does, would refuse dave's bare key today already)
    dev_iam = box.client("iam", "dev")
    open_trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{org.ops.id}:root"},
                  "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}
    dev_iam.update_assume_role_policy(RoleName="admin", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [open_trust]}))
    dave = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                         region_name=box.region).client("sts", endpoint_url=box.endpoint)

    def assume_admin() -> None:
        dave.assume_role(RoleArn=admin_in_dev, RoleSessionName="dave", SourceIdentity="dave")

    assume_admin()  # allowed today, with the access key alone
    accounts = [f"--account={a.name}={a.id}:{a.environment}" for a in org.accounts if a.environment]
    checked = run(box, tmp_path, "-o", "json", "import", "--check", *accounts)
    assert checked.returncode == 0, checked.stderr
    assert not list(tmp_path.iterdir())  # --check writes nothing
    report = {(i["kind"], i["subject"]): i for i in json.loads(checked.stdout)["impact"]}
    mfa = report[("mfa", "user dave")]
    assert mfa["people"] == ["dave"]
    assert "has no MFA device" in mfa["change"] and f"access key {key['AccessKeyId']} alone are denied" in mfa["change"]
    removed = report[("grant-removed", "team backend (team-backend)")]
    assert removed["people"] == ["bob", "dave"]
    assert f"can no longer assume {any_in_dev}: what allowed it (assume-dev-admin)" in removed["change"]
    assert removed["todo"].startswith("To keep it, add `ENVIRONMENT = ROLE` to [team backend]")

    imported = tmp_path / "imported.ini"
    done = run(box, tmp_path, "import", "-O", str(imported), *accounts)
    assert done.returncode == 0, done.stderr
    assert "  grant removed: team backend (team-backend) (bob, dave)\n" in done.stdout
    applied = run(box, tmp_path, "-f", str(imported), "apply", "--adopt", "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr

    with pytest.raises(ClientError) as refused:
        assume_admin()  # as the report said: the grant is gone, and dave's key alone may do nothing
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    trust = dev_iam.get_role(RoleName="admin")["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}  # awsroles' trust, back
    members = {u["UserName"] for u in iam.get_group(GroupName="awsroles-users")["Users"]}
    assert "dave" in members
