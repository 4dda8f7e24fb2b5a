"""The decoded-token model: a SAML token read, decrypted and checked, ready to show or print."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.certinfo import describe_certificate
from stsdesk.core.certs import certificate_fingerprint
from stsdesk.core.errors import CryptoError, InvalidRequestError, StsError
from stsdesk.core.saml import SamlVersion, verify_assertion
from stsdesk.core.tokeninput import ExtractedToken, InputEncoding, TokenForm
from stsdesk.core.xsdatetime import parse_xs_datetime
from stsdesk.core.xmldsig import SignatureAlgorithm
from stsdesk.core.xmlenc import decrypt_element, decrypt_key, key_info_thumbprint
from stsdesk.core.xmlutil import pretty

__all__ = [
    "SignatureStatus", "CertificateSummary", "SignatureVerdict", "EncryptionInfo",
    "ProofKind", "HolderOfKeyInfo", "SubjectInfo", "ConditionsInfo", "AuthnInfo",
    "TokenAttribute", "ResponseInfo", "ValidityState", "ValidityTimeline", "DecodedToken",
    "PrivateKey", "decode_token", "to_dict", "to_json", "load_private_key",
    "summarize_certificate", "DEFAULT_CLOCK_SKEW_SECONDS",
]

# The STS's own default allowance (server model: clock_skew_seconds), used unless told otherwise.
DEFAULT_CLOCK_SKEW_SECONDS = 300
# A key file is a few kilobytes; anything far larger is refused before parsing.
_MAX_KEY_FILE_BYTES = 200_000

PrivateKey = rsa.RSAPrivateKey

_S2 = f"{{{ns.SAML2}}}"
_S1 = f"{{{ns.SAML11}}}"
_DS = f"{{{ns.DS}}}"
_XENC = f"{{{ns.XENC}}}"
_WSSE = f"{{{ns.WSSE}}}"
_HOLDER_OF_KEY = {
    "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key",
    "urn:oasis:names:tc:SAML:1.0:cm:holder-of-key",
}
_WEAK_ALGORITHMS = {SignatureAlgorithm.RSA_SHA1.value, "http://www.w3.org/2000/09/xmldsig#sha1"}


class SignatureStatus(StrEnum):
    VALID = "valid"  # verified by a certificate the caller trusts
    INVALID = "invalid"  # altered, wrong key, or malformed: see the reason
    UNSIGNED = "unsigned"
    UNTRUSTED = "untrusted"  # verifies, but only with the certificate carried in the token
    NOT_CHECKED = "not checked"  # encrypted and not decrypted: the signature is out of sight


class ProofKind(StrEnum):
    BEARER = "bearer"
    SYMMETRIC = "symmetric"  # an xenc:EncryptedKey for the relying party
    PUBLIC = "public key"  # the client's certificate or public key


class ValidityState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not yet valid"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CertificateSummary:
    subject: str
    issuer: str
    sha256_fingerprint: str
    sha1_thumbprint: str
    not_before: dt.datetime
    not_after: dt.datetime
    der: bytes = field(repr=False, compare=False)


@dataclass(frozen=True)
class SignatureVerdict:
    status: SignatureStatus
    reason: str
    algorithm: str | None = None
    digest_algorithm: str | None = None
    digest_value: str | None = None  # base64, as in the token
    reference: str | None = None
    certificate: CertificateSummary | None = None  # the verifying one, else the one carried
    trusted_alias: str | None = None
    weak_algorithm: bool = False  # SHA-1 signature or digest

    @property
    def ok(self) -> bool:
        return self.status is SignatureStatus.VALID


@dataclass(frozen=True)
class EncryptionInfo:
    data_algorithm: str | None
    key_transport: str | None
    recipient_thumbprint: str | None  # SHA-1 of the recipient certificate, hex pairs
    recipient_alias: str | None  # the known certificate it matches
    decrypted: bool
    reason: str


@dataclass(frozen=True)
class HolderOfKeyInfo:
    kind: ProofKind
    key_transport: str | None = None  # symmetric: how the proof key is wrapped
    recipient_thumbprint: str | None = None  # symmetric: the relying party's certificate
    recipient_alias: str | None = None
    certificate: CertificateSummary | None = None  # public: the client's certificate
    key_bits: int | None = None  # symmetric: when unwrapped; public: the RSA modulus size
    proof_key: bytes | None = field(default=None, repr=False)  # symmetric, when unwrapped

    @property
    def relying_party_view(self) -> str:
        """What the relying party finds in the token to check possession of the key."""
        if self.kind is ProofKind.SYMMETRIC:
            who = self.recipient_alias or self.recipient_thumbprint or "an unnamed certificate"
            return f"an EncryptedKey it decrypts with the private key of {who}"
        if self.kind is ProofKind.PUBLIC:
            if self.certificate is not None:
                return f"the client's certificate {self.certificate.subject}"
            return "the client's public key"
        return "no key: whoever presents the token may use it"


@dataclass(frozen=True)
class SubjectInfo:
    name_id: str | None
    name_id_format: str | None
    confirmation_method: str | None


@dataclass(frozen=True)
class ConditionsInfo:
    not_before: dt.datetime | None
    not_on_or_after: dt.datetime | None
    audiences: tuple[str, ...]


@dataclass(frozen=True)
class AuthnInfo:
    method: str | None  # SAML 2.0 AuthnContextClassRef, SAML 1.1 AuthenticationMethod
    instant: dt.datetime | None


@dataclass(frozen=True)
class TokenAttribute:
    name: str  # SAML 2.0 Name; SAML 1.1 AttributeName
    values: tuple[str, ...]
    friendly_name: str | None = None
    name_format: str | None = None  # SAML 2.0
    namespace: str | None = None  # SAML 1.1 AttributeNamespace

    @property
    def claim_uri(self) -> str:
        if not self.namespace:
            return self.name
        separator = ":" if self.namespace.lower().startswith("urn:") else "/"
        return f"{self.namespace.rstrip('/:')}{separator}{self.name}"


@dataclass(frozen=True)
class ResponseInfo:
    """The RSTR around the token, when the input was one."""

    token_type: str | None
    applies_to: str | None
    created: dt.datetime | None
    expires: dt.datetime | None
    attached_reference: str | None


@dataclass(frozen=True)
class ValidityTimeline:
    now: dt.datetime
    not_before: dt.datetime | None
    not_on_or_after: dt.datetime | None
    skew_seconds: int
    state: ValidityState
    remaining_seconds: float | None  # until NotOnOrAfter; negative once past it
    lifetime_seconds: float | None
    within_skew: bool  # accepted only thanks to the clock-skew allowance
    note: str

    @property
    def expired(self) -> bool:
        return self.state is ValidityState.EXPIRED

    @property
    def not_yet_valid(self) -> bool:
        return self.state is ValidityState.NOT_YET_VALID


@dataclass(frozen=True)
class DecodedToken:
    form: TokenForm
    encoding: InputEncoding
    container: str
    version: SamlVersion | None
    assertion_id: str | None
    issuer: str | None
    issue_instant: dt.datetime | None
    subject: SubjectInfo | None
    holder_of_key: HolderOfKeyInfo | None
    conditions: ConditionsInfo | None
    authn: AuthnInfo | None
    attributes: tuple[TokenAttribute, ...]
    signature: SignatureVerdict
    encryption: EncryptionInfo | None
    response: ResponseInfo | None
    problems: tuple[str, ...]
    token: etree._Element = field(repr=False, compare=False)
    assertion: etree._Element | None = field(repr=False, compare=False)  # decrypted if it was

    @property
    def readable(self) -> bool:
        """False when the token is encrypted and no given key opened it."""
        return self.assertion is not None

    def validity(
        self, now: dt.datetime | None = None, skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS
    ) -> ValidityTimeline:
        now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        conditions = self.conditions or ConditionsInfo(None, None, ())
        return _timeline(now, conditions.not_before, conditions.not_on_or_after, skew_seconds)

    def assertion_xml(self) -> str | None:
        """The readable assertion, pretty-printed."""
        if self.assertion is None:
            return None
        return pretty(self.assertion)

    def token_xml(self) -> str:
        return pretty(self.token)


# -- decoding ---------------------------------------------------------------------------------


def decode_token(
    extracted: ExtractedToken,
    *,
    trusted: Mapping[str, x509.Certificate] | None = None,
    private_keys: Sequence[PrivateKey] = (),
    known: Mapping[str, x509.Certificate] | None = None,
) -> DecodedToken:
    """Decrypt (when a given key fits), verify against ``trusted`` and read ``extracted``.

    ``trusted`` maps aliases to the certificates whose signatures count as valid; the
    certificate carried in the token alone gives "untrusted". ``known`` names further
    certificates (e.g. the whole trust store) so encryption recipients can be shown by alias.
    Fields are read even when the signature fails; what cannot be read is listed in
    ``problems``. Raises :class:`InvalidRequestError` only when the token is not a SAML
    assertion at all (e.g. it decrypts to something else).
    """
    trusted = dict(trusted or {})
    catalogue = {**(known or {}), **trusted}
    keys = tuple(private_keys)
    problems: list[str] = []
    encryption: EncryptionInfo | None = None
    assertion: etree._Element | None = extracted.element
    if extracted.encrypted:
        encryption, assertion = _decrypt(extracted.element, keys, catalogue)
    response = _response_info(extracted)
    if assertion is None and encryption is not None:
        return DecodedToken(
            form=extracted.form, encoding=extracted.encoding, container=extracted.container,
            version=SamlVersion.SAML20 if extracted.form is TokenForm.ENCRYPTED_ASSERTION else None,
            assertion_id=response.attached_reference if response else None,
            issuer=None, issue_instant=None, subject=None, holder_of_key=None,
            conditions=None, authn=None, attributes=(),
            signature=SignatureVerdict(
                SignatureStatus.NOT_CHECKED,
                "The token is encrypted, so its signature cannot be checked until it is "
                "decrypted. " + encryption.reason,
            ),
            encryption=encryption, response=response, problems=(), token=extracted.element,
            assertion=None,
        )
    if assertion is not None and assertion.tag == f"{_S2}Assertion":
        fields = _read_20(assertion, problems)
    elif assertion is not None and assertion.tag == f"{_S1}Assertion":
        fields = _read_11(assertion, problems)
    else:
        raise InvalidRequestError(
            f"The token is {etree.QName(extracted.element).localname!r}, not a SAML 1.1 or 2.0 "
            "assertion."
        )
    holder_of_key = _holder_of_key(fields.pop("key_info"), fields["subject"], keys, catalogue)
    return DecodedToken(
        form=extracted.form,
        encoding=extracted.encoding,
        container=extracted.container,
        signature=_check_signature(assertion, trusted),
        encryption=encryption,
        response=response,
        holder_of_key=holder_of_key,
        problems=tuple(problems),
        token=extracted.element,
        assertion=assertion,
        **fields,
    )


# -- reading, leniently -----------------------------------------------------------------------


def _text(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    # All text nodes: a comment inside a value must not cut it short (see xmldsig).
    return "".join(node.itertext()).strip()


def _instant(value: str | None, what: str, problems: list[str]) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return parse_xs_datetime(value)
    except (ValueError, OverflowError):
        problems.append(f"The {what} {value[:40]!r} is not a date and time (xs:dateTime).")
        return None


def _require(value: object, what: str, problems: list[str]) -> None:
    if value in (None, ""):
        problems.append(f"The assertion has no {what}.")


def _read_20(root: etree._Element, problems: list[str]) -> dict[str, Any]:
    if root.get("Version") != "2.0":
        problems.append('The SAML 2.0 assertion does not say Version="2.0".')
    issuer = _text(root.find(f"{_S2}Issuer"))
    subject_node = root.find(f"{_S2}Subject")
    subject = None
    key_info = None
    if subject_node is None:
        problems.append("The assertion has no Subject.")
    else:
        name_id = subject_node.find(f"{_S2}NameID")
        if name_id is None and subject_node.find(f"{_S2}EncryptedID") is not None:
            problems.append("The subject's NameID is encrypted (EncryptedID); it is not shown.")
        confirmation = subject_node.find(f"{_S2}SubjectConfirmation")
        method = confirmation.get("Method") if confirmation is not None else None
        if confirmation is not None:
            key_info = confirmation.find(f"{_S2}SubjectConfirmationData/{_DS}KeyInfo")
        subject = SubjectInfo(
            name_id=_text(name_id),
            name_id_format=name_id.get("Format") if name_id is not None else None,
            confirmation_method=method,
        )
    conditions = _conditions(
        root.find(f"{_S2}Conditions"), f"{_S2}AudienceRestriction/{_S2}Audience", problems
    )
    statement = root.find(f"{_S2}AuthnStatement")
    authn = None
    if statement is not None:
        context = statement.find(f"{_S2}AuthnContext")
        method = None
        if context is not None:
            method = _text(context.find(f"{_S2}AuthnContextClassRef")) or _text(
                context.find(f"{_S2}AuthnContextDeclRef")
            )
        authn = AuthnInfo(
            method=method,
            instant=_instant(statement.get("AuthnInstant"), "AuthnInstant", problems),
        )
    attributes = tuple(
        TokenAttribute(
            name=node.get("Name") or "",
            values=tuple(_text(value) or "" for value in node.iterfind(f"{_S2}AttributeValue")),
            friendly_name=node.get("FriendlyName"),
            name_format=node.get("NameFormat"),
        )
        for node in root.iterfind(f"{_S2}AttributeStatement/{_S2}Attribute")
    )
    if root.find(f"{_S2}AttributeStatement/{_S2}EncryptedAttribute") is not None:
        problems.append("Some attributes are encrypted (EncryptedAttribute); they are not shown.")
    assertion_id = root.get("ID")
    _require(assertion_id, "ID", problems)
    _require(issuer, "Issuer", problems)
    return {
        "version": SamlVersion.SAML20,
        "assertion_id": assertion_id,
        "issuer": issuer,
        "issue_instant": _instant(root.get("IssueInstant"), "IssueInstant", problems),
        "subject": subject,
        "conditions": conditions,
        "authn": authn,
        "attributes": attributes,
        "key_info": key_info,
    }


def _conditions(
    node: etree._Element | None, audience_path: str, problems: list[str]
) -> ConditionsInfo | None:
    if node is None:
        problems.append("The assertion has no Conditions, so it has no validity period.")
        return None
    return ConditionsInfo(
        not_before=_instant(node.get("NotBefore"), "NotBefore", problems),
        not_on_or_after=_instant(node.get("NotOnOrAfter"), "NotOnOrAfter", problems),
        audiences=tuple(_text(a) or "" for a in node.iterfind(audience_path)),
    )


def _read_11(root: etree._Element, problems: list[str]) -> dict[str, Any]:
    if root.get("MajorVersion") != "1":
        problems.append('The SAML 1.x assertion does not say MajorVersion="1".')
    statement = root.find(f"{_S1}AuthenticationStatement")
    subject_node = None
    for path in (f"{_S1}AuthenticationStatement/{_S1}Subject",
                 f"{_S1}AttributeStatement/{_S1}Subject"):
        subject_node = root.find(path)
        if subject_node is not None:
            break
    subject = None
    key_info = None
    if subject_node is None:
        problems.append("The assertion has no Subject in any statement.")
    else:
        name_identifier = subject_node.find(f"{_S1}NameIdentifier")
        confirmation = subject_node.find(f"{_S1}SubjectConfirmation")
        methods: list[str] = []
        if confirmation is not None:
            methods = [_text(m) or "" for m in confirmation.iterfind(f"{_S1}ConfirmationMethod")]
            key_info = confirmation.find(f"{_DS}KeyInfo")
        method = next((m for m in methods if m in _HOLDER_OF_KEY), methods[0] if methods else None)
        subject = SubjectInfo(
            name_id=_text(name_identifier),
            name_id_format=name_identifier.get("Format") if name_identifier is not None else None,
            confirmation_method=method,
        )
    conditions = _conditions(
        root.find(f"{_S1}Conditions"),
        f"{_S1}AudienceRestrictionCondition/{_S1}Audience",
        problems,
    )
    authn = None
    if statement is not None:
        authn = AuthnInfo(
            method=statement.get("AuthenticationMethod"),
            instant=_instant(
                statement.get("AuthenticationInstant"), "AuthenticationInstant", problems
            ),
        )
    attributes = tuple(
        TokenAttribute(
            name=node.get("AttributeName") or "",
            values=tuple(_text(value) or "" for value in node.iterfind(f"{_S1}AttributeValue")),
            namespace=node.get("AttributeNamespace"),
        )
        for node in root.iterfind(f"{_S1}AttributeStatement/{_S1}Attribute")
    )
    assertion_id = root.get("AssertionID")
    issuer = root.get("Issuer")
    _require(assertion_id, "AssertionID", problems)
    _require(issuer, "Issuer", problems)
    return {
        "version": SamlVersion.SAML11,
        "assertion_id": assertion_id,
        "issuer": issuer,
        "issue_instant": _instant(root.get("IssueInstant"), "IssueInstant", problems),
        "subject": subject,
        "conditions": conditions,
        "authn": authn,
        "attributes": attributes,
        "key_info": key_info,
    }


def _response_info(extracted: ExtractedToken) -> ResponseInfo | None:
    response = extracted.response
    if response is None:
        return None
    return ResponseInfo(
        token_type=response.token_type,
        applies_to=response.applies_to,
        created=response.created,
        expires=response.expires,
        attached_reference=response.attached_reference,
    )


# -- certificates and keys --------------------------------------------------------------------


def summarize_certificate(cert: x509.Certificate) -> CertificateSummary:
    description = describe_certificate(cert)
    return CertificateSummary(
        subject=description.subject,
        issuer=description.issuer,
        sha256_fingerprint=description.sha256_fingerprint,
        sha1_thumbprint=certificate_fingerprint(cert, "sha1"),
        not_before=description.not_before,
        not_after=description.not_after,
        der=cert.public_bytes(serialization.Encoding.DER),
    )


def _certificate_from_text(text: str | None) -> x509.Certificate | None:
    try:
        der = base64.b64decode("".join((text or "").split()), validate=True)
        return x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError):
        return None


def _alias_for(cert: x509.Certificate, catalogue: Mapping[str, x509.Certificate]) -> str | None:
    for alias, candidate in catalogue.items():
        if candidate == cert or _same_key(candidate, cert):
            return alias
    return None


def _same_key(first: x509.Certificate, second: x509.Certificate) -> bool:
    try:
        a, b = first.public_key(), second.public_key()
    except ValueError:
        return False
    return (isinstance(a, rsa.RSAPublicKey) and isinstance(b, rsa.RSAPublicKey)
            and a.public_numbers() == b.public_numbers())


def _alias_for_thumbprint(
    thumbprint: str | None, catalogue: Mapping[str, x509.Certificate]
) -> str | None:
    if thumbprint is None:
        return None
    for alias, cert in catalogue.items():
        if certificate_fingerprint(cert, "sha1") == thumbprint:
            return alias
    return None


def load_private_key(data: bytes, password: bytes | str | None = None) -> PrivateKey:
    """An RSA private key from PEM (PKCS#8 or PKCS#1), DER or PKCS#12, for decrypting tokens."""
    if isinstance(password, str):
        password = password.encode("utf-8")
    if not isinstance(data, bytes | bytearray) or not bytes(data).strip():
        raise InvalidRequestError("The private key file is empty; choose a PEM or PKCS#12 file.")
    data = bytes(data)
    if len(data) > _MAX_KEY_FILE_BYTES:
        raise InvalidRequestError(
            "The private key file is far too large for a key; choose a PEM or PKCS#12 file."
        )
    key: object = None
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password or None)
        else:
            try:
                key, _cert, _extra = pkcs12.load_key_and_certificates(data, password or None)
            except ValueError:
                key = serialization.load_der_private_key(data, password or None)
    except TypeError as exc:  # a password was needed and not given, or given and not needed
        raise InvalidRequestError(
            "The private key is protected by a password (or is not, and one was given); give "
            "the key's password exactly."
        ) from exc
    except ValueError as exc:
        raise InvalidRequestError(
            "The private key could not be read: the password is wrong or the file is not a PEM, "
            "DER or PKCS#12 private key."
        ) from exc
    if key is None:
        raise InvalidRequestError("The PKCS#12 file holds no private key; choose one that does.")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidRequestError(
            "The private key is not an RSA key; tokens are encrypted for RSA keys only."
        )
    return key


