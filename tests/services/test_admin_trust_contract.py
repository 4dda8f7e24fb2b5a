"""Issue 12's admin operations, one contract for the stsdesk backend on a live HTTPS server and
for the fake the UI tests use: CRLs in the trust store, the revocation policy, trusted SAML
issuers and certificates mapped to users."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from stsdesk.services.admin.models import RevocationPolicy, StaleCrl, UserDraft
from stsdesk.services.errors import InvalidInputError, NotFoundError
from tests.helpers import certfactory
from tests.services.test_admin_contract import api  # noqa: F401 - the two implementations


def _crl(ca: certfactory.Issued, *revoked: x509.Certificate) -> str:
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.certificate.subject)
               .last_update(now - dt.timedelta(hours=1)).next_update(now + dt.timedelta(days=1)))
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
            .revocation_date(now - dt.timedelta(minutes=1)).build())
    return builder.sign(ca.private_key, hashes.SHA256()).public_bytes(  # type: ignore[arg-type]
        Encoding.PEM).decode()


def test_a_crl_of_a_trusted_ca_imports_lists_and_deletes(api):  # noqa: F811
    ca = certfactory.issue(f"Contract CA {uuid.uuid4().hex[:6]}", ca=True)
    with pytest.raises(InvalidInputError, match="not signed by a certificate in the trust store"):
        api.import_revocation_list(_crl(ca))
    api.import_certificate(f"ca-{uuid.uuid4().hex[:6]}",
                           ca.certificate.public_bytes(Encoding.PEM).decode())

    imported = api.import_revocation_list(_crl(ca, certfactory.issue("x", issuer=ca).certificate))

    assert imported.entries == 1 and imported.stale is False
    assert imported.issuer == ca.certificate.subject.rfc4514_string()
    assert imported in api.list_revocation_lists()
    api.delete_revocation_list(imported.id)
    assert all(c.id != imported.id for c in api.list_revocation_lists())
    with pytest.raises(NotFoundError):
        api.delete_revocation_list(imported.id)


def test_the_revocation_policy_reads_back(api):  # noqa: F811
    assert api.get_revocation_policy() == RevocationPolicy(StaleCrl.REFUSE, False)
    wanted = RevocationPolicy(StaleCrl.ACCEPT, True)
    assert api.set_revocation_policy(wanted) == wanted
    assert api.get_revocation_policy() == wanted
    api.set_revocation_policy(RevocationPolicy())


def test_a_trust_store_certificate_becomes_a_trusted_saml_issuer_and_stops(api):  # noqa: F811
    alias = f"idp-{uuid.uuid4().hex[:6]}"
    issuer = certfactory.issue("Contract IdP")
    api.import_certificate(alias, issuer.certificate.public_bytes(Encoding.PEM).decode())

    trusted = api.trust_saml_issuer(alias, "https://idp.example.org")

    assert (trusted.certificate_alias, trusted.issuer) == (alias, "https://idp.example.org")
    assert "Contract IdP" in trusted.subject
    assert trusted in api.list_saml_issuers()
    api.distrust_saml_issuer(alias)
    assert all(i.certificate_alias != alias for i in api.list_saml_issuers())
    with pytest.raises(NotFoundError):
        api.trust_saml_issuer("no-such-alias", "https://idp.example.org")


def test_client_certificates_map_to_a_user_and_read_back(api):  # noqa: F811
    laptop = certfactory.issue("contract-laptop").certificate.public_bytes(Encoding.DER)
    phone = certfactory.issue("contract-phone").certificate.public_bytes(Encoding.DER)
    name = f"mapped{uuid.uuid4().hex[:6]}"
    user = api.create_user(UserDraft(name, password="Mapped-Pa55word", certificates=(laptop,)))
    assert user.certificates == (laptop,)

    changed = api.update_user(user, UserDraft(name, certificates=(laptop, phone)))
    assert api.get_user(user.id).certificates == changed.certificates == (laptop, phone)
    kept = api.update_user(changed, UserDraft(name, display_name="Mapped"))  # None: kept
    assert kept.certificates == (laptop, phone)
    cleared = api.update_user(kept, UserDraft(name, display_name="Mapped", certificates=()))
    assert cleared.certificates == () and api.get_user(user.id).certificates == ()
