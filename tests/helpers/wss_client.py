"""A WS-Security sender and response checker written for the tests, apart from stsdesk's engine.

It builds requests the way a Rampart (WSS4J 1.6) client does for WSO2's scenario policies:
Timestamp first, the client's X.509 BinarySecurityToken, an EncryptedKey for the service
certificate (named by its SHA-1 thumbprint), ds:Signature with exclusive c14n; the RSA-OAEP key
wrap and AES-CBC are done with ``cryptography`` and signatures with python-xmlsec directly. It
imports nothing from ``stsdesk.core.wssec``, so the engine is not checked against itself.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSSE11 = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
B64 = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"
       "#Base64Binary")
THUMB = "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#ThumbprintSHA1"
EK_SHA1 = "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKeySHA1"
EK_TOKEN = "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKey"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
HMAC_SHA1 = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
AES256_CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
RSA_OAEP = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
CONTENT = "http://www.w3.org/2001/04/xmlenc#Content"
ELEMENT = "http://www.w3.org/2001/04/xmlenc#Element"


WSC = "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512"
WSC_2005 = "http://schemas.xmlsoap.org/ws/2005/02/sc"
LABEL = b"WS-SecureConversationWS-SecureConversation"


def p_sha1(secret: bytes, seed: bytes, length: int) -> bytes:
    """RFC 2246 P_SHA-1, written here from the RFC so the engine's own is not reused."""
    out, a = b"", seed
    while len(out) < length:
        a = hmac.new(secret, a, hashlib.sha1).digest()
        out += hmac.new(secret, a + seed, hashlib.sha1).digest()
    return out[:length]


def _derived_key_token(sec: etree._Element, base_ref: etree._Element, secret: bytes,
                       length: int, wsc: str) -> tuple[str, bytes]:
    dkt = etree.SubElement(sec, f"{{{wsc}}}DerivedKeyToken", nsmap={"wsc": wsc})
    dkt_id = _id("DK")
    dkt.set(f"{{{WSU}}}Id", dkt_id)
    dkt.append(base_ref)
    etree.SubElement(dkt, f"{{{wsc}}}Offset").text = "0"
    etree.SubElement(dkt, f"{{{wsc}}}Length").text = str(length)
    nonce = os.urandom(16)
    etree.SubElement(dkt, f"{{{wsc}}}Nonce").text = base64.b64encode(nonce).decode()
    return dkt_id, p_sha1(secret, LABEL + nonce, length)


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass
class Suite:
    """The algorithms WSO2's Basic256 (default) or Basic256Sha256 suite names."""

    signature: str = RSA_SHA1
    digest: str = SHA1

    @classmethod
    def basic256(cls) -> Suite:
        return cls()

    @classmethod
    def basic256_sha256(cls) -> Suite:
        return cls(RSA_SHA256, SHA256)


@dataclass
class Sent:
    """A request as sent, with what the test needs to check the answer."""

    envelope: bytes
    signature_value: bytes | None
    session_key: bytes | None = field(default=None, repr=False)
    encrypted_key_sha1: str | None = None


def envelope(body: etree._Element, soap: str = SOAP12) -> etree._Element:
    env = etree.Element(f"{{{soap}}}Envelope", nsmap={"s": soap})
    etree.SubElement(env, f"{{{soap}}}Header")
    etree.SubElement(env, f"{{{soap}}}Body").append(body)
    return env


def _security(env: etree._Element) -> etree._Element:
    header = env[0]
    sec = etree.SubElement(header, f"{{{WSSE}}}Security", nsmap={"wsse": WSSE, "wsu": WSU})
    sec.set(f"{{{env.nsmap['s']}}}mustUnderstand", "1")
    return sec


def _timestamp(sec: etree._Element, now: datetime, ttl: int | None = 300) -> etree._Element:
    """A wsu:Timestamp created ``now``; without wsu:Expires when ``ttl`` is None."""
    ts = etree.SubElement(sec, f"{{{WSU}}}Timestamp")
    ts.set(f"{{{WSU}}}Id", _id("TS"))
    fmt = "%Y-%m-%dT%H:%M:%S.000Z"
    etree.SubElement(ts, f"{{{WSU}}}Created").text = now.strftime(fmt)
    if ttl is not None:
        etree.SubElement(ts, f"{{{WSU}}}Expires").text = (
            now + timedelta(seconds=ttl)).strftime(fmt)
    return ts


