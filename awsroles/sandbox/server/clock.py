"""The sandbox's clock: session expiry, MFA age, MFA codes and the bill's current month follow it.

It runs ahead of the wall clock by what tests asked for (``POST /awsroles-sandbox/clock``,
:class:`awsroles.sandbox.server.routes.SandboxRoutes`). moto itself never expires ``AssumeRole``
credentials, so the clock does not touch those.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime, timedelta, timezone

MAX_ADVANCE = 10 * 366 * 86400  # seconds; ten years at once is plenty


class SandboxClock:
    """How far the sandbox's time runs ahead of the wall clock: tests move it forward (``POST
    /awsroles-sandbox/clock``) to expire sessions, age their MFA and bring new MFA codes."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) \
                or not 0 <= seconds <= MAX_ADVANCE:
            raise ValueError(f"advance must be a number of seconds from 0 to {MAX_ADVANCE}")
        with self._lock:
            self._offset += float(seconds)
            return self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0


sandbox_clock = SandboxClock()


def utcnow() -> datetime:
    """Naive UTC, as moto keeps times, plus the sandbox clock's offset: session expiry and MFA
    age use it (in-process tests may also replace this function; callers look it up here)."""
    return datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(seconds=sandbox_clock.offset)


def sandbox_time() -> float:
    """The sandbox's Unix time (the wall clock plus the offset), which MFA codes are checked at:
    moving the clock forward 30 seconds brings the next code, as waiting would."""
    return time.time() + sandbox_clock.offset
