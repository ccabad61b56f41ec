"""UpdateGroup moves a group to ``NewPath`` as IAM does, with or without a new name.

moto 5 applies ``NewPath`` only together with ``NewGroupName`` and otherwise leaves the group where
it was, answering success. IAM moves it: "Updates the name and/or the path of the specified IAM
group" (https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateGroup.html), keeping its
members and policies (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_groups_manage_rename.html).
awsroles moves a hand-made team's group to the org's path this way (``[team] move_from``), and so does
the Terraform export, whose AWS provider sends the group's own name as ``NewGroupName`` with the new
path: IAM takes that as a move (moto refused it: "Group ... already exists").

UpdateUser moves a user, and moto keeps a user's tags by its ARN, which the move changes: the user
loses its tags. In IAM a moved user is the same user (the same unique id), tags and all: awsroles'
``managed-by`` mark, which it puts on before the move, stays. Installed by the sandbox server
(:func:`awsroles.sandbox.server.main.install_workarounds`) and by the in-process library tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def patch_group_moves() -> Callable[[], None]:
    """UpdateGroup with only ``NewPath`` moves the group (NoSuchEntity for a missing one first);
    UpdateUser keeps the user's tags."""
    from moto.iam import models

    original = models.IAMBackend.update_group
    original_user = models.IAMBackend.update_user

    def update_user(self: Any, user_name: str, new_path: str | None = None,
                    new_user_name: str | None = None) -> None:
        user = self.get_user(user_name)
        before = user.arn
        tags = self.tagger.list_tags_for_resource(before)["Tags"]
        original_user(self, user_name, new_path, new_user_name)
        if user.arn != before:
            self.tagger.delete_all_tags_for_resource(before)
            if tags:
                self.tagger.tag_resource(user.arn, tags)

    def update_group(self: Any, group_name: str, new_group_name: str | None, new_path: str | None) -> None:
        if new_group_name == group_name:  # what Terraform's AWS provider sends to change only the path
            new_group_name = None
        if new_path and not new_group_name:
            self.get_group(group_name).path = new_path
            return
        original(self, group_name, new_group_name, new_path)

    setattr(models.IAMBackend, "update_group", update_group)  # noqa: B010  (a patch)
    setattr(models.IAMBackend, "update_user", update_user)  # noqa: B010

    def undo() -> None:
        setattr(models.IAMBackend, "update_group", original)  # noqa: B010
        setattr(models.IAMBackend, "update_user", original_user)  # noqa: B010

    return undo
