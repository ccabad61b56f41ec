"""Writing the org file: the model -> INI text. The org file is read in :mod:`awsroles.org.parse`,
edited in place (comments kept) in :mod:`awsroles.org.edit`, and written whole here (``awsroles
import``)."""

from __future__ import annotations

from collections.abc import Sequence

from awsroles.org.durations import format_duration
from awsroles.org.entries import SCP_ACCOUNT, SCP_OU, SCP_ROOT, Contact
from awsroles.org.model import IDENTITY_IAM_USERS, Org

LIST_WIDTH = 100  # a list longer than this goes on continuation lines, one item per line


def _list(key: str, items: Sequence[str]) -> str:
    line = f"{key} = {', '.join(items)}"
    if len(line) <= LIST_WIDTH or len(items) < 2:
        return line
    return f"{key} =\n" + "\n".join(f"    {item}" for item in items)


def _scps(org: Org, kind: str, name: str) -> list[str]:
    """The ``guardrails`` and ``scp_files`` lines of one target (none when it has no SCPs)."""
    target = next((t for t in org.scp_targets if (t.kind, t.name) == (kind, name)), None)
    if target is None:
        return []
    out = [_list("guardrails", [str(g) for g in target.guardrails])] if target.guardrails else []
    if target.scp_files:
        out.append(_list("scp_files", [f.source for f in target.scp_files]))
    return out


def _billing(tags: Sequence[tuple[str, str]], contacts: Sequence[Contact]) -> list[str]:
    """The ``tags`` and ``*_contact`` lines of [org] or an [account] (awsroles.org.billing's syntax)."""
    out = [_list("tags", [f"{k}={v}" for k, v in tags])] if tags else []
    out += [f"{c.type.lower()}_contact = {c.name} | {c.title} | {c.email} | {c.phone}" for c in contacts]
    return out


def _identity(org: Org) -> list[str]:
    """``identity`` and where Identity Center lives: nothing for the default (IAM users only)."""
    out = [_list("identity", org.identity)] if org.identity != (IDENTITY_IAM_USERS,) else []
    if org.identity_center_account:
        out.append(f"identity_center_account = {org.identity_center_account}")
    if org.identity_center_region:
        out.append(f"identity_center_region = {org.identity_center_region}")
    return out


def render_org_file(org: Org, policy_dir: str, header: Sequence[str] = (), account_email: str = "") -> str:
    """Pure: the model -> org-file text (sections: org, accounts, OUs, roles, teams, users).
    ``account_email``: the ``[org]`` pattern; an account whose address it gives is written without one."""
    out: list[str] = [f"; {line}".rstrip() for line in header]
    if out:
        out.append("")
    out += [
        "[org]",
        f"name = {org.name}",
        f"region = {org.region}",
        f"ops_account = {org.ops_account}",
        f"billing_account = {org.billing_account}",
        *([f"management_account = {org.management_account}"] if org.management_account else []),
        f"mfa = {'required' if org.mfa_required else 'optional'}",
        f"mfa_max_age = {format_duration(org.mfa_max_age)}",
        f"mfa_enrollment = {org.mfa_enrollment}",
        f"session_duration = {format_duration(org.session_duration)}",
        f"bootstrap_role = {org.bootstrap_role}",
        f"path = {org.path}",
        f"policy_dir = {policy_dir}",
        *([f"account_email = {account_email}"] if account_email else []),
        *([f"user_boundary = {org.user_boundary}"] if org.user_boundary else []),
        *_identity(org),
        *_scps(org, SCP_ROOT, ""),
        *_billing(org.tags, org.contacts),
    ]
    if org.budget_alerts is not None:
        out.append(_list("budget_alerts", [str(a) for a in org.budget_alerts] or ["none"]))
    if org.budget_notify:
        out.append(_list("budget_notify", org.budget_notify))
    for account in org.accounts:
        out += ["", f"[account {account.name}]"]
        if account.id:
            out.append(f"id = {account.id}")
        if account.email and account.email != account_email.replace("{name}", account.name):
            out.append(f"email = {account.email}")
        if account.ou:
            out.append(f"ou = {account.ou}")
        if account.environment:
            out.append(f"environment = {account.environment}")
        if account.description:
            out.append(f"description = {account.description}")
        out += _billing(account.tags, account.contacts)
        budget = org.budget(account.environment) if account.environment else None
        if budget is not None:
            out.append(f"budget = {budget.amount} {budget.currency}")
            if budget.alerts != (org.budget_alerts or ()):
                out.append(_list("budget_alerts", [str(a) for a in budget.alerts] or ["none"]))
            if budget.notify != org.budget_notify:
                out.append(_list("budget_notify", budget.notify))
        out += _scps(org, SCP_ACCOUNT, account.name)
    for path in org.ous:
        out += ["", f"[ou {path}]", *_scps(org, SCP_OU, path)]
    for role in org.roles:
        out += ["", f"[role {role.name}]"]
        if role.path:
            out.append(f"path = {role.path}")
        if role.replaces:
            out.append(f"{'retires' if role.retire else 'replaces'} = {role.replaces}")
        if role.managed:
            out.append(_list("managed", role.managed))
        if role.policies:
            out.append(_list("policies", [p.source for p in role.policies]))
        if role.customer_managed:
            out.append(_list("customer_managed", role.customer_managed))
        if role.boundary:
            out.append(f"boundary = {role.boundary}")
        out.append(f"max_session = {format_duration(role.max_session)}")
        if role.description:
            out.append(f"description = {role.description}")
    for team in org.teams:
        out += ["", f"[team {team.name}]"]
        if team.group:
            out.append(f"group = {team.group}")
        if team.move_from:
            out.append(f"move_from = {team.move_from}")
        if team.description:
            out.append(f"description = {team.description}")
        if team.members:
            out.append(_list("members", team.members))
        by_env: dict[str, list[str]] = {}
        for grant in team.grants:
            by_env.setdefault(grant.environment, []).append(grant.role)
        out += [_list(environment, roles) for environment, roles in by_env.items()]
    for user in org.users:
        out += ["", f"[user {user.name}]"]
        if user.path:
            out.append(f"path = {user.path}")
        if user.move_from:
            out.append(f"move_from = {user.move_from}")
        if user.email:
            out.append(f"email = {user.email}")
        if user.tags:
            out.append(_list("tags", [f"{k}={v}" for k, v in user.tags]))
        if user.console:
            out.append("console = yes")
        if user.boundary:
            out.append(f"boundary = {user.boundary}")
        out += [f"{key} = {value}" for key, value in (("display_name", user.display_name),
                                                      ("given_name", user.given_name),
                                                      ("family_name", user.family_name)) if value]
    return "\n".join(out) + "\n"
