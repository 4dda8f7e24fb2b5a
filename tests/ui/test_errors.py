"""The one error boundary: the server's refusals are said on the page, bugs open the crash dialog."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QMessageBox

from stsdesk.services.admin import open_admin_api
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.pages.base import Page
from stsdesk.ui.tasks import TaskRunner


@pytest.fixture
def page(qtbot, endpoint) -> Iterator[Page]:
    runner = TaskRunner()
    connection = ServerConnection(open_admin_api(endpoint), name="errors", runner=runner)
    shown = Page(connection)
    qtbot.addWidget(shown)
    shown.show()
    yield shown
    runner.wait(10_000)
    connection.api.close()


def crash_dialogs(parent) -> list[QMessageBox]:
    return [box for box in parent.findChildren(QMessageBox, "crashDialog") if box.isVisible()]


def run(qtbot, page: Page, work, action: str) -> None:
    with qtbot.waitSignal(page.connection.runner.busy_changed, timeout=10_000,
                          check_params_cb=lambda busy: not busy):
        page.call(work, lambda _result: None, action=action)


def test_a_refusal_by_the_server_is_said_in_its_words_without_a_crash_dialog(qtbot, page):
    run(qtbot, page, lambda api: api.get_application("no-such-application"),
        "Opening the service provider")
    assert page.banner.level == "error"
    assert page.banner.text.startswith("Opening the service provider failed: ")
    assert "unexpected" not in page.banner.text
    assert crash_dialogs(page) == []


def test_a_bare_value_error_is_a_bug_with_a_crash_dialog_and_a_log_entry(qtbot, page, caplog):
    # A real slip: the node is "host:port/pid", not a number.
    with caplog.at_level(logging.ERROR, logger="stsdesk.ui"):
        run(qtbot, page, lambda api: int(api.server_info().node), "Reading the node")
    assert "unexpected error (ValueError)" in page.banner.text
    assert "report it" in page.banner.text
    boxes = crash_dialogs(page)
    assert len(boxes) == 1
    assert boxes[0].text() == page.banner.text
    assert "invalid literal for int()" in boxes[0].detailedText()
    logged = [r for r in caplog.records if "unexpected error during Reading the node" in r.message]
    assert len(logged) == 1 and "ValueError" in logged[0].message
    boxes[0].close()
