"""Inbound message security: a request's wsse:Security header processed as the policy requires.

The header is processed top-down, the order in which WSS4J writes what it did last first: an
EncryptedKey decrypts the parts its ReferenceList names (in place), a ds:Signature is verified
against the message as it stands at that point, tokens are collected. Then the result is held
against the policy: the parts it names were signed (by identity, see ``signature``), encrypted,
the timestamp is there and signed, the supporting tokens are there and protected.
"""

from __future__ import annotations

import dataclasses
import hmac
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.certificates import SigningIdentity
from stsdesk.core.errors import InvalidSecurityError
from stsdesk.core.saml import HolderOfKeyPublic, HolderOfKeySymmetric
from stsdesk.core.samlreader import read_assertion
from stsdesk.core.soap import SoapMessage
from stsdesk.core.wssec.algorithms import Algorithm, AlgorithmSuite
from stsdesk.core.wssec.derived import DERIVED_KEY_TAGS, read_derived_key
from stsdesk.core.wssec.encryption import Decrypted, decrypt_in_place, undecryptable, unwrap_key
from stsdesk.core.wssec.errors import FailedCheckError
from stsdesk.core.wssec.kerberos import (
    KERBEROS_TOKEN_TYPES,
    KerberosAcceptance,
    KerberosAcceptor,
    read_kerberos_token,
)
from stsdesk.core.wssec.policy import Binding, PolicyModel, TokenKind
from stsdesk.core.wssec.signature import CheckedSignature, SignatureKey, verify_signature
from stsdesk.core.wssec.tokens import (
    CONTEXT_TOKENS,
    DS_,
    SAML_ASSERTIONS,
    WSSE_,
    XENC_,
    ContextKeys,
    MessageTokens,
    SymmetricKey,
    element_ids,
    read_certificate,
)
from stsdesk.core.wssecurity import (
    Timestamp,
    UsernameToken,
    check_timestamp,
    read_timestamp,
    read_username_token,
    security_element,
)

__all__ = ["InboundResult", "process_inbound"]



@dataclass(frozen=True)
class InboundResult:
    """What a secured request proved, and its message with the body decrypted."""

    message: SoapMessage
    timestamp: Timestamp | None
    signer_certificate: x509.Certificate | None  # the initiator token (asymmetric binding)
    request_key: SymmetricKey | None  # the symmetric binding's key (the client's EncryptedKey)
    username_token: UsernameToken | None
    saml_assertions: tuple[etree._Element, ...]
    signature_values: tuple[bytes, ...]  # of every verified signature (SignatureConfirmation)
    # The holder-of-key assertion whose key signed the message (an IssuedToken initiator
    # token); its issuer is not checked here: the caller decides whom it trusts.
    signer_assertion: etree._Element | None = None
    signer_proof_key: SymmetricKey | None = None  # its symmetric proof key, if it has one
    # The SAML assertions a verified message signature covers (a signed supporting token).
    signed_saml_assertions: tuple[etree._Element, ...] = ()
    # The client principal of the Kerberos AP-REQ whose session key protected the message.
    kerberos_principal: str | None = None
    # The security context whose key protected the message (a SecureConversation policy).
    context: SymmetricKey | None = None


@dataclass
class _State:
    tokens: MessageTokens
    signatures: list[tuple[CheckedSignature, etree._Element, SignatureKey]] = field(
        default_factory=list)
    symmetric_signature_keys: list[SymmetricKey] = field(default_factory=list)
    decryption_keys: list[SymmetricKey] = field(default_factory=list)
    decrypted: list[Decrypted] = field(default_factory=list)
    request_key: SymmetricKey | None = None
    timestamp_element: etree._Element | None = None
    username_element: etree._Element | None = None
    saml: list[etree._Element] = field(default_factory=list)
    included_certificates: list[x509.Certificate] = field(default_factory=list)
    soap_body: etree._Element | None = None
    signer_assertion: etree._Element | None = None
    signer_proof_key: SymmetricKey | None = None
    kerberos_acceptor: KerberosAcceptor | None = None
    kerberos: KerberosAcceptance | None = None
    context: SymmetricKey | None = None

    def produced_by_decryption(self, element: etree._Element) -> bool:
        return any(element in done.elements for done in self.decrypted)


