"""Pure: the SCPs an org file wants (its targets' guardrails and its SCP files), by name, with the text
awsroles sends and the digest it tags them with. The plan (:mod:`awsroles.sync.scps`) and the
Terraform export (:mod:`awsroles.export.organizations`) both start here, so they cannot disagree.

For every root, OU or account with ``guardrails``, one SCP of them (``awsroles-ORG-guardrails-TARGET``,
:mod:`awsroles.accounts.guardrails`); for every SCP file, one SCP (``awsroles-ORG-scp-NAME``) attached
to every target that lists it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from awsroles.accounts import guardrails
from awsroles.org.entries import ScpTarget
from awsroles.org.jsondoc import canonical_json
from awsroles.org.marks import file_scp_name, guardrails_scp_name
from awsroles.org.model import Org

DIGEST_TAG = "awsroles-digest"  # sha256 of the compact document awsroles last wrote


@dataclass
class WantedScp:
    name: str
    description: str
    document: str  # canonical JSON
    what: str  # for the plan: "guardrails ..." or "SCP file policies/x.json"
    targets: list[ScpTarget] = field(default_factory=list)


def compact(document: str) -> str:
    """The text awsroles sends (and measures): compact JSON."""
    return json.dumps(json.loads(document), separators=(",", ":"), sort_keys=False)


def digest(document: str) -> str:
    return hashlib.sha256(canonical_json(json.loads(document)).encode()).hexdigest()[:32]


def wanted_scps(org: Org) -> dict[str, WantedScp]:
    """Every SCP the org file wants, by name, in file order."""
    ctx = guardrails.context(org)
    wanted: dict[str, WantedScp] = {}
    for target in org.scp_targets:
        if target.guardrails:
            name = guardrails_scp_name(org.name, target)
            document = canonical_json(guardrails.document(target.guardrails, ctx))
            listed = ", ".join(str(g) for g in target.guardrails)
            wanted[name] = WantedScp(name, f"awsroles: the guardrails of {target.label}", document,
                                     f"guardrails {listed}", [target])
        for policy in target.scp_files:
            name = file_scp_name(org.name, policy)
            if name not in wanted:
                wanted[name] = WantedScp(name, f"awsroles: the SCP file {policy.source}", policy.document,
                                         f"SCP file {policy.source}")
            wanted[name].targets.append(target)
    return wanted
