"""Read what some IAM users sign in with, for the impact report (:mod:`awsroles.importer.impact`).

Per user: ``ListMFADevices``, ``ListAccessKeys`` and ``GetLoginProfile`` (three calls, exact at
the moment of the import; the credential report would be one call but may be four hours old).
Only the users an apply puts in ``awsroles-users``, and those who could assume roles without MFA
(:mod:`awsroles.importer.assume_mfa`), are read: none for an org awsroles made.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from awsroles.importer.impact import Impact, UserCredentials, impact, people_to_read

if TYPE_CHECKING:
    from awsroles.aws import Aws
    from awsroles.importer.imported import Imported


def assess(aws: Aws, imported: Imported, *, max_workers: int = 8) -> tuple[Impact, ...]:
    """What the first apply of an import changes for people: the credentials of the users it puts in
    ``awsroles-users`` (or who could assume roles without MFA) read from the ops account (your
    credentials' account), then
    :func:`awsroles.importer.impact.impact`."""
    from botocore.exceptions import BotoCoreError, ClientError

    from awsroles.errors import from_aws

    joining = people_to_read(imported.org, imported.plan, imported.live)
    try:
        credentials = read_credentials(aws.client("iam"), joining, max_workers=max_workers) if joining else {}
    except (ClientError, BotoCoreError) as exc:
        error = from_aws(exc)
        if error is exc:  # it says what it is (AwsGaveUp names the call)
            raise
        raise from_aws(exc, "cannot read the MFA devices, access keys and console passwords of "
                            f"{', '.join(joining)} in the ops account") from exc
    return impact(imported.org, imported.plan, imported.live, credentials)


def read_credentials(iam: Any, users: Sequence[str], *, max_workers: int = 8) -> dict[str, UserCredentials]:
    """User name -> its MFA devices, active access keys and whether it has a console password."""
    from botocore.exceptions import ClientError

    from awsroles.errors import aws_error_code

    def read(name: str) -> UserCredentials:
        devices = [d["SerialNumber"] for page in iam.get_paginator("list_mfa_devices").paginate(UserName=name)
                   for d in page["MFADevices"]]
        keys = [k["AccessKeyId"] for page in iam.get_paginator("list_access_keys").paginate(UserName=name)
                for k in page["AccessKeyMetadata"] if k.get("Status") == "Active"]
        try:
            iam.get_login_profile(UserName=name)
            console = True
        except ClientError as exc:
            if aws_error_code(exc) != "NoSuchEntity":
                raise
            console = False
        return UserCredentials(tuple(sorted(devices)), tuple(sorted(keys)), console)

    if not users:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(users)))) as pool:
        return dict(zip(users, pool.map(read, users), strict=True))
