"""Outbound message security: the STS's answer secured as the applied policy requires.

Asymmetric binding: signed with the service's key (Body, Timestamp, SignatureConfirmation),
then, where the policy encrypts parts, encrypted for the client's certificate with a fresh key
in an EncryptedKey. Symmetric binding: signed (HMAC) and encrypted with the key the request's
EncryptedKey carried, referenced by ``EncryptedKeySHA1``. Sign before encrypt, as WSO2's
policies (no EncryptBeforeSigning) ask; the header lists what was done last first, the order a
receiver processes it in.
"""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.certificates import SigningIdentity
from stsdesk.core.errors import CryptoError, InvalidSecurityError
from stsdesk.core.soap import SoapVersion
from stsdesk.core.wssec.algorithms import Algorithm, UnsupportedAlgorithmError
from stsdesk.core.wssec.derived import make_derived_key, wsc_for
from stsdesk.core.wssec.encryption import encrypt_in_place, new_session_key, wrap_key
from stsdesk.core.wssec.inbound import InboundResult
from stsdesk.core.wssec.policy import Binding, PolicyModel, TokenAssertion
from stsdesk.core.wssec.signature import SignatureKey, sign_detached
from stsdesk.core.wssec.tokens import (
    DS_,
    WSSE_,
    WSU_ID,
    XENC_,
    SymmetricKey,
    subject_key_identifier,
    thumbprint_sha1,
)
from stsdesk.core.wssecurity import format_xs_datetime
from stsdesk.core.xmlparse import OWN_TEXT_LIMITS, parse_xml

__all__ = ["ResponseSecurity", "secure_response", "certificate_reference", "open_envelope"]

