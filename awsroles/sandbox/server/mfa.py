"""MFA codes, checked as AWS checks them.

moto accepts any ``SerialNumber``/``TokenCode``. Here ``GetSessionToken`` and ``AssumeRole``
check the code against the seed moto keeps for the caller's virtual MFA device (the current
30-second code or the one before or after, at the sandbox's clock) and take each code once,
answering ``AccessDenied`` with AWS's own messages otherwise (:func:`check_mfa`).
"""

from __future__ import annotations

import hmac
import re
import threading
from typing import Any

from awsroles.sandbox.server import clock
from awsroles.sandbox.server.protocol import auth_error

TOTP_STEP = 30  # seconds per code; AWS accepts the current code and the ones just before and after
MFA_INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
MFA_UNKNOWN_DEVICE = ("MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
                      "serial number is valid and associated with this user.")  # AWS's words, two spaces too
_TOKEN_CODE = re.compile(r"[0-9]{6}")


class MfaCodes:
    """The codes each MFA device has had accepted: AWS takes a code once, so a second request
    with it (while it is still valid) fails like a wrong one. Kept per serial as TOTP windows
    (``int(unix_time // 30)``), forgotten once they can no longer be valid."""

    def __init__(self) -> None:
        self._used: dict[str, set[int]] = {}
        self._lock = threading.Lock()

    def _forget_old(self, window: int) -> None:
        for used in self._used.values():
            used.difference_update({w for w in used if w < window - 1})

    def used(self, serial: str, now: float) -> list[int]:
        """The windows of ``serial``'s codes that were accepted and would still be valid."""
        with self._lock:
            self._forget_old(int(now // TOTP_STEP))
            return sorted(self._used.get(serial, ()))

    def accept(self, serial: str, seed: str, code: str, now: float) -> bool:
        """True (and remembered) when ``code`` is ``seed``'s for the window of ``now`` or one
        next to it, and was not accepted before."""
        import pyotp

        totp = pyotp.TOTP(seed, interval=TOTP_STEP)
        window = int(now // TOTP_STEP)
        with self._lock:
            self._forget_old(window)
            used = self._used.setdefault(serial, set())
            for candidate in (window, window - 1, window + 1):
                if candidate not in used and hmac.compare_digest(totp.at(candidate * TOTP_STEP), code):
                    used.add(candidate)
                    return True
        return False

    def reset(self) -> None:
        with self._lock:
            self._used.clear()


mfa_codes = MfaCodes()


def check_mfa(backend: Any, user: Any, serial: str | None, code: str | None) -> str | None:
    """The MFA device a request authenticates with: ``serial``, once ``code`` is checked against
    its seed; None when the request names neither. Raises what AWS answers otherwise."""
    if not serial and not code:
        return None
    if code is not None and not _TOKEN_CODE.fullmatch(code):
        from moto.sts.exceptions import STSValidationError

        rule = ("must have length less than or equal to 6" if len(code) > 6 else
                "must have length greater than or equal to 6" if len(code) < 6 else
                "must satisfy regular expression pattern: [\\d]*")
        raise STSValidationError(f"1 validation error detected: Value '{code}' at 'tokenCode' failed to satisfy "
                                 f"constraint: Member {rule}")
    device = backend.virtual_mfa_devices.get(serial) if serial else None
    if user is None or device is None or serial not in user.mfa_devices:
        raise auth_error()("AccessDenied", MFA_UNKNOWN_DEVICE)  # not the caller's (virtual) device
    if not code or not mfa_codes.accept(str(serial), device.base32_string_seed, code, clock.sandbox_time()):
        raise auth_error()("AccessDenied", MFA_INVALID_CODE)
    return str(serial)