# -- decryption -------------------------------------------------------------------------------


def _thumbprint_of_key_info(key_info: etree._Element | None) -> str | None:
    if key_info is None:
        return None
    named = key_info_thumbprint(key_info)
    if named is not None:
        return named
    cert = _certificate_from_text(_text(key_info.find(f"{_DS}X509Data/{_DS}X509Certificate")))
    if cert is None:
        cert = _certificate_from_text(
            _text(key_info.find(f"{_WSSE}SecurityTokenReference/{_DS}X509Data/{_DS}X509Certificate"))
        )
    return certificate_fingerprint(cert, "sha1") if cert is not None else None


def _decrypt(
    element: etree._Element,
    keys: Sequence[PrivateKey],
    catalogue: Mapping[str, x509.Certificate],
) -> tuple[EncryptionInfo, etree._Element | None]:
    if element.tag == f"{_S2}EncryptedAssertion":
        encrypted_data = element.find(f"{_XENC}EncryptedData")
        if encrypted_data is None:
            raise InvalidRequestError(
                "The EncryptedAssertion holds no xenc:EncryptedData; paste the whole token."
            )
    else:
        encrypted_data = element
    encrypted_key = encrypted_data.find(f"{_DS}KeyInfo/{_XENC}EncryptedKey")
    beside = None
    if encrypted_key is None:
        beside = element.find(f"{_XENC}EncryptedKey")
        encrypted_key = beside
    data_method = encrypted_data.find(f"{_XENC}EncryptionMethod")
    key_method = encrypted_key.find(f"{_XENC}EncryptionMethod") if encrypted_key is not None else None
    thumbprint = _thumbprint_of_key_info(
        encrypted_key.find(f"{_DS}KeyInfo") if encrypted_key is not None else None
    )
    alias = _alias_for_thumbprint(thumbprint, catalogue)
    recipient = _recipient_text(thumbprint, alias)

    def info(decrypted: bool, reason: str) -> EncryptionInfo:
        return EncryptionInfo(
            data_algorithm=data_method.get("Algorithm") if data_method is not None else None,
            key_transport=key_method.get("Algorithm") if key_method is not None else None,
            recipient_thumbprint=thumbprint,
            recipient_alias=alias,
            decrypted=decrypted,
            reason=reason,
        )

    if encrypted_key is None:
        return info(False, "The token carries no EncryptedKey, so no private key can open it."), None
    if not keys:
        return info(
            False,
            f"It is encrypted for {recipient}; give that certificate's private key (PEM or "
            "PKCS#12) to read it.",
        ), None
    last_error = ""
    for key in keys:
        try:
            inner = decrypt_element(encrypted_data, key, encrypted_key=beside)
        except CryptoError as exc:
            last_error = exc.message
            continue
        if inner.tag not in (f"{_S2}Assertion", f"{_S1}Assertion"):
            raise InvalidRequestError(
                f"The encrypted token decrypts to {etree.QName(inner).localname!r}, not a SAML "
                "assertion."
            )
        return info(True, f"Decrypted with the private key of {recipient}."), inner
    return info(
        False,
        f"It is encrypted for {recipient}, and none of the given private keys opens it "
        f"({last_error.rstrip('.')}). Give the private key of that certificate.",
    ), None


