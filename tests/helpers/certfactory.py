"""Test certificates and keystores in every format stsdesk reads, plus broken files.

Everything is made with ``cryptography`` (and ``pyjks`` for Java keystores), never with the code
under test. Keys are cached per name for the session (RSA generation is the slow part).

Typical use::

    files = write_all(tmp_path)            # every format, every broken variant
    read_certificates(files.p12.read_bytes(), filename=files.p12.name, password=PASSWORD)

    chain = make_chain()                   # root -> intermediate -> leaf
    write_pem(tmp_path / "chain.pem", chain.leaf.certificate, chain.intermediate.certificate)
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jks
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "PASSWORD", "Issued", "Chain", "CertificateFiles", "rsa_key", "ec_key", "issue", "make_chain",
    "expired", "not_yet_valid", "weak_rsa", "sha1_signed", "ca_certificate", "pem", "der",
    "write_pem", "write_der", "write_base64", "write_p7b", "write_p12", "write_jks",
    "write_truncated", "write_garbage", "write_pem_with_key", "write_all", "NOW",
]

PASSWORD = "s3cret-Pa55"  # the password of every keystore written here
NOW = dt.datetime.now(dt.UTC)
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Issued:
    """A certificate and the private key of its subject."""

    certificate: x509.Certificate
    private_key: CertificateIssuerPrivateKeyTypes

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class Chain:
    root: Issued
    intermediate: Issued
    leaf: Issued

    @property
    def certificates(self) -> tuple[x509.Certificate, ...]:
        """Leaf first, as a TLS server presents them."""
        return (self.leaf.certificate, self.intermediate.certificate, self.root.certificate)


@cache
def rsa_key(name: str = "default", bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@cache
def ec_key(name: str = "default") -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def issue(
    common_name: str,
    *,
    key: CertificateIssuerPrivateKeyTypes | None = None,
    issuer: Issued | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    ca: bool = False,
    path_length: int | None = None,
    dns_names: Sequence[str] = (),
    ip_addresses: Sequence[str] = (),
    server_auth: bool = False,
    serial: int | None = None,
    organization: str | None = None,
) -> Issued:
    """A certificate for ``common_name`` (self-signed unless ``issuer``), SHA-256, v3.

    End-entity certificates get KeyUsage digitalSignature+keyEncipherment; CA certificates get
    keyCertSign+cRLSign and BasicConstraints CA:TRUE. Both get SKI and AKI.
    """
    key = key if key is not None else rsa_key(common_name)
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    subject = x509.Name(attributes)
    signer_key = issuer.private_key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(not_before or NOW - _DAY)
        .not_valid_after(not_after or NOW + 365 * _DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None),
                       critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca, content_commitment=False, key_encipherment=not ca,
                data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()),
            critical=False,
        )
    )
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if server_auth:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                   ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
    algorithm = None if _is_eddsa(signer_key) else hashes.SHA256()
    return Issued(builder.sign(signer_key, algorithm), key)


def _is_eddsa(key: object) -> bool:
    return not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)


@cache
def make_chain(prefix: str = "test") -> Chain:
    """root CA -> intermediate CA -> leaf (localhost, 127.0.0.1, serverAuth), made once."""
    root = issue(f"{prefix} Root CA", ca=True, path_length=1, organization="Stsdesk Tests")
    intermediate = issue(f"{prefix} Intermediate CA", issuer=root, ca=True, path_length=0,
                         organization="Stsdesk Tests")
    leaf = issue("localhost", key=rsa_key(f"{prefix}-leaf"), issuer=intermediate,
                 dns_names=("localhost",), ip_addresses=("127.0.0.1",), server_auth=True)
    return Chain(root, intermediate, leaf)


def expired(common_name: str = "expired.example.org") -> Issued:
    return issue(common_name, not_before=NOW - 400 * _DAY, not_after=NOW - 5 * _DAY)


def not_yet_valid(common_name: str = "future.example.org") -> Issued:
    return issue(common_name, not_before=NOW + 10 * _DAY, not_after=NOW + 400 * _DAY)


def weak_rsa(common_name: str = "weak.example.org") -> Issued:
    return issue(common_name, key=rsa_key(common_name, 1024))


def ca_certificate(common_name: str = "Example Root CA") -> Issued:
    return issue(common_name, ca=True, path_length=0)


def sha1_signed(common_name: str = "sha1.example.org") -> Issued:
    """A self-signed certificate signed with RSA-SHA1.

    cryptography refuses to sign certificates with SHA-1, so a SHA-256 certificate is made and
    re-signed by hand: both AlgorithmIdentifiers have the same length, so only bytes change.
    """
    key = rsa_key(common_name)
    original = issue(common_name, key=key)
    sha256_rsa = bytes.fromhex("300d06092a864886f70d01010b0500")
    sha1_rsa = bytes.fromhex("300d06092a864886f70d0101050500")
    tbs = original.certificate.tbs_certificate_bytes.replace(sha256_rsa, sha1_rsa, 1)
    signature = key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    body = tbs + sha1_rsa + _der(0x03, b"\x00" + signature)
    return Issued(x509.load_der_x509_certificate(_der(0x30, body)), key)


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + content


# ----------------------------------------------------------------------------- encodings


def pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certificates)


def der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def write_pem(path: Path, *certificates: x509.Certificate) -> Path:
    path.write_bytes(pem(*certificates))
    return path


def write_der(path: Path, certificate: x509.Certificate) -> Path:
    path.write_bytes(der(certificate))
    return path


def write_base64(path: Path, certificate: x509.Certificate) -> Path:
    """Bare base64 of the DER, as WSO2's API and some portals hand it out."""
    path.write_bytes(base64.encodebytes(der(certificate)))
    return path


