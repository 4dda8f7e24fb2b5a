"""A read-only XML viewer: syntax highlighting, a search box, Copy and Save…."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QKeySequence,
    QShortcut,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stsdesk.ui.dialogs.files import choose_save_path

__all__ = ["XmlView", "XmlHighlighter", "ask_save_path"]

log = logging.getLogger("stsdesk.ui.xml_view")

_INDENTED_NOTE = "indented for reading — Copy and Save give it exactly as received"


def _format(colour: str, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class XmlHighlighter(QSyntaxHighlighter):
    """Colours tags, attribute names, attribute values, comments and the masked password."""

    _RULES = (
        (re.compile(r"</?[\w.\-]+(?::[\w.\-]+)?|/?>|\?>|<\?[\w\-]+"), _format("#0550ae", bold=True)),
        (re.compile(r"\s[\w.\-]+(?::[\w.\-]+)?(?==)"), _format("#8250df")),
        (re.compile(r"\"[^\"]*\"|'[^']*'"), _format("#0a3069")),
        (re.compile(r"\*{8}"), _format("#cf222e", bold=True)),
    )
    _COMMENT = _format("#6e7781", italic=True)

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        for pattern, fmt in self._RULES:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)
        # Comments may span lines: block state 1 means "inside a comment".
        start = 0 if self.previousBlockState() == 1 else text.find("<!--")
        self.setCurrentBlockState(0)
        while start >= 0:
            end = text.find("-->", start)
            if end < 0:
                self.setCurrentBlockState(1)
                self.setFormat(start, len(text) - start, self._COMMENT)
                break
            self.setFormat(start, end + 3 - start, self._COMMENT)
            start = text.find("<!--", end + 3)


def ask_save_path(parent: QWidget, title: str, suggested: str) -> str:
    """The file to save to, or "" when the person cancelled (tests patch this)."""
    return choose_save_path(parent, title, suggested, "XML files (*.xml);;All files (*)")


class XmlView(QWidget):
    """Shows one XML message; Ctrl+F searches, Copy puts it on the clipboard, Save writes it.

    The view may be indented for reading while Copy and Save give the exact bytes received:
    re-indenting a signed message changes its digests, so a copied token would no longer verify.
    """

    saved = Signal(str)  # the path written
    save_failed = Signal(str)  # what went wrong, for the page's banner

    def __init__(self, title: str, parent: QWidget | None = None, *,
                 file_name: str = "message.xml") -> None:
        super().__init__(parent)
        self.title = title
        self.file_name = file_name
        self.editor = QPlainTextEdit(self)
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setPlaceholderText("Nothing to show yet.")
        self.editor.setAccessibleName(title)
        self.highlighter = XmlHighlighter(self.editor.document())
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search (Ctrl+F)")  # whole in a half-width tab
        self.search.setToolTip("Search the message (Ctrl+F); Enter goes to the next match")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(f"Search in {title}")
        self.matches = QLabel(self)
        self.matches.setMinimumWidth(70)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip("Copy the whole message to the clipboard")
        self.save_button = QPushButton("Save…", self)
        self.save_button.setToolTip("Save the message to a file")
        heading = QLabel(f"<b>{title}</b>", self)
        self.display_note = QLabel(_INDENTED_NOTE, self)
        self.display_note.setStyleSheet("color:#57606a;")
        self.display_note.setToolTip(
            "Indentation changes a signed message's digests; the copy is the original.")
        # On its own wrapped line: beside the heading it held the window wider than a
        # 1280 px screen once a message was shown.
        self.display_note.setWordWrap(True)
        self.display_note.hide()
        self._exact: bytes | None = None
        bar = QHBoxLayout()
        bar.addWidget(heading)
        bar.addStretch(1)
        bar.addWidget(self.search, 2)
        bar.addWidget(self.matches)
        bar.addWidget(self.copy_button)
        bar.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.display_note)
        layout.addWidget(self.editor, 1)
        self._find_shortcut = QShortcut(QKeySequence.StandardKey.Find, self)
        self._find_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.setTabOrder(self.search, self.copy_button)
        self.setTabOrder(self.copy_button, self.save_button)
        self.setTabOrder(self.save_button, self.editor)
        self._connect_signals()
        self._update_buttons()

    def _connect_signals(self) -> None:
        self.search.textChanged.connect(self.on_search_text_changed)
        self.search.returnPressed.connect(self.on_search_return_pressed)
        self.copy_button.clicked.connect(self.on_copy_button_clicked)
        self.save_button.clicked.connect(self.on_save_button_clicked)
        self._find_shortcut.activated.connect(self.search.setFocus)

    # -- content ---------------------------------------------------------------------------

    def set_xml(self, text: str | None, *, exact: bytes | None = None) -> None:
        """Show ``text``; ``exact`` is the message as received, which Copy and Save give
        (when None, they give ``text``)."""
        self.editor.setPlainText(text or "")
        self._exact = exact if text else None
        self.display_note.setVisible(
            self._exact is not None and self._exact.decode("utf-8", "replace") != text)
        self.on_search_text_changed(self.search.text())
        self._update_buttons()

    def text(self) -> str:
        """What is shown (perhaps indented for reading)."""
        return self.editor.toPlainText()

    def exact_bytes(self) -> bytes:
        """What Copy and Save give: the bytes received when known, else the text shown."""
        return self._exact if self._exact is not None else self.text().encode("utf-8")

    def _update_buttons(self) -> None:
        has_text = bool(self.text())
        self.copy_button.setEnabled(has_text)
        self.save_button.setEnabled(has_text)

    # -- search ----------------------------------------------------------------------------

    def find(self, needle: str, *, backwards: bool = False) -> bool:
        """Select the next occurrence of ``needle`` (wrapping around); False when there is none."""
        if not needle:
            return False
        flags = QTextDocument.FindFlag.FindBackward if backwards else QTextDocument.FindFlag(0)
        if self.editor.find(needle, flags):
            return True
        cursor = self.editor.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End if backwards
                            else QTextCursor.MoveOperation.Start)
        self.editor.setTextCursor(cursor)
        return self.editor.find(needle, flags)

    def count(self, needle: str) -> int:
        return self.text().lower().count(needle.lower()) if needle else 0

    def on_search_text_changed(self, needle: str) -> None:
        found = self.count(needle)
        if not needle:
            self.matches.clear()
            self.search.setStyleSheet("")
            return
        self.matches.setText(f"{found} found" if found else "not found")
        self.search.setStyleSheet("" if found else "background:#fdecea;")
        cursor = self.editor.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.Start)
        self.editor.setTextCursor(cursor)
        self.find(needle)

    def on_search_return_pressed(self) -> None:
        backwards = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.find(self.search.text(), backwards=backwards)

    # -- copy and save ---------------------------------------------------------------------

    def on_copy_button_clicked(self) -> None:
        QApplication.clipboard().setText(self.exact_bytes().decode("utf-8", "replace"))

    def on_save_button_clicked(self) -> None:
        path = ask_save_path(self, f"Save the {self.title}", self.file_name)
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        """Write the message as received (secrets already masked) to ``path``."""
        try:
            path.write_bytes(self.exact_bytes())
        except OSError as exc:
            log.warning("Could not save %s to %s: %s", self.title, path, exc)
            self.save_failed.emit(
                f"The {self.title} could not be saved to {path}: {exc.strerror or exc}. Choose "
                "a folder you can write to."
            )
            return
        self.saved.emit(str(path))
