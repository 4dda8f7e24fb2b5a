"""Frozen records the STS reads from storage: one configuration snapshot per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from stsdesk.core import ns
from stsdesk.core.algorithm_suite import DEFAULT_ALGORITHM_SUITE, AlgorithmSuite
from stsdesk.core.limits import DEFAULT_CONTEXT_LIFETIME_SECONDS
from stsdesk.core.tokentypes import TokenType

__all__ = [
    "LOCKED_BY_ADMINISTRATOR",
    "ProofKeyType", "ResidentIdentityProvider", "SecurityPolicy", "RequestedClaim",
    "RelyingParty", "TokenSettings", "LockoutPolicy", "PasswordDigestPolicy", "ConfigSnapshot",
    "UserRecord",
    "TokenStatus", "IssuedTokenRecord", "NAMEID_UNSPECIFIED", "NAMEID_EMAIL",
    "StaleCrlAction", "RevocationPolicy", "StoredCrl", "TrustedSamlIssuer",
]

NAMEID_UNSPECIFIED = ns.NAMEID_UNSPECIFIED
NAMEID_EMAIL = ns.NAMEID_EMAIL


class ProofKeyType(StrEnum):
    """How the RSTR hands a symmetric proof key to the client (WSO2's STS setting)."""

    BINARY_SECRET = "BinarySecret"
    ENCRYPTED_KEY = "EncryptedKey"


@dataclass(frozen=True)
class ResidentIdentityProvider:
    issuer: str = "localhost"
    home_realm_identifiers: tuple[str, ...] = ("localhost",)
    idle_session_timeout_minutes: int = 15
    remember_me_minutes: int = 20160


@dataclass(frozen=True)
class SecurityPolicy:
    """The applied "Apply Security Policy" scenario; disabled means no token is issued."""

    enabled: bool = True
    scenario_id: str = "scenario1"
    user_store_domain: str = "ALL-USER-STORE-DOMAINS"
    allowed_roles: tuple[str, ...] = ("admin",)
    # WSO2's second wizard step for keystore scenarios: the keystores whose certificates a
    # client's X.509 certificate must chain to, and the one holding the STS's private key.
    trusted_keystores: tuple[str, ...] = ()
    private_keystore: str | None = None
    # The suite the applied policy document names and the engine enforces (WSO2's Basic256
    # unless the administrator chose a stronger one).
    algorithm_suite: AlgorithmSuite = DEFAULT_ALGORITHM_SUITE
    proof_key_type: ProofKeyType = ProofKeyType.BINARY_SECRET
    # An administrator's own WS-SecurityPolicy (scenario_id core.own_policy.OWN_POLICY_ID):
    # its name and document, checked enforceable when it was applied; None for a scenario.
    policy_name: str | None = None
    policy_document: str | None = None
    # Scenario 20 (Kerberos): the STS's service principal, and its keytab sealed under the
    # master secret (base64), never stored or shown in the clear.
    service_principal: str | None = None
    service_keytab: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RequestedClaim:
    uri: str
    mandatory: bool = False


@dataclass(frozen=True)
class RelyingParty:
    """A service provider's WS-Trust inbound configuration and the token defaults for it."""

    application_id: str
    name: str
    audience: str  # the AppliesTo address; "*" matches any AppliesTo no other entry has
    certificate_alias: str | None = None
    token_type: TokenType = TokenType.SAML20  # SAML11 or SAML20 (ISSUED_TOKEN_TYPES)
    key_type: str = "Bearer"  # "Bearer", "SymmetricKey" or "PublicKey"
    encrypt_token: bool = True
    encryption_algorithm: str = ns.AES256_GCM
    key_transport_algorithm: str = ns.RSA_OAEP_MGF1P
    signature_algorithm: str = ns.RSA_SHA256
    digest_algorithm: str = ns.SHA256
    token_lifetime_seconds: int | None = None  # None: the server default
    name_id_format: str = NAMEID_UNSPECIFIED
    requested_claims: tuple[RequestedClaim, ...] = ()
    subject_claim_uri: str | None = None  # None: the username


@dataclass(frozen=True)
class TokenSettings:
    default_lifetime_seconds: int = 300
    max_lifetime_seconds: int = 8 * 3600
    clock_skew_seconds: int = 300
    # A SecureConversation context's lifetime, capped by max_lifetime_seconds when issued.
    security_context_lifetime_seconds: int = DEFAULT_CONTEXT_LIFETIME_SECONDS


@dataclass(frozen=True)
class LockoutPolicy:
    max_failed_attempts: int = 5
    lockout_seconds: int = 300


@dataclass(frozen=True)
class PasswordDigestPolicy:
    """Whether UsernameToken PasswordDigest is accepted; off by default.

    PasswordDigest proves a password by a hash of the nonce, the time and the clear password, so
    the STS must be able to recover every password: it keeps a copy sealed under the master
    secret beside the argon2id hash. A stolen database together with the master secret then
    gives every password, which a hash alone never would. While off, no sealed copy exists.
    """

    allowed: bool = False


class StaleCrlAction(StrEnum):
    """What a client certificate check does when its CA's CRL is past its nextUpdate."""

    REFUSE = "refuse"  # as Java's PKIX checker (and so WSS4J): an outdated CRL proves nothing
    ACCEPT = "accept"  # use it anyway, with a warning in the log and the audit trail


@dataclass(frozen=True)
class RevocationPolicy:
    """How client certificates are checked against the CRLs in the trust store."""

    stale_crl: StaleCrlAction = StaleCrlAction.REFUSE
    # True: a certificate whose issuing CA has no CRL in the trust store is refused (WSS4J's
    # enableRevocation); False: it is accepted unchecked, so that a trust store without CRLs
    # keeps working.
    require_crl: bool = False


@dataclass(frozen=True)
class StoredCrl:
    """A certificate revocation list in the trust store: the newest one per issuing CA."""

    issuer_key: str  # SHA-256 of the issuer name's DER, hex: the CRL's identifier
    issuer: str  # RFC 4514
    crl_der: bytes = field(repr=False)
    this_update: datetime
    next_update: datetime | None
    entries: int
    created_at: datetime


@dataclass(frozen=True)
class TrustedSamlIssuer:
    """A trust-store certificate whose key may sign SAML assertions naming ``issuer``."""

    certificate_alias: str
    issuer: str


@dataclass(frozen=True)
class ConfigSnapshot:
    """Everything the STS needs to answer one request, read in one transaction.

    A request uses one snapshot from start to end, so a token is always consistent with one
    configuration even while an administrator changes it.
    """

    version: int
    resident_idp: ResidentIdentityProvider = field(default_factory=ResidentIdentityProvider)
    security: SecurityPolicy = field(default_factory=SecurityPolicy)
    relying_parties: tuple[RelyingParty, ...] = ()
    trusted_certificates: dict[str, bytes] = field(default_factory=dict)  # alias -> DER
    signing_alias: str = "wso2carbon"
    tokens: TokenSettings = field(default_factory=TokenSettings)
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    password_digest: PasswordDigestPolicy = field(default_factory=PasswordDigestPolicy)
    revocation: RevocationPolicy = field(default_factory=RevocationPolicy)
    crls: tuple[StoredCrl, ...] = ()
    saml_issuers: tuple[TrustedSamlIssuer, ...] = ()

    def relying_party_for(self, applies_to: str | None) -> RelyingParty | None:
        """The relying party whose audience is ``applies_to``, else the ``*`` entry, else None."""
        wildcard = None
        for party in self.relying_parties:
            if applies_to is not None and party.audience == applies_to:
                return party
            if party.audience == "*":
                wildcard = party
        return wildcard


# The lock an administrator sets (SCIM accountLocked: true): it holds until an administrator
# unlocks the account, unlike a lock after failed sign-ins, which runs out.
LOCKED_BY_ADMINISTRATOR = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


@dataclass(frozen=True)
class UserRecord:
    user_id: str
    username: str
    # None: no password set yet (a provisioned account); it cannot sign in until one is set.
    password_hash: str | None
    # The password sealed (AES-GCM) under the keystore's master secret: PasswordDigest needs the
    # clear password to recompute the digest, so a hash alone cannot serve it. Kept only while
    # PasswordDigestPolicy allows it, and only once the password was given again after that.
    password_sealed: bytes | None = None
    roles: tuple[str, ...] = ()
    claims: dict[str, str] = field(default_factory=dict)  # local claim URI -> value
    active: bool = True
    failed_attempts: int = 0
    locked_until: datetime | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None  # the last profile change; None: never changed
    external_id: str | None = None  # SCIM externalId: the provisioning client's own identifier


class TokenStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    RENEWED = "renewed"


@dataclass(frozen=True)
class IssuedTokenRecord:
    """What the STS remembers of a token it issued, for Validate, Renew and Cancel."""

    token_id: str
    token_type: TokenType  # SAML11 or SAML20
    subject: str
    audience: str | None
    issued_at: datetime
    expires_at: datetime
    status: TokenStatus = TokenStatus.ACTIVE
    renew_allowed: bool = True
    renew_after_expiry: bool = False
    replaced_by: str | None = None
    # The id of the user or principal it was issued to (None: a record from before this was
    # kept); a token presented back stands for them, not for a local user of the same name.
    user_id: str | None = None
