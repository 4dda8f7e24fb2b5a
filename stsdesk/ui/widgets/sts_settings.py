"""Token lifetimes, clock skew, account lockout and PasswordDigest: the STS settings."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.limits import MAX_CONTEXT_LIFETIME_SECONDS, MIN_CONTEXT_LIFETIME_SECONDS
from stsdesk.services.admin.models import (
    LockoutPolicy,
    PasswordDigestSetting,
    StsSettings,
    TokenSettings,
)
from stsdesk.ui.widgets.form import error_label, show_problem

__all__ = ["StsSettingsGroup", "DIGEST_TRADE_OFF"]

_DAY = 24 * 3600
_MUTED = "color:#57606a;"

DIGEST_TRADE_OFF = (
    "PasswordDigest needs each password stored reversibly: sealed with the master secret "
    "beside its hash, so whoever has the database and the master secret can read every such "
    "password. Off (the default), only hashes are kept and PasswordDigest requests are "
    "refused; turning it off deletes the stored copies. On, a user's copy is stored at their "
    "next sign-in with the password (PasswordText or this console) or when it is next set."
)


def _spin(parent: QWidget, minimum: int, maximum: int, suffix: str) -> QSpinBox:
    box = QSpinBox(parent)
    box.setRange(minimum, maximum)
    box.setSuffix(suffix)
    box.setAccelerated(True)
    box.setMinimumWidth(170)
    box.setMaximumWidth(220)
    return box


class StsSettingsGroup(QGroupBox):
    """The values as the server has them; Apply sends both settings when something changed."""

    apply_requested = Signal(object)  # StsSettings
    edited = Signal()  # the person changed a value (an old complaint may no longer hold)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Tokens and Sign-in", parent)
        # The ranges start at 0 although 0 is not allowed: a spin box silently puts back the
        # old value when one types below its minimum; here the form says what is wrong instead.
        self.default_lifetime = _spin(self, 0, 7 * _DAY, " s")
        self.max_lifetime = _spin(self, 0, 30 * _DAY, " s")
        self.clock_skew = _spin(self, 0, 3600, " s")
        self.context_lifetime = _spin(self, 0, MAX_CONTEXT_LIFETIME_SECONDS, " s")
        self.context_lifetime.setToolTip(
            "How long a WS-SecureConversation security context (scenarios 9 to 15) lives, and "
            "how far a Renew extends it; never longer than the maximum token lifetime.")
        self.context_lifetime.setEnabled(False)  # until the server says it has the setting
        self.max_attempts = _spin(self, 0, 1000, " failed sign-ins")
        self.lockout = _spin(self, 0, 30 * _DAY, " s")
        self.problem_label = error_label(self)
        self.allow_digest = QCheckBox("Allo&w UsernameToken PasswordDigest", self)
        self.allow_digest.setEnabled(False)  # until the server says it has the setting
        self.digest_trade_off = QLabel(DIGEST_TRADE_OFF, self)
        self.digest_trade_off.setWordWrap(True)
        # A long wrapped sentence must not set the page's minimum width: it takes what is left.
        self.digest_trade_off.setMinimumWidth(220)
        self.digest_trade_off.setSizePolicy(QSizePolicy.Policy.Ignored,
                                            QSizePolicy.Policy.Preferred)
        self.digest_trade_off.setStyleSheet(_MUTED)
        self.digest_status = QLabel(self)
        self.apply_button = QPushButton("Apply se&ttings", self)
        self.apply_button.setToolTip(
            "Save the token lifetimes, the lockout policy and PasswordDigest (they apply to the "
            "next request)")
        tokens = QFormLayout()
        tokens.addRow("Default token lifetime:", self.default_lifetime)
        tokens.addRow("Maximum token lifetime:", self.max_lifetime)
        tokens.addRow("Allowed clock skew:", self.clock_skew)
        tokens.addRow("Security context lifetime:", self.context_lifetime)
        tokens.addRow(self.problem_label)
        sign_in = QFormLayout()
        sign_in.addRow("Lock an account after:", self.max_attempts)
        sign_in.addRow("Keep it locked for:", self.lockout)
        digest = QVBoxLayout()
        digest.addWidget(self.allow_digest)
        digest.addWidget(self.digest_trade_off)
        digest.addWidget(self.digest_status)
        digest.addStretch(1)
        # Two rows: three columns side by side made the STS page wider than a 1280 px screen
        # leaves beside the navigation.
        fields = QHBoxLayout()
        fields.addLayout(tokens)
        fields.addSpacing(24)
        fields.addLayout(sign_in)
        fields.addStretch(1)
        fields.addWidget(self.apply_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.addLayout(fields)
        layout.addLayout(digest)
        self._loaded: StsSettings | None = None
        self._fields = (self.default_lifetime, self.max_lifetime, self.clock_skew,
                        self.max_attempts, self.lockout)
        self._connect_signals()
        self.apply_button.setEnabled(False)

    def _connect_signals(self) -> None:
        for box in (*self._fields, self.context_lifetime):
            box.valueChanged.connect(self.on_field_value_changed)
        self.allow_digest.toggled.connect(self.on_field_value_changed)
        self.apply_button.clicked.connect(self.on_apply_button_clicked)

    def show_values(self, settings: StsSettings) -> None:
        self._loaded = settings
        shown = (settings.tokens.default_lifetime_seconds, settings.tokens.max_lifetime_seconds,
                 settings.tokens.clock_skew_seconds, settings.lockout.max_failed_attempts,
                 settings.lockout.lockout_seconds)
        for box, value in zip(self._fields, shown, strict=True):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self._show_context_lifetime(settings.tokens.security_context_lifetime_seconds)
        self._show_digest(settings.password_digest)
        self.on_field_value_changed()

    def _show_context_lifetime(self, seconds: int | None) -> None:
        # A server from before the setting has none: the box stays greyed out and is not sent.
        self.context_lifetime.setEnabled(seconds is not None)
        self.context_lifetime.blockSignals(True)
        self.context_lifetime.setValue(seconds if seconds is not None else 0)
        self.context_lifetime.blockSignals(False)

    def _show_digest(self, digest: PasswordDigestSetting | None) -> None:
        self.allow_digest.setEnabled(digest is not None)
        self.allow_digest.blockSignals(True)
        self.allow_digest.setChecked(digest is not None and digest.allowed)
        self.allow_digest.blockSignals(False)
        if digest is None:
            self.digest_status.setText("This server does not offer the PasswordDigest setting.")
        elif not digest.allowed:
            self.digest_status.setText("No password is stored reversibly.")
        elif digest.stored_count is not None:
            self.digest_status.setText(
                f"Users who can use PasswordDigest now: {digest.stored_count} (the others from "
                "their next sign-in).")
        else:
            self.digest_status.setText("")

    def values(self) -> StsSettings:
        loaded = self._loaded.password_digest if self._loaded is not None else None
        known_context = (self._loaded is not None
                         and self._loaded.tokens.security_context_lifetime_seconds is not None)
        # The stored count is the server's to say: only "allowed" is the person's choice.
        digest = (None if loaded is None
                  else PasswordDigestSetting(self.allow_digest.isChecked(), loaded.stored_count))
        return StsSettings(
            tokens=TokenSettings(self.default_lifetime.value(), self.max_lifetime.value(),
                                 self.clock_skew.value(),
                                 self.context_lifetime.value() if known_context else None),
            lockout=LockoutPolicy(self.max_attempts.value(), self.lockout.value()),
            password_digest=digest,
        )

    def has_unsaved_changes(self) -> bool:
        return self._loaded is not None and self.values() != self._loaded

    def problem(self) -> tuple[str, QSpinBox] | None:
        """What is wrong with the values as typed, in the form's words, and the field it is
        about; None when the server would accept them."""
        for box, what, unit in ((self.default_lifetime, "The default token lifetime", "1 s"),
                                (self.max_lifetime, "The maximum token lifetime", "1 s"),
                                (self.max_attempts, "Locking an account", "1 failed sign-in"),
                                (self.lockout, "Keeping an account locked", "1 s")):
            if box.value() < 1:
                return f"{what} must be at least {unit}.", box
        if self.context_lifetime.isEnabled() and (
                self.context_lifetime.value() < MIN_CONTEXT_LIFETIME_SECONDS):
            return (f"The security context lifetime must be at least "
                    f"{MIN_CONTEXT_LIFETIME_SECONDS} s.", self.context_lifetime)
        default, maximum = self.default_lifetime.value(), self.max_lifetime.value()
        if default > maximum:
            return (f"The default token lifetime ({default} s) is longer than the maximum "
                    f"({maximum} s): lower the default or raise the maximum.",
                    self.default_lifetime)
        return None

    def on_field_value_changed(self, *_: object) -> None:
        problem = self.problem()
        show_problem(self.problem_label, problem[0] if problem else None)
        self.apply_button.setEnabled(problem is None and self.has_unsaved_changes())
        self.edited.emit()

    def on_apply_button_clicked(self) -> None:
        problem = self.problem()
        if problem is not None:
            show_problem(self.problem_label, problem[0])
            problem[1].setFocus()
            return
        if self.has_unsaved_changes():
            self.apply_requested.emit(self.values())

    def set_busy(self, busy: bool) -> None:
        self.apply_button.setEnabled(
            not busy and self.problem() is None and self.has_unsaved_changes())
