"""``awsroles access review`` in an org on IAM Identity Center alone, against a sandbox in this
process (docs/people.md, "Access review"): per person whether the Identity Store has them, and
per grant (standing, temporary, break-glass) the last use of the role Identity Center made for its
permission set in the environment's account; no password, key or sign-in (the Identity Store API
has none); `--cloudtrail` refused."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from awsroles.cli.access_review import IC_CSV_COLUMNS
from awsroles.cli.app import App
from awsroles.cli.runner import run
from awsroles.errors import ExitCode
from awsroles.org.temporary import format_time
from awsroles.sandbox.process import Sandbox
from awsroles.sandbox.server import clock
from tests.aws.test_identity_center_temporary_access import applied_sandbox, client, sign_in
from tests.aws.test_sso_sandbox import DEV, ORG


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """alice: admin in dev and prod (platform); bob: readonly in dev (backend), readonly in prod for
    a day (a temporary grant); carol: prod's break-glass role; applied, then dave declared (not yet
    in Identity Center) and backend granted readonly in prod (not applied); alice has used admin in
    dev."""
    now = datetime.fromtimestamp(clock.sandbox_time(), timezone.utc).replace(microsecond=0)
    folder = tmp_path_factory.mktemp("review-ic")
    text = ORG + (f"\n[temporary t-bob-prod]\nuser = bob\nenvironment = prod\nrole = readonly\n"
                  f"until = {format_time(now + timedelta(days=1))}\nreason = INC-7\n"
                  "\n[break-glass prod]\npeople = carol\nmanaged = arn:aws:iam::aws:policy/ReadOnlyAccess\n")
    (folder / "org.ini").write_text(text)
    with applied_sandbox(folder / "org.ini") as sandbox:
        # declared since the apply: dave, and backend's readonly in prod (no role of it there yet)
        (folder / "org.ini").write_text(text.replace("members = bob\ndev = readonly\n",
                                                     "members = bob\ndev = readonly\nprod = readonly\n")
                                        + "\n[user dave]\nemail = dave@acme.example\n")
        portal = client(sandbox.endpoint, "sso")
        used = portal.get_role_credentials(accessToken=sign_in(sandbox, "alice"), accountId=DEV,
                                           roleName="admin")["roleCredentials"]
        assert client(sandbox.endpoint, "iam", used).list_roles()["Roles"]  # a request: the role is used
        yield sandbox


def invoke(box: Sandbox, monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, str, str]:
    for name, value in box.env().items():
        monkeypatch.setenv(name, value)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(["access", "review", *argv], App(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def grants(person: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{g['environment']}/{g['role']}/{g['kind']}": g for g in person["grants"]}


def test_each_person_and_grant_with_the_use_of_its_permission_sets_role(box: Sandbox,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = invoke(box, monkeypatch, "-o", "json")
    assert code == ExitCode.OK, err
    data = json.loads(out)
    assert data["identity"] == "identity-center"
    people = {p["name"]: p for p in data["people"]}
    assert set(people) == {"alice", "bob", "carol", "dave"}
    assert set(people["alice"]) == {"name", "teams", "in_identity_center", "flags", "grants"}  # no password, key
    alice, bob, carol = (grants(people[n]) for n in ("alice", "bob", "carol"))
    assert alice["dev/admin/standing"]["role_last_used"] not in (None, "never")  # used: no flag
    assert alice["dev/admin/standing"]["flags"] == []
    assert alice["prod/admin/standing"]["role_exists"] and alice["prod/admin/standing"]["role_last_used"] == "never"
    assert people["alice"]["flags"] == ["unused grant prod/admin"]
    assert bob["prod/readonly/temporary"]["grant_id"] == "t-bob-prod"  # its own permission set's role
    assert bob["prod/readonly/temporary"]["role_exists"] and "unused grant" in bob["prod/readonly/temporary"]["flags"]
    assert not bob["prod/readonly/standing"]["role_exists"]  # Identity Center has made no role of it in prod
    assert bob["prod/readonly/standing"]["flags"] == ["role not in AWS"]
    assert carol["prod/breakglass/break-glass"]["role_exists"] and carol["prod/breakglass/break-glass"]["flags"] == []
    assert people["dave"] == {"name": "dave", "teams": [], "in_identity_center": False,
                              "flags": ["not in Identity Center"], "grants": []}
    assert any("per role, not per person" in n for n in data["notes"])
    assert any("no last sign-in" in n for n in data["notes"])


def test_csv_and_table_have_identity_centers_columns(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = invoke(box, monkeypatch, "-o", "csv")
    assert code == ExitCode.OK, err
    rows = list(csv.reader(io.StringIO(out)))
    assert tuple(rows[0]) == IC_CSV_COLUMNS
    by = {(r[2], r[6], r[7]): dict(zip(IC_CSV_COLUMNS, r, strict=True)) for r in rows[1:]}
    assert by["dave", "", ""]["in_identity_center"] == "no"
    assert by["bob", "prod", "readonly"]["grant"] == "temporary" and by["bob", "prod", "readonly"]["reason"] == "INC-7"
    code, out, _ = invoke(box, monkeypatch)
    assert code == ExitCode.OK and "in Identity Center" in out and "password" not in out


def test_cloudtrail_is_refused_in_one_line_before_anything_is_read(box: Sandbox,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = invoke(box, monkeypatch, "--cloudtrail")
    assert code == ExitCode.USAGE and out == "" and err.count("\n") == 1
    assert "an Identity Center session has none" in err
