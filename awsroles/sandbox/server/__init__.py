"""The sandbox's server side: a moto server on loopback, and every moto workaround it needs.

Every moto workaround lives here, and this is the only package that imports moto (always inside
functions, so importing it is cheap) or reaches into moto's internals. The server runs in its own
process (``python -m awsroles.sandbox.server``, what :mod:`awsroles.sandbox.process` starts) or,
for :class:`awsroles.sandbox.process.Sandbox` with ``in_process=True``, in the caller's process.

- :mod:`.main`: :class:`~.main.MotoServer`, :func:`~.main.install_workarounds` (each undone by
  ``MotoServer.stop``) and the process's ``main()`` (run by ``__main__``).
- :mod:`.patches`: account ids, AWS managed policies, IAM reads moto lacks, user boundaries.
- :mod:`.boundaries`: a role's (or user's) permissions boundary must be a policy that exists.
- :mod:`.sessions`: ``GetSessionToken`` as AWS makes sessions; who an IAM user's request acts as.
- :mod:`.mfa`: MFA codes, checked and taken once as AWS does. :mod:`.clock`: the sandbox's clock.
- :mod:`.role_sessions`: role sessions keep their ``SourceIdentity`` and issue time; their requests
  are judged with them (``aws:TokenIssueTime``, ``aws:SourceIdentity``, ``aws:CurrentTime``).
- :mod:`.cloudtrail`: CloudTrail's event history of ``AssumeRole`` (recorded for every one served)
  and ``LookupEvents`` (one lookup attribute, time range, newest first, paging, its validation errors).
- :mod:`.trust`: ``AssumeRole`` needs the role's trust policy to allow the caller, as on AWS.
- :mod:`.moves`: UpdateGroup moves a group to a new path; UpdateUser keeps a moved user's tags.
- :mod:`.conditions`: the IAM condition evaluator for IAM users' and role sessions' requests
  (String, Numeric, Date, Bool, Null; ``aws:CurrentTime``, ``aws:TokenIssueTime``, MFA, principal).
- :mod:`.resources`: IAM requests on a user checked against its ARN.
- :mod:`.costs`: a synthetic bill for Cost Explorer (``GetCostAndUsage``, ``GetCostForecast``).
- :mod:`.budgets`: AWS Budgets' operations and rules that moto lacks (updates, subscribers, tags).
- :mod:`.organizations`: ``CreateAccount`` as AWS answers it. :mod:`.scps`: Organizations' rules for
  SCPs (size, 5 per target, the policy type enabled, all features, exact attachments).
- :mod:`.contacts`: AWS Account Management's rules for alternate contacts (``AccountId`` only for
  member accounts, from the management account, with trusted access; the fields' constraints).
- :mod:`.closures`: ``CloseAccount``'s rules (not the management account, the 30-day quota, PENDING_CLOSURE).
- :mod:`.identity_center`: IAM Identity Center's admin API as AWS answers it (DescribeInstance, tags,
  permissions boundaries, asynchronous provisioning and assignments, the rules on names, sessions,
  policies and targets); the operations are :mod:`.identity_center_calls` and
  :mod:`.identity_center_assignments`. :mod:`.identity_store`: the Identity Store's rules
  (the instance's store only, unique names, UpdateUser/UpdateGroup, memberships once).
- :mod:`.sso_tokens`: IAM Identity Center's sign-in, SSO OIDC (RegisterClient, device authorization,
  CreateToken with polling, slow-down, expiry and refresh tokens); :mod:`.sso_portal`: the access
  portal (ListAccounts, ListAccountRoles, GetRoleCredentials as ``AWSReservedSSO_`` role sessions
  that expire, Logout); :mod:`.sso_routes`: both APIs over HTTP, and the device approval page.
- :mod:`.routes`: the sandbox's own HTTP routes (``/awsroles-sandbox/``: clock, MFA, costs, SSO).
- :mod:`.auth_errors`: a request IAM refuses, answered in the protocol of its service (JSON for
  Organizations, Budgets, Identity Center...), with that protocol's codes (``AccessDeniedException``).
- :mod:`.protocol`: a request's parameters and an authentication-time error, as moto has them.
- :mod:`.serial`: one request at a time (moto's data is not safe for concurrent requests; AWS's is).

May import: the standard library, moto, botocore, pyotp, and :mod:`awsroles.fsutil`.
"""
