"""A secured SOAP message's security header as a tree: timestamp, tokens, each signature and
what it covers, each encrypted part, SignatureConfirmation; with an optional verdict on top."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from stsdesk.core.wssec.header_report import Check, SecurityHeaderReport

__all__ = ["SecurityHeaderView", "STATUS_COLOURS"]

STATUS_COLOURS = {
    Check.VALID: "#1a7f37", Check.DECRYPTED: "#1a7f37", Check.INVALID: "#c62828",
    Check.NOT_CHECKED: "#9a6700", Check.NOT_DECRYPTED: "#9a6700",
}


def _short(uri: str) -> str:
    """An algorithm URI by its fragment (``rsa-sha1``), the whole URI in the tooltip."""
    return uri.rsplit("#", 1)[-1] if "#" in uri else uri.rsplit("/", 1)[-1]


class SecurityHeaderView(QWidget):
    """Shows one :class:`SecurityHeaderReport`; ``verdict`` lines (✔/✘) above it if given."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel(self)
        self.summary.setObjectName("securityHeaderSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Part", "Details"])
        self.tree.setAccessibleName("Security header")
        self.tree.setWordWrap(True)
        self.tree.setColumnWidth(0, 230)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        self.clear("No secured message yet.")

    def clear(self, text: str) -> None:
        self.tree.clear()
        self.summary.setText(text)
        self.summary.setStyleSheet("")

    def show_report(self, report: SecurityHeaderReport | None, *,
                    verdict: Sequence[str] = (), ok: bool | None = None,
                    heading: str = "") -> None:
        """Show ``report``; ``verdict`` lines and whether they add up to ``ok``."""
        self.tree.clear()
        lines = [heading] if heading else []
        lines += list(verdict)
        if report is not None and not report.has_security:
            lines.append("The message has no WS-Security header content.")
        self.summary.setText("\n".join(lines))
        colour = {True: "#1a7f37", False: "#c62828"}.get(ok) if ok is not None else None
        self.summary.setStyleSheet(
            f"#securityHeaderSummary {{color:{colour}; padding:4px; border:1px solid {colour};"
            " border-radius:4px;}" if colour else "")
        if report is None:
            return
        self._fill(report)
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)

    def items_text(self) -> list[str]:
        """Every row as "part: details", depth first (what a person reads, for tests)."""
        out: list[str] = []

        def walk(item: QTreeWidgetItem) -> None:
            out.append(f"{item.text(0)}: {item.text(1)}")
            for index in range(item.childCount()):
                walk(item.child(index))

        for index in range(self.tree.topLevelItemCount()):
            walk(self.tree.topLevelItem(index))
        return out

    def _item(self, parent: QTreeWidget | QTreeWidgetItem, part: str, details: str,
              *, tooltip: str = "", status: Check | None = None) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [part, details])
        item.setToolTip(1, tooltip or details)
        if status is not None:
            item.setForeground(1, QBrush(QColor(STATUS_COLOURS[status])))
        return item

    def _fill(self, report: SecurityHeaderReport) -> None:
        top = self.tree
        if report.timestamp_created is not None:
            expires = report.timestamp_expires.isoformat() if report.timestamp_expires else "—"
            self._item(top, "Timestamp", f"created {report.timestamp_created.isoformat()}, "
                       f"expires {expires} ({report.timestamp_id or 'no wsu:Id'})")
        if report.tokens:
            tokens = self._item(top, "Tokens", str(len(report.tokens)))
            for token in report.tokens:
                self._item(tokens, token.kind, f"{token.description}"
                           + (f" ({token.element_id})" if token.element_id else ""))
        for number, signature in enumerate(report.signatures, 1):
            status = signature.status.value + (f": {signature.reason}" if signature.reason else "")
            item = self._item(top, f"Signature {number}", status, status=signature.status)
            self._item(item, "Signed by", signature.key)
            self._item(item, "Algorithms", f"{_short(signature.method)}, digest "
                       f"{_short(signature.digest)}",
                       tooltip=f"{signature.method}\n{signature.digest}")
            for part in signature.covered:
                self._item(item, "Covers", f"{part.element} (wsu:Id {part.element_id})")
        for part in report.encrypted_parts:
            details = part.status.value
            if part.content:
                details += f": {part.content}"
            elif part.reason:
                details += f": {part.reason}"
            item = self._item(top, f"Encrypted {part.location}", details, status=part.status)
            self._item(item, "Algorithm", _short(part.algorithm), tooltip=part.algorithm)
            self._item(item, "Key", part.key)
            if part.element_id:
                self._item(item, "Id", part.element_id)
        for value in report.confirmations:
            self._item(top, "SignatureConfirmation", value[:40] + "…" if value and len(value) > 40
                       else value or "(no value: the request was not signed)")
        self._item(top, "Body", report.body_content)
        for problem in report.problems:
            self._item(top, "Problem", problem, status=Check.INVALID)
