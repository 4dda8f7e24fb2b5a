"""The WSO2 admin-service operations the console needs, one function each, typed in and out.

What each sends follows WSO2's WSDLs (tests/data/wso2-admin/wsdl) and, for Apply Security
Policy, what WSO2's management console sends (``securityconfig/add-security.jsp``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.own_policy import OWN_POLICY_ID
from stsdesk.services.admin.models import (
    Keystore,
    OwnPolicyRequest,
    ResidentIdp,
    Scenario,
    SecurityPolicyRequest,
    TrustedService,
)
from stsdesk.services.admin.wso2.soap import Field, SoapClient, children, text_of, texts_of
from stsdesk.services.errors import ServiceError

__all__ = [
    "STS_SERVICE",
    "AppliedSecurity",
    "AdminServices",
    "IDLE_TIMEOUT_PROPERTY",
    "REMEMBER_ME_PROPERTY",
]

STS_SERVICE = "wso2carbon-sts"  # the STS's Axis2 service, whose security the console sets
IDLE_TIMEOUT_PROPERTY = "SessionIdleTimeout"  # resident IdP properties, in minutes
REMEMBER_ME_PROPERTY = "RememberMeTimeout"
_ALL_DOMAINS = "ALL-USER-STORE-DOMAINS"  # the console's "every user store" (a filter only)
_PRIMARY = "PRIMARY"
_SCENARIO_NUMBER = re.compile(r"(\d+)$")


@dataclass(frozen=True)
class AppliedSecurity:
    """What ``getScenarios`` and ``getSecurityConfigData`` say is applied to the STS."""

    scenario_id: str | None  # None: security is disabled
    roles: tuple[str, ...] = ()
    trusted_keystores: tuple[str, ...] = ()
    private_keystore: str | None = None


def _asks_for(category: str) -> tuple[str, ...]:
    # The console's wizard: "ut" categories ask for roles, "keystore" ones for keystores.
    return tuple(name for name, wanted in (("roles", "ut" in category),
                                           ("keystores", "keystore" in category)) if wanted)


def _scenario(data: etree._Element) -> Scenario:
    scenario_id = text_of(data, "scenarioId") or ""
    number = _SCENARIO_NUMBER.search(scenario_id)
    category = text_of(data, "category") or ""
    return Scenario(
        id=scenario_id,
        number=int(number.group(1)) if number else 0,
        summary=text_of(data, "summary") or scenario_id,
        description=text_of(data, "description") or "",
        group=text_of(data, "type") or "basic",
        category=category,
        asks_for=_asks_for(category),
    )


def role_names(request: SecurityPolicyRequest) -> tuple[str, ...]:
    """The roles as WSO2 names them: a secondary user store's roles are ``DOMAIN/role``."""
    domain = request.user_store_domain.strip()
    if not domain or domain.upper() in (_ALL_DOMAINS, _PRIMARY):
        return request.allowed_roles
    return tuple(role if "/" in role else f"{domain}/{role}" for role in request.allowed_roles)


