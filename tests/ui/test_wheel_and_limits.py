"""Scrolling a form with the mouse wheel never changes a field the person did not pick."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget

from stsdesk.core.wstrust import KeyType

WAIT = 10_000


def turn_wheel(widget: QWidget, notches: int = -3) -> None:
    """Turn the wheel over the middle of ``widget`` (negative: towards the person, scrolls down)."""
    local = QPointF(widget.width() / 2, widget.height() / 2)
    global_pos = QPointF(widget.mapToGlobal(local.toPoint()))
    for _ in range(abs(notches)):
        event = QWheelEvent(local, global_pos, QPoint(), QPoint(0, 120 if notches > 0 else -120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                            Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(widget, event)


def _test_client(qtbot, fake_window):
    page = fake_window.page("Test client")
    fake_window.show_page("Test client")
    qtbot.waitUntil(lambda: page.isVisible(), timeout=WAIT)
    return page


def test_the_wheel_scrolls_past_an_unfocused_spin_box_and_changes_a_focused_one(
        qtbot, fake_window):
    page = _test_client(qtbot, fake_window)
    form = page.form
    form.key_type.setCurrentIndex(form.key_type.findData(KeyType.SYMMETRIC))
    fake_window.resize(1100, 600)  # a form taller than the window: it scrolls
    page.form_scroll.ensureWidgetVisible(form.key_size)
    QApplication.processEvents()
    bar = page.form_scroll.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(bar.maximum() // 2)
    page.form_scroll.ensureWidgetVisible(form.key_size)
    before = bar.value()
    form.endpoint.setFocus()
    assert form.key_size.value() == 256
    turn_wheel(form.key_size, notches=-3)
    assert form.key_size.value() == 256  # untouched while scrolling past it
    assert bar.value() > before  # the form scrolled instead
    assert not form.key_size.hasFocus()
    turn_wheel(form.soap_version, notches=-2)
    assert form.soap_version.currentIndex() == 0
    # Clicked (focused), the field is the person's choice and the wheel changes it.
    qtbot.mouseClick(form.key_size.lineEdit(), Qt.MouseButton.LeftButton)
    assert form.key_size.hasFocus()
    turn_wheel(form.key_size, notches=1)
    assert form.key_size.value() == 320


def test_the_proof_key_size_offers_only_what_the_sts_issues(qtbot, fake_window):
    page = _test_client(qtbot, fake_window)
    form = page.form
    form.key_type.setCurrentIndex(form.key_type.findData(KeyType.SYMMETRIC))
    assert (form.key_size.minimum(), form.key_size.maximum()) == (128, 512)
    page.form_scroll.ensureWidgetVisible(form.key_size)
    form.key_size.lineEdit().selectAll()
    qtbot.keyClicks(form.key_size.lineEdit(), "1024")
    assert form.key_size.value() <= 512
    form.key_size.setValue(260)  # in range, not whole bytes
    form.endpoint.setText("https://127.0.0.1:9443/services/wso2carbon-sts")
    form.username.setText("admin")
    assert form.build_options() is None
    assert "multiple of 8" in form.key_size_error.text() and form.key_size_error.isVisible()
    assert form.key_size.hasFocus()