def _recipient_text(thumbprint: str | None, alias: str | None) -> str:
    if alias and thumbprint:
        return f"the certificate '{alias}' (SHA-1 thumbprint {thumbprint})"
    if thumbprint:
        return f"the certificate with SHA-1 thumbprint {thumbprint}"
    return "a certificate the token does not name"


# -- holder of key ----------------------------------------------------------------------------


def _holder_of_key(
    key_info: etree._Element | None,
    subject: SubjectInfo | None,
    keys: Sequence[PrivateKey],
    catalogue: Mapping[str, x509.Certificate],
) -> HolderOfKeyInfo | None:
    method = subject.confirmation_method if subject is not None else None
    if method not in _HOLDER_OF_KEY:
        return HolderOfKeyInfo(kind=ProofKind.BEARER) if subject is not None else None
    if key_info is None:
        return HolderOfKeyInfo(kind=ProofKind.PUBLIC)
    encrypted_key = key_info.find(f"{_XENC}EncryptedKey")
    if encrypted_key is not None:
        thumbprint = _thumbprint_of_key_info(encrypted_key.find(f"{_DS}KeyInfo"))
        method_node = encrypted_key.find(f"{_XENC}EncryptionMethod")
        proof_key = None
        for key in keys:
            try:
                proof_key = decrypt_key(encrypted_key, key)
                break
            except CryptoError:
                continue
        return HolderOfKeyInfo(
            kind=ProofKind.SYMMETRIC,
            key_transport=method_node.get("Algorithm") if method_node is not None else None,
            recipient_thumbprint=thumbprint,
            recipient_alias=_alias_for_thumbprint(thumbprint, catalogue),
            key_bits=len(proof_key) * 8 if proof_key is not None else None,
            proof_key=proof_key,
        )
    cert = _certificate_from_text(_text(key_info.find(f"{_DS}X509Data/{_DS}X509Certificate")))
    if cert is not None:
        public = cert.public_key()
        return HolderOfKeyInfo(
            kind=ProofKind.PUBLIC,
            certificate=summarize_certificate(cert),
            key_bits=public.key_size if isinstance(public, rsa.RSAPublicKey) else None,
        )
    return HolderOfKeyInfo(kind=ProofKind.PUBLIC)