class AdminServices:
    """The SOAP half of the WSO2 backend; ``sts_namespace`` depends on the server's version."""

    def __init__(self, soap: SoapClient, *, sts_namespace: str = ns.WSO2_STS_ADMIN) -> None:
        self.soap = soap
        self.sts_namespace = sts_namespace

    # -- ServerAdmin ---------------------------------------------------------------------

    def server_version(self) -> str:
        answer = self.soap.call("ServerAdmin", ns.WSO2_AXIS2_XSD, "getServerVersion")
        return text_of(answer, "return") or ""

    # -- SecurityAdminService ------------------------------------------------------------

    def scenarios(self) -> tuple[tuple[Scenario, ...], str | None]:
        """Every general scenario, and the id of the one applied to the STS (None: none)."""
        answer = self.soap.call("SecurityAdminService", ns.WSO2_SECURITY_ADMIN, "getScenarios",
                                [Field("serviceName", STS_SERVICE)])
        wrapper = children(answer, "return")
        if not wrapper:
            return (), None
        # The array is sized for every scenario but only general ones are filled: nil entries
        # are skipped by children().
        listed = tuple(_scenario(item) for item in children(wrapper[0], "scenarios"))
        current = children(wrapper[0], "currentScenario")
        return listed, (text_of(current[0], "scenarioId") if current else None)

    def scenario(self, scenario_id: str) -> Scenario:
        answer = self.soap.call("SecurityAdminService", ns.WSO2_SECURITY_ADMIN,
                                "getSecurityScenario", [Field("sceneId", scenario_id)])
        found = children(answer, "return")
        if not found:
            raise ServiceError(f"WSO2 has no security scenario {scenario_id!r}.")
        return _scenario(found[0])

    def applied_security(self) -> AppliedSecurity:
        _, current = self.scenarios()
        if not current:
            return AppliedSecurity(None)
        # getSecurityConfigData answers only for the applied scenario (nil for any other).
        answer = self.soap.call("SecurityAdminService", ns.WSO2_SECURITY_ADMIN,
                                "getSecurityConfigData", [
                                    Field("serviceName", STS_SERVICE),
                                    Field("scenarioId", current),
                                    Field("policyPath", None)])
        data = children(answer, "return")
        config = data[0] if data else None
        return AppliedSecurity(
            scenario_id=current,
            roles=texts_of(config, "userGroups"),
            trusted_keystores=texts_of(config, "trustedKeyStores"),
            private_keystore=text_of(config, "privateStore") or None,
        )

    def apply_security(self, request: SecurityPolicyRequest, scenario: Scenario) -> None:
        """``applySecurity`` as the console sends it for ``scenario``'s category."""
        roles = role_names(request) if scenario.asks_for_roles else ()
        uses_keystores = scenario.asks_for_keystores
        self.soap.call("SecurityAdminService", ns.WSO2_SECURITY_ADMIN, "applySecurity", [
            Field("serviceName", STS_SERVICE),
            Field("policyId", request.scenario_id),
            Field("policyPath", None),  # a catalogue scenario, not a policy from the registry
            Field("trustedStores", tuple(request.trusted_keystores) if uses_keystores else ()),
            Field("privateStore", request.private_keystore if uses_keystores else None),
            Field("userGroupNames", tuple(roles)),
        ])

    def apply_registry_policy(self, request: OwnPolicyRequest) -> None:
        """``applySecurity`` for a policy in WSO2's registry (the console's "Security Policy
        is in Registry": policy id ``policyFromRegistry`` and the resource's path)."""
        self.soap.call("SecurityAdminService", ns.WSO2_SECURITY_ADMIN, "applySecurity", [
            Field("serviceName", STS_SERVICE),
            Field("policyId", OWN_POLICY_ID),
            Field("policyPath", request.registry_path),
            Field("trustedStores", tuple(request.trusted_keystores)),
            Field("privateStore", request.private_keystore),
            Field("userGroupNames", tuple(dict.fromkeys(r.strip() for r in request.allowed_roles))),
        ])

    def disable_security(self) -> None:
        self.soap.call("SecurityAdminService", ns.WSO2_SECURITY_ADMIN,
                       "disableSecurityOnService", [Field("serviceName", STS_SERVICE)])

    # -- STSAdminService -----------------------------------------------------------------

    def trusted_services(self) -> tuple[TrustedService, ...]:
        answer = self.soap.call("STSAdminService", self.sts_namespace, "getTrustedServices")
        return tuple(TrustedService(audience=text_of(item, "serviceAddress") or "",
                                    certificate_alias=text_of(item, "certAlias") or None)
                     for item in children(answer, "return"))

    def add_trusted_service(self, address: str, alias: str | None) -> None:
        self.soap.call("STSAdminService", self.sts_namespace, "addTrustedService",
                       [Field("serviceAddress", address), Field("certAlias", alias)])

    def remove_trusted_service(self, address: str) -> None:
        self.soap.call("STSAdminService", self.sts_namespace, "removeTrustedService",
                       [Field("serviceAddress", address)])

    def proof_key_type(self) -> str:
        answer = self.soap.call("STSAdminService", self.sts_namespace, "getProofKeyType")
        return text_of(answer, "return") or ""

    def set_proof_key_type(self, key_type: str) -> None:
        self.soap.call("STSAdminService", self.sts_namespace, "setProofKeyType",
                       [Field("keyType", key_type)])

    def signing_aliases(self) -> tuple[str, ...]:
        answer = self.soap.call("STSAdminService", self.sts_namespace,
                                "getCertAliasOfPrimaryKeyStore")
        return texts_of(answer, "return")

    # -- KeyStoreAdminService ------------------------------------------------------------

    def keystores(self) -> tuple[Keystore, ...]:
        answer = self.soap.call("KeyStoreAdminService", ns.WSO2_KEYSTORE_ADMIN, "getKeyStores")
        return tuple(Keystore(name=text_of(item, "keyStoreName") or "",
                              private_store=text_of(item, "privateStore") == "true")
                     for item in children(answer, "return"))

    def import_certificate(self, alias: str, der_base64: str, store: str) -> None:
        # fileName is the alias the certificate is stored under (KeyStoreAdmin.importCertToStore).
        self.soap.call("KeyStoreAdminService", ns.WSO2_KEYSTORE_ADMIN, "importCertToStore", [
            Field("fileName", alias), Field("fileData", der_base64),
            Field("keyStoreName", store)])

    def remove_certificate(self, alias: str, store: str) -> None:
        self.soap.call("KeyStoreAdminService", ns.WSO2_KEYSTORE_ADMIN, "removeCertFromStore",
                       [Field("alias", alias), Field("keyStoreName", store)])

    # -- IdentityProviderMgtService (IS 5.10, which has no /configs REST API) -------------

    def resident_idp(self) -> ResidentIdp:
        answer = self.soap.call("IdentityProviderMgtService", ns.WSO2_IDP_MGT, "getResidentIdP")
        found = children(answer, "return")
        if not found:
            raise ServiceError("WSO2 answered getResidentIdP without an identity provider.")
        idp = found[0]
        properties = {text_of(item, "name"): text_of(item, "value")
                      for item in children(idp, "idpProperties")}
        realms = text_of(idp, "homeRealmId") or ""
        try:
            return ResidentIdp(
                home_realm_identifiers=tuple(r.strip() for r in realms.split(",") if r.strip()),
                idle_session_timeout_minutes=int(properties.get(IDLE_TIMEOUT_PROPERTY) or 15),
                remember_me_minutes=int(properties.get(REMEMBER_ME_PROPERTY) or 20160),
            )
        except ValueError as exc:
            raise ServiceError(f"WSO2's resident identity provider has a timeout that is not "
                               f"a number ({exc}).") from exc

    def update_resident_idp(self, wanted: ResidentIdp) -> None:
        """What the console's resident IdP page sends, without federated authenticators (as
        WSO2's own REST PATCH does: the server keeps the stored ones)."""
        model = ns.WSO2_IDP_MODEL

        def property_of(name: str, value: int) -> Field:
            return Field("idpProperties", [Field("name", name, model),
                                           Field("value", str(value), model)], model)

        self.soap.call("IdentityProviderMgtService", ns.WSO2_IDP_MGT, "updateResidentIdP", [
            Field("identityProvider", [
                Field("enable", "true", model),
                Field("homeRealmId", ",".join(wanted.home_realm_identifiers), model),
                Field("identityProviderName", "LOCAL", model),
                property_of(IDLE_TIMEOUT_PROPERTY, wanted.idle_session_timeout_minutes),
                property_of(REMEMBER_ME_PROPERTY, wanted.remember_me_minutes),
                Field("primary", "true", model),
            ]),
        ])

