"""A client's request secured as a WS-SecurityPolicy requires (the test client's side).

The mirror of ``outbound`` for the initiator: the policy model decides what is done, in the
order a Rampart client does it (sign, then encrypt; the header lists what the receiver must
process first first). Asymmetric binding: the client's certificate in a BinarySecurityToken
(or a holder-of-key SAML assertion, 31/32) signs the Timestamp, the Body and the signed
supporting tokens; the parts to encrypt go under a fresh key wrapped for the service's
certificate. Symmetric binding: a fresh key wrapped for the service signs (HMAC) and
encrypts, directly or through derived keys. Sans-IO: keys and certificates are arguments.
"""

from __future__ import annotations

import base64
import copy
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.secconv_client import ClientContext
from stsdesk.core.wssec.algorithms import AlgorithmSuite
from stsdesk.core.wssec.derived import make_derived_key, wsc_for
from stsdesk.core.wssec.encryption import encrypt_in_place, new_session_key, wrap_key
from stsdesk.core.wssec.kerberos import ap_req_sha1
from stsdesk.core.wssec.outbound import certificate_reference, open_envelope
from stsdesk.core.wssec.policy import Binding, PolicyModel, TokenKind
from stsdesk.core.wssec.signature import SignatureKey, sign_detached
from stsdesk.core.wssec.tokens import DS_, SAML_ASSERTIONS, WSSE_, WSU_ID, XENC_, encrypted_key_sha1
from stsdesk.core.wssecurity import format_xs_datetime
from stsdesk.core.xmlparse import parse_xml

__all__ = ["RequestSecurity", "SecuredRequest", "KerberosApReq", "secure_request",
           "uses_context", "uses_kerberos", "REQUEST_TTL"]

REQUEST_TTL = timedelta(minutes=5)
_WSSE11_ = f"{{{ns.WSSE11}}}"


@dataclass(frozen=True)
class KerberosApReq:
    """A Kerberos service ticket as the client sends it (scenario 20): the GSS-API initial
    context token carrying the AP-REQ, and the session key both sides now share."""

    token: bytes = field(repr=False)
    session_key: bytes = field(repr=False)


@dataclass(frozen=True)
class RequestSecurity:
    """What securing one request needs beyond the policy: the keys, tokens and the time.

    ``assertion`` is a SAML token (XML) for scenarios 31-34: the initiator token when the
    policy's initiator is an IssuedToken (its ``proof_key`` signs when it is symmetric, else
    the client key does), a supporting token otherwise.
    """

    policy: PolicyModel
    now: datetime
    service_certificate: x509.Certificate | None = None
    client_certificate: x509.Certificate | None = None
    client_key: rsa.RSAPrivateKey | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    assertion: bytes | None = None
    proof_key: bytes | None = field(default=None, repr=False)
    # The security context whose key protects the request (a SecureConversation policy, 9-15).
    context: ClientContext | None = None
    # The ticket whose session key protects the request (a KerberosToken policy, 20).
    kerberos: KerberosApReq | None = None


