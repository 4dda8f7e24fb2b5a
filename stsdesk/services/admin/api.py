"""The admin API the desktop app speaks: one method per console operation, typed in and out.

Two backends implement :class:`AdminApi`: the stsdesk REST API (``StsdeskAdminApi``) and WSO2
Identity Server's REST and SOAP admin services. The UI talks only to this protocol, so it never
sees a path, a JSON name or a SOAP envelope.

Errors (all :class:`stsdesk.services.errors.ServiceError`, carrying the server's own message)::

    ServerUnreachableError     the server is not there (or TLS trust failed: CertificateError)
    AdminApiError              the server refused; by status:
     +-- InvalidInputError     400  what was sent cannot be used
     +-- AuthenticationError   401  wrong user name or password
     +-- PermissionDeniedError 403  signed in, but not allowed
     +-- NotFoundError         404  not there (any more)
     +-- ConflictError         409  clashes with what is there
    UnsupportedError           this server cannot do it at all (see ``capabilities()``)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

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
    Role,
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
    User,
    UserDraft,
    UserPage,
    WsTrustConfig,
    WsTrustOptions,
)
from stsdesk.services.errors import UnsupportedError

__all__ = ["AdminApi", "Capability", "Capabilities"]


class Capability(StrEnum):
    """What a server may or may not offer; the UI greys out what is missing, with the reason."""

    RESIDENT_IDP = "resident-idp"
    SECURITY_POLICY = "security-policy"
    ALGORITHM_SUITE = "algorithm-suite"  # a suite chosen per applied policy, not the scenario's
    OWN_POLICY_CHECK = "own-policy-check"  # the server's verdict on a policy before applying
    TRUSTED_SERVICES = "trusted-services"
    PROOF_KEY_TYPE = "proof-key-type"
    STS_SETTINGS = "sts-settings"  # token lifetimes, clock skew, sign-in lockout
    APPLICATIONS = "applications"
    WS_TRUST = "ws-trust"
    TRUST_STORE = "trust-store"
    TRUST_STORE_IMPORT = "trust-store-import"
    SIGNING_KEYS = "signing-keys"
    USERS = "users"
    ROLES = "roles"
    LOCAL_CLAIMS = "local-claims"
    AUDIT_LOG = "audit-log"
    REVOCATION_LISTS = "revocation-lists"  # CRLs in the trust store and the revocation policy
    SAML_ISSUERS = "saml-issuers"  # trust-store certificates trusted to sign SAML tokens


@dataclass(frozen=True)
class Capabilities:
    """What a server offers: everything except ``missing``, which maps to the reason why not."""

    missing: Mapping[Capability, str] = field(default_factory=dict)

    def supports(self, capability: Capability) -> bool:
        return capability not in self.missing

    def reason(self, capability: Capability) -> str | None:
        """Why ``capability`` is missing (a sentence for a tooltip), or None when it is there."""
        return self.missing.get(capability)

    def require(self, capability: Capability) -> None:
        """Raise UnsupportedError with the reason when ``capability`` is missing."""
        reason = self.missing.get(capability)
        if reason is not None:
            raise UnsupportedError(reason, capability=capability.value)


@runtime_checkable
class AdminApi(Protocol):
    """Blocking calls (run them off the GUI thread); each raises the errors listed above."""

    # -- the server ----------------------------------------------------------------------

    @property
    def base_url(self) -> str: ...

    def server_info(self) -> ServerInfo:
        """Who answers (no sign-in needed where the server allows); ServerUnreachableError."""
        ...

    def capabilities(self) -> Capabilities: ...

    def close(self) -> None: ...

    # -- resident identity provider ------------------------------------------------------

    def get_resident_idp(self) -> ResidentIdp: ...

    def update_resident_idp(self, current: ResidentIdp, wanted: ResidentIdp) -> ResidentIdp:
        """Change what differs between ``current`` (as read) and ``wanted``; the stored result."""
        ...

    # -- STS security --------------------------------------------------------------------

    def list_scenarios(self) -> tuple[Scenario, ...]: ...

    def get_scenario(self, scenario_id: str) -> ScenarioDetail: ...

    def get_security_policy(self) -> SecurityPolicy: ...

    def apply_security_policy(self, request: SecurityPolicyRequest) -> SecurityPolicy: ...

    def check_own_policy(self, document: str) -> PolicyVerdict:
        """The server's verdict on an own WS-SecurityPolicy document; nothing is applied."""
        ...

    def apply_own_policy(self, request: OwnPolicyRequest) -> SecurityPolicy:
        """Apply an own policy instead of a scenario; refused (400) naming what the server
        cannot enforce."""
        ...

    def disable_security(self) -> None: ...

    def list_trusted_services(self) -> tuple[TrustedService, ...]: ...

    def list_keystores(self) -> tuple[Keystore, ...]: ...

    def get_proof_key_type(self) -> str: ...

    def set_proof_key_type(self, proof_key_type: str) -> str: ...

    def get_endpoints(self) -> StsEndpoints: ...

    def get_sts_settings(self) -> StsSettings: ...

    def update_sts_settings(self, settings: StsSettings) -> StsSettings: ...

    # -- service providers ---------------------------------------------------------------

    def list_local_claims(self) -> tuple[LocalClaim, ...]: ...

    def list_applications(self, *, offset: int = 0, limit: int = 100) -> ApplicationPage: ...

    def get_application(self, application_id: str) -> Application: ...

    def create_application(self, draft: ApplicationDraft) -> Application: ...

    def update_application(self, application_id: str, draft: ApplicationDraft) -> Application: ...

    def delete_application(self, application_id: str) -> None: ...

    def get_ws_trust(self, application_id: str) -> WsTrustConfig | None:
        """The WS-Trust configuration, or None when the service provider has none."""
        ...

    def put_ws_trust(self, application_id: str, config: WsTrustConfig) -> WsTrustConfig: ...

    def delete_ws_trust(self, application_id: str) -> None: ...

    def ws_trust_options(self) -> WsTrustOptions: ...

    # -- trust store and signing keys ----------------------------------------------------

    def list_certificates(self) -> tuple[TrustedCertificate, ...]: ...

    def export_certificate(self, alias: str) -> str:
        """The trust-store certificate ``alias`` as PEM."""
        ...

    def import_certificate(self, alias: str, certificate: str) -> TrustedCertificate:
        """Add a PEM (or base64 DER) certificate under ``alias``; ConflictError if it is taken."""
        ...

    def delete_certificate(self, alias: str) -> None: ...

    def public_certificate(self) -> str:
        """The STS signing certificate as PEM."""
        ...

    def list_signing_keys(self) -> tuple[SigningKey, ...]: ...

    def add_signing_key(self, request: NewSigningKey) -> SigningKey: ...

    def activate_signing_key(self, alias: str) -> None:
        """Sign the tokens issued from now on with ``alias``."""
        ...

    def delete_signing_key(self, alias: str) -> None: ...

    # -- revocation and trusted SAML issuers ---------------------------------------------

    def list_revocation_lists(self) -> tuple[RevocationList, ...]: ...

    def import_revocation_list(self, crl: str) -> RevocationList:
        """Add a CA's CRL (PEM or base64 DER); InvalidInputError when no trusted CA signed
        it, ConflictError when a newer CRL of that CA is there."""
        ...

    def delete_revocation_list(self, crl_id: str) -> None: ...

    def get_revocation_policy(self) -> RevocationPolicy: ...

    def set_revocation_policy(self, policy: RevocationPolicy) -> RevocationPolicy: ...

    def list_saml_issuers(self) -> tuple[SamlIssuer, ...]: ...

    def trust_saml_issuer(self, alias: str, issuer: str) -> SamlIssuer:
        """Trust the trust-store certificate ``alias`` to sign SAML tokens naming ``issuer``."""
        ...

    def distrust_saml_issuer(self, alias: str) -> None: ...

    # -- users and roles -----------------------------------------------------------------

    def list_users(self, *, user_name_prefix: str = "", offset: int = 0,
                   limit: int = 100) -> UserPage: ...

    def get_user(self, user_id: str) -> User: ...

    def create_user(self, draft: UserDraft) -> User: ...

    def update_user(self, current: User, wanted: UserDraft) -> User:
        """Change what differs between ``current`` and ``wanted``; the stored user."""
        ...

    def delete_user(self, user_id: str) -> None: ...

    def unlock_user(self, user_id: str) -> User: ...

    def set_user_password(self, user_id: str, password: str) -> None: ...

    def list_roles(self) -> tuple[Role, ...]: ...

    def create_role(self, name: str, member_ids: Sequence[str] = ()) -> Role: ...

    def update_role(self, current: Role, name: str, member_ids: Collection[str]) -> Role:
        """Rename ``current`` and set its members in one change; members are sent as the
        difference from ``current``, so one added elsewhere meanwhile stays."""
        ...

    def add_role_members(self, role_id: str, user_ids: Sequence[str]) -> None: ...

    def remove_role_members(self, role_id: str, user_ids: Sequence[str]) -> None: ...

    def delete_role(self, role_id: str) -> None: ...

    # -- audit ---------------------------------------------------------------------------

    def list_audit_entries(self, *, offset: int = 0, limit: int = 100) -> AuditPage: ...
