"""What a person needs to know about an X.509 certificate, read from it without trusting it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    CertificatePoliciesOID,
    ExtendedKeyUsageOID,
    ExtensionOID,
    NameOID,
    SignatureAlgorithmOID,
)

from stsdesk.core.aliases import MAX_ALIAS_LENGTH
from stsdesk.core.certificates import certificate_fingerprint

__all__ = [
    "CertificateDescription", "CertificateStatus", "ExtensionRow", "KeyAlgorithm", "KeyPurpose",
    "describe_certificate", "suggest_alias",
    "MIN_RSA_BITS", "EXPIRY_WARNING_DAYS",
]

# Below this an RSA key is factorable with enough money; NIST has disallowed it since 2013.
MIN_RSA_BITS = 2048
# A certificate this close to its end is flagged, leaving time to get and roll out a new one.
EXPIRY_WARNING_DAYS = 30


class KeyAlgorithm(StrEnum):
    """The kind of public key a certificate carries, named as people and keytool name it."""

    RSA = "RSA"
    EC = "EC"
    DSA = "DSA"
    ED25519 = "Ed25519"
    ED448 = "Ed448"
    UNKNOWN = "unknown"


class CertificateStatus(StrEnum):
    """Where a certificate stands in its validity period at a given moment."""

    VALID = "valid"
    EXPIRES_SOON = "expires soon"  # within EXPIRY_WARNING_DAYS
    EXPIRED = "expired"
    NOT_YET_VALID = "not yet valid"


@dataclass(frozen=True)
class KeyPurpose:
    """One extended key usage: its readable name (as OpenSSL shows it) and its OID."""

    name: str  # e.g. "TLS Web Server Authentication"; the dotted OID when unknown
    oid: str  # e.g. "1.3.6.1.5.5.7.3.1"

    def __str__(self) -> str:
        return self.name if self.name == self.oid else f"{self.name} ({self.oid})"


@dataclass(frozen=True)
class ExtensionRow:
    """One certificate extension, decoded for display."""

    name: str  # e.g. "Basic Constraints"; "Unknown extension" when the OID is not known
    oid: str
    critical: bool
    value: str  # human-readable, e.g. "CA: yes, path length: 0"


# "RSA_WITH_SHA256" -> readable "RSA with SHA256"; unknown OIDs are shown dotted.
_SIGNATURE_NAMES = {
    value: name.replace("_WITH_", " with ").replace("_", "-")
    for name, value in vars(SignatureAlgorithmOID).items()
    if isinstance(value, x509.ObjectIdentifier)
}
_WEAK_SIGNATURE_HASHES = ("md5", "sha1")
_HASH_TITLES = {"md5": "MD5", "sha1": "SHA-1"}
_KEY_USAGES = (
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
    "key_agreement", "key_cert_sign", "crl_sign",
)
# Key usage names as OpenSSL and KeyStore Explorer print them.
_KEY_USAGE_TITLES = {
    "digitalSignature": "Digital Signature", "contentCommitment": "Non Repudiation",
    "keyEncipherment": "Key Encipherment", "dataEncipherment": "Data Encipherment",
    "keyAgreement": "Key Agreement", "keyCertSign": "Certificate Sign", "crlSign": "CRL Sign",
    "encipherOnly": "Encipher Only", "decipherOnly": "Decipher Only",
}
_PURPOSE_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH.dotted_string: "TLS Web Server Authentication",
    ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string: "TLS Web Client Authentication",
    ExtendedKeyUsageOID.CODE_SIGNING.dotted_string: "Code Signing",
    ExtendedKeyUsageOID.EMAIL_PROTECTION.dotted_string: "E-mail Protection",
    ExtendedKeyUsageOID.TIME_STAMPING.dotted_string: "Time Stamping",
    ExtendedKeyUsageOID.OCSP_SIGNING.dotted_string: "OCSP Signing",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE.dotted_string: "Any Extended Key Usage",
    "1.3.6.1.5.5.7.3.5": "IPSec End System",
    "1.3.6.1.5.5.7.3.6": "IPSec Tunnel",
    "1.3.6.1.5.5.7.3.7": "IPSec User",
    "1.3.6.1.5.5.7.3.17": "IPSec Internet Key Exchange",
    "1.3.6.1.5.2.3.4": "Kerberos PKINIT Client Authentication",
    "1.3.6.1.5.2.3.5": "Kerberos PKINIT KDC",
    "1.3.6.1.4.1.311.20.2.2": "Microsoft Smartcard Login",
    "1.3.6.1.4.1.311.10.3.4": "Microsoft Encrypted File System",
    "1.3.6.1.4.1.311.10.3.12": "Microsoft Document Signing",
    "1.3.6.1.4.1.11129.2.4.4": "Certificate Transparency",
}
_EXTENSION_NAMES = {
    ExtensionOID.BASIC_CONSTRAINTS: "Basic Constraints",
    ExtensionOID.KEY_USAGE: "Key Usage",
    ExtensionOID.EXTENDED_KEY_USAGE: "Extended Key Usage",
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME: "Subject Alternative Name",
    ExtensionOID.ISSUER_ALTERNATIVE_NAME: "Issuer Alternative Name",
    ExtensionOID.SUBJECT_KEY_IDENTIFIER: "Subject Key Identifier",
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER: "Authority Key Identifier",
    ExtensionOID.CRL_DISTRIBUTION_POINTS: "CRL Distribution Points",
    ExtensionOID.FRESHEST_CRL: "Freshest CRL",
    ExtensionOID.AUTHORITY_INFORMATION_ACCESS: "Authority Information Access",
    ExtensionOID.SUBJECT_INFORMATION_ACCESS: "Subject Information Access",
    ExtensionOID.CERTIFICATE_POLICIES: "Certificate Policies",
    ExtensionOID.POLICY_CONSTRAINTS: "Policy Constraints",
    ExtensionOID.POLICY_MAPPINGS: "Policy Mappings",
    ExtensionOID.INHIBIT_ANY_POLICY: "Inhibit Any Policy",
    ExtensionOID.NAME_CONSTRAINTS: "Name Constraints",
    ExtensionOID.OCSP_NO_CHECK: "OCSP No Check",
    ExtensionOID.TLS_FEATURE: "TLS Feature",
    ExtensionOID.PRECERT_POISON: "CT Precertificate Poison",
    ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS: "CT Precertificate SCTs",
    ExtensionOID.SUBJECT_DIRECTORY_ATTRIBUTES: "Subject Directory Attributes",
    ExtensionOID.MS_CERTIFICATE_TEMPLATE: "Microsoft Certificate Template",
    x509.ObjectIdentifier("2.5.29.16"): "Private Key Usage Period",
    x509.ObjectIdentifier("2.16.840.1.113730.1.1"): "Netscape Certificate Type",
    x509.ObjectIdentifier("2.16.840.1.113730.1.13"): "Netscape Comment",
    x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2"): "Microsoft Certificate Template Name",
    x509.ObjectIdentifier("1.3.6.1.4.1.311.21.1"): "Microsoft CA Version",
}
_ACCESS_METHODS = {
    AuthorityInformationAccessOID.OCSP: "OCSP",
    AuthorityInformationAccessOID.CA_ISSUERS: "CA Issuers",
    x509.ObjectIdentifier("1.3.6.1.5.5.7.48.5"): "CA Repository",
    x509.ObjectIdentifier("1.3.6.1.5.5.7.48.3"): "Time Stamping",
}
_POLICY_NAMES = {
    CertificatePoliciesOID.ANY_POLICY: "Any Policy",
    x509.ObjectIdentifier("2.23.140.1.2.1"): "CA/B Forum Domain Validated",
    x509.ObjectIdentifier("2.23.140.1.2.2"): "CA/B Forum Organization Validated",
    x509.ObjectIdentifier("2.23.140.1.2.3"): "CA/B Forum Individual Validated",
    x509.ObjectIdentifier("2.23.140.1.1"): "CA/B Forum Extended Validation",
}
_MAX_RAW_SHOWN = 64  # bytes of an unknown extension's value shown as hex before "..."


@dataclass(frozen=True)
class CertificateDescription:
    """A certificate's identity, validity, key, usages, extensions and fingerprints.

    Fingerprints are upper-case hex pairs joined by colons (as KeyStore Explorer and keytool
    show them); the serial number is upper-case hex with an even number of digits
    (``serial_number``) and decimal (``serial_decimal``, a string: serials reach 160 bits).
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
    serial_decimal: str = ""
    issuer_common_name: str | None = None
    extended_key_usage: tuple[KeyPurpose, ...] = ()
    path_length: int | None = None  # Basic Constraints' pathLenConstraint (CA certificates)
    has_basic_constraints: bool = False
    extensions: tuple[ExtensionRow, ...] = ()  # every extension, in certificate order
    extensions_readable: bool = True  # False if the extensions were malformed (none shown)

    @property
    def can_encrypt(self) -> bool:
        """True if tokens and proof keys can be encrypted for it (RSA key transport)."""
        return self.key_algorithm == KeyAlgorithm.RSA

    @property
    def key_usage_titles(self) -> tuple[str, ...]:
        """The key usages as people read them, e.g. "Digital Signature", "Key Encipherment"."""
        return tuple(_KEY_USAGE_TITLES.get(name, name) for name in self.key_usage)

    def is_valid_at(self, when: dt.datetime) -> bool:
        return self.not_before <= when <= self.not_after

    def days_remaining(self, now: dt.datetime | None = None) -> int:
        """Whole days until it expires (0 on its last day, negative once expired)."""
        now = now or dt.datetime.now(dt.UTC)
        return (self.not_after - now) // dt.timedelta(days=1)

    def status(self, now: dt.datetime | None = None) -> CertificateStatus:
        now = now or dt.datetime.now(dt.UTC)
        if now < self.not_before:
            return CertificateStatus.NOT_YET_VALID
        if now > self.not_after:
            return CertificateStatus.EXPIRED
        if self.not_after - now <= dt.timedelta(days=EXPIRY_WARNING_DAYS):
            return CertificateStatus.EXPIRES_SOON
        return CertificateStatus.VALID

    def duplicate_of(self, alias_to_der: Mapping[str, bytes]) -> str | None:
        """The alias under which this very certificate (same DER) is already present, if any."""
        mine = bytes.fromhex(self.sha256_fingerprint.replace(":", ""))
        for alias in sorted(alias_to_der):
            if hashlib.sha256(alias_to_der[alias]).digest() == mine:
                return alias
        return None

    def warnings(
        self,
        now: dt.datetime | None = None,
        *,
        expect_end_entity: bool = False,
        present: Mapping[str, bytes] | None = None,
    ) -> tuple[str, ...]:
        """What an administrator should know before relying on this certificate, as sentences.

        ``expect_end_entity`` flags a CA certificate (a relying party's certificate should be
        its own, not its CA's); ``present`` (alias -> DER of the certificates already stored)
        flags a certificate that is already there under another alias.
        """
        now = now or dt.datetime.now(dt.UTC)
        found: list[str] = []
        if now > self.not_after:
            found.append(
                f"The certificate expired on {self.not_after:%Y-%m-%d %H:%M} UTC: relying "
                "parties reject tokens and signatures tied to an expired certificate. Ask its "
                "owner for a renewed one."
            )
        elif now < self.not_before:
            found.append(
                f"The certificate is not valid before {self.not_before:%Y-%m-%d %H:%M} UTC: until "
                "then it is rejected like an expired one. Check its dates or the clocks involved."
            )
        if self.key_algorithm != KeyAlgorithm.RSA:
            found.append(
                f"The key is {_article(self.key_algorithm)} {self.key_algorithm} key: it cannot be "
                "used to encrypt tokens or proof keys (that needs RSA). Use an RSA certificate for "
                "relying parties that need encrypted tokens."
            )
        elif self.key_size is not None and self.key_size < MIN_RSA_BITS:
            found.append(
                f"The RSA key has only {self.key_size} bits, which is too weak today: it can be "
                "factored, and relying parties and browsers refuse it. Ask for a certificate "
                f"with at least {MIN_RSA_BITS} bits."
            )
        if self.version == 1:
            found.append(
                "This is an X.509 version 1 certificate (no extensions). It works, but a "
                "version 3 certificate is preferred."
            )
        if self.signature_hash in _WEAK_SIGNATURE_HASHES:
            found.append(
                f"The certificate is signed with {self.signature_algorithm}, a weak algorithm: "
                f"{_HASH_TITLES[self.signature_hash]} collisions can be forged, so the signature "
                "proves little and many relying parties and browsers reject it. Prefer one "
                "signed with SHA-256 or better."
            )
        if expect_end_entity and self.is_ca:
            found.append(
                "This is a CA certificate, not a relying party's own certificate: tokens "
                "encrypted for it can be read only by whoever holds the CA's key. Import the "
                "relying party's end-entity certificate instead."
            )
        if present:
            alias = self.duplicate_of(present)
            if alias is not None:
                found.append(
                    f"This certificate is already present under the alias {alias!r}; a second "
                    "copy only makes it harder to replace later. Use that alias instead."
                )
        return tuple(found)


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


