"""The admin API over stsdesk's REST API and SCIM 2.0: every path and JSON name, in one place.

The wire is the one the admin API documents (WSO2-shaped JSON under ``/api/server/v1``, SCIM
under ``/scim2``); this module only translates between it and ``stsdesk.services.admin.models``.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from typing import Any

from stsdesk.core.algorithm_suite import DEFAULT_ALGORITHM_SUITE, AlgorithmSuite
from stsdesk.core.tokentypes import TokenType
from stsdesk.services.admin.api import Capabilities
from stsdesk.services.admin.models import (
    Application,
    ApplicationDraft,
    ApplicationPage,
    AuditEntry,
    AuditPage,
    Keystore,
    LocalClaim,
    LockoutPolicy,
    NewSigningKey,
    OwnPolicyRequest,
    PasswordDigestSetting,
    PolicyIssue,
    PolicyVerdict,
    ResidentIdp,
    Scenario,
    ScenarioDetail,
    SecurityPolicy,
    SecurityPolicyRequest,
    ServerInfo,
    SigningKey,
    StsEndpoints,
    StsSettings,
    TokenSettings,
    TrustedCertificate,
    TrustedService,
    WsTrustConfig,
    WsTrustOptions,
)
from stsdesk.services.admin.stsdesk_scim import ScimUsersAndRoles
from stsdesk.services.admin.stsdesk_trust import StsdeskTrustStore
from stsdesk.services.admin.wire import dict_of, instant, list_of, optional, read, strings
from stsdesk.services.admin.wso2_json import (
    application,
    application_page,
    claim_configuration,
    local_claims,
    resident_idp,
    resident_idp_patch,
    segment,
    ws_trust,
)
from stsdesk.services.admin_client import API_PREFIX, AdminClient
from stsdesk.services.errors import NotFoundError, UnsupportedError

__all__ = ["StsdeskAdminApi"]

log = logging.getLogger("stsdesk.services.admin")

_CONFIGS = "/configs"
_STS = "/sts"
_APPLICATIONS = "/applications"
_WS_TRUST_META = "/applications/meta/inbound-protocols/ws-trust"
_CLAIMS = "/claim-dialects/local/claims"
_CERTS = "/keystores/certs"
_SIGNING_KEYS = "/keystores/signing-keys"
_AUDIT = "/audit-logs"

# -- resident identity provider -------------------------------------------------------------


# -- STS security -------------------------------------------------------------------------


def _scenario(data: Any) -> Scenario:
    item = dict_of(data)
    return Scenario(
        id=str(item["id"]),
        number=int(item["number"]),
        summary=str(item.get("summary", "")).strip(),
        description=str(item.get("description", "")).strip(),
        group=str(item.get("group", "basic")),
        category=str(item.get("category", "")),
        asks_for=strings(item.get("asksFor")),
        enforceable=bool(item.get("enforceable", False)),
    )


def _security(data: Any) -> SecurityPolicy:
    item = dict_of(data)
    return SecurityPolicy(
        enabled=bool(item.get("enabled", False)),
        scenario_id=str(item.get("scenarioId") or ""),
        user_store_domain=str(item.get("userStoreDomain") or ""),
        allowed_roles=strings(item.get("allowedRoles")),
        trusted_keystores=strings(item.get("trustedKeystores")),
        private_keystore=optional(item.get("privateKeystore")),
        # A server from before the choice existed applies WSO2's suite.
        algorithm_suite=AlgorithmSuite(item.get("algorithmSuite") or DEFAULT_ALGORITHM_SUITE),
        proof_key_type=str(item.get("proofKeyType") or ""),
        policy_name=optional(item.get("policyName")),
        policy_document=optional(item.get("policy")),
        service_principal=optional(item.get("servicePrincipal")),
    )


def _verdict(data: Any) -> PolicyVerdict:
    item = dict_of(data)
    return PolicyVerdict(
        enforceable=bool(item.get("enforceable", False)),
        unenforceable=tuple(
            PolicyIssue(assertion=str(issue.get("assertion") or ""),
                        name=str(issue.get("name") or ""), path=str(issue.get("path") or ""),
                        line=issue.get("line") if isinstance(issue.get("line"), int) else None,
                        reason=str(issue.get("reason") or ""))
            for issue in map(dict_of, list_of(item.get("unenforceable") or []))),
        notes=strings(item.get("notes")),
        policy_id=optional(item.get("policyId")),
        algorithm_suite=optional(item.get("algorithmSuite")),
        asks_for=strings(item.get("asksFor")),
    )


def _kerberos_service(request: SecurityPolicyRequest | OwnPolicyRequest) -> dict[str, str]:
    """Scenario 20's (or a Kerberos own policy's) principal and keytab (base64), only when
    given."""
    fields = {}
    if request.service_principal:
        fields["servicePrincipal"] = request.service_principal
    if request.keytab is not None:
        fields["keytab"] = base64.b64encode(request.keytab).decode("ascii")
    return fields


def _trusted_service(data: Any) -> TrustedService:
    item = dict_of(data)
    return TrustedService(
        audience=str(item.get("audience", "")),
        certificate_alias=optional(item.get("certificateAlias")),
        application_id=str(item.get("applicationId") or ""),
        application_name=str(item.get("applicationName") or ""),
    )


def _password_digest(body: Any) -> PasswordDigestSetting | None:
    if body is None:
        return None
    data = dict_of(body)
    stored = data.get("storedPasswordCount")
    return PasswordDigestSetting(allowed=bool(data["allowPasswordDigest"]),
                                 stored_count=None if stored is None else int(stored))


def _sts_settings(tokens: Any, lockout: Any, digest: Any = None) -> StsSettings:
    token_data, lockout_data = dict_of(tokens), dict_of(lockout)
    context_lifetime = token_data.get("securityContextLifetimeSeconds")
    return StsSettings(
        tokens=TokenSettings(
            default_lifetime_seconds=int(token_data["defaultLifetimeSeconds"]),
            max_lifetime_seconds=int(token_data["maxLifetimeSeconds"]),
            clock_skew_seconds=int(token_data["clockSkewSeconds"]),
            security_context_lifetime_seconds=(
                None if context_lifetime is None else int(context_lifetime)),
        ),
        lockout=LockoutPolicy(
            max_failed_attempts=int(lockout_data["maxFailedAttempts"]),
            lockout_seconds=int(lockout_data["lockoutSeconds"]),
        ),
        password_digest=_password_digest(digest),
    )


# -- service providers --------------------------------------------------------------------


def _ws_trust_path(application_id: str) -> str:
    return f"{_APPLICATIONS}/{segment(application_id)}/inbound-protocols/ws-trust"


_WS_TRUST_FIELDS = (  # (model field, JSON name)
    ("certificate_alias", "certificateAlias"),
    ("token_type", "tokenType"),
    ("key_type", "keyType"),
    ("encrypt_token", "encryptToken"),
    ("encryption_algorithm", "encryptionAlgorithm"),
    ("key_transport_algorithm", "keyTransportAlgorithm"),
    ("signature_algorithm", "signatureAlgorithm"),
    ("digest_algorithm", "digestAlgorithm"),
    ("token_lifetime_seconds", "tokenLifetimeSeconds"),
    ("name_id_format", "nameIdFormat"),
)


def _ws_trust_body(config: WsTrustConfig) -> dict[str, Any]:
    # certificateAlias is always sent: null says "tokens for this party are not encrypted".
    body: dict[str, Any] = {"audience": config.audience,
                            "certificateAlias": config.certificate_alias}
    for name, json_name in _WS_TRUST_FIELDS[1:]:
        value = getattr(config, name)
        if value is not None:
            body[json_name] = value
    return body


def _ws_trust_options(data: Any) -> WsTrustOptions:
    meta = dict_of(data)

    def options(name: str) -> tuple[str, ...]:
        return strings(dict_of(meta.get(name) or {}).get("options"))

    defaults = {
        field_name: str(entry["defaultValue"])
        for field_name, json_name in _WS_TRUST_FIELDS
        if isinstance(entry := meta.get(json_name), dict) and entry.get("defaultValue") is not None
        and json_name != "tokenLifetimeSeconds"
    }
    lifetime = dict_of(meta.get("tokenLifetimeSeconds") or {})
    return WsTrustOptions(
        certificate_aliases=options("certificateAlias"),
        token_types=tuple(TokenType(value) for value in options("tokenType")),
        key_types=options("keyType"),
        encryption_algorithms=options("encryptionAlgorithm"),
        key_transport_algorithms=options("keyTransportAlgorithm"),
        signature_algorithms=options("signatureAlgorithm"),
        digest_algorithms=options("digestAlgorithm"),
        name_id_formats=options("nameIdFormat"),
        defaults=defaults,
        lifetime_default=int(lifetime.get("defaultValue", 300)),
        lifetime_minimum=int(lifetime.get("minimum", 1)),
        lifetime_maximum=int(lifetime.get("maximum", 8 * 3600)),
    )


# -- certificates -------------------------------------------------------------------------


def _facts(data: Mapping[str, Any]) -> dict[str, Any]:
    size = data.get("keySize")
    return {
        "alias": str(data["alias"]),
        "subject": str(data.get("subject", "")),
        "issuer": str(data.get("issuer", "")),
        "not_before": instant(data["notBefore"]),
        "not_after": instant(data["notAfter"]),
        "sha256_fingerprint": str(data.get("sha256Fingerprint", "")),
        "sha1_fingerprint": str(data.get("sha1Fingerprint", "")),
        "key_algorithm": str(data.get("keyAlgorithm", "")),
        "key_size": None if size is None else int(size),
        "serial_number": str(data.get("serialNumber", "")),
        "signature_algorithm": str(data.get("signatureAlgorithm", "")),
        "warnings": strings(data.get("warnings")),
    }


def _certificate(data: Any) -> TrustedCertificate:
    item = dict_of(data)
    return TrustedCertificate(**_facts(item), used_by=strings(item.get("usedBy")))


def _signing_key(data: Any) -> SigningKey:
    item = dict_of(data)
    created = item.get("createdAt")
    return SigningKey(**_facts(item), active=bool(item.get("active")),
                      created_at=instant(created) if created else None,
                      pem=str(item.get("pem", "")))


def _signing_key_body(request: NewSigningKey) -> dict[str, Any]:
    if request.common_name is not None:
        return {"alias": request.alias, "generate": {
            "commonName": request.common_name,
            "keySize": request.key_size,
            "validityDays": request.validity_days,
        }}
    if request.pkcs12 is None:
        raise ValueError("a new signing key needs a common name or a PKCS#12 file")
    return {"alias": request.alias, "password": request.password or "",
            "pkcs12": base64.b64encode(request.pkcs12).decode("ascii")}


# -- audit --------------------------------------------------------------------------------


def _audit_entry(data: Any) -> AuditEntry:
    item = dict_of(data)
    stamp = item.get("timestamp")
    try:
        when = instant(stamp) if isinstance(stamp, str) and stamp else None
    except ValueError:
        when = None
    try:
        entry_id = int(item.get("id") or 0)
    except (TypeError, ValueError):
        entry_id = 0
    return AuditEntry(
        id=entry_id, timestamp=when,
        actor=str(item.get("actor") or ""), action=str(item.get("action") or ""),
        target=str(item.get("target") or ""), detail=str(item.get("detail") or ""),
    )


# -- the backend ----------------------------------------------------------------------------


class StsdeskAdminApi(ScimUsersAndRoles, StsdeskTrustStore):
    """:class:`AdminApi` over an stsdesk server's REST API (the embedded one or a remote one)."""

    def __init__(self, client: AdminClient) -> None:
        self.client = client

    @property
    def base_url(self) -> str:
        return self.client.endpoint.base_url

    def close(self) -> None:
        self.client.close()

    def server_info(self) -> ServerInfo:
        health = self.client.health() or {}
        return read("/health", lambda: ServerInfo(
            product="stsdesk", version=str(health.get("version") or ""),
            node=str(health.get("node") or health.get("pid") or "")))

    def capabilities(self) -> Capabilities:
        return Capabilities()  # an stsdesk server offers everything the console does

    # -- resident identity provider ------------------------------------------------------

    def get_resident_idp(self) -> ResidentIdp:
        body = self.client.get(_CONFIGS)
        return read("the resident identity provider", lambda: resident_idp(body))

    def update_resident_idp(self, current: ResidentIdp, wanted: ResidentIdp) -> ResidentIdp:
        operations = resident_idp_patch(current, wanted)
        if not operations:
            return self.get_resident_idp()
        body = self.client.patch(_CONFIGS, operations)
        return read("the resident identity provider", lambda: resident_idp(body))

    # -- STS security --------------------------------------------------------------------

    def list_scenarios(self) -> tuple[Scenario, ...]:
        body = self.client.get(f"{_STS}/scenarios")
        return read("the scenarios", lambda: tuple(_scenario(s) for s in list_of(body)))

    def get_scenario(self, scenario_id: str) -> ScenarioDetail:
        body = self.client.get(f"{_STS}/scenarios/{segment(scenario_id)}")
        return read(f"the scenario {scenario_id}", lambda: ScenarioDetail(
            scenario=_scenario(body), policy=str(dict_of(body).get("policy") or "")))

    def get_security_policy(self) -> SecurityPolicy:
        body = self.client.get(f"{_STS}/security")
        return read("the security policy", lambda: _security(body))

    def apply_security_policy(self, request: SecurityPolicyRequest) -> SecurityPolicy:
        body = self.client.put(f"{_STS}/security", {
            "scenarioId": request.scenario_id,
            "userStoreDomain": request.user_store_domain,
            "allowedRoles": list(request.allowed_roles),
            "trustedKeystores": list(request.trusted_keystores),
            "privateKeystore": request.private_keystore,
            "algorithmSuite": request.algorithm_suite.value,
            **_kerberos_service(request),
        })
        return read("the security policy", lambda: _security(body))

    def check_own_policy(self, document: str) -> PolicyVerdict:
        body = self.client.post(f"{_STS}/security/policy-check", {"policy": document})
        return read("the policy verdict", lambda: _verdict(body))

    def apply_own_policy(self, request: OwnPolicyRequest) -> SecurityPolicy:
        if not request.document:
            raise UnsupportedError(
                "A stsdesk server keeps no registry: send the policy document itself, not a "
                "registry path.", capability="own-policy")
        body = self.client.put(f"{_STS}/security", {
            "policyName": request.name,
            "policy": request.document,
            "userStoreDomain": request.user_store_domain,
            "allowedRoles": list(request.allowed_roles),
            "trustedKeystores": list(request.trusted_keystores),
            "privateKeystore": request.private_keystore,
            **_kerberos_service(request),
        })
        return read("the security policy", lambda: _security(body))

    def disable_security(self) -> None:
        self.client.delete(f"{_STS}/security")

    def list_trusted_services(self) -> tuple[TrustedService, ...]:
        body = self.client.get(f"{_STS}/trusted-services")
        return read("the trusted services",
                     lambda: tuple(_trusted_service(s) for s in list_of(body)))

    def list_keystores(self) -> tuple[Keystore, ...]:
        body = self.client.get(f"{_STS}/keystores")
        return read("the keystores", lambda: tuple(
            Keystore(name=str(dict_of(k)["keyStoreName"]),
                     private_store=bool(dict_of(k).get("privateStore")))
            for k in list_of(body)))

    def get_proof_key_type(self) -> str:
        body = self.client.get(f"{_STS}/proof-key-type")
        return read("the proof key type", lambda: str(dict_of(body)["proofKeyType"]))

    def set_proof_key_type(self, proof_key_type: str) -> str:
        body = self.client.put(f"{_STS}/proof-key-type", {"proofKeyType": proof_key_type})
        return read("the proof key type", lambda: str(dict_of(body)["proofKeyType"]))

    def get_endpoints(self) -> StsEndpoints:
        body = self.client.get(f"{_STS}/endpoints")
        return read("the STS endpoints", lambda: StsEndpoints(
            sts_url=str(dict_of(body)["sts"]), wsdl_url=str(dict_of(body)["wsdl"])))

    def _get_password_digest(self) -> Any:
        try:
            return self.client.get(f"{_STS}/password-digest")
        except NotFoundError:
            return None  # a server from before the setting

    def get_sts_settings(self) -> StsSettings:
        tokens = self.client.get(f"{_STS}/token-settings")
        lockout = self.client.get(f"{_STS}/lockout-policy")
        digest = self._get_password_digest()
        return read("the STS settings", lambda: _sts_settings(tokens, lockout, digest))

    def update_sts_settings(self, settings: StsSettings) -> StsSettings:
        token_body: dict[str, int] = {
            "defaultLifetimeSeconds": settings.tokens.default_lifetime_seconds,
            "maxLifetimeSeconds": settings.tokens.max_lifetime_seconds,
            "clockSkewSeconds": settings.tokens.clock_skew_seconds,
        }
        if settings.tokens.security_context_lifetime_seconds is not None:
            # Sent only when known: a server from before the setting refuses unknown fields.
            token_body["securityContextLifetimeSeconds"] = (
                settings.tokens.security_context_lifetime_seconds)
        tokens = self.client.put(f"{_STS}/token-settings", token_body)
        lockout = self.client.put(f"{_STS}/lockout-policy", {
            "maxFailedAttempts": settings.lockout.max_failed_attempts,
            "lockoutSeconds": settings.lockout.lockout_seconds,
        })
        digest = None
        if settings.password_digest is not None:
            digest = self.client.put(f"{_STS}/password-digest",
                                     {"allowPasswordDigest": settings.password_digest.allowed})
        return read("the STS settings", lambda: _sts_settings(tokens, lockout, digest))

    # -- service providers ---------------------------------------------------------------

    def list_local_claims(self) -> tuple[LocalClaim, ...]:
        body = self.client.get(_CLAIMS)
        return read("the local claims", lambda: local_claims(body))

    def list_applications(self, *, offset: int = 0, limit: int = 100) -> ApplicationPage:
        body = self.client.get(_APPLICATIONS, limit=limit, offset=offset)
        return read("the service providers", lambda: application_page(body))

    def get_application(self, application_id: str) -> Application:
        body = self.client.get(f"{_APPLICATIONS}/{segment(application_id)}")
        return read("the service provider", lambda: application(body))

    def create_application(self, draft: ApplicationDraft) -> Application:
        request: dict[str, Any] = {"name": draft.name, "description": draft.description}
        if draft.requested_claims or draft.subject_claim:
            request["claimConfiguration"] = claim_configuration(draft, clear_subject=True)
        body = self.client.post(_APPLICATIONS, request)
        return read("the new service provider", lambda: application(body))

    def update_application(self, application_id: str, draft: ApplicationDraft) -> Application:
        body = self.client.patch(f"{_APPLICATIONS}/{segment(application_id)}", {
            "name": draft.name, "description": draft.description,
            "claimConfiguration": claim_configuration(draft, clear_subject=True),
        })
        return read("the service provider", lambda: application(body))

    def delete_application(self, application_id: str) -> None:
        self.client.delete(f"{_APPLICATIONS}/{segment(application_id)}")

    def get_ws_trust(self, application_id: str) -> WsTrustConfig | None:
        try:
            body = self.client.get(_ws_trust_path(application_id))
        except NotFoundError:
            return None
        return read("the WS-Trust configuration", lambda: ws_trust(body))

    def put_ws_trust(self, application_id: str, config: WsTrustConfig) -> WsTrustConfig:
        body = self.client.put(_ws_trust_path(application_id), _ws_trust_body(config))
        return read("the WS-Trust configuration", lambda: ws_trust(body))

    def delete_ws_trust(self, application_id: str) -> None:
        self.client.delete(_ws_trust_path(application_id))

    def ws_trust_options(self) -> WsTrustOptions:
        body = self.client.get(_WS_TRUST_META)
        return read("the WS-Trust choices", lambda: _ws_trust_options(body))

    # -- trust store and signing keys ----------------------------------------------------

    def list_certificates(self) -> tuple[TrustedCertificate, ...]:
        body = self.client.get(_CERTS)
        return read("the trust store", lambda: tuple(_certificate(c) for c in list_of(body)))

    def export_certificate(self, alias: str) -> str:
        pem = self.client.request("GET", f"{API_PREFIX}{_CERTS}/{segment(alias)}", raw=True)
        return str(pem or "")

    def import_certificate(self, alias: str, certificate: str) -> TrustedCertificate:
        body = self.client.post(_CERTS, {"alias": alias, "certificate": certificate})
        return read("the imported certificate", lambda: _certificate(body))

    def delete_certificate(self, alias: str) -> None:
        self.client.delete(f"{_CERTS}/{segment(alias)}")

    def public_certificate(self) -> str:
        return str(self.client.request("GET", f"{API_PREFIX}{_CERTS}/public", raw=True) or "")

    def list_signing_keys(self) -> tuple[SigningKey, ...]:
        body = self.client.get(_SIGNING_KEYS)
        return read("the signing keys", lambda: tuple(_signing_key(k) for k in list_of(body)))

    def add_signing_key(self, request: NewSigningKey) -> SigningKey:
        body = self.client.post(_SIGNING_KEYS, _signing_key_body(request))
        return read("the new signing key", lambda: _signing_key(body))

    def activate_signing_key(self, alias: str) -> None:
        self.client.put(f"{_SIGNING_KEYS}/active", {"alias": alias})

    def delete_signing_key(self, alias: str) -> None:
        self.client.delete(f"{_SIGNING_KEYS}/{segment(alias)}")

    # -- audit ---------------------------------------------------------------------------

    def list_audit_entries(self, *, offset: int = 0, limit: int = 100) -> AuditPage:
        body = self.client.get(_AUDIT, limit=limit, offset=offset)
        return read("the audit log", lambda: AuditPage(
            entries=tuple(_audit_entry(e) for e in list_of(dict_of(body).get("entries"))),
            offset=offset))

