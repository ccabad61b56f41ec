"""IAM Identity Center's Identity Store (``identitystore``) as AWS answers it, where moto 5.2 differs.

moto keeps users, groups and memberships of any ``IdentityStoreId`` it is given (making a store
on first use), has no UpdateUser or UpdateGroup, lets a user into a group twice, leaves a deleted
group's or user's memberships behind, and answers deleting what does not exist with success. The
sandbox, after the Identity Store API Reference
(https://docs.aws.amazon.com/singlesignon/latest/IdentityStoreAPIReference/, ``API_<Action>.html``):

- an ``IdentityStoreId`` is the one of the caller's Identity Center instance in that region (what
  sso-admin ListInstances answers; :mod:`.identity_center`), else ResourceNotFoundException
  (ResourceType IDENTITY_STORE); a member account of an organization has no instance, so no store;
- what is not set is left out of DescribeUser, ListUsers and the other answers (moto sent null);
- CreateUser: ``UserName`` 1 to 128 characters, not ``Administrator`` or ``AWSAdministrators``
  (reserved, "CreateUser"), unique in the store (ConflictException, Reason
  UNIQUENESS_CONSTRAINT_VIOLATION; User Guide, "Users, groups, and provisioning": "all user
  names ... unique"), compared without case: the sandbox's reading, as sign-in names are, which
  the API reference does not spell out; ``DisplayName`` and ``Name`` with ``GivenName`` and
  ``FamilyName`` are required "when used in IAM Identity Center" (moto checks these); at most one
  e-mail address ("Array Members: Fixed number of 1 item");
- CreateGroup: ``DisplayName`` required and unique in the store (ConflictException, moto);
- UpdateUser / UpdateGroup: 1 to 100 ``Operations``, each an ``AttributePath`` (``displayName``,
  ``name.givenName``, ``emails`` ...: the User and Group data types' attributes; the sandbox
  compares paths without case) and an ``AttributeValue``; leaving the value out removes the
  attribute. An unknown attribute, removing a required one, or renaming onto a name taken is
  ValidationException or ConflictException as on create; a user or group that does not exist is
  ResourceNotFoundException;
- CreateGroupMembership of a user already in the group: ConflictException;
- DeleteGroup and DeleteUser remove the group's or user's memberships; deleting a user, group or
  membership that does not exist is ResourceNotFoundException.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

RESERVED_NAMES = frozenset({"administrator", "awsadministrators"})
MAX_USER_NAME = 128
MAX_OPERATIONS = 100
USER_FIELDS = {"username": "UserName", "displayname": "DisplayName", "nickname": "NickName",
               "profileurl": "ProfileUrl", "emails": "Emails", "addresses": "Addresses",
               "phonenumbers": "PhoneNumbers", "usertype": "UserType", "title": "Title",
               "preferredlanguage": "PreferredLanguage", "locale": "Locale", "timezone": "Timezone"}
NAME_FIELDS = {"formatted": "Formatted", "familyname": "FamilyName", "givenname": "GivenName",
               "middlename": "MiddleName", "honorificprefix": "HonorificPrefix",
               "honorificsuffix": "HonorificSuffix"}
GROUP_FIELDS = {"displayname": "DisplayName", "description": "Description"}


def error(code: str, message: str, **extra: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    exc = JsonRESTError(code, message)
    exc.code = 400
    if extra:
        exc.description = json.dumps({"__type": code, "Message": message, "message": message, **extra})
    return exc


def not_found(kind: str, message: str | None = None) -> Exception:
    return error("ResourceNotFoundException", message or f"{kind} not found.", ResourceType=kind)


def conflict(message: str) -> Exception:
    return error("ConflictException", message, Reason="UNIQUENESS_CONSTRAINT_VIOLATION")


def store_of(response: Any) -> Any:
    """The request's identity store, if it is the caller's instance's."""
    from moto.ssoadmin.models import ssoadmin_backends

    from awsroles.sandbox.server.identity_center import instances_of

    store_id = str(response._get_param("IdentityStoreId") or "")
    instances = instances_of(ssoadmin_backends[response.current_account][response.region], response.current_account)
    if store_id not in {i.identity_store_id for i in instances}:
        raise not_found("IDENTITY_STORE", f"Identity store {store_id} does not exist")
    backend = response.identitystore_backend
    return backend._IdentityStoreBackend__get_identity_store(store_id)


def check_user(store: Any, user_name: str, user_id: str | None = None) -> None:
    if not 1 <= len(user_name) <= MAX_USER_NAME:
        raise error("ValidationException", f"UserName must have length between 1 and {MAX_USER_NAME}")
    if user_name.lower() in RESERVED_NAMES:
        raise error("ValidationException", f"{user_name} is a reserved name and can't be used for users or groups")
    if any(u.UserName.lower() == user_name.lower() and u.UserId != user_id for u in list(store.users.values())):
        raise conflict("Duplicate UserName")


def check_group(store: Any, display_name: str, group_id: str | None = None) -> None:
    if not display_name:
        raise error("ValidationException", "displayName is a required attribute")
    if any(g.DisplayName == display_name and g.GroupId != group_id for g in list(store.groups.values())):
        raise conflict("Duplicate GroupDisplayName")


def _operations(response: Any) -> list[tuple[list[str], Any]]:
    operations = response._get_param("Operations") or []
    if not 1 <= len(operations) <= MAX_OPERATIONS:
        raise error("ValidationException", f"Operations must have between 1 and {MAX_OPERATIONS} items")
    return [(str(o.get("AttributePath") or "").lower().split("."), o.get("AttributeValue")) for o in operations]


