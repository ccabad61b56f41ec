"""Accounts as code: AWS Organizations' accounts and organizational units, from the org file.

- :mod:`.state`: the live organization (accounts, OUs, their marks), read from the management account.
- :mod:`.scps`: the live service control policies at the org's prefix, and what each target has.
- :mod:`.reads`: the paginated reads and tag reads both share.
- :mod:`.guardrails`: the guardrails vocabulary -> one service control policy, and its limits (pure).
- :mod:`.wanted`: the SCPs an org file wants, by name (pure): what the plan and the Terraform export share.

The plan (:mod:`awsroles.sync.accounts`) and the runner of its calls
(:mod:`awsroles.sync.organizations`) live with the rest of plan/apply, as budgets' do.

May import: awsroles.org, awsroles.errors.
"""
