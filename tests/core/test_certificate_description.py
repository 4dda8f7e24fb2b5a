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
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from stsdesk.core.aliases import ALIAS_PATTERN, validate_alias
from stsdesk.core.certificate_description import (
    CertificateDescription,
    CertificateStatus,
    KeyAlgorithm,
    KeyPurpose,
    describe_certificate,
    suggest_alias,
)
from tests.core.pki import identity
from tests.helpers import certfactory

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
    from stsdesk.core.certificate_description import _hex

    assert _hex(-0x62ED740D) == "-62ED740D"
    assert _hex(0xF) == "0F"


# ----------------------------------------------------------------------------- issue 5 additions

def test_serial_is_given_in_hex_and_decimal():
    key = ec.generate_private_key(ec.SECP256R1())
    serial = 0x1F_2E3D_4C5B_6A79_8897_A6B5_C4D3_E2F1  # beyond 2**53: kept exact as text
    described = describe_certificate(_build(key, serial=serial, algorithm=hashes.SHA256()))
    assert described.serial_number == "1F2E3D4C5B6A798897A6B5C4D3E2F1"
    assert described.serial_decimal == str(serial)
    assert int(described.serial_decimal) == int(described.serial_number, 16)


@pytest.mark.parametrize(
    ("before", "after", "status", "days"),
    [
        (NOW - dt.timedelta(days=10), NOW + dt.timedelta(days=200, hours=1),
         CertificateStatus.VALID, 200),
        (NOW - dt.timedelta(days=10), NOW + dt.timedelta(days=29, hours=1),
         CertificateStatus.EXPIRES_SOON, 29),
        (NOW - dt.timedelta(days=10), NOW + dt.timedelta(hours=5),
         CertificateStatus.EXPIRES_SOON, 0),
        (NOW - dt.timedelta(days=60), NOW - dt.timedelta(days=3, hours=1),
         CertificateStatus.EXPIRED, -4),
        (NOW + dt.timedelta(days=2), NOW + dt.timedelta(days=90, hours=1),
         CertificateStatus.NOT_YET_VALID, 90),
    ],
)
def test_status_and_days_remaining(before, after, status, days):
    key = ec.generate_private_key(ec.SECP256R1())
    described = describe_certificate(_build(key, before=before, after=after,
                                            algorithm=hashes.SHA256()))
    assert described.status(NOW) is status
    assert described.status(NOW) == status.value  # compares as the plain string too
    assert described.days_remaining(NOW) == days


def test_status_values_are_the_words_shown():
    assert [s.value for s in CertificateStatus] == [
        "valid", "expires soon", "expired", "not yet valid"
    ]


def test_usages_alt_names_basic_constraints_and_every_extension_are_decoded():
    chain = certfactory.make_chain("certinfo")
    leaf = describe_certificate(chain.leaf.certificate)
    assert leaf.key_usage == ("digitalSignature", "keyEncipherment")
    assert leaf.key_usage_titles == ("Digital Signature", "Key Encipherment")
    assert leaf.extended_key_usage == (
        KeyPurpose("TLS Web Server Authentication", "1.3.6.1.5.5.7.3.1"),
        KeyPurpose("TLS Web Client Authentication", "1.3.6.1.5.5.7.3.2"),
    )
    assert str(leaf.extended_key_usage[0]) == "TLS Web Server Authentication (1.3.6.1.5.5.7.3.1)"
    assert leaf.subject_alt_names == ("DNS:localhost", "IP:127.0.0.1")
    assert (leaf.is_ca, leaf.path_length, leaf.has_basic_constraints) == (False, None, True)
    assert leaf.issuer_common_name == "certinfo Intermediate CA"

    rows = {row.oid: row for row in leaf.extensions}
    assert [row.name for row in leaf.extensions] == [
        "Basic Constraints", "Key Usage", "Subject Key Identifier", "Authority Key Identifier",
        "Subject Alternative Name", "Extended Key Usage",
    ]
    assert rows["2.5.29.19"].critical is True
    assert rows["2.5.29.19"].value == "CA: no (an end-entity certificate)"
    assert rows["2.5.29.15"].value == "Digital Signature, Key Encipherment"
    assert rows["2.5.29.17"].value == "DNS:localhost, IP:127.0.0.1"
    assert rows["2.5.29.37"].critical is False
    assert "TLS Web Server Authentication (1.3.6.1.5.5.7.3.1)" in rows["2.5.29.37"].value
    ski = x509.SubjectKeyIdentifier.from_public_key(chain.leaf.private_key.public_key())
    assert rows["2.5.29.14"].value == ski.digest.hex(":").upper()
    aki = x509.SubjectKeyIdentifier.from_public_key(chain.intermediate.private_key.public_key())
    assert rows["2.5.29.35"].value == f"Key ID: {aki.digest.hex(':').upper()}"

    intermediate = describe_certificate(chain.intermediate.certificate)
    assert (intermediate.is_ca, intermediate.path_length) == (True, 0)
    assert intermediate.key_usage_titles == ("Certificate Sign", "CRL Sign")
    root_rows = {r.oid: r for r in describe_certificate(chain.root.certificate).extensions}
    assert root_rows["2.5.29.19"].value == "CA: yes, path length: 1"


