"""The records the admin API takes and gives: frozen dataclasses, in the console's words.

No JSON field name and no URL appears here: a backend (``stsdesk_backend`` for the stsdesk REST
API, a WSO2 backend for WSO2's REST and SOAP admin services) turns these into its wire format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from stsdesk.core.algorithm_suite import DEFAULT_ALGORITHM_SUITE, AlgorithmSuite
from stsdesk.core.certificate_description import EXPIRY_WARNING_DAYS, CertificateStatus
from stsdesk.core.own_policy import OWN_POLICY_ID
from stsdesk.core.scenarios import find_scenario
from stsdesk.core.tokentypes import TokenType
from stsdesk.core.wssec.policy_support import Unenforceable

__all__ = [
    "RevocationList",
    "RevocationPolicy",
    "StaleCrl",
    "SamlIssuer",
    "ServerInfo",
    "ResidentIdp",
    "Scenario",
    "ScenarioDetail",
    "SecurityPolicy",
    "SecurityPolicyRequest",
    "OwnPolicyRequest",
    "PolicyIssue",
    "PolicyVerdict",
    "TrustedService",
    "Keystore",
    "StsEndpoints",
    "TokenSettings",
    "LockoutPolicy",
    "PasswordDigestSetting",
    "StsSettings",
    "LocalClaim",
    "RequestedClaim",
    "ApplicationSummary",
    "ApplicationPage",
    "Application",
    "ApplicationDraft",
    "WsTrustConfig",
    "WsTrustOptions",
    "TrustedCertificate",
    "SigningKey",
    "NewSigningKey",
    "Email",
    "User",
    "UserDraft",
    "UserPage",
    "Role",
    "AuditEntry",
    "AuditPage",
    "validity_status",
]


# -- the server ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerInfo:
    """What answered: the product and version (for capability detection) and the node."""

    product: str  # "stsdesk" or "WSO2 Identity Server"
    version: str
    node: str = ""  # which cluster node answered; changes when another one does


# -- resident identity provider -------------------------------------------------------------


@dataclass(frozen=True)
class ResidentIdp:
    """The resident identity provider, in minutes like WSO2's console."""

    home_realm_identifiers: tuple[str, ...]
    idle_session_timeout_minutes: int
    remember_me_minutes: int
    issuer: str | None = None  # None: the server has no such setting (WSO2 Identity Server)


# -- STS security -------------------------------------------------------------------------


class _AsksFor:
    """What a scenario or a policy asks of the administrator besides itself, from ``asks_for``:
    "roles" (allowed roles), "keystores" (trusted keystores and the private one),
    "servicePrincipal" (a Kerberos service principal and its keytab)."""

    asks_for: tuple[str, ...]

    @property
    def asks_for_roles(self) -> bool:
        return "roles" in self.asks_for

    @property
    def asks_for_keystores(self) -> bool:
        return "keystores" in self.asks_for

    @property
    def asks_for_service_principal(self) -> bool:
        """Scenario 20, or an own policy with a Kerberos token."""
        return "servicePrincipal" in self.asks_for


@dataclass(frozen=True)
class Scenario(_AsksFor):
    """One security scenario of the catalogue."""

    id: str  # "scenario1": the id WSO2's SecurityAdminService uses too
    number: int  # the console's display number, not the id
    summary: str
    description: str
    group: str = "basic"  # "basic" or "advanced"
    category: str = ""  # "ut", "keystore", "ut-keystore" or "kerberos"
    asks_for: tuple[str, ...] = ()  # "roles", "keystores", "servicePrincipal"
    enforceable: bool = True

    @property
    def title(self) -> str:
        return f"{self.number}. {self.summary}"


@dataclass(frozen=True)
class ScenarioDetail:
    scenario: Scenario
    policy: str  # the WS-SecurityPolicy document (XML text)