@dataclass(frozen=True)
class SecuredRequest:
    """The request as it goes on the wire, and what reading its answer needs."""

    envelope: bytes
    signature_values: tuple[bytes, ...]  # what SignatureConfirmation must echo
    session_key: bytes | None = field(default=None, repr=False)  # symmetric binding's key
    session_key_sha1: str | None = None  # its EncryptedKeySHA1, which the answer names
    assertion_id: str | None = None  # the holder-of-key assertion the answer may name
    context_identifier: str | None = None  # the context whose key protects it (session_key)
    kerberos_sha1: str | None = None  # the AP-REQ's Kerberosv5APREQSHA1, which the answer names


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def secure_request(envelope: bytes, security: RequestSecurity) -> SecuredRequest:
    """``envelope`` (an unsecured SOAP request) with the wsse:Security header the policy asks
    for; InvalidRequestError names what is missing (a key, a certificate, a token)."""
    policy = security.policy
    suite = policy.algorithm_suite
    if suite is None or policy.binding not in (Binding.ASYMMETRIC, Binding.SYMMETRIC):
        raise InvalidRequestError(
            "The security policy has no asymmetric or symmetric binding: the request is "
            "protected by HTTPS alone (send it with a UsernameToken)."
        )
    _require(security)
    root, version, header, body = open_envelope(envelope)
    if body is None:
        raise InvalidRequestError("The request has no SOAP Body to secure.")
    sec = etree.SubElement(header, f"{WSSE_}Security", nsmap={"wsse": ns.WSSE, "wsu": ns.WSU})
    sec.set(f"{{{version.value}}}mustUnderstand", "1")
    body.set(WSU_ID, _new_id("Body"))
    targets: list[etree._Element] = []
    if policy.signed_parts.body:
        targets.append(body)
    for block in header:
        if block is not sec and _named(block, policy.signed_parts.headers):
            block.set(WSU_ID, block.get(WSU_ID) or _new_id("H"))
            targets.append(block)
    if policy.include_timestamp:
        targets.append(_timestamp(sec, security.now))
    assertion = _assertion(sec, security)
    issued = policy.supporting_of(TokenKind.ISSUED)
    if assertion is not None and issued is not None and issued[0].signed:
        targets.append(assertion)
    username = None
    required_username = policy.supporting_of(TokenKind.USERNAME)
    if required_username is not None:
        username = _username_token(sec, security)
        if required_username[0].signed:
            targets.append(username)
    encrypt_username = required_username is not None and required_username[0].encrypted
    if policy.binding is Binding.ASYMMETRIC:
        return _asymmetric(root, sec, body, targets, security, suite, assertion,
                           username if encrypt_username else None)
    service = security.service_certificate
    if service is None and security.context is None and (
        security.kerberos is None
    ):  # _require asks for it
        raise InvalidRequestError("Choose the STS's certificate.")
    return _symmetric(root, sec, body, targets, security, suite, service,
                      username if encrypt_username else None)


def uses_context(policy: PolicyModel) -> bool:
    """Whether requests under ``policy`` are protected with a security context's key."""
    token = policy.protection_token
    return token is not None and token.kind is TokenKind.SECURE_CONVERSATION


def uses_kerberos(policy: PolicyModel) -> bool:
    """Whether requests under ``policy`` are protected with a Kerberos ticket's session key."""
    token = policy.protection_token
    return token is not None and token.kind is TokenKind.KERBEROS


def _require(security: RequestSecurity) -> None:
    policy = security.policy
    if uses_context(policy):
        # The keys the bootstrap asked for went into obtaining the context; now it is the key.
        if security.context is None:
            raise InvalidRequestError(
                "The policy protects requests with a security context: obtain one first with "
                "an RST/SCT request under the policy's bootstrap policy.")
        return
    if uses_kerberos(policy):
        if security.kerberos is None:
            raise InvalidRequestError(
                "The policy signs with a Kerberos ticket for the STS's service principal: "
                "obtain one (kinit) and name the principal.")
        return
    initiator = policy.initiator_token
    hok = (policy.binding is Binding.ASYMMETRIC and initiator is not None
           and initiator.kind is TokenKind.ISSUED)
    needs_service = policy.binding is Binding.SYMMETRIC or not policy.encrypted_parts.empty
    if needs_service and security.service_certificate is None:
        raise InvalidRequestError(
            "The policy encrypts for the STS: choose the STS's certificate (its signing "
            "certificate, from the server's key list or a file)."
        )
    if (hok or policy.supporting_of(TokenKind.ISSUED)) and security.assertion is None:
        raise InvalidRequestError(
            "The policy asks for a SAML token from the STS: choose one from the test client's "
            "history (request one first under a UsernameToken or X.509 scenario)."
        )
    if hok and security.proof_key is None and security.client_key is None:
        raise InvalidRequestError(
            "The SAML token's proof key is not known: choose a SymmetricKey token whose proof "
            "key the test client holds, or a PublicKey token and its client key."
        )
    if policy.binding is Binding.ASYMMETRIC and not hok and (
        security.client_key is None or security.client_certificate is None
    ):
        raise InvalidRequestError(
            "The policy signs with the client's X.509 certificate: choose the client "
            "certificate and its private key (PKCS#12, or PEM key and certificate)."
        )
    if policy.supporting_of(TokenKind.USERNAME) is not None and not security.username:
        raise InvalidRequestError("The policy asks for a UsernameToken: type the user name.")


def _named(block: etree._Element, wanted: tuple[tuple[str | None, str], ...]) -> bool:
    if not isinstance(block.tag, str):
        return False
    qname = etree.QName(block)
    return any(namespace == qname.namespace and name in (None, qname.localname)
               for name, namespace in wanted)


