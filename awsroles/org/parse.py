"""Parse and validate the org file into an :class:`awsroles.org.model.Org`.

Every mistake is reported as a :class:`~awsroles.errors.Problem` (``FILE:LINE: message``), all
of them in one pass. Nothing in here raises on bad input except :func:`load_org`, which raises
:class:`~awsroles.errors.OrgFileError` carrying every problem.

These are the org's own rules; the sizes of the IAM documents generated from the org are checked
on the IAM side (``iam/checks.py``), whose ``parse_org``/``check_org``/``load_org`` pass them as
``checks``: commands use those.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from awsroles.errors import OrgFileError, Problem
from awsroles.org.billing import check_account_tags, read_contacts, read_tags
from awsroles.org.breakglass import read_break_glass
from awsroles.org.budgets import read_budgets, read_defaults
from awsroles.org.builder import Builder, did_you_mean
from awsroles.org.checks import OrgCheck, Sections, check_references
from awsroles.org.entries import SCP_ACCOUNT, SCP_OU, SCP_ROOT, Account, Contact, ScpTarget
from awsroles.org.iam_sections import read_roles, read_teams, read_users
from awsroles.org.identity import read_user_boundary
from awsroles.org.ini import IniSection, read_ini
from awsroles.org.keys import SECTION_KINDS
from awsroles.org.marks import ENVIRONMENT_TAG
from awsroles.org.model import IDENTITY_IAM_USERS, Org
from awsroles.org.organizations import parse_ou_path
from awsroles.org.requests import EXPIRY_DEFAULT, EXPIRY_MAX, EXPIRY_MIN, read_approvers, read_requests
from awsroles.org.scps import check_shared_files, read_target
from awsroles.org.sections import OrgSettings, partition, read_accounts, read_settings
from awsroles.org.temporary import read_temporary


def _split_sections(b: Builder, sections: list[IniSection]) -> dict[str, list[tuple[str, IniSection]]]:
    by_kind: dict[str, list[tuple[str, IniSection]]] = {k: [] for k in SECTION_KINDS}
    seen: dict[tuple[str, str], int] = {}
    for section in sections:
        kind, _, name = section.name.strip().partition(" ")
        name = name.strip()
        if kind not in SECTION_KINDS:
            candidates = [f"{k} {name}".strip() for k in SECTION_KINDS]
            hint = did_you_mean(section.name.strip(), candidates) or did_you_mean(kind, SECTION_KINDS)
            b.error(section.line, f"unknown section [{section.name}]{hint}; expected one of [org], [account NAME], "
                    "[ou PATH], [role NAME], [team NAME], [user NAME], [temporary ID], [request ID], [break-glass ENV]")
            continue
        if kind == "org" and name:
            b.error(section.line, f"[org] takes no name: [{section.name}]")
            continue
        if kind != "org" and not name:
            b.error(section.line, f"[{kind}] needs a name: [{kind} NAME]")
            continue
        if (kind, name) in seen:  # e.g. [role  admin] and [role admin]
            shown = f"{kind} {name}".strip()
            b.error(section.line, f"duplicate section [{shown}] (first at line {seen[kind, name]})")
            continue
        seen[kind, name] = section.line
        by_kind[kind].append((name, section))
    return by_kind


def _read_ous(b: Builder, found: list[tuple[str, IniSection]], s: OrgSettings) -> tuple[list[str], list[ScpTarget]]:
    """[ou PATH] sections: the OUs they declare (apply makes them), and their guardrails and SCP files."""
    paths: list[str] = []
    targets: list[ScpTarget] = []
    for name, section in found:
        b.unknown_keys(section, SECTION_KINDS["ou"])
        parts, why = parse_ou_path(name)
        if why is not None:
            b.error(section.line, f"[ou {name}]: the path {why}")
            continue
        path = "/".join(parts)
        if path in paths:
            b.error(section.line, f"[ou {name}] declares OU {path} again")
            continue
        paths.append(path)
        target = read_target(b, section.keys, SCP_OU, path, s.name, s.policy_dir)
        if target is not None:
            targets.append(target)
    return paths, targets


def _read_scp_targets(b: Builder, by_kind: dict[str, list[tuple[str, IniSection]]], s: OrgSettings,
                      accounts: list[Account], ou_targets: list[ScpTarget]) -> list[ScpTarget]:
    """The root's ([org]), the OUs' and the accounts' guardrails and SCP files, in that order."""
    targets: list[ScpTarget] = []
    if by_kind["org"]:
        root = read_target(b, by_kind["org"][0][1].keys, SCP_ROOT, "", s.name, s.policy_dir)
        targets.extend([root] if root is not None else [])
    targets.extend(ou_targets)
    names = {a.name for a in accounts}
    management = s.management_account or s.billing_account
    lines: dict[str, int] = {"the root": s.line}
    lines.update({f"OU {'/'.join(parse_ou_path(n)[0])}": section.line for n, section in by_kind["ou"]})
    for name, section in by_kind["account"]:
        target = read_target(b, section.keys, SCP_ACCOUNT, name, s.name, s.policy_dir)
        if target is None or name not in names:
            continue
        lines[target.label] = section.line
        if name == management:
            b.warn(section.line, f"account '{name}' is the management account: SCPs never restrict the management "
                   "account (Organizations User Guide, \"Service control policies\"), so its guardrails and SCP "
                   "files change nothing")
        targets.append(target)
    check_shared_files(b, targets, lines)
    return targets


