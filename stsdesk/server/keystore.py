"""The keystore: signing keys encrypted at rest in the database, and the trust store."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from stsdesk.core.certificate_files import CertificateFileError, load_private_key
from stsdesk.core.certificates import SigningIdentity, generate_self_signed, load_certificate
from stsdesk.core.errors import StsError
from stsdesk.server.errors import NotFoundError, SealedDataError, ValidationError
from stsdesk.server.master_secret import MasterSecret
from stsdesk.server.storage.keys import StoredSigningKey
from stsdesk.server.storage.store import Store

__all__ = ["KeyStore", "SigningKeyInfo"]

log = logging.getLogger("stsdesk.server.keystore")


@dataclass(frozen=True)
class SigningKeyInfo:
    """What may be shown of a signing key: its alias, certificate and when it was stored."""

    alias: str
    certificate: x509.Certificate
    created_at: datetime


@dataclass
class _Cached:
    version: int | None  # the configuration version when the row was last seen unchanged
    private_key_pem: bytes
    certificate_der: bytes
    identity: SigningIdentity


class KeyStore:
    """Signing keys (PKCS#8 encrypted under the master secret) and trusted certificates.

    Keys live in the database so that every worker and node shares them. A decrypted key is
    cached per alias and reused while the configuration version the Store last observed is
    unchanged; when it moved, the stored row is read again and the key decrypted anew only if
    the row differs. Every key write bumps the configuration version, so a key replaced by
    another process is picked up at that process's next snapshot.
    """

    def __init__(self, store: Store, master: MasterSecret) -> None:
        self._store = store
        self._master = master
        self._cache: dict[str, _Cached] = {}
        self._certificates: dict[bytes, x509.Certificate] = {}
        self._lock = threading.Lock()

    # ----------------------------------------------------------------------------- signing keys

    def generate_signing_key(
        self,
        alias: str,
        common_name: str,
        *,
        key_size: int = 2048,
        valid_days: int = 3650,
        replace: bool = False,
    ) -> x509.Certificate:
        """Make a new RSA key with a self-signed certificate and store it under ``alias``.

        ConflictError if the alias exists, unless ``replace`` (key rotation under one alias).
        """
        try:
            identity = generate_self_signed(common_name, key_size=key_size, valid_days=valid_days)
        except StsError as exc:
            raise ValidationError(exc.message) from exc
        self._put(alias, identity, replace=replace)
        return identity.certificate

    def import_signing_key(
        self,
        alias: str,
        private_key: rsa.RSAPrivateKey,
        certificate: x509.Certificate,
        *,
        replace: bool = False,
    ) -> None:
        """Store an existing key and its certificate; ValidationError if they do not match."""
        try:
            identity = SigningIdentity(private_key, certificate)
        except StsError as exc:
            raise ValidationError(exc.message) from exc
        self._put(alias, identity, replace=replace)

    def _put(self, alias: str, identity: SigningIdentity, *, replace: bool) -> None:
        encrypted = identity.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._master.password_bytes()),
        )
        self._store.keys.add_signing_key(
            alias, encrypted, identity.certificate_der(), replace=replace
        )
        with self._lock:
            self._cache.pop(alias, None)

    def signing_identity(self, alias: str) -> SigningIdentity:
        """The decrypted key and certificate stored under ``alias``; NotFoundError if none."""
        version = self._store.observed_version
        with self._lock:
            cached = self._cache.get(alias)
            if cached is not None and version is not None and cached.version == version:
                return cached.identity
        row = self._store.keys.get_signing_key(alias)
        if row is None:
            with self._lock:
                self._cache.pop(alias, None)
            raise NotFoundError(
                f"There is no signing key with alias {alias!r}. Generate or import one, or "
                "choose an existing alias as the signing key."
            )
        if (
            cached is not None
            and cached.private_key_pem == row.private_key_pem
            and cached.certificate_der == row.certificate_der
        ):
            identity = cached.identity
        else:
            identity = self._decrypt(row)
        with self._lock:
            self._cache[alias] = _Cached(
                version, row.private_key_pem, row.certificate_der, identity
            )
        return identity

    def _decrypt(self, row: StoredSigningKey) -> SigningIdentity:
        try:
            key = load_private_key(row.private_key_pem, self._master.password_bytes())
        except CertificateFileError as exc:
            raise SealedDataError(
                f"The signing key {row.alias!r} cannot be decrypted: the keystore password is "
                "not the one it was stored with, or the stored key is damaged. Start the "
                "server with the original keystore password."
            ) from exc
        certificate = x509.load_der_x509_certificate(row.certificate_der)
        try:
            return SigningIdentity(key, certificate)
        except StsError as exc:
            raise SealedDataError(
                f"The signing key {row.alias!r} does not match its stored certificate."
            ) from exc

    def list_signing_keys(self) -> list[SigningKeyInfo]:
        """Every signing key's alias, certificate and creation time, sorted by alias."""
        return [
            SigningKeyInfo(row.alias, self._certificate(row.certificate_der), row.created_at)
            for row in self._store.keys.list_signing_keys()
        ]

    def signing_certificates(self) -> list[x509.Certificate]:
        """The certificates of every signing key: tokens signed by any of them are ours."""
        return [
            self._certificate(row.certificate_der) for row in self._store.keys.list_signing_keys()
        ]

    def signing_certificate(self, alias: str) -> x509.Certificate:
        """The certificate of one signing key, without decrypting the key."""
        row = self._store.keys.get_signing_key(alias)
        if row is None:
            raise NotFoundError(f"There is no signing key with alias {alias!r}.")
        return self._certificate(row.certificate_der)

    def delete_signing_key(self, alias: str) -> None:
        """Delete a signing key; ConflictError if it is the one signing tokens."""
        self._store.keys.delete_signing_key(alias)
        with self._lock:
            self._cache.pop(alias, None)

    def _certificate(self, der: bytes) -> x509.Certificate:
        with self._lock:
            cert = self._certificates.get(der)
        if cert is None:
            cert = x509.load_der_x509_certificate(der)
            with self._lock:
                if len(self._certificates) > 256:
                    self._certificates.clear()
                self._certificates[der] = cert
        return cert

    # ----------------------------------------------------------------------------- trust store

    def add_trusted_certificate(self, alias: str, der: bytes) -> None:
        """Add a relying party's certificate (DER, PEM or base64 accepted; stored as DER)."""
        try:
            certificate = load_certificate(der)
        except StsError as exc:
            raise ValidationError(exc.message) from exc
        self._store.keys.add_trusted_certificate(
            alias, certificate.public_bytes(serialization.Encoding.DER)
        )

    def remove_trusted_certificate(self, alias: str) -> None:
        """Delete a trusted certificate; ConflictError naming the service providers using it."""
        self._store.keys.remove_trusted_certificate(alias)

    def list_trusted_certificates(self) -> dict[str, x509.Certificate]:
        """Alias -> certificate, sorted by alias."""
        return {
            alias: self._certificate(der)
            for alias, der in self._store.keys.list_trusted_certificates().items()
        }

    # ----------------------------------------------------------------------------- other secrets

    def seal_secret(self, plain: bytes, aad: bytes) -> bytes:
        """``plain`` (a Kerberos keytab, say) encrypted under the master secret, bound to
        ``aad``, for storing at rest like the private keys."""
        return self._master.seal(plain, aad)

    def unseal_secret(self, sealed: bytes, aad: bytes) -> bytes:
        """What ``seal_secret`` sealed; SealedDataError if it was altered or ``aad`` differs."""
        return self._master.unseal(sealed, aad)