def _timestamp(sec: etree._Element, now: datetime) -> etree._Element:
    timestamp = etree.SubElement(sec, f"{{{ns.WSU}}}Timestamp")
    timestamp.set(WSU_ID, _new_id("TS"))
    etree.SubElement(timestamp, f"{{{ns.WSU}}}Created").text = format_xs_datetime(now)
    etree.SubElement(timestamp, f"{{{ns.WSU}}}Expires").text = format_xs_datetime(
        now + REQUEST_TTL)
    return timestamp


def _assertion(sec: etree._Element, security: RequestSecurity) -> etree._Element | None:
    if security.assertion is None:
        return None
    element = copy.deepcopy(parse_xml(security.assertion))
    if element.tag not in SAML_ASSERTIONS:
        raise InvalidRequestError("The token chosen is not a SAML 1.1 or 2.0 assertion; choose "
                                  "a token the STS issued readable (not encrypted).")
    sec.append(element)
    return element


def _assertion_id(assertion: etree._Element) -> str:
    saml2 = assertion.tag == f"{{{ns.SAML2}}}Assertion"
    return assertion.get("ID" if saml2 else "AssertionID") or ""


def _username_token(sec: etree._Element, security: RequestSecurity) -> etree._Element:
    token = etree.SubElement(sec, f"{WSSE_}UsernameToken")
    token.set(WSU_ID, _new_id("UsernameToken"))
    etree.SubElement(token, f"{WSSE_}Username").text = security.username or ""
    password = etree.SubElement(token, f"{WSSE_}Password", Type=ns.PASSWORD_TEXT)
    password.text = security.password or ""
    return token


def _str_element() -> etree._Element:
    return etree.Element(f"{WSSE_}SecurityTokenReference", nsmap={"wsse": ns.WSSE})


def _key_info(reference: etree._Element) -> etree._Element:
    key_info = etree.Element(f"{DS_}KeyInfo", nsmap={"ds": ns.DS})
    key_info.append(reference)
    return key_info


def _binary_token(sec: etree._Element, cert: x509.Certificate) -> etree._Element:
    token = etree.SubElement(sec, f"{WSSE_}BinarySecurityToken", ValueType=ns.X509V3,
                             EncodingType=ns.BASE64_BINARY)
    token.set(WSU_ID, _new_id("X509"))
    token.text = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")
    return token


def _encrypted_key(service: x509.Certificate, policy: PolicyModel, key: bytes,
                   key_wrap: str) -> etree._Element:
    public_key = service.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise InvalidRequestError("The STS certificate has no RSA key to encrypt for.")
    element = etree.Element(f"{XENC_}EncryptedKey", nsmap={"xenc": ns.XENC}, Id=_new_id("EK"))
    method = etree.SubElement(element, f"{XENC_}EncryptionMethod", Algorithm=key_wrap)
    etree.SubElement(method, f"{DS_}DigestMethod", nsmap={"ds": ns.DS},
                     Algorithm="http://www.w3.org/2000/09/xmldsig#sha1")
    token = policy.recipient_token or policy.protection_token
    element.append(_key_info(certificate_reference(service, token)))
    cipher_data = etree.SubElement(element, f"{XENC_}CipherData")
    etree.SubElement(cipher_data, f"{XENC_}CipherValue").text = base64.b64encode(
        wrap_key(key, public_key)).decode("ascii")
    return element


def _reference_list(ids: list[str]) -> etree._Element:
    reference_list = etree.Element(f"{XENC_}ReferenceList", nsmap={"xenc": ns.XENC})
    for data_id in ids:
        etree.SubElement(reference_list, f"{XENC_}DataReference", URI=f"#{data_id}")
    return reference_list


def _signature_value(signature: etree._Element) -> bytes:
    return base64.b64decode(signature.findtext(f"{DS_}SignatureValue") or "")


