"""Reading ``guardrails`` and ``scp_files`` (of ``[org]``, ``[ou PATH]`` and ``[account NAME]``) into
:class:`~awsroles.org.entries.ScpTarget` objects, with Organizations' limits.

From the Organizations User Guide, "Quotas and service limits"
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html), and the API
reference of ``CreatePolicy`` and ``AttachPolicy``:

- an SCP document holds at most 5,120 characters (measured here on compact JSON, which is what
  awsroles sends);
- at most 5 SCPs are attached to a root, an OU or an account, AWS's ``FullAWSAccess`` (attached to
  every one of them when SCPs are enabled) included: so a target has at most 4 of awsroles' (its
  guardrails SCP and its SCP files);
- a policy name is 1 to 128 ASCII characters;
- an SCP names no ``Principal`` (it applies to the principals of the accounts it is attached to).

What the guardrails SCP weighs is checked where the vocabulary's statements are
(:mod:`awsroles.accounts.guardrails`, by ``awsroles validate`` and by the plan).
"""

from __future__ import annotations

import json
from pathlib import Path

from awsroles.org import guardrails
from awsroles.org.builder import Builder
from awsroles.org.entries import PolicyFile, ScpTarget
from awsroles.org.guardrails import Guardrail
from awsroles.org.ini import IniKey
from awsroles.org.jsondoc import compact_size
from awsroles.org.marks import SCP_NAME_MAX, file_scp_name, guardrails_scp_name
from awsroles.org.policyfile import read_policy_file

SCP_MAX_CHARS = 5120
SCPS_PER_TARGET = 5  # FullAWSAccess included
AWS_SCPS = 1  # FullAWSAccess, attached by AWS


def _guardrails(b: Builder, key: IniKey, label: str) -> list[Guardrail]:
    found: list[Guardrail] = []
    for item, line in b.items(key, r"[,\n]"):
        parsed, problems = guardrails.parse(item)
        for problem in problems:
            b.error(line, f"{problem} (guardrails of {label})")
        for guardrail in parsed:
            if any(g.name == guardrail.name for g in found):
                b.error(line, f"guardrail {guardrail.name} is listed twice (guardrails of {label})")
            else:
                found.append(guardrail)
    return found


def _files(b: Builder, key: IniKey, policy_dir: Path, label: str) -> list[PolicyFile]:
    files: list[PolicyFile] = []
    for ref, line in b.items(key):
        policy = read_policy_file(b, policy_dir, ref, line)
        if policy is None:
            continue
        if any(f.name == policy.name for f in files):
            b.error(line, f"two SCP files named '{policy.name}' on {label}")
            continue
        statements = json.loads(policy.document)["Statement"]
        statements = [statements] if isinstance(statements, dict) else statements
        if any("Principal" in st or "NotPrincipal" in st for st in statements):
            b.error(line, f"SCP file {policy.source} names a Principal: an SCP applies to the principals of the "
                    "accounts it is attached to and has no Principal or NotPrincipal (Organizations User Guide, "
                    "\"SCP syntax\")")
            continue
        size = compact_size(policy.document)
        if size > SCP_MAX_CHARS:
            b.error(line, f"SCP file {policy.source} is {size} characters; Organizations allows {SCP_MAX_CHARS} "
                    "per SCP")
            continue
        files.append(policy)
    return files


def read_target(b: Builder, keys: dict[str, IniKey], kind: str, name: str, org_name: str,
                policy_dir: Path) -> ScpTarget | None:
    """The target's guardrails and SCP files (None when it has neither key)."""
    if "guardrails" not in keys and "scp_files" not in keys:
        return None
    target = ScpTarget(kind, name)
    found = _guardrails(b, keys["guardrails"], target.label) if "guardrails" in keys else []
    files = _files(b, keys["scp_files"], policy_dir, target.label) if "scp_files" in keys else []
    target = ScpTarget(kind, name, tuple(found), tuple(files))
    line = keys["scp_files"].line if "scp_files" in keys else keys["guardrails"].line
    count = AWS_SCPS + (1 if found else 0) + len(files)
    if count > SCPS_PER_TARGET:
        b.error(line, f"{target.label} would have {count} SCPs (FullAWSAccess, {'its guardrails, ' if found else ''}"
                f"{len(files)} SCP file(s)); Organizations attaches at most {SCPS_PER_TARGET} to a root, OU or "
                "account")
    names = ([guardrails_scp_name(org_name, target)] if found else []) + [file_scp_name(org_name, f) for f in files]
    for scp in names:
        if len(scp) > SCP_NAME_MAX or not scp.isascii():
            b.error(line, f"the SCP name '{scp}' is {len(scp)} characters{'' if scp.isascii() else ' (not ASCII)'}; "
                    f"Organizations allows {SCP_NAME_MAX} ASCII characters: use a shorter name")
    return target


def check_shared_files(b: Builder, targets: list[ScpTarget], lines: dict[str, int]) -> None:
    """One SCP per file name: two different files with one name (from two folders) cannot both be it."""
    seen: dict[str, PolicyFile] = {}
    for target in targets:
        for policy in target.scp_files:
            first = seen.setdefault(policy.name, policy)
            if first.document != policy.document:
                b.error(lines.get(target.label, 1), f"SCP files {first.source} and {policy.source} are both named "
                        f"'{policy.name}' but differ: each SCP file becomes one SCP named after it")
