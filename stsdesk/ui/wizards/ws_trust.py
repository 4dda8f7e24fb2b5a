"""The WS-Trust Security Token Service Configuration wizard of a service provider."""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from stsdesk.core import ns
from stsdesk.core.audiences import audience_problem
from stsdesk.core.tokentypes import TokenType
from stsdesk.services.admin import AdminApi
from stsdesk.services.admin.models import WsTrustConfig, WsTrustOptions
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.errors import show_error
from stsdesk.ui.widgets.banner import MessageBanner
from stsdesk.ui.widgets.form import error_label

__all__ = [
    "WsTrustConfigurationWizard",
    "WsTrustOptions",
    "audience_problem",
    "algorithm_label",
    "NO_CERTIFICATE",
    "TOKEN_TYPES",
    "KEY_TYPES",
]

log = logging.getLogger("stsdesk.ui")

NO_CERTIFICATE = "(none — tokens not encrypted)"
WARNING_STYLE = "color:#8a5300;"

TOKEN_TYPES = {
    token_type: token_type.display_name for token_type in (TokenType.SAML20, TokenType.SAML11)
}
KEY_TYPES = {
    "Bearer": "Bearer — no proof key",
    "SymmetricKey": "SymmetricKey — holder-of-key with a shared secret",
    "PublicKey": "PublicKey — holder-of-key bound to the client's certificate",
}
# Readable names for the algorithm URIs; "legacy" marks those kept only for old relying parties.
_ALGORITHMS = {
    ns.AES256_GCM: "AES-256-GCM",
    ns.AES128_GCM: "AES-128-GCM",
    ns.AES256_CBC: "AES-256-CBC (legacy)",
    ns.RSA_OAEP_MGF1P: "RSA-OAEP-MGF1P",
    ns.RSA_OAEP: "RSA-OAEP (XML Encryption 1.1)",
    ns.RSA_SHA256: "RSA-SHA256",
    ns.RSA_SHA512: "RSA-SHA512",
    ns.RSA_SHA1: "RSA-SHA1 (legacy)",
    ns.SHA256: "SHA-256",
    ns.SHA512: "SHA-512",
    ns.SHA1: "SHA-1 (legacy)",
}
_NAME_ID_FORMATS = {
    ns.NAMEID_UNSPECIFIED: "Unspecified",
    ns.NAMEID_EMAIL: "Email address",
    ns.NAMEID_X509_SUBJECT: "X.509 subject name",
    ns.NAMEID_PERSISTENT: "Persistent",
    ns.NAMEID_TRANSIENT: "Transient",
    ns.NAMEID_ENTITY: "Entity",
}


def algorithm_label(uri: str) -> str:
    """The name a person reads for an algorithm URI (the URI itself when unknown)."""
    return _ALGORITHMS.get(uri, uri)




# ------------------------------------------------------------------------------------ pages


