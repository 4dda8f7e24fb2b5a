"""The Users and roles page, the user dialog and the role dialog, driven as a person would
against a live server; the server's state is checked behind the GUI's back."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from stsdesk.services.admin import open_admin_api
from stsdesk.services.admin.stsdesk_scim import USER_ATTRIBUTES
from stsdesk.services.admin_client import AdminClient, ServerEndpoint
from stsdesk.services.errors import AdminApiError
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.dialogs import confirm
from stsdesk.ui.dialogs.role import role_name_problem
from stsdesk.ui.dialogs.user import (
    UserDialog,
    UserForm,
    email_problem,
    password_problems,
    user_draft,
    user_name_problem,
)
from stsdesk.ui.models.users import (
    NO_PASSWORD,
    ROW_ROLE,
    SORT_ROLE,
    RoleRow,
    RolesTableModel,
    UserRow,
    UsersTableModel,
)
from stsdesk.ui.tasks import TaskRunner
from tests.ui.conftest import screenshot as save_png

WSO2_SCHEMA = "urn:scim:wso2:schema"

LEFT = Qt.MouseButton.LeftButton
PAGE = "Users and roles"
PASSWORD = "Correct-horse-9"


def screenshot(widget, name: str) -> None:
    # Let pending layout requests run first, so that the picture shows the settled layout.
    QApplication.processEvents()
    QApplication.processEvents()
    save_png(widget, name)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_user(admin_client, name: str, **extra) -> dict:
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
            "password": PASSWORD, **extra}
    return admin_client.scim("POST", "/Users", body)


def create_role(admin_client, name: str, member_ids=()) -> dict:
    return admin_client.scim("POST", "/Groups", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name,
        "members": [{"value": i} for i in member_ids]})


def find_user(admin_client, name: str) -> dict | None:
    answer = admin_client.scim("GET", "/Users", None, filter=f"userName eq {json.dumps(name)}")
    found = answer["Resources"]
    return found[0] if found else None


def find_role(admin_client, name: str) -> dict | None:
    answer = admin_client.scim("GET", "/Groups", None,
                               filter=f"displayName eq {json.dumps(name)}")
    found = answer["Resources"]
    return found[0] if found else None


def open_page(qtbot, window):
    page = window.page(PAGE)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        window.show_page(PAGE)
    return page


def filter_users(qtbot, page, text: str) -> None:
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        if page.filter_edit.text() == text:
            page.refresh()
        else:
            page.filter_edit.clear()
            qtbot.keyClicks(page.filter_edit, text)


def select_user(qtbot, page, name: str) -> UserRow:
    filter_users(qtbot, page, name)
    for row in range(page.users_proxy.rowCount()):
        index = page.users_proxy.index(row, 0)
        if index.data(ROW_ROLE).user_name == name:
            rect = page.users_table.visualRect(index)
            qtbot.mouseClick(page.users_table.viewport(), LEFT, pos=rect.center())
            break
    qtbot.waitUntil(lambda: page.selected_user() is not None
                    and page.selected_user().user_name == name, timeout=2000)
    return page.selected_user()


def select_role(qtbot, page, name: str) -> RoleRow:
    page.tabs.setCurrentIndex(1)
    for row in range(page.roles_proxy.rowCount()):
        index = page.roles_proxy.index(row, 0)
        if index.data(ROW_ROLE).name == name:
            rect = page.roles_table.visualRect(index)
            qtbot.mouseClick(page.roles_table.viewport(), LEFT, pos=rect.center())
            break
    qtbot.waitUntil(lambda: page.selected_role() is not None
                    and page.selected_role().name == name, timeout=2000)
    return page.selected_role()


def focus(qtbot, widget) -> None:
    # Keyboard shortcuts go to the focused widget of the active window, as for a person.
    widget.window().activateWindow()
    qtbot.waitUntil(widget.window().isActiveWindow, timeout=5000)
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=5000)


def activated(qtbot, dialog):
    # A person's keystrokes go to the active window; make sure that is the dialog.
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    return dialog


def wait_user_dialog(qtbot, page) -> UserDialog:
    qtbot.waitUntil(lambda: page.user_dialog is not None and page.user_dialog.isVisible(),
                    timeout=5000)
    return activated(qtbot, page.user_dialog)


def wait_role_dialog(qtbot, page):
    qtbot.waitUntil(lambda: page.role_dialog is not None and page.role_dialog.isVisible(),
                    timeout=5000)
    return activated(qtbot, page.role_dialog)


def account(admin_client, user_id: str) -> dict:
    """The user's account state as the server keeps it (asked for by name)."""
    return admin_client.scim("GET", f"/Users/{user_id}", attributes=USER_ATTRIBUTES)[WSO2_SCHEMA]


