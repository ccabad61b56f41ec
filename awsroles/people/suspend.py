"""Disabling a person reversibly, and enabling them again: ``users disable`` and ``users enable``.

``disable`` deactivates every active access key and deletes the console password; MFA devices and
team memberships stay, the org file is not changed. The keys it deactivated are recorded on the
IAM user (tag ``awsroles-disabled-keys``), so ``enable`` makes exactly those active again (a key
made inactive otherwise, say a rotation's old key, stays so) and, where the org file gives the
person the console, sets a new temporary password: IAM keeps no deleted password.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from awsroles.errors import PartlyDone
from awsroles.errors import aws_error_code as _code
from awsroles.iam.desired import DISABLED_KEYS_TAG  # on the IAM user: the keys `users disable` deactivated
from awsroles.org.model import Org
from awsroles.people.listing import has_login_profile
from awsroles.people.users import Step, generate_password, require_in_aws, run_steps


def disable_steps(iam: Any, name: str) -> list[Step]:
    """Reversible: deactivate every active access key and remove the console password; the keys
    deactivated are recorded on the user (tag ``awsroles-disabled-keys``) for ``users enable``."""
    require_in_aws(iam, name)
    keys = [k["AccessKeyId"] for k in iam.list_access_keys(UserName=name).get("AccessKeyMetadata", [])
            if k["Status"] == "Active"]
    steps = []
    if keys:
        recorded = sorted({*keys, *_disabled_keys(iam, name)})
        steps.append(Step("record the keys it deactivates (for `users enable`)", "tag_user",
                          {"UserName": name, "Tags": [{"Key": DISABLED_KEYS_TAG, "Value": " ".join(recorded)}]}))
    steps += [Step(f"deactivate access key {key}", "update_access_key",
                   {"UserName": name, "AccessKeyId": key, "Status": "Inactive"}) for key in keys]
    if has_login_profile(iam, name):
        steps.append(Step("delete console password", "delete_login_profile", {"UserName": name}))
    return steps


def disable(org: Org, iam: Any, name: str) -> list[Step]:
    """Deactivate ``name``'s keys and remove their console access; MFA and memberships stay."""
    del org  # the same shape as offboard; the org file is not changed
    steps = disable_steps(iam, name)
    run_steps(iam, steps, what=f"users disable {name}",
         finish=f"fix the cause, then re-run `awsroles users disable {name}`: it does what is left")
    return steps


def _disabled_keys(iam: Any, name: str) -> list[str]:
    tags = iam.list_user_tags(UserName=name).get("Tags", [])
    value = next((t["Value"] for t in tags if t["Key"] == DISABLED_KEYS_TAG), "")
    return value.split()


def enable_steps(iam: Any, name: str) -> list[Step]:
    """What ``users disable`` did, undone: the keys it deactivated made active again (only those,
    and only those that still exist and are inactive), then its record removed. A key deactivated
    otherwise (by hand, or a rotation's old key) stays as it is."""
    require_in_aws(iam, name)
    recorded = _disabled_keys(iam, name)
    existing = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName=name).get("AccessKeyMetadata", [])}
    steps = [Step(f"activate access key {key}", "update_access_key",
                  {"UserName": name, "AccessKeyId": key, "Status": "Active"})
             for key in recorded if existing.get(key) == "Inactive"]
    if recorded:
        steps.append(Step("remove the record of disabled keys", "untag_user",
                          {"UserName": name, "TagKeys": [DISABLED_KEYS_TAG]}))
    return steps


def enable(org: Org, iam: Any, name: str, *,
           password_factory: Callable[[], str] = generate_password) -> tuple[list[Step], str | None]:
    """Undo ``users disable``: the keys it deactivated active again and, where the org file gives
    ``name`` the console, a new temporary console password (returned, to be shown once; changed at
    first sign-in). The old password is gone for good: IAM does not keep deleted ones."""
    steps = enable_steps(iam, name)
    run_steps(iam, steps, what=f"users enable {name}",
         finish=f"fix the cause, then re-run `awsroles users enable {name}`: it does what is left")
    entry = next((u for u in org.users if u.name == name), None)
    password = None
    if entry is not None and entry.console and not has_login_profile(iam, name):
        password = password_factory()
        try:
            iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=True)
        except Exception as exc:
            if _code(exc) != "EntityAlreadyExists":  # set meanwhile: never show a password that is not theirs
                raise PartlyDone(f"users enable {name}", f"CreateLoginProfile failed: {_code(exc)}",
                                 done=[s.description for s in steps],
                                 not_done=[f"the console password ({name} cannot sign in to the console yet)"],
                                 finish=f"re-run `awsroles users enable {name}`", cause=exc) from exc
            password = None
    return steps, password
