"""Certificates and private keys read from any file an administrator is likely to have.

This is stsdesk's one reader of key material: certificate files of every kind for the import
dialogs, and private keys (PEM, DER, PKCS#12) for decrypting tokens, proving a client's key and
the STS's own signing keys.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePath

import jks
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from pyasn1.error import PyAsn1Error

from stsdesk.core.errors import InvalidRequestError

__all__ = [
    "FileKind", "LoadedEntry", "LoadedFile", "KeyPair", "read_certificates", "read_pem_text",
    "load_private_key", "load_pkcs12_key_pair", "CertificateFileError", "PasswordRequiredError",
    "WrongPasswordError", "UnreadableCertificateFileError", "MAX_FILE_BYTES", "MAX_KEY_FILE_BYTES",
    "SUPPORTED_FORMATS", "FILE_PATTERNS",
]

log = logging.getLogger("stsdesk.core.certificate_files")

# Keystores and CA bundles are kilobytes to a few hundred; 5 MB leaves room and stops a
# mistaken multi-gigabyte pick before it is parsed.
MAX_FILE_BYTES = 5 * 1024 * 1024
# A key file (a key, perhaps with its chain) is a few kilobytes; far larger is not a key file.
MAX_KEY_FILE_BYTES = 200_000
SUPPORTED_FORMATS = (
    "PEM or DER certificates (.pem, .crt, .cer, .der), PKCS#7 chains (.p7b, .p7c), "
    "PKCS#12 keystores (.p12, .pfx) and Java keystores (.jks)"
)
# For a file dialog's filter.
FILE_PATTERNS = (
    "*.pem", "*.crt", "*.cer", "*.der", "*.p7b", "*.p7c", "*.p12", "*.pfx", "*.jks", "*.jceks",
    "*.keystore", "*.ks", "*.truststore",
)
_INDEFINITE = -1  # a BER indefinite length
_MAX_CHAIN = 10  # longer issuer chains do not occur in practice; the bound stops loops
_JKS_MAGIC = (b"\xfe\xed\xfe\xed", b"\xce\xce\xce\xce")  # JKS, JCEKS
_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL
)
_PEM_BEGIN = re.compile(rb"-----BEGIN [A-Z0-9 ]+-----")
_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}
_PKCS7_LABELS = {b"PKCS7", b"CMS"}
_KEY_LABELS = {
    b"PRIVATE KEY", b"ENCRYPTED PRIVATE KEY", b"RSA PRIVATE KEY", b"EC PRIVATE KEY",
    b"DSA PRIVATE KEY",
}
_BASE64_ONLY = re.compile(rb"[A-Za-z0-9+/=\s]+")
_EXTENSION_KIND = {
    ".pem": "pem", ".crt": "der", ".cer": "der", ".der": "der", ".p7b": "pkcs7",
    ".p7c": "pkcs7", ".p12": "pkcs12", ".pfx": "pkcs12", ".jks": "jks", ".jceks": "jks",
    ".keystore": "jks", ".ks": "jks", ".truststore": "jks",
}


class FileKind(StrEnum):
    """The format a certificate file turned out to be in (by its content)."""

    PEM = "pem"
    DER = "der"
    PKCS7 = "pkcs7"
    PKCS12 = "pkcs12"
    JKS = "jks"  # also JCEKS

    @property
    def display_name(self) -> str:
        return _TITLES[self]


_TITLES = {
    FileKind.PEM: "PEM", FileKind.DER: "DER", FileKind.PKCS7: "PKCS#7",
    FileKind.PKCS12: "PKCS#12", FileKind.JKS: "Java keystore",
}


# ----------------------------------------------------------------------------- errors


class CertificateFileError(InvalidRequestError):
    """Base of the errors met reading a certificate file; ``kind`` is its format if known."""

    def __init__(self, message: str, *, kind: FileKind | None = None) -> None:
        super().__init__(message)
        self.kind = kind


class PasswordRequiredError(CertificateFileError):
    """The file is PKCS#12 or a Java keystore and needs its password: ask for it."""


class WrongPasswordError(CertificateFileError):
    """The password given does not open the file: ask again."""


