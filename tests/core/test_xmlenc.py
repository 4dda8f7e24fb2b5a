"""XML Encryption: our output decrypted by independent code (cryptography, xmlsec keys)."""

from __future__ import annotations

import base64
import copy
import hashlib
import os

import pytest
import xmlsec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import CryptoError, InvalidRequestError
from stsdesk.core.xmlenc import (
    THUMBPRINT_SHA1,
    BlockEncryption,
    KeyTransport,
    decrypt_element,
    decrypt_key,
    encrypt_element,
    encrypt_key,
)
from tests.core.pki import SCHEMAS, identity, independent_decrypt, independent_unwrap

RP = identity("enc-relying-party")
OTHER = identity("enc-other")
XENC = ns.XENC


def _x(local: str) -> str:
    return f"{{{XENC}}}{local}"


def _sample() -> etree._Element:
    document = etree.fromstring(
        b'<w:Envelope xmlns:w="urn:w" xmlns:a="urn:a" xmlns:xs="urn:xs">'
        b'<a:Token ID="_1" a:kind="xs:string">caf\xc3\xa9 &amp; more<a:Inner/></a:Token>'
        b"</w:Envelope>"
    )
    return document[0]


def _canonical(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


@pytest.mark.parametrize("block", list(BlockEncryption))
@pytest.mark.parametrize("key_transport", list(KeyTransport))
def test_encrypt_element_is_decrypted_by_independent_code(block, key_transport) -> None:
    element = _sample()
    before = etree.tostring(element.getroottree())
    encrypted = encrypt_element(element, RP.certificate, block=block, key_transport=key_transport)
    assert etree.tostring(element.getroottree()) == before  # input untouched
    assert encrypted.tag == _x("EncryptedData")
    assert encrypted.get("Type") == "http://www.w3.org/2001/04/xmlenc#Element"
    assert encrypted.find(_x("EncryptionMethod")).get("Algorithm") == block.value
    key = encrypted.find(f"{{{ns.DS}}}KeyInfo/{_x('EncryptedKey')}")
    assert key.find(_x("EncryptionMethod")).get("Algorithm") == key_transport.value

    plaintext = independent_decrypt(encrypted, RP.private_key)
    assert _canonical(etree.fromstring(plaintext)) == _canonical(element)
    # and our own decryption gives the same element
    assert _canonical(decrypt_element(encrypted, RP.private_key)) == _canonical(element)


def test_encrypted_key_names_the_certificate_by_sha1_thumbprint() -> None:
    encrypted_key = encrypt_key(os.urandom(32), RP.certificate)
    identifier = encrypted_key.find(
        f"{{{ns.DS}}}KeyInfo/{{{ns.WSSE}}}SecurityTokenReference/{{{ns.WSSE}}}KeyIdentifier"
    )
    assert identifier.get("ValueType") == THUMBPRINT_SHA1
    assert identifier.get("EncodingType") == ns.BASE64_BINARY
    assert base64.b64decode(identifier.text) == hashlib.sha1(RP.certificate_der()).digest()


def test_encrypted_data_is_schema_valid() -> None:
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "xenc-schema.xsd")))
    encrypted = encrypt_element(_sample(), RP.certificate)
    assert schema.validate(encrypted), schema.error_log
    assert schema.validate(encrypt_key(b"k" * 32, RP.certificate)), schema.error_log


def test_xmlsec_with_a_keys_manager_decrypts_it_too() -> None:
    # xmlsec's own EncryptedKey resolution (keys manager) is an independent implementation of
    # the key transport we wrote with cryptography.
    encrypted = encrypt_element(_sample(), RP.certificate)
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_memory(RP.private_key_pem(), xmlsec.KeyFormat.PEM))
    work = copy.deepcopy(encrypted)
    holder = etree.Element("holder")
    holder.append(work)
    decrypted = xmlsec.EncryptionContext(manager).decrypt(work)
    assert _canonical(decrypted) == _canonical(_sample())


def test_decrypts_data_encrypted_by_independent_code() -> None:
    plaintext = etree.tostring(_sample())
    session_key = os.urandom(32)
    iv = os.urandom(12)
    cipher = iv + AESGCM(session_key).encrypt(iv, plaintext, None)
    wrapped = RP.certificate.public_key().encrypt(
        session_key,
        padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None),
    )
    xml = f"""<xenc:EncryptedData xmlns:xenc="{XENC}" xmlns:ds="{ns.DS}"
        Type="http://www.w3.org/2001/04/xmlenc#Element">
      <xenc:EncryptionMethod Algorithm="{BlockEncryption.AES256_GCM.value}"/>
      <ds:KeyInfo><xenc:EncryptedKey>
        <xenc:EncryptionMethod Algorithm="{KeyTransport.RSA_OAEP_MGF1P.value}"/>
        <xenc:CipherData><xenc:CipherValue>{base64.b64encode(wrapped).decode()}</xenc:CipherValue>
        </xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>
      <xenc:CipherData><xenc:CipherValue>{base64.b64encode(cipher).decode()}</xenc:CipherValue>
      </xenc:CipherData></xenc:EncryptedData>"""
    decrypted = decrypt_element(etree.fromstring(xml.encode()), RP.private_key)
    assert _canonical(decrypted) == _canonical(_sample())


