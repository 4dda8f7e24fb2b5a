"""A CRL in the trust store replaces its CA's previous one and is read as the complete list of
that CA's revoked certificates; a CRL that is not complete (a delta CRL, or one partitioned by
an issuing distribution point) must not replace it, or the certificates it leaves out would
pass as not revoked."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from stsdesk.core.wssec import FailedCheckError
from stsdesk.server.errors import ValidationError
from stsdesk.server.storage.store import Store
from tests.helpers import certfactory
from tests.server.test_revocation import CA, LEAF, check, crl

NOW = dt.datetime.now(dt.UTC)


def scoped_crl(extension: x509.ExtensionType) -> bytes:
    """A newer CRL of the CA that revokes nothing itself, with ``extension`` (critical)."""
    builder = (x509.CertificateRevocationListBuilder().issuer_name(CA.certificate.subject)
               .last_update(NOW - dt.timedelta(minutes=1))
               .next_update(NOW + dt.timedelta(days=1))
               .add_extension(x509.CRLNumber(7), critical=False)
               .add_extension(extension, critical=True))
    return builder.sign(CA.private_key, hashes.SHA256()).public_bytes(  # type: ignore[arg-type]
        Encoding.DER)


@pytest.fixture
def trusted(store: Store) -> Store:
    store.keys.add_trusted_certificate("ca", CA.der)
    return store


@pytest.mark.parametrize("extension", [
    x509.DeltaCRLIndicator(6),
    x509.IssuingDistributionPoint(
        full_name=None, relative_name=None, only_contains_user_certs=False,
        only_contains_ca_certs=True, only_some_reasons=None, indirect_crl=False,
        only_contains_attribute_certs=False),
    x509.IssuingDistributionPoint(
        full_name=None, relative_name=None, only_contains_user_certs=False,
        only_contains_ca_certs=False,
        only_some_reasons=frozenset({x509.ReasonFlags.key_compromise}), indirect_crl=False,
        only_contains_attribute_certs=False),
], ids=["delta", "ca-certificates-only", "some-reasons-only"])
def test_a_crl_that_is_not_the_complete_list_is_refused_and_the_full_one_stays(
    trusted, extension
):
    trusted.crls.add(crl(LEAF.certificate))
    with pytest.raises(ValidationError, match="complete"):
        trusted.crls.add(scoped_crl(extension))
    with pytest.raises(FailedCheckError, match="revoked"):
        check(trusted, LEAF.certificate)


def test_a_crl_of_user_certificates_only_is_complete_for_client_certificates(trusted):
    only_users = x509.IssuingDistributionPoint(
        full_name=None, relative_name=None, only_contains_user_certs=True,
        only_contains_ca_certs=False, only_some_reasons=None, indirect_crl=False,
        only_contains_attribute_certs=False)
    trusted.crls.add(scoped_crl(only_users))
    assert [c.entries for c in trusted.crls.list_all()] == [0]


PART1 = x509.UniformResourceIdentifier("http://ca.example.org/part1.crl")
PARTITION = x509.IssuingDistributionPoint(
    full_name=[PART1], relative_name=None, only_contains_user_certs=False,
    only_contains_ca_certs=False, only_some_reasons=None, indirect_crl=False,
    only_contains_attribute_certs=False)


def test_a_crl_of_one_distribution_point_speaks_only_for_certificates_naming_it(trusted):
    # The CRL names its distribution point; LEAF names none, so the CRL cannot tell whether
    # LEAF is revoked: with a CRL required, LEAF is refused as unchecked, not accepted.
    trusted.crls.add(scoped_crl(PARTITION))
    with pytest.raises(FailedCheckError, match="cannot be checked"):
        check(trusted, LEAF.certificate, require_crl=True)
    named = leaf_naming(PART1)
    check(trusted, named, require_crl=True)


def leaf_naming(point: x509.UniformResourceIdentifier) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(
        x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "partitioned-leaf")]))
        .issuer_name(CA.certificate.subject).public_key(LEAF.certificate.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=1))
        .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[point], relative_name=None, reasons=None, crl_issuer=None)]),
            critical=False))
    return builder.sign(CA.private_key, hashes.SHA256())  # type: ignore[arg-type]


def test_a_crl_signed_by_a_trusted_certificate_that_is_no_ca_is_refused(trusted):
    # A client's own certificate, trusted directly, that happens to carry the CA's name: its
    # key may sign requests, not speak for the CA about which certificates are revoked.
    impostor = certfactory.issue("Revocation Test CA", key=certfactory.rsa_key("impostor"))
    trusted.keys.add_trusted_certificate("impostor", impostor.der)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(CA.certificate.subject)
               .last_update(NOW - dt.timedelta(minutes=1))
               .next_update(NOW + dt.timedelta(days=1)))
    forged = builder.sign(impostor.private_key, hashes.SHA256()).public_bytes(  # type: ignore[arg-type]
        Encoding.DER)
    with pytest.raises(ValidationError, match="not signed by a certificate"):
        trusted.crls.add(forged)
