"""What an import finds in IAM beyond what it writes (pure): where a team's grants live, the
conditions on them the org file cannot say, and a person's own policies and a role's tags that
the org file does not hold. Each finding is one warning line that names the thing, says
why it is not imported, and what ``apply`` will then do to it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from awsroles.iam.desired import DIGEST_TAG, GROUP_MARKER_POLICY, STATE_TAGS
from awsroles.importer.documents import allows_assume_role, statements_of
from awsroles.org.marks import MANAGED_BY_TAG, TEAM_POLICY_NAME, USER_POLICY_NAMES
from awsroles.sync.state import Document, LiveGroup, LiveRole, LiveUser

# Condition keys the org file says (mfa, mfa_max_age) or awsroles writes itself (SourceIdentity).
OWN_CONDITION_KEYS = frozenset({"aws:multifactorauthpresent", "aws:multifactorauthage", "sts:sourceidentity"})


def group_policies(group: LiveGroup, documents: Mapping[str, Document]) -> list[tuple[str, Document | None]]:
    """Every policy of a team group that may hold grants, ``(label, document)``: its inline
    policies (``policy NAME``, awsroles' own first) and its attached managed policies (document None when it was
    not read: an AWS managed policy, which names no role of this org)."""
    inline = sorted((name for name in group.inline if name != GROUP_MARKER_POLICY),
                    key=lambda name: (name != TEAM_POLICY_NAME, name))
    found: list[tuple[str, Document | None]] = [(f"policy {name}", group.inline[name]) for name in inline]
    found += [(f"managed policy {arn}", documents.get(arn)) for arn in sorted(group.managed)]
    return found


def moved_grants(team: str, label: str, count: int) -> str:
    """A warning: grants found in a policy other than awsroles' own; apply moves them."""
    kind = label if label.startswith("managed") else f"inline {label}"
    return (f"team '{team}': {count} grant(s) found in its {kind}: imported; apply writes them into "
            f"{TEAM_POLICY_NAME} and {'detaches' if label.startswith('managed') else 'deletes'} that policy "
            "(plan shows both)")


def extra_conditions(statement: Mapping[str, Any]) -> list[str]:
    """The conditions of a statement beyond MFA and SourceIdentity, as ``Operator key=value``."""
    condition = statement.get("Condition")
    found: list[str] = []
    for operator, pairs in sorted(condition.items()) if isinstance(condition, dict) else []:
        for key, value in sorted(pairs.items()) if isinstance(pairs, dict) else []:
            if str(key).lower() not in OWN_CONDITION_KEYS:
                shown = ",".join(map(str, value)) if isinstance(value, list) else str(value)
                found.append(f"{operator} {key}={shown}")
    return found


def dropped_conditions(where: str, statement: Mapping[str, Any]) -> str | None:
    """A warning for an ``sts:AssumeRole`` statement with conditions the org file cannot say."""
    extra = extra_conditions(statement) if allows_assume_role(statement) else []
    if not extra:
        return None
    return (f"{where}: statement {statement.get('Sid') or '(no Sid)'} allows sts:AssumeRole only with "
            f"{'; '.join(extra)}: the org file cannot say that condition, so its grants are imported without it "
            "and apply writes them without it (they then allow more); to keep a limit like it, express it in "
            "the role's own policies")


def grants_document(document: Document) -> bool:
    """Whether a policy allows ``sts:AssumeRole`` at all."""
    return any(allows_assume_role(s) for s in statements_of(document))


def user_findings(user: LiveUser, describe: Callable[[str], str]) -> list[str]:
    """A person's own attached and inline policies (awsroles gives people none but its temporary and
    break-glass grants'): each named, with what apply does to it. (Their permissions boundary is
    imported: ``[user] boundary``.)"""
    found: list[str] = []
    why = "the org file gives a person no policies of their own (access comes from teams)"
    found += [f"user {user.name}: attached policy {arn} ({describe(arn)}) is not imported ({why}); apply detaches "
              "it: grant what it allows through a team first" for arn in sorted(user.managed)]
    found += [f"user {user.name}: inline policy {name} ({describe_document(user.inline[name])}) is not imported "
              f"({why}); apply deletes it: grant what it allows through a team first"
              for name in sorted(user.inline) if name not in USER_POLICY_NAMES]
    return found


def describe_document(document: Document) -> str:
    from awsroles.sync.ops import grants_summary

    return grants_summary(document)


def role_tag_findings(role: LiveRole, environment: str) -> list[str]:
    """Tags on a role: awsroles' own are kept as state, others are not imported (the org file gives
    roles none) and apply removes them."""
    own = {MANAGED_BY_TAG[0], DIGEST_TAG, *STATE_TAGS}
    return [f"role {role.name} in {environment}: tag {key}={role.tags[key]!r} is not imported (the org file "
            "gives roles no tags); apply removes it" for key in sorted(role.tags)
            if key not in own and not key.lower().startswith("aws:")]
