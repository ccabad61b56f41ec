"""The ownership decisions of one account (:class:`awsroles.sync.ownership.AccountOwnership`), one by one.

Written against the mutation run of awsroles/sync/ownership.py (bench/mutation.py,
docs/benchmarks.md): the plan tests reach these decisions through whole plans over moto, and a
flipped comparison (manage a resource at another path, take over a non-empty group, create
a name taken in another case) got past them. Each test here builds the live account by hand and
checks the decision: manage it (the live resource), create it (None) or refuse (False, a conflict).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from awsroles.iam.desired import AccountSpec
from awsroles.org.model import Org
from awsroles.org.parse import parse_org
from awsroles.sync.ownership import AccountOwnership
from awsroles.sync.plan import Conflict, PlanOptions
from awsroles.sync.state import LiveAccount, LiveGroup, LivePolicy, LiveRole, LiveUser

TEXT = """
[org]
name = t
ops_account = ops
path = /awsroles/
[account ops]
id = 111111111111
[account dev]
id = 222222222222
environment = dev
[role admin]
managed = arn:aws:iam::aws:policy/AdministratorAccess
[role console]
managed = arn:aws:iam::aws:policy/ReadOnlyAccess
path = /
[team a]
members = alice
dev = admin
[team b]
members = bob
group = /Developers
dev = console
[user alice]
[user bob]
move_from = /
[user carol]
path = /
"""


@pytest.fixture(scope="module")
def org() -> Org:
    parsed, problems = parse_org(TEXT, "t.ini", Path("."))
    assert parsed is not None, problems
    return parsed


def user(name: str, path: str = "/awsroles/", owned: bool = True) -> LiveUser:
    return LiveUser(name, path, (), (), {}, {}, owned=owned)


def group(name: str, path: str = "/awsroles/", owned: bool = True, members: tuple[str, ...] = (),
          managed: tuple[str, ...] = (), inline: dict[str, dict[str, str]] | None = None) -> LiveGroup:
    return LiveGroup(name, path, managed, inline or {}, members, owned=owned)


def role(name: str, path: str = "/awsroles/", owned: bool = True) -> LiveRole:
    return LiveRole(name, path, {}, 3600, "", (), {}, {}, owned=owned)


def ownership(org: Org, adopt: bool = False, users: tuple[LiveUser, ...] = (), groups: tuple[LiveGroup, ...] = (),
              roles: tuple[LiveRole, ...] = (), live_policies: tuple[LivePolicy, ...] = (),
              unmanaged: dict[str, dict[str, str]] | None = None,
              documents: dict[str, dict[str, object]] | None = None) -> AccountOwnership:
    account = org.ops
    live = LiveAccount(account, roles={r.name: r for r in roles}, groups={g.name: g for g in groups},
                       users={u.name: u for u in users}, policies={p.name: p for p in live_policies},
                       unmanaged=unmanaged or {}, documents=documents or {})
    return AccountOwnership(org, account, AccountSpec(account), live, PlanOptions(adopt=adopt))


def decide(own: AccountOwnership, kind: str, name: str) -> object:
    owned = {"user": own.users, "group": own.groups, "role": own.roles}[kind]
    at_path = {"user": own.live.users, "group": own.live.groups, "role": own.live.roles}[kind]
    return own.lookup(kind, name, owned, at_path)


def reasons(own: AccountOwnership) -> list[tuple[str, str, str]]:
    return [(c.kind, c.name, c.reason) for c in own.conflicts]


def test_owned_at_its_path_is_managed_and_absent_is_created(org: Org) -> None:
    alice = user("alice")
    own = ownership(org, users=(alice,), roles=(role("admin"),), groups=(group("team-a"),))
    assert decide(own, "user", "alice") is alice
    assert decide(own, "role", "admin") is own.live.roles["admin"]
    assert decide(own, "group", "team-a") is own.live.groups["team-a"]
    assert decide(own, "user", "dave") is None
    assert own.conflicts == [] and own.adopted == set()


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_a_name_taken_in_another_case_is_a_conflict_whether_owned_or_not(org: Org, kind: str) -> None:
    make = {"user": user, "group": group, "role": role}[kind]
    for owned in (True, False):
        own = ownership(org, **{f"{kind}s": (make("TEAM-A" if kind == "group" else "ADMIN", owned=owned),)})
        name = "team-a" if kind == "group" else "admin"
        live_name = name.upper()
        assert decide(own, kind, name) is False
        assert reasons(own) == [(kind, name, f"IAM names are case-insensitive and {kind} {live_name} (path "
                                             f"/awsroles/) already takes this name; use the same case in the org "
                                             f"file, or rename or remove {live_name}")]


def test_a_name_taken_in_another_case_at_another_path_is_a_conflict(org: Org) -> None:
    own = ownership(org, unmanaged={"user": {"ALICE": "/"}})
    assert decide(own, "user", "alice") is False
    assert "case-insensitive" in reasons(own)[0][2]


def test_unmarked_at_the_path_is_a_conflict_until_adopt(org: Org) -> None:
    alice = user("alice", owned=False)
    own = ownership(org, users=(alice,))
    assert decide(own, "user", "alice") is False
    assert reasons(own) == [("user", "alice", "exists at the awsroles path /awsroles/ without the managed-by = "
                             "awsroles tag, so awsroles does not own it and never changes it: adopt it with "
                             "`awsroles apply --adopt` (or `awsroles import`), or rename or remove it")]
    adopting = ownership(org, adopt=True, users=(alice,))
    assert decide(adopting, "user", "alice") is alice
    assert adopting.conflicts == [] and adopting.adopted == {("user", "alice")}


def test_unmarked_at_the_path_it_is_adopted_at_is_a_conflict_naming_that_path(org: Org) -> None:
    carol = user("carol", path="/", owned=False)
    own = ownership(org, users=(carol,))
    assert decide(own, "user", "carol") is False
    assert reasons(own)[0][2].startswith("exists at the path the org file adopts it at, / without the "
                                         "managed-by = awsroles tag")
    assert decide(ownership(org, adopt=True, users=(carol,)), "user", "carol") is carol


def test_a_group_missing_its_marker_is_taken_over_only_when_empty(org: Org) -> None:
    """An apply stopped between CreateGroup and the marker leaves an empty group: safe to take.
    A group holding anyone or granting anything is not awsroles' to take without --adopt."""
    empty = group("team-a", owned=False)
    own = ownership(org, groups=(empty,))
    assert decide(own, "group", "team-a") is empty
    assert own.conflicts == [] and own.adopted == {("group", "team-a")}
    for full in (group("team-a", owned=False, members=("mallory",)),
                 group("team-a", owned=False, managed=("arn:aws:iam::aws:policy/AdministratorAccess",)),
                 group("team-a", owned=False, inline={"p": {"Version": "2012-10-17"}})):
        own = ownership(org, groups=(full,))
        assert decide(own, "group", "team-a") is False
        assert reasons(own)[0][2].startswith("exists at the awsroles path /awsroles/ without the inline "
                                             "marker policy")
        assert own.adopted == set()


