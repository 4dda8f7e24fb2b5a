"""The revocation checker against a real store: which CRL decides, and what the policy does
when there is none, when it is out of date, and when its CA left the trust store."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from stsdesk.core.wssec import FailedCheckError
from stsdesk.server.errors import ConflictError, ValidationError
from stsdesk.server.model import RevocationPolicy, StaleCrlAction
from stsdesk.server.storage.store import Store
from stsdesk.server.sts.revocation import REVOKED_ACTION, STALE_CRL_ACTION, RevocationChecker
from tests.helpers import certfactory

NOW = dt.datetime.now(dt.UTC)
CA = certfactory.issue("Revocation Test CA", ca=True)
LEAF = certfactory.issue("revocation-leaf", issuer=CA)
OTHER = certfactory.issue("revocation-other", issuer=CA)


def crl(*revoked: x509.Certificate, next_update: dt.timedelta = dt.timedelta(days=1),
        age: dt.timedelta = dt.timedelta(hours=1)) -> bytes:
    builder = (x509.CertificateRevocationListBuilder().issuer_name(CA.certificate.subject)
               .last_update(NOW - age).next_update(NOW + next_update))
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
            .revocation_date(NOW - dt.timedelta(minutes=5)).build())
    return builder.sign(CA.private_key, hashes.SHA256()).public_bytes(  # type: ignore[arg-type]
        Encoding.DER)


@pytest.fixture
def trusted(store: Store) -> Store:
    store.keys.add_trusted_certificate("ca", CA.der)
    return store


def check(store: Store, cert: x509.Certificate, **policy: object) -> None:
    config = dataclasses.replace(store.snapshot(), revocation=RevocationPolicy(**policy))
    RevocationChecker(store).check(cert, (CA.certificate,), config, NOW)


def test_only_the_revoked_certificate_is_refused_and_the_refusal_is_audited(trusted):
    trusted.crls.add(crl(LEAF.certificate))
    with pytest.raises(FailedCheckError, match="revoked"):
        check(trusted, LEAF.certificate)
    check(trusted, OTHER.certificate)
    entry = trusted.audit.entries(limit=1)[0]
    assert (entry.action, entry.target) == (REVOKED_ACTION, "CN=revocation-leaf")


def test_an_out_of_date_crl_refuses_or_is_accepted_and_audited_once(trusted):
    trusted.crls.add(crl(next_update=-dt.timedelta(hours=1), age=dt.timedelta(days=2)))
    with pytest.raises(FailedCheckError, match="out of date"):
        check(trusted, OTHER.certificate)
    checker = RevocationChecker(trusted)
    config = dataclasses.replace(trusted.snapshot(),
                                 revocation=RevocationPolicy(StaleCrlAction.ACCEPT))
    checker.check(OTHER.certificate, (CA.certificate,), config, NOW)
    checker.check(OTHER.certificate, (CA.certificate,), config, NOW)
    actions = [e.action for e in trusted.audit.entries()]
    assert actions.count(STALE_CRL_ACTION) == 1


def test_no_crl_is_needed_unless_required_and_never_for_a_certificate_trusted_itself(trusted):
    check(trusted, LEAF.certificate)
    with pytest.raises(FailedCheckError, match="no CRL"):
        check(trusted, LEAF.certificate, require_crl=True)
    # The CA certificate is itself in the trust store: a trust anchor needs no CRL.
    RevocationChecker(trusted).check(
        CA.certificate, (CA.certificate,),
        dataclasses.replace(trusted.snapshot(), revocation=RevocationPolicy(require_crl=True)),
        NOW)


def test_a_crl_whose_ca_left_the_trusted_keystore_decides_nothing(trusted):
    trusted.crls.add(crl())
    config = trusted.snapshot()
    stranger = certfactory.issue("Revocation Test CA", ca=True, key=certfactory.rsa_key("x"))
    with pytest.raises(FailedCheckError, match="not signed by a trusted certificate"):
        RevocationChecker(trusted).check(OTHER.certificate, (stranger.certificate,), config, NOW)


def test_the_store_keeps_the_newest_crl_per_ca_and_refuses_others(trusted, store):
    first, replaced = trusted.crls.add(crl(age=dt.timedelta(hours=2)))
    assert not replaced and first.entries == 0
    newer, replaced = trusted.crls.add(crl(LEAF.certificate))
    assert replaced and [c.entries for c in trusted.crls.list_all()] == [1]
    with pytest.raises(ConflictError, match="newer CRL"):
        trusted.crls.add(crl(age=dt.timedelta(days=1)))
    with pytest.raises(ValidationError, match="not a certificate revocation list"):
        trusted.crls.add(b"\x30\x03\x02\x01\x00")
    assert trusted.snapshot().crls[0].issuer_key == newer.issuer_key
