"""The message-security engine with real keys: policy model, inbound checks, secured answers.

Requests come from ``tests.helpers.wss_client`` (python-xmlsec and ``cryptography`` used
directly, laid out as Rampart lays them out); answers are checked by the same helper. Policies
are written here in WSO2's WS-SecurityPolicy 2005/07 form (Basic256: RSA-SHA1, SHA-1) and in
1.2 form, so the engine is shown to read both.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.certificates import SigningIdentity
from stsdesk.core.errors import (
    InvalidRequestError,
    InvalidSecurityError,
    MessageExpiredError,
    StsError,
)
from stsdesk.core.soap import build_response, parse_envelope
from stsdesk.core.wssec import (
    Binding,
    FailedCheckError,
    ResponseSecurity,
    SecurityTokenUnavailableError,
    TokenKind,
    UnsupportedAlgorithmError,
    process_inbound,
    read_policy,
    secure_response,
)
from stsdesk.core.wssec.encryption import UNDECRYPTABLE, decrypt_in_place
from stsdesk.core.xmlparse import DEFAULT_LIMITS
from tests.core.pki import identity
from tests.helpers import wss_client as wc

SP05 = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"
SP12 = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
WST = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"


def _identity_with_ski(name: str) -> SigningIdentity:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Clients, Inc")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return SigningIdentity(private_key=key, certificate=cert)


SERVICE = identity("wssec-service")
CLIENT = _identity_with_ski("wssec-client")


def policy(binding: str, *, sp: str = SP05, suite: str = "Basic256",
           include: str = "AlwaysToRecipient",
           signed_body: bool = True, encrypted_body: bool = False, confirmation: bool = True,
           encrypt_signature: bool = False, derived: bool = False,
           username: str | None = None) -> bytes:
    """A policy in WSO2's shape: asymmetric (2, 5) or symmetric (3, 4, 6, 7, 8) binding."""
    def token(name: str, inclusion: str) -> str:
        options = "<sp:RequireThumbprintReference/><sp:WssX509V3Token10/>"
        if derived:
            options += "<sp:RequireDerivedKeys/>"
        return (f'<sp:{name}><wsp:Policy><sp:X509Token sp:IncludeToken="{sp}/IncludeToken/'
                f'{inclusion}"><wsp:Policy>{options}</wsp:Policy></sp:X509Token></wsp:Policy>'
                f'</sp:{name}>')
    if binding == "asymmetric":
        tokens = token("InitiatorToken", include) + token("RecipientToken", "Never")
        element = "AsymmetricBinding"
    else:
        tokens = token("ProtectionToken", "Never")
        element = "SymmetricBinding"
    extra = "<sp:EncryptSignature/>" if encrypt_signature else ""
    wss = ("<sp:Wss11><wsp:Policy><sp:MustSupportRefThumbprint/>"
           + ("<sp:RequireSignatureConfirmation/>" if confirmation else "")
           + "</wsp:Policy></sp:Wss11>")
    parts = ("<sp:SignedParts><sp:Body/></sp:SignedParts>" if signed_body else "") + (
        "<sp:EncryptedParts><sp:Body/></sp:EncryptedParts>" if encrypted_body else "")
    if username:
        parts += (f"<sp:{username}><wsp:Policy><sp:UsernameToken sp:IncludeToken="
                  f'"{sp}/IncludeToken/AlwaysToRecipient"/></wsp:Policy></sp:{username}>')
    return (
        f'<wsp:Policy xmlns:wsp="{ns.WSP_2004}" xmlns:sp="{sp}" xmlns:wsu="{ns.WSU}" '
        f'wsu:Id="Test"><wsp:ExactlyOne><wsp:All><sp:{element}><wsp:Policy>{tokens}'
        f"<sp:AlgorithmSuite><wsp:Policy><sp:{suite}/></wsp:Policy></sp:AlgorithmSuite>"
        "<sp:Layout><wsp:Policy><sp:Strict/></wsp:Policy></sp:Layout><sp:IncludeTimestamp/>"
        f"{extra}<sp:OnlySignEntireHeadersAndBody/></wsp:Policy></sp:{element}>{wss}{parts}"
        "</wsp:All></wsp:ExactlyOne></wsp:Policy>"
    ).encode()


def rst() -> etree._Element:
    element = etree.Element(f"{{{WST}}}RequestSecurityToken", nsmap={"wst": WST})
    etree.SubElement(element, f"{{{WST}}}RequestType").text = f"{WST}/Issue"
    return element


