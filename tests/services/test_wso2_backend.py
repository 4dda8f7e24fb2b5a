"""The WSO2 backend against the contract double: every operation, on every version it plays.

The double validates each SOAP request against WSO2's WSDL schemas and each REST body against
WSO2's OpenAPI schemas and refuses what does not fit, so a passing call here is one WSO2's own
contracts accept; the assertions check what the console would then show.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.algorithm_suite import AlgorithmSuite
from stsdesk.services.admin import Capability, open_admin_api
from stsdesk.services.admin.models import (
    ApplicationDraft,
    OwnPolicyRequest,
    RequestedClaim,
    ResidentIdp,
    SecurityPolicyRequest,
    UserDraft,
    WsTrustConfig,
)
from stsdesk.services.admin.wso2 import Wso2AdminApi
from stsdesk.services.admin.wso2.detect import CONNECTOR_MISSING
from stsdesk.services.admin_client import ServerEndpoint, ServerKind
from stsdesk.services.errors import (
    AuthenticationError,
    CertificateChangedError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UnsupportedError,
)
from stsdesk.services.tls import TrustPolicy
from tests.helpers import certfactory
from tests.wso2double import Wso2Double

WITH_CONNECTOR = ("5.10", "5.11", "7.1")


def _api(double: Wso2Double, *, password: str | None = None, tenant: str = "carbon.super",
         pin: str | None = None) -> Wso2AdminApi:
    endpoint = ServerEndpoint(double.url, "admin", password or double.password,
                              TrustPolicy(pinned_sha256=pin or double.sha256),
                              kind=ServerKind.WSO2, tenant=tenant)
    api = open_admin_api(endpoint)
    assert isinstance(api, Wso2AdminApi)
    return api


@pytest.fixture(params=WITH_CONNECTOR)
def double(request: pytest.FixtureRequest) -> Iterator[Wso2Double]:
    with Wso2Double(request.param) as running:
        yield running


@pytest.fixture
def api(double: Wso2Double) -> Iterator[Wso2AdminApi]:
    client = _api(double)
    yield client
    client.close()


def _soap(double: Wso2Double, operation: str) -> list[etree._Element]:
    return [c.body for c in double.calls if c.operation == operation]


# -- the server ---------------------------------------------------------------------------


def test_version_is_detected_and_what_wso2_lacks_is_greyed_out_with_the_reason(double, api):
    info = api.server_info()
    assert info.product == "WSO2 Identity Server"
    assert info.version == double.profile.version
    capabilities = api.capabilities()
    assert capabilities.supports(Capability.SECURITY_POLICY)
    assert "audit log" in (capabilities.reason(Capability.AUDIT_LOG) or "")
    with pytest.raises(UnsupportedError, match="audit"):
        api.list_audit_entries()
    with pytest.raises(UnsupportedError, match="signing keys"):
        api.list_signing_keys()


def test_a_missing_connector_is_said_plainly_and_everything_else_works():
    with Wso2Double("5.11-no-connector") as double:
        api = _api(double)
        capabilities = api.capabilities()
        for part in (Capability.SECURITY_POLICY, Capability.TRUSTED_SERVICES,
                     Capability.PROOF_KEY_TYPE, Capability.WS_TRUST):
            assert capabilities.reason(part) == CONNECTOR_MISSING
        with pytest.raises(UnsupportedError, match="install it from the WSO2 connector store"):
            api.get_security_policy()
        # The resident IdP and service providers do not need the connector.
        assert api.get_resident_idp().home_realm_identifiers == ("localhost",)
        created = api.create_application(ApplicationDraft("no-connector-sp"))
        assert created.has_ws_trust is False
        assert not double.operations()[1:]  # no SOAP call to the missing services
        api.close()


def test_without_server_admin_the_version_is_told_by_the_rest_probes():
    with Wso2Double("5.10", server_admin_allowed=False) as double:
        api = _api(double)
        assert api.server_info().version == ""
        traits = api.traits()
        assert not traits.has_configs_api and traits.sts_namespace == ns.WSO2_STS_ADMIN_LEGACY
        api.set_proof_key_type("EncryptedKey")  # the 5.10 namespace: the WSDL accepted it
        assert double.state.proof_key_type == "EncryptedKey"
        api.close()


def test_a_wrong_password_is_an_authentication_error(double):
    api = _api(double, password="not-the-password")
    with pytest.raises(AuthenticationError):
        api.server_info()
    api.close()


def test_the_tls_pin_is_enforced(double):
    other = "00" * 32
    api = _api(double, pin=other)
    with pytest.raises(CertificateChangedError):
        api.server_info()
    api.close()


# -- resident identity provider -------------------------------------------------------------


def test_resident_idp_reads_back_what_was_saved(double, api):
    current = api.get_resident_idp()
    wanted = ResidentIdp(("sts.example.org", "localhost"), 30, 10080)
    saved = api.update_resident_idp(current, wanted)
    assert saved == wanted
    assert double.state.home_realms == ["sts.example.org", "localhost"]
    assert double.state.idle_timeout == "30"
    if double.profile.configs_api:
        assert not _soap(double, "IdentityProviderMgtService.updateResidentIdP")
    else:  # 5.10: no /configs, the admin service instead
        [update] = _soap(double, "IdentityProviderMgtService.updateResidentIdP")
        assert update.findtext(f"{{*}}identityProvider/{{{ns.WSO2_IDP_MODEL}}}homeRealmId") \
            == "sts.example.org,localhost"


def test_a_timeout_wso2_refuses_comes_back_with_its_reason(double, api):
    current = api.get_resident_idp()
    with pytest.raises(InvalidInputError):
        api.update_resident_idp(current, ResidentIdp(current.home_realm_identifiers, 0, 5))
    assert double.state.idle_timeout == "15"


# -- security, trusted services, proof key ---------------------------------------------------


def test_apply_scenario1_sends_what_the_console_sends_and_reads_it_back(double, api):
    scenarios = {s.id: s for s in api.list_scenarios()}
    assert scenarios["scenario1"].asks_for_roles
    assert scenarios["scenario2"].asks_for_keystores
    applied = api.apply_security_policy(SecurityPolicyRequest("scenario1",
                                                              allowed_roles=("admin",)))
    assert applied.enabled and applied.scenario_id == "scenario1"
    assert applied.allowed_roles == ("admin",)
    [sent] = _soap(double, "SecurityAdminService.applySecurity")
    fields = [(etree.QName(e).localname, e.text, e.get(f"{{{ns.XSI}}}nil")) for e in sent]
    # serviceName, policyId, a nil policyPath, no stores, the role: as add-security.jsp sends.
    assert fields == [("serviceName", "wso2carbon-sts", None), ("policyId", "scenario1", None),
                      ("policyPath", None, "true"), ("privateStore", None, "true"),
                      ("userGroupNames", "admin", None)]


def test_apply_a_keystore_scenario_sends_the_stores_and_reads_them_back(double, api):
    stores = api.list_keystores()
    private = next(s.name for s in stores if s.private_store)
    assert private == double.profile.keystore
    applied = api.apply_security_policy(SecurityPolicyRequest(
        "scenario2", allowed_roles=("admin",), trusted_keystores=(private,),
        private_keystore=private))
    assert applied.trusted_keystores == (private,)
    assert applied.private_keystore == private
    assert applied.allowed_roles == ()  # a keystore scenario sends no roles
    api.disable_security()
    assert api.get_security_policy().enabled is False


def test_a_kerberos_keytab_is_not_sent_to_wso2_which_wants_a_password(double, api):
    with pytest.raises(UnsupportedError, match="password, not a keytab"):
        api.apply_security_policy(SecurityPolicyRequest(
            "scenario20", service_principal="HTTP/is.example.org@EXAMPLE.ORG",
            keytab=b"\x05\x02keys"))
    assert _soap(double, "SecurityAdminService.applySecurity") == []  # nothing was sent
    # Nor with a registry policy of one's own.
    double.state.registry_policies.add("/_system/config/policies/tickets.xml")
    with pytest.raises(UnsupportedError, match="no Kerberos service principal or keytab"):
        api.apply_own_policy(OwnPolicyRequest(
            "Tickets", registry_path="/_system/config/policies/tickets.xml",
            service_principal="HTTP/is.example.org@EXAMPLE.ORG", keytab=b"\x05\x02keys"))
    assert _soap(double, "SecurityAdminService.applySecurity") == []


def test_wso2_has_no_choice_of_algorithm_suite_and_says_so(double, api):
    assert not api.capabilities().supports(Capability.ALGORITHM_SUITE)
    assert "Basic256" in (api.capabilities().reason(Capability.ALGORITHM_SUITE) or "")
    with pytest.raises(UnsupportedError, match="Basic256"):
        api.apply_security_policy(SecurityPolicyRequest(
            "scenario1", allowed_roles=("admin",),
            algorithm_suite=AlgorithmSuite.BASIC256_SHA256))
    assert _soap(double, "SecurityAdminService.applySecurity") == []  # nothing was sent
    # What WSO2 applies reads back as its scenarios' own suite.
    applied = api.apply_security_policy(SecurityPolicyRequest("scenario1",
                                                              allowed_roles=("admin",)))
    assert applied.algorithm_suite is AlgorithmSuite.BASIC256


def test_a_role_wso2_does_not_have_is_refused_with_its_words(api):
    with pytest.raises(InvalidInputError, match="nobody-has-this-role"):
        api.apply_security_policy(SecurityPolicyRequest(
            "scenario1", allowed_roles=("nobody-has-this-role",)))


def test_secondary_user_store_roles_carry_their_domain(double, api):
    api.create_role("SECONDARY/partners")
    api.apply_security_policy(SecurityPolicyRequest(
        "scenario1", user_store_domain="SECONDARY", allowed_roles=("partners",)))
    assert double.state.roles == ["SECONDARY/partners"]


def test_trusted_services_and_proof_key_type(double, api):
    api.add_trusted_service("https://rp.example.org/service", "wso2carbon")
    assert [(t.audience, t.certificate_alias) for t in api.list_trusted_services()] == [
        ("https://rp.example.org/service", "wso2carbon")]
    api.remove_trusted_service("https://rp.example.org/service")
    assert api.list_trusted_services() == ()
    assert api.set_proof_key_type("EncryptedKey") == "EncryptedKey"
    assert api.get_proof_key_type() == "EncryptedKey"
    [sent] = _soap(double, "STSAdminService.setProofKeyType")
    assert etree.QName(sent).namespace == double.profile.sts_namespace
    with pytest.raises(InvalidInputError):
        api.set_proof_key_type("Plaintext")


def test_endpoints_name_the_tenants_sts(double, api):
    assert api.get_endpoints().sts_url == f"{double.url}/services/wso2carbon-sts"


# -- service providers --------------------------------------------------------------------


def test_service_provider_with_ws_trust_configuration(double, api):
    created = api.create_application(ApplicationDraft(
        "rp-one", "A relying party",
        requested_claims=(RequestedClaim("http://wso2.org/claims/emailaddress", True),),
        subject_claim="http://wso2.org/claims/username"))
    assert created.requested_claims[0].mandatory
    assert created.subject_claim == "http://wso2.org/claims/username"
    assert api.get_ws_trust(created.id) is None
    assert "wso2carbon" in api.ws_trust_options().certificate_aliases
    saved = api.put_ws_trust(created.id, WsTrustConfig("https://rp.example.org/one",
                                                       "wso2carbon"))
    assert saved == WsTrustConfig("https://rp.example.org/one", "wso2carbon")
    assert api.get_application(created.id).has_ws_trust
    # WSO2's PUT registers the relying party as a trusted service.
    assert "https://rp.example.org/one" in {t.audience for t in api.list_trusted_services()}
    with pytest.raises(InvalidInputError, match="Invalid audience"):
        api.put_ws_trust(created.id, WsTrustConfig("https://elsewhere.example.org"))
    renamed = api.update_application(created.id, ApplicationDraft("rp-one-renamed"))
    assert renamed.name == "rp-one-renamed"
    assert [a.name for a in api.list_applications().applications] == ["rp-one-renamed"]
    api.delete_ws_trust(created.id)
    assert api.get_ws_trust(created.id) is None
    api.delete_application(created.id)
    with pytest.raises(NotFoundError):
        api.get_application(created.id)


def test_settings_wso2_cannot_keep_come_back_as_a_warning(api):
    created = api.create_application(ApplicationDraft("rp-two"))
    saved = api.put_ws_trust(created.id, WsTrustConfig("https://rp.example.org/two",
                                                       token_lifetime_seconds=600))
    assert saved.token_lifetime_seconds is None
    assert "token lifetime" in saved.warnings[0]


def test_a_duplicate_service_provider_name_is_a_conflict(api):
    api.create_application(ApplicationDraft("twice"))
    with pytest.raises(ConflictError):
        api.create_application(ApplicationDraft("twice"))


def test_local_claims(api):
    assert "http://wso2.org/claims/emailaddress" in {c.uri for c in api.list_local_claims()}


# -- trust store --------------------------------------------------------------------------


def _pem(common_name: str) -> str:
    issued = certfactory.issue(common_name)
    return issued.certificate.public_bytes(serialization.Encoding.PEM).decode()


def test_super_tenant_import_goes_through_the_admin_service(double, api):
    pem = _pem("rp-import.example.org")
    imported = api.import_certificate("rp-import", pem)
    assert imported.subject == "CN=rp-import.example.org"
    [sent] = _soap(double, "KeyStoreAdminService.importCertToStore")
    assert sent.findtext("{*}fileName") == "rp-import"
    assert sent.findtext("{*}keyStoreName") == double.profile.trust_store
    assert base64.b64decode(sent.findtext("{*}fileData") or "") == double.state.trust_store[
        "rp-import"]
    assert api.export_certificate("rp-import") == pem
    assert "rp-import" in {c.alias for c in api.list_certificates()}
    with pytest.raises(ConflictError, match="rp-import"):
        api.import_certificate("again", pem)  # WSO2 would keep it silently: we say so
    api.delete_certificate("rp-import")
    assert "rp-import" not in {c.alias for c in api.list_certificates()}
    with pytest.raises(NotFoundError):
        api.delete_certificate("rp-import")


def test_a_tenant_imports_over_rest():
    with Wso2Double("7.1", tenant="example.org") as double:
        api = _api(double, tenant="example.org")
        api.import_certificate("tenant-rp", _pem("tenant-rp.example.org"))
        assert not _soap(double, "KeyStoreAdminService.importCertToStore")
        assert ("POST", "/api/server/v1/keystores/certs") in {(c.method, c.path)
                                                              for c in double.calls}
        api.delete_certificate("tenant-rp")
        assert "tenant-rp" not in double.state.tenant_certs
        api.close()


def test_public_certificate(double, api):
    pem = api.public_certificate()
    assert pem.startswith("-----BEGIN CERTIFICATE-----")


# -- users and roles ------------------------------------------------------------------------


def test_users_and_roles_over_scim(api):
    user = api.create_user(UserDraft("alice", "Alice-passw0rd", given_name="Alice",
                                     email="alice@example.org"))
    assert user.user_name == "alice" and user.email == "alice@example.org"
    role = api.create_role("sts-users", [user.id])
    assert role.member_names == ("alice",)
    assert "sts-users" in {r.name for r in api.list_roles()}
    assert api.get_user(user.id).role_names == ("sts-users",)
    api.apply_security_policy(SecurityPolicyRequest("scenario1", allowed_roles=("sts-users",)))
    assert api.get_security_policy().allowed_roles == ("sts-users",)
