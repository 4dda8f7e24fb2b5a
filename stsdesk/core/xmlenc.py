"""XML Encryption of tokens and proof keys for a relying party's certificate (xmlsec)."""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import secrets
from enum import StrEnum

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.ciphers.algorithms import AES
from cryptography.hazmat.primitives.ciphers.modes import CBC
from cryptography.hazmat.primitives.padding import PKCS7
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.certificates import certificate_thumbprint_sha1
from stsdesk.core.errors import CryptoError, InvalidRequestError, StsError
from stsdesk.core.xmlparse import OWN_TEXT_LIMITS, parse_xml
from stsdesk.core.xmlskeletons import TextTemplate, fresh_copy, hole
from stsdesk.core.xmlutil import algorithm

__all__ = [
    "BlockEncryption", "KeyTransport", "encrypt_element", "encrypted_data_text", "encrypt_key",
    "decrypt_element", "decrypt_key", "decrypt_cipher_data", "key_info_thumbprint",
    "THUMBPRINT_SHA1", "TYPE_ELEMENT",
]

THUMBPRINT_SHA1 = ns.THUMBPRINT_SHA1
TYPE_ELEMENT = ns.XENC_ELEMENT
_SHA1_DIGEST = ns.SHA1
# Each namespace is declared on the element that brings it in (xenc on EncryptedData and
# EncryptedKey, ds on KeyInfo, wsse on SecurityTokenReference), as OpenSAML and ADFS write them:
# a token cut out of its message then carries no declaration it does not use.
_XENC_NSMAP = {"xenc": ns.XENC}


class BlockEncryption(StrEnum):
    AES256_GCM = ns.AES256_GCM
    AES128_GCM = ns.AES128_GCM
    AES256_CBC = ns.AES256_CBC


class KeyTransport(StrEnum):
    RSA_OAEP_MGF1P = ns.RSA_OAEP_MGF1P  # default
    RSA_OAEP = ns.RSA_OAEP  # with its defaults: SHA-1, MGF1-SHA1


# Session key length in bytes for each block method (xmlsec reads the method from the XML).
_KEY_BYTES = {
    BlockEncryption.AES256_GCM: 32,
    BlockEncryption.AES128_GCM: 16,
    BlockEncryption.AES256_CBC: 32,
}


def _x(local: str) -> str:
    return f"{{{ns.XENC}}}{local}"


def _d(local: str) -> str:
    return f"{{{ns.DS}}}{local}"


def _private_key(private_key: rsa.RSAPrivateKey) -> xmlsec.Key:
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return xmlsec.Key.from_memory(pem, xmlsec.constants.KeyDataFormatPem)


def encrypt_key(
    key: bytes,
    certificate: x509.Certificate,
    *,
    key_transport: KeyTransport | str = KeyTransport.RSA_OAEP_MGF1P,
) -> etree._Element:
    """A standalone xenc:EncryptedKey carrying ``key`` for ``certificate``.

    Its ds:KeyInfo names the certificate by a wsse:SecurityTokenReference with a ThumbprintSHA1
    KeyIdentifier (WSS X.509 token profile 1.1).
    """
    transport = algorithm(KeyTransport, key_transport, "key transport algorithm")
    wrapped = _wrap_key(key, certificate, transport)
    encrypted_key = fresh_copy(("xenc:EncryptedKey", transport),
                               lambda: _encrypted_key_skeleton(transport))
    _fill_encrypted_key(encrypted_key, certificate, wrapped)
    return encrypted_key


def _encrypted_key_skeleton(transport: KeyTransport) -> etree._Element:
    encrypted_key = etree.Element(_x("EncryptedKey"), nsmap=_XENC_NSMAP)
    method = etree.SubElement(encrypted_key, _x("EncryptionMethod"), Algorithm=transport.value)
    etree.SubElement(method, _d("DigestMethod"), nsmap={"ds": ns.DS}, Algorithm=_SHA1_DIGEST)
    key_info = etree.SubElement(encrypted_key, _d("KeyInfo"), nsmap={"ds": ns.DS})
    reference = etree.SubElement(
        key_info, f"{{{ns.WSSE}}}SecurityTokenReference", nsmap={"wsse": ns.WSSE}
    )
    etree.SubElement(
        reference,
        f"{{{ns.WSSE}}}KeyIdentifier",
        ValueType=THUMBPRINT_SHA1,
        EncodingType=ns.BASE64_BINARY,
    )
    cipher_data = etree.SubElement(encrypted_key, _x("CipherData"))
    etree.SubElement(cipher_data, _x("CipherValue"))
    return encrypted_key


