"""Importing the organization (pure): the accounts' e-mail addresses and OUs, the OUs awsroles made,
and the service control policies awsroles made, back into ``guardrails`` and ``scp_files``.

Only with accounts from AWS Organizations (``awsroles import`` without ``--account`` or ``--from``),
from the organization :func:`awsroles.accounts.state.read_organization` read and the SCPs at the
org's prefix :func:`awsroles.accounts.scps.read_scps` read:

- each imported account gets its ``email`` (left out when ``[org] account_email`` says it: a pattern
  with ``{name}`` that at least two accounts' addresses follow) and ``ou = A/B`` (its parent's path;
  nothing at the root);
- each imported account awsroles owns (its marks for this org) gets back the tags it set
  (``awsroles-tags`` lists them) as its ``tags``, but for ``Environment`` where that is its
  environment (read from the tag already), and its alternate contacts (read with
  :func:`awsroles.accounts.contacts.read_contacts`) as ``*_contact``; a member account's contacts
  need trusted access for AWS Account Management: without it they are not read (a warning). A tag
  or contact that every such account (at least two) has alike goes to ``[org]`` instead;
- an OU awsroles marked (``managed-by = awsroles``, ``awsroles-org = ORG``) that no imported account
  is in, and every OU with SCPs of awsroles', is declared as ``[ou PATH]``, so that no OU awsroles
  owns is lost (the empty ones are reported);
- an SCP ``awsroles-ORG-guardrails-TARGET`` with awsroles' marks becomes the ``guardrails`` of its
  target (the root: ``[org]``, ``[ou PATH]``, ``[account NAME]``), read back from the ``Sid`` of
  each statement (:data:`awsroles.accounts.guardrails.STATEMENTS` makes one set of Sids per name);
- an SCP ``awsroles-ORG-scp-FILE`` with the marks becomes ``scp_files = FILE.json`` on every target
  it is attached to, its document written to the policy folder as a role's inline policies are
  (``scp/FILE.json`` when a role's policy file already has that name with other content);
- every other SCP (made by hand, or at the prefix without the marks) is reported as not imported,
  never changed: ``plan`` never touches an SCP awsroles does not own.

What the org file cannot say (a guardrails SCP whose document was edited, one attached elsewhere
too) is a warning; the plan the import shows then lists the change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from awsroles.accounts.contacts import ENABLE_TRUSTED_ACCESS
from awsroles.accounts.guardrails import STATEMENTS, Context
from awsroles.accounts.scps import LiveScp, LiveScps
from awsroles.accounts.state import LiveOrganization, is_ours
from awsroles.importer.accounts import Accounts
from awsroles.importer.settings import OrgSettings, ini_unsafe
from awsroles.org import limits
from awsroles.org.entries import SCP_ACCOUNT, SCP_OU, SCP_ROOT, Account, Contact, PolicyFile, ScpTarget
from awsroles.org.guardrails import NAMES, REGION, Guardrail
from awsroles.org.jsondoc import canonical_json
from awsroles.org.marks import ENVIRONMENT_TAG, RESERVED_TAGS, TAGS_TAG, scp_prefix
from awsroles.org.organizations import email_problem, parse_ou_path

GUARDRAILS_PART, FILE_PART = "guardrails-", "scp-"
SCP_SUBDIR = "scp"  # where an SCP file goes when a role's policy file has its name with other content


def _sids() -> dict[str, str]:
    """Statement Sid -> the guardrail that makes it (each name makes its own Sids)."""
    out: dict[str, str] = {}
    for name, make in STATEMENTS.items():
        example = Guardrail(name, ("us-east-1",) if NAMES[name][1] else ())
        for statement in make(example, Context(adopted_roles=("/Example",))):  # every Sid it can make
            out[str(statement["Sid"])] = name
    return out


SIDS = _sids()


def guardrails_of(doc: Any) -> tuple[list[Guardrail], list[str]]:
    """A guardrails SCP's document -> its guardrails (in vocabulary order), and the Sids of statements
    no guardrail makes."""
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    statements = [statements] if isinstance(statements, dict) else statements
    found: dict[str, tuple[str, ...]] = {}
    unknown: list[str] = []
    for statement in statements:
        sid = str(statement.get("Sid", "")) if isinstance(statement, dict) else ""
        name = SIDS.get(sid)
        if name is None:
            unknown.append(sid or "(no Sid)")
            continue
        arguments: tuple[str, ...] = ()
        if NAMES[name][1]:  # allowed-regions: the regions of its condition
            regions = statement.get("Condition", {}).get("StringNotEquals", {}).get("aws:RequestedRegion", [])
            regions = [regions] if isinstance(regions, str) else regions
            arguments = tuple(sorted({str(r) for r in regions if REGION.match(str(r))}))
            if not arguments:
                unknown.append(sid)
                continue
        found[name] = arguments
    return [Guardrail(n, found[n]) for n in NAMES if n in found], unknown


def email_pattern(accounts: Sequence[Account]) -> str:
    """The ``account_email`` pattern (``aws+{name}@acme.example``) that most accounts' addresses follow,
    at least two; "" when none does, or when an account has no address (the pattern would give it one)."""
    if any(not a.email for a in accounts):
        return ""
    support: dict[str, set[str]] = {}
    for account in accounts:
        start = account.email.find(account.name)
        while start >= 0:
            pattern = account.email[:start] + "{name}" + account.email[start + len(account.name):]
            support.setdefault(pattern, set()).add(account.name)
            start = account.email.find(account.name, start + 1)
    good = [(len(names), p) for p, names in support.items()
            if len(names) >= 2 and "{" not in p.replace("{name}", "", 1) and "}" not in p.replace("{name}", "", 1)
            and not ini_unsafe(p)]
    return min(good, key=lambda item: (-item[0], item[1]))[1] if good else ""


@dataclass
class ImportedOrganization:
    """What the organization adds to an imported org file."""

    accounts: tuple[Account, ...]
    account_email: str = ""
    management_account: str = ""
    tags: tuple[tuple[str, str], ...] = ()  # [org] tags: those every account awsroles owns has alike
    contacts: tuple[Contact, ...] = ()  # [org] contacts: likewise
    ous: tuple[str, ...] = ()
    scp_targets: tuple[ScpTarget, ...] = ()
    policy_files: dict[str, str] = field(default_factory=dict)  # SCP files: path in policy_dir -> JSON
    warnings: list[str] = field(default_factory=list)


class _Import:
    def __init__(self, accounts: Accounts, organization: LiveOrganization, settings: OrgSettings,
                 others: Sequence[str], role_files: Mapping[str, str]):
        self.found, self.live, self.settings = accounts, organization, settings
        self.others, self.role_files = others, role_files
        self.out = ImportedOrganization(accounts.accounts)
        self.owned: set[str] = set()  # names of the imported accounts awsroles owns
        self.guardrails: dict[tuple[str, str], list[Guardrail]] = {}
        self.files: dict[tuple[str, str], list[PolicyFile]] = {}

    def warn(self, text: str) -> None:
        self.out.warnings.append(text)

    # accounts and OUs ----------------------------------------------------------------------------

    def ou_path(self, path: str, what: str) -> str:
        """``path`` when the org file can hold it as is, else "" (with a warning)."""
        parts, why = parse_ou_path(path)
        if why is None and "/".join(parts) == path and not ini_unsafe(path) and "," not in path:
            return path
        self.warn(f"{what}: OU path {path!r} cannot be written in an org file (an OU name with '/', white space "
                  "around it, ';' or '#'): left out")
        return ""

    def accounts(self) -> None:
        accounts: list[Account] = []
        for account in self.found.accounts:
            live = self.live.accounts.get(account.id)
            if live is None:
                accounts.append(account)
                continue
            email = live.email
            why = email_problem(email) if email else "is empty"
            if why is not None or ini_unsafe(email):
                self.warn(f"account {account.name} ({account.id}): e-mail address {email!r} "
                          f"{why or 'cannot be written in an org file'}: left out")
                email = ""
            ou = self.ou_path(live.parent, f"account {account.name}") if live.parent else ""
            accounts.append(self.billing(replace(account, email=email, ou=ou), live.tags))
        self.out.accounts = tuple(accounts)
        self.out.account_email = email_pattern(accounts)
        management = self.found.billing  # the management account (accounts_from_organizations)
        if management != self.found.ops:
            self.out.management_account = management

    def billing(self, account: Account, tags: Mapping[str, str]) -> Account:
        """``account`` with the tags awsroles set on it and its alternate contacts, when awsroles owns it."""
        if not is_ours(tags, self.settings.name):
            return account
        self.owned.add(account.name)
        own: list[tuple[str, str]] = []
        for key in sorted(set(tags.get(TAGS_TAG, "").split())):
            if key not in tags or key in RESERVED_TAGS or (key == ENVIRONMENT_TAG and account.environment):
                continue
            value = tags[key]
            if not file_tag(key, value):
                self.warn(f"account {account.name} ({account.id}): tag {key}={value!r} cannot be written in an org "
                          "file: left out (`awsroles plan` shows it removed)")
                continue
            own.append((key, value))
        contacts: list[Contact] = []
        state = self.live.contacts
        read = state.by_account.get(account.id) if state is not None else None
        if state is not None and read is None and not state.trusted_access:
            self.warn(f"account {account.name} ({account.id}): its alternate contacts are not read: trusted access "
                      f"for AWS Account Management is not enabled (`{ENABLE_TRUSTED_ACCESS}`), or access to them "
                      "was denied")
        for contact in (c for c in (read or {}).values() if c is not None):
            if file_contact(contact):
                contacts.append(contact)
            else:
                self.warn(f"account {account.name} ({account.id}): its {contact.type.lower()} contact cannot be "
                          "written in an org file: left out (awsroles leaves it as it is)")
        return replace(account, tags=tuple(own), contacts=tuple(contacts))

    def hoist(self) -> None:
        """Tags (but ``Environment``) and contacts that every owned account has alike, at least two of
        them, go to ``[org]``, which gives them to every account awsroles owns."""
        owned = [a for a in self.out.accounts if a.name in self.owned]
        if len(owned) < 2:
            return
        tags = set.intersection(*(set(a.tags) for a in owned))
        tags = {(k, v) for k, v in tags if k != ENVIRONMENT_TAG}
        contacts = set.intersection(*(set(a.contacts) for a in owned))
        if not tags and not contacts:
            return
        self.out.tags = tuple(sorted(tags))
        self.out.contacts = tuple(sorted(contacts, key=lambda c: c.type))
        self.out.accounts = tuple(
            replace(a, tags=tuple(t for t in a.tags if t not in tags),
                    contacts=tuple(c for c in a.contacts if c not in contacts)) if a.name in self.owned else a
            for a in self.out.accounts)

    def empty_ous(self) -> list[str]:
        """OUs awsroles marked that no imported account is in: declared, and reported."""
        placed = {p for a in self.out.accounts if a.ou for p in _prefixes(a.ou)}
        empty: list[str] = []
        for path, ou in sorted(self.live.ous.items()):
            if path in placed or not is_ours(ou.tags, self.settings.name):
                continue
            if self.ou_path(path, f"OU {ou.id}"):
                empty.append(path)
        return empty

    # SCPs ------------------------------------------------------------------------------------------

    def target_of(self, target_id: str) -> tuple[str, str] | None:
        """(kind, name) of a live target id among what is imported; None when it is not."""
        if target_id == self.live.root_id:
            return SCP_ROOT, ""
        for path, ou in self.live.ous.items():
            if ou.id == target_id:
                return (SCP_OU, path) if self.ou_path(path, f"OU {ou.id}") else None
        account = next((a for a in self.out.accounts if a.id == target_id), None)
        return (SCP_ACCOUNT, account.name) if account is not None else None

    def describe(self, target_id: str) -> str:
        found = self.target_of(target_id)
        if found is None:
            live = self.live.accounts.get(target_id)
            return f"account {live.name} ({target_id}), which is not imported" if live else target_id
        return ScpTarget(*found).label

    def guardrails_scp(self, scp: LiveScp, key: str, doc: Any) -> None:
        kind, _, name = key.partition("-")
        wanted: tuple[str, str] | None = None
        if key == SCP_ROOT:
            wanted = (SCP_ROOT, "")
        elif kind == SCP_OU and name in self.live.ous:
            wanted = (SCP_OU, name)
        elif kind == SCP_ACCOUNT and any(a.name == name for a in self.out.accounts):
            wanted = (SCP_ACCOUNT, name)
        if wanted is None:
            self.warn(f"SCP {scp.name} ({scp.id}): its name names no root, OU or imported account: not imported "
                      "(`plan --prune` would delete it)")
            return
        found, unknown = guardrails_of(doc)
        if not found:
            self.warn(f"SCP {scp.name} ({scp.id}): none of its statements is a guardrail's: not imported "
                      "(`plan --prune` would delete it)")
            return
        target = ScpTarget(*wanted)
        if unknown:
            self.warn(f"SCP {scp.name}: statements {', '.join(unknown)} are no guardrail's: imported as "
                      f"guardrails {', '.join(str(g) for g in found)} ({target.label}); `awsroles plan` shows the "
                      "update that removes them")
        self.guardrails[wanted] = found
        ids = {t: self.target_of(t) for t in scp.targets}
        if wanted not in ids.values():
            self.warn(f"SCP {scp.name} is not attached to {target.label}: `awsroles plan` shows it attached")
        for target_id, where in sorted(ids.items()):
            if where != wanted:
                self.warn(f"SCP {scp.name} is also attached to {self.describe(target_id)}, which the org file "
                          "cannot say (one guardrails SCP per target): `awsroles plan` shows it detached")

    def file_scp(self, scp: LiveScp, stem: str, doc: Any) -> None:
        statements = doc.get("Statement") if isinstance(doc, dict) else None
        statements = [statements] if isinstance(statements, dict) else statements
        if (not limits.IAM_NAME.fullmatch(stem) or len(stem) > limits.POLICY_NAME_MAX or "," in stem
                or not isinstance(statements, list) or not statements
                or not all(isinstance(s, dict) and "Principal" not in s and "NotPrincipal" not in s
                           for s in statements)):
            self.warn(f"SCP {scp.name} ({scp.id}): its name or document cannot be an SCP file of an org file: "
                      "not imported")
            return
        text = canonical_json(doc)
        ref = f"{stem}.json"
        if self.role_files.get(ref, text) != text:
            ref = f"{SCP_SUBDIR}/{stem}.json"
        where = [t for t in (self.target_of(t) for t in scp.targets) if t is not None]
        for target_id in scp.targets:
            if self.target_of(target_id) is None:
                self.warn(f"SCP {scp.name} is attached to {self.describe(target_id)}: that attachment is not "
                          "imported")
        if not where:
            self.warn(f"SCP {scp.name} ({scp.id}) is attached to nothing imported: not imported (`plan --prune` "
                      "would delete it)")
            return
        self.out.policy_files[ref] = text
        for target in where:
            self.files.setdefault(target, []).append(PolicyFile(stem, ref, text))

    def scps(self, scps: LiveScps) -> None:
        prefix = scp_prefix(self.settings.name)
        for name, scp in sorted(scps.policies.items()):
            if not is_ours(scp.tags, self.settings.name):
                self.warn(f"SCP {name} ({scp.id}) is at awsroles' prefix without its mark: not imported (never "
                          "changed by awsroles; `awsroles apply --adopt` takes it over once the org file lists it)")
                continue
            try:
                doc = json.loads(scp.content)
            except ValueError:
                doc = None
            rest = name[len(prefix):]
            if rest.startswith(GUARDRAILS_PART):
                self.guardrails_scp(scp, rest[len(GUARDRAILS_PART):], doc)
            elif rest.startswith(FILE_PART):
                self.file_scp(scp, rest[len(FILE_PART):], doc)
            else:
                self.warn(f"SCP {name} ({scp.id}) is no guardrails SCP nor SCP file of awsroles': not imported")
        if self.others:
            self.warn(f"{len(self.others)} SCP(s) not made by awsroles are not imported (awsroles never changes "
                      f"them): {', '.join(sorted(self.others))}")

    def targets(self, ous: list[str]) -> None:
        keys = set(self.guardrails) | set(self.files)
        declared = list(dict.fromkeys([*ous, *(n for k, n in keys if k == SCP_OU)]))
        self.out.ous = tuple(sorted(declared))
        order = [(SCP_ROOT, "")] + [(SCP_OU, p) for p in self.out.ous] + \
            [(SCP_ACCOUNT, a.name) for a in self.out.accounts]
        self.out.scp_targets = tuple(
            ScpTarget(kind, name, tuple(self.guardrails.get((kind, name), ())),
                      tuple(sorted(self.files.get((kind, name), ()), key=lambda f: f.name)))
            for kind, name in order if (kind, name) in keys)

    def run(self) -> ImportedOrganization:
        self.accounts()
        self.hoist()
        empty = self.empty_ous()
        if self.live.scps is not None:
            self.scps(self.live.scps)
        with_scps = {n for k, n in (*self.guardrails, *self.files) if k == SCP_OU}
        for path in empty:
            if path not in with_scps:
                self.warn(f"OU {path} ({self.live.ous[path].id}) was made by awsroles and no imported account is in "
                          f"it: declared as [ou {path}] so that it stays awsroles'")
        self.targets(empty)
        return self.out


def file_tag(key: str, value: str) -> bool:
    """Whether ``tags = key=value`` reads back as this tag (awsroles.org.billing.read_tags)."""
    return (bool(key) and limits.TAG_TEXT.fullmatch(key) is not None and not any(c.isspace() for c in key)
            and not key.lower().startswith("aws:") and limits.TAG_TEXT.fullmatch(value) is not None
            and not ini_unsafe(value or "x") and "\n" not in value)


def file_contact(contact: Contact) -> bool:
    """Whether ``*_contact = Name | Title | Email | Phone`` reads back as this contact."""
    fields = (contact.name, contact.title, contact.email, contact.phone)
    return all(f and "|" not in f and f == f.strip() and "\n" not in f for f in fields) and \
        not ini_unsafe(" | ".join(fields))


def _prefixes(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def import_organization(accounts: Accounts, organization: LiveOrganization, settings: OrgSettings, *,
                        others: Sequence[str] = (), role_files: Mapping[str, str] | None = None
                        ) -> ImportedOrganization:
    """Pure: what the organization (read with its SCPs at the org's prefix) adds to the imported file.
    ``others``: the names of the SCPs that are not awsroles' (reported); ``role_files``: the roles'
    policy files already imported (an SCP file of the same name and other content goes elsewhere)."""
    return _Import(accounts, organization, settings, others, role_files or {}).run()
