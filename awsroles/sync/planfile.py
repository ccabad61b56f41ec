"""Saved plans, as terraform has them: ``plan --out FILE`` then ``apply FILE`` applies exactly that plan.

A saved plan holds the plan (with every IAM call), the SHA-256 of the org file it was made from and
a fingerprint of everything that was read from AWS. ``apply FILE`` refuses, changing nothing, when
the org file's bytes differ or when AWS, read again, no longer hashes to the fingerprint: the plan
was reviewed against a world that has since moved on, so it must be made again.

The file holds no secret (policies, names, tags), and is written 0600 like every file awsroles
writes for a person.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from awsroles import __version__
from awsroles.errors import AwsrolesError, UsageError
from awsroles.org.model import Org
from awsroles.sync.plan import Plan
from awsroles.sync.state import LiveAccount

FORMAT = "awsroles-plan"
FORMAT_VERSION = 1


class StalePlanError(AwsrolesError):
    """The saved plan no longer describes the org file or AWS: nothing was changed."""


def live_fingerprint(live: Mapping[str, LiveAccount]) -> str:
    """SHA-256 over everything read from AWS (names, paths, documents, tags, memberships)."""
    data = {name: live[name].fingerprint_data() for name in sorted(live)}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=list)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: Path, org: Org | None = None) -> str:
    """SHA-256 of the org file's bytes and, given the org read from it, of every policy file it uses."""
    digest = hashlib.sha256(path.read_bytes())
    for role in org.roles if org is not None else ():
        for policy in role.policies:
            digest.update(f"\0{role.name}\0{policy.source}\0{policy.document}".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class SavedPlan:
    plan: Plan
    org_file: str
    org_sha256: str
    live_sha256: str
    created: str
    awsroles_version: str

    def as_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "awsroles_version": self.awsroles_version,
                "created": self.created, "org_file": self.org_file, "org_sha256": self.org_sha256,
                "live_sha256": self.live_sha256, "plan": self.plan.as_dict()}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n"


def make_saved(plan: Plan, org_path: Path, live: Mapping[str, LiveAccount], *, org: Org | None = None,
               now: datetime | None = None) -> SavedPlan:
    when = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    return SavedPlan(plan, str(org_path), file_digest(org_path, org), live_fingerprint(live), when, __version__)


def load_saved(path: Path) -> SavedPlan:
    """Read a saved plan; anything that is not one is a one-line usage error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such plan file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the plan file: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not a saved plan (invalid JSON: {exc.msg})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UsageError(f"{path}: not a saved plan (make one with `awsroles plan --out {path}`)")
    if data.get("format_version") != FORMAT_VERSION:
        raise UsageError(f"{path}: saved plan format {data.get('format_version')!r}; this awsroles reads "
                         f"format {FORMAT_VERSION}: make the plan again")
    try:
        plan = Plan.from_dict(data["plan"])
        return SavedPlan(plan, str(data["org_file"]), str(data["org_sha256"]), str(data["live_sha256"]),
                         str(data.get("created", "")), str(data.get("awsroles_version", "")))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(f"{path}: not a valid saved plan ({type(exc).__name__}: {exc})") from None


def check_fresh(saved: SavedPlan, org_path: Path, live: Mapping[str, LiveAccount], *,
                org: Org | None = None) -> None:
    """Refuse a plan whose org file (or its policy files) or live state changed since it was made."""
    if file_digest(org_path, org) != saved.org_sha256:
        raise StalePlanError(f"the saved plan is stale: the org file {org_path} or its policy files changed since "
                             "the plan was made "
                             f"({saved.created}); nothing was changed. Run `awsroles plan --out FILE` again")
    if live_fingerprint(live) != saved.live_sha256:
        raise StalePlanError(f"the saved plan is stale: AWS changed since the plan was made ({saved.created}); "
                             "nothing was changed. Run `awsroles plan --out FILE` again and review it")


def _comparable(plan: Plan) -> dict[str, Any]:
    data = plan.as_dict()
    data.pop("api_calls")
    return dict(json.loads(json.dumps(data)))  # tuples and lists alike, as in the file


def check_untampered(saved: SavedPlan, replanned: Plan) -> None:
    """The planner is pure: the same org file and the same live state give the same plan. A saved
    plan that differs from the one made again from them was edited (or made by another version)."""
    if _comparable(saved.plan) != _comparable(replanned):
        raise StalePlanError("the saved plan does not match the plan its org file and AWS give: it was edited, "
                             f"or made by another awsroles version ({saved.awsroles_version or 'unknown'}); nothing "
                             "was changed. Run `awsroles plan --out FILE` again")