def type_passwords(qtbot, dialog, first: str, second: str | None = None) -> None:
    qtbot.keyClicks(dialog.password_edit, first)
    qtbot.keyClicks(dialog.confirm_edit, first if second is None else second)


# ------------------------------------------------------------------------------------ pure parts


def test_validation_rules() -> None:
    assert user_name_problem("") is not None
    assert user_name_problem("two words") is not None
    assert user_name_problem("a:b") is not None
    assert user_name_problem("bjensen") is None
    assert password_problems("", "", required=True)[0] is not None
    assert password_problems("", "", required=False) == (None, None)
    assert password_problems("short", "short", required=False)[0] is not None
    assert password_problems("long-enough", "long-enougH", required=True) == (
        None, "The passwords do not match; type it again.")
    assert email_problem("") is None
    assert email_problem("bjensen@example.com") is None
    for bad in ("bjensen", "bj@example", "b j@example.com", "a@b@c.org"):
        assert email_problem(bad) is not None, bad
    assert role_name_problem("PRIMARY/ops") is not None
    assert role_name_problem("ops") is None


def test_a_form_becomes_a_draft_without_its_roles_and_an_empty_password_is_no_change() -> None:
    form = UserForm(user_name="bj", password="", given_name="Barbara", email="b@example.com",
                    role_ids=frozenset({"g1"}))
    draft = user_draft(form)
    assert draft.password is None  # unchanged, not "set it to empty"
    assert (draft.user_name, draft.given_name, draft.email) == ("bj", "Barbara", "b@example.com")
    assert user_draft(replace(form, password="Correct-horse-9")).password == "Correct-horse-9"


def test_table_models(qapp, qtmodeltester) -> None:
    users = UsersTableModel()
    locked = UserRow(id="1", user_name="zed", email="z@example.com", roles=(("g", "ops"),),
                     locked=True, failed_attempts=5)
    users.set_rows([locked, UserRow(id="2", user_name="amy", active=False, password_set=False)])
    qtmodeltester.check(users)
    assert users.index(0, UsersTableModel.PASSWORD).data() == ""
    assert users.index(1, UsersTableModel.PASSWORD).data() == NO_PASSWORD
    assert "cannot sign in" in users.index(1, UsersTableModel.PASSWORD).data(
        Qt.ItemDataRole.ToolTipRole)
    index = users.index(0, UsersTableModel.LOCKED)
    assert index.data() == "Locked"
    assert index.data(Qt.ItemDataRole.DecorationRole) is not None
    assert users.index(1, UsersTableModel.LOCKED).data(Qt.ItemDataRole.DecorationRole) is None
    assert users.index(1, UsersTableModel.ACTIVE).data() == "No"
    assert users.index(0, UsersTableModel.ROLES).data() == "ops"
    assert users.index(0, 0).data(ROW_ROLE) is locked
    assert users.index(0, 0).data(SORT_ROLE) == "zed"
    roles = RolesTableModel()
    roles.set_rows([RoleRow(id="g", name="ops", members=(("1", "zed"),)),
                    RoleRow(id="h", name="empty")])
    qtmodeltester.check(roles)
    assert roles.index(0, RolesTableModel.MEMBERS).data() == "zed"
    assert roles.index(1, RolesTableModel.MEMBERS).data() == "no members"