def _fill_encrypted_key(
    encrypted_key: etree._Element, certificate: x509.Certificate, wrapped: bytes
) -> None:
    """The certificate's thumbprint and the wrapped key into a copy of the skeleton."""
    encrypted_key[1][0][0].text = _thumbprint_text(certificate)  # KeyInfo/STR/KeyIdentifier
    encrypted_key[2][0].text = base64.b64encode(wrapped).decode("ascii")  # CipherData/Value


@functools.lru_cache(maxsize=256)
def _thumbprint_text(certificate: x509.Certificate) -> str:
    # A relying party's certificate is the same object for every token encrypted for it.
    return base64.b64encode(certificate_thumbprint_sha1(certificate)).decode("ascii")


# Both key transport methods as written (with their defaults); immutable, so built once rather
# than for every key wrapped.
_OAEP_DEFAULTS = padding.OAEP(
    mgf=padding.MGF1(hashes.SHA1()),  # noqa: S303 - the methods' defined defaults
    algorithm=hashes.SHA1(),  # noqa: S303
    label=None,
)


def _wrap_key(key: bytes, certificate: x509.Certificate, transport: KeyTransport) -> bytes:
    """``key`` encrypted with RSA-OAEP for ``certificate``."""
    if not key:
        raise InvalidRequestError("There is no key to encrypt; the proof key is empty.")
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise InvalidRequestError(
            "The relying party's certificate does not hold an RSA key; keys can only be "
            "encrypted for RSA certificates. Import an RSA certificate for it."
        )
    # python-xmlsec cannot encrypt a standalone EncryptedKey (it has no way to set the context's
    # EncryptedKey mode, and its keys manager loads the system CA store on every creation), so
    # the wrap is done here. Both methods are written with their defaults: SHA-1 digest and
    # MGF1 with SHA-1, no OAEPparams; xmlsec decrypts them (decrypt_key).
    try:
        return public_key.encrypt(bytes(key), _OAEP_DEFAULTS)
    except ValueError as exc:
        raise InvalidRequestError(
            f"A {len(key)}-byte key is too long to encrypt for this certificate's RSA key."
        ) from exc


def encrypt_element(
    element: etree._Element,
    certificate: x509.Certificate,
    *,
    block: BlockEncryption | str = BlockEncryption.AES256_GCM,
    key_transport: KeyTransport | str = KeyTransport.RSA_OAEP_MGF1P,
) -> etree._Element:
    """A standalone xenc:EncryptedData (Type Element) holding ``element`` for ``certificate``:
    :func:`encrypted_data_text` read back as a tree. ``element`` itself is not modified."""
    # etree.tostring keeps every namespace declaration in scope, so the plaintext is a complete
    # document even when the element sat inside a larger one.
    plaintext = etree.tostring(element, encoding="UTF-8", xml_declaration=False)
    return parse_xml(
        encrypted_data_text(plaintext, certificate, block=block, key_transport=key_transport),
        OWN_TEXT_LIMITS,
    )


def encrypted_data_text(
    plaintext: bytes,
    certificate: x509.Certificate,
    *,
    block: BlockEncryption | str = BlockEncryption.AES256_GCM,
    key_transport: KeyTransport | str = KeyTransport.RSA_OAEP_MGF1P,
) -> bytes:
    """The xenc:EncryptedData (Type Element) of ``plaintext`` (an element written as text) for
    ``certificate``, itself as UTF-8 text: what the STS sends is written, not built as a tree.

    A fresh session key is wrapped in an xenc:EncryptedKey inside the EncryptedData's ds:KeyInfo,
    which names the certificate by its SHA-1 thumbprint. This is the one writer of an
    EncryptedData; :func:`encrypt_element` reads its text back for callers that want a tree.
    """
    block_method = algorithm(BlockEncryption, block, "encryption algorithm")
    transport = algorithm(KeyTransport, key_transport, "key transport algorithm")
    session_key = secrets.token_bytes(_KEY_BYTES[block_method])
    wrapped = _wrap_key(session_key, certificate, transport)
    return _encrypted_data_template(block_method, transport).fill((
        _thumbprint_text(certificate).encode("ascii"),
        base64.b64encode(wrapped),
        base64.b64encode(_encrypt_octets(block_method, session_key, plaintext)),
    ))