def write_p7b(path: Path, certificates: Iterable[x509.Certificate], *, as_pem: bool) -> Path:
    encoding = serialization.Encoding.PEM if as_pem else serialization.Encoding.DER
    path.write_bytes(pkcs7.serialize_certificates(list(certificates), encoding))
    return path


def write_p12(
    path: Path,
    issued: Issued | None,
    *,
    cas: Sequence[x509.Certificate] = (),
    password: str | None = PASSWORD,
    name: str = "rp-key",
    ca_names: Sequence[str] = (),
) -> Path:
    """A PKCS#12 file with ``issued``'s key and certificate (or none) and ``cas``, AES-256."""
    encryption = (
        serialization.BestAvailableEncryption(password.encode()) if password
        else serialization.NoEncryption()
    )
    extra = [
        pkcs12.PKCS12Certificate(cert, ca_names[i].encode() if i < len(ca_names) else None)
        for i, cert in enumerate(cas)
    ]
    data = pkcs12.serialize_key_and_certificates(
        name.encode() if issued else None,
        issued.private_key if issued else None,  # type: ignore[arg-type]
        issued.certificate if issued else None,
        extra or None,
        encryption,
    )
    path.write_bytes(data)
    return path


def write_jks(
    path: Path,
    *,
    keys: dict[str, tuple[Issued, Sequence[x509.Certificate]]] | None = None,
    trusted: dict[str, x509.Certificate] | None = None,
    password: str = PASSWORD,
) -> Path:
    """A JKS keystore: ``keys`` alias -> (key pair, CA certificates after it), ``trusted`` alias ->
    certificate."""
    entries: list[object] = []
    for alias, (issued, cas) in (keys or {}).items():
        pkcs8 = issued.private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        chain = [der(issued.certificate), *(der(cert) for cert in cas)]
        entries.append(jks.PrivateKeyEntry.new(alias, chain, pkcs8, "pkcs8"))
    for alias, cert in (trusted or {}).items():
        entries.append(jks.TrustedCertEntry.new(alias, der(cert)))
    path.write_bytes(jks.KeyStore.new("jks", entries).saves(password))
    return path


def write_pem_with_key(path: Path, issued: Issued, *, password: str | None = None) -> Path:
    """The certificate followed by its private key (PKCS#8, encrypted if ``password``)."""
    encryption = (
        serialization.BestAvailableEncryption(password.encode()) if password
        else serialization.NoEncryption()
    )
    key = issued.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    path.write_bytes(pem(issued.certificate) + key)
    return path


def write_truncated(path: Path, source: Path, *, keep: float = 0.6) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def write_garbage(path: Path, size: int = 700) -> Path:
    """Bytes in no certificate format (deterministic, so failures reproduce)."""
    path.write_bytes(bytes((i * 131 + 7) % 251 for i in range(size)))
    return path