# ------------------------------------------------------------------------------------ users


def test_add_user_with_claims_and_a_role(qtbot, window, admin_client) -> None:
    role_name = unique("auditors")
    role = create_role(admin_client, role_name)
    name = unique("bjensen")
    page = open_page(qtbot, window)
    focus(qtbot, page.users_table)
    qtbot.keyClick(page.users_table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = wait_user_dialog(qtbot, page)
    assert dialog.windowTitle() == "Add New User"
    qtbot.keyClicks(dialog.user_name_edit, name)
    type_passwords(qtbot, dialog, PASSWORD)
    qtbot.keyClicks(dialog.given_name_edit, "Barbara")
    qtbot.keyClicks(dialog.family_name_edit, "Jensen")
    qtbot.keyClicks(dialog.display_name_edit, "Babs Jensen")
    qtbot.keyClicks(dialog.email_edit, "bjensen@example")
    assert dialog.email_error.isVisibleTo(dialog)  # validated as you type
    qtbot.keyClicks(dialog.email_edit, ".com")
    assert not dialog.email_error.isVisibleTo(dialog)
    dialog.set_role_checked(role_name)
    screenshot(dialog, "user-dialog")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.save_button, LEFT)
    assert page.user_dialog is None

    stored = find_user(admin_client, name)
    assert stored is not None
    assert stored["name"] == {"givenName": "Barbara", "familyName": "Jensen"}
    assert stored["displayName"] == "Babs Jensen"
    assert stored["emails"][0]["value"] == "bjensen@example.com"
    assert stored["active"] is True
    assert [g["display"] for g in stored["groups"]] == [role_name]
    members = admin_client.scim("GET", f"/Groups/{role['id']}")["members"]
    assert [m["value"] for m in members] == [stored["id"]]
    # The new user can sign in with the password typed (checked through the admin API's auth:
    # a 403 for a non-admin means the password was right).
    as_user = AdminClient(replace(admin_client.endpoint, username=name, password=PASSWORD))
    with pytest.raises(AdminApiError) as refused:
        as_user.get("/configs")
    as_user.close()
    assert refused.value.status == 403
    selected = page.selected_user()
    assert selected is not None and selected.user_name == name
    assert "saved" in page.banner.text


def test_password_mismatch_is_an_inline_error_and_nothing_is_sent(qtbot, window, admin_client,
                                                                  monkeypatch) -> None:
    name = unique("mismatch")
    page = open_page(qtbot, window)
    qtbot.mouseClick(page.add_user_button, LEFT)
    dialog = wait_user_dialog(qtbot, page)
    qtbot.keyClicks(dialog.user_name_edit, name)
    type_passwords(qtbot, dialog, "Abcdefgh-1", "Abcdefgh-2")
    assert dialog.confirm_error.isVisibleTo(dialog)  # said while typing
    calls = []
    original_call = window.connection.call
    monkeypatch.setattr(window.connection, "call",
                        lambda *a, **k: (calls.append(a), original_call(*a, **k)))
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.keyClick(dialog.confirm_edit, Qt.Key.Key_Return)  # Enter submits: still refused
    QApplication.processEvents()
    monkeypatch.undo()
    assert calls == []
    assert dialog.isVisible()
    assert dialog.confirm_error.text() == "The passwords do not match; type it again."
    assert dialog.confirm_edit.hasFocus()
    screenshot(dialog, "user-dialog-mismatch")
    assert find_user(admin_client, name) is None
    # A password that is too short is refused the same way.
    dialog.password_edit.clear()
    dialog.confirm_edit.clear()
    type_passwords(qtbot, dialog, "short")
    qtbot.mouseClick(dialog.save_button, LEFT)
    assert "at least 8 characters" in dialog.password_error.text()
    assert find_user(admin_client, name) is None
    assert page.has_unsaved_changes()  # the main window asks before leaving the page
    dialog.reject()
    qtbot.waitUntil(lambda: page.user_dialog is None, timeout=2000)
    assert not page.has_unsaved_changes()