@functools.cache  # one per pair of algorithms: a handful
def _encrypted_data_template(block: BlockEncryption, transport: KeyTransport) -> TextTemplate:
    """The EncryptedData with holes for the thumbprint (0), the wrapped key (1) and the
    cipher value (2)."""
    encrypted_data = etree.Element(_x("EncryptedData"), nsmap=_XENC_NSMAP, Type=TYPE_ELEMENT)
    etree.SubElement(encrypted_data, _x("EncryptionMethod"), Algorithm=block.value)
    key_info = etree.SubElement(encrypted_data, _d("KeyInfo"), nsmap={"ds": ns.DS})
    encrypted_key = _encrypted_key_skeleton(transport)
    key_info.append(encrypted_key)
    encrypted_key[1][0][0].text = hole(0)  # KeyInfo/STR/KeyIdentifier
    encrypted_key[2][0].text = hole(1)  # CipherData/CipherValue
    cipher_data = etree.SubElement(encrypted_data, _x("CipherData"))
    etree.SubElement(cipher_data, _x("CipherValue")).text = hole(2)
    # The EncryptedKey came with its own xenc declaration, which the EncryptedData's makes moot.
    etree.cleanup_namespaces(encrypted_data, top_nsmap=_XENC_NSMAP)
    return TextTemplate(encrypted_data)


def _encrypt_octets(method: BlockEncryption, key: bytes, plaintext: bytes) -> bytes:
    """The CipherValue octets of ``plaintext`` under ``key``, as XML Encryption lays them out.

    Done with cryptography rather than an xmlsec context, which cost seventy times the cipher
    on every token; decryption (and so every test of a token's encryption) stays with xmlsec.
    GCM (XML Encryption 1.1): a 96-bit IV, the ciphertext, the 128-bit tag. CBC: a 128-bit IV
    and the ciphertext of the padded plaintext, whose last octet counts the padding octets
    (PKCS#7 padding is one such padding).
    """
    if method in (BlockEncryption.AES256_GCM, BlockEncryption.AES128_GCM):
        iv = secrets.token_bytes(12)
        return iv + AESGCM(key).encrypt(iv, plaintext, None)
    iv = secrets.token_bytes(16)
    padder = PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(AES(key), CBC(iv)).encryptor()
    return iv + encryptor.update(padded) + encryptor.finalize()


def decrypt_key(encrypted_key: etree._Element, private_key: rsa.RSAPrivateKey) -> bytes:
    """The key carried by an xenc:EncryptedKey, unwrapped with ``private_key``."""
    if encrypted_key.tag != _x("EncryptedKey"):
        raise CryptoError(
            f"Expected an xenc:EncryptedKey but found {_tag_name(encrypted_key)}."
        )
    method = encrypted_key.find(_x("EncryptionMethod"))
    algorithm = None if method is None else method.get("Algorithm")
    if algorithm not in {k.value for k in KeyTransport}:
        # RSA PKCS#1 v1.5 and unknown methods are refused (Bleichenbacher-style oracles).
        raise CryptoError(
            f"The key is wrapped with {algorithm!r}, which this STS does not accept; use "
            f"{', '.join(k.value for k in KeyTransport)}."
        )
    work = copy.deepcopy(encrypted_key)
    for key_info in work.findall(_d("KeyInfo")):
        work.remove(key_info)  # the key is given; xmlsec must not go looking for one
    context = xmlsec.EncryptionContext()
    try:
        context.key = _private_key(private_key)
        result = context.decrypt(work)
    except xmlsec.Error as exc:
        raise CryptoError(_wrong_key_message(encrypted_key)) from exc
    if not isinstance(result, bytes) or not result:
        raise CryptoError(_wrong_key_message(encrypted_key))
    return result


