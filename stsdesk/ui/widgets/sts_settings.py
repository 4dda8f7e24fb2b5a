"""Token lifetimes, clock skew and account lockout: the STS settings beside the policy."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QPushButton, QSpinBox, QWidget

from stsdesk.services.admin.models import LockoutPolicy, StsSettings, TokenSettings

__all__ = ["StsSettingsGroup"]

_DAY = 24 * 3600


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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Tokens and Sign-in", parent)
        self.default_lifetime = _spin(self, 1, 7 * _DAY, " s")
        self.max_lifetime = _spin(self, 1, 30 * _DAY, " s")
        self.clock_skew = _spin(self, 0, 3600, " s")
        self.max_attempts = _spin(self, 1, 1000, " failed sign-ins")
        self.lockout = _spin(self, 1, 30 * _DAY, " s")
        self.apply_button = QPushButton("Apply se&ttings", self)
        self.apply_button.setToolTip(
            "Save the token lifetimes and the lockout policy (they apply to the next request)")
        tokens = QFormLayout()
        tokens.addRow("Default token lifetime:", self.default_lifetime)
        tokens.addRow("Maximum token lifetime:", self.max_lifetime)
        tokens.addRow("Allowed clock skew:", self.clock_skew)
        sign_in = QFormLayout()
        sign_in.addRow("Lock an account after:", self.max_attempts)
        sign_in.addRow("Keep it locked for:", self.lockout)
        layout = QHBoxLayout(self)
        layout.addLayout(tokens)
        layout.addSpacing(24)
        layout.addLayout(sign_in)
        layout.addStretch(1)
        layout.addWidget(self.apply_button, 0, Qt.AlignmentFlag.AlignBottom)
        self._loaded: StsSettings | None = None
        self._fields = (self.default_lifetime, self.max_lifetime, self.clock_skew,
                        self.max_attempts, self.lockout)
        self._connect_signals()
        self.apply_button.setEnabled(False)

    def _connect_signals(self) -> None:
        for box in self._fields:
            box.valueChanged.connect(self.on_field_value_changed)
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
        self.on_field_value_changed()

    def values(self) -> StsSettings:
        return StsSettings(
            tokens=TokenSettings(self.default_lifetime.value(), self.max_lifetime.value(),
                                 self.clock_skew.value()),
            lockout=LockoutPolicy(self.max_attempts.value(), self.lockout.value()),
        )

    def has_unsaved_changes(self) -> bool:
        return self._loaded is not None and self.values() != self._loaded

    def on_field_value_changed(self, *_: object) -> None:
        self.apply_button.setEnabled(self.has_unsaved_changes())

    def on_apply_button_clicked(self) -> None:
        if self.has_unsaved_changes():
            self.apply_requested.emit(self.values())

    def set_busy(self, busy: bool) -> None:
        self.apply_button.setEnabled(not busy and self.has_unsaved_changes())