def test_a_refused_role_change_says_what_was_saved(qtbot, window, admin_client) -> None:
    # Taking the last administrator out of admin is refused; the profile change is kept.
    page = open_page(qtbot, window)
    select_user(qtbot, page, "admin")
    qtbot.mouseClick(page.edit_user_button, LEFT)
    dialog = wait_user_dialog(qtbot, page)
    qtbot.keyClicks(dialog.display_name_edit, "The Administrator")
    dialog.set_role_checked("admin", False)
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: dialog.banner.text != "", timeout=10_000)
    assert dialog.banner.text.startswith(
        "The user 'admin' was saved, but removing them from the role 'admin' failed: ")
    assert dialog.banner.text.endswith("Click Save to try the roles again.")
    assert dialog.isVisible() and dialog.checked_role_ids() == frozenset()
    stored = find_user(admin_client, "admin")
    assert stored["displayName"] == "The Administrator"
    assert [g["display"] for g in stored["groups"]] == ["admin"]
    # Put it back as it was (the server is shared by this module's tests).
    dialog.set_role_checked("admin", True)
    dialog.display_name_edit.clear()
    with qtbot.waitSignal(dialog.user_saved, timeout=10_000):
        qtbot.mouseClick(dialog.save_button, LEFT)
    assert "displayName" not in find_user(admin_client, "admin")


def test_edit_email(qtbot, window, admin_client) -> None:
    name = unique("editor")
    created = create_user(admin_client, name, emails=[{"value": "old@example.com",
                                                       "primary": True}],
                          displayName="Ed Itor")
    page = open_page(qtbot, window)
    select_user(qtbot, page, name)
    focus(qtbot, page.users_table)
    qtbot.keyClick(page.users_table, Qt.Key.Key_Return)
    dialog = wait_user_dialog(qtbot, page)
    assert dialog.user_name_edit.text() == name
    assert dialog.email_edit.text() == "old@example.com"
    assert dialog.password_edit.text() == ""
    dialog.email_edit.selectAll()
    qtbot.keyClicks(dialog.email_edit, "new@example.com")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.keyClick(dialog.email_edit, Qt.Key.Key_Return)
    stored = admin_client.scim("GET", f"/Users/{created['id']}")
    assert stored["emails"][0]["value"] == "new@example.com"
    assert stored["displayName"] == "Ed Itor"  # untouched
    assert stored["meta"]["version"] != created["meta"]["version"]
    assert page.selected_user().email == "new@example.com"
    assert page.users_model.rowCount() == 1  # the filter is still applied


def test_unlock_a_locked_account(qtbot, window, admin_client) -> None:
    name = unique("locked")
    created = create_user(admin_client, name, emails=[{"value": "l@example.com",
                                                       "primary": True}])
    wrong = AdminClient(replace(admin_client.endpoint, username=name, password="wrong-password"))
    try:
        for _ in range(10):
            with pytest.raises(AdminApiError):
                wrong.get("/configs")
            if account(admin_client, created["id"])["accountLocked"]:
                break
    finally:
        wrong.close()
    before = account(admin_client, created["id"])
    assert before["accountLocked"] is True and before["failedLoginAttempts"] >= 1

    page = open_page(qtbot, window)
    assert page.select_user(created["id"])  # unfiltered: the first page shows every user here
    user = page.selected_user()
    assert user.locked and user.user_name == name
    assert page.unlock_button.isEnabled()
    row = page.users_model.row_of(created["id"])
    assert page.users_model.index(row, UsersTableModel.LOCKED).data() == "Locked"
    screenshot(window, "users")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(page.unlock_button, LEFT)
    after = account(admin_client, created["id"])
    assert after == {"accountLocked": False, "failedLoginAttempts": 0, "passwordSet": True}
    assert "unlocked" in page.banner.text
    assert not page.selected_user().locked
    assert not page.unlock_button.isEnabled()