@dataclass(frozen=True)
class SecurityPolicy:
    """The security applied to the STS service; ``enabled`` False means no tokens are issued."""

    enabled: bool
    scenario_id: str = ""
    user_store_domain: str = ""
    allowed_roles: tuple[str, ...] = ()
    trusted_keystores: tuple[str, ...] = ()
    private_keystore: str | None = None
    algorithm_suite: AlgorithmSuite = DEFAULT_ALGORITHM_SUITE
    proof_key_type: str = ""  # "EncryptedKey" or "BinarySecret"
    # An administrator's own policy (scenario_id OWN_POLICY_ID): its name and document.
    policy_name: str | None = None
    policy_document: str | None = None

    @property
    def own_policy(self) -> bool:
        return self.scenario_id == OWN_POLICY_ID
    service_principal: str | None = None  # scenario 20's Kerberos principal

    def describe(self) -> str:
        """One line for the status bar."""
        if not self.enabled:
            return "Security disabled (no tokens issued)"
        roles = ", ".join(self.allowed_roles) or "no roles"
        if self.own_policy:
            # WSO2 names a registry policy by its path only: it has no name to show.
            return f"own policy {self.policy_name or 'from the registry'} · roles: {roles}"
        scenario = find_scenario(self.scenario_id) if self.scenario_id else None
        # The console's name for it (as the security page lists it), not WSO2's id.
        name = f"scenario {scenario.title}" if scenario else (self.scenario_id or "?")
        return f"{name} · roles: {roles}"


@dataclass(frozen=True)
class SecurityPolicyRequest:
    """What applying a scenario sends (WSO2: ``applySecurity``)."""

    scenario_id: str
    user_store_domain: str = "ALL-USER-STORE-DOMAINS"
    allowed_roles: tuple[str, ...] = ()
    trusted_keystores: tuple[str, ...] = ()
    private_keystore: str | None = None
    # The WS-SecurityPolicy suite the applied policy names (WSO2's Basic256 unless chosen).
    algorithm_suite: AlgorithmSuite = DEFAULT_ALGORITHM_SUITE
    # Scenario 20: the STS's Kerberos service principal and its keytab file's bytes (None keeps
    # the keytab the server holds for the same principal).
    service_principal: str | None = None
    keytab: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class OwnPolicyRequest:
    """What applying an administrator's own WS-SecurityPolicy sends.

    A stsdesk server takes the ``document`` itself; WSO2 reads a policy from its registry, so
    its backend sends ``registry_path`` (``applySecurity`` with ``policyFromRegistry``).
    """

    name: str
    document: str = ""
    registry_path: str | None = None
    user_store_domain: str = "ALL-USER-STORE-DOMAINS"
    allowed_roles: tuple[str, ...] = ()
    trusted_keystores: tuple[str, ...] = ()
    private_keystore: str | None = None
    # A policy with a Kerberos protection token (its verdict asks for "servicePrincipal"): the
    # STS's service principal and its keytab file's bytes, as scenario 20 takes them.
    service_principal: str | None = None
    keytab: bytes | None = field(default=None, repr=False)


# One assertion of a policy the STS cannot enforce: the engine's own record, which the console
# shows as it is (a stsdesk backend rebuilds it from the API's JSON).
PolicyIssue = Unenforceable


@dataclass(frozen=True)
class PolicyVerdict(_AsksFor):
    """The STS's verdict on a policy document, before anything is applied."""

    enforceable: bool
    unenforceable: tuple[PolicyIssue, ...] = ()
    notes: tuple[str, ...] = ()
    policy_id: str | None = None
    algorithm_suite: str | None = None
    asks_for: tuple[str, ...] = ()  # "roles", "keystores", "servicePrincipal"


@dataclass(frozen=True)
class TrustedService:
    """A relying party the STS issues tokens for."""

    audience: str
    certificate_alias: str | None
    application_id: str = ""
    application_name: str = ""


@dataclass(frozen=True)
class Keystore:
    """A keystore a scenario can trust or sign with."""

    name: str
    private_store: bool


@dataclass(frozen=True)
class StsEndpoints:
    sts_url: str
    wsdl_url: str


@dataclass(frozen=True)
class TokenSettings:
    default_lifetime_seconds: int
    max_lifetime_seconds: int
    clock_skew_seconds: int
    # How long a SecureConversation context lives (capped by the maximum); None: the server
    # has no such setting (a server from before it).
    security_context_lifetime_seconds: int | None = None


@dataclass(frozen=True)
class LockoutPolicy:
    max_failed_attempts: int  # 0: never lock
    lockout_seconds: int


