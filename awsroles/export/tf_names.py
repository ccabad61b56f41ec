"""The Terraform export's names: one provider alias and file per account, one local name per
resource, made unique deterministically (:func:`resource_names`; :mod:`awsroles.export.terraform`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from awsroles.budgets.desired import BudgetSpec
from awsroles.export import hcl
from awsroles.iam.desired import AccountSpec

VERSIONS_FILE = "versions.tf"
PROVIDERS_FILE = "providers.tf"
_RESERVED_FILES = frozenset({VERSIONS_FILE.removesuffix(".tf"), PROVIDERS_FILE.removesuffix(".tf")})

Key = tuple[str, ...]


def unique(candidates: Mapping[Key, str], natural: Mapping[Key, str]) -> dict[Key, str]:
    """Names made unique, deterministically.

    Each distinct candidate goes to one of the keys proposing it: first to a key whose candidate
    is its ``natural`` name unchanged, then to the key that sorts first. The other keys get
    ``<candidate>_2``, ``_3``... skipping anything proposed or given already.
    """
    taken = set(candidates.values())
    given: set[str] = set()
    out: dict[Key, str] = {}
    for key in sorted(candidates, key=lambda k: (candidates[k] != natural[k], k)):
        name = candidates[key]
        if name in given:
            number = 2
            while f"{name}_{number}" in taken:
                number += 1
            name = f"{name}_{number}"
            taken.add(name)
        given.add(name)
        out[key] = name
    return out


@dataclass
class Names:
    """Provider aliases, file names and resource local names for the whole configuration."""

    aliases: dict[str, str]  # account name -> provider alias
    files: dict[str, str]  # account name -> file name
    local: dict[str, dict[Key, str]] = field(default_factory=dict)  # resource type -> key -> name

    def __call__(self, resource_type: str, *key: str) -> str:
        return self.local[resource_type][key]


def arn_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def resource_names(specs: Iterable[AccountSpec], budgets: Sequence[BudgetSpec] = (), billing: str = "",
           extra: Sequence[str] = ()) -> Names:
    """``extra``: accounts that hold no IAM resource but need a provider and a file (the billing account's
    budgets, the management account's Organizations resources)."""
    specs = tuple(specs)
    accounts = [s.account.name for s in specs]
    if budgets and billing not in accounts:
        accounts.append(billing)
    accounts.extend(a for a in extra if a not in accounts)
    by_account: dict[Key, str] = {(a,): a for a in accounts}
    aliases = unique({(a,): hcl.identifier(a) for a in accounts}, by_account)
    files = unique({(a,): f"{a}-account" if a in _RESERVED_FILES else a for a in accounts}, by_account)
    proposed: dict[str, dict[Key, str]] = {}
    natural: dict[str, dict[Key, str]] = {}

    def propose(resource_type: str, key: Key, *parts: str) -> None:
        text = "_".join(parts)
        natural.setdefault(resource_type, {})[key] = text
        proposed.setdefault(resource_type, {})[key] = hcl.identifier(text)

    for spec in specs:
        a = spec.account.name
        for role in spec.roles:
            propose("aws_iam_role", (a, role.name), a, role.name)
            for arn in role.managed:
                propose("aws_iam_role_policy_attachment", (a, role.name, arn), a, role.name, arn_name(arn))
            for inline in role.inline:
                propose("aws_iam_role_policy", (a, role.name, inline.name), a, role.name, inline.name)
        for policy in spec.policies:
            propose("aws_iam_policy", (a, policy.name), a, policy.name)
        for group in spec.groups:
            propose("aws_iam_group", (a, group.name), a, group.name)
            for inline in group.inline:
                propose("aws_iam_group_policy", (a, group.name, inline.name), a, group.name, inline.name)
            for arn in group.managed:
                propose("aws_iam_group_policy_attachment", (a, group.name, arn), a, group.name, arn_name(arn))
        for user in spec.users:
            propose("aws_iam_user", (a, user.name), a, user.name)
            propose("aws_iam_user_group_membership", (a, user.name), a, user.name)
            for inline in user.inline:
                propose("aws_iam_user_policy", (a, user.name, inline.name), a, user.name, inline.name)
    for budget in budgets:
        propose("aws_budgets_budget", (billing, budget.name), billing, budget.name)
    names = Names({k[0]: v for k, v in aliases.items()}, {k[0]: f"{v}.tf" for k, v in files.items()})
    names.local = {t: unique(p, natural[t]) for t, p in sorted(proposed.items())}
    return names