def test_a_user_without_a_password_is_shown_and_gets_one(qtbot, window, admin_client) -> None:
    # As a provisioning service creates users: no password.
    name = unique("provisioned")
    created = admin_client.scim("POST", "/Users", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
        "externalId": "00u-" + name})
    signing_in = AdminClient(replace(admin_client.endpoint, username=name, password=PASSWORD))
    try:
        with pytest.raises(AdminApiError) as refused:
            signing_in.get("/configs")
        assert refused.value.status == 401  # no password: refused as a wrong one would be

        page = open_page(qtbot, window)
        user = select_user(qtbot, page, name)
        assert not user.password_set
        row = page.users_model.row_of(created["id"])
        assert page.users_model.index(row, UsersTableModel.PASSWORD).data() == "no password set"
        screenshot(window, "users-no-password")
        qtbot.mouseClick(page.edit_user_button, LEFT)
        dialog = wait_user_dialog(qtbot, page)
        assert dialog.no_password_label.isVisibleTo(dialog)
        assert "No password set" in dialog.no_password_label.text()
        assert "no password set" in dialog.password_edit.placeholderText()
        screenshot(dialog, "user-dialog-no-password")
        type_passwords(qtbot, dialog, PASSWORD)
        with qtbot.waitSignal(page.loaded, timeout=10_000):
            qtbot.mouseClick(dialog.save_button, LEFT)
        assert page.user_dialog is None

        assert account(admin_client, created["id"])["passwordSet"] is True
        row = page.users_model.row_of(created["id"])
        assert page.users_model.index(row, UsersTableModel.PASSWORD).data() == ""
        assert page.selected_user().password_set
        # The password typed works: a 403 for a non-admin means it was right.
        with pytest.raises(AdminApiError) as refused:
            signing_in.get("/configs")
        assert refused.value.status == 403
    finally:
        signing_in.close()


def test_delete_asks_naming_the_user_then_deletes(qtbot, window, admin_client,
                                                  monkeypatch) -> None:
    name = unique("leaver")
    created = create_user(admin_client, name)
    page = open_page(qtbot, window)
    select_user(qtbot, page, name)
    asked: list[str] = []
    answers = iter([False, True])
    monkeypatch.setattr(confirm, "ask",
                        lambda parent, title, text, **k: (asked.append(text), next(answers))[1])
    focus(qtbot, page.users_table)
    qtbot.keyClick(page.users_table, Qt.Key.Key_Delete)  # declined: nothing happens
    assert len(asked) == 1 and name in asked[0]
    assert admin_client.scim("GET", f"/Users/{created['id']}")["userName"] == name
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(page.delete_user_button, LEFT)
    assert len(asked) == 2
    with pytest.raises(AdminApiError) as gone:
        admin_client.scim("GET", f"/Users/{created['id']}")
    assert gone.value.status == 404
    assert page.users_model.rowCount() == 0
    assert "deleted" in page.banner.text


def test_duplicate_user_name_shows_the_servers_conflict(qtbot, window, admin_client) -> None:
    name = unique("taken")
    create_user(admin_client, name)
    page = open_page(qtbot, window)
    qtbot.mouseClick(page.add_user_button, LEFT)
    dialog = wait_user_dialog(qtbot, page)
    qtbot.keyClicks(dialog.user_name_edit, name)
    type_passwords(qtbot, dialog, PASSWORD)
    qtbot.keyClicks(dialog.given_name_edit, "Second")
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: dialog.user_name_error.isVisibleTo(dialog), timeout=10_000)
    assert dialog.user_name_error.text() == (f"A user named {name!r} already exists. Choose "
                                             "another username.")
    assert dialog.user_name_edit.hasFocus()
    assert PASSWORD not in dialog.user_name_error.text()
    # The whole message shows: the dialog grew to fit the wrapped text.
    label = dialog.user_name_error
    assert label.height() >= label.heightForWidth(label.width())
    assert dialog.isVisible() and dialog.save_button.isEnabled()
    screenshot(dialog, "user-dialog-conflict")
    # The input is kept for a second try.
    assert dialog.given_name_edit.text() == "Second"
    assert dialog.password_edit.text() == PASSWORD
    dialog.reject()


