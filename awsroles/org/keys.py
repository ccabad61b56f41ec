"""The org file's vocabulary: its section kinds and the keys of each, with their meaning.

docs/org-file.md documents the same keys (a test keeps them in step).
"""

from __future__ import annotations

ORG_KEYS = {
    "name": "short name of the organisation",
    "region": "default AWS region",
    "ops_account": "the account where people have IAM users and log in",
    "billing_account": "the payer account for cost reports (default: ops_account)",
    "management_account": "the AWS Organizations management account, where apply creates accounts "
                          "(default: billing_account)",
    "account_email": "e-mail address of accounts apply creates, with {name}: aws+{name}@acme.example",
    "mfa": "required or optional",
    "mfa_max_age": "longest an MFA sign-in stays valid for assuming roles",
    "mfa_enrollment": "who enrols MFA devices: admin (the default) or self",
    "session_duration": "default length of a role session",
    "bootstrap_role": "role that awsroles assumes to manage an environment account",
    "path": "IAM path of everything awsroles creates",
    "policy_dir": "folder of policy documents, relative to the org file",
    "budget_alerts": "default alerts of every budget: 80%, 100%, forecast 100%",
    "budget_notify": "default e-mail addresses that budget alerts go to",
    "guardrails": "guardrails of the organization's root: deny-leave-organization, deny-root-user, ...",
    "scp_files": "SCP documents (files in policy_dir) attached to the organization's root",
    "tags": "tags of every account awsroles manages in Organizations: CostCenter=42, Owner=finance",
    "billing_contact": "billing alternate contact of every managed account: Name | Title | Email | Phone",
    "operations_contact": "operations alternate contact of every managed account: Name | Title | Email | Phone",
    "security_contact": "security alternate contact of every managed account: Name | Title | Email | Phone",
    "identity": "who people are and how they reach roles: iam-users (the default), identity-center, or both "
                "(iam-users, identity-center) while moving",
    "identity_center_account": "the account of the IAM Identity Center instance (default: the management account)",
    "identity_center_region": "the region of the IAM Identity Center instance (default: region)",
    "identity_center_start_url": "the AWS access portal URL people sign in at (https://d-XXXXXXXXXX.awsapps.com/start)",
    "approvers": "users who may approve `awsroles request`s (an environment's own approvers win): alice, carol",
    "request_expiry": "how long a request waits for a decision before it expires (default 24h; 1h to 7d)",
    "user_boundary": "permissions boundary of every user without a boundary of their own: a managed policy ARN, or a "
                     "policy of the ops account by [path/]name",
}
ACCOUNT_KEYS = {
    "id": "12-digit account id (left out: apply creates the account, then writes its id here)",
    "email": "the account's root e-mail address (default: [org] account_email)",
    "ou": "organizational unit path the account belongs in: Workloads/Prod",
    "environment": "environment held by the account",
    "description": "free text",
    "budget": "the environment's monthly cost budget: 5000 USD",
    "budget_alerts": "alerts: 80%, 100%, forecast 100% (default: [org] budget_alerts)",
    "budget_notify": "e-mail addresses alerts go to (default: [org] budget_notify)",
    "guardrails": "guardrails of the account: deny-root-user, allowed-regions eu-west-1, ...",
    "scp_files": "SCP documents (files in policy_dir) attached to the account",
    "tags": "the account's tags in Organizations, over [org] tags: CostCenter=42",
    "billing_contact": "billing alternate contact (default: [org] billing_contact): Name | Title | Email | Phone",
    "operations_contact": "operations alternate contact (default: [org] operations_contact)",
    "security_contact": "security alternate contact (default: [org] security_contact): Name | Title | Email | Phone",
    "approvers": "users who may approve requests for the account's environment, instead of [org] approvers",
}
OU_KEYS = {
    "guardrails": "guardrails of the OU: deny-leave-organization, protect-awsroles, ...",
    "scp_files": "SCP documents (files in policy_dir) attached to the OU",
}
ROLE_KEYS = {
    "managed": "AWS or customer managed policy ARNs to attach",
    "policies": "policy documents (files in policy_dir) to put inline",
    "max_session": "maximum session duration (1h to 12h)",
    "description": "free text, shown in IAM",
    "customer_managed": "customer managed policies, by [path/]name, that exist in every environment account",
    "boundary": "permissions boundary: a managed policy ARN, or a customer managed policy's [path/]name",
    "path": "adopted in place: the IAM path of the existing role (default: [org] path), e.g. / for a console-made one",
    "replaces": "a hand-made role, by path and name (/Developer), this role takes over from: still granted to the "
                "same teams, until `retires`",
    "retires": "a hand-made role, by path and name (/Developer), this role took over from: apply deletes it "
               "(with --adopt if it is not yet awsroles')",
}
TEAM_KEYS = {"members": "user names", "description": "free text",
             "group": "adopted in place: the existing IAM group's path and name, /Developers (default: team-NAME "
                      "at [org] path)",
             "move_from": "the IAM path the team's existing group is at now (e.g. /): apply moves it to its path, "
                          "keeping its members"}
