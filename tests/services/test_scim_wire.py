"""The stsdesk backend's SCIM requests: filters that cannot be escaped, PATCHes of what changed."""

from __future__ import annotations

import json

from stsdesk.services.admin.models import Email, Role, User, UserDraft
from stsdesk.services.admin.stsdesk_scim import (
    new_user_body,
    role_patch_operations,
    user_name_filter,
    user_patch_operations,
)


def test_user_name_filter_quotes_what_was_typed() -> None:
    assert user_name_filter("  ") is None
    assert user_name_filter("bj") == 'userName sw "bj"'
    hostile = 'x" or userName pr or userName eq "\\'
    built = user_name_filter(hostile)
    # The whole text is one JSON string after "sw": it decodes back to exactly what was typed.
    assert built is not None and built.startswith("userName sw ")
    assert json.loads(built[len("userName sw "):]) == hostile


def test_requests_carry_only_what_changed() -> None:
    current = User(id="u1", user_name="bj", given_name="Barbara", email="old@example.com",
                   emails=(Email("old@example.com", "work", primary=True),
                           Email("home@example.org", "home")),
                   roles=(("g1", "ops"),))
    wanted = UserDraft(user_name="bj", given_name="", email="new@example.com", active=True)
    ops = user_patch_operations(current, wanted)
    assert {"op": "remove", "path": "name.givenName"} in ops
    emails = next(op for op in ops if op["path"] == "emails")["value"]
    # The primary changes; the home address the dialog does not show stays.
    assert emails == [{"value": "new@example.com", "primary": True, "type": "work"},
                      {"value": "home@example.org", "type": "home"}]
    assert not any(op["path"] in ("userName", "password", "active") for op in ops)
    unchanged = UserDraft(user_name="bj", given_name="Barbara", email="old@example.com")
    assert user_patch_operations(current, unchanged) == []
    body = new_user_body(UserDraft(user_name="n", password="p" * 8, email="n@example.com"))
    assert body["emails"] == [{"value": "n@example.com", "primary": True}]
    assert "name" not in body and "displayName" not in body
    assert "p" * 8 not in repr(UserDraft("n", "p" * 8))  # a draft never shows its password


def test_a_role_change_is_one_patch_of_differences() -> None:
    role = Role(id="g", name="ops", members=(("u1", "a"), ("u2", "b")))
    assert role_patch_operations(role, "ops2", {"u2", "u3"}) == [
        {"op": "replace", "path": "displayName", "value": "ops2"},
        {"op": "add", "path": "members", "value": [{"value": "u3"}]},
        {"op": "remove", "path": 'members[value eq "u1"]'},
    ]
    assert role_patch_operations(role, "ops", {"u1", "u2"}) == []


def test_a_user_without_a_password_is_said_so_and_wso2_users_have_one() -> None:
    from stsdesk.services.admin.stsdesk_scim import _user

    assert not _user({"id": "1", "userName": "p",
                      "urn:scim:wso2:schema": {"passwordSet": False}}).password_set
    assert _user({"id": "2", "userName": "w"}).password_set