# -- signature --------------------------------------------------------------------------------


def _check_signature(
    assertion: etree._Element, trusted: Mapping[str, x509.Certificate]
) -> SignatureVerdict:
    signatures = [child for child in assertion if child.tag == f"{_DS}Signature"]
    if not signatures:
        return SignatureVerdict(
            SignatureStatus.UNSIGNED,
            "The token carries no signature: anyone could have written it. A relying party "
            "must refuse it.",
        )
    details = _signature_details(signatures[0])
    carried = _certificate_from_text(
        _text(signatures[0].find(f"{_DS}KeyInfo/{_DS}X509Data/{_DS}X509Certificate"))
    )
    first_reason: str | None = None
    if trusted:
        try:
            verified = verify_assertion(assertion, trusted_certificates=list(trusted.values()))
        except StsError as exc:
            first_reason = exc.message
        else:
            alias = _alias_for(verified.certificate, trusted)
            return SignatureVerdict(
                SignatureStatus.VALID,
                f"The signature is valid, made with the trusted certificate '{alias}'.",
                certificate=summarize_certificate(verified.certificate),
                trusted_alias=alias,
                **details,
            )
    try:
        verified = verify_assertion(assertion, trusted_certificates=None)
    except StsError as exc:
        return SignatureVerdict(
            SignatureStatus.INVALID,
            first_reason or exc.message,
            certificate=summarize_certificate(carried) if carried is not None else None,
            **details,
        )
    return SignatureVerdict(
        SignatureStatus.UNTRUSTED,
        "The signature is intact, but only the certificate carried inside the token vouches "
        "for it, and that certificate is not one you trust. Check it against the issuer's "
        "certificate from the trust store or a file.",
        certificate=summarize_certificate(verified.certificate),
        **details,
    )


