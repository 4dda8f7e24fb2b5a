"""Test keys and certificates (real RSA, made once per session) and an independent decryptor."""

from __future__ import annotations

import base64
import datetime as dt
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from lxml import etree

from stsdesk.core.certificates import SigningIdentity
from tests.helpers.data import SCHEMAS

__all__ = ["identity", "SCHEMAS", "independent_decrypt", "independent_unwrap"]


@cache
def _key(name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def identity(name: str) -> SigningIdentity:
    """A signing identity for ``name`` (key and self-signed certificate), made once.

    Built with cryptography directly, not with stsdesk.core.certificates.generate_self_signed, so the
    code under test is not its own fixture.
    """
    key = _key(name)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return SigningIdentity(private_key=key, certificate=cert)



# -- an XML-Enc decryptor written from the specs with `cryptography` only -------------------

_XENC = "http://www.w3.org/2001/04/xmlenc#"
_DS = "http://www.w3.org/2000/09/xmldsig#"
_KEY_TRANSPORTS = {
    "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
    "http://www.w3.org/2009/xmlenc11#rsa-oaep",
}


def independent_unwrap(encrypted_key: etree._Element, private_key: rsa.RSAPrivateKey) -> bytes:
    """The key in an xenc:EncryptedKey: RSA-OAEP with SHA-1 and MGF1-SHA1, no label."""
    method = encrypted_key.find(f"{{{_XENC}}}EncryptionMethod").get("Algorithm")
    if method not in _KEY_TRANSPORTS:
        raise ValueError(f"unexpected key transport {method}")
    wrapped = base64.b64decode(
        encrypted_key.findtext(f"{{{_XENC}}}CipherData/{{{_XENC}}}CipherValue")
    )
    return private_key.decrypt(
        wrapped,
        padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None),
    )


def independent_decrypt(encrypted_data: etree._Element, private_key: rsa.RSAPrivateKey) -> bytes:
    """The plaintext of an xenc:EncryptedData with its EncryptedKey in ds:KeyInfo.

    AES-GCM: 12-byte IV, ciphertext, 16-byte tag. AES-CBC: 16-byte IV, ciphertext with
    ISO 10126 padding (the last byte is the pad length).
    """
    encrypted_key = encrypted_data.find(f"{{{_DS}}}KeyInfo/{{{_XENC}}}EncryptedKey")
    session_key = independent_unwrap(encrypted_key, private_key)
    data = base64.b64decode(
        encrypted_data.findtext(f"{{{_XENC}}}CipherData/{{{_XENC}}}CipherValue")
    )
    algorithm = encrypted_data.find(f"{{{_XENC}}}EncryptionMethod").get("Algorithm")
    if algorithm.endswith("-gcm"):
        iv, ciphertext_and_tag = data[:12], data[12:]
        return AESGCM(session_key).decrypt(iv, ciphertext_and_tag, None)
    iv, ciphertext = data[:16], data[16:]
    decryptor = Cipher(algorithms.AES(session_key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    return padded[: -padded[-1]]