def test_an_empty_unmarked_role_or_user_is_not_taken_over(org: Org) -> None:
    own = ownership(org, users=(user("alice", owned=False),), roles=(role("admin", owned=False),))
    assert decide(own, "user", "alice") is False
    assert decide(own, "role", "admin") is False
    assert [c[0] for c in reasons(own)] == ["user", "role"]


def test_at_another_path_is_a_conflict_even_with_adopt(org: Org) -> None:
    for adopt in (False, True):
        own = ownership(org, adopt=adopt, unmanaged={"user": {"alice": "/"}}, roles=(role("console", path="/x/"),))
        assert decide(own, "user", "alice") is False
        assert decide(own, "role", "console") is False  # owned, but not where the org file puts it
        assert reasons(own)[0] == ("user", "alice", "exists at path /, which awsroles does not manage and never "
                                   "touches (the org file says /awsroles/): rename or remove it, or adopt it in "
                                   "place where it is (`path = /` in its [role] or [user] section, a team's "
                                   "`group = PATH/NAME`; see docs/migrate-console.md), then `awsroles apply "
                                   "--adopt`")
        assert own.adopted == set()


def test_a_user_the_org_file_moves_is_found_where_it_is_moved_from(org: Org) -> None:
    bob = user("bob", path="/", owned=False)
    own = ownership(org, users=(bob,))
    assert decide(own, "user", "bob") is False
    assert reasons(own) == [("user", "bob", "exists at /, where the org file moves it from (move_from), without "
                             "the managed-by = awsroles tag, so awsroles does not own it yet and never changes "
                             "it: `awsroles apply --adopt` marks it, then moves it to /awsroles/")]
    adopting = ownership(org, adopt=True, users=(bob,))
    assert decide(adopting, "user", "bob") is bob
    assert adopting.adopted == {("user", "bob")}
    marked = user("bob", path="/")
    own = ownership(org, users=(marked,))
    assert decide(own, "user", "bob") is marked and own.adopted == set()