def describe_certificate(cert: x509.Certificate) -> CertificateDescription:
    """Describe ``cert``; never raises for malformed extensions (they are left out)."""
    key_algorithm, key_size, curve = _key_facts(cert)
    extensions = _extensions(cert)
    basic = _find(extensions, x509.BasicConstraints)
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
        is_ca=bool(basic is not None and basic.ca),
        key_usage=_key_usage(extensions),
        subject_alt_names=_alt_names(extensions),
        serial_decimal=str(cert.serial_number),
        issuer_common_name=_common_name(cert.issuer),
        extended_key_usage=_extended_key_usage(extensions),
        path_length=basic.path_length if basic is not None else None,
        has_basic_constraints=basic is not None,
        extensions=_extension_rows(extensions),
        extensions_readable=extensions is not None,
    )


# ----------------------------------------------------------------------------- aliases


def suggest_alias(cert: x509.Certificate | CertificateDescription) -> str:
    """An alias to pre-fill: the subject's CN lower-cased and reduced to [a-z0-9._-].

    Falls back to the organisation, the first DNS name, and finally "cert-" and the start of
    the SHA-256 fingerprint, so the result is never empty and always passes aliases.validate_alias
    (uniqueness aside).
    """
    described = cert if isinstance(cert, CertificateDescription) else describe_certificate(cert)
    candidates = [described.common_name or ""]
    candidates += [value for key, value in _rdn_values(described.subject) if key == "O"]
    candidates += [name[4:] for name in described.subject_alt_names if name.startswith("DNS:")]
    for candidate in candidates:
        alias = _reduce(candidate)
        if alias:
            return alias
    return "cert-" + described.sha256_fingerprint.replace(":", "")[:12].lower()