def process_inbound(
    message: SoapMessage,
    policy: PolicyModel,
    service: SigningIdentity,
    *,
    known_certificates: tuple[x509.Certificate, ...],
    now: datetime,
    skew_seconds: int,
    kerberos: KerberosAcceptor | None = None,
    context_keys: ContextKeys | None = None,
) -> InboundResult:
    """Process ``message``'s security header under ``policy``; raise a WS-Security fault if the
    message does not satisfy it. ``message``'s tree is changed (decrypted parts).

    ``kerberos`` accepts the AP-REQ of a policy whose protection token is a Kerberos token;
    ``context_keys`` gives a security context's key by its identifier, for a policy whose
    protection token is a SecureConversationToken."""
    suite = policy.algorithm_suite
    if suite is None or policy.binding not in (Binding.ASYMMETRIC, Binding.SYMMETRIC):
        raise InvalidSecurityError(
            "The applied security policy has no asymmetric or symmetric binding with an "
            "algorithm suite, so messages cannot be checked against it."
        )
    security = security_element(message)
    if security is None:
        raise InvalidSecurityError(
            "The request has no wsse:Security header; the security policy requires a signed "
            "and/or encrypted message."
        )
    root = message.body.getroottree().getroot()
    if not _kerberos_protected(policy):
        kerberos = None  # a Kerberos ticket keys nothing under another policy
    state = _State(MessageTokens(element_ids(root), (service.certificate, *known_certificates),
                                 context_keys=context_keys),
                   soap_body=message.body.getparent(), kerberos_acceptor=kerberos)
    # The children are listed afresh at each step: a decrypted part takes its EncryptedData's
    # place (an encrypted Signature or UsernameToken is then met in its turn).
    index = 0
    while index < len(children := [c for c in security if isinstance(c.tag, str)]):
        _process(children[index], state, policy, suite, service)
        index += 1
    return _held_against_policy(message, policy, state, now, skew_seconds)


def _process(element: etree._Element, state: _State, policy: PolicyModel,
             suite: AlgorithmSuite, service: SigningIdentity) -> None:
    tag = element.tag
    if tag == f"{{{ns.WSU}}}Timestamp":
        if state.timestamp_element is not None:
            raise InvalidSecurityError("The message has two wsu:Timestamp elements; send one.")
        state.timestamp_element = element
    elif tag == f"{WSSE_}BinarySecurityToken" and _kerberos_protected(policy) and (
        (element.get("ValueType") or "").strip() in KERBEROS_TOKEN_TYPES
    ):
        _kerberos_token(element, state)
    elif tag == f"{WSSE_}BinarySecurityToken":
        cert = state.tokens.add_binary_token(element)
        if cert is not None:
            state.included_certificates.append(cert)
    elif tag == f"{WSSE_}UsernameToken":
        if state.username_element is not None:
            raise InvalidSecurityError("The message has two wsse:UsernameToken elements; send one.")
        state.username_element = element
    elif tag == f"{XENC_}EncryptedKey":
        _encrypted_key(element, state, suite, service)
    elif tag == f"{XENC_}ReferenceList":
        for uri in _data_references(element):
            target = _encrypted_data(uri, state)
            key = state.tokens.symmetric_key_for(target.find(f"{DS_}KeyInfo"))
            state.decryption_keys.append(key)
            _decrypt(target, key.key, state, suite)
    elif tag == f"{DS_}Signature":
        _signature(element, state, policy, suite, service)
    elif tag in DERIVED_KEY_TAGS:
        state.tokens.add_key(read_derived_key(element, state.tokens))
    elif tag in SAML_ASSERTIONS:
        state.saml.append(element)
    elif tag in CONTEXT_TOKENS:
        state.tokens.add_context_token(element)


def _kerberos_protected(policy: PolicyModel) -> bool:
    token = policy.protection_token
    return policy.binding is Binding.SYMMETRIC and token is not None and (
        token.kind is TokenKind.KERBEROS)


def _kerberos_token(element: etree._Element, state: _State) -> None:
    """The AP-REQ that keys a Kerberos symmetric binding: accepted once, its session key the
    message's key."""
    if state.kerberos is not None:
        raise InvalidSecurityError(
            "The message carries two Kerberos tokens; send the one AP-REQ that keys it."
        )
    acceptor = state.kerberos_acceptor
    if acceptor is None:
        raise InvalidSecurityError(
            "This STS has no Kerberos service configured to accept the ticket; an administrator "
            "must apply scenario 20 with the service principal and its keytab."
        )
    ticket = read_kerberos_token(element)
    state.kerberos = acceptor.accept(ticket.gss_token)
    key = ticket.key(state.kerberos)
    state.tokens.add_key(key)
    state.request_key = key


