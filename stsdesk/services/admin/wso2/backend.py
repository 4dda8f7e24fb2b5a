"""The admin API over a WSO2 Identity Server (5.10 to 7.x): REST where it has it, SOAP else.

REST (``/t/{tenant}/api/server/v1``): the resident IdP on 5.11+ (``/configs``), service
providers and their WS-Trust inbound configuration, the keystore's certificates; SCIM 2.0 for
users and roles. SOAP admin services: the security scenario of ``wso2carbon-sts``, trusted
services and the proof key type, the keystore list, importing into the super tenant's trust
store (its REST API refuses that), and the resident IdP on 5.10.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import NoReturn, TypeVar

from cryptography.hazmat.primitives import serialization

from stsdesk.core.algorithm_suite import DEFAULT_ALGORITHM_SUITE
from stsdesk.services.admin import wso2_json
from stsdesk.services.admin.api import Capabilities, Capability
from stsdesk.services.admin.models import (
    Application,
    ApplicationDraft,
    ApplicationPage,
    AuditPage,
    Keystore,
    LocalClaim,
    NewSigningKey,
    OwnPolicyRequest,
    PolicyVerdict,
    ResidentIdp,
    RevocationList,
    RevocationPolicy,
    SamlIssuer,
    Scenario,
    ScenarioDetail,
    SecurityPolicy,
    SecurityPolicyRequest,
    ServerInfo,
    SigningKey,
    StsEndpoints,
    StsSettings,
    TrustedCertificate,
    TrustedService,
    WsTrustConfig,
    WsTrustOptions,
)
from stsdesk.services.admin.stsdesk_scim import ScimUsersAndRoles
from stsdesk.services.admin.wire import dict_of, list_of, read, strings
from stsdesk.services.admin.wso2 import rest
from stsdesk.services.admin.wso2.admin_services import STS_SERVICE, AdminServices
from stsdesk.services.admin.wso2.detect import (
    CONNECTOR_MISSING,
    ServerTraits,
    capabilities_of,
)
from stsdesk.services.admin.wso2.soap import SoapClient
from stsdesk.services.admin.wso2_json import resident_idp_patch
from stsdesk.services.admin_client import API_PREFIX, SUPER_TENANT, AdminClient, ServerEndpoint
from stsdesk.services.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
    UnsupportedError,
)

__all__ = ["Wso2AdminApi", "WSO2_PRODUCT"]

log = logging.getLogger("stsdesk.services.admin.wso2")

WSO2_PRODUCT = "WSO2 Identity Server"
_CONNECTOR_ABSENT_CODE = "APP-60504"  # "WS-Trust protocol is not supported."
_T = TypeVar("_T")


def _tenant_user(username: str, tenant: str) -> str:
    """WSO2 takes the tenant from the user name (``admin@example.org``)."""
    if tenant == SUPER_TENANT or "@" in username:
        return username
    return f"{username}@{tenant}"


class Wso2AdminApi(ScimUsersAndRoles):
    """:class:`AdminApi` over a WSO2 Identity Server; what it lacks, ``capabilities()`` says."""

    def __init__(self, endpoint: ServerEndpoint, *, timeout: float = 15.0) -> None:
        self.endpoint = endpoint
        self.tenant = endpoint.tenant or SUPER_TENANT
        root = endpoint.base_url.rstrip("/")
        tenant_root = root if self.tenant == SUPER_TENANT else f"{root}/t/{self.tenant}"
        user = _tenant_user(endpoint.username, self.tenant)
        # REST and SCIM paths are under the tenant; the admin services take it from the user.
        self.client = AdminClient(replace(endpoint, base_url=tenant_root, username=user),
                                  timeout=timeout)
        self.soap = SoapClient(root, user, endpoint.password, endpoint.trust, timeout=timeout,
                               missing_service_reason=CONNECTOR_MISSING)
        self.services = AdminServices(self.soap)
        self._traits: ServerTraits | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return self.endpoint.base_url

    def close(self) -> None:
        self.client.close()
        self.soap.close()

    # -- the server ----------------------------------------------------------------------

    def traits(self) -> ServerTraits:
        """Detect once what the server is and offers (three requests), then remember it."""
        with self._lock:
            if self._traits is None:
                self._traits = self._detect()
                self.services.sts_namespace = self._traits.sts_namespace
            return self._traits

    def _detect(self) -> ServerTraits:
        try:
            version = self.services.server_version()
        except (PermissionDeniedError, NotFoundError):
            # ServerAdmin needs /permission/protected/server-admin; without it the REST probes
            # below still tell 5.10 from 5.11+.
            version = ""
        try:
            self.client.get(rest.CONFIGS)
            has_configs = True
        except NotFoundError:
            has_configs = False
        try:
            self.client.get(rest.WS_TRUST_META)
            connector = True
        except (NotFoundError, InvalidInputError):
            connector = False
        log.info("WSO2 Identity Server %s: /configs %s, WS-Trust %s", version or "?",
                 has_configs, connector)
        return ServerTraits(version=version, has_configs_api=has_configs,
                            connector_installed=connector,
                            super_tenant=self.tenant == SUPER_TENANT)

    def server_info(self) -> ServerInfo:
        return ServerInfo(product=WSO2_PRODUCT, version=self.traits().version,
                          node=self.tenant)

    def capabilities(self) -> Capabilities:
        return capabilities_of(self.traits())

    def _require(self, capability: Capability) -> None:
        self.capabilities().require(capability)

    def _never(self, capability: Capability) -> NoReturn:
        """For what WSO2 has no API for at all: UnsupportedError with the reason."""
        self._require(capability)
        raise UnsupportedError(f"{WSO2_PRODUCT} cannot do this.", capability=capability.value)

    def _ws_trust_call(self, call: Callable[[], _T]) -> _T:
        """A ws-trust REST call; WSO2's "not supported" answer means the connector is missing."""
        try:
            return call()
        except (NotFoundError, InvalidInputError) as error:
            if error.code == _CONNECTOR_ABSENT_CODE or "not supported" in error.message.lower():
                raise UnsupportedError(CONNECTOR_MISSING,
                                       capability=Capability.WS_TRUST.value) from error
            raise

    # -- resident identity provider ------------------------------------------------------

    def get_resident_idp(self) -> ResidentIdp:
        if not self.traits().has_configs_api:
            return self.services.resident_idp()
        body = self.client.get(rest.CONFIGS)
        return read("the resident identity provider", lambda: wso2_json.resident_idp(body))

    def update_resident_idp(self, current: ResidentIdp, wanted: ResidentIdp) -> ResidentIdp:
        wanted = replace(wanted, issuer=current.issuer)  # WSO2 has no issuer setting here
        if not self.traits().has_configs_api:
            self.services.update_resident_idp(wanted)
            return self.services.resident_idp()
        operations = resident_idp_patch(current, wanted)
        if operations:
            self.client.patch(rest.CONFIGS, operations)
        return self.get_resident_idp()

    # -- STS security --------------------------------------------------------------------

    def list_scenarios(self) -> tuple[Scenario, ...]:
        self._require(Capability.SECURITY_POLICY)
        scenarios, _ = self.services.scenarios()
        return scenarios

    def get_scenario(self, scenario_id: str) -> ScenarioDetail:
        self._require(Capability.SECURITY_POLICY)
        # WSO2 keeps the policy documents in its registry; the admin services do not serve them.
        return ScenarioDetail(scenario=self.services.scenario(scenario_id), policy="")

    def get_security_policy(self) -> SecurityPolicy:
        self._require(Capability.SECURITY_POLICY)
        applied = self.services.applied_security()
        proof_key_type = self.services.proof_key_type()
        if applied.scenario_id is None:
            return SecurityPolicy(enabled=False, proof_key_type=proof_key_type)
        return SecurityPolicy(
            enabled=True, scenario_id=applied.scenario_id, allowed_roles=applied.roles,
            trusted_keystores=applied.trusted_keystores,
            private_keystore=applied.private_keystore, proof_key_type=proof_key_type)

    def apply_security_policy(self, request: SecurityPolicyRequest) -> SecurityPolicy:
        self._require(Capability.SECURITY_POLICY)
        if request.algorithm_suite is not DEFAULT_ALGORITHM_SUITE:
            self._require(Capability.ALGORITHM_SUITE)  # refused with WSO2's reason
        if request.keytab is not None:
            # WSO2's applySecurity takes the principal's password, never a keytab: sending the
            # scenario without it would leave WSO2 unable to read a single ticket.
            raise UnsupportedError(
                f"{WSO2_PRODUCT} takes the Kerberos service principal's password, not a keytab; "
                "apply scenario 20 in WSO2's own management console.",
                capability=Capability.SECURITY_POLICY.value)
        scenario = self.services.scenario(request.scenario_id)
        self.services.apply_security(request, scenario)
        return self.get_security_policy()

    def check_own_policy(self, document: str) -> PolicyVerdict:
        self._never(Capability.OWN_POLICY_CHECK)

    def apply_own_policy(self, request: OwnPolicyRequest) -> SecurityPolicy:
        """``applySecurity`` with ``policyFromRegistry`` and the policy's registry path, as
        WSO2's console sends its "Security Policy is in Registry" choice."""
        self._require(Capability.SECURITY_POLICY)
        if request.keytab is not None or request.service_principal:
            # A registry policy's Kerberos settings are WSO2's own (its console asks for the
            # principal's password); a keytab is never sent there.
            raise UnsupportedError(
                f"{WSO2_PRODUCT} takes no Kerberos service principal or keytab with a registry "
                "policy; set them in WSO2's own management console.",
                capability=Capability.SECURITY_POLICY.value)
        if not request.registry_path:
            raise UnsupportedError(
                f"{WSO2_PRODUCT} applies an own policy from its registry: upload the file there "
                "first (Registry › Browse in its management console) and give the registry "
                "path; its admin services take no policy document.",
                capability=Capability.SECURITY_POLICY.value)
        self.services.apply_registry_policy(request)
        return self.get_security_policy()

    def disable_security(self) -> None:
        self._require(Capability.SECURITY_POLICY)
        self.services.disable_security()

    def list_trusted_services(self) -> tuple[TrustedService, ...]:
        self._require(Capability.TRUSTED_SERVICES)
        return self.services.trusted_services()

    def add_trusted_service(self, audience: str, certificate_alias: str | None) -> None:
        """STSAdminService.addTrustedService: WSO2's own step before a WS-Trust inbound."""
        self._require(Capability.TRUSTED_SERVICES)
        self.services.add_trusted_service(audience, certificate_alias)

    def remove_trusted_service(self, audience: str) -> None:
        self._require(Capability.TRUSTED_SERVICES)
        self.services.remove_trusted_service(audience)

    def list_keystores(self) -> tuple[Keystore, ...]:
        return self.services.keystores()

    def get_proof_key_type(self) -> str:
        self._require(Capability.PROOF_KEY_TYPE)
        return self.services.proof_key_type()

    def set_proof_key_type(self, proof_key_type: str) -> str:
        self._require(Capability.PROOF_KEY_TYPE)
        self.services.set_proof_key_type(proof_key_type)
        return self.services.proof_key_type()

    def get_endpoints(self) -> StsEndpoints:
        root = self.endpoint.base_url.rstrip("/")
        tenant = "" if self.tenant == SUPER_TENANT else f"t/{self.tenant}/"
        sts = f"{root}/services/{tenant}{STS_SERVICE}"
        return StsEndpoints(sts_url=sts, wsdl_url=f"{sts}?wsdl")

    def get_sts_settings(self) -> StsSettings:
        self._never(Capability.STS_SETTINGS)

    def update_sts_settings(self, settings: StsSettings) -> StsSettings:
        return self.get_sts_settings()

    # -- service providers ---------------------------------------------------------------

    def list_local_claims(self) -> tuple[LocalClaim, ...]:
        body = self.client.get(rest.CLAIMS)
        return read("the local claims", lambda: wso2_json.local_claims(body))

    def list_applications(self, *, offset: int = 0, limit: int = 100) -> ApplicationPage:
        body = self.client.get(rest.APPLICATIONS, limit=limit, offset=offset)
        return read("the service providers", lambda: wso2_json.application_page(body))

    def get_application(self, application_id: str) -> Application:
        body = self.client.get(f"{rest.APPLICATIONS}/{wso2_json.segment(application_id)}")
        return read("the service provider", lambda: wso2_json.application(body))

    def create_application(self, draft: ApplicationDraft) -> Application:
        # WSO2 answers 201 with only a Location header: find the new one by its unique name.
        self.client.post(rest.APPLICATIONS, rest.application_body(draft))
        body = self.client.get(rest.APPLICATIONS, filter=f"name eq {draft.name}", limit=1)
        found = read("the new service provider",
                     lambda: [dict_of(a) for a in list_of(dict_of(body).get("applications"))])
        if not found:
            raise ServiceError(f"WSO2 created the service provider {draft.name!r} but does "
                               "not list it; reload the list.")
        return self.get_application(str(found[0]["id"]))

    def update_application(self, application_id: str, draft: ApplicationDraft) -> Application:
        self.client.patch(f"{rest.APPLICATIONS}/{wso2_json.segment(application_id)}",
                          rest.application_body(draft))
        return self.get_application(application_id)

    def delete_application(self, application_id: str) -> None:
        self.client.delete(f"{rest.APPLICATIONS}/{wso2_json.segment(application_id)}")

    def get_ws_trust(self, application_id: str) -> WsTrustConfig | None:
        self._require(Capability.WS_TRUST)
        if not self.get_application(application_id).has_ws_trust:
            return None
        body = self._ws_trust_call(lambda: self.client.get(rest.ws_trust_path(application_id)))
        return read("the WS-Trust configuration", lambda: wso2_json.ws_trust(body))

    def put_ws_trust(self, application_id: str, config: WsTrustConfig) -> WsTrustConfig:
        self._require(Capability.WS_TRUST)
        body, warnings = rest.ws_trust_body(config)
        # WSO2's PUT registers the audience as a trusted service itself (addTrustedService).
        self._ws_trust_call(lambda: self.client.put(rest.ws_trust_path(application_id), body))
        saved = self.get_ws_trust(application_id)
        if saved is None:
            raise ServiceError("WSO2 accepted the WS-Trust configuration but does not show it.")
        return replace(saved, warnings=saved.warnings + warnings)

    def delete_ws_trust(self, application_id: str) -> None:
        self._require(Capability.WS_TRUST)
        self._ws_trust_call(lambda: self.client.delete(rest.ws_trust_path(application_id)))

    def ws_trust_options(self) -> WsTrustOptions:
        self._require(Capability.WS_TRUST)
        body = self._ws_trust_call(lambda: self.client.get(rest.WS_TRUST_META))

        def parse() -> WsTrustOptions:
            alias = dict_of(dict_of(body).get("certificateAlias") or {})
            default = alias.get("defaultValue")
            return WsTrustOptions(
                certificate_aliases=strings(alias.get("options")),
                defaults={} if default is None else {"certificate_alias": str(default)})

        return read("the WS-Trust choices", parse)

    # -- trust store ---------------------------------------------------------------------

    @property
    def _certs_path(self) -> str:
        # The super tenant's trust store is read-only over REST; a tenant's keystore is not.
        return rest.CLIENT_CERTS if self.tenant == SUPER_TENANT else rest.CERTS

    def _trust_store_name(self) -> str:
        stores = self.services.keystores()
        named = [s.name for s in stores if s.name.startswith("client-truststore")]
        return named[0] if named else f"client-truststore{self.traits().trust_store_suffix}"

    def _certificate_text(self, path: str) -> str:
        return str(self.client.request("GET", API_PREFIX + path,
                                       params={"encode-cert": "true"}, raw=True) or "")

    def list_certificates(self) -> tuple[TrustedCertificate, ...]:
        body = self.client.get(self._certs_path)
        aliases = read("the trust store",
                       lambda: [str(dict_of(c)["alias"]) for c in list_of(body)])
        return tuple(self._read_certificate(alias) for alias in aliases)

    def _read_certificate(self, alias: str) -> TrustedCertificate:
        text = self._certificate_text(f"{self._certs_path}/{wso2_json.segment(alias)}")
        return read(f"the certificate {alias}", lambda: rest.trusted_certificate(
            alias, rest.certificate_from_text(text)))

    def export_certificate(self, alias: str) -> str:
        text = self._certificate_text(f"{self._certs_path}/{wso2_json.segment(alias)}")
        return read(f"the certificate {alias}",
                    lambda: rest.pem_of(rest.certificate_from_text(text)))

    def import_certificate(self, alias: str, certificate: str) -> TrustedCertificate:
        parsed = read("the certificate to import", lambda: rest.certificate_from_text(certificate))
        der = base64.b64encode(parsed.public_bytes(serialization.Encoding.DER)).decode("ascii")
        existing = {c.alias: c for c in self.list_certificates()}
        if alias in existing:
            raise ConflictError(409, "", "Conflict",
                                f"The trust store already has a certificate named {alias!r}.")
        fingerprint = rest.trusted_certificate(alias, parsed).sha256_fingerprint
        twin = next((c.alias for c in existing.values()
                     if c.sha256_fingerprint == fingerprint), None)
        if twin is not None:  # WSO2 would silently keep the old one: say so instead
            raise ConflictError(409, "", "Conflict",
                                f"This certificate is in the trust store already, as {twin!r}.")
        if self.tenant == SUPER_TENANT:
            self.services.import_certificate(alias, der, self._trust_store_name())
        else:
            self.client.post(rest.CERTS, {"alias": alias, "certificate": der})
        return self._read_certificate(alias)

    def delete_certificate(self, alias: str) -> None:
        if self.tenant == SUPER_TENANT:
            if alias not in {c.alias for c in self.list_certificates()}:
                raise NotFoundError(404, "", "Not Found",
                                    f"The trust store has no certificate named {alias!r}.")
            self.services.remove_certificate(alias, self._trust_store_name())
        else:
            self.client.delete(f"{rest.CERTS}/{wso2_json.segment(alias)}")

    def public_certificate(self) -> str:
        text = self._certificate_text(f"{rest.CERTS}/public")
        return read("the public certificate",
                    lambda: rest.pem_of(rest.certificate_from_text(text)))

    def list_signing_keys(self) -> tuple[SigningKey, ...]:
        self._never(Capability.SIGNING_KEYS)

    def add_signing_key(self, request: NewSigningKey) -> SigningKey:
        self._never(Capability.SIGNING_KEYS)

    def activate_signing_key(self, alias: str) -> None:
        self._never(Capability.SIGNING_KEYS)

    def delete_signing_key(self, alias: str) -> None:
        self._never(Capability.SIGNING_KEYS)

    # -- revocation and trusted SAML issuers ---------------------------------------------

    def list_revocation_lists(self) -> tuple[RevocationList, ...]:
        self._never(Capability.REVOCATION_LISTS)

    def import_revocation_list(self, crl: str) -> RevocationList:
        self._never(Capability.REVOCATION_LISTS)

    def delete_revocation_list(self, crl_id: str) -> None:
        self._never(Capability.REVOCATION_LISTS)

    def get_revocation_policy(self) -> RevocationPolicy:
        self._never(Capability.REVOCATION_LISTS)

    def set_revocation_policy(self, policy: RevocationPolicy) -> RevocationPolicy:
        self._never(Capability.REVOCATION_LISTS)

    def list_saml_issuers(self) -> tuple[SamlIssuer, ...]:
        self._never(Capability.SAML_ISSUERS)

    def trust_saml_issuer(self, alias: str, issuer: str) -> SamlIssuer:
        self._never(Capability.SAML_ISSUERS)

    def distrust_saml_issuer(self, alias: str) -> None:
        self._never(Capability.SAML_ISSUERS)

    # -- audit ---------------------------------------------------------------------------

    def list_audit_entries(self, *, offset: int = 0, limit: int = 100) -> AuditPage:
        self._never(Capability.AUDIT_LOG)

