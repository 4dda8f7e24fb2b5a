"""A certificate's details: general facts, chain, extensions and PEM, with copy and export."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.certificate_description import (
    CertificateDescription,
    CertificateStatus,
    describe_certificate,
)
from stsdesk.ui.dialogs.files import (  # tests patch choose_save_path here
    choose_save_path,
    choose_save_target,
)
from stsdesk.ui.widgets.banner import MessageBanner

__all__ = [
    "CertificateGeneralView", "CertificateDetailsDialog", "show_details", "choose_save_path",
    "choose_export",
    "certificate_bytes", "basic_constraints_text", "split_fingerprint", "EXPORT_FORMATS",
]

log = logging.getLogger("stsdesk.ui")

EXPORT_FORMATS = {"pem": "PEM certificate (*.pem *.crt)", "der": "DER certificate (*.cer *.der)"}
_WARNINGS_STYLE = ("#certificateWarnings {background:#fff4e5; color:#663c00; "
                   "border:1px solid #ffd8a8; border-radius:4px;}")
_STATUS_STYLE = {
    CertificateStatus.VALID: "color:#1e4620;",
    CertificateStatus.EXPIRES_SOON: "color:#663c00; font-weight:bold;",
    CertificateStatus.EXPIRED: "color:#c62828; font-weight:bold;",
    CertificateStatus.NOT_YET_VALID: "color:#c62828; font-weight:bold;",
}


def choose_export(parent: QWidget | None, title: str, stem: str) -> tuple[str, str] | None:
    """Ask where and in which format to export: (path, "pem" | "der"), or None if cancelled.

    One place for tests to patch.
    """
    filters = f"{EXPORT_FORMATS['pem']};;{EXPORT_FORMATS['der']}"
    path, chosen = choose_save_target(parent, title, f"{stem}.pem", filters)
    if not path:
        return None
    fmt = "der" if chosen == EXPORT_FORMATS["der"] or path.lower().endswith(".der") else "pem"
    return path, fmt


def certificate_bytes(certificate: x509.Certificate, fmt: str) -> bytes:
    """The certificate as PEM or DER bytes (``fmt`` is "pem" or "der")."""
    encoding = serialization.Encoding.PEM if fmt == "pem" else serialization.Encoding.DER
    return certificate.public_bytes(encoding)


def basic_constraints_text(described: CertificateDescription) -> str:
    if not described.has_basic_constraints:
        return "not present (treated as an end-entity certificate)"
    if not described.is_ca:
        return "CA: no (an end-entity certificate)"
    limit = "unlimited" if described.path_length is None else str(described.path_length)
    return f"CA: yes, path length: {limit}"


def _fixed_font_label(parent: QWidget) -> QLabel:
    label = _value_label(parent)
    label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return label


def split_fingerprint(fingerprint: str, per_line: int = 16) -> str:
    """A long fingerprint on lines of ``per_line`` bytes: 95 characters without a space
    cannot wrap, and would widen the whole form (the copy buttons copy it whole)."""
    pairs = fingerprint.split(":")
    return ":\n".join(":".join(pairs[i:i + per_line]) for i in range(0, len(pairs), per_line))


def _value_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    return label


class CertificateGeneralView(QWidget):
    """The facts a person checks before trusting a certificate, plus its warnings.

    Used by the details dialog (General tab) and by the import dialog's preview.
    """

    fingerprint_copied = Signal(str)  # which one: "SHA-1" or "SHA-256"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.description: CertificateDescription | None = None
        self.warnings: tuple[str, ...] = ()
        self.subject_label = _value_label(self)
        self.issuer_label = _value_label(self)
        self.serial_label = _fixed_font_label(self)
        self.validity_label = _value_label(self)
        self.status_label = _value_label(self)
        self.signature_label = _value_label(self)
        self.key_label = _value_label(self)
        self.key_usage_label = _value_label(self)
        self.extended_key_usage_label = _value_label(self)
        self.alt_names_label = _value_label(self)
        self.basic_constraints_label = _value_label(self)
        self.sha1_label = _fixed_font_label(self)
        self.sha256_label = _fixed_font_label(self)
        self.copy_sha1_button = QPushButton("Copy SHA-&1", self)
        self.copy_sha1_button.setToolTip("Copy the SHA-1 fingerprint to the clipboard")
        self.copy_sha256_button = QPushButton("Copy SHA-&256", self)
        self.copy_sha256_button.setToolTip("Copy the SHA-256 fingerprint to the clipboard")
        self.warnings_frame = QFrame(self)
        self.warnings_frame.setObjectName("certificateWarnings")
        self.warnings_frame.setStyleSheet(_WARNINGS_STYLE)
        self.warnings_label = QLabel(self.warnings_frame)
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setTextFormat(Qt.TextFormat.RichText)
        warnings_layout = QVBoxLayout(self.warnings_frame)
        warnings_layout.setContentsMargins(10, 6, 10, 6)
        warnings_layout.addWidget(self.warnings_label)
        self.warnings_frame.hide()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.addRow("Subject:", self.subject_label)
        form.addRow("Issuer:", self.issuer_label)
        form.addRow("Serial number:", self.serial_label)
        form.addRow("Validity:", self.validity_label)
        form.addRow("Status:", self.status_label)
        form.addRow("Signature algorithm:", self.signature_label)
        form.addRow("Public key:", self.key_label)
        form.addRow("Key usage:", self.key_usage_label)
        form.addRow("Extended key usage:", self.extended_key_usage_label)
        form.addRow("Subject alternative names:", self.alt_names_label)
        form.addRow("Basic constraints:", self.basic_constraints_label)
        form.addRow("SHA-1 fingerprint:", _with_button(self.sha1_label, self.copy_sha1_button))
        form.addRow("SHA-256 fingerprint:",
                    _with_button(self.sha256_label, self.copy_sha256_button))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.warnings_frame)
        layout.addLayout(form)
        layout.addStretch(1)
        self._connect_signals()
        self.show_description(None)

    def _connect_signals(self) -> None:
        self.copy_sha1_button.clicked.connect(self.on_copy_sha1_button_clicked)
        self.copy_sha256_button.clicked.connect(self.on_copy_sha256_button_clicked)

    def show_description(self, described: CertificateDescription | None,
                         warnings: Sequence[str] = (), *, now: dt.datetime | None = None) -> None:
        """Show ``described`` (None empties the view) and ``warnings`` above it."""
        self.description = described
        self.copy_sha1_button.setEnabled(described is not None)
        self.copy_sha256_button.setEnabled(described is not None)
        self.show_warnings(warnings)
        if described is None:
            self._clear()
            return
        now = now or dt.datetime.now(dt.UTC)
        self.subject_label.setText(described.subject or "(empty)")
        self.issuer_label.setText(described.issuer or "(empty)")
        self.serial_label.setText(f"{described.serial_number} (hex)\n"
                                  f"{described.serial_decimal} (decimal)")
        self.validity_label.setText(f"{described.not_before:%Y-%m-%d %H:%M} to "
                                    f"{described.not_after:%Y-%m-%d %H:%M} UTC")
        status = described.status(now)
        days = described.days_remaining(now)
        if status is CertificateStatus.EXPIRED:
            status_text = f"Expired {-days} day{'s' if -days != 1 else ''} ago"
        elif status is CertificateStatus.NOT_YET_VALID:
            start = (described.not_before - now) // dt.timedelta(days=1)
            status_text = f"Not yet valid (starts in {start} day{'s' if start != 1 else ''})"
        else:
            prefix = "Expires soon: " if status is CertificateStatus.EXPIRES_SOON else "Valid, "
            status_text = f"{prefix}{days} day{'s' if days != 1 else ''} remaining"
        self.status_label.setText(status_text)
        self.status_label.setStyleSheet(_STATUS_STYLE[status])
        signature = described.signature_algorithm
        if described.self_signed:
            signature += " (self-signed)"
        self.signature_label.setText(f"{signature}, X.509 version {described.version}")
        key = str(described.key_algorithm)
        if described.key_size:
            key += f", {described.key_size} bits"
        if described.curve:
            key += f" ({described.curve})"
        self.key_label.setText(key)
        self.key_usage_label.setText(", ".join(described.key_usage_titles) or "not restricted")
        self.extended_key_usage_label.setText(
            ", ".join(str(p) for p in described.extended_key_usage) or "not restricted")
        self.alt_names_label.setText(", ".join(described.subject_alt_names) or "none")
        self.basic_constraints_label.setText(basic_constraints_text(described))
        self.sha1_label.setText(described.sha1_fingerprint)
        self.sha256_label.setText(split_fingerprint(described.sha256_fingerprint))

    def _clear(self) -> None:
        for label in (self.subject_label, self.issuer_label, self.serial_label,
                      self.validity_label, self.status_label, self.signature_label,
                      self.key_label, self.key_usage_label, self.extended_key_usage_label,
                      self.alt_names_label, self.basic_constraints_label):
            label.setText("—")
        self.sha1_label.setText("—")
        self.sha256_label.setText("—")
        self.status_label.setStyleSheet("")

    def show_warnings(self, warnings: Sequence[str]) -> None:
        self.warnings = tuple(warnings)
        if not warnings:
            self.warnings_frame.hide()
            return
        items = "".join(f"<li>{_escape(w)}</li>" for w in warnings)
        self.warnings_label.setText(
            f"<b>⚠ Check before you rely on this certificate:</b>"
            f"<ul style='margin-left:-20px'>{items}</ul>")
        self.warnings_frame.show()

    def on_copy_sha1_button_clicked(self) -> None:
        if self.description is not None:
            QGuiApplication.clipboard().setText(self.description.sha1_fingerprint)
            self.fingerprint_copied.emit("SHA-1")

    def on_copy_sha256_button_clicked(self) -> None:
        if self.description is not None:
            QGuiApplication.clipboard().setText(self.description.sha256_fingerprint)
            self.fingerprint_copied.emit("SHA-256")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _with_button(label: QWidget, button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(label, 1)
    row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
    return row


class CertificateDetailsDialog(QDialog):
    """Everything about one certificate, as KeyStore Explorer's viewer shows it.

    ``chain`` is leaf first and starts with ``certificate`` (or is empty: the certificate
    alone). Exported files are written on the GUI thread: a certificate is a few kilobytes.
    """

    exported = Signal(str)  # the path written

    def __init__(self, certificate: x509.Certificate, *,
                 chain: Sequence[x509.Certificate] = (), alias: str | None = None,
                 warnings: Sequence[str] | None = None, now: dt.datetime | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.certificate = certificate
        self.described = describe_certificate(certificate)
        self.alias = alias
        self.chain = tuple(chain) or (certificate,)
        self._now = now
        self.child_dialog: CertificateDetailsDialog | None = None
        name = alias or self.described.common_name or self.described.subject
        self.setWindowTitle(f"Certificate details — {name}")
        self.banner = MessageBanner(self)

        self.tabs = QTabWidget(self)
        self.general = CertificateGeneralView(self)
        self.general.show_description(
            self.described,
            self.described.warnings(now) if warnings is None else warnings, now=now)
        general_scroll = QScrollArea(self)
        general_scroll.setWidgetResizable(True)
        general_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        general_scroll.setFrameShape(QFrame.Shape.NoFrame)
        general_page = QWidget()
        general_layout = QVBoxLayout(general_page)
        general_layout.addWidget(self.general)
        general_scroll.setWidget(general_page)
        self.tabs.addTab(general_scroll, "&General")

        self.chain_tree = QTreeWidget(self)
        self.chain_tree.setHeaderLabels(["Certificate", "Valid until", "Key"])
        self.chain_tree.setColumnWidth(0, 380)
        self._fill_chain()
        chain_page = QWidget()
        chain_layout = QVBoxLayout(chain_page)
        chain_note = QLabel(
            "The issuers found for this certificate, the root at the top. Double-click a "
            "certificate to see its details.", chain_page)
        chain_note.setWordWrap(True)
        chain_layout.addWidget(chain_note)
        chain_layout.addWidget(self.chain_tree, 1)
        self.tabs.addTab(chain_page, "C&hain")

        self.extensions_table = QTableWidget(0, 4, self)
        self.extensions_table.setHorizontalHeaderLabels(["Extension", "OID", "Critical", "Value"])
        self.extensions_table.verticalHeader().hide()
        self.extensions_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.extensions_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.extensions_table.setWordWrap(True)
        header = self.extensions_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self._fill_extensions()
        self.tabs.addTab(self.extensions_table, "E&xtensions")

        self.pem_text = QPlainTextEdit(self)
        self.pem_text.setReadOnly(True)
        self.pem_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.pem_text.setPlainText(certificate_bytes(certificate, "pem").decode("ascii"))
        self.copy_pem_button = QPushButton("&Copy PEM", self)
        pem_page = QWidget()
        pem_layout = QVBoxLayout(pem_page)
        pem_layout.addWidget(self.pem_text, 1)
        pem_buttons = QHBoxLayout()
        pem_buttons.addStretch(1)
        pem_buttons.addWidget(self.copy_pem_button)
        pem_layout.addLayout(pem_buttons)
        self.tabs.addTab(pem_page, "&PEM")

        self.buttons = QDialogButtonBox(self)
        self.export_pem_button = self.buttons.addButton(
            "Export as P&EM…", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_der_button = self.buttons.addButton(
            "Export as &DER…", QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.buttons)
        self.resize(780, 600)
        self._copy_shortcut = QShortcut(QKeySequence("Ctrl+Shift+C"), self)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.copy_pem_button.clicked.connect(self.on_copy_pem_button_clicked)
        self._copy_shortcut.activated.connect(self.on_copy_pem_button_clicked)
        self.export_pem_button.clicked.connect(self.on_export_pem_button_clicked)
        self.export_der_button.clicked.connect(self.on_export_der_button_clicked)
        self.close_button.clicked.connect(self.accept)
        self.chain_tree.itemDoubleClicked.connect(self.on_chain_tree_item_double_clicked)
        self.general.fingerprint_copied.connect(self.on_general_fingerprint_copied)
        # Wrapped values need their rows re-measured once the columns have their widths.
        self.extensions_table.horizontalHeader().sectionResized.connect(
            self.extensions_table.resizeRowsToContents)

    def _fill_chain(self) -> None:
        parent: QTreeWidget | QTreeWidgetItem = self.chain_tree
        item: QTreeWidgetItem | None = None
        top = describe_certificate(self.chain[-1])
        if not top.self_signed:
            # The issuer is not at hand: say so where it would be, above the chain.
            missing = QTreeWidgetItem(self.chain_tree,
                                      [f"Issuer not available: {top.issuer}", "", ""])
            missing.setForeground(0, Qt.GlobalColor.gray)
            parent = missing
        for cert in reversed(self.chain):  # root first, as a tree of issuers
            described = describe_certificate(cert)
            label = described.common_name or described.subject
            if described.is_ca:
                label += " (CA)"
            item = QTreeWidgetItem(parent, [label, f"{described.not_after:%Y-%m-%d}",
                                            f"{described.key_algorithm} {described.key_size or ''}"
                                            .strip()])
            item.setToolTip(0, f"Subject: {described.subject}\nIssuer: {described.issuer}\n"
                               f"SHA-256: {described.sha256_fingerprint}")
            item.setData(0, Qt.ItemDataRole.UserRole, cert)
            if described.status(self._now) in (CertificateStatus.EXPIRED,
                                               CertificateStatus.NOT_YET_VALID):
                item.setForeground(1, Qt.GlobalColor.red)
            parent = item
        self.chain_tree.expandAll()
        if item is not None:
            self.chain_tree.setCurrentItem(item)
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)

    def _fill_extensions(self) -> None:
        rows = self.described.extensions
        self.extensions_table.setRowCount(len(rows) or 1)
        if not rows:
            text = ("This certificate has no extensions (X.509 version 1)."
                    if self.described.extensions_readable
                    else "The extensions are malformed and cannot be shown.")
            self.extensions_table.setItem(0, 3, QTableWidgetItem(text))
            return
        for row, extension in enumerate(rows):
            values = (extension.name, extension.oid, "yes" if extension.critical else "no",
                      extension.value)
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.extensions_table.setItem(row, column, item)
        self.extensions_table.resizeRowsToContents()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.extensions_table.resizeRowsToContents()

    # -- slots ---------------------------------------------------------------------------

    def on_general_fingerprint_copied(self, which: str) -> None:
        self.banner.info(f"The {which} fingerprint was copied to the clipboard.")

    def on_copy_pem_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.pem_text.toPlainText())
        self.banner.info("The PEM text was copied to the clipboard.")

    def on_export_pem_button_clicked(self) -> None:
        self._export_with_dialog("pem")

    def on_export_der_button_clicked(self) -> None:
        self._export_with_dialog("der")

    def on_chain_tree_item_double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        cert = item.data(0, Qt.ItemDataRole.UserRole)
        if not isinstance(cert, x509.Certificate) or cert == self.certificate:
            return
        index = self.chain.index(cert)
        dialog = CertificateDetailsDialog(cert, chain=self.chain[index:], now=self._now,
                                          parent=self)
        self.child_dialog = dialog
        dialog.open()

    # -- export --------------------------------------------------------------------------

    def suggested_file_name(self, fmt: str) -> str:
        stem = self.alias or self.described.common_name or "certificate"
        stem = "".join(c if c.isalnum() or c in "._-" else "-" for c in stem)
        return f"{stem}.{'pem' if fmt == 'pem' else 'cer'}"

    def _export_with_dialog(self, fmt: str) -> None:
        path = choose_save_path(self, f"Export the certificate as {fmt.upper()}",
                                self.suggested_file_name(fmt), EXPORT_FORMATS[fmt])
        if path:
            self.export(path, fmt)

    def export(self, path: str | Path, fmt: str) -> bool:
        """Write the certificate to ``path`` as PEM or DER; a failure shows in the dialog."""
        target = Path(path)
        try:
            target.write_bytes(certificate_bytes(self.certificate, fmt))
        except OSError as exc:
            self.banner.error(f"The certificate could not be written to {target} "
                              f"({exc.strerror or exc}). Choose another folder or file name.")
            return False
        log.info("Certificate exported as %s to %s", fmt.upper(), target)
        self.banner.success(f"The certificate was saved as {fmt.upper()} to {target}.")
        self.exported.emit(str(target))
        return True


def show_details(parent: QWidget | None, certificate: x509.Certificate, *,
                 chain: Sequence[x509.Certificate] = (), alias: str | None = None,
                 warnings: Sequence[str] | None = None) -> CertificateDetailsDialog:
    """Open the details of ``certificate`` without blocking; returns the dialog."""
    dialog = CertificateDetailsDialog(certificate, chain=chain, alias=alias, warnings=warnings,
                                      parent=parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
