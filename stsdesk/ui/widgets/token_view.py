"""The decoded-token view both token pages share: summary, validity, claims, signature, keys."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.tokeninfo import (
    DEFAULT_CLOCK_SKEW_SECONDS,
    CertificateSummary,
    DecodedToken,
    ProofKind,
    Severity,
    SignatureStatus,
    TokenAttribute,
    ValidityState,
    ValidityTimeline,
)
from stsdesk.services.token_session import ProofKeyInfo
from stsdesk.ui.models.base import Column, RowTableModel
from stsdesk.ui.widgets.xml_view import XmlView

__all__ = ["TokenView", "TokenAttributesTableModel", "signature_headline", "short_uri"]

GREEN, RED, ORANGE, GREY = "#1a7f37", "#c62828", "#9a6700", "#57606a"
_STATUS_COLOURS = {
    SignatureStatus.VALID: GREEN,
    SignatureStatus.INVALID: RED,
    SignatureStatus.UNSIGNED: RED,
    SignatureStatus.UNTRUSTED: ORANGE,
    SignatureStatus.NOT_CHECKED: GREY,
}
_SEVERITY_COLOURS = {
    Severity.OK: GREEN,
    Severity.WARNING: ORANGE,
    Severity.ERROR: RED,
    Severity.UNKNOWN: GREY,
}
_STATE_COLOURS = {
    ValidityState.VALID: GREEN,
    ValidityState.EXPIRED: RED,
    ValidityState.NOT_YET_VALID: ORANGE,
    ValidityState.UNKNOWN: GREY,
}
_DASH = "—"


def short_uri(uri: str | None) -> str:
    """The readable end of an algorithm or format URI (``…#rsa-sha256`` → ``rsa-sha256``)."""
    if not uri:
        return _DASH
    for separator in ("#", ":"):
        if separator in uri:
            tail = uri.rsplit(separator, 1)[-1]
            if tail:
                return tail
    return uri


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return _DASH
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _span(seconds: float) -> str:
    seconds = int(abs(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min {secs:02d} s"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def signature_headline(decoded: DecodedToken, sts_aliases: Iterable[str] = (),
                       checked_against: Iterable[str] = (),
                       sts_fingerprints: Mapping[str, str] | None = None) -> str:
    """One sentence about the signature, as the header strip shows it; ``sts_fingerprints``
    (SHA-256 to alias) names the STS's other signing keys, e.g. the one before a roll-over."""
    signature = decoded.signature
    status = signature.status
    carried = signature.certificate
    earlier = (sts_fingerprints or {}).get(carried.sha256_fingerprint) if carried else None
    if status is SignatureStatus.UNTRUSTED and earlier and earlier not in set(checked_against):
        names = ", ".join(f"'{alias}'" for alias in checked_against) or "the chosen certificate"
        return (f"⚠ Signature untrusted — made with the STS's signing certificate '{earlier}', "
                f"not with {names}; the STS has rolled its key over since")
    if status is SignatureStatus.VALID:
        alias = signature.trusted_alias or "?"
        whose = ("the STS's own signing certificate" if alias in set(sts_aliases)
                 else "the trusted certificate")
        return f"✔ Signature valid — signed with {whose} '{alias}'"
    if status is SignatureStatus.UNTRUSTED:
        names = ", ".join(f"'{alias}'" for alias in checked_against)
        if names:
            return (f"⚠ Signature untrusted — not made with {names}; it verifies only with the "
                    "certificate inside the token")
        return "⚠ Signature untrusted — it verifies only with the certificate inside the token"
    if status is SignatureStatus.NOT_CHECKED:
        encryption = decoded.encryption
        if encryption is not None and encryption.damaged:
            return "✘ Damaged — the token does not decrypt with its own recipient's key"
        # No lock emoji: the bundled font has none, and a missing-glyph box looks like a fault.
        return "Encrypted — the signature cannot be checked until the token is decrypted"
    if status is SignatureStatus.UNSIGNED:
        return "✘ Unsigned — anyone could have written this token"
    return f"✘ Signature invalid — {signature.reason}"


def _attribute_name(attribute: TokenAttribute) -> str:
    return attribute.name


def _attribute_friendly(attribute: TokenAttribute) -> str:
    return attribute.friendly_name or attribute.namespace or ""


def _attribute_values(attribute: TokenAttribute) -> str:
    return "; ".join(attribute.values)


def _attribute_tooltip(attribute: TokenAttribute) -> str:
    return f"{attribute.claim_uri}\n" + "\n".join(attribute.values)


class TokenAttributesTableModel(RowTableModel[TokenAttribute]):
    """The token's attributes: name, friendly name or namespace, values."""

    NAME, FRIENDLY, VALUES = range(3)
    COLUMNS = tuple(
        Column(header, text, sort_key=text, tooltip=_attribute_tooltip)
        for header, text in (("Name", _attribute_name),
                             ("Friendly name / namespace", _attribute_friendly),
                             ("Values", _attribute_values))
    )

    def set_attributes(self, attributes: Iterable[TokenAttribute]) -> None:
        self.set_rows(attributes)


def _value_label(parent: QWidget) -> QLabel:
    label = QLabel(_DASH, parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                  | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    label.setTextFormat(Qt.TextFormat.PlainText)
    # A long URI or fingerprint must not widen the view; it is clipped, with a tool tip.
    label.setMinimumWidth(1)
    # A line that fills the label exactly would otherwise end flush with the view's edge, where
    # it reads as cut off; a small right margin keeps every line visibly whole.
    label.setContentsMargins(0, 0, 4, 0)
    return label


def _two_lines(fingerprint: str | None) -> str | None:
    """A long colon-separated fingerprint split in two lines, so it fits beside its label."""
    if not fingerprint or len(fingerprint) < 60:
        return fingerprint
    return _two_lines_any(fingerprint)


# A SHA-1 thumbprint or longer: colon-separated hex pairs, 20 or more of them.
_LONG_HEX = re.compile(r"(?:[0-9A-Fa-f]{2}:){19,}[0-9A-Fa-f]{2}")


def _wrappable(text: str) -> str:
    """``text`` with each long fingerprint split over two lines. A selectable label wraps only
    between words, so a fingerprint in a sentence otherwise runs past the label's right edge."""
    return _LONG_HEX.sub(lambda match: _two_lines_any(match.group(0)), text)


def _two_lines_any(fingerprint: str) -> str:
    parts = fingerprint.split(":")
    half = len(parts) // 2
    return ":".join(parts[:half]) + ":\n" + ":".join(parts[half:])


def _scrolling(widget: QWidget, parent: QWidget) -> QScrollArea:
    area = QScrollArea(parent)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(widget)
    return area


class TokenView(QWidget):
    """Renders a :class:`DecodedToken` (and the client's proof key, when known).

    ``fields`` maps each shown label ("Subject", "Audiences", "Signature", ...) to its value
    label, so the pages (and tests) read exactly what a person sees. The validity countdown
    ticks once a second while a token is shown.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.decoded: DecodedToken | None = None
        self.proof: ProofKeyInfo | None = None
        self.sts_aliases: set[str] = set()
        self.sts_fingerprints: dict[str, str] = {}  # SHA-256 of each STS signing cert: alias
        self.checked_against: tuple[str, ...] = ()
        self.skew_seconds = DEFAULT_CLOCK_SKEW_SECONDS
        self.fields: dict[str, QLabel] = {}
        self.headline = QLabel("No token yet.", self)
        self.headline.setWordWrap(True)
        self.headline.setObjectName("tokenHeadline")
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.attributes = TokenAttributesTableModel(self)
        self.attributes_table = QTableView(self)
        self.attributes_table.setModel(self.attributes)
        self.attributes_table.setSortingEnabled(False)
        self.attributes_table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.attributes_table.verticalHeader().hide()
        header = self.attributes_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.resizeSection(0, 260)
        header.resizeSection(1, 170)
        self.xml = XmlView("Assertion", self, file_name="assertion.xml")
        self.timeline = QProgressBar(self)
        self.timeline.setRange(0, 1000)
        self.timeline.setTextVisible(True)
        self.timeline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self.tabs.addTab(self._summary_tab(), "Summary")
        self.tabs.addTab(self._attributes_tab(), "Attributes")
        self.tabs.addTab(self._signature_tab(), "Signature")
        self.tabs.addTab(self._encryption_tab(), "Encryption")
        self.tabs.addTab(self._holder_tab(), "Holder-of-key")
        self.tabs.addTab(self.xml, "XML")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.headline)
        layout.addWidget(self.tabs, 1)
        self._connect_signals()
        self.clear()

    def _connect_signals(self) -> None:
        self._timer.timeout.connect(self.on_timer_timeout)

    # -- building --------------------------------------------------------------------------

    def _form(self, parent: QWidget, names: Iterable[str]) -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for name in names:
            label = _value_label(parent)
            self.fields[name] = label
            form.addRow(f"{name}:", label)
        return form

    def _summary_tab(self) -> QWidget:
        page = QWidget(self)
        token = QGroupBox("Token", page)
        token.setLayout(self._form(token, (
            "Token type", "Found in", "Assertion ID", "Issuer", "Issue instant", "Subject",
            "NameID format", "Subject confirmation", "Audiences", "Authentication",
            "Problems")))
        validity = QGroupBox("Validity", page)
        validity_box = QVBoxLayout(validity)
        validity_box.addWidget(self.timeline)
        validity_box.addLayout(self._form(validity, (
            "Not before", "Not on or after", "Remaining", "Validity", "Clock skew")))
        layout = QVBoxLayout(page)
        layout.addWidget(token)
        layout.addWidget(validity)
        layout.addStretch(1)
        return _scrolling(page, self)

    def _attributes_tab(self) -> QWidget:
        page = QWidget(self)
        # Beside the attributes: the claims that were asked for and did not come back (an STS
        # leaves out a claim the user has no value for, as WSO2 IS does).
        self.not_issued = _value_label(page)
        self.not_issued.setObjectName("notIssuedClaims")
        self.fields["Requested but not issued"] = self.not_issued
        # An empty table reads as "still loading" or "broken": say there are none, and why.
        self.no_attributes = QLabel(page)
        self.no_attributes.setObjectName("noAttributes")
        self.no_attributes.setWordWrap(True)
        self.no_attributes.setStyleSheet("color:#57606a; padding:8px;")
        self.no_attributes.hide()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.no_attributes)
        layout.addWidget(self.attributes_table, 1)
        layout.addWidget(self.not_issued)
        return page

    def _show_attributes(self, decoded: DecodedToken | None) -> None:
        attributes = decoded.attributes if decoded is not None else ()
        self.attributes.set_attributes(attributes)
        if decoded is None:
            text = ""
        elif not decoded.readable:
            text = "The token is encrypted: its attributes show once it is decrypted."
        elif not attributes:
            text = ("The token has no attributes: no claims were requested, or the user has no "
                    "value for those that were.")
        else:
            text = ""
        self.no_attributes.setText(text)
        self.no_attributes.setVisible(bool(text))
        self.attributes_table.setVisible(bool(attributes))

    def _signature_tab(self) -> QWidget:
        page = QWidget(self)
        verdict = QGroupBox("Verdict", page)
        verdict.setLayout(self._form(verdict, (
            "Signature", "Why", "Algorithm", "Digest", "Digest value", "Reference")))
        cert = QGroupBox("Signing certificate", page)
        cert.setLayout(self._form(cert, (
            "Trusted as", "Certificate subject", "Certificate issuer", "SHA-256 fingerprint",
            "Certificate validity")))
        layout = QVBoxLayout(page)
        layout.addWidget(verdict)
        layout.addWidget(cert)
        layout.addStretch(1)
        return _scrolling(page, self)

    def _encryption_tab(self) -> QWidget:
        page = QWidget(self)
        box = QGroupBox("Encryption", page)
        box.setLayout(self._form(box, (
            "Encrypted", "Encrypted for", "Data algorithm", "Key transport", "Decryption")))
        layout = QVBoxLayout(page)
        layout.addWidget(box)
        layout.addStretch(1)
        return _scrolling(page, self)

    def _holder_tab(self) -> QWidget:
        page = QWidget(self)
        token_side = QGroupBox("In the token", page)
        token_side.setLayout(self._form(token_side, (
            "Proof kind", "Relying party sees", "Proof key wrapped for", "Proof key transport",
            "Key size", "Client certificate")))
        client_side = QGroupBox("Held by the client", page)
        client_side.setLayout(self._form(client_side, (
            "Proof key source", "How it was made", "Client key size", "Proof key SHA-256",
            "Matches the token")))
        layout = QVBoxLayout(page)
        layout.addWidget(token_side)
        layout.addWidget(client_side)
        layout.addStretch(1)
        return _scrolling(page, self)

    # -- showing ---------------------------------------------------------------------------

    def clear(self, message: str = "No token yet.") -> None:
        self._timer.stop()
        self.decoded = None
        self.proof = None
        for label in self.fields.values():
            label.setText(_DASH)
            label.setStyleSheet("")
        self._show_attributes(None)
        self.not_issued.hide()
        self.xml.set_xml(None)
        self.timeline.setValue(0)
        self.timeline.setFormat("")
        self.timeline.hide()  # empty, it would read as a field to type in
        self._headline(message, GREY)

    def show_token(self, decoded: DecodedToken, proof: ProofKeyInfo | None = None, *,
                   checked_against: Iterable[str] = (),
                   not_issued: Sequence[str] | None = ()) -> None:
        """Show ``decoded``; ``checked_against`` names the certificates its signature was
        checked with, so an untrusted verdict can say which one it was not made with;
        ``not_issued`` the requested claims the token lacks (None: cannot tell, encrypted)."""
        self.decoded = decoded
        self.proof = proof
        self.checked_against = tuple(checked_against)
        self._headline(signature_headline(decoded, self.sts_aliases, self.checked_against,
                                          self.sts_fingerprints),
                       _SEVERITY_COLOURS[decoded.verdict.severity])
        self._show_summary(decoded)
        self._show_signature(decoded)
        self._show_encryption(decoded)
        self._show_holder(decoded, proof)
        self._show_attributes(decoded)
        self._show_not_issued(not_issued)
        self.xml.set_xml(decoded.assertion_xml() or decoded.token_xml(),
                         exact=decoded.exact_bytes())
        self.on_timer_timeout()
        if decoded.validity(skew_seconds=self.skew_seconds).not_on_or_after is not None:
            self._timer.start()
        else:
            self._timer.stop()

    def _headline(self, text: str, colour: str) -> None:
        self.headline.setText(text)
        self.headline.setStyleSheet(
            f"#tokenHeadline {{color:{colour}; font-weight:bold; padding:6px; "
            f"border:1px solid {colour}; border-radius:4px;}}"
        )

    def _set(self, name: str, text: str | None, colour: str | None = None) -> None:
        label = self.fields[name]
        # Bold through the widget's font, not the style sheet: a style-sheet weight is applied
        # only when painting, so the label wrapped the text as regular and the bold end of a
        # long fingerprint ran past the right edge.
        label.setStyleSheet(f"color:{colour};" if colour else "")
        font = label.font()
        font.setBold(bool(colour))
        label.setFont(font)
        label.setText(_wrappable(text) if text else _DASH)
        label.setToolTip(text or "")

    def _show_summary(self, d: DecodedToken) -> None:
        kind = d.form.value
        if d.form.encrypted and d.version is not None:
            kind += f" (SAML {d.version.value} inside)"
        self._set("Token type", kind)
        self._set("Found in", f"{d.container} · {d.encoding.value}")
        self._set("Assertion ID", d.assertion_id)
        self._set("Issuer", d.issuer)
        self._set("Issue instant", _when(d.issue_instant) if d.issue_instant else None)
        subject = d.subject
        self._set("Subject", subject.name_id if subject else None)
        self._set("NameID format", subject.name_id_format if subject else None)
        self._set("Subject confirmation",
                  short_uri(subject.confirmation_method) if subject and
                  subject.confirmation_method else None)
        self.fields["Subject confirmation"].setToolTip(
            subject.confirmation_method or "" if subject else "")
        audiences = d.conditions.audiences if d.conditions else ()
        self._set("Audiences", "\n".join(audiences) if audiences else None)
        if d.authn is not None:
            self._set("Authentication", f"{short_uri(d.authn.method)} at {_when(d.authn.instant)}")
        else:
            self._set("Authentication", None)
        verdict = d.verdict  # the headline's colour comes from the same verdict
        if verdict.problems:
            self._set("Problems", "\n".join(verdict.problems),
                      _SEVERITY_COLOURS[verdict.severity])
        elif not d.readable:
            self._set("Problems", "Encrypted: decrypt it to read its fields.", GREY)
        else:
            self._set("Problems", "none")
        conditions = d.conditions
        self._set("Not before", _when(conditions.not_before) if conditions else None)
        self._set("Not on or after", _when(conditions.not_on_or_after) if conditions else None)
        self._set("Clock skew", f"{self.skew_seconds} s allowed either way")

    def _show_not_issued(self, not_issued: Sequence[str] | None) -> None:
        if not_issued is None:
            text = ("Requested but not issued: cannot tell until the token is decrypted "
                    "(give the relying party's private key).")
            self._set("Requested but not issued", text, GREY)
        elif not_issued:
            text = ("Requested but not issued (an STS leaves out the claims a user has no "
                    "value for):\n" + "\n".join(not_issued))
            self._set("Requested but not issued", text, ORANGE)
        else:
            self.not_issued.hide()
            return
        self.not_issued.show()

    def _show_timeline(self, timeline: ValidityTimeline) -> None:
        self.timeline.show()
        colour = _STATE_COLOURS[timeline.state]
        self._set("Validity", timeline.note, colour)
        if timeline.from_response:
            marked = " (the response's wst:Lifetime)"
            self._set("Not before", _when(timeline.not_before) + marked
                      if timeline.not_before else None)
            self._set("Not on or after", _when(timeline.not_on_or_after) + marked
                      if timeline.not_on_or_after else None)
        if timeline.remaining_seconds is None:
            self._set("Remaining", None)
            self.timeline.setValue(0)
            self.timeline.setFormat("no end time")
            return
        remaining = timeline.remaining_seconds
        if remaining >= 0:
            self._set("Remaining", _span(remaining), colour)
        else:
            self._set("Remaining", f"expired {_span(remaining)} ago", colour)
        lifetime = timeline.lifetime_seconds
        if lifetime and lifetime > 0:
            left = max(0.0, min(1.0, remaining / lifetime))
            self.timeline.setValue(int(left * 1000))
        else:
            self.timeline.setValue(0)
        self.timeline.setFormat(
            f"{_span(remaining)} left" if remaining >= 0 else "expired")
        self.timeline.setStyleSheet(f"QProgressBar::chunk {{background:{colour};}}")

    def _show_signature(self, d: DecodedToken) -> None:
        signature = d.signature
        colour = _STATUS_COLOURS[signature.status]
        self._set("Signature", signature.status.value, colour)
        self._set("Why", signature.reason, colour if signature.status is not
                  SignatureStatus.VALID else None)
        self._set("Algorithm", short_uri(signature.algorithm) if signature.algorithm else None,
                  ORANGE if signature.weak_algorithm else None)
        self.fields["Algorithm"].setToolTip(signature.algorithm or "")
        digest = short_uri(signature.digest_algorithm) if signature.digest_algorithm else None
        if digest and signature.weak_algorithm:
            digest += " (SHA-1 is weak: accept it only from legacy relying parties)"
        self._set("Digest", digest)
        self._set("Digest value", signature.digest_value)
        self._set("Reference", signature.reference)
        if signature.trusted_alias:
            own = signature.trusted_alias in self.sts_aliases
            self._set("Trusted as", (
                f"the STS's own signing certificate '{signature.trusted_alias}'" if own
                else f"another trusted certificate '{signature.trusted_alias}'"), GREEN)
        elif signature.certificate is not None:
            names = ", ".join(f"'{alias}'" for alias in self.checked_against)
            self._set("Trusted as", f"untrusted: not signed with {names}; only the certificate "
                      "carried inside the token vouches for it" if names else
                      "untrusted: only the certificate carried inside the token vouches for it",
                      ORANGE if signature.status is SignatureStatus.UNTRUSTED else RED)
        else:
            self._set("Trusted as", None)
        self._show_certificate(signature.certificate)

    def _show_certificate(self, cert: CertificateSummary | None) -> None:
        if cert is None:
            for name in ("Certificate subject", "Certificate issuer", "SHA-256 fingerprint",
                         "Certificate validity"):
                self._set(name, None)
            return
        self._set("Certificate subject", cert.subject)
        self._set("Certificate issuer", cert.issuer)
        self._set("SHA-256 fingerprint", _two_lines(cert.sha256_fingerprint))
        now = dt.datetime.now(dt.UTC)
        current = cert.not_before <= now <= cert.not_after
        self._set("Certificate validity",
                  f"{_when(cert.not_before)} to {_when(cert.not_after)}"
                  + ("" if current else " (not valid now)"), None if current else RED)

    def _show_encryption(self, d: DecodedToken) -> None:
        info = d.encryption
        if info is None:
            self._set("Encrypted", "no — the token travels readable (TLS protects it on the wire)")
            for name in ("Encrypted for", "Data algorithm", "Key transport", "Decryption"):
                self._set(name, None)
            return
        self._set("Encrypted", "yes")
        if info.recipient_alias:
            who = f"'{info.recipient_alias}' (SHA-1 thumbprint {info.recipient_thumbprint})"
        elif info.recipient_thumbprint:
            who = (f"the certificate with SHA-1 thumbprint {info.recipient_thumbprint} (not in "
                   "the trust store)")
        else:
            who = "a certificate the token does not name"
        self._set("Encrypted for", who)
        self._set("Data algorithm", short_uri(info.data_algorithm))
        self.fields["Data algorithm"].setToolTip(info.data_algorithm or "")
        self._set("Key transport", short_uri(info.key_transport))
        self.fields["Key transport"].setToolTip(info.key_transport or "")
        self._set("Decryption", info.reason, GREEN if info.decrypted else RED)

    def _show_holder(self, d: DecodedToken, proof: ProofKeyInfo | None) -> None:
        hok = d.holder_of_key
        if hok is None:
            for name in ("Proof kind", "Relying party sees", "Proof key wrapped for",
                         "Proof key transport", "Key size", "Client certificate"):
                self._set(name, None)
        else:
            self._set("Proof kind", hok.kind.value)
            self._set("Relying party sees", hok.relying_party_view)
            wrapped = None
            if hok.kind is ProofKind.SYMMETRIC:
                wrapped = hok.recipient_alias or hok.recipient_thumbprint or "an unnamed certificate"
            self._set("Proof key wrapped for", wrapped)
            self._set("Proof key transport", short_uri(hok.key_transport)
                      if hok.key_transport else None)
            self._set("Key size", f"{hok.key_bits} bits" if hok.key_bits else None)
            self._set("Client certificate", hok.certificate.subject if hok.certificate else None)
        if proof is None:
            self._set("Proof key source", "not known (the token was not requested here)"
                      if hok is not None and hok.kind is not ProofKind.BEARER else None)
            for name in ("How it was made", "Client key size", "Proof key SHA-256",
                         "Matches the token"):
                self._set(name, None)
            return
        self._set("Proof key source", proof.source.value)
        self._set("How it was made", proof.description)
        self._set("Client key size", f"{proof.size_bits} bits" if proof.size_bits else None)
        digest = proof.key_sha256
        self._set("Proof key SHA-256", f"{digest[:32]}\n{digest[32:]}" if digest else None)
        if proof.matches_relying_party is None:
            self._set("Matches the token", "cannot tell (give the relying party's private key "
                      "to open the token's copy)" if proof.source.value not in ("none",) else None)
        elif proof.matches_relying_party:
            self._set("Matches the token", "yes — the relying party will see the same key", GREEN)
        else:
            self._set("Matches the token", "NO — the relying party will see another key", RED)

    def on_timer_timeout(self) -> None:
        if self.decoded is None:
            self._timer.stop()
            return
        self._show_timeline(self.decoded.validity(skew_seconds=self.skew_seconds))