def receive(envelope: bytes, document: bytes, *, known=(), now: datetime | None = None):
    message = parse_envelope(envelope, content_type="application/soap+xml")
    return process_inbound(message, read_policy(document), SERVICE, known_certificates=known,
                           now=now or datetime.now(UTC), skew_seconds=300)


def answer(result, document: bytes) -> bytes:
    reply = copy.deepcopy(result.message.body)
    envelope = build_response(result.message, reply, action="urn:answer")
    return secure_response(envelope, ResponseSecurity(read_policy(document), SERVICE, result,
                                                      datetime.now(UTC)))


# -- the policy model ---------------------------------------------------------------------------

def test_the_model_reads_wso2s_2005_07_form_and_the_1_2_form_alike():
    for sp in (SP05, SP12):
        model = read_policy(policy("symmetric", sp=sp, encrypted_body=True, derived=True,
                                   username="SignedSupportingTokens"))
        assert model.namespace == sp
        assert model.binding is Binding.SYMMETRIC
        assert model.algorithm_suite.name == "Basic256"
        assert model.algorithm_suite.digest == "http://www.w3.org/2000/09/xmldsig#sha1"
        assert model.protection_token.require_derived_keys
        assert model.signed_parts.body and model.encrypted_parts.body
        assert model.signature_confirmation and model.include_timestamp
        group, token = model.supporting_of(TokenKind.USERNAME)
        assert group.signed and not group.encrypted and token.kind is TokenKind.USERNAME


def test_the_model_refuses_an_unknown_suite_and_mixed_namespaces():
    with pytest.raises(InvalidRequestError, match="algorithm suite 'Basic999'"):
        read_policy(policy("asymmetric", suite="Basic999"))
    other = f'<sp2:Wss10 xmlns:sp2="{SP12}"/><sp:Wss11>'.encode()
    mixed = policy("asymmetric").replace(b"<sp:Wss11>", other)
    with pytest.raises(InvalidRequestError, match="mixes"):
        read_policy(mixed)


# -- asymmetric binding (scenarios 2 and 5) ------------------------------------------------------

def test_scenario2_shape_with_wso2s_basic256_and_signature_confirmation():
    document = policy("asymmetric")
    sent = wc.asymmetric_request(rst(), client_key=CLIENT.private_key,
                                 client_cert=CLIENT.certificate)
    result = receive(sent.envelope, document)
    assert result.signer_certificate == CLIENT.certificate
    assert result.message.body.tag == f"{{{WST}}}RequestSecurityToken"
    checked = wc.check_response(answer(result, document), service_cert=SERVICE.certificate)
    # The answer confirms exactly the signature the request carried (WSS 1.1).
    assert checked.confirmations == [base64.b64encode(sent.signature_value).decode()]
    assert not checked.body_was_encrypted


def test_an_answer_over_the_size_limit_on_requests_is_still_secured():
    # The limits protect the STS from a sender's message; its own answer (a token with long
    # claim values) was refused by them, and the client was told its message was too large.
    document = policy("asymmetric")
    sent = wc.asymmetric_request(rst(), client_key=CLIENT.private_key,
                                 client_cert=CLIENT.certificate)
    result = receive(sent.envelope, document)
    reply = etree.Element(f"{{{WST}}}RequestSecurityTokenResponse")
    etree.SubElement(reply, f"{{{WST}}}Claim").text = "x" * DEFAULT_LIMITS.max_bytes
    envelope = build_response(result.message, reply, action="urn:answer")
    assert len(envelope) > DEFAULT_LIMITS.max_bytes
    secured = secure_response(envelope, ResponseSecurity(read_policy(document), SERVICE, result,
                                                         datetime.now(UTC)))
    checked = wc.check_response(secured, service_cert=SERVICE.certificate)
    assert checked.confirmations == [base64.b64encode(sent.signature_value).decode()]


@pytest.mark.parametrize("form", ["thumbprint", "issuer_serial", "ski"])
def test_a_certificate_named_rather_than_sent_is_found_in_the_trust_store(form):
    document = policy("asymmetric", include="Never")
    sent = wc.asymmetric_request(rst(), client_key=CLIENT.private_key,
                                 client_cert=CLIENT.certificate, include_bst=False,
                                 reference=form)
    assert receive(sent.envelope, document, known=(CLIENT.certificate,)).signer_certificate == (
        CLIENT.certificate)
    with pytest.raises(SecurityTokenUnavailableError):
        receive(sent.envelope, document, known=())


def test_a_policy_that_wants_the_certificate_sent_refuses_a_reference():
    sent = wc.asymmetric_request(rst(), client_key=CLIENT.private_key,
                                 client_cert=CLIENT.certificate, include_bst=False)
    with pytest.raises(InvalidSecurityError, match="BinarySecurityToken"):
        receive(sent.envelope, policy("asymmetric"), known=(CLIENT.certificate,))