def _bst(sec: etree._Element, cert: x509.Certificate) -> etree._Element:
    bst = etree.SubElement(sec, f"{{{WSSE}}}BinarySecurityToken", ValueType=X509V3,
                           EncodingType=B64)
    bst.set(f"{{{WSU}}}Id", _id("X509"))
    bst.text = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    return bst


def _thumb_reference(cert: x509.Certificate) -> etree._Element:
    ref = etree.Element(f"{{{WSSE}}}SecurityTokenReference")
    ident = etree.SubElement(ref, f"{{{WSSE}}}KeyIdentifier", ValueType=THUMB, EncodingType=B64)
    ident.text = base64.b64encode(cert.fingerprint(hashes.SHA1())).decode()
    return ref


def _named_reference(cert: x509.Certificate, form: str) -> etree._Element:
    if form == "thumbprint":
        return _thumb_reference(cert)
    ref = etree.Element(f"{{{WSSE}}}SecurityTokenReference")
    if form == "issuer_serial":
        data = etree.SubElement(ref, f"{{{DS}}}X509Data", nsmap={"ds": DS})
        serial = etree.SubElement(data, f"{{{DS}}}X509IssuerSerial")
        # Java's X500Principal form: RFC 2253 with a space after each comma.
        issuer = ", ".join(reversed([a.rfc4514_string() for a in cert.issuer.rdns]))
        etree.SubElement(serial, f"{{{DS}}}X509IssuerName").text = issuer
        etree.SubElement(serial, f"{{{DS}}}X509SerialNumber").text = str(cert.serial_number)
    else:  # "ski"
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        ident = etree.SubElement(ref, f"{{{WSSE}}}KeyIdentifier", EncodingType=B64,
                                 ValueType="http://docs.oasis-open.org/wss/2004/01/oasis-200401"
                                           "-wss-x509-token-profile-1.0#X509SubjectKeyIdentifier")
        ident.text = base64.b64encode(ski).decode()
    return ref


def _sign(sec: etree._Element, targets: list[etree._Element], key: xmlsec.Key,
          key_info_ref: etree._Element, method: str, digest: str) -> etree._Element:
    sig = etree.SubElement(sec, f"{{{DS}}}Signature", nsmap={"ds": DS})
    sig.set("Id", _id("SIG"))
    info = etree.SubElement(sig, f"{{{DS}}}SignedInfo")
    etree.SubElement(info, f"{{{DS}}}CanonicalizationMethod", Algorithm=EXC_C14N)
    etree.SubElement(info, f"{{{DS}}}SignatureMethod", Algorithm=method)
    for target in targets:
        target_id = target.get(f"{{{WSU}}}Id") or target.get("ID") or target.get("AssertionID")
        ref = etree.SubElement(info, f"{{{DS}}}Reference", URI="#" + target_id)
        transforms = etree.SubElement(ref, f"{{{DS}}}Transforms")
        etree.SubElement(transforms, f"{{{DS}}}Transform", Algorithm=EXC_C14N)
        etree.SubElement(ref, f"{{{DS}}}DigestMethod", Algorithm=digest)
        etree.SubElement(ref, f"{{{DS}}}DigestValue")
    etree.SubElement(sig, f"{{{DS}}}SignatureValue")
    etree.SubElement(sig, f"{{{DS}}}KeyInfo").append(key_info_ref)
    ctx = xmlsec.SignatureContext()
    root = sec.getroottree().getroot()
    for el in root.iter(tag=etree.Element):
        if el.get(f"{{{WSU}}}Id"):
            ctx.register_id(el, "Id", WSU)
        for name in ("ID", "AssertionID"):
            if el.get(name) and etree.QName(el).localname == "Assertion":
                ctx.register_id(el, name, None)
    ctx.key = key
    ctx.sign(sig)
    return sig


def _aes_cbc(key: bytes, plaintext: bytes) -> bytes:
    iv = os.urandom(16)
    pad = 16 - len(plaintext) % 16
    padded = plaintext + os.urandom(pad - 1) + bytes([pad])  # XML Enc padding
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return iv + enc.update(padded) + enc.finalize()