def test_server_down_mid_save_keeps_the_input(qtbot) -> None:
    runner = TaskRunner()
    down = ServerConnection(open_admin_api(ServerEndpoint("https://127.0.0.1:9", "admin", "x")),
                            name="down", runner=runner)
    dialog = UserDialog(down, [RoleRow(id="g", name="ops")])
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.keyClicks(dialog.user_name_edit, "nobody")
    type_passwords(qtbot, dialog, PASSWORD)
    dialog.set_role_checked("ops")
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: dialog.banner.text != "", timeout=10_000)
    assert "cannot be reached" in dialog.banner.text
    assert dialog.isVisible() and dialog.save_button.isEnabled()
    assert dialog.user_name_edit.text() == "nobody"
    assert dialog.checked_role_ids() == frozenset({"g"})
    runner.wait(5000)
    dialog.reject()


def test_paging_and_server_side_filter(qtbot, window, admin_client) -> None:
    prefix = unique("pg")
    for number in range(5):
        create_user(admin_client, f"{prefix}-{number}")
    odd = f'{prefix}"q\\x'
    create_user(admin_client, odd)
    page = open_page(qtbot, window)
    page.page_size = 2
    filter_users(qtbot, page, prefix + "-")
    assert [r.user_name for r in page.users_model.rows()] == [f"{prefix}-0", f"{prefix}-1"]
    assert page.users_status.text() == f"Users 1–2 of 5 starting with “{prefix}-”."
    assert not page.previous_button.isEnabled() and page.next_button.isEnabled()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(page.next_button, LEFT)
    assert [r.user_name for r in page.users_model.rows()] == [f"{prefix}-2", f"{prefix}-3"]
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(page.next_button, LEFT)
    assert [r.user_name for r in page.users_model.rows()] == [f"{prefix}-4"]
    assert not page.next_button.isEnabled() and page.previous_button.isEnabled()
    # Quotes and backslashes typed in the filter are escaped, not parsed.
    filter_users(qtbot, page, f'{prefix}"q\\')
    assert page.banner.level != "error"
    assert [r.user_name for r in page.users_model.rows()] == [odd]
    filter_users(qtbot, page, 'x" or userName pr or userName eq "')
    assert page.banner.level != "error"
    assert page.users_model.rowCount() == 0
    assert page.users_status.text().startswith("No user name starts with")


# ------------------------------------------------------------------------------------ roles


