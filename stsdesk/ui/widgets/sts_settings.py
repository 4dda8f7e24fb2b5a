"""Token lifetimes, clock skew, account lockout and PasswordDigest: the STS settings."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from stsdesk.services.admin_client import AdminClient
from stsdesk.services.errors import AdminApiError

__all__ = ["StsSettingsGroup", "load_settings", "save_settings", "DIGEST_TRADE_OFF"]

_DAY = 24 * 3600
_DIGEST = "allowPasswordDigest"
_STORED = "storedPasswordCount"
_MUTED = "color:#57606a;"

DIGEST_TRADE_OFF = (
    "PasswordDigest needs each password stored reversibly: sealed with the master secret "
    "beside its hash, so whoever has the database and the master secret can read every such "
    "password. Off (the default), only hashes are kept and PasswordDigest requests are "
    "refused; turning it off deletes the stored copies. On, a user's copy is stored at their "
    "next sign-in with the password (PasswordText or this console) or when it is next set."
)


def load_settings(client: AdminClient) -> dict[str, Any]:
    values = {**client.get("/sts/token-settings"), **client.get("/sts/lockout-policy")}
    try:
        values.update(client.get("/sts/password-digest"))
    except AdminApiError as error:
        if error.status != 404:
            raise
        # A server from before the setting: the checkbox stays disabled.
    return values


def save_settings(client: AdminClient, values: dict[str, Any]) -> dict[str, Any]:
    tokens = {key: values[key] for key in
              ("defaultLifetimeSeconds", "maxLifetimeSeconds", "clockSkewSeconds")}
    lockout = {key: values[key] for key in ("maxFailedAttempts", "lockoutSeconds")}
    saved = {**client.put("/sts/token-settings", tokens),
             **client.put("/sts/lockout-policy", lockout)}
    if _DIGEST in values:
        saved.update(client.put("/sts/password-digest", {_DIGEST: bool(values[_DIGEST])}))
    return saved


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
        self.allow_digest = QCheckBox("Allow UsernameToken &PasswordDigest", self)
        self.allow_digest.setEnabled(False)  # until the server says it has the setting
        self.digest_trade_off = QLabel(DIGEST_TRADE_OFF, self)
        self.digest_trade_off.setWordWrap(True)
        self.digest_trade_off.setStyleSheet(_MUTED)
        self.digest_status = QLabel(self)
        self.apply_button = QPushButton("Apply &settings", self)
        self.apply_button.setToolTip(
            "Save the token lifetimes, the lockout policy and PasswordDigest (they apply to the "
            "next request)")
        tokens = QFormLayout()
        tokens.addRow("Default token lifetime:", self.default_lifetime)
        tokens.addRow("Maximum token lifetime:", self.max_lifetime)
        tokens.addRow("Allowed clock skew:", self.clock_skew)
        sign_in = QFormLayout()
        sign_in.addRow("Lock an account after:", self.max_attempts)
        sign_in.addRow("Keep it locked for:", self.lockout)
        digest = QVBoxLayout()
        digest.addWidget(self.allow_digest)
        digest.addWidget(self.digest_trade_off)
        digest.addWidget(self.digest_status)
        digest.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addLayout(tokens)
        layout.addSpacing(24)
        layout.addLayout(sign_in)
        layout.addSpacing(24)
        layout.addLayout(digest, 1)
        layout.addWidget(self.apply_button, 0, Qt.AlignmentFlag.AlignBottom)
        self._loaded: dict[str, Any] = {}
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
        self.allow_digest.toggled.connect(self.on_field_value_changed)
        self.apply_button.clicked.connect(self.on_apply_button_clicked)

    def show_values(self, values: dict[str, Any]) -> None:
        self._loaded = {key: int(values[key]) for key in self._fields if key in values}
        for key, box in self._fields.items():
            if key in self._loaded:
                box.blockSignals(True)
                box.setValue(self._loaded[key])
                box.blockSignals(False)
        self._show_digest(values)
        self.on_field_value_changed()

    def _show_digest(self, values: dict[str, Any]) -> None:
        offered = _DIGEST in values
        self.allow_digest.setEnabled(offered)
        self.allow_digest.blockSignals(True)
        self.allow_digest.setChecked(offered and bool(values[_DIGEST]))
        self.allow_digest.blockSignals(False)
        if not offered:
            self._loaded.pop(_DIGEST, None)
            self.digest_status.setText("This server does not offer the PasswordDigest setting.")
            return
        self._loaded[_DIGEST] = bool(values[_DIGEST])
        stored = values.get(_STORED)
        if not values[_DIGEST]:
            self.digest_status.setText("No password is stored reversibly.")
        elif stored is not None:
            self.digest_status.setText(
                f"Users who can use PasswordDigest now: {int(stored)} (the others from their "
                "next sign-in).")
        else:
            self.digest_status.setText("")

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {key: box.value() for key, box in self._fields.items()}
        if _DIGEST in self._loaded:
            values[_DIGEST] = self.allow_digest.isChecked()
        return values

    def has_unsaved_changes(self) -> bool:
        return bool(self._loaded) and self.values() != self._loaded

    def on_field_value_changed(self, *_: object) -> None:
        self.apply_button.setEnabled(self.has_unsaved_changes())

    def on_apply_button_clicked(self) -> None:
        if self.has_unsaved_changes():
            self.apply_requested.emit(self.values())

    def set_busy(self, busy: bool) -> None:
        self.apply_button.setEnabled(not busy and self.has_unsaved_changes())
