"""The double's SOAP admin services: what WSO2 does with each (valid) request, and its answer.

Requests reach these handlers only after validation against the WSDL; what WSO2's own code
would still refuse (an unknown scenario, the anonymous role, a keystore that is not there, a
timeout that is not a positive number) is refused here with WSO2's fault text.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from cryptography import x509
from lxml import etree

from stsdesk.core import ns
from tests.wso2double.profiles import DoubleProfile
from tests.wso2double.state import SCENARIOS, DoubleState

__all__ = ["SoapFault", "SERVICES", "handle"]

# Bean namespaces as WSO2 answers them (5.11+ connector beans for SecurityAdminService).
_SECURITY_BEANS = "http://service.config.common.sts.identity.carbon.wso2.org/xsd"
_TRUSTED_SERVICE_BEANS = "http://util.service.sts.security.carbon.wso2.org/xsd"
_KEYSTORE_BEANS = "http://service.keystore.security.carbon.wso2.org/xsd"
_ANONYMOUS_ROLE = "system/wso2.anonymous.role"
_STS = "wso2carbon-sts"


class SoapFault(Exception):
    """A fault WSO2 answers (Axis2: HTTP 500, soapenv:Server unless the sender is at fault)."""

    def __init__(self, reason: str, *, code: str = "Server") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


# Which WSDL each service follows, and its request namespace (the profile decides for some).
SERVICES: dict[str, Callable[[DoubleProfile], tuple[str, str]]] = {
    "SecurityAdminService": lambda p: ("SecurityConfigAdmin.fw-5.14.97.wsdl",
                                       ns.WSO2_SECURITY_ADMIN),
    "STSAdminService": lambda p: (p.sts_wsdl, p.sts_namespace),
    "KeyStoreAdminService": lambda p: (p.keystore_wsdl, ns.WSO2_KEYSTORE_ADMIN),
    "IdentityProviderMgtService": lambda p: ("IdentityProviderMgtService.wsdl", ns.WSO2_IDP_MGT),
    "ServerAdmin": lambda p: ("ServerAdmin.wsdl", ns.WSO2_AXIS2_XSD),
}
CONNECTOR_SERVICES = ("SecurityAdminService", "STSAdminService")


def _texts(wrapper: etree._Element, name: str) -> list[str]:
    return [(e.text or "") for e in wrapper.findall(f"{{*}}{name}")
            if e.get(f"{{{ns.XSI}}}nil") != "true"]


def _text(wrapper: etree._Element, name: str) -> str | None:
    found = _texts(wrapper, name)
    return found[0] if found else None


class _Answer:
    """Builds ``<opResponse>`` with Axis2's habits: ``return`` elements, beans in their own ns."""

    def __init__(self, namespace: str, operation: str, beans: str | None = None) -> None:
        nsmap = {"ns": namespace, "xsi": ns.XSI}
        if beans:
            nsmap["ax2617"] = beans
        self.beans = beans or namespace
        self.root = etree.Element(f"{{{namespace}}}{operation}Response", nsmap=nsmap)
        self.namespace = namespace

    def value(self, text: str | None) -> None:
        element = etree.SubElement(self.root, f"{{{self.namespace}}}return")
        if text is None:
            element.set(f"{{{ns.XSI}}}nil", "true")
        else:
            element.text = text

    def bean(self, parent: etree._Element | None = None, name: str = "return",
             in_wrapper: bool = True) -> etree._Element:
        namespace = self.namespace if in_wrapper else self.beans
        return etree.SubElement(self.root if parent is None else parent, f"{{{namespace}}}{name}")

    def field(self, bean: etree._Element, name: str, text: str | None) -> etree._Element:
        element = etree.SubElement(bean, f"{{{self.beans}}}{name}")
        if text is None:
            element.set(f"{{{ns.XSI}}}nil", "true")
        else:
            element.text = text
        return element


def _scenario_bean(answer: _Answer, parent: etree._Element, name: str, scenario_id: str,
                   state: DoubleState) -> None:
    if scenario_id == _FROM_REGISTRY:
        # (inferred: not confirmed on a server) the console's registry choice as the current
        # scenario, with the policy's registry path.
        bean = answer.bean(parent, name, in_wrapper=False)
        answer.field(bean, "category", "")
        answer.field(bean, "currentScenario", "true")
        answer.field(bean, "description", "Security Policy is in Registry")
        answer.field(bean, "policyRegistryPath", state.policy_path)
        answer.field(bean, "scenarioId", _FROM_REGISTRY)
        answer.field(bean, "summary", "Policy from registry")
        answer.field(bean, "type", "")
        return
    scenario = next(s for s in SCENARIOS if s.id == scenario_id)
    bean = answer.bean(parent, name, in_wrapper=False)
    answer.field(bean, "category", scenario.category)
    answer.field(bean, "currentScenario", str(state.scenario == scenario.id).lower())
    answer.field(bean, "description", scenario.description)
    answer.field(bean, "policyRegistryPath", None)
    answer.field(bean, "scenarioId", scenario.id)
    answer.field(bean, "summary", scenario.summary)
    answer.field(bean, "type", "basic")


