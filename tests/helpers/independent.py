"""Checks made by implementations other than stsdesk's own: schemas, signxml, raw cryptography."""

from __future__ import annotations

import base64
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.algorithms import DigestAlgorithm, SignatureMethod

from tests.helpers.data import SCHEMAS

XENC = "http://www.w3.org/2001/04/xmlenc#"
DS = "http://www.w3.org/2000/09/xmldsig#"


@cache
def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def assert_schema_valid(element: etree._Element, name: str) -> None:
    """Validate ``element`` cut out of its document, as a relying party would receive it."""
    standalone = etree.fromstring(etree.tostring(element))
    validator = schema(name)
    if not validator.validate(standalone):
        raise AssertionError(f"not valid against {name}: {validator.error_log}")


def verify_with_signxml(element: etree._Element, certificate: x509.Certificate) -> etree._Element:
    """Verify the enveloped signature with signxml on the element serialised alone."""
    data = etree.tostring(element)
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    config = SignatureConfiguration(
        signature_methods=frozenset(SignatureMethod),
        digest_algorithms=frozenset(DigestAlgorithm),
    )
    id_attribute = "AssertionID" if element.get("AssertionID") else None
    result = XMLVerifier().verify(data, x509_cert=pem, expect_config=config, id_attribute=id_attribute)
    return result.signed_xml


def decrypt_with_cryptography(encrypted: etree._Element, private_key: rsa.RSAPrivateKey) -> etree._Element:
    """Decrypt an xenc:EncryptedData (or a saml2:EncryptedAssertion around one) by hand."""
    data = encrypted if encrypted.tag == f"{{{XENC}}}EncryptedData" else encrypted.find(f"{{{XENC}}}EncryptedData")
    assert data is not None, "no xenc:EncryptedData"
    encrypted_key = data.find(f".//{{{XENC}}}EncryptedKey")
    if encrypted_key is None:  # a RetrievalMethod/sibling form: the key is next to the data
        encrypted_key = encrypted.find(f"{{{XENC}}}EncryptedKey")
    assert encrypted_key is not None, "no xenc:EncryptedKey"
    session_key = unwrap_key(encrypted_key, private_key)
    method = data.find(f"{{{XENC}}}EncryptionMethod").get("Algorithm")
    cipher_value = base64.b64decode(data.findtext(f"{{{XENC}}}CipherData/{{{XENC}}}CipherValue"))
    if method.endswith("gcm"):
        plain = AESGCM(session_key).decrypt(cipher_value[:12], cipher_value[12:], None)
    elif method.endswith("cbc"):
        iv, body = cipher_value[:16], cipher_value[16:]
        decryptor = Cipher(algorithms.AES(session_key), modes.CBC(iv)).decryptor()
        padded = decryptor.update(body) + decryptor.finalize()
        plain = padded[: -padded[-1]]
    else:
        raise AssertionError(f"unexpected block algorithm {method}")
    return etree.fromstring(plain)


def unwrap_key(encrypted_key: etree._Element, private_key: rsa.RSAPrivateKey) -> bytes:
    method = encrypted_key.find(f"{{{XENC}}}EncryptionMethod")
    algorithm = method.get("Algorithm")
    digest = method.find(f"{{{DS}}}DigestMethod")
    hash_algorithm: hashes.HashAlgorithm = hashes.SHA1()
    if digest is not None and digest.get("Algorithm", "").endswith("sha256"):
        hash_algorithm = hashes.SHA256()
    assert "rsa-oaep" in algorithm, algorithm
    wrapped = base64.b64decode(encrypted_key.findtext(f"{{{XENC}}}CipherData/{{{XENC}}}CipherValue"))
    return private_key.decrypt(
        wrapped, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hash_algorithm, label=None)
    )