def _reduce(text: str) -> str:
    # "Zürich RP" -> "zurich-rp"; accents are dropped rather than the whole letter.
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    alias = re.sub(r"[^a-z0-9._-]+", "-", ascii_text.lower())
    alias = re.sub(r"-{2,}", "-", alias).strip("-.")
    return alias[:MAX_ALIAS_LENGTH].rstrip("-.")


def _rdn_values(rfc4514: str) -> list[tuple[str, str]]:
    pairs = []
    for part in re.split(r"(?<!\\),", rfc4514):
        key, _, value = part.partition("=")
        pairs.append((key.strip(), value.replace("\\", "").strip()))
    return pairs


# ----------------------------------------------------------------------------- reading


def _hex(number: int) -> str:
    # RFC 5280 wants positive serials, but old tools wrote negative ones; show them signed.
    text = format(abs(number), "X")
    text = text if len(text) % 2 == 0 else "0" + text
    return "-" + text if number < 0 else text


def _colon_hex(data: bytes) -> str:
    return data.hex(":").upper()


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


def _find(extensions: x509.Extensions | None, kind: type[Any]) -> Any:
    if extensions is None:
        return None
    try:
        return extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
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


def _key_usage(extensions: x509.Extensions | None) -> tuple[str, ...]:
    usage = _find(extensions, x509.KeyUsage)
    return () if usage is None else _key_usage_names(usage)


