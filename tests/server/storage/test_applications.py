"""Applications, their requested claims and their relying parties."""

from __future__ import annotations

import pytest

from stsdesk.core.certificates import SigningIdentity, generate_self_signed
from stsdesk.server.errors import ConflictError, NotFoundError, ValidationError
from stsdesk.server.model import RelyingParty, RequestedClaim
from stsdesk.server.storage.applications import ApplicationRecord
from stsdesk.server.storage.store import Store
from tests.helpers.storage import EMAIL, GIVEN

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture(scope="module")
def rp_identity() -> SigningIdentity:
    return generate_self_signed("rp.example")


# --------------------------------------------------------------------------------- applications


def test_application_lifecycle(store: Store) -> None:
    app = store.applications.create("Payroll", "pays people")
    assert len(app) == 36
    got = store.applications.get(app)
    assert got == ApplicationRecord(app, "Payroll", "pays people", (), None)
    with pytest.raises(ConflictError, match="'Payroll' already exists"):
        store.applications.create("Payroll")
    store.applications.create("payroll")  # names are case-sensitive
    other = store.applications.create("Other")
    with pytest.raises(ConflictError):
        store.applications.update(other, name="Payroll")
    claims = [RequestedClaim(GIVEN), RequestedClaim(EMAIL, mandatory=True)]
    store.applications.update(app, name="Payroll 2", description="", requested_claims=claims,
                             subject_claim_uri=EMAIL)
    got = store.applications.get(app)
    assert got.name == "Payroll 2" and got.description == ""
    assert got.requested_claims == tuple(claims)  # order kept
    assert got.subject_claim_uri == EMAIL
    store.applications.update(app, description="kept")
    assert store.applications.get(app).subject_claim_uri == EMAIL  # ... leaves it alone
    store.applications.update(app, subject_claim_uri=None)
    assert store.applications.get(app).subject_claim_uri is None
    assert store.applications.get(app).requested_claims == tuple(claims)
    store.applications.update(app, requested_claims=[])
    assert store.applications.get(app).requested_claims == ()
    assert [a.name for a in store.applications.list_all()] == ["Other", "Payroll 2", "payroll"]
    store.applications.delete(app)
    with pytest.raises(NotFoundError):
        store.applications.get(app)
    with pytest.raises(NotFoundError):
        store.applications.delete(app)
    with pytest.raises(NotFoundError):
        store.applications.update(app, name="x")


@pytest.mark.parametrize("name", ["", " padded", "tab\there", "x" * 256])
def test_bad_application_names(store: Store, name: str) -> None:
    with pytest.raises(ValidationError):
        store.applications.create(name)


def test_duplicate_requested_claims_refused(store: Store) -> None:
    app = store.applications.create("A")
    with pytest.raises(ValidationError, match="twice"):
        store.applications.update(app, requested_claims=[RequestedClaim(EMAIL),
                                                        RequestedClaim(EMAIL, True)])


def test_relying_party_rules(store: Store, rp_identity: SigningIdentity) -> None:
    one = store.applications.create("One")
    two = store.applications.create("Two")
    assert store.applications.get_relying_party(one) is None
    store.applications.set_relying_party(one, RelyingParty("whatever", "", "https://rp.example/",
                                              token_lifetime_seconds=60))
    party = store.applications.get_relying_party(one)
    assert party is not None and party.application_id == one and party.name == "One"
    assert party.token_lifetime_seconds == 60
    with pytest.raises(ConflictError, match="'One'"):
        store.applications.set_relying_party(two, RelyingParty(two, "", "https://rp.example/"))
    with pytest.raises(ValidationError, match="not in the trust store"):
        store.applications.set_relying_party(two, RelyingParty(two, "", "https://two.example/",
                                                  certificate_alias="missing"))
    store.keys.add_trusted_certificate("rp", rp_identity.certificate_der())
    store.applications.set_relying_party(two, RelyingParty(two, "", "https://two.example/",
                                              certificate_alias="rp", key_type="PublicKey"))
    # upsert: the same app may change its own audience
    store.applications.set_relying_party(one, RelyingParty(one, "", "*", encrypt_token=False))
    snap = store.snapshot()
    assert snap.relying_party_for("https://unknown.example/").application_id == one
    assert snap.relying_party_for("https://two.example/").certificate_alias == "rp"
    for bad in (RelyingParty(one, "", ""), RelyingParty(one, "", "x", token_type="SAML3"),
                RelyingParty(one, "", "x", key_type="Weird"),
                RelyingParty(one, "", "x", token_lifetime_seconds=0)):
        with pytest.raises(ValidationError):
            store.applications.set_relying_party(one, bad)
    with pytest.raises(NotFoundError):
        store.applications.set_relying_party("no-such-app", RelyingParty("x", "", "https://x/"))
    store.applications.delete_relying_party(one)
    store.applications.delete_relying_party(one)  # nothing left: no error
    assert store.applications.get_relying_party(one) is None
    store.applications.delete(two)  # takes its relying party with it
    assert store.snapshot().relying_parties == ()
    store.keys.remove_trusted_certificate("rp")  # no longer in use