def test_role_with_members(qtbot, window, admin_client) -> None:
    alice, bob = unique("alice"), unique("bob")
    alice_id = create_user(admin_client, alice)["id"]
    bob_id = create_user(admin_client, bob)["id"]
    role_name = unique("ops")
    page = open_page(qtbot, window)
    page.tabs.setCurrentIndex(1)
    focus(qtbot, page.roles_table)
    qtbot.keyClick(page.roles_table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = wait_role_dialog(qtbot, page)
    assert dialog.windowTitle() == "Add New Role"
    qtbot.keyClicks(dialog.name_edit, "bad/name")
    assert dialog.name_error.isVisibleTo(dialog)
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, role_name)
    qtbot.keyClicks(dialog.search_edit, alice)
    shown = [dialog.members_list.item(i) for i in range(dialog.members_list.count())
             if not dialog.members_list.item(i).isHidden()]
    assert [item.text() for item in shown] == [alice]
    dialog.set_member_checked(alice)
    dialog.set_member_checked(bob)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.save_button, LEFT)
    stored = find_role(admin_client, role_name)
    assert stored is not None
    assert sorted(m["value"] for m in stored["members"]) == sorted([alice_id, bob_id])
    role = page.selected_role()
    assert role is not None and role.name == role_name
    assert sorted(page.members_list.item(i).text()
                  for i in range(page.members_list.count())) == sorted([alice, bob])
    screenshot(window, "roles")

    # Remove one member from the members pane.
    page.members_list.item(0).setSelected(True)
    removed = page.members_list.item(0).text()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(page.remove_member_button, LEFT)
    kept = {alice: alice_id, bob: bob_id}
    kept.pop(removed)
    members = admin_client.scim("GET", f"/Groups/{stored['id']}")["members"]
    assert [m["value"] for m in members] == list(kept.values())

    # Rename it (Enter on the table opens the editor).
    renamed = unique("operators")
    select_role(qtbot, page, role_name)
    focus(qtbot, page.roles_table)
    qtbot.keyClick(page.roles_table, Qt.Key.Key_Return)
    dialog = wait_role_dialog(qtbot, page)
    screenshot(dialog, "role-dialog")
    dialog.name_edit.selectAll()
    qtbot.keyClicks(dialog.name_edit, renamed)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert admin_client.scim("GET", f"/Groups/{stored['id']}")["displayName"] == renamed
    # The user's roles column follows.
    user = select_user(qtbot, page, next(iter(kept)))
    assert user.role_names == (renamed,)


def test_deleting_admin_is_refused_with_the_servers_words(qtbot, window, admin_client,
                                                         monkeypatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(confirm, "ask",
                        lambda parent, title, text, **k: asked.append(text) or True)
    page = open_page(qtbot, window)
    select_role(qtbot, page, "admin")
    qtbot.mouseClick(page.delete_role_button, LEFT)
    qtbot.waitUntil(lambda: page.banner.level == "error", timeout=10_000)
    assert asked and "'admin'" in asked[0]
    assert page.banner.text == (
        "Deleting the role 'admin' failed: The group 'admin' cannot be deleted: the admin API "
        "admits only its members, so deleting it would lock every administrator out.")
    assert find_role(admin_client, "admin") is not None
    assert page.delete_role_button.isEnabled()


def test_deleting_a_role_and_renaming_admin(qtbot, window, admin_client, monkeypatch) -> None:
    doomed = unique("doomed")
    role_id = create_role(admin_client, doomed)["id"]
    monkeypatch.setattr(confirm, "ask", lambda *a, **k: True)
    page = open_page(qtbot, window)
    select_role(qtbot, page, doomed)
    focus(qtbot, page.roles_table)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.keyClick(page.roles_table, Qt.Key.Key_Delete)
    with pytest.raises(AdminApiError) as gone:
        admin_client.scim("GET", f"/Groups/{role_id}")
    assert gone.value.status == 404
    assert doomed not in [r.name for r in page.roles_model.rows()]

    select_role(qtbot, page, "admin")
    index = page.roles_proxy.index(page.roles_table.currentIndex().row(), 0)
    qtbot.mouseDClick(page.roles_table.viewport(), LEFT,
                      pos=page.roles_table.visualRect(index).center())
    dialog = wait_role_dialog(qtbot, page)
    assert dialog.windowTitle() == "Role: admin"
    dialog.name_edit.selectAll()
    qtbot.keyClicks(dialog.name_edit, "superusers")
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: dialog.name_error.isVisibleTo(dialog), timeout=10_000)
    assert dialog.name_error.text() == ("The group 'admin' cannot be renamed: the admin API "
                                        "admits only its members.")
    assert dialog.isVisible() and dialog.name_edit.text() == "superusers"
    assert find_role(admin_client, "admin") is not None
    dialog.reject()
