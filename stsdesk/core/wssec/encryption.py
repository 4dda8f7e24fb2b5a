"""XML Encryption inside WS-Security: EncryptedKey, ReferenceList and EncryptedData parts.

Inbound, an ``xenc:EncryptedKey`` is unwrapped with the service's private key and the
``xenc:EncryptedData`` its ReferenceList names are decrypted *in place* (the plaintext element
or content replaces the EncryptedData), as WSS4J does. Outbound, parts are encrypted for a
certificate (a fresh session key wrapped in an EncryptedKey) or with a key both sides hold.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import xmlsec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import CryptoError, InvalidSecurityError, StsError
from stsdesk.core.wssec.algorithms import BLOCK_KEY_BYTES, Algorithm, UnsupportedAlgorithmError
from stsdesk.core.wssec.errors import FailedCheckError
from stsdesk.core.wssec.tokens import XENC_, SymmetricKey, encrypted_key_sha1
from stsdesk.core.xmlenc import decrypt_cipher_data
from stsdesk.core.xmlparse import parse_xml
from stsdesk.core.xmlutil import decode_base64

__all__ = [
    "TYPE_ELEMENT", "TYPE_CONTENT", "unwrap_key", "decrypt_in_place", "Decrypted",
    "encrypt_in_place", "wrap_key", "new_session_key", "UNDECRYPTABLE", "undecryptable",
]

log = logging.getLogger("stsdesk.core.wssec.encryption")

#: The one fault text for every failure once the key is in hand (wrong length, padding, not
#: UTF-8, not XML, not one element, a Body that is not one request). Telling these apart would
#: be a padding/format oracle on CBC: a client altering the ciphertext byte by byte would learn
#: the plaintext (an encrypted UsernameToken) from which refusal it gets.
UNDECRYPTABLE = (
    "An encrypted part could not be decrypted: it was altered or encrypted with another key."
)


def undecryptable(reason: str) -> FailedCheckError:
    """The uniform refusal of an undecryptable part; ``reason`` (which must hold no plaintext,
    key or parser text) is logged at DEBUG only."""
    log.debug("refusing an encrypted part: %s", reason)
    return FailedCheckError(UNDECRYPTABLE)

TYPE_ELEMENT = "http://www.w3.org/2001/04/xmlenc#Element"
TYPE_CONTENT = "http://www.w3.org/2001/04/xmlenc#Content"
_WRAPPER = "stsdesk-decrypted"


@dataclass(frozen=True)
class Decrypted:
    """One EncryptedData replaced by its plaintext: the parent and the elements put there."""

    parent: etree._Element
    elements: tuple[etree._Element, ...]
    content: bool  # True: the parent's content was encrypted (Type Content)


def unwrap_key(
    encrypted_key: etree._Element, private_key: rsa.RSAPrivateKey, *, key_wrap: str
) -> SymmetricKey:
    """The key an EncryptedKey carries, unwrapped with RSA-OAEP (MGF1/SHA-1, no parameters)."""
    method = encrypted_key.find(f"{XENC_}EncryptionMethod")
    algorithm = None if method is None else method.get("Algorithm")
    if algorithm != key_wrap:
        raise UnsupportedAlgorithmError(
            f"The key is wrapped with {str(algorithm)[:120]!r}; the security policy's algorithm "
            f"suite requires {key_wrap}."
        )
    if algorithm != Algorithm.RSA_OAEP_MGF1P:
        # RSA PKCS#1 v1.5 decryption is a padding oracle (Bleichenbacher); not offered.
        raise UnsupportedAlgorithmError(
            f"This STS unwraps keys only with {Algorithm.RSA_OAEP_MGF1P}; apply an algorithm "
            "suite without Rsa15."
        )
    digest = method.find(f"{{{ns.DS}}}DigestMethod") if method is not None else None
    if (digest is not None and digest.get("Algorithm") != Algorithm.SHA1) or (
        method is not None and method.find(f"{XENC_}OAEPparams") is not None
    ):
        raise UnsupportedAlgorithmError(
            "The RSA-OAEP key wrap uses a digest or parameters other than the defaults (SHA-1, "
            "no OAEPparams)."
        )
    cipher = decode_base64(encrypted_key.findtext(f"{XENC_}CipherData/{XENC_}CipherValue"),
                           "EncryptedKey CipherValue", InvalidSecurityError)
    try:
        key = private_key.decrypt(cipher, padding.OAEP(
            mgf=padding.MGF1(hashes.SHA1()),  # noqa: S303 - the method's defined defaults
            algorithm=hashes.SHA1(),  # noqa: S303
            label=None,
        ))
    except ValueError as exc:
        raise FailedCheckError(
            "The EncryptedKey could not be decrypted with this STS's key; encrypt the key for "
            "the STS's certificate."
        ) from exc
    return SymmetricKey(key, encrypted_key.get("Id"), encrypted_key_sha1(cipher))


def decrypt_in_place(
    encrypted_data: etree._Element, key: bytes, *, block: str
) -> Decrypted:
    """Decrypt ``encrypted_data`` with ``key`` and put the plaintext where it was."""
    method = encrypted_data.find(f"{XENC_}EncryptionMethod")
    algorithm = None if method is None else method.get("Algorithm")
    if algorithm != block:
        raise UnsupportedAlgorithmError(
            f"The data is encrypted with {str(algorithm)[:120]!r}; the security policy's "
            f"algorithm suite requires {block}."
        )
    if len(key) != BLOCK_KEY_BYTES.get(block, -1):
        raise undecryptable("the key has the wrong length for the block algorithm")
    data_type = encrypted_data.get("Type") or TYPE_ELEMENT
    if data_type not in (TYPE_ELEMENT, TYPE_CONTENT):
        raise InvalidSecurityError("Only encrypted elements and element content are accepted.")
    parent = encrypted_data.getparent()
    if parent is None:
        raise InvalidSecurityError("The xenc:EncryptedData is not inside the message.")
    try:
        plaintext = decrypt_cipher_data(
            encrypted_data, key, triple_des=block == Algorithm.TRIPLEDES_CBC)
    except (xmlsec.Error, ValueError):
        # One message for every failure: telling padding from format errors would be an oracle.
        raise undecryptable("the cipher data did not decrypt (padding or cipher error)") from None
    wrapper = _parse_in_context(plaintext, parent)
    children = list(wrapper)
    elements = tuple(child for child in children if isinstance(child.tag, str))
    if data_type == TYPE_ELEMENT and (len(elements) != 1 or (wrapper.text or "").strip()):
        raise undecryptable(f"an encrypted element decrypted to {len(elements)} elements")
    position = parent.index(encrypted_data)
    tail = encrypted_data.tail
    parent.remove(encrypted_data)
    if wrapper.text and position == 0:
        parent.text = (parent.text or "") + wrapper.text
    for offset, child in enumerate(children):
        parent.insert(position + offset, child)
    if children:
        children[-1].tail = (children[-1].tail or "") + (tail or "")
    return Decrypted(parent, elements, data_type == TYPE_CONTENT)


def _parse_in_context(plaintext: bytes, parent: etree._Element) -> etree._Element:
    # The plaintext may use prefixes its ancestors declared: parse it inside an element that
    # declares every namespace in scope at the EncryptedData's place.
    declarations = "".join(
        f' xmlns:{prefix}="{_attr(uri)}"' if prefix else f' xmlns="{_attr(uri)}"'
        for prefix, uri in parent.nsmap.items()
    )
    try:
        text = plaintext.decode("utf-8")
    except UnicodeDecodeError:
        raise undecryptable("the plaintext is not UTF-8") from None
    if text.lstrip().startswith("<?xml"):
        declaration_end = text.find("?>")
        if declaration_end < 0:  # an unclosed declaration is no XML: same refusal as the rest
            raise undecryptable("the plaintext is not well-formed XML")
        text = text[declaration_end + 2:]
    document = f"<{_WRAPPER}{declarations}>{text}</{_WRAPPER}>".encode()
    try:
        return parse_xml(document)
    except StsError:
        # The parser's own text may quote the plaintext: neither the fault nor the log has it.
        raise undecryptable("the plaintext is not well-formed XML") from None


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def wrap_key(key: bytes, public_key: rsa.RSAPublicKey) -> bytes:
    """``key`` encrypted with RSA-OAEP (MGF1/SHA-1, SHA-1 digest) for ``public_key``."""
    return public_key.encrypt(key, padding.OAEP(
        mgf=padding.MGF1(hashes.SHA1()),  # noqa: S303 - the method's defined defaults
        algorithm=hashes.SHA1(),  # noqa: S303
        label=None,
    ))


def encrypt_in_place(
    targets: Sequence[tuple[etree._Element, bool]],
    key: bytes,
    *,
    block: str,
    key_info: Callable[[], etree._Element | None],
    new_id: Callable[[str], str],
) -> list[str]:
    """Encrypt each ``(element, content_only)`` with ``key``; returns the EncryptedData Ids.

    ``content_only`` encrypts the element's children (the SOAP Body's content, as WSS4J does);
    otherwise the element itself is replaced. ``key_info`` makes each EncryptedData's KeyInfo.
    """
    if len(key) != BLOCK_KEY_BYTES.get(block, -1):
        raise CryptoError("The session key has the wrong length for the encryption algorithm.")
    ids: list[str] = []
    for element, content_only in targets:
        data_id = new_id("ED")
        encrypted = etree.Element(f"{XENC_}EncryptedData", nsmap={"xenc": ns.XENC},
                                  Id=data_id, Type=TYPE_CONTENT if content_only else TYPE_ELEMENT)
        etree.SubElement(encrypted, f"{XENC_}EncryptionMethod", Algorithm=block)
        info = key_info()
        if info is not None:
            encrypted.append(info)
        cipher_data = etree.SubElement(encrypted, f"{XENC_}CipherData")
        etree.SubElement(cipher_data, f"{XENC_}CipherValue")
        # Serialised canonically: plain tostring() may rename prefixes to ones an ancestor
        # declares for the same namespace, which would change what a signature covered.
        if content_only:
            plaintext = _escaped(element.text) + b"".join(
                _canonical(child, with_tail=True) for child in element)
        else:
            plaintext = _canonical(element)
        context = xmlsec.EncryptionContext()
        try:
            context.key = xmlsec.Key.from_binary_data(xmlsec.constants.KeyDataAes, key)
            context.encrypt_binary(encrypted, plaintext)
        except xmlsec.Error as exc:
            raise CryptoError(f"The response could not be encrypted ({exc}).") from exc
        if content_only:
            for child in list(element):
                element.remove(child)
            element.text = None
            element.append(encrypted)
        else:
            parent = element.getparent()
            if parent is None:
                raise CryptoError("A part to encrypt is not inside the response.")
            encrypted.tail = element.tail
            parent.replace(element, encrypted)
        ids.append(data_id)
    return ids


def _canonical(element: etree._Element, *, with_tail: bool = False) -> bytes:
    text = etree.tostring(element, method="c14n", exclusive=True, with_comments=False)
    return text + _escaped(element.tail) if with_tail else text


def _escaped(text: str | None) -> bytes:
    return escape(text or "").encode("utf-8")


def new_session_key(block: str) -> bytes:
    return secrets.token_bytes(BLOCK_KEY_BYTES[block])

