"""The organization read at scale against moto: the calls per OU, per account and per SCP are the
ones docs/accounts.md states ("At scale"), every page of every list is read (with moto made to
answer one item a page), and the sandbox refuses a sixth account creation in progress, which apply,
creating accounts at once, never asks for."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from awsroles.accounts.scps import SCP_TYPE, read_scps
from awsroles.accounts.state import read_organization
from awsroles.aws import Aws
from awsroles.iam.checks import load_org
from awsroles.sandbox.server.organizations import CONCURRENT_CREATES, patch_organizations
from awsroles.sync.engine import Engine
from awsroles.sync.organizations import OrganizationsRunner
from tests.conftest import REPO

PREFIX = "awsroles-acme-"
OUS = ("Workloads", "Workloads/Dev", "Workloads/Prod", "Sandbox")


def documented() -> dict[str, int]:
    """The table of docs/accounts.md, "At scale": what -> calls."""
    text = (REPO / "docs" / "accounts.md").read_text()
    section = text.split("## At scale", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([^|]+?) \| (\d+) \|", section, re.MULTILINE)
    return {what: int(n) for what, n in rows}


class Counter:
    """Every Organizations call a client makes (each page is one), from any thread."""

    def __init__(self, client: Any) -> None:
        self.lock = threading.Lock()
        self.calls: list[str] = []
        client.meta.events.register("before-call.organizations", self.count)

    def count(self, model: Any = None, **_: Any) -> None:
        with self.lock:
            self.calls.append(model.name)


def one_item_a_page(client: Any) -> None:
    """Ask moto for one item a page on every list that takes MaxResults."""
    def small(params: dict[str, Any], model: Any = None, **_: Any) -> None:
        if model.input_shape is not None and "MaxResults" in model.input_shape.members:
            params["MaxResults"] = 1
    client.meta.events.register("provide-client-params.organizations", small)


def build(orgs: Any, accounts: int) -> dict[str, str]:
    """An organization of OUS, ``accounts`` member accounts spread over them, three SCPs of the
    org's (one attached to the root, two to OUs) and one that is not; -> OU path -> id."""
    root = orgs.list_roots()["Roots"][0]["Id"]
    ids = {"": root}
    for path in OUS:
        parent, _, name = path.rpartition("/")
        ids[path] = orgs.create_organizational_unit(ParentId=ids[parent], Name=name)["OrganizationalUnit"]["Id"]
    for n in range(accounts):
        made = orgs.create_account(Email=f"aws+a{n}@acme.example", AccountName=f"a{n}")["CreateAccountStatus"]
        where = OUS[n % (len(OUS) + 1) - 1] if n % (len(OUS) + 1) else ""
        if where:
            orgs.move_account(AccountId=made["AccountId"], SourceParentId=root, DestinationParentId=ids[where])
    orgs.enable_policy_type(RootId=root, PolicyType=SCP_TYPE)
    content = '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}'
    for name, target in (("deny-a", ""), ("deny-b", "Workloads/Dev"), ("deny-c", "Sandbox")):
        policy = orgs.create_policy(Name=PREFIX + name, Description="", Type=SCP_TYPE, Content=content)
        orgs.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"], TargetId=ids[target])
    orgs.create_policy(Name="someone-elses", Description="", Type=SCP_TYPE, Content=content)
    return ids


def test_plan_reads_the_organization_in_the_calls_the_docs_state(orgs: Any) -> None:
    ids = build(orgs, 11)
    counted = Counter(orgs)
    live = read_organization(orgs, concurrency=4)
    table = documented()
    accounts, ous = len(live.accounts), len(live.ous)
    assert (accounts, ous) == (12, len(OUS))  # the management account and 11 members
    assert len(counted.calls) == live.api_calls == (table["the organization"] + table["per OU"] * ous
                                                   + table["per account in the organization"] * accounts)
    assert counted.calls.count("ListTagsForResource") == accounts + ous

    counted.calls.clear()
    targets = [ids[""], ids["Workloads/Dev"], ids["Sandbox"], ids["Workloads/Prod"]]
    scps = read_scps(orgs, PREFIX, targets, concurrency=4)
    assert sorted(scps.policies) == [PREFIX + "deny-a", PREFIX + "deny-b", PREFIX + "deny-c"]
    assert len(counted.calls) == scps.api_calls == (table["the SCPs"] + table["per SCP of the org"] * 3
                                                   + table["per root, OU or account the file gives SCPs"] * 4)


