"""One contract, two implementations: the stsdesk backend on a live HTTPS server and the fake.

Every test runs against both, so the fake the UI tests use behaves like the real server: what
is stored reads back, and refusals are the same typed errors.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from stsdesk.core.algorithm_suite import AlgorithmSuite
from stsdesk.core.tokentypes import TokenType
from stsdesk.services.admin import AdminApi, StsdeskAdminApi
from stsdesk.services.admin.models import (
    ApplicationDraft,
    NewSigningKey,
    OwnPolicyRequest,
    PasswordDigestSetting,
    RequestedClaim,
    ResidentIdp,
    SecurityPolicy,
    SecurityPolicyRequest,
    TokenSettings,
    UserDraft,
    WsTrustConfig,
)
from stsdesk.services.admin_client import AdminClient, ServerEndpoint
from stsdesk.services.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ServiceError,
)
from stsdesk.services.tls import TrustPolicy, fetch_certificate, fingerprint
from tests.helpers import certfactory
from tests.helpers.data import DATA
from tests.helpers.fake_admin import FakeAdminApi
from tests.services.conftest import ADMIN_PASSWORD


@pytest.fixture(params=["stsdesk", "fake"])
def api(request: pytest.FixtureRequest) -> Iterator[AdminApi]:
    if request.param == "fake":
        yield FakeAdminApi()
        return
    server = request.getfixturevalue("server")
    pin = fingerprint(fetch_certificate(server.url))
    backend = StsdeskAdminApi(AdminClient(ServerEndpoint(
        server.url, "admin", ADMIN_PASSWORD, TrustPolicy(pinned_sha256=pin))))
    yield backend
    backend.close()


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _pem(common_name: str) -> str:
    issued = certfactory.issue(common_name)
    return issued.certificate.public_bytes(Encoding.PEM).decode("ascii")


def test_both_implement_every_operation_of_the_protocol():
    wanted = {name for name, _ in inspect.getmembers(AdminApi) if not name.startswith("_")}
    for implementation in (StsdeskAdminApi, FakeAdminApi()):
        missing = {name for name in wanted if not hasattr(implementation, name)}
        assert not missing, f"{implementation!r} lacks {sorted(missing)}"


def test_resident_idp_reads_back_what_was_saved(api):
    current = api.get_resident_idp()
    wanted = ResidentIdp(("alpha.example", *current.home_realm_identifiers), 31, 20161,
                         current.issuer)
    saved = api.update_resident_idp(current, wanted)
    assert saved.home_realm_identifiers[0] == "alpha.example"
    assert api.get_resident_idp() == saved
    assert (saved.idle_session_timeout_minutes, saved.remember_me_minutes) == (31, 20161)
    api.update_resident_idp(saved, current)
    assert api.get_resident_idp() == current


def test_resident_idp_refuses_a_duplicate_identifier(api):
    current = api.get_resident_idp()
    once = api.update_resident_idp(current, ResidentIdp(("same",), 15, 20160, current.issuer))
    with pytest.raises(InvalidInputError) as caught:
        api.update_resident_idp(once, ResidentIdp(("same", "same"), 15, 20160, current.issuer))
    assert "same" in caught.value.message
    assert api.get_resident_idp() == once
    api.update_resident_idp(once, current)


def test_application_lifecycle_and_its_refusals(api):
    name = _unique("Payroll")
    claims = (RequestedClaim("http://wso2.org/claims/emailaddress", mandatory=True),)
    created = api.create_application(ApplicationDraft(name, "pays people", claims))
    assert created.name == name and created.id
    assert api.get_application(created.id).requested_claims == claims
    listed = api.list_applications(limit=1000)
    assert name in [a.name for a in listed.applications]
    assert listed.total >= 1

    with pytest.raises(ConflictError) as taken:
        api.create_application(ApplicationDraft(name))
    assert taken.value.message  # the server's own words

    renamed = api.update_application(created.id, ApplicationDraft(name + "-2", "", claims))
    assert api.get_application(created.id).name == renamed.name == name + "-2"

    api.delete_application(created.id)
    with pytest.raises(NotFoundError):
        api.get_application(created.id)


def test_ws_trust_configuration_reads_back_and_lists_as_trusted_service(api):
    application = api.create_application(ApplicationDraft(_unique("RP")))
    assert api.get_ws_trust(application.id) is None
    alias = _unique("rp").lower()
    api.import_certificate(alias, _pem("rp.example.org"))
    audience = f"https://{alias}.example.org/service"
    saved = api.put_ws_trust(application.id, WsTrustConfig(audience, alias, token_type=TokenType.SAML20))
    assert saved.audience == audience and saved.certificate_alias == alias
    read = api.get_ws_trust(application.id)
    assert read is not None and read.token_type is TokenType.SAML20
    # The service-provider list marks the ones with a WS-Trust configuration by this flag.
    assert api.get_application(application.id).has_ws_trust
    assert any(s.audience == audience and s.certificate_alias == alias
               for s in api.list_trusted_services())
    assert alias in api.ws_trust_options().certificate_aliases
    assert application.name in next(c for c in api.list_certificates()
                                    if c.alias == alias).used_by

    other = api.create_application(ApplicationDraft(_unique("RP")))
    with pytest.raises(ConflictError):
        api.put_ws_trust(other.id, WsTrustConfig(audience, None))
    with pytest.raises(ConflictError):  # still used for encryption
        api.delete_certificate(alias)

    api.delete_ws_trust(application.id)
    assert api.get_ws_trust(application.id) is None
    assert not api.get_application(application.id).has_ws_trust
    for app in (application, other):
        api.delete_application(app.id)
    api.delete_certificate(alias)


def test_certificates_import_export_and_refusals(api):
    alias = _unique("partner").lower()
    pem = _pem("partner.example.org")
    row = api.import_certificate(alias, pem)
    assert row.alias == alias and "partner.example.org" in row.subject
    assert alias in [c.alias for c in api.list_certificates()]
    assert "BEGIN CERTIFICATE" in api.export_certificate(alias)
    with pytest.raises(ConflictError):
        api.import_certificate(alias, pem)
    with pytest.raises(InvalidInputError):
        api.import_certificate(_unique("junk").lower(), "not a certificate")
    api.delete_certificate(alias)
    with pytest.raises(NotFoundError):
        api.delete_certificate(alias)
    with pytest.raises(NotFoundError):
        api.export_certificate(alias)


def test_signing_keys_generate_activate_and_refuse_deleting_the_active_one(api):
    before = next((k.alias for k in api.list_signing_keys() if k.active), None)
    alias = _unique("rollover").lower()
    added = api.add_signing_key(NewSigningKey(alias, common_name="sts.rollover.example.org",
                                              validity_days=30))
    assert added.alias == alias and not added.active
    assert "sts.rollover.example.org" in added.subject
    api.activate_signing_key(alias)
    assert [k.alias for k in api.list_signing_keys() if k.active] == [alias]
    with pytest.raises(ConflictError):
        api.delete_signing_key(alias)
    with pytest.raises(InvalidInputError):  # a missing alias is bad input, as in WSO2
        api.activate_signing_key(_unique("missing").lower())
    if before is not None:
        api.activate_signing_key(before)
        api.delete_signing_key(alias)
        assert alias not in [k.alias for k in api.list_signing_keys()]


def test_security_policy_applies_and_disables(api):
    before = api.get_security_policy()
    scenarios = {s.id: s for s in api.list_scenarios()}
    assert scenarios["scenario1"].asks_for_roles
    assert "wsp:Policy" in api.get_scenario("scenario1").policy or \
        "Policy" in api.get_scenario("scenario1").policy
    with pytest.raises(NotFoundError):
        api.get_scenario("scenario99")

    applied = api.apply_security_policy(SecurityPolicyRequest(
        "scenario1", allowed_roles=("admin",), algorithm_suite=AlgorithmSuite.BASIC256_SHA256))
    assert applied.enabled and applied.allowed_roles == ("admin",)
    assert applied.algorithm_suite is AlgorithmSuite.BASIC256_SHA256
    assert api.get_security_policy().scenario_id == "scenario1"
    assert api.get_security_policy().algorithm_suite is AlgorithmSuite.BASIC256_SHA256
    # Applying without a choice is WSO2's suite again.
    applied = api.apply_security_policy(SecurityPolicyRequest("scenario1",
                                                              allowed_roles=("admin",)))
    assert applied.algorithm_suite is AlgorithmSuite.BASIC256
    with pytest.raises(InvalidInputError):
        api.apply_security_policy(SecurityPolicyRequest(
            "scenario1", allowed_roles=("Internal/everyone",)))

    api.disable_security()
    assert not api.get_security_policy().enabled
    if before.enabled:
        api.apply_security_policy(SecurityPolicyRequest(
            before.scenario_id, allowed_roles=before.allowed_roles,
            algorithm_suite=before.algorithm_suite))


def test_an_own_policy_is_checked_applied_and_read_back(api):
    own = (DATA / "own-policies" / "signed-encrypted-sha256.xml").read_text(encoding="utf-8")
    refused = (DATA / "own-policies" / "kerberos.xml").read_text(encoding="utf-8")
    before = api.get_security_policy()

    verdict = api.check_own_policy(refused)
    assert not verdict.enforceable
    # (Its Kerberos token is enforced where the server accepts tickets; this assertion never.)
    unknown = next(i for i in verdict.unenforceable if i.name == "ex:AuditEveryRequest")
    assert unknown.path.endswith("/wsp:All/ex:AuditEveryRequest")
    assert unknown.line == 36 and "unknown" in unknown.reason
    assert api.check_own_policy(own).asks_for == ("keystores",)

    with pytest.raises(InvalidInputError, match="AuditEveryRequest"):
        api.apply_own_policy(OwnPolicyRequest("Kerberos", refused, trusted_keystores=(
            "wso2carbon.jks",), private_keystore="wso2carbon.jks"))
    applied = api.apply_own_policy(OwnPolicyRequest(
        "Partner", own, trusted_keystores=("wso2carbon.jks",),
        private_keystore="wso2carbon.jks"))
    assert applied.own_policy and applied.policy_name == "Partner"
    assert applied.policy_document == own
    assert api.get_security_policy() == applied
    assert applied.describe().startswith("own policy Partner")

    api.apply_security_policy(SecurityPolicyRequest(
        before.scenario_id, allowed_roles=before.allowed_roles,
        trusted_keystores=before.trusted_keystores, private_keystore=before.private_keystore,
        algorithm_suite=before.algorithm_suite))
    assert not api.get_security_policy().own_policy


def test_the_status_bar_line_names_a_scenario_as_the_console_lists_it():
    # WSO2's id (scenario33) is not what the console shows; its number and summary are.
    applied = SecurityPolicy(True, "scenario33", allowed_roles=("admin", "sts-users"))
    assert applied.describe() == (
        "scenario 19. Sign and Encrypt - X509 Authentication - SAML 2.0 Token Required as "
        "Supporting. · roles: admin, sts-users")
    assert SecurityPolicy(True, "scenario1").describe() == (
        "scenario 1. UsernameToken · roles: no roles")
    assert SecurityPolicy(True, "scenario99").describe() == "scenario99 · roles: no roles"
    assert SecurityPolicy(False).describe() == "Security disabled (no tokens issued)"


def test_proof_key_type_and_sts_settings_read_back(api):
    before = api.get_proof_key_type()
    assert api.set_proof_key_type("BinarySecret") == "BinarySecret"
    assert api.get_proof_key_type() == "BinarySecret"
    api.set_proof_key_type(before)

    settings = api.get_sts_settings()
    assert settings.tokens.security_context_lifetime_seconds == 3600
    changed = replace(settings, tokens=TokenSettings(301, settings.tokens.max_lifetime_seconds,
                                                     settings.tokens.clock_skew_seconds, 1800))
    assert api.update_sts_settings(changed) == changed
    assert api.get_sts_settings() == changed
    api.update_sts_settings(settings)
    # A caller that does not know the context lifetime leaves it as the server has it.
    unknown = replace(settings, tokens=replace(settings.tokens,
                                               security_context_lifetime_seconds=None))
    assert api.update_sts_settings(unknown).tokens.security_context_lifetime_seconds == 3600
    assert api.get_endpoints().wsdl_url.endswith("?wsdl")
    assert any(k.private_store for k in api.list_keystores())


def test_password_digest_is_off_by_default_and_reads_back(api):
    settings = api.get_sts_settings()
    assert settings.password_digest == PasswordDigestSetting(allowed=False, stored_count=0)
    on = api.update_sts_settings(replace(settings, password_digest=PasswordDigestSetting(True)))
    assert on.password_digest is not None and on.password_digest.allowed
    read = api.get_sts_settings().password_digest
    assert read is not None and read.allowed
    off = api.update_sts_settings(settings)
    assert off.password_digest == PasswordDigestSetting(allowed=False, stored_count=0)


def test_users_and_roles(api):
    name = _unique("alice")
    user = api.create_user(UserDraft(name, "Str0ng-passw0rd!", given_name="Alice",
                                     email=f"{name}@example.org"))
    assert api.get_user(user.id).email == f"{name}@example.org"
    assert [u.user_name for u in api.list_users(user_name_prefix=name).users] == [name]
    with pytest.raises(ConflictError):
        api.create_user(UserDraft(name, "Str0ng-passw0rd!"))

    changed = api.update_user(user, UserDraft(name, given_name="Alicia", family_name="Smith",
                                              email="", active=False))
    assert (changed.given_name, changed.family_name, changed.email, changed.active) == (
        "Alicia", "Smith", "", False)
    api.set_user_password(user.id, "An0ther-passw0rd!")

    role = api.create_role(_unique("auditors"), [user.id])
    assert role.member_ids == {user.id}
    with pytest.raises(ConflictError):
        api.create_role(role.name)
    assert role.name in api.get_user(user.id).role_names
    api.remove_role_members(role.id, [user.id])
    assert not api.get_user(user.id).roles
    api.add_role_members(role.id, [user.id])
    stored = next(r for r in api.list_roles() if r.id == role.id)
    renamed = api.update_role(stored, role.name + "-x", [])
    assert renamed.name in [r.name for r in api.list_roles()] and not renamed.members
    with pytest.raises(ConflictError):
        api.update_role(renamed, "admin", [])
    api.delete_role(role.id)
    assert api.unlock_user(user.id).locked is False
    api.delete_user(user.id)
    with pytest.raises(NotFoundError):
        api.get_user(user.id)


def test_local_claims_and_audit(api):
    claims = {c.uri: c.display_name for c in api.list_local_claims()}
    assert "http://wso2.org/claims/emailaddress" in claims
    api.create_application(ApplicationDraft(_unique("Audited")))
    entries = api.list_audit_entries(limit=5).entries
    assert entries and entries[0].actor == "admin"


def test_every_refusal_is_a_service_error_with_the_servers_message(api):
    with pytest.raises(ServiceError) as caught:
        api.get_application("no-such-id")
    assert isinstance(caught.value, NotFoundError)
    assert caught.value.message