def test_scenario5_shape_the_answer_is_readable_only_with_the_clients_key():
    document = policy("asymmetric", encrypted_body=True, encrypt_signature=True)
    sent = wc.asymmetric_request(rst(), client_key=CLIENT.private_key,
                                 client_cert=CLIENT.certificate,
                                 service_cert=SERVICE.certificate, encrypt_signature=True)
    secured = answer(receive(sent.envelope, document), document)
    assert b"RequestSecurityToken" not in secured
    checked = wc.check_response(secured, service_cert=SERVICE.certificate,
                                client_key=CLIENT.private_key)
    assert checked.body_was_encrypted
    with pytest.raises(ValueError):  # another key cannot unwrap the session key
        wc.check_response(secured, service_cert=SERVICE.certificate,
                          client_key=identity("someone-else").private_key)


def test_a_digest_other_than_the_suites_is_refused_as_unsupported():
    sent = wc.asymmetric_request(rst(), client_key=CLIENT.private_key,
                                 client_cert=CLIENT.certificate)  # RSA-SHA1, SHA-1 digests
    with pytest.raises(UnsupportedAlgorithmError, match="requires .*xmlenc#sha256"):
        receive(sent.envelope, policy("asymmetric", suite="Basic256Sha256"))


def test_a_sha256_suite_accepts_rsa_sha1_signatures_as_rampart_sends_them():
    sent = wc.asymmetric_request(rst(), client_key=CLIENT.private_key,
                                 client_cert=CLIENT.certificate,
                                 suite=wc.Suite(signature=wc.RSA_SHA1, digest=wc.SHA256))
    assert receive(sent.envelope, policy("asymmetric", suite="Basic256Sha256")).signer_certificate


def test_an_hmac_signature_under_the_asymmetric_binding_is_refused():
    sent = wc.asymmetric_request(rst(), client_key=CLIENT.private_key,
                                 client_cert=CLIENT.certificate)
    forged = sent.envelope.replace(wc.RSA_SHA1.encode(), wc.HMAC_SHA1.encode())
    with pytest.raises(UnsupportedAlgorithmError, match="hmac-sha1"):
        receive(forged, policy("asymmetric"))


def test_a_wrapped_body_with_a_duplicate_id_is_refused():
    sent = wc.asymmetric_request(rst(), client_key=CLIENT.private_key,
                                 client_cert=CLIENT.certificate)
    env = etree.fromstring(sent.envelope)
    body = env.find(f"{{{ns.SOAP12}}}Body")
    env.find(f"{{{ns.SOAP12}}}Header").append(copy.deepcopy(body))
    with pytest.raises(InvalidSecurityError, match="more than once"):
        receive(etree.tostring(env), policy("asymmetric"))


def test_a_moved_signed_body_leaves_the_real_body_unsigned():
    # The signed Body's Id is taken off the real Body and given to a copy in a header: the
    # signature verifies over the copy, but the Body the STS would read was not signed.
    sent = wc.asymmetric_request(rst(), client_key=CLIENT.private_key,
                                 client_cert=CLIENT.certificate)
    env = etree.fromstring(sent.envelope)
    body = env.find(f"{{{ns.SOAP12}}}Body")
    holder = etree.SubElement(env.find(f"{{{ns.SOAP12}}}Header"), "{urn:x}Holder")
    holder.append(copy.deepcopy(body))
    del body.attrib[f"{{{ns.WSU}}}Id"]
    # Refused twice over: the signed copy sits inside a header block, and the Body is unsigned.
    with pytest.raises(InvalidSecurityError, match="only entire headers and the Body"):
        receive(etree.tostring(env), policy("asymmetric"))
    lax = policy("asymmetric").replace(b"<sp:OnlySignEntireHeadersAndBody/>", b"")
    with pytest.raises(InvalidSecurityError, match="SOAP Body is not signed"):
        receive(etree.tostring(env), lax)


def test_only_the_entire_body_may_be_signed_when_the_policy_says_so():
    sent = wc.asymmetric_request(rst(), client_key=CLIENT.private_key,
                                 client_cert=CLIENT.certificate, sign_body_content=True)
    with pytest.raises(InvalidSecurityError, match="only entire headers and the Body"):
        receive(sent.envelope, policy("asymmetric", signed_body=False))


def test_an_expired_timestamp_is_refused():
    past = datetime.now(UTC) - timedelta(hours=1)
    sent = wc.asymmetric_request(rst(), client_key=CLIENT.private_key,
                                 client_cert=CLIENT.certificate, now=past)
    with pytest.raises(MessageExpiredError):
        receive(sent.envelope, policy("asymmetric"))


