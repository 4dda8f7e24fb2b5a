"""Token lifetimes, clock skew and account lockout: the STS settings beside the policy."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QPushButton, QSpinBox, QWidget

from stsdesk.services.admin_client import AdminClient

__all__ = ["StsSettingsGroup", "load_settings", "save_settings"]

_DAY = 24 * 3600


def load_settings(client: AdminClient) -> dict[str, Any]:
    return {**client.get("/sts/token-settings"), **client.get("/sts/lockout-policy")}


def save_settings(client: AdminClient, values: dict[str, int]) -> dict[str, Any]:
    tokens = {key: values[key] for key in
              ("defaultLifetimeSeconds", "maxLifetimeSeconds", "clockSkewSeconds")}
    lockout = {key: values[key] for key in ("maxFailedAttempts", "lockoutSeconds")}
    return {**client.put("/sts/token-settings", tokens),
            **client.put("/sts/lockout-policy", lockout)}


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

    apply_requested = Signal(dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Tokens and Sign-in", parent)
        self.default_lifetime = _spin(self, 1, 7 * _DAY, " s")
        self.max_lifetime = _spin(self, 1, 30 * _DAY, " s")
        self.clock_skew = _spin(self, 0, 3600, " s")
        self.max_attempts = _spin(self, 1, 1000, " failed sign-ins")
        self.lockout = _spin(self, 1, 30 * _DAY, " s")
        self.apply_button = QPushButton("Apply &settings", self)
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
        self._loaded: dict[str, int] = {}
        self._fields: dict[str, QSpinBox] = {
            "defaultLifetimeSeconds": self.default_lifetime,
            "maxLifetimeSeconds": self.max_lifetime,
            "clockSkewSeconds": self.clock_skew,
            "maxFailedAttempts": self.max_attempts,
            "lockoutSeconds": self.lockout,
        }
        self._connect_signals()
        self.apply_button.setEnabled(False)

    def _connect_signals(self) -> None:
        for box in self._fields.values():
            box.valueChanged.connect(self.on_field_value_changed)
        self.apply_button.clicked.connect(self.on_apply_button_clicked)

    def show_values(self, values: dict[str, Any]) -> None:
        self._loaded = {key: int(values[key]) for key in self._fields if key in values}
        for key, box in self._fields.items():
            if key in self._loaded:
                box.blockSignals(True)
                box.setValue(self._loaded[key])
                box.blockSignals(False)
        self.on_field_value_changed()

    def values(self) -> dict[str, int]:
        return {key: box.value() for key, box in self._fields.items()}

    def has_unsaved_changes(self) -> bool:
        return bool(self._loaded) and self.values() != self._loaded

    def on_field_value_changed(self, *_: object) -> None:
        self.apply_button.setEnabled(self.has_unsaved_changes())

    def on_apply_button_clicked(self) -> None:
        if self.has_unsaved_changes():
            self.apply_requested.emit(self.values())

    def set_busy(self, busy: bool) -> None:
        self.apply_button.setEnabled(not busy and self.has_unsaved_changes())