@dataclass(frozen=True)
class PasswordDigestSetting:
    """Whether UsernameToken PasswordDigest is accepted (it needs passwords kept reversibly)."""

    allowed: bool
    stored_count: int | None = None  # users whose password is kept reversibly now (read only)


@dataclass(frozen=True)
class StsSettings:
    """The STS page's settings group: token lifetimes, the sign-in lockout, PasswordDigest."""

    tokens: TokenSettings
    lockout: LockoutPolicy
    password_digest: PasswordDigestSetting | None = None  # None: the server has no such setting


# -- claims and service providers -----------------------------------------------------------


@dataclass(frozen=True)
class LocalClaim:
    """A claim of the local dialect (http://wso2.org/claims)."""

    uri: str
    display_name: str


@dataclass(frozen=True)
class RequestedClaim:
    uri: str
    mandatory: bool = False


@dataclass(frozen=True)
class ApplicationSummary:
    """A service provider as lists show it; ``audience`` is None without WS-Trust."""

    id: str
    name: str
    description: str = ""
    audience: str | None = None
    certificate_alias: str | None = None


@dataclass(frozen=True)
class ApplicationPage:
    applications: tuple[ApplicationSummary, ...]
    total: int


@dataclass(frozen=True)
class Application:
    """One service provider with its claim configuration."""

    id: str
    name: str
    description: str = ""
    requested_claims: tuple[RequestedClaim, ...] = ()
    subject_claim: str | None = None
    has_ws_trust: bool = False


@dataclass(frozen=True)
class ApplicationDraft:
    """What creating or editing a service provider sends."""

    name: str
    description: str = ""
    requested_claims: tuple[RequestedClaim, ...] = ()
    subject_claim: str | None = None


@dataclass(frozen=True)
class WsTrustConfig:
    """A service provider's WS-Trust inbound configuration (None fields: the server's default)."""

    audience: str
    certificate_alias: str | None = None
    token_type: TokenType | None = None
    key_type: str | None = None  # "Bearer", "SymmetricKey" or "PublicKey"
    encrypt_token: bool | None = None
    encryption_algorithm: str | None = None
    key_transport_algorithm: str | None = None
    signature_algorithm: str | None = None
    digest_algorithm: str | None = None
    token_lifetime_seconds: int | None = None
    name_id_format: str | None = None
    warnings: tuple[str, ...] = ()  # the server's advice on what was saved


@dataclass(frozen=True)
class WsTrustOptions:
    """The choices a server offers for a WS-Trust configuration, and its defaults."""

    certificate_aliases: tuple[str, ...] = ()
    token_types: tuple[TokenType, ...] = ()
    key_types: tuple[str, ...] = ()
    encryption_algorithms: tuple[str, ...] = ()
    key_transport_algorithms: tuple[str, ...] = ()
    signature_algorithms: tuple[str, ...] = ()
    digest_algorithms: tuple[str, ...] = ()
    name_id_formats: tuple[str, ...] = ()
    # Keyed by WsTrustConfig's field names ("token_type", "signature_algorithm", ...).
    defaults: Mapping[str, str] = field(default_factory=dict)
    lifetime_default: int = 300
    lifetime_minimum: int = 1
    lifetime_maximum: int = 8 * 3600


# -- certificates and keys ------------------------------------------------------------------


def validity_status(not_before: dt.datetime, not_after: dt.datetime,
                    now: dt.datetime | None = None) -> CertificateStatus:
    """Where a validity period stands at ``now`` (the rule of CertificateDescription.status)."""
    now = now or dt.datetime.now(dt.UTC)
    if now < not_before:
        return CertificateStatus.NOT_YET_VALID
    if now > not_after:
        return CertificateStatus.EXPIRED
    if not_after - now <= dt.timedelta(days=EXPIRY_WARNING_DAYS):
        return CertificateStatus.EXPIRES_SOON
    return CertificateStatus.VALID


@dataclass(frozen=True)
class _CertificateFacts:
    alias: str
    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    sha256_fingerprint: str = ""
    sha1_fingerprint: str = ""
    key_algorithm: str = ""
    key_size: int | None = None
    serial_number: str = ""
    signature_algorithm: str = ""
    warnings: tuple[str, ...] = ()

    def status(self, now: dt.datetime | None = None) -> CertificateStatus:
        return validity_status(self.not_before, self.not_after, now)

    def days_remaining(self, now: dt.datetime | None = None) -> int:
        now = now or dt.datetime.now(dt.UTC)
        return (self.not_after - now) // dt.timedelta(days=1)