def aes_cbc_decrypt(key: bytes, data: bytes) -> bytes:
    dec = Cipher(algorithms.AES(key), modes.CBC(data[:16])).decryptor()
    padded = dec.update(data[16:]) + dec.finalize()
    return padded[: -padded[-1]]


def _encrypted_data(key: bytes, plaintext: bytes, kind: str,
                    key_info: etree._Element | None = None) -> etree._Element:
    ed = etree.Element(f"{{{XENC}}}EncryptedData", nsmap={"xenc": XENC}, Id=_id("ED"), Type=kind)
    etree.SubElement(ed, f"{{{XENC}}}EncryptionMethod", Algorithm=AES256_CBC)
    if key_info is not None:
        ed.append(key_info)
    cd = etree.SubElement(ed, f"{{{XENC}}}CipherData")
    etree.SubElement(cd, f"{{{XENC}}}CipherValue").text = base64.b64encode(
        _aes_cbc(key, plaintext)).decode()
    return ed


def _encrypt_body(body: etree._Element, key: bytes,
                  key_info: etree._Element | None = None) -> etree._Element:
    plaintext = b"".join(etree.tostring(child, method="c14n", exclusive=True) for child in body)
    for child in list(body):
        body.remove(child)
    ed = _encrypted_data(key, plaintext, CONTENT, key_info)
    body.append(ed)
    return ed