# -- symmetric binding (scenarios 3, 4, 6, 7, 8) -------------------------------------------------

@pytest.mark.parametrize("wsc", [wc.WSC_2005, wc.WSC, None])
def test_symmetric_answers_are_protected_with_the_requests_key(wsc):
    document = policy("symmetric", encrypted_body=True, encrypt_signature=True,
                      derived=wsc is not None)
    sent = wc.symmetric_request(rst(), service_cert=SERVICE.certificate, encrypt_body=True,
                                encrypt_signature=True, derived=wsc)
    result = receive(sent.envelope, document)
    assert result.request_key.sha1 == sent.encrypted_key_sha1
    secured = answer(result, document)
    checked = wc.check_response(secured, session_key=sent.session_key)
    assert checked.body_was_encrypted
    assert checked.confirmations == [base64.b64encode(sent.signature_value).decode()]
    if wsc is None:  # the key itself, named by EncryptedKeySHA1
        assert sent.encrypted_key_sha1.encode() in secured


def test_keys_not_derived_are_refused_when_the_policy_requires_derived_keys():
    document = policy("symmetric", encrypted_body=True, derived=True)
    sent = wc.symmetric_request(rst(), service_cert=SERVICE.certificate, encrypt_body=True)
    with pytest.raises(InvalidSecurityError, match="keys derived from it"):
        receive(sent.envelope, document)


def test_a_signed_and_encrypted_username_token_is_handed_over_after_the_checks():
    document = policy("symmetric", encrypted_body=True,
                      username="SignedEncryptedSupportingTokens")
    sent = wc.symmetric_request(rst(), service_cert=SERVICE.certificate, encrypt_body=True,
                                username=("alice", "secret"))
    token = receive(sent.envelope, document).username_token
    assert token.username == "alice" and token.password == "secret"
    bare = wc.symmetric_request(rst(), service_cert=SERVICE.certificate, encrypt_body=False,
                                username=("alice", "secret"))
    with pytest.raises(InvalidSecurityError, match="UsernameToken is not encrypted"):
        receive(bare.envelope, policy("symmetric", username="SignedEncryptedSupportingTokens"))


def test_symmetric_a_flipped_ciphertext_bit_fails_the_check():
    document = policy("symmetric", encrypted_body=True)
    sent = wc.symmetric_request(rst(), service_cert=SERVICE.certificate, encrypt_body=True)
    env = etree.fromstring(sent.envelope)
    cipher = env.find(f"{{{ns.SOAP12}}}Body//{{{ns.XENC}}}CipherValue")
    raw = bytearray(base64.b64decode(cipher.text))
    raw[20] ^= 0x80
    cipher.text = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(FailedCheckError):
        receive(etree.tostring(env), document)


def test_an_rsa15_key_wrap_is_refused():
    sent = wc.symmetric_request(rst(), service_cert=SERVICE.certificate, encrypt_body=True)
    tampered = sent.envelope.replace(b"rsa-oaep-mgf1p", b"rsa-1_5")
    with pytest.raises(UnsupportedAlgorithmError):
        receive(tampered, policy("symmetric", encrypted_body=True, suite="Basic256Rsa15"))


def test_a_tampered_cbc_ciphertext_gets_one_refusal_whatever_the_plaintext_became(caplog):
    """No padding/format oracle: whether the altered ciphertext failed its padding, decrypted to
    bytes that are not UTF-8 or not XML, or to the wrong number of elements, the client sees the
    same fault code and the same reason (the precise cause is logged at DEBUG only)."""
    document = policy("symmetric", encrypted_body=True,
                      username="SignedEncryptedSupportingTokens")
    sent = wc.symmetric_request(rst(), service_cert=SERVICE.certificate, encrypt_body=True,
                                username=("alice", "secret"))
    env = etree.fromstring(sent.envelope)
    cipher = env.find(f"{{{ns.SOAP12}}}Body//{{{ns.XENC}}}CipherValue")
    original = base64.b64decode(cipher.text)
    assert len(original) % 16 == 0 and len(original) >= 48  # IV and at least two AES blocks
    # The last byte of the next-to-last block sets the padding byte the receiver reads (all 255
    # alterations); bytes of the last block scramble the whole final block.
    tampered = [(len(original) - 17, delta) for delta in range(1, 256)]
    tampered += [(len(original) - 1 - spot, delta) for spot in (0, 5, 15)
                 for delta in (0x01, 0x10, 0x42, 0x80, 0xFF)]
    refusals = set()
    caplog.set_level("DEBUG", logger="stsdesk.core.wssec.encryption")
    for position, delta in tampered:
        raw = bytearray(original)
        raw[position] ^= delta
        cipher.text = base64.b64encode(bytes(raw)).decode()
        with pytest.raises(StsError) as refused:
            receive(etree.tostring(env), document)
        error = refused.value
        refusals.add((type(error), error.fault_code(), error.message))
    assert refusals == {(FailedCheckError, FailedCheckError(UNDECRYPTABLE).fault_code(),
                         UNDECRYPTABLE)}
    reasons = {record.getMessage() for record in caplog.records
               if record.name == "stsdesk.core.wssec.encryption"}
    # Both padding failures and plaintexts of the wrong form were met, yet refused alike.
    assert any("padding" in reason for reason in reasons)
    assert any("padding" not in reason for reason in reasons)
    assert not any("secret" in reason or "alice" in reason for reason in reasons)