class UnreadableCertificateFileError(CertificateFileError):
    """Empty, too large, truncated, damaged or in no supported format."""


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class LoadedEntry:
    """One certificate found in a file, with what came with it.

    ``chain`` starts with ``certificate`` itself and follows its issuers as far as the file
    holds them (for key entries: the chain stored with the key, leaf first).
    ``alias_hint`` is the alias or friendly name the file gave it (keystores), else None.
    ``private_key`` is set only for keystore key entries (and PEM keys matching a certificate).
    """

    certificate: x509.Certificate
    alias_hint: str | None = None
    private_key: PrivateKeyTypes | None = field(default=None, repr=False)
    chain: tuple[x509.Certificate, ...] = ()


@dataclass(frozen=True)
class LoadedFile:
    """What a file held: its format and its certificates, in file order."""

    kind: FileKind
    entries: tuple[LoadedEntry, ...]
    # Encrypted PEM private keys left locked because no password was given (their
    # certificates are still read).
    skipped_encrypted_keys: int = 0

    @property
    def certificates(self) -> tuple[x509.Certificate, ...]:
        return tuple(entry.certificate for entry in self.entries)


@dataclass(frozen=True)
class KeyPair:
    """A private key with its certificate and the chain stored beside it (leaf first)."""

    private_key: rsa.RSAPrivateKey = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


# ----------------------------------------------------------------------------- private keys


def load_private_key(data: bytes, password: bytes | str | None = None) -> rsa.RSAPrivateKey:
    """The RSA private key in a key file: PEM (PKCS#8 or PKCS#1, encrypted or not), DER PKCS#8
    or PKCS#12 (.p12/.pfx).

    ``password`` opens an encrypted key or a PKCS#12 file; it is never logged or repeated.
    Raises PasswordRequiredError, WrongPasswordError or UnreadableCertificateFileError.
    """
    data = _key_file(data)
    secret = _secret(password)
    if b"-----BEGIN" in data:
        blocks = [m.group(0) for m in _PEM_BLOCK.finditer(data) if m.group(1) in _KEY_LABELS]
        if not blocks:
            raise UnreadableCertificateFileError(
                "The PEM file holds no private key (no -----BEGIN PRIVATE KEY----- block); "
                "choose the key file.",
                kind=FileKind.PEM,
            )
        key = _pem_key(blocks[0], secret, needed=True)
    elif _outer_structure(data) is FileKind.PKCS12:
        bundle = _open_pkcs12(data, secret, None)
        if bundle.key is None:
            raise UnreadableCertificateFileError(
                "The PKCS#12 file holds no private key; choose one that does.",
                kind=FileKind.PKCS12,
            )
        key = bundle.key
    else:
        key = _der_key(data, secret)
    return _rsa(key)


def load_pkcs12_key_pair(data: bytes, password: bytes | str | None = None) -> KeyPair:
    """The RSA key and its certificate in a PKCS#12 file (.p12/.pfx), with the chain beside it.

    Raises PasswordRequiredError, WrongPasswordError, UnreadableCertificateFileError (also when
    the file lacks the key or its certificate).
    """
    data = _key_file(data)
    if _outer_structure(data) is not FileKind.PKCS12:
        raise UnreadableCertificateFileError(
            "The file is not a PKCS#12 (.p12/.pfx) file; export the key pair as PKCS#12 (for "
            "example with keytool or openssl pkcs12 -export).",
        )
    bundle = _open_pkcs12(data, _secret(password), None)
    if bundle.key is None:
        raise UnreadableCertificateFileError(
            "The PKCS#12 file holds no private key; export the key together with its "
            "certificate.",
            kind=FileKind.PKCS12,
        )
    if bundle.cert is None:
        raise UnreadableCertificateFileError(
            "The PKCS#12 file holds no certificate for its key; export both together.",
            kind=FileKind.PKCS12,
        )
    leaf = bundle.cert.certificate
    pool = [leaf, *(item.certificate for item in bundle.additional_certs)]
    return KeyPair(_rsa(bundle.key), leaf, _chain_in(leaf, pool))


def _key_file(data: bytes) -> bytes:
    if not isinstance(data, bytes | bytearray | memoryview) or not bytes(data).strip():
        raise UnreadableCertificateFileError("The private key file is empty; choose a key file.")
    if len(data) > MAX_KEY_FILE_BYTES:
        raise UnreadableCertificateFileError(
            "The file is far too large for a key; choose a key file."
        )
    return bytes(data)


