"""The test client's own key pair: its certificate and private key, read from the files a person
has (one PKCS#12 file, a PEM file holding both, or a certificate with its key file) and checked
to belong together.

One loader serves every use of the key pair: the PublicKey token's proof key, the UseKey of a
SymmetricKey request, and the signature of requests under the X.509 scenarios. A problem is a
:class:`ClientKeyPairError` whose ``field`` names the one input to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from stsdesk.core.certificate_files import (
    MAX_FILE_BYTES,
    MAX_KEY_FILE_BYTES,
    LoadedEntry,
    PasswordRequiredError,
    WrongPasswordError,
    load_private_key,
    read_certificates,
)
from stsdesk.core.errors import InvalidRequestError, StsError
from stsdesk.services.errors import InputError

__all__ = [
    "ClientKeyPair", "ClientKeyPairFiles", "ClientKeyPairError", "KeyPairField",
    "load_client_key_pair", "read_client_key_pair",
]


@dataclass(frozen=True)
class ClientKeyPair:
    """The client's certificate and private key, for PublicKey tokens, EncryptedKey proofs and
    signed requests."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        public = self.certificate.public_key()
        if not isinstance(public, rsa.RSAPublicKey) or (
            public.public_numbers() != self.private_key.public_key().public_numbers()
        ):
            raise InvalidRequestError(
                "The client key does not belong to the client certificate; choose the key that "
                "was made with the certificate."
            )

    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


class KeyPairField(StrEnum):
    """The input a key pair problem is in: what the person must change."""

    CERTIFICATE = "certificate"  # the certificate file (or the PKCS#12 file holding both)
    KEY = "key"  # the private key file beside a certificate that holds no key
    PASSWORD = "password"  # the password of whichever file has one


class ClientKeyPairError(InputError):
    """The client's key pair cannot be used; ``field`` names the input to change."""

    def __init__(self, message: str, *, field: KeyPairField) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ClientKeyPairFiles:
    """Where the client's key pair is, as chosen (plain values, safe to hand to a worker)."""

    certificate_path: str
    key_path: str = ""  # empty: the certificate file holds the key (PKCS#12, PEM with both)
    password: str = field(default="", repr=False)


def read_client_key_pair(files: ClientKeyPairFiles) -> ClientKeyPair:
    """Read the files and load the pair. Blocking (disk, and a PKCS#12 or encrypted key's key
    derivation): call it off the GUI thread. Raises ClientKeyPairError."""
    certificate = _read(files.certificate_path, "client certificate file", MAX_FILE_BYTES,
                        KeyPairField.CERTIFICATE)
    key = (_read(files.key_path, "client key file", MAX_KEY_FILE_BYTES, KeyPairField.KEY)
           if files.key_path else None)
    return load_client_key_pair(certificate, key, files.password or None,
                                filename=Path(files.certificate_path).name)


def load_client_key_pair(certificate: bytes, key: bytes | None = None,
                         password: str | None = None, *,
                         filename: str | None = None) -> ClientKeyPair:
    """The pair from the bytes of the certificate file and, when that file holds no key, of the
    key file. The certificate file may be PKCS#12 (.p12/.pfx), a Java keystore, PEM (a
    certificate, perhaps with its key) or DER; the key file PEM, DER or PKCS#12. ``password``
    opens whichever is protected; it is never logged or repeated. ``filename`` only names the
    certificate file in messages. Raises ClientKeyPairError."""
    try:
        loaded = read_certificates(certificate, filename=filename, password=password)
    except (PasswordRequiredError, WrongPasswordError) as exc:
        raise ClientKeyPairError(exc.message, field=KeyPairField.PASSWORD) from exc
    except StsError as exc:
        raise ClientKeyPairError(exc.message, field=KeyPairField.CERTIFICATE) from exc
    named = f" {filename!r}" if filename else ""
    if key is not None:
        try:
            private_key: PrivateKeyTypes = load_private_key(key, password)
        except (PasswordRequiredError, WrongPasswordError) as exc:
            raise ClientKeyPairError(exc.message, field=KeyPairField.PASSWORD) from exc
        except StsError as exc:
            raise ClientKeyPairError(exc.message, field=KeyPairField.KEY) from exc
        entry = _entry_for(loaded.entries, private_key)
        key_field = KeyPairField.KEY
    else:
        found = next((e for e in loaded.entries if e.private_key is not None), None)
        if found is None or found.private_key is None:
            if loaded.skipped_encrypted_keys:
                raise ClientKeyPairError(
                    f"The private key in the file{named} is protected by a password; type "
                    "its password.", field=KeyPairField.PASSWORD)
            raise ClientKeyPairError(
                f"The file{named} holds the certificate but no private key for it; choose the "
                "key file as well, or a PKCS#12 file holding both.", field=KeyPairField.KEY)
        entry, private_key = found, found.private_key
        key_field = KeyPairField.CERTIFICATE
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ClientKeyPairError(
            "The client's private key is not an RSA key; WS-Security signatures and PublicKey "
            "tokens here use RSA keys only. Choose an RSA key pair.", field=key_field)
    try:
        return ClientKeyPair(entry.certificate, private_key)
    except InvalidRequestError as exc:
        raise ClientKeyPairError(exc.message, field=key_field) from exc


def _entry_for(entries: tuple[LoadedEntry, ...], key: PrivateKeyTypes) -> LoadedEntry:
    # A file with a chain: the certificate the key belongs to, else the first (then refused).
    public = _spki(key)
    return next((e for e in entries if _spki(e.certificate) == public), entries[0])


def _spki(holder: PrivateKeyTypes | x509.Certificate) -> bytes:
    public = holder.public_key()
    return public.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo)


def _read(path: str, what: str, limit: int, where: KeyPairField) -> bytes:
    target = Path(path)
    try:
        size = target.stat().st_size
        if size > limit:
            raise ClientKeyPairError(
                f"The {what} {target.name} is {size // 1024} KB, far larger than such a file "
                "can be; choose the right file.", field=where)
        return target.read_bytes()
    except OSError as exc:
        raise ClientKeyPairError(
            f"The {what} {path} cannot be read ({exc.strerror or exc}); check the path and that "
            "you may read it.", field=where) from exc
