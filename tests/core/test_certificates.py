"""Certificates: reading PEM/DER/base64, fingerprints, self-signed generation, identities."""

from __future__ import annotations

import base64
import hashlib
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.x509.oid import ExtensionOID, NameOID

from stsdesk.core.certificates import (
    SigningIdentity,
    certificate_fingerprint,
    certificate_thumbprint_sha1,
    generate_self_signed,
    load_certificate,
)
from stsdesk.core.errors import InvalidRequestError
from tests.core.pki import identity


@pytest.fixture(scope="module")
def generated() -> SigningIdentity:
    return generate_self_signed(
        "sts.example.org", dns_names=("localhost", "sts.example.org"), ip_addresses=("127.0.0.1",)
    )


def test_load_certificate_accepts_pem_der_and_base64() -> None:
    cert = identity("certs-a").certificate
    der = cert.public_bytes(serialization.Encoding.DER)
    pem = cert.public_bytes(serialization.Encoding.PEM)
    b64 = base64.encodebytes(der)  # wrapped in lines, as pasted from a console
    for data in (pem, der, b64, b"  \n" + pem + b"\n", pem.decode()):
        assert load_certificate(data) == cert


def test_load_certificate_takes_the_first_of_several_pem_blocks() -> None:
    first, second = identity("certs-a").certificate, identity("certs-b").certificate
    bundle = first.public_bytes(serialization.Encoding.PEM) + second.public_bytes(
        serialization.Encoding.PEM
    )
    assert load_certificate(bundle) == first


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"hello world, not a certificate!",
        b"\x30\x03\x02\x01\x01",
        b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        base64.b64encode(b"not der at all"),
        b"x" * 100_000,
    ],
)
def test_load_certificate_refuses_garbage_with_an_actionable_message(garbage: bytes) -> None:
    with pytest.raises(InvalidRequestError) as info:
        load_certificate(garbage)
    assert info.value.message.startswith("The certificate could not be read:")
    assert "Provide a PEM or DER X.509 certificate." in info.value.message


def test_fingerprints_are_colon_separated_upper_hex_of_the_der() -> None:
    cert = identity("certs-a").certificate
    der = cert.public_bytes(serialization.Encoding.DER)
    expected = ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert certificate_fingerprint(cert) == expected
    sha1 = certificate_fingerprint(cert, "sha1")
    assert sha1 == ":".join(f"{b:02X}" for b in hashlib.sha1(der).digest())
    assert len(sha1.split(":")) == 20
    assert certificate_fingerprint(cert, "SHA-512").count(":") == 63
    with pytest.raises(InvalidRequestError, match="Unknown fingerprint algorithm"):
        certificate_fingerprint(cert, "md5")


def test_thumbprint_sha1_is_the_raw_digest() -> None:
    cert = identity("certs-a").certificate
    der = cert.public_bytes(serialization.Encoding.DER)
    assert certificate_thumbprint_sha1(cert) == hashlib.sha1(der).digest()


def test_generate_self_signed_has_the_promised_extensions(generated: SigningIdentity) -> None:
    cert = generated.certificate
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "sts.example.org"
    assert cert.issuer == cert.subject
    assert isinstance(cert.signature_hash_algorithm, SHA256)
    assert generated.private_key.key_size == 2048
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_encipherment and not usage.key_cert_sign
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost", "sts.example.org"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    days = (cert.not_valid_after_utc - cert.not_valid_before_utc).days
    assert 3650 <= days <= 3651
    # the certificate really is signed by its own key
    cert.public_key().verify(
        cert.signature,
        cert.tbs_certificate_bytes,
        padding.PKCS1v15(),
        cert.signature_hash_algorithm,
    )


def test_generate_self_signed_without_names_has_no_san() -> None:
    made = generate_self_signed("wso2carbon", valid_days=1)
    with pytest.raises(x509.ExtensionNotFound):
        made.certificate.extensions.get_extension_for_oid(
            ExtensionOID.SUBJECT_ALTERNATIVE_NAME
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"common_name": ""}, "common name"),
        ({"common_name": "x", "key_size": 1024}, "1024 bits"),
        ({"common_name": "x", "valid_days": 0}, "one day"),
        ({"common_name": "x", "ip_addresses": ("not-an-ip",)}, "not an IP address"),
    ],
)
def test_generate_self_signed_refuses_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidRequestError, match=match):
        generate_self_signed(**kwargs)


def test_signing_identity_serialisations(generated: SigningIdentity) -> None:
    pem = generated.private_key_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # unencrypted PKCS#8
    reloaded = serialization.load_pem_private_key(pem, password=None)
    assert reloaded.private_numbers() == generated.private_key.private_numbers()
    assert x509.load_der_x509_certificate(generated.certificate_der()) == generated.certificate
    assert x509.load_pem_x509_certificate(generated.certificate_pem()) == generated.certificate
    assert generated.private_key_pem() is pem  # computed once
    assert "PRIVATE" not in repr(generated)
    hash(generated)  # usable as a cache key


def test_signing_identity_refuses_a_key_that_does_not_match_the_certificate() -> None:
    with pytest.raises(InvalidRequestError, match="does not belong to the certificate"):
        SigningIdentity(
            private_key=identity("certs-a").private_key,
            certificate=identity("certs-b").certificate,
        )