def _check_management(b: Builder, s: OrgSettings, accounts: list[Account], organizations: bool = False) -> None:
    """Accounts are created from the management account, which must therefore exist (have an id)."""
    by_name = {a.name: a for a in accounts}
    name = s.management_account or s.billing_account
    key = "management_account" if s.management_account else "billing_account"
    line = s.keys[key].line if key in s.keys else s.line
    if s.management_account and s.billing_account and s.management_account != s.billing_account:
        b.warn(line, f"management_account '{s.management_account}' is not billing_account '{s.billing_account}': "
               "in AWS Organizations the management account is the payer of the organization")
    management = by_name.get(name)
    pending = [a.name for a in accounts if a.pending]
    if management is not None and management.pending and (pending or any(a.ou for a in accounts) or organizations):
        b.error(line, f"the management account '{name}' ({key}) needs an id: apply creates accounts and OUs "
                "from it, so it must exist already")


def _one_line(problem: Problem) -> Problem:
    """The problem with line breaks (from multi-line values, odd names) escaped: one problem, one line."""
    def escape(text: str) -> str:
        return "".join(repr(c)[1:-1] if c.splitlines() != [c] else c for c in text)

    message, file = escape(problem.message), escape(problem.file)
    if (message, file) == (problem.message, problem.file):
        return problem
    return Problem(file, problem.line, message, problem.severity)


def _read_billing(b: Builder, by_kind: dict[str, list[tuple[str, IniSection]]], accounts: list[Account]
                  ) -> tuple[dict[str, str], tuple[Contact, ...], list[Account]]:
    """[org] and each [account]'s ``tags`` and ``*_contact`` (awsroles.org.billing)."""
    org_keys = by_kind["org"][0][1].keys if by_kind["org"] else {}
    org_tags = read_tags(b, org_keys.get("tags"), environment_set=True)
    org_contacts = read_contacts(b, org_keys)
    sections = dict(by_kind["account"])
    out: list[Account] = []
    for account in accounts:
        section = sections[account.name]
        tags = read_tags(b, section.keys.get("tags"), environment_set=bool(account.environment))
        merged = org_tags | tags | ({ENVIRONMENT_TAG: "-"} if account.environment else {})
        key = section.keys.get("tags")
        if tags or org_tags:
            check_account_tags(b, key.line if key is not None else section.line, merged)
        out.append(replace(account, tags=tuple(tags.items()), contacts=read_contacts(b, section.keys)))
    return org_tags, org_contacts, out