def decrypt_element(
    encrypted_data: etree._Element,
    private_key: rsa.RSAPrivateKey,
    *,
    encrypted_key: etree._Element | None = None,
) -> etree._Element:
    """The element inside an xenc:EncryptedData, decrypted with ``private_key``.

    The session key is taken from the EncryptedData's own ds:KeyInfo/xenc:EncryptedKey, or from
    ``encrypted_key`` when it travels beside the data (SAML 2.0 EncryptedAssertion). The
    plaintext is parsed with the hardened parser; the input is not modified.
    """
    if encrypted_data.tag != _x("EncryptedData"):
        raise CryptoError(f"Expected an xenc:EncryptedData but found {_tag_name(encrypted_data)}.")
    data_type = encrypted_data.get("Type")
    if data_type not in (None, TYPE_ELEMENT):
        raise CryptoError(
            f"The encrypted data is of type {data_type!r}; only encrypted elements are accepted."
        )
    method = encrypted_data.find(_x("EncryptionMethod"))
    algorithm = None if method is None else method.get("Algorithm")
    try:
        block_method = BlockEncryption(algorithm or "")
    except ValueError as exc:
        raise CryptoError(
            f"The data is encrypted with {algorithm!r}, which this STS does not accept; use "
            f"{', '.join(b.value for b in BlockEncryption)}."
        ) from exc
    if encrypted_key is None:
        encrypted_key = encrypted_data.find(f"{_d('KeyInfo')}/{_x('EncryptedKey')}")
        if encrypted_key is None:
            raise CryptoError(
                "The encrypted data carries no xenc:EncryptedKey in its KeyInfo, so it cannot be "
                "decrypted with a private key."
            )
    session_key = decrypt_key(encrypted_key, private_key)
    key_bytes = _KEY_BYTES[block_method]
    if len(session_key) != key_bytes:
        raise CryptoError(
            f"The wrapped key is {len(session_key)} bytes long but {block_method.value} needs "
            f"{key_bytes}; the encrypted data is damaged."
        )
    try:
        plaintext = decrypt_cipher_data(encrypted_data, session_key)
    except xmlsec.Error as exc:
        raise CryptoError(
            "The encrypted data could not be decrypted: the ciphertext is damaged or does not "
            "belong to this key."
        ) from exc
    try:
        return parse_xml(plaintext)
    except StsError as exc:
        raise CryptoError(
            f"The decrypted content is not a usable XML element: {exc.message}"
        ) from exc


def decrypt_cipher_data(
    encrypted_data: etree._Element, key: bytes, *, triple_des: bool = False
) -> bytes:
    """The plaintext bytes of ``encrypted_data``'s cipher data, decrypted with the raw ``key``.

    The one xmlsec step both the token reader (``decrypt_element``) and the message-security
    engine use; each checks the algorithm and key length first and turns a failure into its own
    error. ``key`` is an AES key, or a Triple-DES one with ``triple_des``. The input is not
    modified. Raises ``xmlsec.Error`` when the data does not decrypt under ``key``.
    """
    work = copy.deepcopy(encrypted_data)
    work.attrib.pop("Type", None)  # so xmlsec returns the plaintext bytes for our own parser
    for key_info in work.findall(_d("KeyInfo")):
        work.remove(key_info)  # the key is given: xmlsec must not look for another
    context = xmlsec.EncryptionContext()
    key_data = xmlsec.constants.KeyDataDes if triple_des else xmlsec.constants.KeyDataAes
    context.key = xmlsec.Key.from_binary_data(key_data, key)
    plaintext = context.decrypt(work)
    if not isinstance(plaintext, bytes):  # pragma: no cover - Type was removed above
        raise xmlsec.Error("The encrypted data did not decrypt to bytes.")
    return plaintext


def _wrong_key_message(encrypted_key: etree._Element) -> str:
    thumbprint = _thumbprint_of(encrypted_key)
    named = f" (thumbprint {thumbprint})" if thumbprint else ""
    return (
        "The token could not be decrypted with this key: it was encrypted for another "
        f"certificate{named}. Use the private key of that certificate."
    )


def _thumbprint_of(encrypted_key: etree._Element) -> str | None:
    return key_info_thumbprint(encrypted_key.find(_d("KeyInfo")))


def key_info_thumbprint(key_info: etree._Element | None) -> str | None:
    """The ThumbprintSHA1 a ds:KeyInfo names (AA:BB:... upper-case hex), or None."""
    if key_info is None:
        return None
    for identifier in key_info.iterfind(
        f"{{{ns.WSSE}}}SecurityTokenReference/{{{ns.WSSE}}}KeyIdentifier"
    ):
        if identifier.get("ValueType") == THUMBPRINT_SHA1:
            try:
                raw = base64.b64decode("".join((identifier.text or "").split()), validate=True)
            except binascii.Error:
                return None
            return raw.hex(":").upper()
    return None


def _tag_name(element: etree._Element) -> str:
    return str(element.tag)[:120]