def _secret(password: bytes | str | None) -> bytes | None:
    if isinstance(password, str):
        password = password.encode("utf-8")
    return password or None


def _rsa(key: object) -> rsa.RSAPrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UnreadableCertificateFileError(
            "The private key is not an RSA key; stsdesk signs and decrypts tokens with RSA "
            "keys only. Choose an RSA key."
        )
    return key


def _der_key(data: bytes, secret: bytes | None) -> PrivateKeyTypes:
    try:
        return serialization.load_der_private_key(data, secret)
    except TypeError as exc:  # a password was needed and not given, or given and not needed
        if secret is None:
            raise PasswordRequiredError(
                "The private key is protected by a password; give the key's password."
            ) from exc
        return _der_key(data, None)
    except (ValueError, UnsupportedAlgorithm) as exc:
        if secret is not None:
            raise WrongPasswordError(
                "The private key could not be read: the password is wrong, or the file is not "
                "a PEM, DER or PKCS#12 private key."
            ) from exc
        raise UnreadableCertificateFileError(
            "The file is not a PEM, DER or PKCS#12 private key that can be read here; choose "
            "the key file (an RSA key in PKCS#8 or PKCS#12)."
        ) from exc


# ----------------------------------------------------------------------------- reading


def read_certificates(
    data: bytes, *, filename: str | None = None, password: str | None = None
) -> LoadedFile:
    """Read every certificate in ``data`` (the bytes of a file the user picked).

    The format is found from the content (PEM, DER, PKCS#7, PKCS#12, JKS/JCEKS); the file name,
    if given, only sharpens the error message when the content cannot tell. ``password`` opens
    PKCS#12 files, Java keystores and encrypted PEM keys; it is never logged or repeated.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise UnreadableCertificateFileError(
            f"The file could not be read: expected its bytes. Choose one of: {SUPPORTED_FORMATS}."
        )
    data = bytes(data)
    expected = _kind_from_name(filename)
    if not data.strip():
        raise UnreadableCertificateFileError(
            f"The file{_named(filename)} is empty. Choose a file that holds a certificate: "
            f"{SUPPORTED_FORMATS}.",
            kind=expected,
        )
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableCertificateFileError(
            f"The file{_named(filename)} is {len(data) / 1024 / 1024:.1f} MB, larger than any "
            f"certificate file ({MAX_FILE_BYTES // 1024 // 1024} MB at most). Choose the "
            f"certificate itself: {SUPPORTED_FORMATS}.",
            kind=expected,
        )
    if data[:4] in _JKS_MAGIC:
        loaded = _read_jks(data, password, filename)
    elif b"-----BEGIN" in data:
        loaded = _read_pem(data, password, filename)
    elif data[:1] == b"\x30":
        loaded = _read_der(data, password, filename, expected)
    elif _BASE64_ONLY.fullmatch(data):
        loaded = _read_base64(data, password, filename, expected)
    else:
        raise _unknown_format(filename, expected)
    log.debug("Read %d certificate(s) from a %s file", len(loaded.entries), loaded.kind)
    return loaded


def read_pem_text(text: str, *, password: str | None = None) -> LoadedFile:
    """Read the certificates in pasted PEM text (one or several blocks, or a PKCS#7 block)."""
    if not text.strip():
        raise UnreadableCertificateFileError(
            "Nothing was pasted. Paste the certificate's PEM text, from "
            "-----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----."
        )
    if "-----BEGIN" not in text:
        raise UnreadableCertificateFileError(
            "The pasted text is not PEM: it has no -----BEGIN CERTIFICATE----- line. Paste the "
            "whole certificate, including its BEGIN and END lines."
        )
    return read_certificates(text.encode("utf-8", "replace"), password=password)


# ----------------------------------------------------------------------------- PEM


def _read_pem(data: bytes, password: str | None, filename: str | None) -> LoadedFile:
    blocks = [(m.group(1), m.group(0), m.group(2)) for m in _PEM_BLOCK.finditer(data)]
    if len(_PEM_BEGIN.findall(data)) > len(blocks):
        raise UnreadableCertificateFileError(
            f"The PEM text{_named(filename)} is cut off: a -----BEGIN ...----- line has no "
            "matching -----END ...----- line. Copy or export the certificate again, whole.",
            kind=FileKind.PEM,
        )
    certificates: list[x509.Certificate] = []
    keys: list[PrivateKeyTypes] = []
    skipped = 0
    from_pkcs7 = 0
    others: list[str] = []
    for label, whole, body in blocks:
        if label in _CERT_LABELS:
            certificates.append(_der_certificate(_pem_body(body, filename), filename, label))
        elif label in _PKCS7_LABELS:
            found = _pkcs7_certificates(_pem_body(body, filename), filename)
            certificates.extend(found)
            from_pkcs7 += len(found)
        elif label in _KEY_LABELS:
            key = _pem_key(whole, _secret(password))
            if key is None:
                skipped += 1
            else:
                keys.append(key)
        else:
            others.append(label.decode("ascii"))
    if not certificates:
        held = f" (it holds: {', '.join(sorted(set(others)))})" if others else ""
        if keys or skipped:
            held = " (it holds only a private key)"
        raise UnreadableCertificateFileError(
            f"The PEM text{_named(filename)} holds no certificate{held}. Choose the file with "
            "the -----BEGIN CERTIFICATE----- block.",
            kind=FileKind.PEM,
        )
    kind = FileKind.PKCS7 if from_pkcs7 == len(certificates) else FileKind.PEM
    entries = tuple(
        LoadedEntry(cert, None, _matching_key(cert, keys), _chain_in(cert, certificates))
        for cert in certificates
    )
    return LoadedFile(kind, entries, skipped)


def _pem_body(body: bytes, filename: str | None) -> bytes:
    # Headers such as "Proc-Type:" belong to keys only; a certificate body is pure base64.
    try:
        return base64.b64decode(b"".join(body.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UnreadableCertificateFileError(
            f"The PEM text{_named(filename)} is damaged: its base64 content is not valid. "
            "Copy or export the certificate again.",
            kind=FileKind.PEM,
        ) from exc


def _pem_key(
    block: bytes, secret: bytes | None, *, needed: bool = False
) -> PrivateKeyTypes | None:
    """The key in one PEM block; None when it is encrypted and no password came (unless the
    key is what is ``needed``: then PasswordRequiredError)."""
    try:
        return serialization.load_pem_private_key(block, secret)
    except TypeError as exc:
        if secret is None and needed:
            raise PasswordRequiredError(
                "The private key is protected by a password; give the key's password.",
                kind=FileKind.PEM,
            ) from exc
        if secret is None:
            return None  # encrypted, and no password: the certificates can still be read
        # Given a password but the key is not encrypted: read it without one.
        try:
            return serialization.load_pem_private_key(block, None)
        except (TypeError, ValueError, UnsupportedAlgorithm):
            raise UnreadableCertificateFileError(
                "The private key in the PEM text could not be read; export it again.",
                kind=FileKind.PEM,
            ) from exc
    except ValueError as exc:
        if secret is not None and b"ENCRYPTED" in block:
            raise WrongPasswordError(
                "The password is wrong for the encrypted private key in this PEM file; check "
                "it (passwords are case-sensitive) and try again.",
                kind=FileKind.PEM,
            ) from exc
        raise UnreadableCertificateFileError(
            "The private key in the PEM text is damaged or in an unsupported format; export "
            "it again as PKCS#8.",
            kind=FileKind.PEM,
        ) from exc
    except UnsupportedAlgorithm as exc:
        raise UnreadableCertificateFileError(
            "The private key in the PEM text uses an algorithm that cannot be read here; export "
            "it as an RSA or EC key in PKCS#8.",
            kind=FileKind.PEM,
        ) from exc


# ----------------------------------------------------------------------------- DER


def _read_der(
    data: bytes, password: str | None, filename: str | None, expected: FileKind | None
) -> LoadedFile:
    structure = _outer_structure(data)
    kind = structure or expected
    if not _complete(data):
        what = f"{kind.display_name} file" if kind else "file"
        raise UnreadableCertificateFileError(
            f"The {what}{_named(filename)} is truncated: it ends before its content does. "
            "Copy or download it again, whole.",
            kind=kind,
        )
    outer = _tlv(data, 0)
    if outer is not None and outer[2] != _INDEFINITE:
        data = data[:outer[1] + outer[2]]  # without the tolerated trailing bytes
    if structure is FileKind.PKCS12:
        return _read_pkcs12(data, password, filename)
    if structure is FileKind.PKCS7:
        certificates = _pkcs7_certificates(data, filename)
        return LoadedFile(FileKind.PKCS7, _entries(certificates))
    if structure is FileKind.DER:
        return LoadedFile(FileKind.DER, _entries([_der_certificate(data, filename)]))
    raise _unknown_format(filename, expected)


def _read_base64(
    data: bytes, password: str | None, filename: str | None, expected: FileKind | None
) -> LoadedFile:
    # WSO2 and some portals hand out the certificate as bare base64 of its DER.
    try:
        der = base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _unknown_format(filename, expected) from exc
    if der[:1] != b"\x30":
        raise _unknown_format(filename, expected)
    return _read_der(der, password, filename, expected)


def _tlv(data: bytes, offset: int) -> tuple[int, int, int] | None:
    """(tag, header length, content length) of the DER element at ``offset``, None if unreadable.

    The content length is _INDEFINITE for BER's indefinite form.
    """
    if offset + 2 > len(data):
        return None
    tag, first = data[offset], data[offset + 1]
    if first < 0x80:
        return tag, 2, first
    if first == 0x80:
        return tag, 2, _INDEFINITE
    count = first & 0x7F
    if count > 4 or offset + 2 + count > len(data):
        return None
    return tag, 2 + count, int.from_bytes(data[offset + 2:offset + 2 + count], "big")


def _complete(data: bytes) -> bool:
    outer = _tlv(data, 0)
    if outer is None:
        return False
    _tag, header, length = outer
    if length == _INDEFINITE:
        return True  # BER, as Windows writes some PFX files: the parser finds its end
    end = header + length
    # Trailing NULs or a newline (some tools add one) are tolerated; anything else is not ours.
    return end <= len(data) and not data[end:].strip(b"\x00\r\n \t")


def _outer_structure(data: bytes) -> FileKind | None:
    outer = _tlv(data, 0)
    if outer is None or outer[0] != 0x30:
        return None
    inner = _tlv(data, outer[1])
    if inner is None:
        return None
    tag, header, length = inner
    if tag == 0x02:  # PFX ::= SEQUENCE { version INTEGER (3), ... }
        start = outer[1] + header
        return FileKind.PKCS12 if data[start:start + 1] == b"\x03" and length == 1 else None
    if tag == 0x06:  # ContentInfo ::= SEQUENCE { contentType OID, ... }
        return FileKind.PKCS7
    if tag == 0x30:  # Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, ... }
        return FileKind.DER
    return None


def _der_certificate(
    der: bytes, filename: str | None, label: bytes | None = None
) -> x509.Certificate:
    if label == b"TRUSTED CERTIFICATE":
        # OpenSSL's trusted form appends trust settings after the certificate; keep the first.
        outer = _tlv(der, 0)
        if outer is not None:
            der = der[:outer[1] + outer[2]]
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:
        # The parser's own words ("error parsing asn1 value: ParseError { kind: ... }") help
        # no one at the screen; they stay in the chained exception for a bug report.
        raise UnreadableCertificateFileError(
            f"The certificate{_named(filename)} is damaged and cannot be read: its content is "
            "not a complete X.509 certificate. Export or copy it again, whole.",
            kind=FileKind.PEM if label else FileKind.DER,
        ) from exc


def _pkcs7_certificates(der: bytes, filename: str | None) -> list[x509.Certificate]:
    try:
        certificates = pkcs7.load_der_pkcs7_certificates(der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise UnreadableCertificateFileError(
            f"The PKCS#7 file{_named(filename)} is damaged or is not a certificate chain "
            "(signed data holding certificates). Export the chain again as .p7b.",
            kind=FileKind.PKCS7,
        ) from exc
    if not certificates:
        raise UnreadableCertificateFileError(
            f"The PKCS#7 file{_named(filename)} holds no certificates. Export it again with "
            "the certificates included.",
            kind=FileKind.PKCS7,
        )
    return list(certificates)


# ----------------------------------------------------------------------------- PKCS#12


def _open_pkcs12(
    data: bytes, secret: bytes | None, filename: str | None
) -> pkcs12.PKCS12KeyAndCertificates:
    bundle = None
    # A file exported without a password opens with none (or, for some tools, an empty one).
    for attempt in (None, b""):
        bundle = _try_pkcs12(data, attempt, filename)
        if bundle is not None:
            return bundle
    if secret is None:
        raise PasswordRequiredError(
            f"The PKCS#12 file{_named(filename)} is protected by a password; enter it to read "
            "it.",
            kind=FileKind.PKCS12,
        )
    bundle = _try_pkcs12(data, secret, filename)
    if bundle is None:
        raise WrongPasswordError(
            f"The password is wrong for this PKCS#12 file{_named(filename)}; check it "
            "(passwords are case-sensitive) and try again.",
            kind=FileKind.PKCS12,
        )
    return bundle


def _read_pkcs12(data: bytes, password: str | None, filename: str | None) -> LoadedFile:
    bundle = _open_pkcs12(data, _secret(password), filename)
    entries: list[LoadedEntry] = []
    others = [(item.certificate, item.friendly_name) for item in bundle.additional_certs]
    pool = [cert for cert, _name in others]
    in_chain: list[x509.Certificate] = []
    if bundle.cert is not None:
        leaf = bundle.cert.certificate
        chain = _chain_in(leaf, [leaf, *pool])
        in_chain = list(chain)
        entries.append(
            LoadedEntry(leaf, _friendly(bundle.cert.friendly_name), bundle.key, chain)
        )
    for cert, name in others:
        if cert not in in_chain:
            entries.append(LoadedEntry(cert, _friendly(name), None, _chain_in(cert, pool)))
    if not entries:
        raise UnreadableCertificateFileError(
            f"The PKCS#12 file{_named(filename)} holds no certificate. Export it again with "
            "the certificate included.",
            kind=FileKind.PKCS12,
        )
    return LoadedFile(FileKind.PKCS12, tuple(entries))


def _try_pkcs12(
    data: bytes, secret: bytes | None, filename: str | None
) -> pkcs12.PKCS12KeyAndCertificates | None:
    try:
        return pkcs12.load_pkcs12(data, secret)
    except ValueError as exc:
        # cryptography says "Invalid password or PKCS12 data" for a MAC mismatch and "Could not
        # deserialize" for structure it cannot read; the outer structure was checked already.
        if "password" in str(exc).lower():
            return None
        raise UnreadableCertificateFileError(
            f"The PKCS#12 file{_named(filename)} is damaged and cannot be read. Export it again.",
            kind=FileKind.PKCS12,
        ) from exc
    except UnsupportedAlgorithm as exc:
        raise UnreadableCertificateFileError(
            f"The PKCS#12 file{_named(filename)} uses an encryption algorithm that cannot be "
            "read here (old RC2 or 3DES ciphers are often disabled); export it again with "
            "AES-256 (openssl pkcs12 -export, or keytool -importkeystore).",
            kind=FileKind.PKCS12,
        ) from exc


def _friendly(name: bytes | None) -> str | None:
    return name.decode("utf-8", "replace") if name else None


# ----------------------------------------------------------------------------- JKS


_JKS_ERRORS = (
    jks.util.KeystoreException, PyAsn1Error, ValueError, TypeError, IndexError, KeyError,
    UnicodeDecodeError, struct.error,
)


def _read_jks(data: bytes, password: str | None, filename: str | None) -> LoadedFile:
    try:
        if password is None:
            # Parse without the integrity check first, so a damaged file is reported as such
            # rather than by asking for a password that would not help.
            jks.KeyStore.loads(data, None, try_decrypt_keys=False)
            raise PasswordRequiredError(
                f"The Java keystore{_named(filename)} is protected by a password; enter the "
                "keystore password to read its certificates.",
                kind=FileKind.JKS,
            )
        store = jks.KeyStore.loads(data, password, try_decrypt_keys=True)
    except jks.util.KeystoreSignatureException as exc:
        raise WrongPasswordError(
            f"The password is wrong for this Java keystore{_named(filename)}; check the keystore "
            "password (passwords are case-sensitive) and try again.",
            kind=FileKind.JKS,
        ) from exc
    except CertificateFileError:
        raise
    except _JKS_ERRORS as exc:
        raise UnreadableCertificateFileError(
            f"The Java keystore{_named(filename)} is truncated or damaged and cannot be read. "
            "Copy it again, or export it with keytool -importkeystore -deststoretype PKCS12.",
            kind=FileKind.JKS,
        ) from exc
    pool = [
        _der_certificate(entry.cert, filename)
        for entry in store.certs.values()
    ]
    entries: list[LoadedEntry] = []
    for alias, entry in store.entries.items():
        if isinstance(entry, jks.PrivateKeyEntry):
            chain = tuple(_der_certificate(der, filename) for _type, der in entry.cert_chain)
            if not chain:
                continue
            entries.append(LoadedEntry(chain[0], alias, _jks_key(entry, alias), chain))
        elif isinstance(entry, jks.TrustedCertEntry):
            cert = _der_certificate(entry.cert, filename)
            entries.append(LoadedEntry(cert, alias, None, _chain_in(cert, pool)))
        # Secret-key entries (JCEKS) hold no certificate and are left out.
    if not entries:
        raise UnreadableCertificateFileError(
            f"The Java keystore{_named(filename)} holds no certificates.",
            kind=FileKind.JKS,
        )
    return LoadedFile(FileKind.JKS, tuple(entries))


def _jks_key(entry: jks.PrivateKeyEntry, alias: str) -> PrivateKeyTypes | None:
    if not entry.is_decrypted():
        # keytool encrypts keys with the store password unless told otherwise; a key with its
        # own password is shown without its key (its certificate is still usable).
        log.info("The key of keystore entry %r has its own password; its key is not read", alias)
        return None
    try:
        return _der_key(entry.pkey_pkcs8, None)
    except CertificateFileError:
        log.info("The key of keystore entry %r is in a format that cannot be read", alias)
        return None


# ----------------------------------------------------------------------------- helpers


def _entries(certificates: Sequence[x509.Certificate]) -> tuple[LoadedEntry, ...]:
    return tuple(
        LoadedEntry(cert, None, None, _chain_in(cert, certificates)) for cert in certificates
    )


def _chain_in(
    cert: x509.Certificate, pool: Iterable[x509.Certificate]
) -> tuple[x509.Certificate, ...]:
    """``cert`` followed by its issuers, as far as ``pool`` holds them (signatures checked)."""
    candidates = list(pool)
    chain = [cert]
    current = cert
    while len(chain) < _MAX_CHAIN and current.issuer != current.subject:
        issuer = next(
            (other for other in candidates
             if other.subject == current.issuer and other not in chain
             and _issued_by(current, other)),
            None,
        )
        if issuer is None:
            break
        chain.append(issuer)
        current = issuer
    return tuple(chain)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _matching_key(
    cert: x509.Certificate, keys: Sequence[PrivateKeyTypes]
) -> PrivateKeyTypes | None:
    if not keys:
        return None
    public = _spki(cert.public_key())
    return next((key for key in keys if _spki(key.public_key()) == public), None)


def _spki(key: object) -> bytes | None:
    try:
        return key.public_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    except (ValueError, TypeError, AttributeError, UnsupportedAlgorithm):
        return None


def _kind_from_name(filename: str | None) -> FileKind | None:
    if not filename:
        return None
    kind = _EXTENSION_KIND.get(PurePath(filename).suffix.lower())
    return FileKind(kind) if kind else None


def _named(filename: str | None) -> str:
    return f" {PurePath(filename).name!r}" if filename else ""


def _unknown_format(
    filename: str | None, expected: FileKind | None
) -> UnreadableCertificateFileError:
    if expected is not None:
        return UnreadableCertificateFileError(
            f"The file{_named(filename)} is named like a {expected.display_name} file but its "
            f"content is not one: it is damaged or in another format. Supported are "
            f"{SUPPORTED_FORMATS}.",
            kind=expected,
        )
    return UnreadableCertificateFileError(
        f"The file{_named(filename)} is not in a certificate format this program reads. "
        f"Supported are {SUPPORTED_FORMATS}.",
    )