def test_cbc_padding_written_by_independent_code_is_accepted() -> None:
    plaintext = etree.tostring(_sample())
    session_key, iv = os.urandom(32), os.urandom(16)
    padder = sym_padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(session_key), modes.CBC(iv)).encryptor()
    cipher = iv + encryptor.update(padded) + encryptor.finalize()
    encrypted = encrypt_element(_sample(), RP.certificate, block=BlockEncryption.AES256_CBC)
    key = encrypted.find(f"{{{ns.DS}}}KeyInfo/{_x('EncryptedKey')}")
    key.find(f"{_x('CipherData')}/{_x('CipherValue')}").text = base64.b64encode(
        RP.certificate.public_key().encrypt(
            session_key,
            padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None),
        )
    ).decode()
    encrypted.find(f"{_x('CipherData')}/{_x('CipherValue')}").text = base64.b64encode(
        cipher
    ).decode()
    assert _canonical(decrypt_element(encrypted, RP.private_key)) == _canonical(_sample())


def test_encrypt_key_round_trip_and_independent_unwrap() -> None:
    proof = os.urandom(32)
    for transport in KeyTransport:
        encrypted_key = encrypt_key(proof, RP.certificate, key_transport=transport)
        assert decrypt_key(encrypted_key, RP.private_key) == proof
        assert independent_unwrap(encrypted_key, RP.private_key) == proof


def test_wrong_private_key_is_a_crypto_error_naming_the_certificate() -> None:
    encrypted = encrypt_element(_sample(), RP.certificate)
    thumbprint = hashlib.sha1(RP.certificate_der()).hexdigest().upper()
    with pytest.raises(CryptoError) as info:
        decrypt_element(encrypted, OTHER.private_key)
    message = info.value.message
    assert "could not be decrypted with this key" in message
    assert "encrypted for another certificate" in message
    assert thumbprint[:2] + ":" + thumbprint[2:4] in message
    with pytest.raises(CryptoError, match="encrypted for another certificate"):
        decrypt_key(encrypt_key(b"k" * 32, RP.certificate), OTHER.private_key)


def test_tampered_ciphertext_is_refused() -> None:
    encrypted = encrypt_element(_sample(), RP.certificate)
    value = encrypted.find(f"{_x('CipherData')}/{_x('CipherValue')}")
    raw = bytearray(base64.b64decode(value.text))
    raw[20] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(CryptoError, match="could not be decrypted"):
        decrypt_element(encrypted, RP.private_key)


def test_downgraded_algorithms_are_refused() -> None:
    encrypted = encrypt_element(_sample(), RP.certificate)
    key_method = encrypted.find(f".//{_x('EncryptedKey')}/{_x('EncryptionMethod')}")
    key_method.set("Algorithm", "http://www.w3.org/2001/04/xmlenc#rsa-1_5")
    with pytest.raises(CryptoError, match="does not accept"):
        decrypt_element(encrypted, RP.private_key)
    encrypted = encrypt_element(_sample(), RP.certificate)
    encrypted.find(_x("EncryptionMethod")).set(
        "Algorithm", "http://www.w3.org/2001/04/xmlenc#tripledes-cbc"
    )
    with pytest.raises(CryptoError, match="does not accept"):
        decrypt_element(encrypted, RP.private_key)


def test_unknown_algorithms_and_empty_keys_are_refused_when_encrypting() -> None:
    with pytest.raises(InvalidRequestError, match="not supported"):
        encrypt_element(_sample(), RP.certificate, block="http://example.org/rot13")
    with pytest.raises(InvalidRequestError, match="not supported"):
        encrypt_key(b"k" * 32, RP.certificate, key_transport="http://www.w3.org/2001/04/xmlenc#rsa-1_5")
    with pytest.raises(InvalidRequestError, match="empty"):
        encrypt_key(b"", RP.certificate)


def test_missing_encrypted_key_and_wrong_element_are_refused() -> None:
    encrypted = encrypt_element(_sample(), RP.certificate)
    encrypted.remove(encrypted.find(f"{{{ns.DS}}}KeyInfo"))
    with pytest.raises(CryptoError, match="no xenc:EncryptedKey"):
        decrypt_element(encrypted, RP.private_key)
    with pytest.raises(CryptoError, match="Expected an xenc:EncryptedData"):
        decrypt_element(_sample(), RP.private_key)