def _encrypted_key(cert: x509.Certificate, key: bytes) -> tuple[etree._Element, bytes]:
    ek = etree.Element(f"{{{XENC}}}EncryptedKey", nsmap={"xenc": XENC}, Id=_id("EK"))
    method = etree.SubElement(ek, f"{{{XENC}}}EncryptionMethod", Algorithm=RSA_OAEP)
    etree.SubElement(method, f"{{{DS}}}DigestMethod", nsmap={"ds": DS}, Algorithm=SHA1)
    etree.SubElement(ek, f"{{{DS}}}KeyInfo", nsmap={"ds": DS}).append(_thumb_reference(cert))
    wrapped = cert.public_key().encrypt(key, padding.OAEP(
        mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    cd = etree.SubElement(ek, f"{{{XENC}}}CipherData")
    etree.SubElement(cd, f"{{{XENC}}}CipherValue").text = base64.b64encode(wrapped).decode()
    return ek, wrapped


def _rsa_key(private_key: rsa.RSAPrivateKey) -> xmlsec.Key:
    pem = private_key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return xmlsec.Key.from_memory(pem, xmlsec.constants.KeyDataFormatPem)


def asymmetric_request(
    body: etree._Element, *, client_key: rsa.RSAPrivateKey, client_cert: x509.Certificate,
    service_cert: x509.Certificate | None = None, encrypt_signature: bool = False,
    suite: Suite | None = None, soap: str = SOAP12, now: datetime | None = None,
    sign_body: bool = True, include_bst: bool = True,
    assertion: etree._Element | None = None, sign_assertion: bool = True,
    reference: str = "thumbprint", sign_body_content: bool = False, expires: bool = True,
) -> Sent:
    """Scenario 2 (sign only) or, with ``service_cert``, scenario 5 (sign then encrypt).

    ``expires=False`` leaves wsu:Expires out of the Timestamp (Created alone)."""
    suite = suite or Suite.basic256()
    env = envelope(body, soap)
    sec = _security(env)
    ts = _timestamp(sec, now or datetime.now(UTC), 300 if expires else None)
    soap_body = env[1]
    soap_body.set(f"{{{WSU}}}Id", _id("Body"))
    if include_bst:
        bst = _bst(sec, client_cert)
        ref = etree.Element(f"{{{WSSE}}}SecurityTokenReference")
        etree.SubElement(ref, f"{{{WSSE}}}Reference", URI="#" + bst.get(f"{{{WSU}}}Id"),
                         ValueType=X509V3)
    else:  # the certificate is named, not sent: by thumbprint, issuer and serial, or SKI
        ref = _named_reference(client_cert, reference)
    targets = [soap_body, ts] if sign_body else [ts]
    if sign_body_content:  # the Body's element signed instead of the Body
        soap_body[0].set(f"{{{WSU}}}Id", _id("RST"))
        targets[0] = soap_body[0]
    if assertion is not None:  # a SAML supporting token (scenarios 33 and 34)
        supporting = copy.deepcopy(assertion)
        sec.insert(sec.index(ts) + 1, supporting)
        if sign_assertion:
            targets.append(supporting)
    sig = _sign(sec, targets, _rsa_key(client_key), ref, suite.signature, suite.digest)
    value = base64.b64decode(sig.findtext(f"{{{DS}}}SignatureValue"))
    if service_cert is not None:
        key = os.urandom(32)
        ek, _ = _encrypted_key(service_cert, key)
        ids = [_encrypt_body(soap_body, key).get("Id")]
        if encrypt_signature:
            ed = _encrypted_data(key, etree.tostring(sig, method="c14n", exclusive=True), ELEMENT)
            sec.replace(sig, ed)
            ids.append(ed.get("Id"))
        refs = etree.SubElement(ek, f"{{{XENC}}}ReferenceList")
        for data_id in ids:
            etree.SubElement(refs, f"{{{XENC}}}DataReference", URI="#" + data_id)
        # Processing order: the EncryptedKey before the signature it uncovers.
        sec.insert(sec.index(ts) + 1, ek)
    return Sent(etree.tostring(env), value)


def symmetric_request(
    body: etree._Element, *, service_cert: x509.Certificate, encrypt_body: bool,
    username: tuple[str, str] | None = None, encrypt_signature: bool = False,
    suite: Suite | None = None, soap: str = SOAP12, now: datetime | None = None,
    derived: str | None = None,
) -> Sent:
    """Scenarios 3, 4, 6, 7 and 8: an EncryptedKey for the service, HMAC-SHA1 and AES with it.

    ``derived`` (a WS-SecureConversation namespace) signs and encrypts with derived keys.
    """
    suite = suite or Suite.basic256()
    env = envelope(body, soap)
    sec = _security(env)
    ts = _timestamp(sec, now or datetime.now(UTC))
    key = os.urandom(32)
    ek, wrapped = _encrypted_key(service_cert, key)
    sec.append(ek)
    soap_body = env[1]
    soap_body.set(f"{{{WSU}}}Id", _id("Body"))
    targets = [soap_body, ts]

    def ek_ref() -> etree._Element:
        ref = etree.Element(f"{{{WSSE}}}SecurityTokenReference")
        etree.SubElement(ref, f"{{{WSSE}}}Reference", URI="#" + ek.get("Id"), ValueType=EK_TOKEN)
        return ref

    sign_key = enc_key = key
    sign_ref_uri = enc_ref_uri = "#" + ek.get("Id")
    ref_type = EK_TOKEN
    if derived is not None:
        dk_id, sign_key = _derived_key_token(sec, ek_ref(), key, 24, derived)
        sign_ref_uri, ref_type = "#" + dk_id, derived + "/dk"
        dk_id, enc_key = _derived_key_token(sec, ek_ref(), key, 32, derived)
        enc_ref_uri = "#" + dk_id
    if username is not None:
        ut = etree.SubElement(sec, f"{{{WSSE}}}UsernameToken")
        ut.set(f"{{{WSU}}}Id", _id("UT"))
        etree.SubElement(ut, f"{{{WSSE}}}Username").text = username[0]
        pw = etree.SubElement(ut, f"{{{WSSE}}}Password")
        pw.set("Type", "http://docs.oasis-open.org/wss/2004/01/"
                       "oasis-200401-wss-username-token-profile-1.0#PasswordText")
        pw.text = username[1]
        targets.append(ut)
    sig_ref = etree.Element(f"{{{WSSE}}}SecurityTokenReference")
    etree.SubElement(sig_ref, f"{{{WSSE}}}Reference", URI=sign_ref_uri, ValueType=ref_type)
    hmac_key = xmlsec.Key.from_binary_data(xmlsec.constants.KeyDataHmac, sign_key)
    sig = _sign(sec, targets, hmac_key, sig_ref, HMAC_SHA1, suite.digest)
    value = base64.b64decode(sig.findtext(f"{{{DS}}}SignatureValue"))
    ids = []

    def key_info() -> etree._Element:
        info = etree.Element(f"{{{DS}}}KeyInfo", nsmap={"ds": DS})
        ref = etree.SubElement(info, f"{{{WSSE}}}SecurityTokenReference")
        etree.SubElement(ref, f"{{{WSSE}}}Reference", URI=enc_ref_uri, ValueType=ref_type)
        return info

    if encrypt_body:
        ids.append(_encrypt_body(soap_body, enc_key, key_info()).get("Id"))
    if username is not None and encrypt_body:
        ut = sec.find(f"{{{WSSE}}}UsernameToken")
        ed = _encrypted_data(enc_key, etree.tostring(ut, method="c14n", exclusive=True),
                             ELEMENT, key_info())
        sec.replace(ut, ed)
        ids.append(ed.get("Id"))
    if encrypt_signature:
        ed = _encrypted_data(enc_key, etree.tostring(sig, method="c14n", exclusive=True),
                             ELEMENT, key_info())
        sec.replace(sig, ed)
        ids.append(ed.get("Id"))
    if ids:
        refs = etree.Element(f"{{{XENC}}}ReferenceList", nsmap={"xenc": XENC})
        for data_id in ids:
            etree.SubElement(refs, f"{{{XENC}}}DataReference", URI="#" + data_id)
        # After the EncryptedKey and derived key tokens, before what it uncovers.
        first_protected = next(c for c in sec if c.tag in (
            f"{{{DS}}}Signature", f"{{{XENC}}}EncryptedData", f"{{{WSSE}}}UsernameToken"))
        sec.insert(sec.index(first_protected), refs)
    sha1 = base64.b64encode(hashlib.sha1(wrapped).digest()).decode()
    return Sent(etree.tostring(env), value, key, sha1)


# -- checking an answer ----------------------------------------------------------------------

@dataclass
class Checked:
    body: etree._Element  # the decrypted body child
    signed_ids: set[str]
    confirmations: list[str | None]
    body_was_encrypted: bool


def check_response(data: bytes, *, service_cert: x509.Certificate | None = None,
                   client_key: rsa.RSAPrivateKey | None = None,
                   session_key: bytes | None = None) -> Checked:
    """Decrypt (client key or the request's session key) and verify an answer's signature."""
    env = etree.fromstring(data)
    soap = etree.QName(env).namespace
    sec = env.find(f"{{{soap}}}Header/{{{WSSE}}}Security")
    assert sec is not None, "the answer has no wsse:Security header"
    body = env.find(f"{{{soap}}}Body")
    encrypted = False
    key = session_key
    ek = sec.find(f"{{{XENC}}}EncryptedKey")
    if ek is not None:
        assert client_key is not None
        wrapped = base64.b64decode(ek.findtext(f"{{{XENC}}}CipherData/{{{XENC}}}CipherValue"))
        key = client_key.decrypt(wrapped, padding.OAEP(
            mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    derived_keys = {}
    for dkt in sec:
        if etree.QName(dkt).localname == "DerivedKeyToken":
            wsc = etree.QName(dkt).namespace
            nonce = base64.b64decode(dkt.findtext(f"{{{wsc}}}Nonce"))
            length = int(dkt.findtext(f"{{{wsc}}}Length"))
            derived_keys["#" + dkt.get(f"{{{WSU}}}Id")] = p_sha1(session_key, LABEL + nonce,
                                                                length)

    def key_for(element: etree._Element, default: bytes | None) -> bytes | None:
        ref = element.find(f"{{{DS}}}KeyInfo/{{{WSSE}}}SecurityTokenReference/{{{WSSE}}}Reference")
        return derived_keys.get(ref.get("URI"), default) if ref is not None else default

    # Each EncryptedData is replaced by its plaintext in the serialised document, which is then
    # parsed again: moving parsed nodes between lxml documents may rename their prefixes.
    while (ed := next(env.iter(f"{{{XENC}}}EncryptedData"), None)) is not None:
        assert key is not None
        raw = aes_cbc_decrypt(key_for(ed, key), base64.b64decode(
            ed.findtext(f"{{{XENC}}}CipherData/{{{XENC}}}CipherValue")))
        encrypted = encrypted or ed.getparent().tag == f"{{{soap}}}Body"
        marker = etree.Element("decrypted-here")
        marker.tail = ed.tail
        ed.getparent().replace(ed, marker)
        env = etree.fromstring(etree.tostring(env).replace(b"<decrypted-here/>", raw))
    sec = env.find(f"{{{soap}}}Header/{{{WSSE}}}Security")
    body = env.find(f"{{{soap}}}Body")
    sig = sec.find(f"{{{DS}}}Signature")
    assert sig is not None, "the answer is not signed"
    method = sig.find(f"{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod").get("Algorithm")
    ctx = xmlsec.SignatureContext()
    work = etree.fromstring(etree.tostring(env))
    for el in work.iter(tag=etree.Element):
        if el.get(f"{{{WSU}}}Id"):
            ctx.register_id(el, "Id", WSU)
    if method.endswith("hmac-sha1"):
        ctx.key = xmlsec.Key.from_binary_data(xmlsec.constants.KeyDataHmac,
                                              key_for(sig, session_key))
    else:
        ctx.key = xmlsec.Key.from_memory(service_cert.public_bytes(serialization.Encoding.DER),
                                         xmlsec.constants.KeyDataFormatCertDer)
    ctx.verify(work.find(f".//{{{DS}}}Signature"))
    signed = {r.get("URI")[1:] for r in sig.iter(f"{{{DS}}}Reference")}
    confirmations = [c.get("Value") for c in sec.iter(f"{{{WSSE11}}}SignatureConfirmation")]
    return Checked(next(iter(body)), signed, confirmations, encrypted)


# -- SAML tokens (scenarios 31 to 34) --------------------------------------------------------

SAML2_ID = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLID"
SAML11_ID = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.0#SAMLAssertionID"
SAML2_NS = "urn:oasis:names:tc:SAML:2.0:assertion"


def _assertion_reference(assertion: etree._Element) -> etree._Element:
    saml2 = etree.QName(assertion).namespace == SAML2_NS
    ref = etree.Element(f"{{{WSSE}}}SecurityTokenReference")
    ident = etree.SubElement(ref, f"{{{WSSE}}}KeyIdentifier",
                             ValueType=SAML2_ID if saml2 else SAML11_ID)
    ident.text = assertion.get("ID") if saml2 else assertion.get("AssertionID")
    return ref


def holder_of_key_request(
    body: etree._Element, *, assertion: etree._Element, proof_key: bytes,
    suite: Suite | None = None, soap: str = SOAP12, now: datetime | None = None,
    service_cert: x509.Certificate | None = None,
) -> Sent:
    """Scenarios 31 and 32: the assertion in the header, Body and Timestamp signed (HMAC-SHA1)
    with its proof key, the signature naming the assertion by its ID."""
    suite = suite or Suite.basic256()
    env = envelope(body, soap)
    sec = _security(env)
    ts = _timestamp(sec, now or datetime.now(UTC))
    sec.append(copy.deepcopy(assertion))
    soap_body = env[1]
    soap_body.set(f"{{{WSU}}}Id", _id("Body"))
    hmac_key = xmlsec.Key.from_binary_data(xmlsec.constants.KeyDataHmac, proof_key)
    sig = _sign(sec, [soap_body, ts], hmac_key, _assertion_reference(assertion), HMAC_SHA1,
                suite.digest)
    if service_cert is not None:  # the body encrypted for the service (its X.509 token)
        key = os.urandom(32)
        ek, _ = _encrypted_key(service_cert, key)
        refs = etree.SubElement(ek, f"{{{XENC}}}ReferenceList")
        etree.SubElement(refs, f"{{{XENC}}}DataReference",
                         URI="#" + _encrypt_body(soap_body, key).get("Id"))
        sec.insert(sec.index(ts) + 1, ek)
    return Sent(etree.tostring(env), base64.b64decode(sig.findtext(f"{{{DS}}}SignatureValue")))


def with_supporting_assertion(sent_envelope: bytes, assertion: etree._Element) -> bytes:
    """An unsigned copy of ``assertion`` put after the Timestamp (a plain supporting token)."""
    env = etree.fromstring(sent_envelope)
    sec = env.find(f".//{{{WSSE}}}Security")
    sec.insert(1, copy.deepcopy(assertion))
    return etree.tostring(env)
