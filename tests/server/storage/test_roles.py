"""Roles and their members, and the admin role that always keeps an active member."""

from __future__ import annotations

import pytest

from stsdesk.server.errors import ConflictError, NotFoundError, ValidationError
from stsdesk.server.storage.roles import ADMIN_ROLE, ProtectedRoleError
from stsdesk.server.storage.store import Store

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


# --------------------------------------------------------------------------------- users & roles


def test_roles(store: Store) -> None:
    store.roles.create("ops")
    store.roles.create("admin")
    with pytest.raises(ConflictError):
        store.roles.create("ops")
    assert store.roles.names() == ["admin", "ops"]
    store.users.create("bob", "pw", roles=["ops"])
    store.roles.delete("ops")
    assert store.users.get("bob").roles == ()
    with pytest.raises(NotFoundError):
        store.roles.delete("ops")


def test_roles_by_id_with_members(store: Store) -> None:
    alice = store.users.create("alice", "pw")
    bob = store.users.create("bob", "pw")
    role_id = store.roles.create("ops", member_ids=[bob, alice])
    role = store.roles.get(role_id)
    assert role.name == "ops" and role.members == ((alice, "alice"), (bob, "bob"))
    assert store.roles.ids_by_name() == {"ops": role_id}
    assert store.users.get("alice").roles == ("ops",)
    carol = store.users.create("carol", "pw")
    role = store.roles.update(role_id, add_member_ids=[carol], remove_member_ids=[alice])
    assert [name for _, name in role.members] == ["bob", "carol"]
    assert role.modified_at is not None
    role = store.roles.update(role_id, name="operators", member_ids=[alice])
    assert (role.name, role.members) == ("operators", ((alice, "alice"),))
    assert store.roles.list_all() == [role]
    with pytest.raises(ValidationError, match="no-such-user"):
        store.roles.update(role_id, add_member_ids=["no-such-user"])
    with pytest.raises(ValidationError):
        store.roles.create("x", member_ids=["no-such-user"])
    assert "x" not in store.roles.names()
    store.roles.create("taken")
    with pytest.raises(ConflictError):
        store.roles.update(role_id, name="taken")
    assert store.roles.delete_by_id(role_id) == "operators"
    assert store.roles.get(role_id) is None
    assert store.users.get("alice").roles == ()
    for call in (lambda: store.roles.update(role_id, name="y"),
                 lambda: store.roles.delete_by_id(role_id)):
        with pytest.raises(NotFoundError):
            call()


def test_the_admin_role_keeps_an_active_member(store: Store) -> None:
    admin_role = store.roles.create(ADMIN_ROLE)
    first = store.users.create("first", "pw", roles=[ADMIN_ROLE])
    for call in (
        lambda: store.users.update(first, active=False),
        lambda: store.users.delete_by_id(first),
        lambda: store.roles.update(admin_role, remove_member_ids=[first]),
        lambda: store.roles.update(admin_role, member_ids=[]),
        lambda: store.roles.update(admin_role, name="root"),
        lambda: store.roles.delete_by_id(admin_role),
    ):
        with pytest.raises(ProtectedRoleError):
            call()
    assert store.users.get("first").active and store.users.get("first").roles == (ADMIN_ROLE,)
    # An inactive second member does not count; an active one does.
    second = store.users.create("second", "pw", roles=[ADMIN_ROLE], active=False)
    with pytest.raises(ProtectedRoleError):
        store.roles.update(admin_role, remove_member_ids=[first])
    store.users.update(second, active=True)
    store.roles.update(admin_role, remove_member_ids=[first])
    assert store.users.delete_by_id(first) == "first"
    with pytest.raises(ProtectedRoleError):
        store.users.update(second, active=False)
