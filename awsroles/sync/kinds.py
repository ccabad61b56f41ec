"""The kinds of change of a plan's organization part (AWS Organizations: OUs, accounts, the root's
and targets' SCPs), in a module of their own: what runs or shows a plan tells them apart without
loading the organization's planner (:mod:`awsroles.sync.accounts`, :mod:`awsroles.sync.scps`)."""

from __future__ import annotations

OU, ACCOUNT, ROOT, SCP = "ou", "account", "root", "scp"
ORGANIZATIONS_KINDS = (OU, ACCOUNT, ROOT, SCP)