def _encrypted_key(element: etree._Element, state: _State, suite: AlgorithmSuite,
                   service: SigningIdentity) -> None:
    if state.kerberos_acceptor is not None:
        raise InvalidSecurityError(
            "The message carries an EncryptedKey; under the applied Kerberos policy the "
            "ticket's session key protects the message, not a key for the STS's certificate."
        )
    named, _ = state.tokens.certificate_for(element.find(f"{DS_}KeyInfo"))
    if named != service.certificate:
        raise FailedCheckError(
            "The EncryptedKey was encrypted for another certificate; encrypt for this STS's "
            "certificate (GET /api/server/v1/keystores/certs/public)."
        )
    key = unwrap_key(element, service.private_key, key_wrap=suite.asymmetric_key_wrap)
    state.tokens.add_key(key)
    if state.request_key is None:
        state.request_key = key
    reference_list = element.find(f"{XENC_}ReferenceList")
    if reference_list is not None:
        for uri in _data_references(reference_list):
            _decrypt(_encrypted_data(uri, state), key.key, state, suite)


def _data_references(reference_list: etree._Element) -> list[str]:
    uris = [(r.get("URI") or "").strip() for r in reference_list.findall(f"{XENC_}DataReference")]
    if not uris or any(not uri.startswith("#") for uri in uris):
        raise InvalidSecurityError(
            "The xenc:ReferenceList must name encrypted parts of this message by #id."
        )
    return uris


def _encrypted_data(uri: str, state: _State) -> etree._Element:
    target = state.tokens.ids.get(uri[1:])
    if target is None or target.tag != f"{XENC_}EncryptedData":
        raise InvalidSecurityError(
            f"The encrypted part {uri[:80]!r} named in the ReferenceList is not in the message."
        )
    return target


def _decrypt(target: etree._Element, key: bytes, state: _State, suite: AlgorithmSuite) -> None:
    root = target.getroottree().getroot()
    done = decrypt_in_place(target, key, block=suite.encryption)
    if done.content and done.parent is state.soap_body and len(done.elements) != 1:
        # Checked here, before any signature, and refused like every other decryption failure:
        # an element count of its own would be a format oracle on the plaintext.
        raise undecryptable(f"the Body content decrypted to {len(done.elements)} elements")
    state.decrypted.append(done)
    # The plaintext brings its own identifiers (a decrypted Signature, a UsernameToken). A
    # duplicate one is refused like any undecryptable part: its fault would quote the plaintext.
    try:
        state.tokens.ids = element_ids(root)
    except InvalidSecurityError:
        raise undecryptable("the plaintext repeats an identifier of the message") from None


def _holder_of_key(key_info: etree._Element | None, state: _State, suite: AlgorithmSuite,
                   service: SigningIdentity) -> tuple[SignatureKey, frozenset[str]]:
    """The key of the holder-of-key assertion the signature names: its proof key, encrypted
    for this STS (symmetric), or its certificate's public key."""
    assertion = state.tokens.assertion_for(key_info)
    confirmation = read_assertion(assertion).confirmation
    state.signer_assertion = assertion
    if isinstance(confirmation, HolderOfKeySymmetric):
        encrypted_key = confirmation.encrypted_key
        method = encrypted_key.find(f"{XENC_}EncryptionMethod")
        wrap = method.get("Algorithm") if method is not None else None
        if wrap != Algorithm.RSA_OAEP_MGF1P:
            wrap = suite.asymmetric_key_wrap  # unwrap_key names what it refuses
        proof = unwrap_key(encrypted_key, service.private_key, key_wrap=wrap or "")
        state.signer_proof_key = proof
        return SignatureKey(secret=proof.key), frozenset({suite.symmetric_signature})
    if isinstance(confirmation, HolderOfKeyPublic):
        cert = read_certificate(confirmation.certificate_der, "holder-of-key certificate")
        return SignatureKey(certificate=cert), suite.accepted_asymmetric_signatures
    raise InvalidSecurityError(
        "The SAML assertion that signs the message is not holder-of-key; the security policy "
        "requires the client to prove the assertion's key."
    )