def _asymmetric(root: etree._Element, sec: etree._Element, body: etree._Element,
                targets: list[etree._Element], security: RequestSecurity,
                suite: AlgorithmSuite, assertion: etree._Element | None,
                username: etree._Element | None) -> SecuredRequest:
    policy = security.policy
    initiator = policy.initiator_token
    assertion_id = None
    if initiator is not None and initiator.kind is TokenKind.ISSUED and assertion is not None:
        # Holder-of-key (31/32): the signature names the assertion by its ID.
        assertion_id = _assertion_id(assertion)
        reference = _str_element()
        identifier = etree.SubElement(
            reference, f"{WSSE_}KeyIdentifier",
            ValueType=ns.SAML2_ID if assertion.tag == f"{{{ns.SAML2}}}Assertion"
            else ns.SAML11_ASSERTION_ID)
        identifier.text = assertion_id
        if security.proof_key is not None:
            key = SignatureKey(secret=security.proof_key)
            method = suite.symmetric_signature
        else:
            key = SignatureKey(private_key_pem=_pem(security.client_key))
            method = suite.asymmetric_signature
    else:
        cert = security.client_certificate
        if cert is None:  # checked by _require  # pragma: no cover
            raise InvalidRequestError("Choose the client certificate.")
        inclusion = initiator.inclusion if initiator is not None else None
        if inclusion is None or inclusion.sent_by_initiator:
            token = _binary_token(sec, cert)
            # After the Timestamp: Strict layout wants the token before its first use.
            reference = _str_element()
            etree.SubElement(reference, f"{WSSE_}Reference", URI=f"#{token.get(WSU_ID)}",
                             ValueType=ns.X509V3)
        else:
            reference = certificate_reference(cert, initiator)
        key = SignatureKey(private_key_pem=_pem(security.client_key))
        method = suite.asymmetric_signature
    signature = None
    if targets:
        signature = sign_detached(sec, targets, key, signature_method=method,
                                  digest_method=suite.digest, key_info=_key_info(reference))
        signature.set("Id", _new_id("SIG"))
    parts: list[tuple[etree._Element, bool]] = []
    if policy.encrypted_parts.body:
        parts.append((body, True))
    if username is not None:
        parts.append((username, False))
    if parts and policy.encrypt_signature and signature is not None:
        parts.append((signature, False))
    values = (_signature_value(signature),) if signature is not None else ()
    if parts:
        service = security.service_certificate
        if service is None:  # checked by _require  # pragma: no cover
            raise InvalidRequestError("Choose the STS's certificate.")
        session_key = new_session_key(suite.encryption)
        ids = encrypt_in_place(parts, session_key, block=suite.encryption,
                               key_info=lambda: None, new_id=_new_id)
        encrypted_key = _encrypted_key(service, policy, session_key, suite.asymmetric_key_wrap)
        encrypted_key.append(_reference_list(ids))
        # The receiver unwraps the key and decrypts before it meets what was encrypted.
        sec.insert(_after_timestamp(sec), encrypted_key)
    return SecuredRequest(etree.tostring(root, xml_declaration=True, encoding="utf-8"),
                          values, assertion_id=assertion_id)


