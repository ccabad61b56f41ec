"""Being someone on the running sandbox: ``awsroles sandbox person NAME`` and ``sandbox mfa-code NAME``.

``enroll`` gives the IAM user NAME (made by ``awsroles apply``) an access key and a virtual MFA
device (:func:`awsroles.sandbox.seed.enroll_person`) and keeps what the sandbox needs to make
that device's codes in its state folder, ``people/NAME.json`` (0600): the device's seed, in
plaintext, like every other fake sandbox secret. That is what lets ``sandbox mfa-code NAME``
print a code the sandbox accepts, so a person's whole day (setup, login, exec) can be tried on
the sandbox without an authenticator app. A real device's seed never leaves the authenticator:
nothing here works against AWS.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from awsroles.fsutil import atomic_write, private_dir
from awsroles.iam.checks import load_org
from awsroles.org.model import Org
from awsroles.sandbox.client import SandboxError, sandbox_aws
from awsroles.sandbox.seed import PersonCredentials, enroll_person
from awsroles.sandbox.state import SandboxState, read_state, state_dir

PEOPLE_DIR = "people"
_NAME = re.compile(r"[\w+=,.@-]{1,64}")  # an IAM user name (IAM API Reference, CreateUser)


def _running(directory: Path) -> SandboxState:
    state = read_state(directory)
    if state is None:
        raise SandboxError("no sandbox is running (start one with `awsroles sandbox start`)")
    return state


def _path(directory: Path, name: str) -> Path:
    if not _NAME.fullmatch(name) or name in (".", ".."):
        raise SandboxError(f"{name!r} is not an IAM user name")
    return directory / PEOPLE_DIR / f"{name}.json"


def enroll(name: str, directory: Path | None = None) -> tuple[SandboxState, Org, PersonCredentials]:
    """NAME's new access key and enabled MFA device on the running sandbox, its seed kept for codes."""
    directory = directory or state_dir()
    path = _path(directory, name)
    state = _running(directory)
    org = load_org(Path(state.org_file))
    if name not in {user.name for user in org.users}:
        raise SandboxError(f"{name} is not a user in {state.org_file}")
    person = enroll_person(sandbox_aws(state.endpoint, state.credentials, state.region), org, name)
    private_dir(path.parent)
    atomic_write(path, json.dumps({"access_key_id": person.access_key_id, "mfa_serial": person.mfa_serial,
                                   "totp_seed": person.totp_seed, "user_arn": person.user_arn,
                                   "endpoint": state.endpoint}, indent=2) + "\n", mode=0o600)
    return state, org, person


def mfa_code(name: str, directory: Path | None = None) -> str:
    """A code NAME's sandbox MFA device shows now that the sandbox has not taken yet."""
    directory = directory or state_dir()
    path = _path(directory, name)
    state = _running(directory)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SandboxError(f"no MFA device of {name}'s on this sandbox: run `awsroles sandbox person {name}` "
                           "first") from None
    if data.get("endpoint") != state.endpoint:
        raise SandboxError(f"{name}'s MFA device was made on another sandbox: run `awsroles sandbox person {name}` "
                           "again")
    person = PersonCredentials(data["access_key_id"], "", data["mfa_serial"], data["totp_seed"], data["user_arn"],
                               endpoint=state.endpoint)
    return person.mfa_code()