def _signature(element: etree._Element, state: _State, policy: PolicyModel,
               suite: AlgorithmSuite, service: SigningIdentity) -> None:
    key_info = element.find(f"{DS_}KeyInfo")
    initiator = policy.initiator_token
    if policy.binding is Binding.ASYMMETRIC and initiator is not None and (
        initiator.kind is TokenKind.ISSUED
    ):
        key, methods = _holder_of_key(key_info, state, suite, service)
    elif policy.binding is Binding.ASYMMETRIC:
        cert, _ = state.tokens.certificate_for(key_info)
        key = SignatureKey(certificate=cert)
        methods = suite.accepted_asymmetric_signatures
    else:
        symmetric = state.tokens.symmetric_key_for(key_info)
        state.symmetric_signature_keys.append(symmetric)
        key = SignatureKey(secret=symmetric.key)
        methods = frozenset({suite.symmetric_signature})
    checked = verify_signature(element, key, signature_methods=methods,
                               digest_method=suite.digest)
    state.signatures.append((checked, element, key))


def _held_against_policy(message: SoapMessage, policy: PolicyModel, state: _State,
                         now: datetime, skew_seconds: int) -> InboundResult:
    primary = state.signatures[0] if state.signatures else None
    signed: tuple[etree._Element, ...] = primary[0].signed if primary else ()
    needs_signature = not policy.signed_parts.empty or policy.include_timestamp
    if needs_signature and primary is None:
        raise InvalidSecurityError(
            "The message is not signed; the security policy requires a signature over "
            f"{_parts_text(policy)}."
        )
    if _kerberos_protected(policy) and state.kerberos is None:
        raise InvalidSecurityError(
            "The message carries no Kerberos ticket; the security policy requires a "
            "BinarySecurityToken with a Kerberos v5 AP-REQ (GSS_Kerberosv5_AP_REQ) for this STS."
        )
    if policy.binding is Binding.SYMMETRIC:
        _symmetric_keys_as_required(policy, state)
    timestamp = None
    if state.timestamp_element is not None:
        timestamp = read_timestamp(state.timestamp_element)
    if policy.include_timestamp:
        if state.timestamp_element is None or state.timestamp_element not in signed:
            raise InvalidSecurityError(
                "The message has no signed wsu:Timestamp; the security policy requires one."
            )
        check_timestamp(timestamp, now=now, skew_seconds=skew_seconds, required=True)
    soap_body = state.soap_body
    if soap_body is None:  # pragma: no cover - a parsed message's body has its Body
        raise InvalidSecurityError("The message has no SOAP Body.")
    if policy.only_sign_entire_headers_and_body:
        _only_entire_parts(state, soap_body)
    if policy.signed_parts.body and soap_body not in signed:
        raise InvalidSecurityError(
            "The SOAP Body is not signed (or not by the message's signature); the security "
            "policy requires a signed Body."
        )
    for header in message.headers:
        if _named(header, policy.signed_parts.headers) and header not in signed:
            raise InvalidSecurityError(
                f"The header {etree.QName(header).localname} is not signed; the security policy "
                "requires it signed."
            )
    if policy.encrypted_parts.body and not any(
        done.parent is soap_body and done.content for done in state.decrypted
    ):
        raise InvalidSecurityError(
            "The SOAP Body is not encrypted; the security policy requires its content encrypted "
            "for this STS's certificate."
        )
    if policy.encrypt_signature and primary is not None and not state.produced_by_decryption(
        primary[1]
    ):
        raise InvalidSecurityError(
            "The message signature is not encrypted; the security policy requires it encrypted."
        )
    signer = None
    if policy.binding is Binding.ASYMMETRIC and primary is not None:
        signer = primary[2].certificate
        token = policy.initiator_token
        if token is not None and token.kind is TokenKind.X509 and (
            token.inclusion.sent_by_initiator and signer not in state.included_certificates
        ):
            raise InvalidSecurityError(
                "The signing certificate is not in a wsse:BinarySecurityToken; the security "
                "policy requires the client to include it."
            )
    issued = policy.supporting_of(TokenKind.ISSUED)
    if issued is not None and issued[0].signed and not any(a in signed for a in state.saml):
        raise InvalidSecurityError(
            "The SAML token is not signed by the message signature; the security policy "
            "requires it as a signed supporting token."
        )
    username = _username(policy, state, signed)
    body = [child for child in soap_body if isinstance(child.tag, str)]
    if len(body) != 1:
        if any(done.parent is soap_body for done in state.decrypted):
            raise undecryptable(f"the SOAP Body holds {len(body)} elements after decryption")
        raise InvalidSecurityError(
            f"The SOAP Body holds {len(body)} elements after decryption; send one request."
        )
    return InboundResult(
        message=dataclasses.replace(message, body=body[0]),
        timestamp=timestamp,
        signer_certificate=signer,
        request_key=state.request_key,
        username_token=username,
        saml_assertions=tuple(state.saml),
        signature_values=tuple(check.value for check, _, _ in state.signatures),
        signer_assertion=state.signer_assertion,
        signer_proof_key=state.signer_proof_key,
        signed_saml_assertions=tuple(a for a in state.saml if a in signed),
        kerberos_principal=state.kerberos.client_principal if state.kerberos else None,
        context=state.context,
    )