def test_a_user_moved_from_elsewhere_than_where_it_is_is_a_conflict(org: Org) -> None:
    own = ownership(org, adopt=True, users=(user("bob", path="/old/", owned=False),))
    assert decide(own, "user", "bob") is False
    assert reasons(own)[0][2].startswith("exists at path /old/, which awsroles does not manage")


def test_expected_path_of_each_kind(org: Org) -> None:
    own = ownership(org)
    assert own.expected_path("role", "admin") == "/awsroles/"
    assert own.expected_path("role", "console") == "/"
    assert own.expected_path("user", "alice") == "/awsroles/"
    assert own.expected_path("user", "carol") == "/"
    assert own.expected_path("group", "team-a") == "/awsroles/"
    assert own.expected_path("group", "Developers") == "/"
    assert own.expected_path("group", "team-b") == "/awsroles/"  # not a group the org names
    assert own.expected_path("policy", "console") == "/awsroles/"


def test_an_adopted_update_is_reported_as_adopt(org: Org) -> None:
    own = ownership(org, adopt=True, users=(user("alice", owned=False),))
    decide(own, "user", "alice")
    own.change("update", "user", "alice", [])
    own.change("update", "user", "dave", [])
    own.change("create", "user", "alice", [])
    own.change("delete", "user", "erin", [])
    assert [(c.action, c.name, c.drift) for c in own.changes] == [("adopt", "alice", False),
                                                                  ("update", "dave", False),
                                                                  ("create", "alice", False)]
    assert [(c.action, c.name) for c in own.deletes] == [("delete", "erin")]


def test_describe_a_policy_by_where_it_comes_from(org: Org) -> None:
    arn = "arn:aws:iam::111111111111:policy/awsroles/p"
    own = ownership(org, documents={arn: {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}})
    assert own.describe(arn) == "Allow s3:* on *"
    assert own.describe("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess") == "AWS managed policy ViewOnlyAccess"
    assert own.describe("arn:aws:iam::333333333333:policy/x") == "a policy in another account"


def test_conflict_records_the_account(org: Org) -> None:
    own = ownership(org)
    own.conflict("user", "alice", "why")
    assert own.conflicts == [Conflict("ops", "111111111111", "user", "alice", "why")]


def test_owned_is_per_kind(org: Org) -> None:
    own = ownership(org, users=(user("alice"),), groups=(group("team-a"), group("x", owned=False)),
                    roles=(role("admin"),))
    assert own._owned("user", "alice") and own._owned("group", "team-a") and own._owned("role", "admin")
    assert not own._owned("user", "admin") and not own._owned("group", "x") and not own._owned("role", "alice")


def test_a_managed_policy_name_taken_in_another_case_or_unmarked_is_a_conflict(org: Org) -> None:
    def policy(name: str, owned: bool) -> LivePolicy:
        return LivePolicy(name, "/awsroles/", f"arn:aws:iam::111111111111:policy/awsroles/{name}", {}, "", "v1", (),
                          (), owned=owned)
    for live, reason in ((policy("Console", True), "IAM names are case-insensitive and policy Console"),
                         (policy("console", False), "exists at the awsroles path /awsroles/ without the "
                                                    "managed-by = awsroles tag")):
        own = ownership(org, live_policies=(live,))
        assert own.lookup("policy", "console", own.policies_, own.live.policies) is False
        assert reasons(own)[0][2].startswith(reason)
    mine = policy("console", True)
    own = ownership(org, live_policies=(mine,))
    assert own.lookup("policy", "console", own.policies_, own.live.policies) is mine