def _key_usage_names(usage: x509.KeyUsage) -> tuple[str, ...]:
    names = [_camel(name) for name in _KEY_USAGES if getattr(usage, name)]
    if usage.key_agreement:  # encipher_only/decipher_only are defined only with key_agreement
        names += [_camel(n) for n in ("encipher_only", "decipher_only") if getattr(usage, n)]
    return tuple(names)


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _extended_key_usage(extensions: x509.Extensions | None) -> tuple[KeyPurpose, ...]:
    usage = _find(extensions, x509.ExtendedKeyUsage)
    return () if usage is None else tuple(_purpose(oid) for oid in usage)


def _purpose(oid: x509.ObjectIdentifier) -> KeyPurpose:
    dotted = oid.dotted_string
    return KeyPurpose(_PURPOSE_NAMES.get(dotted, dotted), dotted)


def _alt_names(extensions: x509.Extensions | None) -> tuple[str, ...]:
    names = _find(extensions, x509.SubjectAlternativeName)
    return () if names is None else tuple(_general_name(name) for name in names)


def _general_name(name: x509.GeneralName) -> str:
    if isinstance(name, x509.DNSName):
        return f"DNS:{name.value}"
    if isinstance(name, x509.IPAddress):
        return f"IP:{name.value}"
    if isinstance(name, x509.UniformResourceIdentifier):
        return f"URI:{name.value}"
    if isinstance(name, x509.RFC822Name):
        return f"email:{name.value}"
    if isinstance(name, x509.DirectoryName):
        return f"DirName:{name.value.rfc4514_string()}"
    if isinstance(name, x509.RegisteredID):
        return f"RID:{name.value.dotted_string}"
    if isinstance(name, x509.OtherName):
        if name.type_id.dotted_string == "1.3.6.1.4.1.311.20.2.3":  # Microsoft UPN
            return f"UPN:{_der_string(name.value)}"
        return f"othername:{name.type_id.dotted_string}"
    return str(name)