# ----------------------------------------------------------------------------- all at once


@dataclass(frozen=True)
class CertificateFiles:
    """Paths of one file per format and per problem, written by write_all()."""

    chain: Chain
    rp: Issued  # the relying party's self-signed certificate in most files
    pem_single: Path
    pem_multi: Path  # leaf, intermediate, root
    der: Path
    cer_pem: Path  # a .cer holding PEM text
    crt_der: Path  # a .crt holding DER
    base64_der: Path
    p7b_pem: Path
    p7b_der: Path
    p12: Path  # rp key + the chain's CA certificates, PASSWORD
    p12_no_password: Path
    p12_trust_only: Path  # two CA certificates with friendly names, no key
    jks: Path  # key entry "rp-key" (chain leaf + intermediate) and trusted "rp-cert", PASSWORD
    pem_with_key: Path
    pem_with_encrypted_key: Path  # PASSWORD
    expired: Path
    not_yet_valid: Path
    weak_rsa: Path
    sha1: Path
    ca: Path
    truncated_der: Path
    truncated_pem: Path
    truncated_p12: Path
    truncated_jks: Path
    garbage: Path
    garbage_p12: Path  # garbage named .p12
    empty: Path
    key_only: Path  # PEM with a private key and no certificate


def write_all(directory: Path) -> CertificateFiles:
    """Write every kind of file into ``directory`` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    chain = make_chain()
    rp = issue("rp.example.org", dns_names=("rp.example.org",), organization="Example")
    cas = [chain.intermediate.certificate, chain.root.certificate]
    d = directory
    p12 = write_p12(d / "rp.p12", chain.leaf, cas=cas, name="rp-key")
    jks_path = write_jks(
        d / "store.jks",
        keys={"rp-key": (chain.leaf, [chain.intermediate.certificate])},
        trusted={"rp-cert": rp.certificate},
    )
    pem_multi = write_pem(d / "chain.pem", *chain.certificates)
    der_path = write_der(d / "rp.der", rp.certificate)
    key_only = d / "key-only.pem"
    key_only.write_bytes(rp.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    (d / "empty.cer").write_bytes(b"")
    return CertificateFiles(
        chain=chain,
        rp=rp,
        pem_single=write_pem(d / "rp.pem", rp.certificate),
        pem_multi=pem_multi,
        der=der_path,
        cer_pem=write_pem(d / "rp-pem.cer", rp.certificate),
        crt_der=write_der(d / "rp-der.crt", rp.certificate),
        base64_der=write_base64(d / "rp.b64", rp.certificate),
        p7b_pem=write_p7b(d / "chain-pem.p7b", chain.certificates, as_pem=True),
        p7b_der=write_p7b(d / "chain-der.p7b", chain.certificates, as_pem=False),
        p12=p12,
        p12_no_password=write_p12(d / "open.p12", rp, password=None, name="open"),
        p12_trust_only=write_p12(d / "trust.p12", None, cas=cas,
                                 ca_names=["intermediate", "root"]),
        jks=jks_path,
        pem_with_key=write_pem_with_key(d / "rp-and-key.pem", rp),
        pem_with_encrypted_key=write_pem_with_key(d / "rp-and-locked-key.pem", rp,
                                                  password=PASSWORD),
        expired=write_pem(d / "expired.pem", expired().certificate),
        not_yet_valid=write_pem(d / "future.pem", not_yet_valid().certificate),
        weak_rsa=write_pem(d / "weak.pem", weak_rsa().certificate),
        sha1=write_pem(d / "sha1.pem", sha1_signed().certificate),
        ca=write_pem(d / "ca.pem", ca_certificate().certificate),
        truncated_der=write_truncated(d / "truncated.der", der_path),
        truncated_pem=write_truncated(d / "truncated.pem", pem_multi, keep=0.2),
        truncated_p12=write_truncated(d / "truncated.p12", p12),
        truncated_jks=write_truncated(d / "truncated.jks", jks_path),
        garbage=write_garbage(d / "garbage.bin"),
        garbage_p12=write_garbage(d / "garbage.p12"),
        empty=d / "empty.cer",
        key_only=key_only,
    )
