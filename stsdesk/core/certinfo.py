"""What a person needs to know about an X.509 certificate, read from it without trusting it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from stsdesk.core.certs import certificate_fingerprint

__all__ = ["CertificateDescription", "KeyAlgorithm", "describe_certificate", "MIN_RSA_BITS"]

# Below this an RSA key is factorable with enough money; NIST has disallowed it since 2013.
MIN_RSA_BITS = 2048


class KeyAlgorithm(StrEnum):
    """The kind of public key a certificate carries, named as people and keytool name it."""

    RSA = "RSA"
    EC = "EC"
    DSA = "DSA"
    ED25519 = "Ed25519"
    ED448 = "Ed448"
    UNKNOWN = "unknown"


# "RSA_WITH_SHA256" -> readable "RSA with SHA256"; unknown OIDs are shown dotted.
_SIGNATURE_NAMES = {
    value: name.replace("_WITH_", " with ").replace("_", "-")
    for name, value in vars(SignatureAlgorithmOID).items()
    if isinstance(value, x509.ObjectIdentifier)
}
_WEAK_SIGNATURE_HASHES = ("md5", "sha1")
_KEY_USAGES = (
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
    "key_agreement", "key_cert_sign", "crl_sign",
)


@dataclass(frozen=True)
class CertificateDescription:
    """A certificate's identity, validity, key and fingerprints, ready to show or serialise.

    Fingerprints are upper-case hex pairs joined by colons (as KeyStore Explorer and keytool
    show them); the serial number is upper-case hex with an even number of digits.
    """

    subject: str  # RFC 4514, e.g. "CN=rp.example.org,O=Example"
    issuer: str
    common_name: str | None
    serial_number: str
    not_before: dt.datetime  # aware, UTC
    not_after: dt.datetime
    sha256_fingerprint: str
    sha1_fingerprint: str
    key_algorithm: KeyAlgorithm
    key_size: int | None  # bits of the modulus (RSA) or of the curve (EC)
    curve: str | None  # the EC curve's name, e.g. "secp256r1"
    version: int  # 1 or 3
    signature_algorithm: str
    signature_hash: str | None  # "sha256", "sha1", "md5"...; None for EdDSA or unknown
    self_signed: bool
    is_ca: bool
    key_usage: tuple[str, ...]  # camelCase names as in RFC 5280, e.g. "keyEncipherment"
    subject_alt_names: tuple[str, ...]  # "DNS:host", "IP:127.0.0.1", "URI:...", "email:..."

    @property
    def can_encrypt(self) -> bool:
        """True if tokens and proof keys can be encrypted for it (RSA key transport)."""
        return self.key_algorithm == KeyAlgorithm.RSA

    def is_valid_at(self, when: dt.datetime) -> bool:
        return self.not_before <= when <= self.not_after

    def warnings(self, now: dt.datetime | None = None) -> tuple[str, ...]:
        """What an administrator should know before relying on this certificate, as sentences."""
        now = now or dt.datetime.now(dt.UTC)
        found: list[str] = []
        if now > self.not_after:
            found.append(
                f"The certificate expired on {self.not_after:%Y-%m-%d %H:%M} UTC; ask its owner "
                "for a renewed one."
            )
        elif now < self.not_before:
            found.append(
                f"The certificate is not valid before {self.not_before:%Y-%m-%d %H:%M} UTC; "
                "check its dates or the clocks involved."
            )
        if self.key_algorithm != KeyAlgorithm.RSA:
            found.append(
                f"The key is {_article(self.key_algorithm)} {self.key_algorithm} key: it cannot be "
                "used to encrypt tokens or proof keys (that needs RSA). Use an RSA certificate for "
                "relying parties that need encrypted tokens."
            )
        elif self.key_size is not None and self.key_size < MIN_RSA_BITS:
            found.append(
                f"The RSA key has only {self.key_size} bits, which is too weak today; ask for a "
                f"certificate with at least {MIN_RSA_BITS} bits."
            )
        if self.version == 1:
            found.append(
                "This is an X.509 version 1 certificate (no extensions). It works, but a "
                "version 3 certificate is preferred."
            )
        if self.signature_hash in _WEAK_SIGNATURE_HASHES:
            found.append(
                f"The certificate is signed with {self.signature_algorithm}, a weak algorithm; "
                "prefer one signed with SHA-256 or better."
            )
        return tuple(found)


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


def describe_certificate(cert: x509.Certificate) -> CertificateDescription:
    """Describe ``cert``; never raises for malformed extensions (they are left out)."""
    key_algorithm, key_size, curve = _key_facts(cert)
    extensions = _extensions(cert)
    return CertificateDescription(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        common_name=_common_name(cert.subject),
        serial_number=_hex(cert.serial_number),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256_fingerprint=certificate_fingerprint(cert, "sha256"),
        sha1_fingerprint=certificate_fingerprint(cert, "sha1"),
        key_algorithm=key_algorithm,
        key_size=key_size,
        curve=curve,
        version=1 if cert.version is x509.Version.v1 else 3,
        signature_algorithm=_SIGNATURE_NAMES.get(
            cert.signature_algorithm_oid, cert.signature_algorithm_oid.dotted_string
        ),
        signature_hash=_signature_hash(cert),
        self_signed=_self_signed(cert),
        is_ca=_is_ca(extensions),
        key_usage=_key_usage(extensions),
        subject_alt_names=_alt_names(extensions),
    )


def _hex(number: int) -> str:
    # RFC 5280 wants positive serials, but old tools wrote negative ones; show them signed.
    text = format(abs(number), "X")
    text = text if len(text) % 2 == 0 else "0" + text
    return "-" + text if number < 0 else text


def _common_name(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _key_facts(cert: x509.Certificate) -> tuple[KeyAlgorithm, int | None, str | None]:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return KeyAlgorithm.UNKNOWN, None, None
    if isinstance(key, rsa.RSAPublicKey):
        return KeyAlgorithm.RSA, key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return KeyAlgorithm.EC, key.curve.key_size, key.curve.name
    if isinstance(key, dsa.DSAPublicKey):
        return KeyAlgorithm.DSA, key.key_size, None
    if isinstance(key, ed25519.Ed25519PublicKey):
        return KeyAlgorithm.ED25519, 256, None
    if isinstance(key, ed448.Ed448PublicKey):
        return KeyAlgorithm.ED448, 456, None
    return KeyAlgorithm.UNKNOWN, None, None


def _extensions(cert: x509.Certificate) -> x509.Extensions | None:
    # An uploaded certificate may carry a malformed or duplicated extension; it can still be
    # described (and the parts that cannot be read are simply not shown).
    try:
        return cert.extensions
    except ValueError:
        return None


def _signature_hash(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None
    return None if algorithm is None else algorithm.name


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.subject != cert.issuer:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _is_ca(extensions: x509.Extensions | None) -> bool:
    if extensions is None:
        return False
    try:
        return bool(extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _key_usage(extensions: x509.Extensions | None) -> tuple[str, ...]:
    if extensions is None:
        return ()
    try:
        usage = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return ()
    names = [_camel(name) for name in _KEY_USAGES if getattr(usage, name)]
    if usage.key_agreement:  # encipher_only/decipher_only are defined only with key_agreement
        names += [_camel(n) for n in ("encipher_only", "decipher_only") if getattr(usage, n)]
    return tuple(names)


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _alt_names(extensions: x509.Extensions | None) -> tuple[str, ...]:
    if extensions is None:
        return ()
    try:
        names = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    shown: list[str] = []
    for name in names:
        if isinstance(name, x509.DNSName):
            shown.append(f"DNS:{name.value}")
        elif isinstance(name, x509.IPAddress):
            shown.append(f"IP:{name.value}")
        elif isinstance(name, x509.UniformResourceIdentifier):
            shown.append(f"URI:{name.value}")
        elif isinstance(name, x509.RFC822Name):
            shown.append(f"email:{name.value}")
        elif isinstance(name, x509.DirectoryName):
            shown.append(f"DirName:{name.value.rfc4514_string()}")
    return tuple(shown)