def test_access_policies_distribution_points_and_unknown_extensions_are_readable():
    key = ec.generate_private_key(ec.SECP256R1())
    uri = x509.UniformResourceIdentifier
    cert = _build(key, algorithm=hashes.SHA256(), extensions=[
        (x509.AuthorityInformationAccess([
            x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.OCSP,
                                   uri("http://ocsp.example.org")),
            x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                                   uri("http://ca.example.org/ca.crt")),
        ]), False),
        (x509.CRLDistributionPoints([x509.DistributionPoint(
            [uri("http://crl.example.org/ca.crl")], None, None, None)]), False),
        (x509.CertificatePolicies([x509.PolicyInformation(
            x509.ObjectIdentifier("2.23.140.1.2.1"), ["https://example.org/cps"])]), False),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING,
                                x509.ObjectIdentifier("1.2.3.4.5")]), False),
        (x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"),
                                    b"\x04\x03abc"), False),
    ])
    described = describe_certificate(cert)
    values = {row.name: row.value for row in described.extensions}
    assert values["Authority Information Access"] == (
        "OCSP - URI:http://ocsp.example.org, CA Issuers - URI:http://ca.example.org/ca.crt"
    )
    assert values["CRL Distribution Points"] == "URI:http://crl.example.org/ca.crl"
    assert values["Certificate Policies"] == (
        "CA/B Forum Domain Validated (2.23.140.1.2.1), CPS: https://example.org/cps"
    )
    assert values["Unknown extension"] == "DER: 04:03:61:62:63"
    assert described.extended_key_usage == (
        KeyPurpose("Code Signing", "1.3.6.1.5.5.7.3.3"), KeyPurpose("1.2.3.4.5", "1.2.3.4.5"),
    )
    assert str(described.extended_key_usage[1]) == "1.2.3.4.5"


def test_real_weak_rsa_and_sha1_certificates_are_warned_about_with_the_reason():
    weak = describe_certificate(certfactory.weak_rsa().certificate)
    assert weak.key_size == 1024
    (warning,) = weak.warnings(NOW)
    assert "only 1024 bits" in warning and "can be factored" in warning
    assert "relying parties and browsers refuse it" in warning

    sha1 = describe_certificate(certfactory.sha1_signed().certificate)
    assert sha1.signature_hash == "sha1"
    assert sha1.signature_algorithm == "RSA with SHA1"
    (warning,) = sha1.warnings(NOW)
    assert "SHA-1 collisions can be forged" in warning


def test_expired_and_not_yet_valid_warnings_say_why():
    (expired,) = describe_certificate(certfactory.expired().certificate).warnings(NOW)
    assert "expired on" in expired and "relying parties reject" in expired
    (future,) = describe_certificate(certfactory.not_yet_valid().certificate).warnings(NOW)
    assert "not valid before" in future and "rejected like an expired one" in future


def test_ca_certificate_is_warned_about_only_where_an_end_entity_is_expected():
    described = describe_certificate(certfactory.ca_certificate().certificate)
    assert described.is_ca
    assert described.warnings(NOW) == ()
    (warning,) = described.warnings(NOW, expect_end_entity=True)
    assert "This is a CA certificate" in warning and "end-entity" in warning
    leaf = describe_certificate(identity("certinfo-rsa").certificate)
    assert leaf.warnings(NOW, expect_end_entity=True) == ()


def test_duplicate_under_another_alias_is_found_and_warned_about():
    cert = identity("certinfo-rsa").certificate
    other = identity("certinfo-other").certificate
    described = describe_certificate(cert)
    present = {"other": other.public_bytes(Encoding.DER), "rp-old": cert.public_bytes(Encoding.DER)}
    assert described.duplicate_of(present) == "rp-old"
    assert described.duplicate_of({"other": other.public_bytes(Encoding.DER)}) is None
    assert described.duplicate_of({}) is None
    (warning,) = described.warnings(NOW, present=present)
    assert "already present under the alias 'rp-old'" in warning


@pytest.mark.parametrize(
    ("subject", "organization", "expected"),
    [
        ("RP.Example.org", None, "rp.example.org"),
        ("Zürich Relying Party", None, "zurich-relying-party"),
        ("*.example.org", None, "example.org"),
        ("  --==--  ", "Example Corp", "example-corp"),
        ("日本", None, None),  # nothing usable: the fingerprint form
    ],
)
def test_suggested_alias_comes_from_the_common_name(subject, organization, expected):
    issued = certfactory.issue(subject, key=certfactory.rsa_key("alias"),
                               organization=organization)
    alias = suggest_alias(issued.certificate)
    if expected is None:
        fingerprint = describe_certificate(issued.certificate).sha256_fingerprint
        expected = "cert-" + fingerprint.replace(":", "")[:12].lower()
    assert alias == expected
    assert ALIAS_PATTERN.fullmatch(alias)
    assert validate_alias(alias, ()) is None
    assert suggest_alias(describe_certificate(issued.certificate)) == alias


def test_suggested_alias_is_capped_at_the_maximum_length():
    issued = certfactory.issue("a" * 64, key=certfactory.rsa_key("alias"))
    assert suggest_alias(issued.certificate) == "a" * 64


@pytest.mark.parametrize(
    ("alias", "existing", "problem"),
    [
        ("", (), "Give an alias"),
        ("x" * 129, (), "at most 128"),
        ("rp example", (), "not allowed"),
        ("rp/../etc", (), "not allowed"),
        ("rp\u00e9", (), "not allowed"),
        ("...", (), "only dots"),
        ("rp-example", ("other", "RP-Example"), "already used (by 'RP-Example')"),
    ],
)
def test_alias_validation_refuses_with_what_to_do(alias, existing, problem):
    message = validate_alias(alias, existing)
    assert message is not None and problem in message


def test_alias_validation_accepts_good_aliases_and_honours_reserved_names():
    assert validate_alias("rp-example_2.v1", ("rp-example",)) is None
    assert validate_alias("x" * 128, ()) is None
    assert validate_alias(".hidden", ()) is None
    assert "reserved" in validate_alias("Public", (), reserved=("public",))