USER_KEYS = {
    "email": "e-mail address",
    "tags": "Key=Value pairs",
    "console": "yes to allow console sign-in",
    "display_name": "full name, shown in IAM Identity Center (default: the user name)",
    "given_name": "given name in IAM Identity Center (default: the first word of display_name)",
    "family_name": "family name in IAM Identity Center (default: the rest of display_name)",
    "path": "adopted in place: the IAM path of the existing user (default: [org] path), e.g. /",
    "boundary": "permissions boundary: a managed policy ARN, or a policy of the ops account by [path/]name "
                "(default: [org] user_boundary)",
    "move_from": "the IAM path the existing user is at now (e.g. /): apply moves the user to its path, keeping "
                 "keys, password, MFA and groups",
}
TEMPORARY_KEYS = {
    "team": "the team granted the role for a while (exactly one of team and user)",
    "user": "the person granted the role for a while (exactly one of team and user)",
    "environment": "the environment of the role",
    "role": "the role granted",
    "until": "when the grant ends: UTC, ISO 8601 with Z (2026-11-29T18:02:00Z); required",
    "from": "when the grant starts: UTC, ISO 8601 with Z (default: at once)",
    "reason": "why, on one line (an incident or ticket): required",
    "granted_by": "who ran `awsroles grant ... --for` (their identity)",
}
BREAK_GLASS_KEYS = {
    "people": "the people (declared users) who may assume the break-glass role: alice, carol; required",
    "role": "the break-glass role's name in the environment (default: breakglass)",
    "managed": "managed policy ARNs attached to the role, as a [role]'s",
    "policies": "policy documents (files in policy_dir) put inline on the role, as a [role]'s",
    "alarm_email": "an e-mail address the alarm's SNS topic sends every assumption to (optional)",
    "max_session": "the role's maximum session duration (1h to 12h; default 1h)",
}
REQUEST_KEYS = {
    "user": "who asks: their IAM user name, from their own credentials (written by `awsroles request`)",
    "environment": "the environment of the role asked for",
    "role": "the role asked for",
    "duration": "how long, from approval (15m to 7d, as `grant --for`): 2h",
    "reason": "why, on one line (an incident or ticket): required",
    "requested_at": "when it was asked: UTC, ISO 8601 with Z",
    "status": "the decision: approved or denied (absent: pending)",
    "decided_by": "who approved or denied it (their IAM user name)",
    "decided_at": "when it was decided: UTC, ISO 8601 with Z",
    "grant": "approved: the [temporary ID] made from it",
    "decision_reason": "denied: why (`awsroles deny ID --reason`)",
}
SECTION_KINDS: dict[str, dict[str, str]] = {
    "org": ORG_KEYS,
    "account": ACCOUNT_KEYS,
    "ou": OU_KEYS,
    "role": ROLE_KEYS,
    "team": TEAM_KEYS,
    "user": USER_KEYS,
    "temporary": TEMPORARY_KEYS,
    "break-glass": BREAK_GLASS_KEYS,
    "request": REQUEST_KEYS,
}
