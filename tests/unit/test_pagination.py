"""Pagination everywhere: no IAM or Organizations read that AWS pages is called for one page only,
except where an AWS quota keeps the whole answer under one page (each exception says which).

Every call ``x.list_...(...)`` (or any operation botocore has a paginator for) in awsroles/ is
found with ``ast``; the sandbox server, which is moto's side of the wire, is left out."""

from __future__ import annotations

import ast
import functools

import botocore.session
from botocore import xform_name

from tests.conftest import REPO

# (module, method) -> why one page is the whole answer. IAM lists 100 items a page by default
# (MaxItems), and these quotas (IAM User Guide, "IAM and AWS STS quotas") are far below that.
ONE_PAGE = {
    ("awsroles/sync/apply.py", "list_access_keys"): "2 access keys per user",
    ("awsroles/sync/apply.py", "list_mfa_devices"): "8 MFA devices per user",
    ("awsroles/sync/apply.py", "list_signing_certificates"): "2 signing certificates per user",
    ("awsroles/sync/apply.py", "list_ssh_public_keys"): "5 SSH public keys per user",
    ("awsroles/creds/setup.py", "list_mfa_devices"): "8 MFA devices per user",
    ("awsroles/importer/reads.py", "list_account_aliases"): "1 alias per account",
    ("awsroles/people/users.py", "list_groups_for_user"): "10 groups per user",
    ("awsroles/people/users.py", "list_signing_certificates"): "2 signing certificates per user",
    ("awsroles/people/users.py", "list_ssh_public_keys"): "5 SSH public keys per user",
    ("awsroles/people/users.py", "get_group"): "MaxItems=1: whether the group exists, not its members",
    ("awsroles/people/mfa.py", "list_mfa_devices"): "8 MFA devices per user",
    ("awsroles/people/listing.py", "list_access_keys"): "2 access keys per user",
    ("awsroles/people/listing.py", "list_mfa_devices"): "8 MFA devices per user",
    ("awsroles/people/listing.py", "list_groups_for_user"): "10 groups per user",
    ("awsroles/people/suspend.py", "list_access_keys"): "2 access keys per user",
    ("awsroles/people/suspend.py", "list_user_tags"): "50 tags per user",
    ("awsroles/people/keys.py", "list_access_keys"): "2 access keys per user",
    ("awsroles/sandbox/seed.py", "list_users"): "not a read: a probe that unknown keys are refused",
    ("awsroles/sync/alarm_state.py", "list_tags_for_resource"): "EventBridge's and SNS's ListTagsForResource, "
                                                                "which have no pages (at most 50 tags)",
    ("awsroles/budgets/state.py", "list_tags_for_resource"): "Budgets' ListTagsForResource, which has no pages "
                                                             "(the name is also an Organizations read)",
}


def paginated() -> set[str]:
    session = botocore.session.get_session()
    return {xform_name(name) for service in ("iam", "organizations")
            for name in session.get_paginator_model(service)._paginator_config}


@functools.cache
def single_page_calls() -> frozenset[tuple[str, str]]:
    names = paginated()
    found = set()
    for path in sorted((REPO / "awsroles").rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        text = path.read_text(encoding="utf-8")
        if relative.startswith("awsroles/sandbox/server/") or not any(f".{name}(" in text for name in names):
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names:
                found.add((relative, node.func.attr))
    return frozenset(found)


def test_every_paged_read_is_read_to_its_last_page_or_fits_one_by_quota() -> None:
    unexplained = single_page_calls() - set(ONE_PAGE)
    assert not unexplained, ("read every page (awsroles.accounts.reads.pages, or the client's paginator), or say "
                             f"which AWS quota keeps the answer on one page: {sorted(unexplained)}")


def test_every_exception_is_still_there() -> None:
    assert set(ONE_PAGE) <= single_page_calls(), "remove the exceptions for calls that are gone"