def _only_entire_parts(state: _State, soap_body: etree._Element) -> None:
    """OnlySignEntireHeadersAndBody: a signature covers the Body, whole header blocks, or the
    security header's own children, never an element picked out of the Body."""
    header_tag = f"{{{etree.QName(soap_body).namespace}}}Header"
    for checked, _, _ in state.signatures:
        for element in checked.signed:
            parent = element.getparent()
            if element is soap_body or (parent is not None and parent.tag in (
                header_tag, f"{WSSE_}Security"
            )):
                continue
            raise InvalidSecurityError(
                f"The signature covers {etree.QName(element).localname}, a part of a header or "
                "the Body; the security policy allows only entire headers and the Body signed."
            )


def _context_keys_as_required(policy: PolicyModel, state: _State) -> None:
    """Under a SecureConversationToken every key that protected the message is the context's
    key or derived from it, and one context is used throughout."""
    used = state.symmetric_signature_keys[:1] + state.decryption_keys
    contexts = {key.context for key in used}
    if not used or None in contexts:
        raise InvalidSecurityError(
            "The message is not protected with a security context's key; the security policy "
            "requires the key of a SecurityContextToken (obtain one with RST/SCT first)."
        )
    if len(contexts) > 1:
        raise InvalidSecurityError(
            "The message is protected with the keys of more than one security context; use one."
        )
    token = policy.protection_token
    if token is not None and token.require_derived_keys and any(
        key.derived_from is None for key in used
    ):
        raise InvalidSecurityError(
            "The message is protected with the security context's key itself; the security "
            "policy requires keys derived from it (wsc:DerivedKeyToken)."
        )
    identifier = contexts.pop()
    assert identifier is not None
    # Every context key met was looked up (and remembered) by its identifier.
    state.context = state.request_key = state.tokens.contexts[identifier]


def _symmetric_keys_as_required(policy: PolicyModel, state: _State) -> None:
    token = policy.protection_token
    if token is not None and token.kind is TokenKind.SECURE_CONVERSATION:
        _context_keys_as_required(policy, state)
        return
    request = state.request_key
    derived = policy.protection_token is not None and policy.protection_token.require_derived_keys
    used = state.symmetric_signature_keys[:1] + state.decryption_keys
    for key in used:
        base = key.derived_from if key.derived_from is not None else key.key
        if request is None or not hmac.compare_digest(base, request.key):
            raise InvalidSecurityError(
                "The message is not protected with the key of its protection token (its "
                "EncryptedKey or Kerberos ticket), as the symmetric binding requires."
            )
        if derived and key.derived_from is None:
            raise InvalidSecurityError(
                "The message is protected with the EncryptedKey's secret itself; the security "
                "policy requires keys derived from it (wsc:DerivedKeyToken)."
            )


def _username(policy: PolicyModel, state: _State,
              signed: tuple[etree._Element, ...]) -> UsernameToken | None:
    required = policy.supporting_of(TokenKind.USERNAME)
    element = state.username_element
    if required is None:
        return read_username_token(element) if element is not None else None
    group, _ = required
    if element is None:
        raise InvalidSecurityError(
            "The message has no wsse:UsernameToken; the security policy requires one as a "
            "supporting token."
        )
    if group.signed and element not in signed:
        raise InvalidSecurityError(
            "The wsse:UsernameToken is not signed; the security policy requires it signed."
        )
    if group.encrypted and not state.produced_by_decryption(element):
        raise InvalidSecurityError(
            "The wsse:UsernameToken is not encrypted; the security policy requires it encrypted."
        )
    return read_username_token(element)


def _named(header: etree._Element, wanted: tuple[tuple[str | None, str], ...]) -> bool:
    qname = etree.QName(header)
    return any(namespace == qname.namespace and name in (None, qname.localname)
               for name, namespace in wanted)


def _parts_text(policy: PolicyModel) -> str:
    parts = ["the Body"] if policy.signed_parts.body else []
    if policy.include_timestamp:
        parts.append("the Timestamp")
    parts += [name or namespace for name, namespace in policy.signed_parts.headers]
    return ", ".join(parts) or "the message"