def _signature_details(signature: etree._Element) -> dict[str, Any]:
    signed_info = signature.find(f"{_DS}SignedInfo")
    method = signed_info.find(f"{_DS}SignatureMethod") if signed_info is not None else None
    reference = signed_info.find(f"{_DS}Reference") if signed_info is not None else None
    digest_method = reference.find(f"{_DS}DigestMethod") if reference is not None else None
    algorithm = method.get("Algorithm") if method is not None else None
    digest_algorithm = digest_method.get("Algorithm") if digest_method is not None else None
    return {
        "algorithm": algorithm,
        "digest_algorithm": digest_algorithm,
        "digest_value": _text(reference.find(f"{_DS}DigestValue")) if reference is not None else None,
        "reference": reference.get("URI") if reference is not None else None,
        "weak_algorithm": algorithm in _WEAK_ALGORITHMS or digest_algorithm in _WEAK_ALGORITHMS,
    }


# -- validity ---------------------------------------------------------------------------------


def _timeline(
    now: dt.datetime,
    not_before: dt.datetime | None,
    not_on_or_after: dt.datetime | None,
    skew_seconds: int,
) -> ValidityTimeline:
    skew = dt.timedelta(seconds=skew_seconds)
    remaining = (not_on_or_after - now).total_seconds() if not_on_or_after else None
    lifetime = (
        (not_on_or_after - not_before).total_seconds() if not_before and not_on_or_after else None
    )
    within_skew = False
    if not_on_or_after is None and not_before is None:
        state, note = ValidityState.UNKNOWN, "The token states no validity period."
    elif not_on_or_after is not None and now >= not_on_or_after + skew:
        state = ValidityState.EXPIRED
        note = f"Expired {_duration(-(remaining or 0))} ago (at {_when(not_on_or_after)})."
    elif not_before is not None and now < not_before - skew:
        state = ValidityState.NOT_YET_VALID
        note = (f"Not valid for another {_duration((not_before - now).total_seconds())} "
                f"(from {_when(not_before)}); check the clocks.")
    else:
        state = ValidityState.VALID
        within_skew = (not_on_or_after is not None and now >= not_on_or_after) or (
            not_before is not None and now < not_before
        )
        if within_skew:
            note = (f"Accepted only within the {skew_seconds} s clock-skew allowance; the "
                    "clocks of the STS and this machine differ, or the token is at its edge.")
        elif remaining is not None:
            note = f"Valid for another {_duration(remaining)} (until {_when(not_on_or_after)})."
        else:
            note = "Valid, with no end time."
    return ValidityTimeline(
        now=now,
        not_before=not_before,
        not_on_or_after=not_on_or_after,
        skew_seconds=skew_seconds,
        state=state,
        remaining_seconds=remaining,
        lifetime_seconds=lifetime,
        within_skew=within_skew,
        note=note,
    )


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "?"