_FROM_REGISTRY = "policyFromRegistry"


def _security(op: str, w: etree._Element, state: DoubleState, profile: DoubleProfile,
              namespace: str) -> etree._Element | None:
    service = _text(w, "serviceName")
    if op in ("applySecurity", "disableSecurityOnService", "getScenarios",
              "getSecurityConfigData") and service != _STS:
        raise SoapFault(f"Service {service} not found")  # only the STS is played here
    if op == "getScenarios":
        answer = _Answer(namespace, op, _SECURITY_BEANS)
        wrapper = answer.bean()
        if state.scenario:
            _scenario_bean(answer, wrapper, "currentScenario", state.scenario, state)
        for scenario in SCENARIOS:
            _scenario_bean(answer, wrapper, "scenarios", scenario.id, state)
        nil = answer.bean(wrapper, "scenarios", in_wrapper=False)  # WSO2's trailing nil entry
        nil.set(f"{{{ns.XSI}}}nil", "true")
        return answer.root
    if op == "getSecurityScenario":
        scenario_id = _text(w, "sceneId")
        if scenario_id not in {s.id for s in SCENARIOS}:
            answer = _Answer(namespace, op)
            answer.value(None)
            return answer.root
        answer = _Answer(namespace, op, _SECURITY_BEANS)
        _scenario_bean(answer, answer.root, "return", scenario_id, state)
        answer.root[-1].tag = f"{{{namespace}}}return"
        return answer.root
    if op == "getSecurityConfigData":
        answer = _Answer(namespace, op, _SECURITY_BEANS)
        if _text(w, "scenarioId") != state.scenario or state.scenario is None:
            answer.value(None)  # WSO2 answers nil for any scenario but the applied one
            return answer.root
        bean = answer.bean()
        answer.field(bean, "kerberosConfigurations", None)
        answer.field(bean, "privateStore", state.private_store)
        for store in state.trusted_stores:
            answer.field(bean, "trustedKeyStores", store)
        for role in state.roles:
            answer.field(bean, "userGroups", role)
        return answer.root
    if op == "applySecurity":
        scenario_id = _text(w, "policyId")
        scenario = next((s for s in SCENARIOS if s.id == scenario_id), None)
        if scenario_id == _FROM_REGISTRY:
            # The console's "Security Policy is in Registry": the policy's path beside the id.
            path = _text(w, "policyPath")
            if path not in state.registry_policies:
                raise SoapFault(f"Error while applying security: cannot read the policy {path} "
                                "from the registry")
            state.scenario, state.policy_path = _FROM_REGISTRY, path
            state.roles = _texts(w, "userGroupNames")
            state.trusted_stores, state.private_store = _texts(w, "trustedStores"), _text(
                w, "privateStore")
            return None
        if scenario is None:
            raise SoapFault(f"Error while applying security: no scenario {scenario_id}")
        roles = _texts(w, "userGroupNames")
        if _ANONYMOUS_ROLE in roles:
            raise SoapFault("Invalid data provided")
        unknown = [r for r in roles if r not in state.role_names()]
        if unknown:
            raise SoapFault(f"Error while authorizing role {unknown[0]} to invoke the service")
        stores = _texts(w, "trustedStores")
        private = _text(w, "privateStore")
        known = {profile.keystore, profile.trust_store}
        if any(store not in known for store in stores) or private not in (None, profile.keystore):
            raise SoapFault("Error while reading keystore: the keystore does not exist")
        if "keystore" in scenario.category and not private:
            raise SoapFault("Private key store is required for this scenario")
        state.scenario, state.roles, state.policy_path = scenario.id, roles, None
        state.trusted_stores, state.private_store = stores, private
        return None
    if op == "disableSecurityOnService":
        state.scenario, state.roles, state.trusted_stores, state.private_store = None, [], [], None
        return None
    raise SoapFault(f"The double does not play SecurityAdminService.{op}")


def _sts(op: str, w: etree._Element, state: DoubleState, profile: DoubleProfile,
         namespace: str) -> etree._Element | None:
    if op == "getTrustedServices":
        answer = _Answer(namespace, op, _TRUSTED_SERVICE_BEANS)
        for address, alias in state.trusted_services.items():
            bean = answer.bean()
            answer.field(bean, "certAlias", alias)
            answer.field(bean, "serviceAddress", address)
        return answer.root
    if op == "addTrustedService":
        address = _text(w, "serviceAddress")
        if not address:
            raise SoapFault("Invalid service address")
        state.trusted_services[address] = _text(w, "certAlias")
        return None
    if op == "removeTrustedService":
        state.trusted_services.pop(_text(w, "serviceAddress") or "", None)
        return None
    if op == "getProofKeyType":
        answer = _Answer(namespace, op)
        answer.value(state.proof_key_type)
        return answer.root
    if op == "setProofKeyType":
        key_type = _text(w, "keyType")
        if key_type not in ("BinarySecret", "EncryptedKey"):
            raise SoapFault(f"Invalid proof key type {key_type}")
        state.proof_key_type = key_type
        return None
    if op == "getCertAliasOfPrimaryKeyStore":
        answer = _Answer(namespace, op)
        answer.value("wso2carbon")
        return answer.root
    raise SoapFault(f"The double does not play STSAdminService.{op}")