def _encrypted_data(plaintext: bytes, key: bytes, *, content: bool) -> etree._Element:
    """An xenc:EncryptedData (AES-256-CBC, XML Encryption padding) of exactly ``plaintext``."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    iv = bytes(range(16))
    pad = 16 - len(plaintext) % 16
    padded = plaintext + bytes(pad - 1) + bytes([pad])
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    cipher = iv + encryptor.update(padded) + encryptor.finalize()
    kind = "Content" if content else "Element"
    data = etree.Element(f"{{{ns.XENC}}}EncryptedData", nsmap={"xenc": ns.XENC},
                         Type=f"http://www.w3.org/2001/04/xmlenc#{kind}")
    etree.SubElement(data, f"{{{ns.XENC}}}EncryptionMethod",
                     Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc")
    etree.SubElement(etree.SubElement(data, f"{{{ns.XENC}}}CipherData"),
                     f"{{{ns.XENC}}}CipherValue").text = base64.b64encode(cipher).decode()
    return data


@pytest.mark.parametrize(("plaintext", "content"), [
    (b"\xff\xfe<a/>", False),                    # not UTF-8
    (b"<a><b></a>", False),                       # not well-formed (parser text stays out)
    (b"<?xml version='1.0' <a/>", False),         # an unclosed declaration
    (b"<a/><b/>", False),                         # two elements where one was encrypted
    (b"text only", False),                        # no element at all
])
def test_every_malformed_plaintext_is_refused_alike(plaintext, content):
    key = bytes(32)
    parent = etree.Element("holder")
    parent.append(_encrypted_data(plaintext, key, content=content))
    with pytest.raises(FailedCheckError) as refused:
        decrypt_in_place(parent[0], key, block="http://www.w3.org/2001/04/xmlenc#aes256-cbc")
    assert refused.value.message == UNDECRYPTABLE
    with pytest.raises(FailedCheckError) as short:
        decrypt_in_place(parent[0], bytes(16), block="http://www.w3.org/2001/04/xmlenc#aes256-cbc")
    assert short.value.message == UNDECRYPTABLE


@pytest.mark.parametrize("plaintext", [b"", b"<a/><b/>", b"<a wsu:Id='{body}' xmlns:wsu='"
                                       + ns.WSU.encode() + b"'/>"])
def test_a_body_that_decrypts_to_other_than_one_request_is_refused_alike(plaintext):
    """Zero or two elements in the Body, or a repeated identifier, after decryption: the same
    refusal as a padding failure, not a count or an identifier of the plaintext."""
    sent = wc.symmetric_request(rst(), service_cert=SERVICE.certificate, encrypt_body=True)
    env = etree.fromstring(sent.envelope)
    data = env.find(f"{{{ns.SOAP12}}}Body/{{{ns.XENC}}}EncryptedData")
    key = SERVICE.private_key.decrypt(
        base64.b64decode(env.findtext(f".//{{{ns.XENC}}}EncryptedKey//{{{ns.XENC}}}CipherValue")),
        padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    body_id = env.find(f"{{{ns.SOAP12}}}Body").get(f"{{{ns.WSU}}}Id")
    forged = _encrypted_data(plaintext.replace(b"{body}", body_id.encode()), key, content=True)
    data.find(f"{{{ns.XENC}}}CipherData/{{{ns.XENC}}}CipherValue").text = forged.findtext(
        f"{{{ns.XENC}}}CipherData/{{{ns.XENC}}}CipherValue")
    with pytest.raises(FailedCheckError) as refused:
        receive(etree.tostring(env), policy("symmetric", encrypted_body=True))
    assert refused.value.message == UNDECRYPTABLE
    assert body_id not in refused.value.message