def updated_user(user: Any, response: Any) -> Any:
    from moto.identitystore.models import Name

    fields = user._asdict()
    name = dict(user.Name._asdict()) if user.Name else {}
    for path, value in _operations(response):
        if len(path) == 1 and path[0] in USER_FIELDS:
            fields[USER_FIELDS[path[0]]] = value
        elif path == ["name"]:
            name = dict(value or {})
        elif len(path) == 2 and path[0] == "name" and path[1] in NAME_FIELDS:
            name[NAME_FIELDS[path[1]]] = value
        else:
            raise error("ValidationException", f"Invalid attribute path {'.'.join(path)}")
    missing = [a for a, v in (("userName", fields["UserName"]), ("displayName", fields["DisplayName"]),
                              ("name.givenName", name.get("GivenName")),
                              ("name.familyName", name.get("FamilyName"))) if not v]
    if missing:
        raise error("ValidationException", ", ".join(f"{a}: The attribute {a} is required" for a in missing))
    fields["Name"] = Name.from_dict(name)
    return type(user)(**fields)


def updated_group(group: Any, response: Any) -> Any:
    fields = group._asdict()
    for path, value in _operations(response):
        if len(path) != 1 or path[0] not in GROUP_FIELDS:
            raise error("ValidationException", f"Invalid attribute path {'.'.join(path)}")
        fields[GROUP_FIELDS[path[0]]] = value
    return type(group)(**fields)


def without_nulls(value: Any) -> Any:
    """An answer without the members moto sends as null: AWS leaves out what is not set."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def patch_identity_store() -> Callable[[], None]:
    """Teach moto's identitystore the operations and rules above; returns a function that undoes it."""
    from moto.identitystore.responses import IdentityStoreResponse

    originals = {name: getattr(IdentityStoreResponse, name) for name in (
        "create_user", "create_group", "create_group_membership", "delete_user", "delete_group",
        "delete_group_membership", "describe_user", "describe_group", "describe_group_membership", "get_user_id",
        "get_group_id", "get_group_membership_id", "list_users", "list_groups", "list_group_memberships",
        "list_group_memberships_for_member", "is_member_in_groups")}

    def create_user(self: Any) -> Any:
        store = store_of(self)
        check_user(store, str(self._get_param("UserName") or ""))
        if len(self._get_param("Emails") or []) > 1:
            raise error("ValidationException", "A user can have at most one e-mail address")
        return originals["create_user"](self)

    def create_group(self: Any) -> Any:
        check_group(store_of(self), str(self._get_param("DisplayName") or ""))
        return originals["create_group"](self)

    def update_user(self: Any) -> str:
        store = store_of(self)
        user_id = self._get_param("UserId")
        user = store.users.get(user_id)
        if user is None:
            raise not_found("USER")
        new = updated_user(user, self)
        check_user(store, str(new.UserName or ""), user_id)
        store.users[user_id] = new
        return "{}"

    def update_group(self: Any) -> str:
        store = store_of(self)
        group_id = self._get_param("GroupId")
        group = store.groups.get(group_id)
        if group is None:
            raise not_found("GROUP")
        new = updated_group(group, self)
        check_group(store, str(new.DisplayName or ""), group_id)
        store.groups[group_id] = new
        return "{}"

    def create_group_membership(self: Any) -> Any:
        store = store_of(self)
        group_id, user_id = self._get_param("GroupId"), (self._get_param("MemberId") or {}).get("UserId")
        if any(m["GroupId"] == group_id and m["MemberId"].get("UserId") == user_id
               for m in list(store.group_memberships.values())):
            raise conflict("Member is already in the group")
        return originals["create_group_membership"](self)

    def deleting(kind: str, key: str, member_key: str) -> Callable[[Any], str]:
        def delete(self: Any) -> str:
            store = store_of(self)
            wanted = self._get_param(key)
            kept = store.users if kind == "USER" else store.groups
            if wanted not in kept:
                raise not_found(kind)
            del kept[wanted]
            for membership_id, m in list(store.group_memberships.items()):
                if (m["MemberId"].get("UserId") if member_key == "UserId" else m["GroupId"]) == wanted:
                    del store.group_memberships[membership_id]
            return "{}"

        return delete

    def delete_group_membership(self: Any) -> str:
        store = store_of(self)
        if store.group_memberships.pop(self._get_param("MembershipId"), None) is None:
            raise not_found("GROUP_MEMBERSHIP")
        return "{}"

    def checked(name: str) -> Callable[[Any], Any]:
        original = originals[name]

        def call(self: Any) -> Any:
            store_of(self)
            return json.dumps(without_nulls(json.loads(original(self))))

        return call

    methods: dict[str, Callable[[Any], Any]] = {name: checked(name) for name in originals}
    methods.update(create_user=create_user, create_group=create_group, update_user=update_user,
                   update_group=update_group, create_group_membership=create_group_membership,
                   delete_user=deleting("USER", "UserId", "UserId"),
                   delete_group=deleting("GROUP", "GroupId", "GroupId"),
                   delete_group_membership=delete_group_membership)
    saved = {name: IdentityStoreResponse.__dict__.get(name) for name in methods}
    for name, method in methods.items():
        setattr(IdentityStoreResponse, name, method)

    def undo() -> None:
        for name, original in saved.items():
            if original is None:
                delattr(IdentityStoreResponse, name)
            else:
                setattr(IdentityStoreResponse, name, original)

    return undo
