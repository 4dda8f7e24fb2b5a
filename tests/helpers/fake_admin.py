"""An in-memory AdminApi with real behaviour, for UI tests that only check what is shown.

State reads back, ids are generated, and it refuses what the stsdesk server refuses with the
same typed errors (NotFoundError, ConflictError, InvalidInputError). The contract tests in
tests/services/test_admin_contract.py run the same assertions against it and the real server,
so it cannot drift from the backend.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import threading
from collections.abc import Collection, Sequence
from dataclasses import replace

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from stsdesk.core.algorithm_suite import DEFAULT_ALGORITHM_SUITE
from stsdesk.core.certificate_description import CertificateDescription, describe_certificate
from stsdesk.core.certificates import load_certificate
from stsdesk.core.claims import LOCAL_CLAIMS
from stsdesk.core.own_policy import OWN_POLICY_ID
from stsdesk.core.scenarios import (
    EVERYONE_ROLES,
    SCENARIOS,
    SCENARIOS_ENFORCED,
    find_scenario,
    policy_document,
)
from stsdesk.core.tokentypes import ISSUED_TOKEN_TYPES
from stsdesk.core.wssec.policy_support import check_policy
from stsdesk.services.admin.api import Capabilities, Capability
from stsdesk.services.admin.models import (
    Application,
    ApplicationDraft,
    ApplicationPage,
    ApplicationSummary,
    AuditEntry,
    AuditPage,
    Email,
    Keystore,
    LocalClaim,
    LockoutPolicy,
    NewSigningKey,
    OwnPolicyRequest,
    PasswordDigestSetting,
    PolicyIssue,
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
    TokenSettings,
    TrustedCertificate,
    TrustedService,
    User,
    UserDraft,
    UserPage,
    WsTrustConfig,
    WsTrustOptions,
)
from stsdesk.services.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UnsupportedError,
)
from tests.helpers import certfactory

__all__ = ["FakeAdminApi", "PRIMARY_KEYSTORE"]

PRIMARY_KEYSTORE = "wso2carbon.jks"
_TOKEN_TYPES = ISSUED_TOKEN_TYPES
_KEY_TYPES = ("Bearer", "SymmetricKey", "PublicKey")


def _not_found(what: str) -> NotFoundError:
    return NotFoundError(404, "NOT-FOUND", "Resource not found.", f"{what} does not exist.")


def _conflict(description: str) -> ConflictError:
    return ConflictError(409, "CONFLICT", "Conflict.", description)


def _invalid(description: str) -> InvalidInputError:
    return InvalidInputError(400, "INVALID", "Invalid input.", description)


def _pem(certificate: str) -> bytes:
    return certificate.strip().encode("ascii")


class FakeAdminApi:
    """:class:`stsdesk.services.admin.AdminApi` in memory; safe to call from worker threads.

    Tests set up state through the public methods (as a person would through the console),
    or through ``missing`` to play a server that lacks a capability.
    """

    def __init__(self, *, base_url: str = "https://fake.invalid:9443",
                 missing: dict[Capability, str] | None = None) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.base_url = base_url
        self.missing = dict(missing or {})
        self.calls: list[str] = []  # method names, in order: what a test may assert was sent
        self.resident = ResidentIdp(("localhost",), 15, 20160, "localhost")
        self.security = SecurityPolicy(enabled=True, scenario_id="scenario1",
                                       user_store_domain="ALL-USER-STORE-DOMAINS",
                                       allowed_roles=("admin",), proof_key_type="EncryptedKey")
        # The scenarios it enforces: the server's list, or what a test sets.
        self.enforceable: set[str] = set(SCENARIOS_ENFORCED)
        self.applied_keytab: bytes | None = None  # scenario 20's, as the server would hold it
        self.settings = StsSettings(TokenSettings(300, 28800, 300, 3600), LockoutPolicy(5, 900),
                                    PasswordDigestSetting(allowed=False, stored_count=0))
        self.applications: dict[str, Application] = {}
        self.ws_trust: dict[str, WsTrustConfig] = {}
        self.certificates: dict[str, tuple[TrustedCertificate, str]] = {}
        self.signing_keys: dict[str, SigningKey] = {}
        self.users: dict[str, User] = {}
        self.passwords: dict[str, str] = {}
        self.roles: dict[str, Role] = {}
        self.audit: list[AuditEntry] = []
        self.crls: dict[str, RevocationList] = {}  # by issuer
        self.revocation = RevocationPolicy()
        self.saml_issuers: dict[str, SamlIssuer] = {}  # by certificate alias
        admin = self._store_user(User(id=self._id(), user_name="admin"), "admin")
        self.roles_add("admin", [admin.id])
        self._generate("wso2carbon", "localhost", 2048, 3650)  # as a fresh server has it

    # -- bookkeeping -------------------------------------------------------------------------

    def _id(self) -> str:
        return f"00000000-0000-4000-8000-{next(self._ids):012d}"

    def _call(self, name: str, capability: Capability | None = None) -> None:
        self.calls.append(name)
        if capability is not None:
            Capabilities(self.missing).require(capability)

    def _record(self, action: str, target: str) -> None:
        self.audit.insert(0, AuditEntry(id=len(self.audit) + 1,
                                        timestamp=dt.datetime.now(dt.UTC), actor="admin",
                                        action=action, target=target, detail=""))

    def _store_user(self, user: User, password: str | None) -> User:
        self.users[user.id] = user
        if password:
            self.passwords[user.id] = password
        return user

    def roles_add(self, name: str, member_ids: Sequence[str]) -> Role:
        """Set up a role directly (a test's shortcut for create_role)."""
        return self.create_role(name, member_ids)

    # -- the server --------------------------------------------------------------------------

    def server_info(self) -> ServerInfo:
        self._call("server_info")
        return ServerInfo(product="stsdesk", version="fake", node="fake-node")

    def capabilities(self) -> Capabilities:
        return Capabilities(dict(self.missing))

    def close(self) -> None:
        pass

    # -- resident identity provider ----------------------------------------------------------

    def get_resident_idp(self) -> ResidentIdp:
        self._call("get_resident_idp", Capability.RESIDENT_IDP)
        return self.resident

    def update_resident_idp(self, current: ResidentIdp, wanted: ResidentIdp) -> ResidentIdp:
        self._call("update_resident_idp", Capability.RESIDENT_IDP)
        with self._lock:
            seen: set[str] = set()
            for value in wanted.home_realm_identifiers:
                if value in seen:
                    raise _invalid(f"The home realm identifier {value!r} is already in the "
                                   "list; each one can appear only once.")
                seen.add(value)
            if wanted.idle_session_timeout_minutes <= 0 or wanted.remember_me_minutes <= 0:
                raise _invalid("Periods are whole numbers of minutes, at least 1.")
            issuer = wanted.issuer if wanted.issuer is not None else self.resident.issuer
            self.resident = replace(wanted, issuer=issuer)
            self._record("configs.update", "resident-idp")
            return self.resident

    # -- STS security ------------------------------------------------------------------------

    def list_scenarios(self) -> tuple[Scenario, ...]:
        self._call("list_scenarios", Capability.SECURITY_POLICY)
        return tuple(self._scenario(s.id) for s in SCENARIOS)

    def get_scenario(self, scenario_id: str) -> ScenarioDetail:
        self._call("get_scenario", Capability.SECURITY_POLICY)
        if find_scenario(scenario_id) is None:
            raise _not_found(f"The security scenario '{scenario_id}'")
        return ScenarioDetail(self._scenario(scenario_id),
                              policy_document(scenario_id).decode())

    def _scenario(self, scenario_id: str) -> Scenario:
        return replace(_scenario(scenario_id), enforceable=scenario_id in self.enforceable)

    def get_security_policy(self) -> SecurityPolicy:
        self._call("get_security_policy", Capability.SECURITY_POLICY)
        return self.security

    def apply_security_policy(self, request: SecurityPolicyRequest) -> SecurityPolicy:
        self._call("apply_security_policy", Capability.SECURITY_POLICY)
        scenario = find_scenario(request.scenario_id)
        if scenario is None:
            raise _not_found(f"The security scenario '{request.scenario_id}'")
        if request.algorithm_suite is not DEFAULT_ALGORITHM_SUITE:
            Capabilities(self.missing).require(Capability.ALGORITHM_SUITE)
        if scenario.id not in self.enforceable:
            raise _invalid(f"The scenario {scenario.id} cannot be enforced yet.")
        if any(role.lower() in EVERYONE_ROLES for role in request.allowed_roles):
            raise _invalid("Everyone's role cannot be allowed: anyone could obtain tokens.")
        if scenario.asks_for_roles and not request.allowed_roles:
            raise _invalid(f"{scenario.id} needs at least one allowed role.")
        if scenario.asks_for_keystores and not (request.trusted_keystores
                                                and request.private_keystore):
            raise _invalid(f"{scenario.id} needs trusted keystores and a private keystore.")
        if "servicePrincipal" in scenario.asks_for and not (
                request.service_principal and (request.keytab or self.applied_keytab)):
            raise _invalid(f"{scenario.id} needs the service principal and its keytab.")
        with self._lock:
            self.security = SecurityPolicy(
                enabled=True, scenario_id=scenario.id,
                user_store_domain=request.user_store_domain,
                allowed_roles=tuple(request.allowed_roles),
                trusted_keystores=tuple(request.trusted_keystores),
                private_keystore=request.private_keystore,
                algorithm_suite=request.algorithm_suite,
                proof_key_type=self.security.proof_key_type,
                service_principal=request.service_principal)
            if request.keytab is not None:
                self.applied_keytab = request.keytab
            self._record("sts.security.apply", scenario.id)
            return self.security

    def check_own_policy(self, document: str) -> PolicyVerdict:
        """The real engine's verdict (core.wssec.policy_support), as the server gives it."""
        self._call("check_own_policy", Capability.OWN_POLICY_CHECK)
        verdict = check_policy(document.encode(), kerberos_unavailable=None)  # as scenario 20
        return PolicyVerdict(
            enforceable=verdict.enforceable,
            unenforceable=tuple(PolicyIssue(i.assertion, i.name, i.path, i.line, i.reason)
                                for i in verdict.unenforceable),
            notes=verdict.notes, policy_id=verdict.policy_id,
            algorithm_suite=verdict.algorithm_suite, asks_for=verdict.asks_for)

    def apply_own_policy(self, request: OwnPolicyRequest) -> SecurityPolicy:
        self._call("apply_own_policy", Capability.SECURITY_POLICY)
        verdict = check_policy(request.document.encode(), kerberos_unavailable=None)
        if not verdict.enforceable:
            raise _invalid("The STS cannot enforce: " + "; ".join(
                i.describe() for i in verdict.unenforceable))
        if "roles" in verdict.asks_for and not request.allowed_roles:
            raise _invalid(f"{request.name} needs at least one allowed role.")
        if "servicePrincipal" in verdict.asks_for and not (
                request.service_principal and (request.keytab or self.applied_keytab)):
            raise _invalid(f"{request.name} needs the service principal and its keytab.")
        with self._lock:
            self.security = SecurityPolicy(
                enabled=True, scenario_id=OWN_POLICY_ID,
                user_store_domain=request.user_store_domain,
                allowed_roles=tuple(request.allowed_roles),
                trusted_keystores=tuple(request.trusted_keystores),
                private_keystore=request.private_keystore,
                proof_key_type=self.security.proof_key_type,
                policy_name=request.name, policy_document=request.document,
                service_principal=request.service_principal)
            if request.keytab is not None:
                self.applied_keytab = request.keytab
            self._record("sts.security.apply", request.name)
            return self.security

    def disable_security(self) -> None:
        self._call("disable_security", Capability.SECURITY_POLICY)
        with self._lock:
            self.security = SecurityPolicy(enabled=False,
                                           proof_key_type=self.security.proof_key_type)
            self._record("sts.security.disable", "wso2carbon-sts")

    def list_trusted_services(self) -> tuple[TrustedService, ...]:
        self._call("list_trusted_services", Capability.TRUSTED_SERVICES)
        with self._lock:
            return tuple(
                TrustedService(config.audience, config.certificate_alias, app_id,
                               self.applications[app_id].name)
                for app_id, config in self.ws_trust.items())

    def list_keystores(self) -> tuple[Keystore, ...]:
        self._call("list_keystores", Capability.SECURITY_POLICY)
        return (Keystore(PRIMARY_KEYSTORE, private_store=True),)

    def get_proof_key_type(self) -> str:
        self._call("get_proof_key_type", Capability.PROOF_KEY_TYPE)
        return self.security.proof_key_type

    def set_proof_key_type(self, proof_key_type: str) -> str:
        self._call("set_proof_key_type", Capability.PROOF_KEY_TYPE)
        if proof_key_type not in ("EncryptedKey", "BinarySecret"):
            raise _invalid("The proof key type is EncryptedKey or BinarySecret.")
        with self._lock:
            self.security = replace(self.security, proof_key_type=proof_key_type)
            return proof_key_type

    def get_endpoints(self) -> StsEndpoints:
        self._call("get_endpoints")
        sts = f"{self.base_url}/services/wso2carbon-sts"
        return StsEndpoints(sts, f"{sts}?wsdl")

    def get_sts_settings(self) -> StsSettings:
        self._call("get_sts_settings", Capability.STS_SETTINGS)
        return self.settings

    def update_sts_settings(self, settings: StsSettings) -> StsSettings:
        self._call("update_sts_settings", Capability.STS_SETTINGS)
        tokens = settings.tokens
        if not 0 < tokens.default_lifetime_seconds <= tokens.max_lifetime_seconds:
            raise _invalid("The default token lifetime must be between 1 second and the "
                           "maximum lifetime.")
        with self._lock:
            digest = self.settings.password_digest
            if digest is not None and settings.password_digest is not None:
                # Turning it off deletes the stored copies; on, copies come with sign-ins.
                digest = PasswordDigestSetting(settings.password_digest.allowed,
                                               digest.stored_count if
                                               settings.password_digest.allowed else 0)
            if tokens.security_context_lifetime_seconds is None:  # not sent: unchanged
                tokens = replace(tokens, security_context_lifetime_seconds=(
                    self.settings.tokens.security_context_lifetime_seconds))
            self.settings = replace(settings, tokens=tokens, password_digest=digest)
            return self.settings

    # -- service providers -------------------------------------------------------------------

    def list_local_claims(self) -> tuple[LocalClaim, ...]:
        self._call("list_local_claims", Capability.LOCAL_CLAIMS)
        return tuple(LocalClaim(uri, name) for uri, name in LOCAL_CLAIMS.items())

    def list_applications(self, *, offset: int = 0, limit: int = 100) -> ApplicationPage:
        self._call("list_applications", Capability.APPLICATIONS)
        with self._lock:
            apps = sorted(self.applications.values(), key=lambda a: a.name.casefold())
            return ApplicationPage(tuple(ApplicationSummary(a.id, a.name, a.description)
                                         for a in apps[offset:offset + limit]), len(apps))

    def _application(self, application_id: str) -> Application:
        try:
            return self.applications[application_id]
        except KeyError:
            raise _not_found(f"The service provider '{application_id}'") from None

    def get_application(self, application_id: str) -> Application:
        self._call("get_application", Capability.APPLICATIONS)
        with self._lock:
            application = self._application(application_id)
            return replace(application, has_ws_trust=application_id in self.ws_trust)

    def _check_name(self, draft: ApplicationDraft, own_id: str | None) -> None:
        if not draft.name.strip():
            raise _invalid("A service provider needs a name.")
        for other in self.applications.values():
            if other.id != own_id and other.name.casefold() == draft.name.casefold():
                raise _conflict(f"A service provider named '{draft.name}' already exists.")

    def create_application(self, draft: ApplicationDraft) -> Application:
        self._call("create_application", Capability.APPLICATIONS)
        with self._lock:
            self._check_name(draft, None)
            application = Application(self._id(), draft.name, draft.description,
                                      draft.requested_claims, draft.subject_claim)
            self.applications[application.id] = application
            self._record("application.create", draft.name)
            return application

    def update_application(self, application_id: str, draft: ApplicationDraft) -> Application:
        self._call("update_application", Capability.APPLICATIONS)
        with self._lock:
            self._application(application_id)
            self._check_name(draft, application_id)
            application = Application(application_id, draft.name, draft.description,
                                      draft.requested_claims, draft.subject_claim,
                                      application_id in self.ws_trust)
            self.applications[application_id] = application
            return application

    def delete_application(self, application_id: str) -> None:
        self._call("delete_application", Capability.APPLICATIONS)
        with self._lock:
            application = self._application(application_id)
            del self.applications[application_id]
            self.ws_trust.pop(application_id, None)
            self._record("application.delete", application.name)

    def get_ws_trust(self, application_id: str) -> WsTrustConfig | None:
        self._call("get_ws_trust", Capability.WS_TRUST)
        with self._lock:
            self._application(application_id)
            return self.ws_trust.get(application_id)

    def put_ws_trust(self, application_id: str, config: WsTrustConfig) -> WsTrustConfig:
        self._call("put_ws_trust", Capability.WS_TRUST)
        with self._lock:
            self._application(application_id)
            for other_id, other in self.ws_trust.items():
                if other_id != application_id and other.audience == config.audience:
                    raise _conflict(f"The audience '{config.audience}' is already used by "
                                    f"'{self.applications[other_id].name}'.")
            if config.certificate_alias and config.certificate_alias not in self.certificates:
                raise _invalid(f"There is no certificate '{config.certificate_alias}' in the "
                               "trust store; import it first.")
            stored = replace(config, warnings=())
            self.ws_trust[application_id] = stored
            return stored

    def delete_ws_trust(self, application_id: str) -> None:
        self._call("delete_ws_trust", Capability.WS_TRUST)
        with self._lock:
            self._application(application_id)
            if self.ws_trust.pop(application_id, None) is None:
                raise _not_found("The WS-Trust configuration")

    def ws_trust_options(self) -> WsTrustOptions:
        self._call("ws_trust_options", Capability.WS_TRUST)
        with self._lock:
            aliases = tuple(sorted(self.certificates))
        return WsTrustOptions(certificate_aliases=aliases, token_types=_TOKEN_TYPES,
                              key_types=_KEY_TYPES,
                              defaults={"token_type": "SAML20", "key_type": "Bearer"})

    # -- trust store and signing keys --------------------------------------------------------

    def list_certificates(self) -> tuple[TrustedCertificate, ...]:
        self._call("list_certificates", Capability.TRUST_STORE)
        with self._lock:
            used: dict[str, list[str]] = {}
            for app_id, config in self.ws_trust.items():
                if config.certificate_alias:
                    used.setdefault(config.certificate_alias, []).append(
                        self.applications[app_id].name)
            return tuple(replace(cert, used_by=tuple(sorted(used.get(alias, ()))))
                         for alias, (cert, _) in sorted(self.certificates.items()))

    def export_certificate(self, alias: str) -> str:
        self._call("export_certificate", Capability.TRUST_STORE)
        with self._lock:
            if alias not in self.certificates:
                raise _not_found(f"The certificate '{alias}'")
            return self.certificates[alias][1]

    def import_certificate(self, alias: str, certificate: str) -> TrustedCertificate:
        self._call("import_certificate", Capability.TRUST_STORE_IMPORT)
        try:
            cert = load_certificate(_pem(certificate))
        except ValueError as exc:
            raise _invalid(f"This is not a certificate ({exc}).") from exc
        facts = describe_certificate(cert)
        with self._lock:
            if alias in self.certificates:
                raise _conflict(f"The alias '{alias}' is already in the trust store.")
            row = TrustedCertificate(**_facts(alias, facts))
            self.certificates[alias] = (row, cert.public_bytes(Encoding.PEM).decode("ascii"))
            self._record("certificate.import", alias)
            return row

    def delete_certificate(self, alias: str) -> None:
        self._call("delete_certificate", Capability.TRUST_STORE)
        with self._lock:
            if alias not in self.certificates:
                raise _not_found(f"The certificate '{alias}'")
            users = [self.applications[a].name for a, c in self.ws_trust.items()
                     if c.certificate_alias == alias]
            if users:
                raise _conflict(f"The certificate '{alias}' is used by {', '.join(users)}.")
            del self.certificates[alias]

    def public_certificate(self) -> str:
        self._call("public_certificate", Capability.SIGNING_KEYS)
        with self._lock:
            active = next((k for k in self.signing_keys.values() if k.active), None)
        if active is None:
            raise _not_found("The signing certificate")
        return active.pem

    def list_signing_keys(self) -> tuple[SigningKey, ...]:
        self._call("list_signing_keys", Capability.SIGNING_KEYS)
        with self._lock:
            return tuple(self.signing_keys[alias] for alias in sorted(self.signing_keys))

    def add_signing_key(self, request: NewSigningKey) -> SigningKey:
        """Generates a real key pair and certificate; PKCS#12 import is the live server's."""
        self._call("add_signing_key", Capability.SIGNING_KEYS)
        if request.common_name is None:
            raise UnsupportedError("The fake admin API does not read PKCS#12 files; test the "
                                   "import against the live server.")
        with self._lock:
            if request.alias in self.signing_keys:
                raise _conflict(f"The alias '{request.alias}' is already a signing key.")
            return self._generate(request.alias, request.common_name, request.key_size,
                                  request.validity_days)

    def _generate(self, alias: str, common_name: str, bits: int, days: int) -> SigningKey:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        issued = certfactory.issue(common_name, key=certfactory.rsa_key(alias, bits),
                                   not_before=now, not_after=now + dt.timedelta(days=days))
        facts = describe_certificate(issued.certificate)
        key = SigningKey(**_facts(alias, facts), active=not self.signing_keys, created_at=now,
                         pem=issued.certificate.public_bytes(Encoding.PEM).decode("ascii"))
        self.signing_keys[alias] = key
        return key

    def activate_signing_key(self, alias: str) -> None:
        self._call("activate_signing_key", Capability.SIGNING_KEYS)
        with self._lock:
            if alias not in self.signing_keys:
                raise _invalid(f"There is no signing key with alias '{alias}'; add the key "
                               "first, then choose it.")
            self.signing_keys = {a: replace(k, active=a == alias)
                                 for a, k in self.signing_keys.items()}

    def delete_signing_key(self, alias: str) -> None:
        self._call("delete_signing_key", Capability.SIGNING_KEYS)
        with self._lock:
            key = self.signing_keys.get(alias)
            if key is None:
                raise _not_found(f"The signing key '{alias}'")
            if key.active:
                raise _conflict(f"'{alias}' signs the tokens issued now; activate another "
                                "key first.")
            del self.signing_keys[alias]

    # -- users and roles ---------------------------------------------------------------------

    def _with_roles(self, user: User) -> User:
        roles = tuple(sorted(((r.id, r.name) for r in self.roles.values()
                              if user.id in r.member_ids), key=lambda r: r[1].casefold()))
        return replace(user, roles=roles)

    def _user(self, user_id: str) -> User:
        try:
            return self._with_roles(self.users[user_id])
        except KeyError:
            raise _not_found(f"The user '{user_id}'") from None

    def list_users(self, *, user_name_prefix: str = "", offset: int = 0,
                   limit: int = 100) -> UserPage:
        self._call("list_users", Capability.USERS)
        prefix = user_name_prefix.strip().casefold()
        with self._lock:
            users = sorted((u for u in self.users.values()
                            if u.user_name.casefold().startswith(prefix)),
                           key=lambda u: u.user_name.casefold())
            return UserPage(tuple(self._with_roles(u) for u in users[offset:offset + limit]),
                            len(users))

    def get_user(self, user_id: str) -> User:
        self._call("get_user", Capability.USERS)
        with self._lock:
            return self._user(user_id)

    def _check_user_name(self, name: str, own_id: str | None) -> None:
        if not name.strip():
            raise _invalid("A user needs a user name.")
        if any(u.user_name.casefold() == name.casefold() and u.id != own_id
               for u in self.users.values()):
            raise _conflict(f"A user named '{name}' already exists.")

    def create_user(self, draft: UserDraft) -> User:
        self._call("create_user", Capability.USERS)
        with self._lock:
            self._check_user_name(draft.user_name, None)
            user = User(id=self._id(), user_name=draft.user_name,
                        display_name=draft.display_name, given_name=draft.given_name,
                        family_name=draft.family_name, email=draft.email,
                        emails=(Email(draft.email, primary=True),) if draft.email else (),
                        active=draft.active, password_set=bool(draft.password),
                        certificates=draft.certificates or ())
            return self._with_roles(self._store_user(user, draft.password))

    def update_user(self, current: User, wanted: UserDraft) -> User:
        self._call("update_user", Capability.USERS)
        with self._lock:
            stored = self._user(current.id)
            self._check_user_name(wanted.user_name, current.id)
            others = tuple(e for e in stored.emails if not e.primary)
            user = replace(stored, user_name=wanted.user_name,
                           display_name=wanted.display_name, given_name=wanted.given_name,
                           family_name=wanted.family_name, email=wanted.email,
                           emails=((Email(wanted.email, primary=True),) if wanted.email
                                   else ()) + others,
                           active=wanted.active,
                           password_set=stored.password_set or bool(wanted.password),
                           certificates=(stored.certificates if wanted.certificates is None
                                         else wanted.certificates))
            return self._with_roles(self._store_user(user, wanted.password))

    def delete_user(self, user_id: str) -> None:
        self._call("delete_user", Capability.USERS)
        with self._lock:
            self._user(user_id)
            del self.users[user_id]
            self.passwords.pop(user_id, None)
            self.roles = {i: replace(r, members=tuple(m for m in r.members if m[0] != user_id))
                          for i, r in self.roles.items()}

    def unlock_user(self, user_id: str) -> User:
        self._call("unlock_user", Capability.USERS)
        with self._lock:
            user = replace(self._user(user_id), locked=False, failed_attempts=0)
            self.users[user_id] = user
            return user

    def set_user_password(self, user_id: str, password: str) -> None:
        self._call("set_user_password", Capability.USERS)
        with self._lock:
            self.users[user_id] = replace(self.users[user_id], password_set=True)
            self._user(user_id)
            self.passwords[user_id] = password

    def list_roles(self) -> tuple[Role, ...]:
        self._call("list_roles", Capability.ROLES)
        with self._lock:
            return tuple(sorted(self.roles.values(), key=lambda r: r.name.casefold()))

    def _role(self, role_id: str) -> Role:
        try:
            return self.roles[role_id]
        except KeyError:
            raise _not_found(f"The role '{role_id}'") from None

    def _members(self, user_ids: Sequence[str]) -> tuple[tuple[str, str], ...]:
        for user_id in user_ids:
            if user_id not in self.users:
                raise _invalid(f"There is no user '{user_id}'.")
        return tuple(sorted(((i, self.users[i].user_name) for i in set(user_ids)),
                            key=lambda m: m[1].casefold()))

    def create_role(self, name: str, member_ids: Sequence[str] = ()) -> Role:
        self._call("create_role", Capability.ROLES)
        with self._lock:
            if any(r.name.casefold() == name.casefold() for r in self.roles.values()):
                raise _conflict(f"A role named '{name}' already exists.")
            role = Role(self._id(), name, self._members(member_ids))
            self.roles[role.id] = role
            return role

    def update_role(self, current: Role, name: str, member_ids: Collection[str]) -> Role:
        self._call("update_role", Capability.ROLES)
        with self._lock:
            role = self._role(current.id)
            if any(r.name.casefold() == name.casefold() and r.id != role.id
                   for r in self.roles.values()):
                raise _conflict(f"A role named '{name}' already exists.")
            wanted = set(member_ids)
            # As a PATCH of differences: a member added elsewhere meanwhile stays.
            kept = (role.member_ids | (wanted - current.member_ids)) - (current.member_ids - wanted)
            self.roles[role.id] = replace(role, name=name, members=self._members(sorted(kept)))
            return self.roles[role.id]

    def add_role_members(self, role_id: str, user_ids: Sequence[str]) -> None:
        self._call("add_role_members", Capability.ROLES)
        with self._lock:
            role = self._role(role_id)
            members = self._members([*role.member_ids, *user_ids])
            self.roles[role_id] = replace(role, members=members)

    def remove_role_members(self, role_id: str, user_ids: Sequence[str]) -> None:
        self._call("remove_role_members", Capability.ROLES)
        with self._lock:
            role = self._role(role_id)
            self.roles[role_id] = replace(
                role, members=tuple(m for m in role.members if m[0] not in set(user_ids)))

    def delete_role(self, role_id: str) -> None:
        self._call("delete_role", Capability.ROLES)
        with self._lock:
            self._role(role_id)
            del self.roles[role_id]

    # -- revocation and trusted SAML issuers -------------------------------------------------

    def list_revocation_lists(self) -> tuple[RevocationList, ...]:
        self._call("list_revocation_lists", Capability.REVOCATION_LISTS)
        with self._lock:
            return tuple(self.crls[key] for key in sorted(self.crls))

    def import_revocation_list(self, crl: str) -> RevocationList:
        self._call("import_revocation_list", Capability.REVOCATION_LISTS)
        text = crl.strip()
        try:
            parsed = (x509.load_pem_x509_crl(text.encode()) if text.startswith("-----BEGIN")
                      else x509.load_der_x509_crl(base64.b64decode(text)))
        except ValueError as exc:
            raise _invalid("The data is not a certificate revocation list.") from exc
        with self._lock:
            signers = [load_certificate(_pem(pem)) for _, pem in self.certificates.values()]
            if not any(c.subject == parsed.issuer
                       and parsed.is_signature_valid(c.public_key())  # type: ignore[arg-type]
                       for c in signers):
                raise _invalid(f"The CRL of '{parsed.issuer.rfc4514_string()}' is not signed by "
                               "a certificate in the trust store.")
            key = parsed.issuer.rfc4514_string()
            now = dt.datetime.now(dt.UTC)
            row = RevocationList(
                id=f"{len(self.crls) + 1:064x}", issuer=key, this_update=parsed.last_update_utc,
                next_update=parsed.next_update_utc, entries=len(parsed),
                stale=parsed.next_update_utc is not None and parsed.next_update_utc < now,
                imported_at=now)
            self.crls[key] = row
            self._record("crl.import", key)
            return row

    def delete_revocation_list(self, crl_id: str) -> None:
        self._call("delete_revocation_list", Capability.REVOCATION_LISTS)
        with self._lock:
            key = next((k for k, row in self.crls.items() if row.id == crl_id), None)
            if key is None:
                raise _not_found(f"The CRL '{crl_id}'")
            del self.crls[key]

    def get_revocation_policy(self) -> RevocationPolicy:
        self._call("get_revocation_policy", Capability.REVOCATION_LISTS)
        return self.revocation

    def set_revocation_policy(self, policy: RevocationPolicy) -> RevocationPolicy:
        self._call("set_revocation_policy", Capability.REVOCATION_LISTS)
        self.revocation = policy
        return policy

    def list_saml_issuers(self) -> tuple[SamlIssuer, ...]:
        self._call("list_saml_issuers", Capability.SAML_ISSUERS)
        with self._lock:
            return tuple(self.saml_issuers[alias] for alias in sorted(self.saml_issuers))

    def trust_saml_issuer(self, alias: str, issuer: str) -> SamlIssuer:
        self._call("trust_saml_issuer", Capability.SAML_ISSUERS)
        with self._lock:
            if alias not in self.certificates:
                raise _not_found(f"The certificate '{alias}'")
            cert = self.certificates[alias][0]
            row = SamlIssuer(alias, issuer, cert.subject, cert.not_after)
            self.saml_issuers[alias] = row
            return row

    def distrust_saml_issuer(self, alias: str) -> None:
        self._call("distrust_saml_issuer", Capability.SAML_ISSUERS)
        with self._lock:
            if self.saml_issuers.pop(alias, None) is None:
                raise _not_found(f"The trusted SAML issuer '{alias}'")

    # -- audit -------------------------------------------------------------------------------

    def list_audit_entries(self, *, offset: int = 0, limit: int = 100) -> AuditPage:
        self._call("list_audit_entries", Capability.AUDIT_LOG)
        with self._lock:
            return AuditPage(tuple(self.audit[offset:offset + limit]), offset)


def _facts(alias: str, facts: CertificateDescription) -> dict[str, object]:
    return {"alias": alias, "subject": facts.subject, "issuer": facts.issuer,
            "not_before": facts.not_before, "not_after": facts.not_after,
            "sha256_fingerprint": facts.sha256_fingerprint,
            "sha1_fingerprint": facts.sha1_fingerprint,
            "key_algorithm": str(facts.key_algorithm), "key_size": facts.key_size,
            "serial_number": facts.serial_number,
            "signature_algorithm": facts.signature_algorithm}


def _scenario(scenario_id: str) -> Scenario:
    found = find_scenario(scenario_id)
    if found is None:
        raise _not_found(f"The security scenario '{scenario_id}'")
    return Scenario(id=found.id, number=found.number, summary=found.summary.strip(),
                    description=found.description.strip(), group=str(found.group),
                    category=str(found.category), asks_for=found.asks_for,
                    enforceable=found.enforceable)

