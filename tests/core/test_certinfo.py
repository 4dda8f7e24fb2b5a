"""describe_certificate: the facts shown for a certificate, checked against independent sources."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from stsdesk.core.certinfo import CertificateDescription, KeyAlgorithm, describe_certificate
from tests.core.pki import identity

NOW = dt.datetime.now(dt.UTC)


def _colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02X}" for b in digest)


def _build(key, signer=None, *, issuer="Test CA", subject="leaf.example.org", serial=0x0ABC,
           before=NOW - dt.timedelta(days=1), after=NOW + dt.timedelta(days=30),
           extensions=(), algorithm=None):
    signer = signer or key
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject),
                                 x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example")]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(before)
        .not_valid_after(after)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signer, algorithm)


def test_rsa_self_signed_certificate_is_described_exactly():
    cert = identity("certinfo-rsa").certificate
    der = cert.public_bytes(Encoding.DER)
    described = describe_certificate(cert)
    assert described.subject == "CN=certinfo-rsa"
    assert described.issuer == "CN=certinfo-rsa"
    assert described.common_name == "certinfo-rsa"
    assert int(described.serial_number, 16) == cert.serial_number
    assert len(described.serial_number) % 2 == 0
    assert described.sha256_fingerprint == _colon_hex(hashlib.sha256(der).digest())
    assert described.sha1_fingerprint == _colon_hex(hashlib.sha1(der).digest())
    assert described.key_algorithm is KeyAlgorithm.RSA
    assert described.key_size == 2048
    assert described.curve is None
    assert described.version == 3
    assert described.signature_algorithm == "RSA with SHA256"
    assert described.signature_hash == "sha256"
    assert described.self_signed is True
    assert described.is_ca is False
    assert described.key_usage == ("digitalSignature", "keyEncipherment")
    assert described.can_encrypt is True
    assert described.not_before.tzinfo is not None
    assert described.is_valid_at(NOW)
    assert described.warnings(NOW) == ()


def test_certificate_issued_by_another_key_is_not_self_signed_and_shows_its_extensions():
    ca_key = ec.generate_private_key(ec.SECP384R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    cert = _build(
        leaf_key, ca_key, algorithm=hashes.SHA384(),
        extensions=[
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (x509.SubjectAlternativeName([
                x509.DNSName("leaf.example.org"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.UniformResourceIdentifier("https://leaf.example.org/"),
                x509.RFC822Name("ops@example.org"),
            ]), False),
        ],
    )
    described = describe_certificate(cert)
    assert described.subject == "O=Example,CN=leaf.example.org"
    assert described.issuer == "CN=Test CA"
    assert described.self_signed is False
    assert described.key_algorithm is KeyAlgorithm.EC
    assert (described.key_size, described.curve) == (256, "secp256r1")
    assert described.signature_algorithm == "ECDSA with SHA384"
    assert described.subject_alt_names == (
        "DNS:leaf.example.org", "IP:127.0.0.1", "URI:https://leaf.example.org/",
        "email:ops@example.org",
    )
    assert described.serial_number == "0ABC"
    assert described.can_encrypt is False
    (warning,) = described.warnings(NOW)
    assert "cannot be used to encrypt" in warning and "an EC key" in warning


def test_ca_certificate_is_flagged():
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _build(key, issuer="leaf.example.org", algorithm=hashes.SHA256(),
                  extensions=[(x509.BasicConstraints(ca=True, path_length=0), True)])
    assert describe_certificate(cert).is_ca is True


def test_ed25519_certificate_has_no_signature_hash():
    key = ed25519.Ed25519PrivateKey.generate()
    described = describe_certificate(_build(key))
    assert described.key_algorithm is KeyAlgorithm.ED25519
    assert described.signature_hash is None
    assert described.signature_algorithm == "ED25519"
    assert any("Ed25519 key" in w for w in described.warnings(NOW))


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (NOW - dt.timedelta(days=30), NOW - dt.timedelta(days=1), "expired on"),
        (NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=30), "not valid before"),
    ],
)
def test_validity_warnings(before, after, expected):
    key = ec.generate_private_key(ec.SECP256R1())
    described = describe_certificate(_build(key, before=before, after=after,
                                            algorithm=hashes.SHA256()))
    assert not described.is_valid_at(NOW)
    assert any(expected in w for w in described.warnings(NOW))


def test_weak_and_old_certificates_are_warned_about():
    base: CertificateDescription = describe_certificate(identity("certinfo-rsa").certificate)
    weak = dataclasses.replace(base, signature_hash="sha1", signature_algorithm="RSA with SHA1",
                               key_size=1024, version=1)
    warnings = " ".join(weak.warnings(NOW))
    assert "RSA with SHA1, a weak algorithm" in warnings
    assert "only 1024 bits" in warnings
    assert "version 1" in warnings


def test_negative_serial_is_shown_signed():
    from stsdesk.core.certinfo import _hex

    assert _hex(-0x62ED740D) == "-62ED740D"
    assert _hex(0xF) == "0F"
