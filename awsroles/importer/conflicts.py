"""One role name, one definition: an org file defines each role once, for every environment.

The import notes each role it reads as a :class:`RoleSeen` (its environment, the live role, the
inline policies it can write). :func:`role_conflict` says, for one name, how its settings differ
between environments, if they do; any difference is a :class:`RoleConflictError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from awsroles.errors import AwsrolesError, ExitCode
from awsroles.importer.documents import canonical_key
from awsroles.importer.rolepolicies import RolePolicies, role_policies
from awsroles.org.durations import format_duration
from awsroles.sync.state import Document, LiveRole


class RoleConflictError(AwsrolesError):
    """One role name with different settings in different environments: one org file cannot say that."""

    exit_code = ExitCode.USAGE

    def __init__(self, conflicts: Sequence[str]):
        self.conflicts = tuple(conflicts)
        count = len(self.conflicts)
        super().__init__(
            f"{count} role{'s are' if count > 1 else ' is'} defined differently in different environments, "
            "which one org file cannot express (a role is defined once); make them equal in IAM, or rename "
            "one, then import again:\n" + "\n".join(self.conflicts)
        )


@dataclass
class RoleSeen:
    environment: str
    live: LiveRole
    inline: dict[str, Document]
    account_id: str = ""

    @property
    def policies(self) -> RolePolicies:
        """Its managed policies and boundary as the org file says them (its account's own by name)."""
        return role_policies(self.live.managed, self.live.boundary, self.account_id)


def _role_settings_text(seen: RoleSeen) -> dict[str, str]:
    policies = seen.policies
    out = {
        "managed": ", ".join(policies.managed) or "(none)",
        "customer_managed": ", ".join(policies.customer_managed) or "(none)",
        "boundary": policies.boundary or "(none)",
        "max_session": format_duration(seen.live.max_session),
        "description": repr(seen.live.description),
    }
    for name, document in seen.inline.items():
        out[f"inline policy {name}"] = canonical_key(document)
    return out


def role_conflict(name: str, seen: list[RoleSeen]) -> str | None:
    per_env = {s.environment: _role_settings_text(s) for s in seen}
    keys = sorted({k for values in per_env.values() for k in values})
    lines = []
    for key in keys:
        groups: dict[str, list[str]] = {}
        for environment, values in per_env.items():
            groups.setdefault(values.get(key, "(missing)"), []).append(environment)
        if len(groups) < 2:
            continue
        if key.startswith("inline policy"):  # documents are too long to show: number them
            number = iter(range(1, len(groups) + 1))
            variants = [f"{'missing' if v == '(missing)' else f'document {next(number)}'} in {', '.join(envs)}"
                        for v, envs in groups.items()]
            lines.append(f"    {key}: " + "; ".join(variants))
        else:
            lines.append(f"    {key}: " + "; ".join(f"{v} in {', '.join(envs)}" for v, envs in groups.items()))
    if not lines:
        return None
    return f"  role '{name}':\n" + "\n".join(lines)