@dataclass(frozen=True)
class TrustedCertificate(_CertificateFacts):
    """A trust-store certificate; ``used_by`` names the service providers that encrypt with it."""

    used_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class SigningKey(_CertificateFacts):
    """A signing key, described by its certificate (never the private key)."""

    active: bool = False
    created_at: dt.datetime | None = None
    pem: str = ""


@dataclass(frozen=True)
class NewSigningKey:
    """Generate an RSA key pair (``common_name`` set) or import a PKCS#12 file (``pkcs12``)."""

    alias: str
    common_name: str | None = None
    key_size: int = 2048
    validity_days: int = 3650
    pkcs12: bytes | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)


# -- users and roles ------------------------------------------------------------------------


@dataclass(frozen=True)
class Email:
    value: str
    type: str = ""  # "work", "home", "other" or empty
    primary: bool = False


@dataclass(frozen=True)
class User:
    """One user; ``roles`` are (role id, role name); ``email`` is the primary address."""

    id: str
    user_name: str
    display_name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    emails: tuple[Email, ...] = ()
    roles: tuple[tuple[str, str], ...] = ()
    active: bool = True
    locked: bool = False
    failed_attempts: int = 0
    # False for a user created without a password (by a provisioning service, say): it cannot
    # sign in until one is set.
    password_set: bool = True
    # Client certificates (DER) mapped to the user (SCIM x509Certificates): an X.509 client
    # presenting one obtains tokens as this user.
    certificates: tuple[bytes, ...] = field(default=(), repr=False)

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(sorted((name for _, name in self.roles), key=str.casefold))

    @property
    def role_ids(self) -> frozenset[str]:
        return frozenset(role_id for role_id, _ in self.roles)


@dataclass(frozen=True)
class UserDraft:
    """What creating or editing a user sends; ``password`` None or empty keeps the current one."""

    user_name: str
    password: str | None = field(default=None, repr=False)
    given_name: str = ""
    family_name: str = ""
    display_name: str = ""
    email: str = ""
    active: bool = True
    # The mapped client certificates (DER) to have; None keeps the current ones.
    certificates: tuple[bytes, ...] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class UserPage:
    users: tuple[User, ...]
    total: int


@dataclass(frozen=True)
class Role:
    """One role (a SCIM group); ``members`` are (user id, user name)."""

    id: str
    name: str
    members: tuple[tuple[str, str], ...] = ()

    @property
    def member_names(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.members)

    @property
    def member_ids(self) -> frozenset[str]:
        return frozenset(user_id for user_id, _ in self.members)


# -- audit ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    """Who did what, on what, when."""

    id: int
    timestamp: dt.datetime | None
    actor: str
    action: str
    target: str
    detail: str

    @property
    def local_time(self) -> str:
        if self.timestamp is None:
            return ""
        return self.timestamp.astimezone().strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class AuditPage:
    entries: tuple[AuditEntry, ...]
    offset: int


class StaleCrl(StrEnum):
    """What the server does with a client certificate whose CA's CRL is past its next update."""

    REFUSE = "refuse"
    ACCEPT = "accept"  # with a warning in the server log and audit trail


@dataclass(frozen=True)
class RevocationList:
    """A certificate authority's CRL in the trust store (one per CA, the newest imported)."""

    id: str
    issuer: str
    this_update: dt.datetime
    next_update: dt.datetime | None
    entries: int  # how many certificates it revokes
    stale: bool  # past its next update: import a current one
    imported_at: dt.datetime | None = None


@dataclass(frozen=True)
class RevocationPolicy:
    """How the server checks client certificates against the trust store's CRLs."""

    stale_crl: StaleCrl = StaleCrl.REFUSE
    require_crl: bool = False  # refuse a certificate whose CA has no CRL in the trust store


@dataclass(frozen=True)
class SamlIssuer:
    """A trust-store certificate trusted to sign SAML tokens that name ``issuer`` (31-34)."""

    certificate_alias: str
    issuer: str
    subject: str = ""
    not_after: dt.datetime | None = None
