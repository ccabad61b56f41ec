"""A team whose grants outgrow the group's inline room even in the per-role form (issue 20): they go
to customer managed policies attached to the team's group (``awsroles-assume-TEAM-N``, 6,144
characters each, at most 10 a group), and allow exactly what the inline forms would. A sandbox in
this process evaluates the caller's identity policies (group attachments included, with
``aws:ResourceAccount``) and the role's trust policy on every AssumeRole; a team moving between the
forms keeps its roles throughout; the import reads the grants back from the managed form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from awsroles.iam import policies
from awsroles.importer.build import ImportOptions, collect
from awsroles.org import limits
from awsroles.org.entries import Grant
from awsroles.org.marks import MANAGED_BY_TAG, TEAM_POLICY_NAME
from awsroles.org.model import Org
from awsroles.org.parse import load_org
from awsroles.sandbox.process import Sandbox
from awsroles.sync.engine import Engine
from tests.aws.conftest import applied_with_key, assume_as

ROLES = 18  # r0..r17, all granted to platform in e00..e07: per-role, ~6,500 characters
GRANTED = 8
ENVIRONMENTS = 10  # e08, e09: r0 for another team


def _org_text(platform: list[str] | None = None) -> str:
    lines = ["[org]", "name = wide", "ops_account = ops", "mfa = optional", "",
             "[account ops]", "id = 100000000000", ""]
    for n in range(ENVIRONMENTS):
        lines += [f"[account a{n:02}]", f"id = {200000000000 + n}", f"environment = e{n:02}", ""]
    for r in range(ROLES):
        lines += [f"[role r{r}]", "managed = arn:aws:iam::aws:policy/ReadOnlyAccess", ""]
    roles = ", ".join(f"r{r}" for r in range(ROLES))
    granted = platform if platform is not None else [f"e{n:02} = {roles}" for n in range(GRANTED)]
    lines += ["[team platform]", "members = alice", *granted, "",
              "[team others]", "members = bob", *[f"e{n:02} = r0" for n in range(GRANTED, ENVIRONMENTS)], "",
              "[user alice]", "", "[user bob]", ""]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, Org, tuple[str, str]]]:
    path = tmp_path_factory.mktemp("managed") / "awsroles.ini"
    path.write_text(_org_text())
    with applied_with_key(path, "alice") as made:
        yield made


def _assume(box: Sandbox, keys: tuple[str, str], environment: int, role: str) -> dict[str, Any]:
    return assume_as(box, keys, f"arn:aws:iam::{200000000000 + environment}:role/awsroles/{role}", "alice")


def _refused(box: Sandbox, keys: tuple[str, str], environment: int, role: str) -> bool:
    try:
        _assume(box, keys, environment, role)
    except ClientError as exc:
        return exc.response["Error"]["Code"] == "AccessDenied"
    return False


def test_the_grants_go_to_managed_policies_attached_to_the_group(wide: Any) -> None:
    box, org, _ = wide
    team = org.team("platform")
    assert policies.team_policy_form(org, team) == policies.MANAGED
    assert policies.team_policy_form(org, org.team("others")) == policies.PER_ENVIRONMENT
    iam = Engine(org, box.aws()).iam(org.ops)
    assert TEAM_POLICY_NAME not in iam.list_group_policies(GroupName="team-platform")["PolicyNames"]  # nothing left
    attached = iam.list_attached_group_policies(GroupName="team-platform")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["awsroles-assume-platform-1", "awsroles-assume-platform-2"]
    statements = []
    for found in attached:
        policy = iam.get_policy(PolicyArn=found["PolicyArn"])["Policy"]
        assert MANAGED_BY_TAG in {(t["Key"], t["Value"]) for t in policy.get("Tags", [])}
        assert policy["Path"] == "/awsroles/"
        document = iam.get_policy_version(PolicyArn=found["PolicyArn"],
                                          VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
        assert policies.policy_size(document) <= limits.MANAGED_POLICY_MAX
        statements += document["Statement"]
    assert sorted(s["Resource"] for s in statements) == sorted(f"arn:aws:iam::*:role/awsroles/r{r}"
                                                               for r in range(ROLES))
    accounts = [str(200000000000 + n) for n in range(GRANTED)]
    assert all(s["Condition"]["StringEquals"]["aws:ResourceAccount"] == accounts for s in statements)
    assert Engine(org, box.aws()).plan().empty  # what apply wrote is what the plan wants: no drift


def test_each_granted_role_is_assumable_and_the_others_refused(wide: Any) -> None:
    box, _, keys = wide
    for environment, role in ((0, "r0"), (GRANTED - 1, f"r{ROLES - 1}"), (7, "r4")):  # from both policies
        assert _assume(box, keys, environment, role)["Credentials"]["AccessKeyId"]
    assert _refused(box, keys, GRANTED, "r0")  # the same role in another team's environment


def test_validate_names_the_managed_form_and_each_policys_size(wide: Any, tmp_path: Path) -> None:
    from awsroles.cli import run
    from awsroles.cli.app import App

    _, org, _ = wide
    sizes = [policies.policy_size(d) for d in policies.team_managed_policies(org, org.team("platform"))]
    assert len(sizes) == 2 and all(0 < n <= limits.MANAGED_POLICY_MAX for n in sizes)
    out = tmp_path / "out.txt"
    with out.open("w") as stream:
        code = run(["-f", str(org.source), "validate", "-v"], App(stdout=stream, stderr=stream))
    text = out.read_text()
    assert code == 0, text
    assert (f"team platform: managed form, 2 of at most 10 managed policies of {sizes[0]}, {sizes[1]} of "
            f"{limits.MANAGED_POLICY_MAX} characters; inline 0 of {policies.TEAM_POLICY_ROOM} characters") in text


def test_the_import_reads_the_grants_back_from_the_managed_form(wide: Any) -> None:
    box, org, _ = wide
    accounts = tuple(f"{a.name}={a.id}:{a.environment}" for a in org.accounts if a.environment)
    imported = collect(box.aws(), ImportOptions(accounts=accounts, path=org.path))
    assert not [w for w in imported.warnings if "platform" in w], imported.warnings
    assert sorted(imported.org.team("platform").grants) == sorted(
        Grant(f"e{n:02}", f"r{r}") for n in range(GRANTED) for r in range(ROLES))
    assert imported.plan.empty


def test_a_team_moving_between_the_forms_keeps_its_roles_throughout(wide: Any) -> None:
    """Shrunk to one grant, the team's policy goes back inline: the group update puts it before it
    detaches the managed policies, which are then leftovers (--prune deletes them); grown again, the
    policies are attached before the inline policy goes. (Last in the module: it ends where it began.)"""
    box, org, alice = wide
    path = org.source
    try:
        path.write_text(_org_text(["e00 = r0"]))
        small = load_org(path)
        plan = Engine(small, box.aws()).plan()
        [group] = [c for c in plan.changes if c.kind == "group" and c.name == "team-platform"]
        methods = [op[0] for op in group.ops]
        assert methods == ["put_group_policy", "detach_group_policy", "detach_group_policy"], methods
        assert sorted(c.name for c in plan.kept if c.kind == "policy") == [
            "awsroles-assume-platform-1", "awsroles-assume-platform-2"]  # leftovers: --prune deletes them
        assert Engine(small, box.aws()).apply(plan).ok
        assert _assume(box, alice, 0, "r0") and _refused(box, alice, 7, "r4")
        pruned = Engine(small, box.aws()).plan(prune=True)  # not applied: the roles would go too
        deletes = {c.name: [op[0] for op in c.ops] for c in pruned.changes if c.kind == "policy"}
        assert deletes == {f"awsroles-assume-platform-{n}": ["delete_policy"] for n in (1, 2)}  # detached already
    finally:
        path.write_text(_org_text())
    plan = Engine(org, box.aws()).plan()
    [group] = [c for c in plan.changes if c.kind == "group" and c.name == "team-platform"]
    assert [op[0] for op in group.ops] == ["attach_group_policy", "attach_group_policy", "delete_group_policy"]
    assert Engine(org, box.aws()).apply(plan).ok
    assert _assume(box, alice, 7, "r4") and Engine(org, box.aws()).plan().empty
