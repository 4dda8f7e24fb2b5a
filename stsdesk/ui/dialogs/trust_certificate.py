"""Trust on first use: show a server's certificate fingerprint and let a person pin it (or warn)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stsdesk.services.tls import display_fingerprint

__all__ = ["TrustCertificateDialog", "format_fingerprint", "fingerprint_lines"]

_WARNING_STYLE = ("#changedWarning {background:#fdecea; color:#611a15; border:2px solid #c62828;"
                  " border-radius:4px;}")


def format_fingerprint(sha256_hex: str) -> str:
    """``ab12…`` -> ``AB:12:…``, the way certificate viewers show fingerprints."""
    return display_fingerprint(sha256_hex.replace(":", "").strip().lower())


def fingerprint_lines(sha256_hex: str) -> str:
    """The formatted fingerprint on two lines of 16 bytes (fits a dialog; joins back exactly)."""
    text = format_fingerprint(sha256_hex)
    return text[:48] + "\n" + text[48:] if len(text) > 48 else text


class TrustCertificateDialog(QDialog):
    """Two modes: a first-use question (trust and pin, or cancel), and a CHANGED-certificate
    warning that cannot be accepted here (the old pin must be removed explicitly first)."""

    def __init__(self, parent: QWidget | None, url: str, subject: str, sha256: str, *,
                 previous_sha256: str | None = None) -> None:
        super().__init__(parent)
        self.url = url
        self.changed = previous_sha256 is not None
        self.trust_button: QPushButton | None = None
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        def value(text: str, *, fixed: bool = False) -> QLabel:
            label = QLabel(text, self)
            label.setTextFormat(Qt.TextFormat.PlainText)  # subjects come from the server
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            if fixed:
                label.setFont(mono)
            else:
                label.setWordWrap(True)
            return label

        if previous_sha256 is None:
            self.setWindowTitle("Trust this server's certificate?")
            heading = QLabel("<b>Do you trust the certificate of this server?</b>", self)
            explanation = QLabel(
                "No certificate authority on this computer vouches for the server at "
                f"{url}. That is normal for a server with a self-signed certificate, such "
                "as a new stsdesk or WSO2 Identity Server.\n\n"
                "Before you trust it, compare the SHA-256 fingerprint below with the one the "
                "server's administrator gives you, over a channel you trust (in person, by "
                "phone). If they match, stsdesk pins this certificate for this server and "
                "refuses to connect should it ever change. If you cannot check it, Cancel.",
                self)
            explanation.setTextFormat(Qt.TextFormat.PlainText)
            explanation.setWordWrap(True)
            layout.addWidget(heading)
            layout.addWidget(explanation)
            layout.addSpacing(8)
            self.subject_label: QLabel | None = value(subject or "(no subject)")
            self.fingerprint_label = value(fingerprint_lines(sha256), fixed=True)
            self.previous_label: QLabel | None = None
            form.addRow("Server:", value(url))
            form.addRow("Subject:", self.subject_label)
            form.addRow("SHA-256 fingerprint:", self.fingerprint_label)
            layout.addLayout(form)
            buttons = QDialogButtonBox(self)
            self.trust_button = buttons.addButton("&Trust and pin this certificate",
                                                  QDialogButtonBox.ButtonRole.AcceptRole)
            cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
            # Trusting is the decision that needs a deliberate click; Enter means "no".
            cancel.setDefault(True)
            cancel.setFocus()
        else:
            self.setWindowTitle("The server's certificate has CHANGED")
            warning = QFrame(self)
            warning.setObjectName("changedWarning")
            warning.setStyleSheet(_WARNING_STYLE)
            inner = QVBoxLayout(warning)
            title = QLabel("⚠ <b>WARNING: the certificate of this server has changed</b>",
                           warning)
            text = QLabel(
                f"The certificate that {url} presents now is not the one pinned for it. "
                "Someone may be intercepting the connection, or the server got a new "
                "certificate. stsdesk will not connect to it.\n\n"
                "Ask the server's administrator whether the certificate was replaced and "
                "compare the new fingerprint below. Only if they confirm it: remove the pin "
                "in the server's profile (\"Remove pin\") and test the connection again to pin "
                "the new certificate.", warning)
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.setWordWrap(True)
            inner.addWidget(title)
            inner.addWidget(text)
            layout.addWidget(warning)
            self.subject_label = value(subject) if subject else None
            self.previous_label = value(fingerprint_lines(previous_sha256), fixed=True)
            self.fingerprint_label = value(fingerprint_lines(sha256), fixed=True)
            self.fingerprint_label.setStyleSheet("color:#c62828; font-weight:bold;")
            form.addRow("Server:", value(url))
            if self.subject_label is not None:
                form.addRow("Subject:", self.subject_label)
            form.addRow("Pinned (expected) SHA-256:", self.previous_label)
            form.addRow("Presented (new) SHA-256:", self.fingerprint_label)
            layout.addLayout(form)
            buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
            buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
        self.buttons = buttons
        layout.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.setMinimumWidth(640)
        # Wrapped labels need their height for this width, which a top-level does not ask
        # for by itself.
        self.resize(640, max(self.sizeHint().height(), self.heightForWidth(640)))

    @classmethod
    def ask(cls, parent: QWidget | None, url: str, subject: str, sha256: str) -> bool:
        """True if the user chose to trust and pin the certificate ``sha256`` of ``url``."""
        dialog = cls(parent, url, subject, sha256)
        return dialog.exec() == QDialog.DialogCode.Accepted

    @classmethod
    def warn_changed(cls, parent: QWidget | None, url: str, expected_sha256: str,
                     actual_sha256: str, subject: str = "") -> None:
        """Say loudly that the pinned certificate of ``url`` changed; nothing can be accepted."""
        cls(parent, url, subject, actual_sha256, previous_sha256=expected_sha256).exec()