def _der_string(der: bytes) -> str:
    # An otherName's value is [0] EXPLICIT { UTF8String }; show its text if it is that simple.
    if len(der) >= 4 and der[0] == 0xA0 and der[2] in (0x0C, 0x16, 0x13) and der[3] < 0x80:
        return der[4:4 + der[3]].decode("utf-8", "replace")
    return _colon_hex(der)


def _names(names: Any) -> str:
    return ", ".join(_general_name(name) for name in names)


# ----------------------------------------------------------------------------- extensions


def _extension_rows(extensions: x509.Extensions | None) -> tuple[ExtensionRow, ...]:
    if extensions is None:
        return ()
    rows = []
    for extension in extensions:
        name = _EXTENSION_NAMES.get(extension.oid, "Unknown extension")
        try:
            value = _extension_value(extension.value)
        except (ValueError, TypeError, AttributeError):
            # A decoder that meets something unexpected shows the raw bytes, never fails.
            value = _raw(extension.value)
        rows.append(ExtensionRow(name, extension.oid.dotted_string, extension.critical, value))
    return tuple(rows)


def _extension_value(value: x509.ExtensionType) -> str:
    for kind, render in _RENDERERS:
        if isinstance(value, kind):
            return render(value)
    return _raw(value)


def _raw(value: x509.ExtensionType) -> str:
    try:
        der = value.public_bytes()
    except (ValueError, NotImplementedError, AttributeError):
        return repr(value)
    shown = _colon_hex(der[:_MAX_RAW_SHOWN])
    more = f" ... ({len(der)} bytes)" if len(der) > _MAX_RAW_SHOWN else ""
    return f"DER: {shown}{more}"


def _basic_constraints(value: x509.BasicConstraints) -> str:
    if not value.ca:
        return "CA: no (an end-entity certificate)"
    limit = "unlimited" if value.path_length is None else str(value.path_length)
    return f"CA: yes, path length: {limit}"


def _key_usage_text(value: x509.KeyUsage) -> str:
    return ", ".join(_KEY_USAGE_TITLES[name] for name in _key_usage_names(value)) or "none"


