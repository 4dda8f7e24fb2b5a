"""Security tokens in a message and the references that name them (WSS 1.0/1.1, X.509 profile).

A ``wsse:SecurityTokenReference`` names a token by a direct ``wsse:Reference`` to its
``wsu:Id``, by a ``wsse:KeyIdentifier`` (X.509 SubjectKeyIdentifier, SHA-1 thumbprint, the
certificate itself, EncryptedKeySHA1, a SAML assertion ID) or by ``ds:X509Data`` issuer and
serial number. :class:`MessageTokens` holds what the header carried and resolves references.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidSecurityError
from stsdesk.core.wssec.errors import (
    BadContextTokenError,
    SecurityTokenUnavailableError,
    WsseInvalidTokenError,
)
from stsdesk.core.xmlutil import decode_base64

__all__ = [
    "ID_ATTRIBUTES", "SymmetricKey", "MessageTokens", "element_ids", "read_certificate",
    "subject_key_identifier", "thumbprint_sha1", "WSSE_", "DS_", "XENC_", "WSU_ID",
    "SAML_ASSERTIONS", "encrypted_key_sha1", "CONTEXT_TOKENS", "ContextKeys",
]

WSSE_ = f"{{{ns.WSSE}}}"
DS_ = f"{{{ns.DS}}}"
XENC_ = f"{{{ns.XENC}}}"
WSU_ID = f"{{{ns.WSU}}}Id"
# Attributes that name an element for a same-document reference: wsu:Id (WS-Security), Id
# (XML-DSig, XML-Enc), ID (SAML 2.0) and AssertionID (SAML 1.1).
ID_ATTRIBUTES: tuple[tuple[str, str | None], ...] = (
    ("Id", ns.WSU), ("Id", None), ("ID", None), ("AssertionID", None),
)
_X509_TYPES = {ns.X509V3, ns.X509_TOKEN}
SAML_ASSERTIONS = frozenset({f"{{{ns.SAML2}}}Assertion", f"{{{ns.SAML11}}}Assertion"})
CONTEXT_TOKENS = frozenset({f"{{{ns.WSC_2005}}}SecurityContextToken",
                            f"{{{ns.WSC_13}}}SecurityContextToken"})
# What gives a security context's key for its wsc:Identifier; it raises BadContextTokenError
# for a context that is unknown, cancelled or expired (the server keeps them; core does not).
ContextKeys = Callable[[str], bytes]


@dataclass(frozen=True)
class SymmetricKey:
    """A symmetric key the client sent: in an EncryptedKey, or derived from one."""

    key: bytes = field(repr=False)
    element_id: str | None
    sha1: str | None  # base64 SHA-1 of the EncryptedKey's cipher value (EncryptedKeySHA1)
    derived_from: bytes | None = field(default=None, repr=False)  # a DerivedKeyToken's base
    # How a key identifier names the token that carried it: EncryptedKeySHA1, or for a Kerberos
    # session key Kerberosv5APREQSHA1 (``sha1`` is then the AP-REQ's SHA-1), and that token's type.
    reference_type: str = ns.ENCRYPTED_KEY_SHA1
    token_type: str = ns.ENCRYPTED_KEY_TOKEN
    # The wsc:Identifier of the security context this key is (or is derived from).
    context: str | None = None


def element_ids(root: etree._Element) -> dict[str, etree._Element]:
    """Every identifier in the document and its element; refuses an identifier used twice.

    A reference resolves to exactly one element, so the element a signature covered is the one
    later read (a duplicate ID is how signature wrapping smuggles a second element in).
    """
    index: dict[str, etree._Element] = {}
    for element in root.iter(tag=etree.Element):
        for local, namespace in ID_ATTRIBUTES:
            value = element.get(f"{{{namespace}}}{local}" if namespace else local)
            if value is None:
                continue
            if value in index and index[value] is not element:
                raise InvalidSecurityError(
                    f"The identifier {value[:80]!r} appears more than once in the message "
                    "(possible signature wrapping); every wsu:Id must be unique."
                )
            index[value] = element
    return index


def read_certificate(der: bytes, what: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise WsseInvalidTokenError(f"The {what} is not a readable X.509 certificate.") from exc


def thumbprint_sha1(cert: x509.Certificate) -> bytes:
    return cert.fingerprint(hashes.SHA1())  # noqa: S303 - an identifier, not a security hash


def subject_key_identifier(cert: x509.Certificate) -> bytes:
    """The certificate's SubjectKeyIdentifier, or the RFC 5280 SHA-1 of its key if it has none."""
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        public_key = cert.public_key()
        return x509.SubjectKeyIdentifier.from_public_key(public_key).digest  # type: ignore[arg-type]