class _Step(QWizardPage):
    """A wizard page with an inline banner on top and a form below it."""

    def __init__(self, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.banner = MessageBanner(self)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(self.form)
        layout.addStretch(1)

    def add_row(self, text: str, field_widget: QWidget | QHBoxLayout,
                buddy: QWidget | None = None) -> QLabel:
        label = QLabel(text, self)
        target = buddy or (field_widget if isinstance(field_widget, QWidget) else None)
        if target is not None:
            label.setBuddy(target)
        self.form.addRow(label, field_widget)
        return label


def _note(parent: QWidget, text: str = "", style: str = "") -> QLabel:
    """A wrapped explanation under a field, as wide as the field column."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    # Top-aligned: a wrapped label may get more height than its lines need.
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    label.setStyleSheet(style)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


def _fill(combo: QComboBox, options: Sequence[str], labels: Mapping[str, str],
          selected: str | None) -> None:
    """Replace the combo's items with ``options`` (data = the value), selecting ``selected``."""
    combo.blockSignals(True)
    combo.clear()
    for option in options:
        combo.addItem(labels.get(option, option), option)
        combo.setItemData(combo.count() - 1, option, Qt.ItemDataRole.ToolTipRole)
    if selected is not None:
        if combo.findData(selected) < 0:
            combo.addItem(labels.get(selected, selected), selected)
        combo.setCurrentIndex(combo.findData(selected))
    combo.blockSignals(False)
    combo.currentIndexChanged.emit(combo.currentIndex())


class EndpointPage(_Step):
    """Step 1: the Endpoint Address (audience) and the Certificate Alias."""

    def __init__(self, wizard: WsTrustConfigurationWizard) -> None:
        super().__init__(
            "Relying party",
            "The Endpoint Address is the AppliesTo address that selects this service provider; "
            "the Certificate Alias names the relying party's certificate in the trust store.",
        )
        self._wizard = wizard
        self.audience_edit = QLineEdit(self)
        self.audience_edit.setPlaceholderText("https://rp.example.org/service")
        self.audience_error = error_label(self)
        self.audience_note = _note(self)
        self.audience_note.hide()
        self.alias_combo = QComboBox(self)
        self.alias_combo.setMinimumContentsLength(24)
        self.import_button = QPushButton("&Import certificate…", self)
        alias_row = QHBoxLayout()
        alias_row.addWidget(self.alias_combo, 1)
        alias_row.addWidget(self.import_button)
        self.add_row("&Endpoint Address:", self.audience_edit)
        _add_note_row(self.form, self.audience_error)
        _add_note_row(self.form, self.audience_note)
        self.add_row("Certificate &Alias:", alias_row, self.alias_combo)
        alias_hint = _note(
            self, "The token, and for SymmetricKey its proof key, is encrypted for this "
            "certificate. Without one, tokens are only signed.")
        _add_note_row(self.form, alias_hint)
        self.registerField("audience*", self.audience_edit)
        self.setTabOrder(self.audience_edit, self.alias_combo)
        self.setTabOrder(self.alias_combo, self.import_button)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.audience_edit.textChanged.connect(self.on_audience_edit_text_changed)

    @property
    def audience(self) -> str:
        return self.audience_edit.text().strip()

    @property
    def certificate_alias(self) -> str | None:
        value = self.alias_combo.currentData()
        return str(value) if value else None

    def set_aliases(self, aliases: Sequence[str], selected: str | None) -> None:
        self.alias_combo.blockSignals(True)
        self.alias_combo.clear()
        self.alias_combo.addItem(NO_CERTIFICATE, "")
        for alias in aliases:
            self.alias_combo.addItem(alias, alias)
        if selected:
            if self.alias_combo.findData(selected) < 0:
                self.alias_combo.addItem(selected, selected)
            self.alias_combo.setCurrentIndex(self.alias_combo.findData(selected))
        self.alias_combo.blockSignals(False)

    def lock_audience(self, audience: str) -> None:
        """An existing configuration: the audience cannot change on update (as in WSO2)."""
        self.audience_edit.setText(audience)
        self.audience_edit.setReadOnly(True)
        self.audience_note.setText(
            "The Endpoint Address cannot be changed once set. To change it, remove the "
            "WS-Trust configuration and configure it again.")
        self.audience_note.show()

    def on_audience_edit_text_changed(self, _text: str) -> None:
        text = self.audience_edit.text()
        problem = audience_problem(text.strip()) if text else None
        self.audience_error.setText(problem or "")
        self.audience_error.setVisible(problem is not None)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return (super().isComplete() and self._wizard.choices is not None
                and audience_problem(self.audience) is None)

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        problem = audience_problem(self.audience)
        if problem is not None:
            self.audience_error.setText(problem)
            self.audience_error.show()
            self.audience_edit.setFocus()
            return False
        return True


class TokenPage(_Step):
    """Step 2: token type, key type, NameID format and lifetime."""

    def __init__(self, wizard: WsTrustConfigurationWizard) -> None:
        super().__init__(
            "Token defaults",
            "What this STS issues for the relying party when the request does not say.",
        )
        self._wizard = wizard
        self.token_type_combo = QComboBox(self)
        self.key_type_combo = QComboBox(self)
        self.key_type_error = error_label(self)
        self.name_id_combo = QComboBox(self)
        self.lifetime_spin = QSpinBox(self)
        self.lifetime_spin.setSuffix(" s")
        self.lifetime_spin.setMinimum(0)  # 0 shows as "Server default"
        self.lifetime_spin.setMaximum(8 * 3600)
        self.lifetime_spin.setSingleStep(60)
        self.lifetime_spin.setAccelerated(True)
        self.add_row("&Token Type:", self.token_type_combo)
        self.add_row("&Key Type:", self.key_type_combo)
        _add_note_row(self.form, self.key_type_error)
        self.add_row("&NameID Format:", self.name_id_combo)
        self.add_row("Token &Lifetime:", self.lifetime_spin)
        self.lifetime_hint = _note(self)
        _add_note_row(self.form, self.lifetime_hint)
        self.setTabOrder(self.token_type_combo, self.key_type_combo)
        self.setTabOrder(self.key_type_combo, self.name_id_combo)
        self.setTabOrder(self.name_id_combo, self.lifetime_spin)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.key_type_combo.currentIndexChanged.connect(self.on_key_type_combo_changed)

    def set_options(self, options: WsTrustOptions, current: WsTrustConfig | None) -> None:
        defaults = options.defaults
        _fill(self.token_type_combo, options.token_types or tuple(TOKEN_TYPES), TOKEN_TYPES,
              (current and current.token_type) or defaults.get("token_type"))
        _fill(self.key_type_combo, options.key_types or tuple(KEY_TYPES), KEY_TYPES,
              (current and current.key_type) or defaults.get("key_type"))
        _fill(self.name_id_combo, options.name_id_formats, _NAME_ID_FORMATS,
              (current and current.name_id_format) or defaults.get("name_id_format"))
        self.lifetime_spin.setMaximum(options.lifetime_maximum)
        self.lifetime_spin.setSpecialValueText(
            f"Server default ({options.lifetime_default} s)")
        self.lifetime_spin.setValue((current and current.token_lifetime_seconds) or 0)
        self.lifetime_hint.setText(
            f"At most {options.lifetime_maximum} s (this STS's maximum); a request's "
            "wst:Lifetime is honoured within it.")

    @property
    def token_type(self) -> str:
        return str(self.token_type_combo.currentData() or "")

    @property
    def key_type(self) -> str:
        return str(self.key_type_combo.currentData() or "")

    @property
    def lifetime(self) -> int | None:
        return self.lifetime_spin.value() or None

    def on_key_type_combo_changed(self, _index: int) -> None:
        self.key_type_error.hide()

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        if self.key_type == "SymmetricKey" and self._wizard.endpoint_page.certificate_alias is None:
            self.key_type_error.setText(
                "A SymmetricKey token carries its proof key encrypted for the relying party, so "
                "it needs a Certificate Alias: go Back and choose or import one, or choose "
                "Bearer or PublicKey.")
            self.key_type_error.show()
            return False
        return True


class SecurityPage(_Step):
    """Step 3: token encryption and the signature algorithms."""

    def __init__(self, wizard: WsTrustConfigurationWizard) -> None:
        super().__init__(
            "Encryption and signature",
            "How the token is protected. Choose the defaults unless the relying party cannot "
            "handle them.",
        )
        self._wizard = wizard
        self.encrypt_check = QCheckBox("&Encrypt the token for the relying party", self)
        self.encrypt_note = _note(self)
        self.encryption_combo = QComboBox(self)
        self.key_transport_combo = QComboBox(self)
        self.signature_combo = QComboBox(self)
        self.digest_combo = QComboBox(self)
        self.legacy_warning = _note(self, style=WARNING_STYLE)
        self.legacy_warning.hide()
        self.form.addRow(self.encrypt_check)
        _add_note_row(self.form, self.encrypt_note)
        self.add_row("Encryption &Algorithm:", self.encryption_combo)
        self.add_row("Key &Transport Algorithm:", self.key_transport_combo)
        self.add_row("&Signature Algorithm:", self.signature_combo)
        self.add_row("&Digest Algorithm:", self.digest_combo)
        _add_note_row(self.form, self.legacy_warning)
        self.setTabOrder(self.encrypt_check, self.encryption_combo)
        self.setTabOrder(self.encryption_combo, self.key_transport_combo)
        self.setTabOrder(self.key_transport_combo, self.signature_combo)
        self.setTabOrder(self.signature_combo, self.digest_combo)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.encrypt_check.toggled.connect(self.on_encrypt_check_toggled)
        for combo in (self.encryption_combo, self.signature_combo, self.digest_combo):
            combo.currentIndexChanged.connect(self.on_algorithm_changed)

    def set_options(self, options: WsTrustOptions, current: WsTrustConfig | None) -> None:
        defaults = options.defaults

        def chosen(name: str) -> str | None:
            value = getattr(current, name) if current is not None else None
            return value or defaults.get(name)

        _fill(self.encryption_combo, options.encryption_algorithms, _ALGORITHMS,
              chosen("encryption_algorithm"))
        _fill(self.key_transport_combo, options.key_transport_algorithms, _ALGORITHMS,
              chosen("key_transport_algorithm"))
        _fill(self.signature_combo, options.signature_algorithms, _ALGORITHMS,
              chosen("signature_algorithm"))
        _fill(self.digest_combo, options.digest_algorithms, _ALGORITHMS,
              chosen("digest_algorithm"))
        encrypt = current.encrypt_token if current is not None else None
        self.encrypt_check.setChecked(True if encrypt is None else encrypt)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        has_alias = self._wizard.endpoint_page.certificate_alias is not None
        self.encrypt_check.setEnabled(has_alias)
        if has_alias:
            self.encrypt_note.setText(
                "Encrypted with the certificate "
                f"'{self._wizard.endpoint_page.certificate_alias}'.")
        else:
            self.encrypt_note.setText(
                "No Certificate Alias was chosen, so tokens cannot be encrypted; go Back to "
                "choose or import the relying party's certificate.")
        self.on_encrypt_check_toggled(self.encrypt_check.isChecked())

    @property
    def encrypt(self) -> bool:
        return self.encrypt_check.isEnabled() and self.encrypt_check.isChecked()

    def on_encrypt_check_toggled(self, _checked: bool) -> None:
        self.encryption_combo.setEnabled(self.encrypt)
        self.key_transport_combo.setEnabled(self.encrypt)
        self.on_algorithm_changed()

    def on_algorithm_changed(self, _index: int = 0) -> None:
        legacy = [combo.currentText() for combo in self._algorithm_combos()
                  if combo.isEnabled() and "(legacy)" in combo.currentText()]
        if legacy:
            self.legacy_warning.setText(
                f"{', '.join(text.replace(' (legacy)', '') for text in legacy)}: weak; keep "
                "only for a legacy relying party that cannot handle the defaults.")
        self.legacy_warning.setVisible(bool(legacy))

    def _algorithm_combos(self) -> tuple[QComboBox, ...]:
        return (self.encryption_combo, self.signature_combo, self.digest_combo)


class SummaryPage(_Step):
    """Step 4: what Finish puts in the service provider editor."""

    def __init__(self, wizard: WsTrustConfigurationWizard) -> None:
        super().__init__(
            "Summary",
            "Finish puts this WS-Trust configuration in the service provider editor; the "
            "editor's Save applies it with the rest of the service provider.",
        )
        self._wizard = wizard
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form.addRow(self.summary)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        self.banner.clear()
        self.summary.setText(self._wizard.summary_html())


# ------------------------------------------------------------------------------------ wizard


class WsTrustConfigurationWizard(QWizard):
    """Four steps, then Finish hands the configuration to the service provider editor.

    Open it with ``open()``. Nothing is sent from here: as in WSO2's console, the WS-Trust
    configuration is part of the service provider and waits for the editor's Save (its
    Cancel discards it). ``configuration_chosen(WsTrustConfig)`` carries what was chosen and
    the wizard closes. Import certificate… emits ``certificate_import_requested``: the editor
    hides the wizard, runs the import dialog on itself and hands the alias back with
    :meth:`choose_alias`, so that no more than one window stands on the editor.
    """

    configuration_chosen = Signal(object)  # WsTrustConfig
    certificate_import_requested = Signal()
    options_loaded = Signal()

    ENDPOINT, TOKEN, SECURITY, SUMMARY = range(4)

    def __init__(
        self,
        connection: ServerConnection,
        application_id: str,
        application_name: str,
        current: WsTrustConfig | None = None,
        parent: QWidget | None = None,
        *,
        audience_locked: bool | None = None,
    ) -> None:
        """``audience_locked``: the Endpoint Address cannot change (a configuration the server
        has); by default, when ``current`` is given."""
        super().__init__(parent)
        self.setWindowTitle(
            f"WS-Trust Security Token Service Configuration — {application_name}")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setMinimumSize(720, 520)
        self._connection = connection
        self.application_id = application_id
        self.application_name = application_name
        self.current = current
        self.choices: WsTrustOptions | None = None  # the server's; None until loaded
        self.endpoint_page = EndpointPage(self)
        self.token_page = TokenPage(self)
        self.security_page = SecurityPage(self)
        self.summary_page = SummaryPage(self)
        for page_id, page in enumerate(
                (self.endpoint_page, self.token_page, self.security_page, self.summary_page)):
            self.setPage(page_id, page)
        if self.current is not None:
            if audience_locked is None or audience_locked:
                self.endpoint_page.lock_audience(self.current.audience)
            else:
                self.endpoint_page.audience_edit.setText(self.current.audience)
        self._connect_signals()
        self._load_options()

    def _connect_signals(self) -> None:
        self.endpoint_page.import_button.clicked.connect(self.certificate_import_requested)

    @property
    def banner(self) -> MessageBanner:
        """The banner of the page on show (server errors appear there)."""
        page = self.currentPage()
        return page.banner if isinstance(page, _Step) else self.endpoint_page.banner

    # -- loading -------------------------------------------------------------------------

    def _load_options(self) -> None:
        def work(api: AdminApi) -> WsTrustOptions:
            return api.ws_trust_options()

        self._connection.call(work, self._on_options, self._on_options_failed)

    def _on_options(self, options: WsTrustOptions) -> None:
        self.choices = options
        current = self.current
        self.endpoint_page.set_aliases(options.certificate_aliases,
                                       current.certificate_alias if current else None)
        self.token_page.set_options(options, current)
        self.security_page.set_options(options, current)
        self.endpoint_page.completeChanged.emit()
        self.options_loaded.emit()

    def _on_options_failed(self, error: Exception) -> None:
        self._show_error("Loading the WS-Trust choices (certificate aliases, algorithms)", error)

    # -- certificates --------------------------------------------------------------------

    def choose_alias(self, alias: str) -> None:
        """Choose the certificate ``alias`` just imported into the trust store."""
        combo = self.endpoint_page.alias_combo
        if combo.findData(alias) < 0:
            combo.addItem(alias, alias)
        combo.setCurrentIndex(combo.findData(alias))
        self.endpoint_page.banner.success(
            f"The certificate '{alias}' is now in the trust store and chosen here.")

    # -- the request ---------------------------------------------------------------------

    def configuration(self) -> WsTrustConfig:
        """The WS-Trust configuration that Finish sends (None: the server's default)."""
        endpoint, token, security = self.endpoint_page, self.token_page, self.security_page
        encrypt = security.encrypt
        return WsTrustConfig(
            audience=endpoint.audience,
            certificate_alias=endpoint.certificate_alias,
            token_type=TokenType(token.token_type) if token.token_type else None,
            key_type=token.key_type or None,
            name_id_format=str(token.name_id_combo.currentData() or "") or None,
            token_lifetime_seconds=token.lifetime,
            encrypt_token=encrypt,
            signature_algorithm=security.signature_combo.currentData() or None,
            digest_algorithm=security.digest_combo.currentData() or None,
            encryption_algorithm=(security.encryption_combo.currentData() or None)
            if encrypt else None,
            key_transport_algorithm=(security.key_transport_combo.currentData() or None)
            if encrypt else None,
        )

    def summary_html(self) -> str:
        config = self.configuration()
        security = self.security_page
        token_type = config.token_type or ""
        rows = [
            ("Service provider", self.application_name),
            ("Endpoint Address", config.audience),
            ("Certificate Alias", config.certificate_alias or NO_CERTIFICATE),
            ("Token Type", TOKEN_TYPES.get(token_type, token_type)),
            ("Key Type", config.key_type or ""),
            ("NameID Format", self.token_page.name_id_combo.currentText()),
            ("Token Lifetime", self.token_page.lifetime_spin.text()),
            ("Token encryption",
             f"{security.encryption_combo.currentText()} with "
             f"{security.key_transport_combo.currentText()}" if config.encrypt_token
             else "off (tokens are only signed)"),
            ("Signature", f"{security.signature_combo.currentText()} with "
                          f"{security.digest_combo.currentText()} digests"),
        ]
        cells = "".join(
            f"<tr><td style='padding:3px 16px 3px 0'><b>{html.escape(name)}</b></td>"
            f"<td style='padding:3px 0'>{html.escape(str(value))}</td></tr>"
            for name, value in rows)
        action = "replaces" if self.current else "sets"
        return (f"<table>{cells}</table><p>Finish {action} the WS-Trust configuration in the "
                f"editor of '{html.escape(self.application_name)}'. Nothing is sent to the "
                "server until you Save the service provider there; its Cancel discards it.</p>")

    def accept(self) -> None:
        """Finish: hand the configuration to the editor (which saves it with Save)."""
        config = self.configuration()
        log.info("WS-Trust configuration of %r chosen; it waits for the editor's Save",
                 self.application_name)
        self.configuration_chosen.emit(config)
        super().accept()

    def _show_error(self, action: str, error: Exception) -> None:
        show_error(self, self.banner, action, error)


def _add_note_row(form: QFormLayout, item: QWidget | QLayout) -> None:
    """A row with no label, so that it takes no room while its note is hidden."""
    row = form.rowCount()
    if isinstance(item, QWidget):
        form.setWidget(row, QFormLayout.ItemRole.FieldRole, item)
    else:
        form.setLayout(row, QFormLayout.ItemRole.FieldRole, item)