def parse_org(
    text: str, file: str, base_dir: Path | None = None, checks: Sequence[OrgCheck] = ()
) -> tuple[Org | None, list[Problem]]:
    """Parse and validate org-file text. Returns the model (None if there are errors) and every problem.

    ``checks`` run after the org's own whole-model checks, when there is no other error; commands
    pass IAM's ``ORG_CHECKS`` (``iam/checks.py``), or call the functions of that module.
    """
    b = Builder(file, base_dir if base_dir is not None else Path(file).parent)
    document = read_ini(text, file)
    b.problems.extend(document.problems)
    if document.problems and not document.sections:  # no [section] header: nothing else can be read
        return None, sorted({_one_line(p) for p in b.problems}, key=lambda p: (p.line, p.message))
    by_kind = _split_sections(b, document.sections)
    for _, extra in by_kind["org"][1:]:
        b.error(extra.line, "duplicate section [org]")
    s = read_settings(b, by_kind["org"])
    accounts = read_accounts(b, by_kind["account"], s)
    org_tags, org_contacts, accounts = _read_billing(b, by_kind, accounts)
    account_names = [a.name for a in accounts]
    for key in ("ops_account", "billing_account", "management_account", "identity_center_account"):
        value = getattr(s, key)
        if value and value not in account_names:
            line = s.keys[key].line if key in s.keys else s.line
            b.error(line, f"{key}: undefined account '{value}'{did_you_mean(value, account_names)}")
    ous, ou_targets = _read_ous(b, by_kind["ou"], s)
    scp_targets = _read_scp_targets(b, by_kind, s, accounts, ou_targets)
    _check_management(b, s, accounts, bool(ous or scp_targets))
    roles = read_roles(b, by_kind["role"], s)
    ops_id = next((a.id for a in accounts if a.name == s.ops_account), "")
    users = read_users(b, by_kind["user"], s.path, partition=partition(s.region), ops_id=ops_id)
    environments = [a.environment for a in accounts if a.environment]
    teams = read_teams(b, by_kind["team"], [n for n, _ in by_kind["user"]], [n for n, _ in by_kind["role"]],
                   environments, s.path)
    temporary = read_temporary(b, by_kind["temporary"], users, [t.name for t in teams], roles, environments)
    org_keys = by_kind["org"][0][1].keys if by_kind["org"] else {}
    user_boundary = read_user_boundary(b, org_keys.get("user_boundary"), partition(s.region), ops_id, "user_boundary")
    if IDENTITY_IAM_USERS not in s.identity:
        bounded = [f"[user {u.name}]" for u in users if u.boundary]
        if user_boundary:
            bounded.insert(0, "[org] user_boundary")
        if bounded:
            b.warn(s.line, f"{', '.join(bounded)}: a permissions boundary applies to IAM users only; people come "
                   "through IAM Identity Center here, so it has no effect")
    approvers, accounts = read_approvers(b, org_keys.get("approvers"), {n: sec.keys["approvers"] for n, sec in
                                                                        by_kind["account"] if "approvers" in sec.keys},
                                         accounts, users)
    request_expiry = b.duration(org_keys.get("request_expiry"), EXPIRY_DEFAULT, EXPIRY_MIN, EXPIRY_MAX)
    requests = read_requests(b, by_kind["request"], users, roles, environments)
    break_glass = read_break_glass(b, by_kind["break-glass"], s, users, roles, environments,
                                   IDENTITY_IAM_USERS in s.identity)
    budget_defaults = read_defaults(b, by_kind["org"][0][1] if by_kind["org"] else None)
    budgets = read_budgets(b, by_kind["account"], accounts, budget_defaults, s.name)
    if not any(p.is_error for p in b.problems):
        org = Org(
            name=s.name,
            region=s.region,
            ops_account=s.ops_account,
            billing_account=s.billing_account,
            mfa_required=s.mfa_required,
            mfa_max_age=s.mfa_max_age,
            mfa_enrollment=s.mfa_enrollment,
            session_duration=s.session_duration,
            bootstrap_role=s.bootstrap_role,
            path=s.path,
            accounts=tuple(accounts),
            roles=tuple(roles),
            teams=tuple(teams),
            users=tuple(users),
            budgets=tuple(budgets),
            temporary_grants=tuple(temporary),
            requests=tuple(requests),
            approvers=approvers,
            request_expiry=request_expiry,
            break_glass=tuple(break_glass),
            budget_alerts=budget_defaults.alerts,
            budget_notify=budget_defaults.notify,
            management_account=s.management_account,
            ous=tuple(ous),
            scp_targets=tuple(scp_targets),
            tags=tuple(org_tags.items()),
            contacts=org_contacts,
            identity=s.identity,
            identity_center_account=s.identity_center_account,
            identity_center_region=s.identity_center_region,
            identity_center_start_url=s.identity_center_start_url,
            user_boundary=user_boundary,
            source=Path(file),
        )
        sections = Sections(file, {(k, n): sec.line for k, found in by_kind.items() for n, sec in found})
        for check in (check_references, *checks):
            b.problems.extend(check(org, sections))
    problems = sorted({_one_line(p) for p in b.problems}, key=lambda p: (p.file != file, p.file, p.line, p.message))
    if any(p.is_error for p in problems):
        return None, problems
    return org, problems


def check_org(path: Path, checks: Sequence[OrgCheck] = ()) -> tuple[Org | None, list[Problem]]:
    """Read and validate the org file at ``path``; never raises on bad content."""
    shown = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, [Problem(shown, 0, "no such file (use --file or $AWSROLES_FILE)")]
    except IsADirectoryError:
        return None, [Problem(shown, 0, "is a directory, not an org file")]
    except OSError as exc:
        return None, [Problem(shown, 0, f"cannot read: {exc.strerror}")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [Problem(shown, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x})")]
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # universal newlines, as open() reads text
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [Problem(shown, line, "contains a NUL byte: not a text file")]
    return parse_org(text, shown, path.parent, checks)


def load_org(path: Path, checks: Sequence[OrgCheck] = ()) -> Org:
    """The validated org; raises OrgFileError with every problem when it has errors."""
    org, problems = check_org(path, checks)
    if org is None:
        raise OrgFileError(problems)
    return org
