"""The security context lifetime in the STS page's token form: typed as a person would, saved
to the real server over the admin API, checked in the form before sending, and greyed out
(never sent) for a server that does not have the setting."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt

from stsdesk.ui.pages.security import SecurityTokenServicePage

TITLE = "Security Token Service"
WAIT = 10_000


def _show(qtbot, window) -> SecurityTokenServicePage:
    page = window.page(TITLE)
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        window.show_page(TITLE)
    return page


def _type(qtbot, box, text: str) -> None:
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)


def test_the_context_lifetime_is_typed_checked_and_saved(qtbot, window, admin_client):
    page = _show(qtbot, window)
    group = page.settings_group
    box = group.context_lifetime
    qtbot.waitUntil(lambda: box.value() == 3600 and box.isEnabled(), timeout=WAIT)
    before = admin_client.get("/sts/token-settings")
    try:
        _type(qtbot, box, "30")
        assert group.problem_label.isVisible()
        assert group.problem_label.text() == "The security context lifetime must be at least 60 s."
        assert not group.apply_button.isEnabled()

        _type(qtbot, box, "900")
        assert not group.problem_label.isVisible()
        assert page.has_unsaved_changes()
        qtbot.mouseClick(group.apply_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: admin_client.get("/sts/token-settings")[
            "securityContextLifetimeSeconds"] == 900, timeout=WAIT)
        qtbot.waitUntil(lambda: not page.has_unsaved_changes(), timeout=WAIT)
        assert admin_client.get("/sts/token-settings")["defaultLifetimeSeconds"] == (
            before["defaultLifetimeSeconds"])  # only what was changed changes
    finally:
        admin_client.put("/sts/token-settings", before)
        group.show_values(window.connection.api.get_sts_settings())


def test_a_server_without_the_setting_greys_it_out_and_is_not_sent_it(
        qtbot, fake_window, fake_admin):
    fake_admin.settings = replace(fake_admin.settings, tokens=replace(
        fake_admin.settings.tokens, security_context_lifetime_seconds=None))
    page = _show(qtbot, fake_window)
    group = page.settings_group
    qtbot.waitUntil(lambda: group.default_lifetime.value() == 300, timeout=WAIT)
    assert not group.context_lifetime.isEnabled()
    assert group.problem() is None  # a greyed-out 0 is no mistake of the person's

    _type(qtbot, group.default_lifetime, "600")
    qtbot.mouseClick(group.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: fake_admin.settings.tokens.default_lifetime_seconds == 600,
                    timeout=WAIT)
    assert fake_admin.settings.tokens.security_context_lifetime_seconds is None
