"""Run the SCP calls of a plan (:data:`awsroles.sync.scps.SCP_CALLS`) with an Organizations client.

SCPs are named in a plan (a new one has no id yet): the runner finds them by name with one
paginated ``ListPolicies`` (kept, and updated as it creates). Whatever a plan says (saved, then
edited), it changes, detaches or deletes only an SCP whose name starts with ``awsroles-`` and that
carries ``managed-by = awsroles`` (checked when the call runs), and tags (adopts) only SCPs at that
prefix: never ``FullAWSAccess`` nor any policy AWS manages. Repeats are harmless: enabling what is
enabled, creating what exists (if it is awsroles'), attaching what is attached, detaching what is
not attached and deleting what is gone are no-ops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from awsroles.accounts.reads import pages, tags_of
from awsroles.accounts.scps import SCP_TYPE
from awsroles.errors import AwsrolesError, aws_error_code
from awsroles.org.entries import SCP_OU, SCP_ROOT
from awsroles.org.marks import MANAGED_BY_TAG, SCP_PREFIX
from awsroles.sync.scps import (
    ATTACH_SCP,
    CREATE_SCP,
    DELETE_SCP,
    DETACH_SCP,
    ENABLE_SCPS,
    TAG_SCP,
    UPDATE_SCP,
)


class NotOurs(AwsrolesError):
    """A plan asked to change an SCP awsroles does not own."""


class ScpRunner:
    """``ou_id(path)`` and ``root_id()`` find targets (the OU runner's, which knows OUs made by this apply)."""

    def __init__(self, orgs: Any, ou_id: Callable[[str], str], root_id: Callable[[], str]) -> None:
        self.orgs, self.ou_id, self.root_id = orgs, ou_id, root_id
        self._ids: dict[str, dict[str, Any]] | None = None  # name -> policy summary

    def _policies(self) -> dict[str, dict[str, Any]]:
        if self._ids is None:
            self._ids = {}
            for summary in pages(self.orgs, "list_policies", "Policies", Filter=SCP_TYPE)[0]:
                self._ids[summary["Name"]] = summary
        return self._ids

    def _policy(self, name: str, *, owned: bool = True) -> str:
        """The id of the SCP ``name``; refuses one that is not awsroles' (``owned``) or not at its prefix."""
        summary = self._policies().get(name)
        if summary is None:
            raise AwsrolesError(f"no SCP {name} in the organization (its change did not run?)")
        if summary.get("AwsManaged") or not name.startswith(SCP_PREFIX):
            raise NotOurs(f"refusing to change the SCP {name}: awsroles changes only its own SCPs")
        if owned:
            tags, _calls = tags_of(self.orgs, summary["Id"])
            if tags.get(MANAGED_BY_TAG[0]) != MANAGED_BY_TAG[1]:
                raise NotOurs(f"refusing to change the SCP {name}: it has no managed-by = awsroles tag "
                              "(adopt it with `awsroles apply --adopt`)")
        return str(summary["Id"])

    def _target(self, spec: dict[str, str]) -> str:
        if spec["Kind"] == SCP_ROOT:
            return self.root_id()
        if spec["Kind"] == SCP_OU:
            return self.ou_id(spec["Path"])
        return spec["AccountId"]

    def _quietly(self, benign: str, call: Callable[..., Any], **params: Any) -> None:
        try:
            call(**params)
        except Exception as exc:
            if aws_error_code(exc) != benign:
                raise

    def run(self, method: str, params: dict[str, Any]) -> None:
        if method == ENABLE_SCPS:
            self._quietly("PolicyTypeAlreadyEnabledException", self.orgs.enable_policy_type, RootId=self.root_id(),
                          PolicyType=params["PolicyType"])
        elif method == CREATE_SCP:
            if params["Name"] in self._policies():
                self._policy(params["Name"])  # a repeat: it must be ours
                return
            made = self.orgs.create_policy(Type=SCP_TYPE, **params)["Policy"]["PolicySummary"]
            self._policies()[params["Name"]] = made
        elif method == UPDATE_SCP:
            self.orgs.update_policy(PolicyId=self._policy(params["Name"]), Content=params["Content"])
        elif method == TAG_SCP:
            self.orgs.tag_resource(ResourceId=self._policy(params["Name"], owned=False), Tags=params["Tags"])
        elif method == ATTACH_SCP:
            self._quietly("DuplicatePolicyAttachmentException", self.orgs.attach_policy,
                          PolicyId=self._policy(params["Name"]), TargetId=self._target(params["Target"]))
        elif method == DETACH_SCP:
            self._quietly("PolicyNotAttachedException", self.orgs.detach_policy,
                          PolicyId=self._policy(params["Name"]), TargetId=params["TargetId"])
        elif method == DELETE_SCP:
            if params["Name"] not in self._policies():
                return
            self._quietly("PolicyNotFoundException", self.orgs.delete_policy, PolicyId=self._policy(params["Name"]))
            self._policies().pop(params["Name"], None)
        else:
            raise ValueError(f"not an SCP call: {method!r}")
