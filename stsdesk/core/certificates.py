"""X.509 certificates and RSA signing identities: reading, fingerprints, self-signed generation."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, field
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from stsdesk.core.errors import InvalidRequestError

__all__ = [
    "SigningIdentity", "load_certificate", "certificate_fingerprint",
    "certificate_thumbprint_sha1", "generate_self_signed", "FINGERPRINT_ALGORITHMS",
]

FINGERPRINT_ALGORITHMS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

# A certificate is a few kilobytes; anything far larger is not one and is refused before parsing.
_MAX_CERTIFICATE_BYTES = 64_000
_PEM_BLOCK = re.compile(
    rb"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----"
    rb".+?-----END (?:X509 |TRUSTED )?CERTIFICATE-----",
    re.DOTALL,
)
_BASE64_TEXT = re.compile(rb"^[A-Za-z0-9+/=\s]+$")
# Self-signed certificates start a little in the past so that a relying party whose clock is
# slightly behind does not see them as "not yet valid".
_BACKDATE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class SigningIdentity:
    """An RSA private key and the certificate that carries its public key.

    Serialised forms are computed once per identity and kept (the identity is immutable), so
    signing on the hot path does not re-serialise the key.
    """

    private_key: rsa.RSAPrivateKey = field(repr=False)
    certificate: x509.Certificate

    def __post_init__(self) -> None:
        if not isinstance(self.private_key, rsa.RSAPrivateKey):
            raise InvalidRequestError(
                "The signing key is not an RSA key; this STS signs tokens with RSA keys only."
            )
        public = self.certificate.public_key()
        if not isinstance(public, rsa.RSAPublicKey) or (
            public.public_numbers() != self.private_key.public_key().public_numbers()
        ):
            raise InvalidRequestError(
                "The private key does not belong to the certificate: choose the certificate "
                "that was issued for this key."
            )

    def private_key_pem(self) -> bytes:
        """The key as unencrypted PKCS#8 PEM, for handing to xmlsec; never log or store it."""
        return self._private_key_pem

    def certificate_der(self) -> bytes:
        return self._certificate_der

    def certificate_pem(self) -> bytes:
        return self._certificate_pem

    @cached_property
    def _private_key_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @cached_property
    def _certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @cached_property
    def _certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def load_certificate(data: bytes) -> x509.Certificate:
    """Read an X.509 certificate given as PEM, DER or the base64 text of DER.

    With several PEM certificates the first is returned.
    """
    if isinstance(data, str):
        data = data.encode("ascii", "replace")
    if not isinstance(data, bytes | bytearray):
        raise InvalidRequestError(
            "The certificate could not be read: it must be bytes. "
            "Provide a PEM or DER X.509 certificate."
        )
    data = bytes(data)
    if not data.strip():
        raise InvalidRequestError(
            "The certificate could not be read: it is empty. "
            "Provide a PEM or DER X.509 certificate."
        )
    if len(data) > _MAX_CERTIFICATE_BYTES:
        raise InvalidRequestError(
            f"The certificate could not be read: {len(data)} bytes is too large for a certificate. "
            "Provide a PEM or DER X.509 certificate."
        )
    try:
        if b"-----BEGIN" in data:
            match = _PEM_BLOCK.search(data)
            if match is None:
                raise ValueError("the PEM text holds no CERTIFICATE block (is it a key?)")
            return x509.load_pem_x509_certificate(match.group(0))
        if data[:1] == b"\x30":  # DER starts with an ASN.1 SEQUENCE
            return x509.load_der_x509_certificate(data)
        if _BASE64_TEXT.match(data):
            der = base64.b64decode(b"".join(data.split()), validate=True)
            return x509.load_der_x509_certificate(der)
        raise ValueError("it is neither PEM, DER nor base64 text")
    except (ValueError, binascii.Error) as exc:
        raise InvalidRequestError(
            f"The certificate could not be read: {_reason(exc)}. "
            "Provide a PEM or DER X.509 certificate."
        ) from exc


def _reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def certificate_fingerprint(cert: x509.Certificate, algorithm: str = "sha256") -> str:
    """The certificate's fingerprint as upper-case hex pairs joined by colons."""
    hash_type = FINGERPRINT_ALGORITHMS.get(algorithm.lower().replace("-", ""))
    if hash_type is None:
        raise InvalidRequestError(
            f"Unknown fingerprint algorithm {algorithm!r}; use one of "
            f"{', '.join(FINGERPRINT_ALGORITHMS)}."
        )
    return cert.fingerprint(hash_type()).hex(":").upper()


def certificate_thumbprint_sha1(cert: x509.Certificate) -> bytes:
    """The raw SHA-1 digest of the certificate's DER (WS-Security ThumbprintSHA1 references)."""
    return cert.fingerprint(hashes.SHA1())  # noqa: S303 - an identifier, not a security hash


def generate_self_signed(
    common_name: str,
    *,
    key_size: int = 2048,
    valid_days: int = 3650,
    dns_names: tuple[str, ...] = (),
    ip_addresses: tuple[str, ...] = (),
) -> SigningIdentity:
    """Make a new RSA key and a self-signed SHA-256 certificate for it.

    The certificate carries a SubjectKeyIdentifier, KeyUsage (digitalSignature,
    keyEncipherment) and, when names are given, a SubjectAlternativeName.
    """
    if not common_name or not common_name.strip():
        raise InvalidRequestError("The certificate needs a common name (CN); give one.")
    if key_size < 2048 or key_size > 16384:
        raise InvalidRequestError(
            f"An RSA key of {key_size} bits is not allowed; choose 2048, 3072 or 4096 bits."
        )
    if valid_days < 1:
        raise InvalidRequestError("The certificate must be valid for at least one day.")
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
    for text in ip_addresses:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(text)))
        except ValueError as exc:
            raise InvalidRequestError(
                f"{text!r} is not an IP address; give addresses like 127.0.0.1 or ::1."
            ) from exc
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        # Strict TLS verifiers (Python 3.13's VERIFY_X509_STRICT) want an AKI even when self-signed.
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
    )
    if alt_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
    certificate = builder.sign(key, hashes.SHA256())
    return SigningIdentity(private_key=key, certificate=certificate)