def _symmetric(root: etree._Element, sec: etree._Element, body: etree._Element,
               targets: list[etree._Element], security: RequestSecurity,
               suite: AlgorithmSuite, service: x509.Certificate | None,
               username: etree._Element | None) -> SecuredRequest:
    policy = security.policy
    context = security.context
    ticket = security.kerberos if uses_kerberos(policy) else None
    position = _after_timestamp(sec)
    cipher = b""
    if ticket is not None:
        # Kerberos token profile 1.1, as WSS4J's KerberosSecurity lays it out: the AP-REQ in a
        # BinarySecurityToken, its session key signing, named by a Reference to the token.
        secret = ticket.session_key
        key_token = etree.Element(f"{WSSE_}BinarySecurityToken", ValueType=ns.KERBEROS_GSS_AP_REQ,
                                  EncodingType=ns.BASE64_BINARY)
        key_token.set(WSU_ID, _new_id("KerbToken"))
        key_token.text = base64.b64encode(ticket.token).decode("ascii")
        key_uri, key_type = f"#{key_token.get(WSU_ID)}", ns.KERBEROS_GSS_AP_REQ
    elif context is not None:
        secret = context.key
        key_token = _context_token(context)
        key_uri, key_type = f"#{key_token.get(WSU_ID)}", ns.WSC_2005_SCT
    else:
        if service is None:  # checked by secure_request  # pragma: no cover
            raise InvalidRequestError("Choose the STS's certificate.")
        secret = new_session_key(suite.encryption)
        key_token = _encrypted_key(service, policy, secret, suite.asymmetric_key_wrap)
        cipher = base64.b64decode(key_token.findtext(f"{XENC_}CipherData/{XENC_}CipherValue")
                                  or "")
        key_uri, key_type = f"#{key_token.get('Id')}", ns.ENCRYPTED_KEY_TOKEN
    sec.insert(position, key_token)
    position += 1

    def key_reference() -> etree._Element:
        reference = _str_element()
        if context is None:
            # WS-I BSP (and WSS4J) want the token type named on a reference to an EncryptedKey
            # or a Kerberos token.
            reference.set(f"{_WSSE11_}TokenType", key_type)
        etree.SubElement(reference, f"{WSSE_}Reference", URI=key_uri, ValueType=key_type)
        return reference

    token = policy.protection_token
    sign_key, encrypt_key = secret, secret
    sign_reference, encrypt_reference = key_reference, key_reference
    # A context's key is never used as it is: each message derives its own keys from it, as
    # Rampart does, so the long-lived key signs and encrypts nothing itself.
    if context is not None or (token is not None and token.require_derived_keys):
        wsc = wsc_for(policy.namespace)
        derived_tokens = []
        for length in (suite.signature_key_bits // 8, suite.encryption_key_bits // 8):
            element_id = _new_id("DK")
            derived_token, derived = make_derived_key(key_reference(), secret, length, wsc=wsc,
                                                      element_id=element_id)
            sec.insert(position, derived_token)
            position += 1
            derived_tokens.append((element_id, derived))

        def derived_reference(element_id: str) -> etree._Element:
            reference = _str_element()
            etree.SubElement(reference, f"{WSSE_}Reference", URI=f"#{element_id}",
                             ValueType=f"{wsc}/dk")
            return reference

        (sign_id, sign_key), (encrypt_id, encrypt_key) = derived_tokens
        sign_reference = lambda: derived_reference(sign_id)  # noqa: E731
        encrypt_reference = lambda: derived_reference(encrypt_id)  # noqa: E731
    signature = None
    if targets:
        signature = sign_detached(sec, targets, SignatureKey(secret=sign_key),
                                  signature_method=suite.symmetric_signature,
                                  digest_method=suite.digest,
                                  key_info=_key_info(sign_reference()))
        signature.set("Id", _new_id("SIG"))
    parts: list[tuple[etree._Element, bool]] = []
    if policy.encrypted_parts.body:
        parts.append((body, True))
    if username is not None:
        parts.append((username, False))
    if parts and policy.encrypt_signature and signature is not None:
        parts.append((signature, False))
    if parts:
        ids = encrypt_in_place(parts, encrypt_key, block=suite.encryption,
                               key_info=lambda: _key_info(encrypt_reference()), new_id=_new_id)
        # After the key tokens, before the first part it uncovers (a UsernameToken, the
        # signature or their EncryptedData).
        sec.insert(position, _reference_list(ids))
    values = (_signature_value(signature),) if signature is not None else ()
    if ticket is not None:
        return SecuredRequest(etree.tostring(root, xml_declaration=True, encoding="utf-8"),
                              values, session_key=secret, kerberos_sha1=ap_req_sha1(ticket.token))
    if context is not None:
        return SecuredRequest(etree.tostring(root, xml_declaration=True, encoding="utf-8"),
                              values, session_key=secret, context_identifier=context.identifier)
    return SecuredRequest(etree.tostring(root, xml_declaration=True, encoding="utf-8"), values,
                          session_key=secret, session_key_sha1=encrypted_key_sha1(cipher))


def _context_token(context: ClientContext) -> etree._Element:
    token = etree.Element(f"{{{ns.WSC_2005}}}SecurityContextToken", nsmap={"wsc": ns.WSC_2005})
    token.set(WSU_ID, _new_id("SCT"))
    etree.SubElement(token, f"{{{ns.WSC_2005}}}Identifier").text = context.identifier
    return token


def _after_timestamp(sec: etree._Element) -> int:
    first = next((c for c in sec if isinstance(c.tag, str)), None)
    return 1 if first is not None and first.tag == f"{{{ns.WSU}}}Timestamp" else 0


def _pem(key: rsa.RSAPrivateKey | None) -> bytes:
    if key is None:  # checked by _require  # pragma: no cover
        raise InvalidRequestError("Choose the client's private key.")
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