_WSSE11_ = f"{{{ns.WSSE11}}}"
_RESPONSE_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class ResponseSecurity:
    """What securing one response needs beyond the policy: the keys and the request's proof."""

    policy: PolicyModel
    service: SigningIdentity
    inbound: InboundResult
    now: datetime


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def secure_response(envelope: bytes, security: ResponseSecurity) -> bytes:
    """``envelope`` (a SOAP response this STS built) with its wsse:Security header added."""
    policy = security.policy
    suite = policy.algorithm_suite
    if suite is None or policy.binding not in (Binding.ASYMMETRIC, Binding.SYMMETRIC):
        return envelope
    root, version, header, body = open_envelope(envelope)
    if body is None:  # pragma: no cover - build_response always writes a Body
        raise CryptoError("The response has no Body to secure.")
    sec = etree.SubElement(header, f"{WSSE_}Security",
                           nsmap={"wsse": ns.WSSE, "wsu": ns.WSU})
    sec.set(f"{{{version.value}}}mustUnderstand", "1")
    targets: list[etree._Element] = []
    if policy.include_timestamp:
        targets.append(_timestamp(sec, security.now))
    if policy.signature_confirmation:
        targets += _confirmations(sec, security.inbound.signature_values)
    if not policy.signed_parts.empty:
        body.set(WSU_ID, _new_id("Body"))
        targets.insert(0, body)
    inbound = security.inbound
    if policy.binding is Binding.ASYMMETRIC:
        client = inbound.signer_certificate
        key = SignatureKey(private_key_pem=security.service.private_key_pem())
        key_info = _certificate_key_info(security.service.certificate, policy.recipient_token)
        method = suite.asymmetric_signature
    else:
        base_key, base_reference, derive = _answer_key(inbound)
        client = None
        method = suite.symmetric_signature
        secret, key_info = _symmetric_key(sec, policy, base_key, base_reference,
                                          suite.signature_key_bits // 8, derive=derive)
        key = SignatureKey(secret=secret)
    signature = None
    if targets:
        signature = sign_detached(sec, targets, key, signature_method=method,
                                  digest_method=suite.digest, key_info=key_info)
        signature.set("Id", _new_id("SIG"))
    parts: list[tuple[etree._Element, bool]] = []
    if policy.encrypted_parts.body:
        parts.append((body, True))
    if parts and policy.encrypt_signature and signature is not None:
        parts.append((signature, False))
    if parts:
        if policy.binding is Binding.ASYMMETRIC and inbound.signer_assertion is not None:
            _encrypt_for_assertion(sec, parts, inbound, suite.encryption, signature)
        elif policy.binding is Binding.ASYMMETRIC:
            if client is None:
                raise InvalidSecurityError(
                    "The request named no client certificate to encrypt the answer for."
                )
            _encrypt_for_certificate(sec, parts, client, policy.initiator_token,
                                     suite.encryption, suite.asymmetric_key_wrap, signature)
        else:
            base_key, base_reference, derive = _answer_key(inbound)
            # A derived key token for encryption goes before the ReferenceList that uses it.
            marker = etree.Element("placeholder")
            _insert_before(sec, marker, signature)
            secret, info = _symmetric_key(sec, policy, base_key, base_reference,
                                          suite.encryption_key_bits // 8, before=marker,
                                          derive=derive)
            ids = encrypt_in_place(parts, secret, block=suite.encryption,
                                   key_info=lambda: copy.deepcopy(info), new_id=_new_id)
            sec.replace(marker, _reference_list(ids))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def open_envelope(envelope: bytes) -> tuple[
        etree._Element, SoapVersion, etree._Element, etree._Element | None]:
    """``envelope`` parsed, ready for a wsse:Security header: its root (with ``wsu`` declared),
    SOAP version, Header (made if missing) and Body (None if missing). The one preparation the
    STS's answers and the test client's requests share.

    Both are this program's own text, so the size limits on a hostile sender's message do not
    apply: an answer carrying a token with long claim values may be over a megabyte."""
    root = _declaring_wsu(parse_xml(envelope, OWN_TEXT_LIMITS))
    version = SoapVersion(etree.QName(root).namespace)
    header = root.find(f"{{{version.value}}}Header")
    if header is None:
        header = etree.Element(f"{{{version.value}}}Header")
        root.insert(0, header)
    return root, version, header, root.find(f"{{{version.value}}}Body")


def _declaring_wsu(root: etree._Element) -> etree._Element:
    """The envelope with ``wsu`` declared on it, so the Body's wsu:Id is written ``wsu:Id``.

    Nothing is signed yet but the issued token, which uses neither namespace declared here.
    """
    if root.nsmap.get("wsu") == ns.WSU:
        return root
    rebuilt = etree.Element(root.tag, attrib=dict(root.attrib),
                            nsmap={**root.nsmap, "wsu": ns.WSU})
    rebuilt.extend(list(root))
    return rebuilt


def _timestamp(sec: etree._Element, now: datetime) -> etree._Element:
    timestamp = etree.SubElement(sec, f"{{{ns.WSU}}}Timestamp")
    timestamp.set(WSU_ID, _new_id("TS"))
    etree.SubElement(timestamp, f"{{{ns.WSU}}}Created").text = format_xs_datetime(now)
    etree.SubElement(timestamp, f"{{{ns.WSU}}}Expires").text = format_xs_datetime(
        now + _RESPONSE_TTL)
    return timestamp


def _confirmations(sec: etree._Element, values: tuple[bytes, ...]) -> list[etree._Element]:
    out = []
    # WSS 1.1: with no request signature, one SignatureConfirmation without a Value says so.
    for value in values or (None,):
        confirmation = etree.SubElement(sec, f"{_WSSE11_}SignatureConfirmation",
                                        nsmap={"wsse11": ns.WSSE11})
        confirmation.set(WSU_ID, _new_id("SC"))
        if value is not None:
            confirmation.set("Value", base64.b64encode(value).decode("ascii"))
        out.append(confirmation)
    return out


def _str(nsmap: bool = True) -> etree._Element:
    return etree.Element(f"{WSSE_}SecurityTokenReference",
                         nsmap={"wsse": ns.WSSE} if nsmap else None)


def _key_identifier(reference: etree._Element, value_type: str, raw: bytes) -> None:
    identifier = etree.SubElement(reference, f"{WSSE_}KeyIdentifier", ValueType=value_type,
                                  EncodingType=ns.BASE64_BINARY)
    identifier.text = base64.b64encode(raw).decode("ascii")


def _certificate_reference(cert: x509.Certificate,
                           token: TokenAssertion | None) -> etree._Element:
    """How a certificate the other side holds is named, as the token assertion asks."""
    options = token.options if token is not None else frozenset()
    reference = _str()
    if "RequireIssuerSerialReference" in options:
        data = etree.SubElement(reference, f"{DS_}X509Data", nsmap={"ds": ns.DS})
        serial = etree.SubElement(data, f"{DS_}X509IssuerSerial")
        etree.SubElement(serial, f"{DS_}X509IssuerName").text = cert.issuer.rfc4514_string()
        etree.SubElement(serial, f"{DS_}X509SerialNumber").text = str(cert.serial_number)
    elif "RequireKeyIdentifierReference" in options:
        _key_identifier(reference, ns.X509_SKI, subject_key_identifier(cert))
    else:  # RequireThumbprintReference, and the default of WSO2's policies
        _key_identifier(reference, ns.THUMBPRINT_SHA1, thumbprint_sha1(cert))
    return reference


# The test client names the STS's certificate the same way (core.wssec.client_request).
certificate_reference = _certificate_reference


def _certificate_key_info(cert: x509.Certificate,
                          token: TokenAssertion | None) -> etree._Element:
    key_info = etree.Element(f"{DS_}KeyInfo", nsmap={"ds": ns.DS})
    key_info.append(_certificate_reference(cert, token))
    return key_info


def _encrypted_key_sha1_reference(request_key: SymmetricKey) -> etree._Element:
    """The request's key named by the SHA-1 of the token that carried it: EncryptedKeySHA1, or
    Kerberosv5APREQSHA1 for a Kerberos ticket's session key."""
    if request_key.sha1 is None:  # pragma: no cover - secure_response checks this first
        raise InvalidSecurityError("The request carried no key to answer with.")
    reference = _str()
    reference.set(f"{_WSSE11_}TokenType", request_key.token_type)
    # WSS4J refuses a KeyIdentifier without EncodingType, though the value is base64 anyway.
    identifier = etree.SubElement(reference, f"{WSSE_}KeyIdentifier",
                                  ValueType=request_key.reference_type,
                                  EncodingType=ns.BASE64_BINARY)
    identifier.text = request_key.sha1
    return reference


def _answer_key(
    inbound: InboundResult,
) -> tuple[bytes, Callable[[], etree._Element], bool]:
    """The key the symmetric binding answers with, how it is named, and whether the answer
    must use keys derived from it: the request's security context (always derived keys of the
    STS's own, never the context's key itself), else the request's EncryptedKey."""
    context = inbound.context
    if context is not None and context.context is not None:
        identifier = context.context
        return context.key, lambda: _context_reference(identifier), True
    request_key = inbound.request_key
    if request_key is None or request_key.sha1 is None:
        raise InvalidSecurityError("The request carried no EncryptedKey to answer with.")
    return request_key.key, lambda: _encrypted_key_sha1_reference(request_key), False


def _context_reference(identifier: str) -> etree._Element:
    """A reference to a security context by its identifier (the client holds the token)."""
    reference = _str()
    etree.SubElement(reference, f"{WSSE_}Reference", URI=identifier, ValueType=ns.WSC_2005_SCT)
    return reference


def _symmetric_key(
    sec: etree._Element, policy: PolicyModel, secret: bytes,
    base_reference: Callable[[], etree._Element], length: int,
    before: etree._Element | None = None, *, derive: bool = False,
) -> tuple[bytes, etree._Element]:
    """The key to sign or encrypt with under the symmetric binding, and its KeyInfo.

    The request's key itself, named by ``base_reference`` (EncryptedKeySHA1, Kerberosv5APREQSHA1
    for a Kerberos ticket's session key, or the security context); or, when the protection token
    requires derived keys (or ``derive``), a key derived from it in a DerivedKeyToken put into
    the header.
    """
    key_info = etree.Element(f"{DS_}KeyInfo", nsmap={"ds": ns.DS})
    token = policy.protection_token
    if not derive and (token is None or not token.require_derived_keys):
        key_info.append(base_reference())
        return secret, key_info
    wsc = wsc_for(policy.namespace)
    element_id = _new_id("DK")
    derived_token, derived = make_derived_key(
        base_reference(), secret, length, wsc=wsc, element_id=element_id)
    if before is not None:
        sec.insert(sec.index(before), derived_token)
    else:
        sec.append(derived_token)
    reference = etree.SubElement(key_info, f"{WSSE_}SecurityTokenReference",
                                 nsmap={"wsse": ns.WSSE})
    etree.SubElement(reference, f"{WSSE_}Reference", URI=f"#{element_id}",
                     ValueType=f"{wsc}/dk")
    return derived, key_info


def _reference_list(ids: list[str]) -> etree._Element:
    reference_list = etree.Element(f"{XENC_}ReferenceList", nsmap={"xenc": ns.XENC})
    for data_id in ids:
        etree.SubElement(reference_list, f"{XENC_}DataReference", URI=f"#{data_id}")
    return reference_list


def _insert_before(sec: etree._Element, element: etree._Element,
                   anchor: etree._Element | None) -> None:
    # What was done last goes first: the receiver decrypts before it checks the signature.
    if anchor is not None and anchor.getparent() is sec:
        sec.insert(sec.index(anchor), element)
    else:
        # The signature itself was encrypted: its EncryptedData holds the place.
        placeholder = next((c for c in sec if c.tag == f"{XENC_}EncryptedData"), None)
        if placeholder is not None:
            sec.insert(sec.index(placeholder), element)
        else:
            sec.append(element)


def _encrypt_for_assertion(
    sec: etree._Element, parts: list[tuple[etree._Element, bool]], inbound: InboundResult,
    block: str, signature: etree._Element | None,
) -> None:
    """Encrypt for a client that signed with a holder-of-key assertion's symmetric proof key:
    with that key, named by the assertion's ID (SAML token profile key identifier)."""
    assertion, proof = inbound.signer_assertion, inbound.signer_proof_key
    if assertion is None or proof is None:
        raise InvalidSecurityError(
            "The client's SAML token has no symmetric proof key to encrypt the answer with."
        )
    saml2 = assertion.tag == f"{{{ns.SAML2}}}Assertion"
    token_id = assertion.get("ID" if saml2 else "AssertionID") or ""

    def key_info() -> etree._Element:
        info = etree.Element(f"{DS_}KeyInfo", nsmap={"ds": ns.DS})
        reference = etree.SubElement(info, f"{WSSE_}SecurityTokenReference",
                                     nsmap={"wsse": ns.WSSE})
        identifier = etree.SubElement(
            reference, f"{WSSE_}KeyIdentifier",
            ValueType=ns.SAML2_ID if saml2 else ns.SAML11_ASSERTION_ID)
        identifier.text = token_id
        return info

    ids = encrypt_in_place(parts, proof.key, block=block, key_info=key_info, new_id=_new_id)
    _insert_before(sec, _reference_list(ids), signature)


def _encrypt_for_certificate(
    sec: etree._Element, parts: list[tuple[etree._Element, bool]], client: x509.Certificate,
    token: TokenAssertion | None, block: str, key_wrap: str,
    signature: etree._Element | None,
) -> None:
    public_key = client.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise InvalidSecurityError(
            "The client's certificate has no RSA key, so the answer cannot be encrypted for it."
        )
    if key_wrap != Algorithm.RSA_OAEP_MGF1P:
        raise UnsupportedAlgorithmError(
            f"This STS wraps keys only with {Algorithm.RSA_OAEP_MGF1P}; apply an algorithm suite "
            "without Rsa15."
        )
    session_key = new_session_key(block)
    ids = encrypt_in_place(parts, session_key, block=block, key_info=lambda: None,
                           new_id=_new_id)
    encrypted_key = etree.Element(f"{XENC_}EncryptedKey", nsmap={"xenc": ns.XENC},
                                  Id=_new_id("EK"))
    method = etree.SubElement(encrypted_key, f"{XENC_}EncryptionMethod", Algorithm=key_wrap)
    etree.SubElement(method, f"{DS_}DigestMethod", nsmap={"ds": ns.DS},
                     Algorithm="http://www.w3.org/2000/09/xmldsig#sha1")
    key_info = etree.SubElement(encrypted_key, f"{DS_}KeyInfo", nsmap={"ds": ns.DS})
    key_info.append(_certificate_reference(client, token))
    cipher_data = etree.SubElement(encrypted_key, f"{XENC_}CipherData")
    etree.SubElement(cipher_data, f"{XENC_}CipherValue").text = base64.b64encode(
        wrap_key(session_key, public_key)).decode("ascii")
    encrypted_key.append(_reference_list(ids))
    _insert_before(sec, encrypted_key, signature)