def _authority_key_identifier(value: x509.AuthorityKeyIdentifier) -> str:
    parts = []
    if value.key_identifier is not None:
        parts.append(f"Key ID: {_colon_hex(value.key_identifier)}")
    if value.authority_cert_issuer:
        parts.append(f"Issuer: {_names(value.authority_cert_issuer)}")
    if value.authority_cert_serial_number is not None:
        parts.append(f"Serial: {_hex(value.authority_cert_serial_number)}")
    return "; ".join(parts) or "empty"


def _distribution_points(value: x509.CRLDistributionPoints | x509.FreshestCRL) -> str:
    shown = []
    for point in value:
        if point.full_name:
            shown.append(_names(point.full_name))
        elif point.relative_name is not None:
            shown.append(f"relative name {point.relative_name.rfc4514_string()}")
        if point.crl_issuer:
            shown.append(f"CRL issuer {_names(point.crl_issuer)}")
    return ", ".join(shown) or "none"


def _access(value: x509.AuthorityInformationAccess | x509.SubjectInformationAccess) -> str:
    return ", ".join(
        f"{_ACCESS_METHODS.get(item.access_method, item.access_method.dotted_string)} - "
        f"{_general_name(item.access_location)}"
        for item in value
    )


def _policies(value: x509.CertificatePolicies) -> str:
    shown = []
    for policy in value:
        oid = policy.policy_identifier
        text = _POLICY_NAMES.get(oid, "Policy")
        text = f"{text} ({oid.dotted_string})"
        for qualifier in policy.policy_qualifiers or ():
            if isinstance(qualifier, str):
                text += f", CPS: {qualifier}"
            elif qualifier.explicit_text:
                text += f", notice: {qualifier.explicit_text}"
        shown.append(text)
    return "; ".join(shown)


def _name_constraints(value: x509.NameConstraints) -> str:
    parts = []
    if value.permitted_subtrees:
        parts.append(f"Permitted: {_names(value.permitted_subtrees)}")
    if value.excluded_subtrees:
        parts.append(f"Excluded: {_names(value.excluded_subtrees)}")
    return "; ".join(parts) or "none"


def _policy_constraints(value: x509.PolicyConstraints) -> str:
    parts = []
    if value.require_explicit_policy is not None:
        parts.append(f"require explicit policy after {value.require_explicit_policy}")
    if value.inhibit_policy_mapping is not None:
        parts.append(f"inhibit policy mapping after {value.inhibit_policy_mapping}")
    return ", ".join(parts) or "none"


_RENDERERS: tuple[tuple[type[Any], Callable[[Any], str]], ...] = (
    (x509.BasicConstraints, _basic_constraints),
    (x509.KeyUsage, _key_usage_text),
    (x509.ExtendedKeyUsage, lambda v: ", ".join(str(_purpose(oid)) for oid in v)),
    (x509.SubjectAlternativeName, _names),
    (x509.IssuerAlternativeName, _names),
    (x509.SubjectKeyIdentifier, lambda v: _colon_hex(v.digest)),
    (x509.AuthorityKeyIdentifier, _authority_key_identifier),
    (x509.CRLDistributionPoints, _distribution_points),
    (x509.FreshestCRL, _distribution_points),
    (x509.AuthorityInformationAccess, _access),
    (x509.SubjectInformationAccess, _access),
    (x509.CertificatePolicies, _policies),
    (x509.NameConstraints, _name_constraints),
    (x509.PolicyConstraints, _policy_constraints),
    (x509.InhibitAnyPolicy, lambda v: f"skip certs: {v.skip_certs}"),
    (x509.OCSPNoCheck, lambda v: "present: OCSP responses signed with it are not checked"),
    (x509.PrecertPoison, lambda v: "present: this is a precertificate, not for use"),
    (x509.PrecertificateSignedCertificateTimestamps,
     lambda v: f"{len(v)} signed certificate timestamp(s)"),
    (x509.TLSFeature, lambda v: ", ".join(feature.name for feature in v)),
    (x509.MSCertificateTemplate,
     lambda v: f"template {v.template_id.dotted_string}, "
               f"version {v.major_version}.{v.minor_version}"),
)
