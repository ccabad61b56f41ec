"""A team's policy in its two forms (issue 20, docs/policies.md "Per team"): per environment while
it fits the group's room, else per role over ``aws:ResourceAccount``; the boundaries and the
numbers the docs give; and the importer reading the per-role form back."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from awsroles.iam import policies
from awsroles.iam.checks import check_sizes
from awsroles.importer.documents import per_role
from awsroles.org.checks import Sections
from awsroles.org.model import Org
from awsroles.org.parse import parse_org


def _org(environments: int, roles: int | list[str] = 1, mfa: str = "required", path: str = "/awsroles/") -> Org:
    names = [f"role{r}" for r in range(roles)] if isinstance(roles, int) else roles
    lines = ["[org]", "name = n", "ops_account = ops", f"mfa = {mfa}", f"path = {path}", "",
             "[account ops]", "id = 100000000000", ""]
    for n in range(environments):
        lines += [f"[account a{n:03}]", f"id = {200000000000 + n}", f"environment = e{n:03}", ""]
    for name in names:
        lines += [f"[role {name}]", "managed = arn:aws:iam::aws:policy/ReadOnlyAccess", ""]
    lines += ["[team t]", "members = alice", *[f"e{n:03} = {', '.join(names)}" for n in range(environments)], "",
              "[user alice]", ""]
    org, problems = parse_org("\n".join(lines), "x.ini", Path("."))
    assert org is not None, problems
    return org


def test_the_per_environment_form_while_it_fits_then_the_per_role_one() -> None:
    fifteen, sixteen = _org(15), _org(16)
    assert policies.team_policy_form(fifteen, fifteen.team("t")) == policies.PER_ENVIRONMENT
    assert policies.team_policy_form(sixteen, sixteen.team("t")) == policies.PER_ROLE
    marker = len(json.dumps(policies.GROUP_MARKER_DOCUMENT, separators=(",", ":")))
    assert policies.TEAM_POLICY_ROOM + marker == 5120
    assert policies.TEAM_POLICY_ROOM == 4985


@pytest.mark.parametrize(("environments", "roles"), [(300, 1), (60, 2), (40, 5)])
def test_what_the_docs_say_fits_passes_validate(environments: int, roles: int) -> None:
    org = _org(environments, roles)
    size = policies.policy_size(policies.team_policy(org, org.team("t")))
    assert policies.team_policy_form(org, org.team("t")) == policies.PER_ROLE and size <= policies.TEAM_POLICY_ROOM
    assert check_sizes(org, Sections("x.ini", {})) == []


def test_a_team_that_does_not_fit_even_per_role_takes_the_managed_form() -> None:
    """Its grants go to customer managed policies; the inline policy keeps nothing (no statement:
    not written); the statements are the per-role ones, so they allow exactly the same roles."""
    org = _org(45, 5)
    team = org.team("t")
    assert policies.team_policy_form(org, team) == policies.MANAGED
    assert policies.team_policy(org, team)["Statement"] == []
    [managed] = policies.team_managed_policies(org, team)
    assert policies.policy_size(managed) <= 6144
    per_role = policies._per_role_statements(org, team)
    assert sorted(json.dumps(x, sort_keys=True) for x in managed["Statement"]) == sorted(
        json.dumps(policies.canonical({"Version": "2012-10-17", "Statement": [x]})["Statement"][0], sort_keys=True)
        for x in per_role)
    assert check_sizes(org, Sections("x.ini", {})) == []


def test_in_the_managed_form_temporary_grants_stay_inline_and_apply_writes_both() -> None:
    """The group's inline policy keeps the team's temporary grant (a statement bounded by time);
    the standing grants are in the managed policies, attached to the group; nothing is in both."""
    from datetime import datetime, timezone

    from awsroles.iam.desired import desired_state
    from awsroles.org.entries import TemporaryGrant

    org = _org(45, 5)
    grant = TemporaryGrant("t-incident", "e001", "role0", datetime(2999, 1, 1, tzinfo=timezone.utc), "INC-1",
                           team="t")
    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    org = dataclasses.replace(org, temporary_grants=(grant,))
    [inline] = policies.team_policy(org, org.team("t"), (grant,))["Statement"]
    assert inline["Sid"] == policies.temporary_sid("t-incident")
    [ops] = [spec for spec in desired_state(org, now) if spec.account.name == "ops"]
    [group] = [g for g in ops.groups if g.name == "team-t"]
    assert [p.name for p in group.inline] == ["awsroles-managed-by", "awsroles-assume-roles"]
    assert policies.temporary_sid("t-incident") in group.inline[1].document
    assert group.managed == ("arn:aws:iam::100000000000:policy/awsroles/awsroles-assume-t-1",)
    [managed] = [p for p in ops.policies if p.name == "awsroles-assume-t-1"]
    assert "Temporary" not in managed.document and '"aws:ResourceAccount"' in managed.document


def test_what_the_docs_say_of_the_managed_form() -> None:
    """docs/policies.md: two roles in 300 environments take two policies of about 4,900 characters."""
    org = _org(300, 2)
    sizes = [policies.policy_size(p) for p in policies.team_managed_policies(org, org.team("t"))]
    assert policies.team_policy_form(org, org.team("t")) == policies.MANAGED
    assert len(sizes) == 2 and all(4800 < n < 5000 for n in sizes), sizes
    assert check_sizes(org, Sections("x.ini", {})) == []


def test_a_role_in_more_accounts_than_one_policy_holds_is_split_over_its_accounts() -> None:
    org = _org(500)
    parts = policies.team_managed_policies(org, org.team("t"))
    assert len(parts) == 2 and all(policies.policy_size(p) <= 6144 for p in parts)
    statements = [x for p in parts for x in p["Statement"]]
    assert [x["Sid"] for x in statements] == ["AssumeRole0InAccounts", "AssumeRole0InAccounts2"]
    accounts = [a for x in statements for a in x["Condition"]["StringEquals"]["aws:ResourceAccount"]]
    assert sorted(accounts) == [str(200000000000 + n) for n in range(500)]  # each once, none missing
    assert {json.dumps({**x, "Sid": "", "Condition": {**x["Condition"], "StringEquals": {
        k: v for k, v in x["Condition"]["StringEquals"].items() if k != "aws:ResourceAccount"}}}, sort_keys=True)
        for x in statements} == {json.dumps({**statements[0], "Sid": "", "Condition": {
            **statements[0]["Condition"], "StringEquals": {"sts:SourceIdentity": "${aws:username}"}}},
            sort_keys=True)}  # the same statement but for its accounts: MFA and SourceIdentity in each part


def test_the_same_grants_pack_the_same_whatever_their_order_in_the_file() -> None:
    names = [f"r{n}" for n in range(12)]
    one, other = _org(40, names), _org(40, list(reversed(names)))
    assert policies.team_managed_policies(one, one.team("t")) == policies.team_managed_policies(other, other.team("t"))


def test_a_team_that_needs_more_than_ten_managed_policies_is_refused() -> None:
    org = _org(400, 12)  # docs/policies.md: twelve roles in 400 environments take more than ten
    parts = len(policies.team_managed_policies(org, org.team("t")))
    assert parts > 10
    assert [p.message for p in check_sizes(org, Sections("x.ini", {("team", "t"): 7}))] == [
        f"team 't' grants need {parts} managed policies of 6144 characters; IAM attaches at most 10 to a group "
        "(split the team)"]


def test_the_per_role_statement_exactly_with_and_without_mfa() -> None:
    org = _org(16)
    document = policies.team_policy(org, org.team("t"))
    accounts = [str(200000000000 + n) for n in range(16)]
    assert document == {"Version": "2012-10-17", "Statement": [{
        "Sid": "AssumeRole0InAccounts",
        "Effect": "Allow",
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        "Resource": "arn:aws:iam::*:role/awsroles/role0",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                      "NumericLessThan": {"aws:MultiFactorAuthAge": "43200"},
                      "StringEquals": {"sts:SourceIdentity": "${aws:username}", "aws:ResourceAccount": accounts}},
    }]}
    optional = _org(25, mfa="optional")  # smaller statements: more environments fit per environment
    statement = policies.team_policy(optional, optional.team("t"))["Statement"][0]
    assert statement["Condition"] == {"StringEquals": {"sts:SourceIdentity": "${aws:username}", "aws:ResourceAccount":
                                                       [str(200000000000 + n) for n in range(25)]}}


def test_two_roles_whose_names_make_the_same_sid_get_two_sids() -> None:
    org = _org(16, ["a-b", "a_b"])
    sids = [s["Sid"] for s in policies.team_policy(org, org.team("t"))["Statement"]]
    assert sids == ["AssumeABInAccounts", "AssumeABInAccounts2"]


def test_validate_checks_the_form_apply_writes() -> None:
    """The size check and desired state agree: the team validated is the team written."""
    from datetime import datetime, timezone

    from awsroles.iam.desired import desired_state

    org = _org(60, 2)
    ops = next(s for s in desired_state(org, now=datetime(2026, 11, 30, tzinfo=timezone.utc))
               if s.account.name == "ops")
    group = next(g for g in ops.groups if g.name == "team-t")
    written = next(p.document for p in group.inline if p.name == "awsroles-assume-roles")
    assert json.loads(written) == policies.team_policy(org, org.team("t"))
    total = sum(policies.policy_size(p.document) for p in group.inline)
    assert total <= 5120  # the group's inline policies together, marker included


def test_the_importer_reads_the_per_role_form_as_the_role_in_each_account() -> None:
    statement = {"Sid": "AssumeAdminInAccounts", "Effect": "Allow", "Action": ["sts:AssumeRole"],
                 "Resource": "arn:aws:iam::*:role/awsroles/admin",
                 "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                               "StringEquals": {"sts:SourceIdentity": "${aws:username}",
                                                "AWS:ResourceAccount": ["222222222222", "333333333333"]}}}
    kept, arns = per_role(statement)
    assert arns == ["arn:aws:iam::222222222222:role/awsroles/admin", "arn:aws:iam::333333333333:role/awsroles/admin"]
    assert kept["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                                 "StringEquals": {"sts:SourceIdentity": "${aws:username}"}}
    one = {**statement, "Condition": {"StringEquals": {"aws:ResourceAccount": "222222222222"}}}
    kept, arns = per_role(one)
    assert arns == ["arn:aws:iam::222222222222:role/awsroles/admin"] and kept["Condition"] == {}
    # anything else is read as written: a wildcard without the account list, or mixed with exact ARNs
    bare = {**statement, "Condition": {}}
    assert per_role(bare) == (bare, ["arn:aws:iam::*:role/awsroles/admin"])
    mixed = {**statement, "Resource": ["arn:aws:iam::*:role/awsroles/admin", "arn:aws:iam::1:role/x"]}
    assert per_role(mixed)[1] == ["arn:aws:iam::*:role/awsroles/admin", "arn:aws:iam::1:role/x"]
    pattern = {**statement, "Resource": "arn:aws:iam::*:role/awsroles/*"}
    assert per_role(pattern)[1] == ["arn:aws:iam::*:role/awsroles/*"]


def _text(environments: list[str], roles: list[str], *, extra: str = "", path: str = "") -> str:
    lines = ["[org]", "name = n", "ops_account = ops", "", "[account ops]", "id = 100000000000", ""]
    for n, environment in enumerate(environments):
        lines += [f"[account a{n:03}]", f"id = {200000000000 + n}", f"environment = {environment}", ""]
    for role in roles:
        lines += [f"[role {role}]", "managed = arn:aws:iam::aws:policy/ReadOnlyAccess",
                  *([f"path = {path}"] if path else []), ""]
    lines += ["[team t]", "members = alice", *[f"{e} = {', '.join(roles)}" for e in environments], "",
              "[user alice]", "", extra]
    return "\n".join(lines)


def _parsed(text: str) -> Org:
    org, problems = parse_org(text, "x.ini", Path("."))
    assert org is not None, problems
    return org


def test_a_policy_of_exactly_the_room_keeps_the_per_environment_form_one_more_character_does_not() -> None:
    names = [f"e{n:03}" for n in range(1, 15)]
    exact = _parsed(_text(["e", *names], ["r" * 11]))
    assert policies.policy_size(policies._team_policy(exact, exact.team("t"), (), policies.PER_ENVIRONMENT)) \
        == policies.TEAM_POLICY_ROOM
    assert policies.team_policy_form(exact, exact.team("t")) == policies.PER_ENVIRONMENT
    over = _parsed(_text(["ex", *names], ["r" * 11]))
    assert policies.team_policy_form(over, over.team("t")) == policies.PER_ROLE


def test_temporary_grants_count_toward_the_choice() -> None:
    from datetime import datetime, timezone

    temporary = "\n".join(f"[temporary t-{n}]\nteam = t\nenvironment = e{n:03}\nrole = role0\n"
                          f"until = 2099-01-01T00:00:00Z\nreason = INC-{n}\n" for n in range(3))
    org = _parsed(_text([f"e{n:03}" for n in range(14)], ["role0"], extra=temporary))
    team, active = org.team("t"), org.active_temporary(datetime(2026, 11, 30, tzinfo=timezone.utc))
    assert policies.team_policy_form(org, team) == policies.PER_ENVIRONMENT  # the standing grants alone fit
    assert policies.team_policy_form(org, team, active) == policies.PER_ROLE  # with three temporary ones, not
    sids = [s["Sid"] for s in policies.team_policy(org, team, active)["Statement"]]
    assert sids == ["AssumeRole0InAccounts", "TemporarytX0", "TemporarytX1", "TemporarytX2"]


def test_an_account_still_to_create_elsewhere_does_not_stop_the_per_role_form() -> None:
    pending = "[account later]\nenvironment = later\nemail = later@example.com\n"
    org = _parsed(_text([f"e{n:03}" for n in range(16)], ["role0"], extra=pending))
    assert org.pending_accounts and policies.team_policy_form(org, org.team("t")) == policies.PER_ROLE
    assert len(policies.team_policy(org, org.team("t"))["Statement"][0]["Condition"]["StringEquals"][
        "aws:ResourceAccount"]) == 16


def test_a_granted_environment_whose_account_is_still_to_create_has_no_id_to_name() -> None:
    from awsroles.org.model import AccountPendingError

    text = _text([f"e{n:03}" for n in range(16)], ["role0"]).replace("id = 200000000005\n",
                                                                     "email = e5@example.com\n")
    org = _parsed(text)
    with pytest.raises(AccountPendingError):
        policies._team_policy(org, org.team("t"), (), policies.PER_ROLE)


def test_three_role_names_that_make_the_same_sid_get_three_sids() -> None:
    org = _parsed(_text([f"e{n:03}" for n in range(12)], ["a-b", "a_b", "a.b"]))
    assert policies.team_policy_form(org, org.team("t")) == policies.PER_ROLE
    assert [s["Sid"] for s in policies.team_policy(org, org.team("t"))["Statement"]] == [
        "AssumeABInAccounts", "AssumeABInAccounts2", "AssumeABInAccounts3"]


def test_a_role_adopted_in_place_is_named_at_its_own_path() -> None:
    org = _parsed(_text([f"e{n:03}" for n in range(16)], ["admin"], path="/legacy/"))
    assert policies.team_policy(org, org.team("t"))["Statement"][0]["Resource"] == "arn:aws:iam::*:role/legacy/admin"


def test_the_terraform_export_of_a_per_role_team_is_what_apply_makes(tmp_path: Path) -> None:
    """The export carries the per-role document as it is, resource for resource (the equivalence
    check of tests/unit/test_terraform.py on an org with a team in 60 environments)."""
    from awsroles.export.terraform import terraform_files
    from tests.unit.test_terraform import assert_equivalent

    org = _org(60, 2)
    files = terraform_files(org)
    assert_equivalent(org, files)
    team_file = next(text for path, text in files.items() if path.endswith("team-t.awsroles-assume-roles.json"))
    assert json.loads(team_file) == policies.team_policy(org, org.team("t"))
    assert json.loads(team_file)["Statement"][0]["Resource"] == "arn:aws:iam::*:role/awsroles/role0"
