"""Virtual MFA devices for IAM users: enrol (create, show, enable with two codes) and reset.

The seed and the otpauth URI are secrets: they never appear in reprs, logs or errors. Nothing
here prints; the caller shows the QR code and the URI to the person enrolling.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from awsroles.errors import AwsrolesError, MfaError, PartlyDone, UsageError
from awsroles.errors import aws_error_code as _code
from awsroles.org.marks import MFA_ENROLLMENT_SELF
from awsroles.org.model import Org

log = logging.getLogger(__name__)

DEFAULT_ISSUER = "AWS"
QR_SUFFIXES = (".png", ".svg")


@dataclass(frozen=True)
class Enrolment:
    """An enabled virtual MFA device; ``uri`` and ``seed`` are secret."""

    serial: str
    uri: str = field(repr=False)
    seed: str = field(repr=False)


def otpauth_uri(seed: str, user: str, issuer: str = DEFAULT_ISSUER) -> str:
    """``otpauth://totp/ISSUER:USER?secret=SEED&issuer=ISSUER`` (Key URI Format)."""
    label = f"{quote(issuer, safe='')}:{quote(user, safe='')}"
    return f"otpauth://totp/{label}?secret={quote(seed, safe='')}&issuer={quote(issuer, safe='')}"


def qr_text(uri: str) -> str:
    """The URI as a QR code drawn with Unicode half blocks, for a terminal."""
    import segno

    buffer = io.StringIO()
    segno.make(uri, error="m", micro=False).terminal(out=buffer, compact=True)
    return buffer.getvalue()


def write_qr(uri: str, path: Path) -> Path:
    """Write the URI's QR code to ``path``: PNG or SVG, chosen by the suffix; private (0600)."""
    import segno

    suffix = path.suffix.lower()
    if suffix not in QR_SUFFIXES:
        raise UsageError(f"{path}: the QR code file must end in .png or .svg")
    qr = segno.make(uri, error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind=suffix[1:], scale=8)
    from awsroles.fsutil import atomic_write

    atomic_write(path, buffer.getvalue(), mode=0o600)
    return path


def check_self_enrolment(org: Org, user: str) -> None:
    """Refuse ``users mfa enroll --self`` unless the org lets people enrol their own device.

    With ``mfa_enrollment = admin`` the self-service policy allows no one to create or enable
    their own device (with or without MFA), so AWS would refuse every call: say why first.
    """
    if not org.self_mfa_enrollment:
        raise UsageError(f"{org.name} enrols MFA devices by admins only (mfa_enrollment = {org.mfa_enrollment} in "
                         f"the org file): ask an admin to run `awsroles users mfa enroll {user}`; to let people enrol "
                         f"their own device, an admin sets mfa_enrollment = {MFA_ENROLLMENT_SELF} and applies")


def _check_user(iam: Any, user: str) -> None:
    try:
        iam.get_user(UserName=user)
    except Exception as exc:
        if _code(exc) == "NoSuchEntity":
            raise UsageError(f"no IAM user '{user}' in the ops account") from None
        raise


def enroll(iam: Any, user: str, *, codes: Callable[[str], tuple[str, str]], device_name: str | None = None,
           issuer: str = DEFAULT_ISSUER) -> Enrolment:
    """Create a virtual MFA device for ``user``, ask ``codes(uri)`` for two consecutive codes from
    the person's authenticator and enable the device with them. On any failure the device, not
    enabled, is deleted again."""
    _check_user(iam, user)
    existing = iam.list_mfa_devices(UserName=user).get("MFADevices", [])
    if existing:
        raise UsageError(f"{user} already has an MFA device ({existing[0]['SerialNumber']}): "
                         f"`awsroles users mfa reset {user}` first")
    name = device_name or user
    try:
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, Path="/")["VirtualMFADevice"]
    except Exception as exc:
        if _code(exc) == "EntityAlreadyExists":
            raise UsageError(f"a virtual MFA device named '{name}' already exists (a half-done enrolment?): "
                             f"`awsroles users mfa reset {user}` removes it") from None
        raise
    serial = str(device["SerialNumber"])
    raw = device["Base32StringSeed"]
    seed = raw.decode("ascii") if isinstance(raw, bytes) else str(raw)
    uri = otpauth_uri(seed, user, issuer)
    try:
        code1, code2 = codes(uri)
        try:
            iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1=code1.strip(),
                                  AuthenticationCode2=code2.strip())
        except Exception as exc:
            if _code(exc) in ("InvalidAuthenticationCode", "ValidationError"):
                raise MfaError(f"AWS refused the two codes for {serial}: type two consecutive 6-digit codes "
                               "from the authenticator, and try again") from None
            raise
    except BaseException as exc:
        try:
            iam.delete_virtual_mfa_device(SerialNumber=serial)
        except Exception as cleanup:  # the original error matters more, but the device stays: say so
            log.warning("could not delete the unenabled MFA device %s: %s", serial, _code(cleanup) or "error")
            if isinstance(exc, Exception):
                from awsroles.errors import describe_aws_error

                cause = str(exc) if isinstance(exc, AwsrolesError) else describe_aws_error(exc)
                raise PartlyDone(f"users mfa enroll {user}", f"{cause}; deleting the device again failed: "
                                 f"{describe_aws_error(cleanup)}",
                                 done=[f"created the virtual MFA device {serial} (not enabled)"],
                                 not_done=[f"enable {serial} for {user}"],
                                 finish=f"`awsroles users mfa reset {user}` removes the device, then enrol again",
                                 cause=exc) from exc
        raise
    return Enrolment(serial, uri, seed)


def reset(iam: Any, user: str) -> list[str]:
    """Deactivate and remove every MFA device of ``user`` (virtual ones are deleted, and so is a
    leftover unassigned virtual device named after them); the serials removed."""
    _check_user(iam, user)
    removed: list[str] = []
    for device in iam.list_mfa_devices(UserName=user).get("MFADevices", []):
        serial = str(device["SerialNumber"])
        step = f"deactivate {serial}"
        try:
            iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
            if ":mfa/" in serial:
                step = f"delete {serial} (deactivated)"
                try:
                    iam.delete_virtual_mfa_device(SerialNumber=serial)
                except Exception as exc:
                    if _code(exc) != "NoSuchEntity":
                        raise
        except Exception as exc:
            from awsroles.errors import describe_aws_error

            raise PartlyDone(f"users mfa reset {user}", f"{step} failed: {describe_aws_error(exc)}",
                             done=[f"removed {s}" for s in removed],
                             finish=f"fix the cause, then re-run `awsroles users mfa reset {user}`: it removes "
                                    "what is left", cause=exc) from exc
        removed.append(serial)
    try:
        pages = iam.get_paginator("list_virtual_mfa_devices").paginate(AssignmentStatus="Unassigned")
        leftovers = [str(d["SerialNumber"]) for page in pages for d in page.get("VirtualMFADevices", [])
                     if str(d["SerialNumber"]).endswith(f":mfa/{user}")]
    except AwsrolesError:
        raise
    except Exception:  # listing is a nicety
        leftovers = []
    for serial in leftovers:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
        removed.append(serial)
    return removed