def _duration(seconds: float) -> str:
    seconds = int(abs(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min {seconds % 60} s"
    if seconds < 172800:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"


# -- output -----------------------------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def _certificate_dict(cert: CertificateSummary | None) -> dict[str, Any] | None:
    if cert is None:
        return None
    return {
        "subject": cert.subject,
        "issuer": cert.issuer,
        "sha256_fingerprint": cert.sha256_fingerprint,
        "sha1_thumbprint": cert.sha1_thumbprint,
        "not_before": _iso(cert.not_before),
        "not_after": _iso(cert.not_after),
    }


def to_dict(
    decoded: DecodedToken,
    *,
    now: dt.datetime | None = None,
    skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS,
) -> dict[str, Any]:
    """The decoded token as JSON-ready data (no key material)."""
    timeline = decoded.validity(now, skew_seconds)
    signature = decoded.signature
    hok = decoded.holder_of_key
    encryption = decoded.encryption
    response = decoded.response
    return {
        "form": decoded.form.value,
        "encoding": decoded.encoding.value,
        "container": decoded.container,
        "version": decoded.version.value if decoded.version else None,
        "id": decoded.assertion_id,
        "issuer": decoded.issuer,
        "issue_instant": _iso(decoded.issue_instant),
        "subject": None if decoded.subject is None else {
            "name_id": decoded.subject.name_id,
            "format": decoded.subject.name_id_format,
            "confirmation_method": decoded.subject.confirmation_method,
        },
        "holder_of_key": None if hok is None else {
            "kind": hok.kind.value,
            "key_transport": hok.key_transport,
            "recipient_thumbprint": hok.recipient_thumbprint,
            "recipient_alias": hok.recipient_alias,
            "certificate": _certificate_dict(hok.certificate),
            "key_bits": hok.key_bits,
            "relying_party_view": hok.relying_party_view,
        },
        "conditions": None if decoded.conditions is None else {
            "not_before": _iso(decoded.conditions.not_before),
            "not_on_or_after": _iso(decoded.conditions.not_on_or_after),
            "audiences": list(decoded.conditions.audiences),
        },
        "validity": {
            "state": timeline.state.value,
            "now": _iso(timeline.now),
            "remaining_seconds": timeline.remaining_seconds,
            "skew_seconds": timeline.skew_seconds,
            "within_skew": timeline.within_skew,
            "note": timeline.note,
        },
        "authn": None if decoded.authn is None else {
            "method": decoded.authn.method,
            "instant": _iso(decoded.authn.instant),
        },
        "attributes": [
            {
                "name": a.name,
                "claim_uri": a.claim_uri,
                "friendly_name": a.friendly_name,
                "name_format": a.name_format,
                "namespace": a.namespace,
                "values": list(a.values),
            }
            for a in decoded.attributes
        ],
        "signature": {
            "status": signature.status.value,
            "reason": signature.reason,
            "algorithm": signature.algorithm,
            "digest_algorithm": signature.digest_algorithm,
            "digest_value": signature.digest_value,
            "reference": signature.reference,
            "certificate": _certificate_dict(signature.certificate),
            "trusted_alias": signature.trusted_alias,
            "weak_algorithm": signature.weak_algorithm,
        },
        "encryption": None if encryption is None else {
            "data_algorithm": encryption.data_algorithm,
            "key_transport": encryption.key_transport,
            "recipient_thumbprint": encryption.recipient_thumbprint,
            "recipient_alias": encryption.recipient_alias,
            "decrypted": encryption.decrypted,
            "reason": encryption.reason,
        },
        "response": None if response is None else {
            "token_type": response.token_type,
            "applies_to": response.applies_to,
            "created": _iso(response.created),
            "expires": _iso(response.expires),
            "attached_reference": response.attached_reference,
        },
        "problems": list(decoded.problems),
    }


def to_json(
    decoded: DecodedToken,
    *,
    now: dt.datetime | None = None,
    skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS,
) -> str:
    """:func:`to_dict` as indented JSON text, for the command line."""
    return json.dumps(to_dict(decoded, now=now, skew_seconds=skew_seconds), indent=2)

