"""Keyboard: no two Alt+letter shortcuts clash on any page or dialog, nor with the menu bar."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QGroupBox,
    QLabel,
    QMainWindow,
    QTabBar,
    QTabWidget,
    QWidget,
    QWizard,
)

from stsdesk.core.certificates import generate_self_signed

WAIT = 10_000


def mnemonic(text: str) -> str | None:
    """The letter Alt opens ``text`` with ("&&" is a literal ampersand), upper case."""
    sequence = QKeySequence.mnemonic(text)
    if sequence.isEmpty():
        return None
    return sequence.toString().rsplit("+", 1)[-1].upper()


def shortcuts(root: QWidget) -> Iterator[tuple[str, str]]:
    """(letter, what) for every mnemonic a person can press in ``root`` as it shows now."""
    if isinstance(root, QMainWindow):
        for action in root.menuBar().actions():
            letter = mnemonic(action.text())
            if letter and action.isVisible():
                yield letter, f"menu {action.text()!r}"
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root):
            continue
        if isinstance(widget, QAbstractButton):
            text, what = widget.text(), type(widget).__name__
        elif isinstance(widget, QLabel) and widget.buddy() is not None:
            text, what = widget.text(), "label"
        elif isinstance(widget, QGroupBox):
            text, what = widget.title(), "group"
        elif isinstance(widget, QTabBar):
            for index in range(widget.count()):
                letter = mnemonic(widget.tabText(index))
                if letter and widget.isTabVisible(index):
                    yield letter, f"tab {widget.tabText(index)!r}"
            continue
        else:
            continue
        letter = mnemonic(text)
        if letter:
            yield letter, f"{what} {text!r}"


def clashes(root: QWidget) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for letter, what in shortcuts(root):
        found[letter].append(what)
    return {letter: whats for letter, whats in found.items() if len(whats) > 1}


def every_tab_state(root: QWidget) -> Iterator[str]:
    """Yield once per tab of every tab widget in ``root`` (a name for the state shown)."""
    yield "as opened"
    for tabs in root.findChildren(QTabWidget):
        if not tabs.isVisibleTo(root):
            continue
        for index in range(tabs.count()):
            tabs.setCurrentIndex(index)
            QApplication.processEvents()
            yield f"tab {tabs.tabText(index)!r}"


def check(root: QWidget, name: str) -> list[str]:
    problems = []
    for state in every_tab_state(root):
        for letter, whats in sorted(clashes(root).items()):
            problems.append(f"{name} ({state}): Alt+{letter} is {' and '.join(whats)}")
    return problems


@pytest.fixture
def menu_window(fake_window, tmp_path):
    """The main window with the menu bar the running console has."""
    from stsdesk.services.credentials import CredentialStore
    from stsdesk.services.profiles import ProfileStore
    from stsdesk.ui.dialogs.profiles import install_profiles_menu

    install_profiles_menu(fake_window, ProfileStore(tmp_path / "profiles.json", CredentialStore()))
    return fake_window


def test_no_page_has_clashing_mnemonics(qtbot, menu_window):
    problems: list[str] = []
    for page in menu_window.pages:
        menu_window.show_page(page.title)
        qtbot.waitUntil(page.isVisible, timeout=WAIT)
        QApplication.processEvents()
        problems += check(menu_window, f"page {page.title!r}")
    assert problems == [], "\n".join(problems)


def _dialogs(window, fake_admin) -> Iterator[tuple[str, QDialog]]:
    from stsdesk.ui.dialogs.certificate_details import CertificateDetailsDialog
    from stsdesk.ui.dialogs.certificate_import import CertificateImportDialog
    from stsdesk.ui.dialogs.role import RoleDialog
    from stsdesk.ui.dialogs.service_provider import NewServiceProviderDialog
    from stsdesk.ui.dialogs.signing_key import SigningKeyDialog
    from stsdesk.ui.dialogs.trust_certificate import TrustCertificateDialog
    from stsdesk.ui.dialogs.user import UserDialog
    from stsdesk.ui.models.users import RoleRow
    from stsdesk.ui.wizards.scenario_dialog import ScenarioDialog
    from stsdesk.ui.wizards.security_policy import ApplySecurityPolicyWizard
    from stsdesk.ui.wizards.ws_trust import WsTrustConfigurationWizard

    connection = window.connection
    scenarios = fake_admin.list_scenarios()
    identity = generate_self_signed("mnemonics.example.org")
    yield "import certificate", CertificateImportDialog(connection, window)
    yield "add service provider", NewServiceProviderDialog(connection, window)
    yield "add signing key", SigningKeyDialog(connection, (), window)
    yield "import signing key", SigningKeyDialog(connection, (), window, import_pkcs12=True)
    yield "add role", RoleDialog(connection, [("u1", "alice")], None, window)
    yield "add user", UserDialog(connection, [RoleRow(id="g", name="ops")], None, window)
    yield "certificate details", CertificateDetailsDialog(identity.certificate, parent=window)
    yield "trust certificate", TrustCertificateDialog(window, "https://sts.example.org", "CN=x",
                                                      "ab" * 32)
    yield "scenario", ScenarioDialog(connection, scenarios[0], window)
    yield "apply security policy", ApplySecurityPolicyWizard(
        connection, scenarios=scenarios, keystores=fake_admin.list_keystores(), parent=window)
    yield "WS-Trust configuration", WsTrustConfigurationWizard(connection, "1", "app", None,
                                                               window)


def test_no_dialog_or_wizard_step_has_clashing_mnemonics(qtbot, fake_window, fake_admin):
    problems: list[str] = []
    for name, dialog in _dialogs(fake_window, fake_admin):
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
        if isinstance(dialog, QWizard):
            for step in dialog.pageIds():
                problems += check(dialog, f"{name}, step {dialog.page(step).title()!r}")
                if step != dialog.pageIds()[-1]:
                    dialog.next()
                    QApplication.processEvents()
        else:
            problems += check(dialog, name)
        dialog.close()
    assert problems == [], "\n".join(problems)