def _keystore(op: str, w: etree._Element, state: DoubleState, profile: DoubleProfile,
              namespace: str) -> etree._Element | None:
    if op == "getKeyStores":
        answer = _Answer(namespace, op, _KEYSTORE_BEANS)
        for name, private in ((profile.keystore, True), (profile.trust_store, False)):
            bean = answer.bean()
            answer.field(bean, "keyStoreName", name)
            answer.field(bean, "keyStoreType", "PKCS12" if name.endswith(".p12") else "JKS")
            answer.field(bean, "privateStore", str(private).lower())
            answer.field(bean, "provider", "SUN")
        return answer.root
    store = _text(w, "keyStoreName")
    if store not in (profile.keystore, profile.trust_store):
        raise SoapFault(f"Error while loading keystore {store}")
    target = state.trust_store  # the double keeps only the trust store's entries
    if op == "importCertToStore":
        alias = _text(w, "fileName") or ""
        try:
            der = base64.b64decode(_text(w, "fileData") or "", validate=True)
            x509.load_der_x509_certificate(der)
        except (binascii.Error, ValueError) as exc:
            raise SoapFault(f"Error while importing certificate: {exc}") from exc
        if der in target.values():
            return None  # WSO2 silently keeps the certificate it has under any alias
        target[alias] = der
        return None
    if op == "removeCertFromStore":
        target.pop(_text(w, "alias") or "", None)
        return None
    raise SoapFault(f"The double does not play KeyStoreAdminService.{op}")


def _idp(op: str, w: etree._Element, state: DoubleState, profile: DoubleProfile,
         namespace: str) -> etree._Element | None:
    model = ns.WSO2_IDP_MODEL
    if op == "getResidentIdP":
        answer = _Answer(namespace, op, model)
        idp = answer.bean()
        answer.field(idp, "enable", "true")
        answer.field(idp, "homeRealmId", ",".join(state.home_realms))
        answer.field(idp, "identityProviderName", "LOCAL")
        for name, value in (("SessionIdleTimeout", state.idle_timeout),
                            ("RememberMeTimeout", state.remember_me),
                            ("CleanUpPeriod", "1440")):
            prop = answer.field(idp, "idpProperties", "")
            prop.text = None
            answer.field(prop, "displayName", None)
            answer.field(prop, "name", name)
            answer.field(prop, "value", value)
        answer.field(idp, "primary", "true")
        return answer.root
    if op == "updateResidentIdP":
        idp = w.find("{*}identityProvider")
        assert idp is not None  # the schema allows it absent: WSO2 then fails
        properties = {
            (p.findtext("{*}name") or ""): (p.findtext("{*}value") or "")
            for p in idp.findall("{*}idpProperties")}
        for name in ("SessionIdleTimeout", "RememberMeTimeout"):
            value = properties.get(name)
            if value is not None and (not value.isdigit() or int(value) <= 0):
                raise SoapFault(f"Invalid value for {name}: {value}")
        realms = idp.findtext("{*}homeRealmId")
        if realms is not None:
            state.home_realms = [r.strip() for r in realms.split(",") if r.strip()]
        state.idle_timeout = properties.get("SessionIdleTimeout", state.idle_timeout)
        state.remember_me = properties.get("RememberMeTimeout", state.remember_me)
        return None
    raise SoapFault(f"The double does not play IdentityProviderMgtService.{op}")


def _server_admin(op: str, w: etree._Element, state: DoubleState, profile: DoubleProfile,
                  namespace: str) -> etree._Element | None:
    if op == "getServerVersion":
        answer = _Answer(namespace, op)
        answer.value(profile.version)
        return answer.root
    raise SoapFault(f"The double does not play ServerAdmin.{op}")


_HANDLERS = {
    "SecurityAdminService": _security,
    "STSAdminService": _sts,
    "KeyStoreAdminService": _keystore,
    "IdentityProviderMgtService": _idp,
    "ServerAdmin": _server_admin,
}


def handle(service: str, operation: str, wrapper: etree._Element, state: DoubleState,
           profile: DoubleProfile, namespace: str) -> etree._Element | None:
    return _HANDLERS[service](operation, wrapper, state, profile, namespace)
