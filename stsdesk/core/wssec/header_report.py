"""A secured SOAP message's wsse:Security header read for a person: who signed what, what was
encrypted for whom, and, when the keys are given, whether it verifies and what it hides.

Unlike ``inbound``, nothing is required of the message: every token, signature and encrypted
part is reported as found (the token inspector, and the test client's verdict on an answer).
The header is processed top-down as a receiver would: an EncryptedKey (with a private key
given) decrypts the parts it names in place, then a signature is checked against the message
as it stands. What a signature covers is found by identity (``element_ids``), never by name.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError, StsError
from stsdesk.core.saml import HolderOfKeyPublic
from stsdesk.core.samlreader import read_assertion
from stsdesk.core.wssec.algorithms import BLOCK_KEY_BYTES, Algorithm
from stsdesk.core.wssec.derived import DERIVED_KEY_TAGS, read_derived_key
from stsdesk.core.wssec.encryption import TYPE_CONTENT, decrypt_in_place, unwrap_key
from stsdesk.core.wssec.signature import SignatureKey, verify_signature
from stsdesk.core.wssec.tokens import (
    DS_,
    SAML_ASSERTIONS,
    WSSE_,
    WSU_ID,
    XENC_,
    MessageTokens,
    SymmetricKey,
    element_ids,
    read_certificate,
)
from stsdesk.core.wssecurity import read_timestamp, read_username_token
from stsdesk.core.xmlparse import parse_xml

__all__ = [
    "HeaderKeys", "Check", "TokenEntry", "CoveredPart", "SignatureEntry", "EncryptedPartEntry",
    "SecurityHeaderReport", "read_security_header",
]

_ENVELOPES = {f"{{{ns.SOAP11}}}Envelope", f"{{{ns.SOAP12}}}Envelope"}
_CONFIRMATION = f"{{{ns.WSSE11}}}SignatureConfirmation"
_CONTEXT_TOKENS = (f"{{{ns.WSC_2005}}}SecurityContextToken", f"{{{ns.WSC_13}}}SecurityContextToken")


@dataclass(frozen=True)
class HeaderKeys:
    """The keys a reader holds: private keys (to unwrap an EncryptedKey), certificates (to
    name and check signers) and symmetric keys by the name a message may give them
    (an EncryptedKeySHA1, or a SAML assertion's ID for its proof key)."""

    private_keys: tuple[rsa.RSAPrivateKey, ...] = field(default=(), repr=False)
    certificates: tuple[x509.Certificate, ...] = ()
    symmetric_keys: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    # Security contexts' keys by wsc:Identifier: what an answer under 9-15 derives its keys from.
    contexts: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    # Kerberos session keys by their AP-REQ's Kerberosv5APREQSHA1 (scenario 20's answers).
    kerberos_keys: Mapping[str, bytes] = field(default_factory=dict, repr=False)


class Check(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    NOT_CHECKED = "not checked"
    DECRYPTED = "decrypted"
    NOT_DECRYPTED = "not decrypted"


@dataclass(frozen=True)
class TokenEntry:
    """One token of the header: its kind, wsu:Id, and a line describing it."""

    kind: str
    element_id: str | None
    description: str
    certificate: x509.Certificate | None = None


@dataclass(frozen=True)
class CoveredPart:
    """What one signature reference points at."""

    uri: str
    element: str  # local name, or "(not in the message)"
    element_id: str


@dataclass(frozen=True)
class SignatureEntry:
    """One ds:Signature: its key, algorithms, the parts it covers, and whether it verified."""

    element_id: str | None
    method: str
    digest: str
    key: str  # what signed, in words
    signer_certificate: x509.Certificate | None
    covered: tuple[CoveredPart, ...]
    status: Check
    reason: str = ""
    value: bytes = field(default=b"", repr=False)
    covers_body: bool = False  # the SOAP Body itself (by identity)
    covers_timestamp: bool = False
    covers_confirmations: bool = False  # every SignatureConfirmation


@dataclass(frozen=True)
class EncryptedPartEntry:
    """One xenc:EncryptedData: where it was, what it held, with which key."""

    element_id: str | None
    location: str  # "SOAP Body content", "security header"
    algorithm: str
    key: str  # for which certificate or with which key, in words
    status: Check
    content: str = ""  # what it held, once decrypted (element names)
    reason: str = ""


@dataclass(frozen=True)
class SecurityHeaderReport:
    """Everything found in the header, in header order, and the message after decryption."""

    soap_version: str
    timestamp_created: datetime | None
    timestamp_expires: datetime | None
    timestamp_id: str | None
    tokens: tuple[TokenEntry, ...]
    signatures: tuple[SignatureEntry, ...]
    encrypted_parts: tuple[EncryptedPartEntry, ...]
    confirmations: tuple[str | None, ...]  # SignatureConfirmation values (base64), None: empty
    body_content: str  # the Body's element(s), after what could be decrypted
    clear_envelope: bytes = field(repr=False)
    problems: tuple[str, ...] = ()

    @property
    def has_security(self) -> bool:
        return bool(self.tokens or self.signatures or self.encrypted_parts
                    or self.timestamp_created or self.confirmations)


@dataclass
class _Part:
    element: etree._Element  # the EncryptedData (held: lxml proxies are compared by identity)
    element_id: str | None
    location: str
    algorithm: str
    key: str = "no key named"
    status: Check = Check.NOT_DECRYPTED
    content: str = ""
    reason: str = "no key to decrypt it with was given"


def read_security_header(data: bytes, keys: HeaderKeys | None = None) -> SecurityHeaderReport:
    """Read ``data`` (a SOAP envelope) and its first wsse:Security header.

    InvalidRequestError when it is not a SOAP envelope or repeats an identifier (a reader
    could not tell which element a signature covered)."""
    keys = keys or HeaderKeys()
    root = parse_xml(data)
    if root.tag not in _ENVELOPES:
        raise InvalidRequestError("This is not a SOAP envelope; open a whole SOAP message.")
    soap = etree.QName(root).namespace or ""
    body = root.find(f"{{{soap}}}Body")
    if body is None:
        raise InvalidRequestError("The SOAP envelope has no Body.")
    try:
        ids = element_ids(root)
    except StsError as exc:
        raise InvalidRequestError(exc.message) from exc
    reader = _Reader(root, body, keys, MessageTokens(ids, keys.certificates))
    for name, secret in keys.symmetric_keys.items():
        reader.tokens.add_key(SymmetricKey(secret, None, name))
        reader.key_names[secret] = f"the key named {name}"
    for identifier, secret in keys.contexts.items():
        reader.tokens.contexts[identifier] = SymmetricKey(secret, None, None, context=identifier)
        reader.key_names[secret] = f"the security context {identifier}"
    for sha1, secret in keys.kerberos_keys.items():
        reader.tokens.add_key(SymmetricKey(secret, None, sha1,
                                           reference_type=ns.KERBEROS_AP_REQ_SHA1,
                                           token_type=ns.KERBEROS_GSS_AP_REQ))
        reader.key_names[secret] = "the Kerberos ticket's session key"
    security = root.find(f"{{{soap}}}Header/{WSSE_}Security")
    # Message-level encryption: the Body's content, header blocks and the security header's
    # own parts. A token encrypted for its relying party (an EncryptedAssertion inside the
    # RSTR) is the token's business, not the message's (the token view reads it).
    header = root.find(f"{{{soap}}}Header")
    for encrypted in root.iter(f"{XENC_}EncryptedData"):
        if encrypted.getparent() in (body, header, security):
            reader.parts.append(_Part(encrypted, encrypted.get("Id"),
                                      _location(encrypted, body), _algorithm(encrypted)))
    if security is not None:
        index = 0
        while index < len(children := [c for c in security if isinstance(c.tag, str)]):
            try:
                reader.step(children[index])
            except StsError as exc:
                reader.problems.append(f"{etree.QName(children[index]).localname}: {exc.message}")
            index += 1
    return reader.report(soap)


def _location(encrypted: etree._Element, body: etree._Element) -> str:
    parent = encrypted.getparent()
    if parent is body:
        return "SOAP Body content" if encrypted.get("Type") == TYPE_CONTENT else "SOAP Body"
    if parent is not None and parent.tag == f"{WSSE_}Security":
        return "security header"
    return etree.QName(parent).localname if parent is not None else "?"


def _algorithm(element: etree._Element) -> str:
    method = element.find(f"{XENC_}EncryptionMethod")
    return (method.get("Algorithm") if method is not None else None) or "(none named)"


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _subject(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


@dataclass
class _Reader:
    """One message's header being read: what was met so far, and the steps."""

    root: etree._Element
    body: etree._Element
    keys: HeaderKeys
    tokens: MessageTokens
    parts: list[_Part] = field(default_factory=list)
    token_entries: list[TokenEntry] = field(default_factory=list)
    signatures: list[SignatureEntry] = field(default_factory=list)
    confirmations: list[str | None] = field(default_factory=list)
    confirmation_elements: list[etree._Element] = field(default_factory=list)
    timestamp: etree._Element | None = None
    problems: list[str] = field(default_factory=list)
    key_names: dict[bytes, str] = field(default_factory=dict)  # symmetric key -> description

    def step(self, element: etree._Element) -> None:
        tag = element.tag
        if tag == f"{{{ns.WSU}}}Timestamp":
            self.timestamp = element
        elif tag == f"{WSSE_}BinarySecurityToken":
            cert = self.tokens.add_binary_token(element)
            self.token_entries.append(TokenEntry(
                "BinarySecurityToken", element.get(WSU_ID),
                f"X.509 certificate {_subject(cert)}" if cert is not None
                else f"of type {element.get('ValueType')}", cert))
        elif tag == f"{WSSE_}UsernameToken":
            token = read_username_token(element)
            kind = "PasswordDigest" if token.password_type == ns.PASSWORD_DIGEST else (
                "PasswordText" if token.password is not None else "no password")
            self.token_entries.append(TokenEntry(
                "UsernameToken", element.get(WSU_ID), f"user {token.username!r} ({kind})"))
        elif tag in SAML_ASSERTIONS:
            self._assertion(element)
        elif tag == f"{XENC_}EncryptedKey":
            self._encrypted_key(element)
        elif tag == f"{XENC_}ReferenceList":
            for reference in element.findall(f"{XENC_}DataReference"):
                self._decrypt_named(reference.get("URI") or "", None)
        elif tag in _CONTEXT_TOKENS:
            identifier = (element.findtext(f"{{{etree.QName(element).namespace}}}Identifier")
                          or "").strip()
            known = identifier in self.tokens.contexts
            if known:  # the reader holds its key: what refers to the token gets it
                self.tokens.add_context_token(element)
            self.token_entries.append(TokenEntry(
                "SecurityContextToken", element.get(WSU_ID), f"security context {identifier}"
                + ("" if known else " (its key is not known here)")))
        elif tag in DERIVED_KEY_TAGS:
            key = read_derived_key(element, self.tokens)
            self.tokens.add_key(key)
            base = self.key_names.get(key.derived_from or b"", "a key of this message")
            self.key_names[key.key] = f"a key derived from {base}"
            self.token_entries.append(TokenEntry(
                "DerivedKeyToken", element.get(WSU_ID), f"{len(key.key) * 8}-bit key from {base}"))
        elif tag == _CONFIRMATION:
            self.confirmations.append(element.get("Value"))
            self.confirmation_elements.append(element)
        elif tag == f"{DS_}Signature":
            self._signature(element)

    def _assertion(self, element: etree._Element) -> None:
        reading = read_assertion(element, lenient=True)
        subject = reading.subject.name_id if reading.subject else None
        method = reading.subject.confirmation_method if reading.subject else None
        self.token_entries.append(TokenEntry(
            f"SAML {reading.version.value} assertion", reading.assertion_id,
            f"issued by {reading.issuer or '?'} for {subject or '?'}"
            + (f" ({method.rsplit(':', 1)[-1]})" if method else "")))

    def _encrypted_key(self, element: etree._Element) -> None:
        key_info = element.find(f"{DS_}KeyInfo")
        try:
            cert, _ = self.tokens.certificate_for(key_info)
            recipient = f"for {_subject(cert)}"
        except StsError:
            cert, recipient = None, f"for a certificate not given ({_reference_text(key_info)})"
        wrap = _algorithm(element)
        secret = self._unwrap(element, cert, wrap)
        if cert is None and secret is not None:
            recipient = "for the private key given"
        self.token_entries.append(TokenEntry("EncryptedKey", element.get("Id"),
                                             f"{recipient}, wrapped with {wrap}", cert))
        description = f"the key of EncryptedKey {element.get('Id') or ''} {recipient}".strip()
        uris = [r.get("URI") or "" for r in element.findall(f"{XENC_}ReferenceList/"
                                                            f"{XENC_}DataReference")]
        if secret is None:
            for uri in uris:
                self._mark(uri, description, "the private key of that certificate was not given")
            return
        self.tokens.add_key(secret)
        self.key_names[secret.key] = description
        for uri in uris:
            self._decrypt_named(uri, secret.key, description)

    def _unwrap(self, element: etree._Element, cert: x509.Certificate | None,
                wrap: str) -> SymmetricKey | None:
        public = cert.public_key() if cert is not None else None
        candidates = [k for k in self.keys.private_keys if public is None or (
            isinstance(public, rsa.RSAPublicKey)
            and k.public_key().public_numbers() == public.public_numbers())]
        last = ""
        for private_key in candidates:
            try:
                return unwrap_key(element, private_key, key_wrap=wrap)
            except StsError as exc:
                last = exc.message
        if candidates:
            self.problems.append(f"EncryptedKey {element.get('Id') or ''}: {last}")
        return None

    def part_of(self, encrypted: etree._Element) -> _Part | None:
        return next((p for p in self.parts if p.element is encrypted), None)

    def _mark(self, uri: str, key: str, reason: str) -> None:
        target = self.tokens.ids.get(uri[1:]) if uri.startswith("#") else None
        part = self.part_of(target) if target is not None else None
        if part is not None:
            part.key, part.reason = key, reason

    def _decrypt_named(self, uri: str, secret: bytes | None, description: str = "") -> None:
        target = self.tokens.ids.get(uri[1:]) if uri.startswith("#") else None
        if target is None or target.tag != f"{XENC_}EncryptedData":
            self.problems.append(f"The encrypted part {uri[:80]!r} is not in the message.")
            return
        part = self.part_of(target)
        if part is None:
            part = _Part(target, target.get("Id"), _location(target, self.body),
                         _algorithm(target))
            self.parts.append(part)
        if secret is None:
            secret, description = self._key_of(target.find(f"{DS_}KeyInfo"))
            if secret is None:
                part.key, part.reason = description, "its key is not known"
                return
        part.key = description
        algorithm = _algorithm(target)
        if algorithm not in BLOCK_KEY_BYTES:
            part.reason = f"the algorithm {algorithm} is not one this reader knows"
            return
        try:
            done = decrypt_in_place(target, secret, block=algorithm)
        except StsError as exc:
            part.status, part.reason = Check.INVALID, exc.message
            return
        part.status, part.reason = Check.DECRYPTED, ""
        part.content = ", ".join(_local(e) + (f" ({e.get(WSU_ID)})" if e.get(WSU_ID) else "")
                                 for e in done.elements) or "text"
        try:
            self.tokens.ids = element_ids(self.root)
        except StsError as exc:
            self.problems.append(exc.message)

    def _key_of(self, key_info: etree._Element | None) -> tuple[bytes | None, str]:
        """A symmetric key a KeyInfo names: an EncryptedKey, a derived key, or an assertion's
        proof key (by its ID)."""
        reference = _token_reference(key_info)
        if reference is None:
            return None, "no key named"
        identifier = reference.find(f"{WSSE_}KeyIdentifier")
        if identifier is not None and (identifier.get("ValueType") or "").strip() in (
            ns.SAML2_ID, ns.SAML11_ASSERTION_ID
        ):
            name = (identifier.text or "").strip()
            secret = self.keys.symmetric_keys.get(name)
            return secret, f"the proof key of SAML assertion {name}"
        try:
            found = self.tokens.key_named_by(reference)
        except StsError:
            return None, _reference_text(key_info)
        return found.key, self.key_names.get(found.key, "a key of this message")

    def _signature(self, element: etree._Element) -> None:
        signed_info = element.find(f"{DS_}SignedInfo")
        method_el = signed_info.find(f"{DS_}SignatureMethod") if signed_info is not None else None
        method = (method_el.get("Algorithm") if method_el is not None else None) or "?"
        references = signed_info.findall(f"{DS_}Reference") if signed_info is not None else []
        digest_el = references[0].find(f"{DS_}DigestMethod") if references else None
        digest = (digest_el.get("Algorithm") if digest_el is not None else None) or "?"
        covered, elements = [], []
        for reference in references:
            uri = reference.get("URI") or ""
            target = self.tokens.ids.get(uri[1:]) if uri.startswith("#") else None
            elements.append(target)
            covered.append(CoveredPart(uri, _local(target) if target is not None
                                       else "(not in the message)", uri.lstrip("#")))
        key, who, cert = self._signing_key(element.find(f"{DS_}KeyInfo"), method)
        status, reason = Check.NOT_CHECKED, "the key is not known"
        # A covered part holding message-level ciphertext cannot be checked before it is
        # decrypted (an encrypted token inside the Body is another matter: it was signed so).
        still_encrypted = any(
            e is not None and any(p.status is not Check.DECRYPTED and (
                p.element is e or any(d is p.element for d in e.iter(f"{XENC_}EncryptedData")))
                for p in self.parts)
            for e in elements)
        if still_encrypted:
            reason = ("it covers a part that is still encrypted: give the key that decrypts "
                      "it")
        elif key is not None and all(e is not None for e in elements) and digest in (
            Algorithm.SHA1, Algorithm.SHA256
        ):
            try:
                verify_signature(element, key, signature_methods=frozenset({method}),
                                 digest_method=digest)
                status, reason = Check.VALID, ""
            except StsError as exc:
                status, reason = Check.INVALID, exc.message
        elif key is not None:
            reason = "a reference or algorithm cannot be checked here"
        value_text = element.findtext(f"{DS_}SignatureValue") or ""
        confirmations = self.confirmation_elements
        self.signatures.append(SignatureEntry(
            element.get("Id"), method, digest, who, cert, tuple(covered), status, reason,
            _b64(value_text),
            covers_body=any(e is self.body for e in elements),
            covers_timestamp=self.timestamp is not None and any(
                e is self.timestamp for e in elements),
            covers_confirmations=bool(confirmations) and all(
                any(e is c for e in elements) for c in confirmations),
        ))

    def _signing_key(self, key_info: etree._Element | None, method: str
                     ) -> tuple[SignatureKey | None, str, x509.Certificate | None]:
        if "hmac" in method:
            secret, who = self._key_of(key_info)
            key = SignatureKey(secret=secret) if secret is not None else None
            return key, f"HMAC with {who}", None
        reference = _token_reference(key_info)
        identifier = reference.find(f"{WSSE_}KeyIdentifier") if reference is not None else None
        if identifier is not None and (identifier.get("ValueType") or "").strip() in (
            ns.SAML2_ID, ns.SAML11_ASSERTION_ID
        ):
            assertion = self.tokens.ids.get((identifier.text or "").strip())
            if assertion is not None and assertion.tag in SAML_ASSERTIONS:
                confirmation = read_assertion(assertion, lenient=True).confirmation
                if isinstance(confirmation, HolderOfKeyPublic):
                    cert = read_certificate(confirmation.certificate_der, "holder-of-key key")
                    who = f"the SAML assertion's key: {_subject(cert)}"
                    return SignatureKey(certificate=cert), who, cert
            return None, "a SAML assertion's key", None
        try:
            cert, carried = self.tokens.certificate_for(key_info)
        except StsError:
            return None, f"a certificate not given ({_reference_text(key_info)})", None
        where = "sent in the message" if carried else "named by reference"
        return SignatureKey(certificate=cert), f"{_subject(cert)} ({where})", cert

    def report(self, soap: str) -> SecurityHeaderReport:
        created = expires = None
        timestamp_id = None
        if self.timestamp is not None:
            timestamp_id = self.timestamp.get(WSU_ID)
            try:
                stamp = read_timestamp(self.timestamp)
                created, expires = stamp.created, stamp.expires
            except StsError as exc:
                self.problems.append(f"Timestamp: {exc.message}")
        body_children = [c for c in self.body if isinstance(c.tag, str)]
        return SecurityHeaderReport(
            soap_version="SOAP 1.1" if soap == ns.SOAP11 else "SOAP 1.2",
            timestamp_created=created,
            timestamp_expires=expires,
            timestamp_id=timestamp_id,
            tokens=tuple(self.token_entries),
            signatures=tuple(self.signatures),
            encrypted_parts=tuple(EncryptedPartEntry(p.element_id, p.location, p.algorithm,
                                                     p.key, p.status, p.content, p.reason)
                                  for p in self.parts),
            confirmations=tuple(self.confirmations),
            body_content=", ".join(_local(c) for c in body_children) or "(empty)",
            clear_envelope=etree.tostring(self.root, xml_declaration=True, encoding="utf-8"),
            problems=tuple(self.problems),
        )


def _token_reference(key_info: etree._Element | None) -> etree._Element | None:
    return None if key_info is None else key_info.find(f"{WSSE_}SecurityTokenReference")


def _reference_text(key_info: etree._Element | None) -> str:
    """How a KeyInfo names its key, in words (for a key the reader does not hold)."""
    reference = _token_reference(key_info)
    if reference is None:
        return "no wsse:SecurityTokenReference"
    identifier = reference.find(f"{WSSE_}KeyIdentifier")
    if identifier is not None:
        kind = (identifier.get("ValueType") or "").rsplit("#", 1)[-1]
        return f"{kind} {(identifier.text or '').strip()[:60]}"
    serial = reference.find(f"{DS_}X509Data/{DS_}X509IssuerSerial")
    if serial is not None:
        return (f"issuer {serial.findtext(f'{DS_}X509IssuerName')}, serial "
                f"{serial.findtext(f'{DS_}X509SerialNumber')}")
    direct = reference.find(f"{WSSE_}Reference")
    if direct is not None:
        return f"reference {direct.get('URI')}"
    return "an unknown reference form"


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return b""