def test_every_page_of_every_list_is_read(orgs: Any) -> None:
    ids = build(orgs, 7)
    targets = [ids[""], ids["Workloads/Dev"], ids["Sandbox"]]
    whole = read_organization(orgs, concurrency=4)
    whole_scps = read_scps(orgs, PREFIX, targets, concurrency=4)

    one_item_a_page(orgs)
    counted = Counter(orgs)
    paged = read_organization(orgs, concurrency=4)
    assert paged.accounts == whole.accounts and paged.ous == whole.ous
    assert paged.api_calls == len(counted.calls) > whole.api_calls
    assert counted.calls.count("ListAccounts") == len(whole.accounts)  # one account a page: every page read
    paged_scps = read_scps(orgs, PREFIX, targets, concurrency=4)
    assert paged_scps.policies == whole_scps.policies and paged_scps.attached == whole_scps.attached

    # apply's own reads too: the OU tree, an account's parent, the SCPs by name
    runner = OrganizationsRunner(orgs, lambda *_: None)
    assert runner.ou_id("Workloads/Prod") == ids["Workloads/Prod"] and runner.ou_id("Sandbox") == ids["Sandbox"]
    assert runner.scps._policy(PREFIX + "deny-c", owned=False) == whole_scps.policies[PREFIX + "deny-c"].id
    member = next(a for a in whole.accounts.values() if a.parent == "Sandbox")
    runner.move_account(member.id, "Sandbox")  # already there: its parent read, no move
    assert "MoveAccount" not in counted.calls


@pytest.fixture
def sandbox_orgs(orgs: Any) -> Iterator[Any]:
    """Organizations with the sandbox server's CreateAccount (asynchronous, 5 in progress at most)."""
    undo = patch_organizations()
    try:
        yield orgs
    finally:
        undo()


def test_the_sandbox_refuses_a_sixth_creation_in_progress(sandbox_orgs: Any) -> None:
    requests = [sandbox_orgs.create_account(Email=f"aws+n{n}@acme.example", AccountName=f"n{n}")
                ["CreateAccountStatus"]["Id"] for n in range(CONCURRENT_CREATES)]
    with pytest.raises(sandbox_orgs.exceptions.ConstraintViolationException,
                       match="ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED"):
        sandbox_orgs.create_account(Email="aws+n5@acme.example", AccountName="n5")
    done = sandbox_orgs.describe_create_account_status(CreateAccountRequestId=requests[0])
    assert done["CreateAccountStatus"]["State"] == "SUCCEEDED"
    sandbox_orgs.create_account(Email="aws+n5@acme.example", AccountName="n5")  # a place is free again


def test_apply_creates_many_accounts_at_once_within_the_limit(
        sandbox_orgs: Any, ops_aws: Aws, tmp_path: Path) -> None:
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    path = tmp_path / "awsroles.ini"
    path.write_text("[org]\nname = acme\nregion = us-east-1\nops_account = ops\n"
                    "account_email = aws+{name}@acme.example\npolicy_dir = policies\n\n[account ops]\n"
                    "id = 111111111111\n\n"
                    + "".join(f"[account team{n}]\nenvironment = team{n}\nou = Teams\n\n" for n in range(9)))
    engine = Engine(load_org(path), ops_aws, max_workers=8)
    result = engine.apply(engine.plan())
    assert result.ok, result.summary()
    assert list(engine.recorded) == [f"team{n}" for n in range(9)]  # in the file's order, whichever came first
    org = load_org(path)  # every id written, none lost to another at the same time
    assert {org.account(f"team{n}").id for n in range(9)} == set(engine.recorded.values())
    assert Engine(org, ops_aws).plan().in_sync


class InFlight:
    """The most Organizations calls a client has in flight at once."""

    def __init__(self, client: Any) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0
        client.meta.events.register("before-call.organizations", self.start)
        client.meta.events.register("after-call.organizations", self.end)

    def start(self, **_: Any) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def end(self, **_: Any) -> None:
        with self.lock:
            self.now -= 1


@pytest.mark.parametrize("parallel", [1, 3])
def test_plan_reads_the_organization_parallel_at_a_time(orgs: Any, ops_aws: Aws, tmp_path: Path,
                                                       parallel: int) -> None:
    build(orgs, 11)
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    path = tmp_path / "awsroles.ini"
    path.write_text("[org]\nname = acme\nregion = us-east-1\nops_account = ops\npolicy_dir = policies\n"
                    "guardrails = deny-leave-organization\n\n[account ops]\nid = 111111111111\nou = Sandbox\n")
    engine = Engine(load_org(path), ops_aws, max_workers=parallel)
    seen = InFlight(engine.organizations())
    plan = engine.plan()
    assert plan.api_calls["ops"] > 4 + 3 * len(OUS) + 12  # the organization and its SCPs were read
    assert set(plan.api_calls) == {"ops"}  # IAM only in the accounts the file declares, not in all 12
    assert 1 <= seen.most <= parallel
