"""Pure: the accounts and OUs the org file declares against the live organization -> changes.

Every change runs in the management account (``Change.account``), with an Organizations client.
Ownership as for IAM: an OU or account is awsroles' when it carries ``managed-by = awsroles`` and
``awsroles-org = ORG``. An OU the file wants that exists without the mark is a conflict (``--adopt``
takes it over); a declared account with an id that awsroles does not own is only moved with
``--adopt``. An account declared without an id is found in the organization by its e-mail address
(any case) or its name, and adopted (its id goes into the org file), or else created. Moving a
managed account is drift when it was moved outside awsroles (the ``awsroles-ou`` tag no longer
says where it is).

An account awsroles owns also gets its tags and alternate contacts (:mod:`awsroles.sync.billing`);
an unowned one whose own section gives tags or contacts is a conflict until ``--adopt``.

Nothing here ever closes, removes or deletes an account or an OU: those the file no longer declares
are ``retained`` findings, and :data:`ORGANIZATIONS_CALLS` has no such call for apply to run. The
SCPs (:mod:`awsroles.sync.scps`, planned after them) are the one thing awsroles deletes in
Organizations: only its own, only with ``prune``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from awsroles.accounts.contacts import ENABLE_TRUSTED_ACCESS, Contacts
from awsroles.accounts.state import LiveOrgAccount, LiveOrganization, declared_as, is_ours
from awsroles.org.entries import Account
from awsroles.org.marks import MANAGED_BY_TAG, ORG_TAG, OU_TAG
from awsroles.org.model import Org
from awsroles.org.organizations import ou_prefixes
from awsroles.sync.billing import BILLING_CALLS, contact_ops, new_account_tags, tag_ops
from awsroles.sync.kinds import ACCOUNT, OU
from awsroles.sync.plan import Change, Conflict, Finding, Op, PlanOptions
from awsroles.sync.scps import SCP_CALLS, plan_scps

CREATE_OU = "awsroles:create-ou"  # {"Path", "Tags"}: under its parent, found by path when it runs
TAG_OU = "awsroles:tag-ou"  # {"Path", "Tags"}
CREATE_ACCOUNT = "awsroles:create-account"  # CreateAccount's own parameters, then DescribeCreateAccountStatus
RECORD_ID = "awsroles:record-account-id"  # {"AccountName", "AccountId"}: into the org file
MOVE_ACCOUNT = "awsroles:move-account"  # {"AccountName", "AccountId" ("" if created by this change), "Path"}
TAG_ACCOUNT = "awsroles:tag-account"  # {"AccountName", "AccountId" (as above), "Tags"}
# Every call an accounts, OU or SCP change may hold: nothing closes or removes an account, nothing
# deletes an OU; only SCPs awsroles owns are ever detached or deleted (awsroles.sync.scps).
ORGANIZATIONS_CALLS = frozenset({CREATE_OU, TAG_OU, CREATE_ACCOUNT, RECORD_ID, MOVE_ACCOUNT, TAG_ACCOUNT,
                                 *BILLING_CALLS, *SCP_CALLS})
NEVER_CLOSED = "apply never closes or removes an account"


@dataclass
class OrganizationPlan:
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unowned: list[Finding] = field(default_factory=list)
    retained: list[Finding] = field(default_factory=list)
    deletes: list[Change] = field(default_factory=list)  # owned SCPs no longer wanted: with prune only


def mark_tags(org: Org) -> list[dict[str, str]]:
    return [{"Key": MANAGED_BY_TAG[0], "Value": MANAGED_BY_TAG[1]}, {"Key": ORG_TAG, "Value": org.name}]


def where(path: str) -> str:
    return f"OU {path}" if path else "the root"


class _Planner:
    def __init__(self, org: Org, live: LiveOrganization, options: PlanOptions):
        self.org, self.live, self.options = org, live, options
        self.management = org.management
        self.out = OrganizationPlan()

    def change(self, action: str, kind: str, name: str, ops: list[Op], details: list[str],
               drift: bool = False) -> None:
        self.out.changes.append(Change(self.management.name, self.management.id, action, kind, name, tuple(details),
                                       (), drift, tuple(ops)))

    def finding(self, into: list[Finding], kind: str, name: str, reason: str) -> None:
        into.append(Conflict(self.management.name, self.management.id, kind, name, reason))

    # OUs -----------------------------------------------------------------------------------

    def ous(self) -> set[str]:
        declared = [*(a.ou for a in self.org.accounts if a.ou), *self.org.ous]
        wanted = list(dict.fromkeys(p for path in declared for p in ou_prefixes(path)))
        for path in wanted:
            live = self.live.ous.get(path)
            if live is None:
                self.change("create", OU, path, [(CREATE_OU, {"Path": path, "Tags": mark_tags(self.org)})],
                            [f"under {where(path.rpartition('/')[0])}"])
            elif is_ours(live.tags, self.org.name):
                continue
            elif self.options.adopt:
                self.change("adopt", OU, path, [(TAG_OU, {"Path": path, "Tags": mark_tags(self.org)})],
                            [f"{live.id}: tag managed-by = awsroles"])
            else:
                self.finding(self.out.conflicts, OU, path, f"exists ({live.id}) without awsroles' mark (the tags "
                             "managed-by = awsroles and awsroles-org), so awsroles does not own it and places "
                             "nothing in it: adopt it with `awsroles apply --adopt`, or change the ou")
        for path, live in sorted(self.live.ous.items()):
            if path not in wanted and is_ours(live.tags, self.org.name):
                self.finding(self.out.retained, OU, path, f"made by awsroles ({live.id}) and no longer in the org "
                             "file: kept (apply never deletes an OU)")
        return set(wanted)

    # accounts --------------------------------------------------------------------------------

    def found(self, account: Account) -> LiveOrgAccount | bool | None:
        """The live account a pending one is (by e-mail, else name); None: none; False: a conflict."""
        email = account.email.lower()
        by_email = [a for a in self.live.accounts.values() if email and a.email.lower() == email]
        by_name = [a for a in self.live.accounts.values() if a.name == account.name]
        if by_email and by_name and by_email[0].id != by_name[0].id:
            self.finding(self.out.conflicts, ACCOUNT, account.name, f"the organization has {by_email[0].id} with its "
                         f"e-mail address {account.email} and another account, {by_name[0].id}, with its name: "
                         "write the right id into the org file")
            return False
        if not by_email and len(by_name) > 1:
            self.finding(self.out.conflicts, ACCOUNT, account.name, "several accounts in the organization have this "
                         f"name ({', '.join(a.id for a in by_name)}): write the right id into the org file")
            return False
        return next(iter(by_email or by_name), None)

    def placement(self, account: Account, live: LiveOrgAccount, account_id: str) -> tuple[list[Op], list[str]]:
        if not account.ou or live.parent == account.ou:
            return [], []
        return ([(MOVE_ACCOUNT, {"AccountName": account.name, "AccountId": account_id, "Path": account.ou}),
                 (TAG_ACCOUNT, {"AccountName": account.name, "AccountId": account_id,
                                "Tags": [{"Key": OU_TAG, "Value": account.ou}]})],
                [f"move from {where(live.parent)} to {where(account.ou)}"])

    def create(self, account: Account) -> None:
        tags = mark_tags(self.org) + ([{"Key": OU_TAG, "Value": account.ou}] if account.ou else [])
        tags += new_account_tags(self.org, account)
        ops: list[Op] = [(CREATE_ACCOUNT, {"AccountName": account.name, "Email": account.email,
                                          "RoleName": self.org.bootstrap_role, "Tags": tags})]
        details = [f"e-mail {account.email}", f"reached through {self.org.bootstrap_role}"]
        if account.ou:
            ops.append((MOVE_ACCOUNT, {"AccountName": account.name, "AccountId": "", "Path": account.ou}))
            details.append(f"in {where(account.ou)}")
        details.append("its id goes into the org file")
        details.extend(f"tag {k} = {v}" for k, v in sorted(self.org.account_tags(account).items()))
        contacts, about, _ = self.contacts(account, "", None)
        self.change("create", ACCOUNT, account.name, ops + contacts, details + about)

    # tags and alternate contacts (awsroles.sync.billing) ------------------------------------------

    def contacts(self, account: Account, account_id: str, live: Contacts | None
                 ) -> tuple[list[Op], list[str], bool]:
        """The contact calls, or none and a conflict when AWS Account Management cannot reach the
        (member) account: trusted access is off."""
        if not self.org.account_contacts(account):
            return [], [], False
        management = account_id == self.management.id
        state = self.live.contacts
        if not management and (state is None or not state.trusted_access):
            self.finding(self.out.conflicts, ACCOUNT, account.name, "its alternate contacts are not set: trusted "
                         "access for AWS Account Management is not enabled in the organization; enable it once "
                         f"from the management account with `{ENABLE_TRUSTED_ACCESS}`")
            return [], [], False
        return contact_ops(self.org, account, account_id, management, live)

    def billing(self, account: Account, live: LiveOrgAccount, tag_live: Mapping[str, str]
                ) -> tuple[list[Op], list[str], bool]:
        """Tag and contact calls for an account that exists (``tag_live``: its tags as awsroles sees them)."""
        tags, details, drift = tag_ops(self.org, account, live.id, tag_live, TAG_ACCOUNT)
        read = self.live.contacts.by_account.get(live.id) if self.live.contacts else None
        contacts, about, moved = self.contacts(account, live.id, read)
        return tags + contacts, details + about, drift or moved

    def pending(self, account: Account) -> None:
        live = self.found(account)
        if live is False:
            return
        if live is None:
            self.create(account)
            return
        assert isinstance(live, LiveOrgAccount)
        if live.status != "ACTIVE":
            self.finding(self.out.conflicts, ACCOUNT, account.name, f"the organization's account {live.id} with its "
                         f"{'e-mail address' if live.email.lower() == account.email.lower() else 'name'} is "
                         f"{live.status}: awsroles neither reopens nor duplicates it")
            return
        how = "e-mail address" if live.email.lower() == account.email.lower() else f"name (its e-mail is {live.email})"
        ops: list[Op] = [(RECORD_ID, {"AccountName": account.name, "AccountId": live.id})]
        details = [f"found in the organization as {live.id} by its {how}: its id goes into the org file"]
        if not is_ours(live.tags, self.org.name):
            ops.append((TAG_ACCOUNT, {"AccountName": account.name, "AccountId": live.id, "Tags": mark_tags(self.org)}))
            details.append("tag managed-by = awsroles")
        moves, where_to = self.placement(account, live, live.id)
        billing, about, _ = self.billing(account, live, live.tags)
        self.change("adopt", ACCOUNT, account.name, ops + moves + billing, details + where_to + about)

    def declared(self, account: Account) -> None:
        """An account with an id: placed in its OU, tagged and given its contacts when awsroles owns it.
        Its own ``tags`` or ``*_contact`` in the file ask for that as ``ou`` does; [org] defaults and
        ``Environment`` alone apply only to accounts awsroles owns already."""
        explicit = bool(account.ou or account.tags or account.contacts)
        live = self.live.accounts.get(account.id)
        if live is None:
            if explicit:
                self.finding(self.out.conflicts, ACCOUNT, account.name, f"{account.id} is not in the organization of "
                             f"the management account {self.management.name} ({self.management.id}): awsroles "
                             "places, tags and sets contacts only for accounts of that organization")
            return
        if live.status != "ACTIVE":
            if explicit:
                self.finding(self.out.conflicts, ACCOUNT, account.name, f"{account.id} is {live.status}: not moved, "
                             "tagged nor given contacts")
            return
        moves, details = self.placement(account, live, live.id)
        if is_ours(live.tags, self.org.name):
            billing, about, changed = self.billing(account, live, live.tags)
            if not moves and not billing:
                return
            drift = bool(moves) and live.tags.get(OU_TAG, live.parent) != live.parent
            if drift:
                details = [*details, f"moved outside awsroles (it placed it in {where(live.tags[OU_TAG])})"]
            self.change("update", ACCOUNT, account.name, moves + billing, details + about, drift or changed)
        elif not moves and not account.tags and not account.contacts:
            return
        elif self.options.adopt:
            tag: Op = (TAG_ACCOUNT, {"AccountName": account.name, "AccountId": live.id, "Tags": mark_tags(self.org)})
            billing, about, _ = self.billing(account, live, live.tags)
            self.change("adopt", ACCOUNT, account.name, [tag, *moves, *billing],
                        ["tag managed-by = awsroles", *details, *about])
        elif moves:
            self.finding(self.out.conflicts, ACCOUNT, account.name, f"{account.id} is in {where(live.parent)} and has "
                         "no awsroles mark (the tags managed-by = awsroles and awsroles-org), so awsroles does not "
                         "move it: adopt it with `awsroles apply --adopt`")
        else:
            self.finding(self.out.conflicts, ACCOUNT, account.name, f"{account.id} has no awsroles mark (the tags "
                         "managed-by = awsroles and awsroles-org), so awsroles sets neither its tags nor its "
                         "alternate contacts: adopt it with `awsroles apply --adopt`")

    def accounts(self) -> None:
        for account in self.org.accounts:
            if account.pending:
                self.pending(account)
            else:
                self.declared(account)
        for live in sorted(self.live.accounts.values(), key=lambda a: a.name):
            if not is_ours(live.tags, self.org.name) or declared_as(self.org, live) is not None:
                continue
            if live.status == "ACTIVE":
                self.finding(self.out.retained, ACCOUNT, live.name, f"{live.id}, made or adopted by awsroles, is no "
                             f"longer in the org file: kept ({NEVER_CLOSED}, not even with --prune); "
                             f"`awsroles accounts close {live.name}` closes it")
            else:
                self.finding(self.out.retained, ACCOUNT, live.name, f"{live.id}, made or adopted by awsroles, is no "
                             f"longer in the org file and is {live.status} (closed): AWS takes it out of the "
                             "organization 90 days after its closure")


def plan_organization(org: Org, live: LiveOrganization, options: PlanOptions | None = None) -> OrganizationPlan:
    """OUs first (parents before children), then accounts in file order, then SCPs."""
    planner = _Planner(org, live, options or PlanOptions())
    planner.ous()
    planner.accounts()
    scps = plan_scps(org, live, planner.options)
    planner.out.changes.extend(scps.changes)
    planner.out.deletes.extend(scps.deletes)
    planner.out.conflicts.extend(scps.conflicts)
    planner.out.unowned.extend(scps.unowned)
    return planner.out