@dataclass
class MessageTokens:
    """The tokens met while processing one message's header (one instance per request)."""

    ids: dict[str, etree._Element]
    known_certificates: Sequence[x509.Certificate] = ()
    certificates: dict[str, x509.Certificate] = field(default_factory=dict)  # BST wsu:Id -> cert
    keys: dict[str, SymmetricKey] = field(default_factory=dict)  # EncryptedKey/DKT Id -> key
    keys_by_sha1: dict[str, SymmetricKey] = field(default_factory=dict)
    context_keys: ContextKeys | None = None  # None: no security context is accepted
    contexts: dict[str, SymmetricKey] = field(default_factory=dict)  # wsc:Identifier -> key

    def add_context_token(self, element: etree._Element) -> SymmetricKey:
        """A wsc:SecurityContextToken in the header: its context's key, looked up."""
        identifier = (element.findtext(f"{{{etree.QName(element).namespace}}}Identifier")
                      or "").strip()
        if not identifier:
            raise BadContextTokenError("The wsc:SecurityContextToken has no wsc:Identifier.")
        key = self._context(identifier)
        if element.get(WSU_ID):
            key = SymmetricKey(key.key, element.get(WSU_ID), None, context=identifier)
            self.add_key(key)
        return key

    def _context(self, identifier: str) -> SymmetricKey:
        known = self.contexts.get(identifier)
        if known is not None:
            return known
        if self.context_keys is None:
            raise BadContextTokenError(
                "The message uses a security context, but the applied security policy has no "
                "SecureConversation token; secure the request as the policy requires."
            )
        key = SymmetricKey(self.context_keys(identifier), None, None, context=identifier)
        self.contexts[identifier] = key
        return key

    def add_binary_token(self, element: etree._Element) -> x509.Certificate | None:
        value_type = (element.get("ValueType") or "").strip()
        if value_type not in _X509_TYPES:
            return None
        encoding = (element.get("EncodingType") or ns.BASE64_BINARY).strip()
        if encoding != ns.BASE64_BINARY:
            raise WsseInvalidTokenError(
                "The wsse:BinarySecurityToken is not base64-encoded; send it with EncodingType "
                f"{ns.BASE64_BINARY}."
            )
        der = decode_base64(element.text, "wsse:BinarySecurityToken", WsseInvalidTokenError)
        cert = read_certificate(der, "wsse:BinarySecurityToken")
        token_id = element.get(WSU_ID)
        if token_id:
            self.certificates[token_id] = cert
        return cert

    def add_key(self, key: SymmetricKey) -> None:
        if key.element_id:
            self.keys[key.element_id] = key
        if key.sha1:
            self.keys_by_sha1[key.sha1] = key

    def certificate_for(self, key_info: etree._Element | None) -> tuple[x509.Certificate, bool]:
        """The certificate a ``ds:KeyInfo`` names, and whether it travelled in the message."""
        reference = _security_token_reference(key_info)
        direct = reference.find(f"{WSSE_}Reference")
        if direct is not None:
            target = self._target(direct)
            if target.tag == f"{WSSE_}BinarySecurityToken":
                cert = self.add_binary_token(target)
                if cert is not None:
                    return cert, True
            raise WsseInvalidTokenError(
                "The signature's key reference does not point at an X.509 BinarySecurityToken."
            )
        identifier = reference.find(f"{WSSE_}KeyIdentifier")
        if identifier is not None:
            value_type = (identifier.get("ValueType") or "").strip()
            raw = decode_base64(identifier.text, "wsse:KeyIdentifier", WsseInvalidTokenError)
            if value_type in _X509_TYPES:
                return read_certificate(raw, "wsse:KeyIdentifier certificate"), True
            if value_type == ns.THUMBPRINT_SHA1:
                return self._known(lambda c: hmac.compare_digest(thumbprint_sha1(c), raw),
                                   "thumbprint"), False
            if value_type == ns.X509_SKI:
                return self._known(lambda c: subject_key_identifier(c) == raw,
                                   "subject key identifier"), False
            raise SecurityTokenUnavailableError(
                f"The key identifier type {value_type[:120]!r} does not name an X.509 "
                "certificate this STS can find."
            )
        serial = reference.find(f"{DS_}X509Data/{DS_}X509IssuerSerial")
        if serial is not None:
            issuer_text = "".join(serial.findtext(f"{DS_}X509IssuerName") or "").strip()
            number_text = (serial.findtext(f"{DS_}X509SerialNumber") or "").strip()
            try:
                number = int(number_text)
            except ValueError as exc:
                raise WsseInvalidTokenError("The X509SerialNumber is not a number.") from exc
            return self._known(
                lambda c: c.serial_number == number and _same_name(c.issuer, issuer_text),
                "issuer and serial number"), False
        raise SecurityTokenUnavailableError(
            "The wsse:SecurityTokenReference uses no reference form this STS reads (Reference, "
            "KeyIdentifier or X509IssuerSerial)."
        )

    def symmetric_key_for(self, key_info: etree._Element | None) -> SymmetricKey:
        """The symmetric key a ``ds:KeyInfo`` names: an EncryptedKey or a derived key."""
        return self.key_named_by(_security_token_reference(key_info))

    def key_named_by(self, reference: etree._Element) -> SymmetricKey:
        """The symmetric key a ``wsse:SecurityTokenReference`` names."""
        direct = reference.find(f"{WSSE_}Reference")
        if direct is not None:
            uri = (direct.get("URI") or "").strip()
            if uri and not uri.startswith("#") and (direct.get("ValueType") or "").strip() in (
                ns.WSC_2005_SCT, ns.WSC_13_SCT
            ):
                # A context not carried in the message, named by its wsc:Identifier.
                return self._context(uri)
            key = self.keys.get(uri[1:]) if uri.startswith("#") else None
            if key is None:
                raise SecurityTokenUnavailableError(
                    "The key reference names no EncryptedKey or DerivedKeyToken that this "
                    "message carried before it."
                )
            return key
        identifier = reference.find(f"{WSSE_}KeyIdentifier")
        value_type = "" if identifier is None else (identifier.get("ValueType") or "").strip()
        if identifier is not None and value_type in (
            ns.ENCRYPTED_KEY_SHA1, ns.KERBEROS_AP_REQ_SHA1
        ):
            found = self.keys_by_sha1.get("".join((identifier.text or "").split()))
            # The identifier's type must be the carrying token's: an EncryptedKeySHA1 never
            # names a Kerberos session key, nor the other way round.
            if found is not None and found.reference_type == value_type:
                return found
        raise SecurityTokenUnavailableError(
            "The key reference names no symmetric key this message carried."
        )

    def assertion_for(self, key_info: etree._Element | None) -> etree._Element:
        """The SAML assertion in this message that a ``ds:KeyInfo`` names (SAML token profile:
        a KeyIdentifier with the assertion's ID, or a direct Reference to it)."""
        reference = _security_token_reference(key_info)
        identifier = reference.find(f"{WSSE_}KeyIdentifier")
        direct = reference.find(f"{WSSE_}Reference")
        if identifier is not None and (identifier.get("ValueType") or "").strip() in (
            ns.SAML2_ID, ns.SAML11_ASSERTION_ID
        ):
            target = self.ids.get((identifier.text or "").strip())
        elif direct is not None:
            target = self._target(direct)
        else:
            target = None
        if target is None or target.tag not in SAML_ASSERTIONS:
            raise SecurityTokenUnavailableError(
                "The signature's key reference names no SAML assertion carried in this message."
            )
        return target

    def _target(self, reference: etree._Element) -> etree._Element:
        uri = (reference.get("URI") or "").strip()
        if not uri.startswith("#") or uri[1:] not in self.ids:
            raise SecurityTokenUnavailableError(
                f"The token reference {uri[:80]!r} names no token in this message."
            )
        return self.ids[uri[1:]]

    def _known(self, matches: object, what: str) -> x509.Certificate:
        candidates = list(self.certificates.values()) + list(self.known_certificates)
        for cert in candidates:
            if matches(cert):  # type: ignore[operator]
                return cert
        raise SecurityTokenUnavailableError(
            f"No certificate in the message or this STS's trust store matches the {what} the "
            "message names; send the certificate in a BinarySecurityToken or import it."
        )


def _security_token_reference(key_info: etree._Element | None) -> etree._Element:
    found = None if key_info is None else key_info.find(f"{WSSE_}SecurityTokenReference")
    if found is None:
        raise SecurityTokenUnavailableError(
            "The ds:KeyInfo holds no wsse:SecurityTokenReference naming the key."
        )
    return found


def _same_name(name: x509.Name, text: str) -> bool:
    """Issuer DN comparison tolerant of spacing (Java writes ``CN=a, O=b``, Python ``CN=a,O=b``)."""
    def canon(value: str) -> list[str]:
        return [part.strip().lower() for part in value.replace(";", ",").split(",") if part.strip()]
    return canon(name.rfc4514_string()) in (canon(text), list(reversed(canon(text))))


def encrypted_key_sha1(cipher_value: bytes) -> str:
    """EncryptedKeySHA1 of an EncryptedKey: base64 SHA-1 of its decoded CipherValue."""
    digest = hashlib.sha1(cipher_value, usedforsecurity=False).digest()
    return base64.b64encode(digest).decode("ascii")

