"""Who is asking: the tokens a security scenario requires, checked against users and lockout.

Under scenario 1 (transport binding) the UsernameToken and Timestamp are read here. Under an
asymmetric or symmetric binding the message-security engine has already verified the message
(``message_security``); what it proved is turned into a user here: a UsernameToken supporting
token is checked like scenario 1's, a signing certificate must chain to the trusted keystore and
not be revoked (``revocation``), and stands for the user it is mapped to if any (with their
roles, claims and account state), else for its subject; a message that proves no identity
(anonymous scenarios) is WSO2's anonymous user.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from cryptography import x509

from stsdesk.core import ns, scenarios
from stsdesk.core.errors import AuthenticationError, InvalidSecurityError
from stsdesk.core.soap import SoapMessage
from stsdesk.core.wssec import (
    FailedAuthenticationError,
    FailedCheckError,
    InboundResult,
    PolicyModel,
    TokenKind,
)
from stsdesk.core.wssec.errors import BadContextTokenError
from stsdesk.core.wssecurity import (
    UsernameToken,
    check_timestamp,
    check_username_token_freshness,
    parse_security_header,
    password_matches,
)
from stsdesk.server.model import ConfigSnapshot, UserRecord
from stsdesk.server.passwords import CredentialCache, verify_no_user
from stsdesk.server.signin import SignInRefused, settle_sign_in
from stsdesk.server.storage.hotpath import FastReads, FreshState
from stsdesk.server.storage.store import Store
from stsdesk.server.sts.certificate_users import CertificateUsers
from stsdesk.server.sts.directory import UserDirectory
from stsdesk.server.sts.kerberos import principal_realm
from stsdesk.server.sts.revocation import RevocationChecker
from stsdesk.server.sts.saml_tokens import SAML_USER_PREFIX, SamlTokenAuthenticator
from stsdesk.server.sts.x509auth import (
    X509_USER_PREFIX,
    anonymous_user,
    authenticate_certificate,
)

__all__ = ["Authenticator", "SCENARIOS_ENFORCED", "KERBEROS_USER_PREFIX"]

log = logging.getLogger("stsdesk.server.sts")

# The security scenarios this STS can enforce today: the catalogue's own list.
SCENARIOS_ENFORCED = scenarios.SCENARIOS_ENFORCED
# The user id of a Kerberos principal that is no local user.
KERBEROS_USER_PREFIX = "kerberos:"

# One message for every credential failure, so a caller cannot tell an unknown user from a wrong
# password.
_BAD_CREDENTIALS = (
    "The user name or password is wrong. Check the credentials; repeated failures lock the account."
)
_DIGEST_NOT_ALLOWED = (
    "PasswordDigest is not allowed on this STS. Send the password as PasswordText (the "
    "connection is HTTPS), or ask an administrator to allow PasswordDigest."
)
# Why a context whose bootstrap credentials no longer hold is refused, as the caller is told;
# the particular reason (revoked, expired, mapping removed) goes to the server log only.
_CONTEXT_CREDENTIALS_GONE = (
    "The security context no longer stands for its holder: the credentials that obtained it "
    "are no longer accepted. Obtain a new context with an RST/SCT request under the bootstrap "
    "policy."
)
# What a PasswordDigest is computed against when there is no password to compare with, so that
# an unknown user, or one without a sealed copy, costs the same work as any other. It is random
# and lives only in this process; a match against it is never taken as a success.
_DUMMY_PASSWORD = secrets.token_urlsafe(24)


class Authenticator:
    """Checks a request's WS-Security header against the applied security scenario."""

    def __init__(self, store: Store, credentials: CredentialCache, reads: FastReads) -> None:
        self._store = store
        self._credentials = credentials
        self._users = UserDirectory(store, reads)
        self._saml = SamlTokenAuthenticator(store, self._users)
        self._revocation = RevocationChecker(store)
        self._certificate_users = CertificateUsers(store, self._users)

    def authenticate(
        self, message: SoapMessage, config: ConfigSnapshot, now: datetime,
        fresh: FreshState | None = None,
    ) -> UserRecord:
        """The user a scenario 1 message's UsernameToken proves. ``fresh`` is what the request
        read with the configuration version; it spares a second read when it holds the login
        state of the user the token names."""
        policy = config.security
        if not policy.enabled:
            raise AuthenticationError(
                "Security is not configured on this STS, so it issues no tokens. "
                "An administrator must apply a security policy (for example UsernameToken) first."
            )
        header = parse_security_header(message)
        if header is None:
            raise InvalidSecurityError(
                "The request has no wsse:Security header; the security policy (UsernameToken) "
                "requires a Timestamp and a UsernameToken."
            )
        skew = config.tokens.clock_skew_seconds
        check_timestamp(header.timestamp, now=now, skew_seconds=skew, required=True)
        token = header.username_token
        if token is None:
            raise InvalidSecurityError(
                "The request has no wsse:UsernameToken; the security policy requires one."
            )
        return self._with_allowed_role(self._verify(token, config, now, fresh), config)

    def authenticate_secured(
        self, inbound: InboundResult, model: PolicyModel, config: ConfigSnapshot, now: datetime,
        trusted: tuple[x509.Certificate, ...], own: tuple[x509.Certificate, ...],
    ) -> UserRecord:
        """The user a message verified by the engine stands for, under the applied policy.

        ``trusted`` are the trusted keystore's certificates, ``own`` this STS's signing
        certificates (for SAML tokens it issued itself).
        """
        protection = model.protection_token
        if protection is not None and protection.kind is TokenKind.KERBEROS:
            # Scenario 20: the client proved a Kerberos ticket for this STS's principal.
            if inbound.kerberos_principal is None:  # the engine refuses this already
                raise InvalidSecurityError("The request carries no Kerberos ticket.")
            return self._local_user_allowed(
                self._kerberos_user(inbound.kerberos_principal, config), config, now)
        initiator = model.initiator_token
        if initiator is not None and initiator.kind is TokenKind.ISSUED:
            # Scenarios 31, 32: the client proved the key of a holder-of-key assertion.
            if inbound.signer_assertion is None:  # the engine refuses this already
                raise InvalidSecurityError("The request is not signed with a SAML token's key.")
            return self._local_user_allowed(self._saml.authenticate(
                (inbound.signer_assertion,), initiator.token_type, config, now,
                own_certificates=own, trusted_certificates=trusted), config, now)
        supporting = model.supporting_of(TokenKind.ISSUED)
        if supporting is not None:
            # Scenarios 33, 34: an X.509 client presents a SAML token for its user.
            if inbound.signer_certificate is not None:
                # The certificate only protects the message; the SAML token names the user.
                self._trusted_certificate(inbound.signer_certificate, trusted, config, now)
            # When the policy wants the token signed, only an assertion the message signature
            # covers speaks for the user: an unsigned one beside it is not looked at.
            assertions = (inbound.signed_saml_assertions if supporting[0].signed
                          else inbound.saml_assertions)
            return self._local_user_allowed(self._saml.authenticate(
                assertions, supporting[1].token_type, config, now,
                own_certificates=own, trusted_certificates=trusted), config, now)
        if model.supporting_of(TokenKind.USERNAME) is not None:
            if inbound.username_token is None:  # the engine refuses this already
                raise InvalidSecurityError("The request has no wsse:UsernameToken.")
            token = inbound.username_token
            if token.created is not None or token.password_type == ns.PASSWORD_DIGEST:
                check_username_token_freshness(
                    token, now=now, skew_seconds=config.tokens.clock_skew_seconds)
            return self._with_allowed_role(self._verify(token, config, now), config)
        if inbound.signer_certificate is not None:
            return self._certificate_user(inbound.signer_certificate, trusted, config, now)
        if model.initiator_token is not None:
            raise InvalidSecurityError("The request is not signed with a client certificate.")
        return anonymous_user()

    def _trusted_certificate(
        self, certificate: x509.Certificate, trusted: tuple[x509.Certificate, ...],
        config: ConfigSnapshot, now: datetime,
    ) -> UserRecord:
        """The certificate's own principal (its subject) once it chains, is valid now and is
        not revoked."""
        principal = authenticate_certificate(certificate, trusted, now)
        self._revocation.check(certificate, trusted, config, now)
        return principal

    def _certificate_user(
        self, certificate: x509.Certificate, trusted: tuple[x509.Certificate, ...],
        config: ConfigSnapshot, now: datetime,
    ) -> UserRecord:
        """The user a trusted client certificate is mapped to, else its subject."""
        principal = self._trusted_certificate(certificate, trusted, config, now)
        user = self._certificate_users.user_for(certificate, config)
        if user is None:
            return principal
        if not user.active or (user.locked_until is not None and user.locked_until > now):
            log.warning("refused a token to %r (client certificate %s): the account is %s",
                        user.username, principal.username,
                        "disabled" if not user.active else "locked")
            raise FailedAuthenticationError(
                "The account this client certificate is mapped to cannot obtain tokens now. "
                "Ask an administrator."
            )
        return self._with_allowed_role(user, config)
    def certificate_proving(self, inbound: InboundResult, model: PolicyModel
                            ) -> x509.Certificate | None:
        """The client certificate that proved whom a message verified under ``model`` stands
        for (itself or the user it is mapped to), or None when a ticket, a SAML token or a
        UsernameToken proved it. Follows the order of :meth:`authenticate_secured`."""
        protection = model.protection_token
        if protection is not None and protection.kind is TokenKind.KERBEROS:
            return None
        initiator = model.initiator_token
        if initiator is not None and initiator.kind is TokenKind.ISSUED:
            return None
        if (model.supporting_of(TokenKind.ISSUED) is not None
                or model.supporting_of(TokenKind.USERNAME) is not None):
            return None
        return inbound.signer_certificate

    def authenticate_context(self, user_id: str, username: str, config: ConfigSnapshot,
                             now: datetime, *, certificate_der: bytes | None = None,
                             trusted: tuple[x509.Certificate, ...] = ()) -> UserRecord:
        """The user a security context stands for (the one its bootstrap proved), as they are
        now: a local user disabled, locked or without an allowed role since is refused.

        ``certificate_der`` is the client certificate the bootstrap proved, if any: it must
        still be trusted (``trusted``), valid and not revoked, exactly as at an X.509 sign-in,
        and still stand for the same principal (mapped to the same user, or to none); else
        BadContextTokenError, the reason in the server log.
        """
        if certificate_der is not None:
            self._context_certificate(certificate_der, user_id, username, trusted, config, now)
        if user_id.startswith("anonymous:"):
            return anonymous_user()
        if user_id.startswith((X509_USER_PREFIX, SAML_USER_PREFIX, KERBEROS_USER_PREFIX)):
            # A principal without a local account (a certificate's subject, a federated or
            # unknown SAML subject, another realm's principal), as at bootstrap: there is no
            # account to look at again, and the local user of the same name is not them.
            return UserRecord(user_id=user_id, username=username, password_hash="")
        user = self._users.get(username, config.version)
        if user is None or user.user_id != user_id:
            log.warning("refused a security context of %r: the user is gone", username)
            raise FailedAuthenticationError(_BAD_CREDENTIALS)
        return self._local_user_allowed(user, config, now)

    def _context_certificate(
        self, certificate_der: bytes, user_id: str, username: str,
        trusted: tuple[x509.Certificate, ...], config: ConfigSnapshot, now: datetime,
    ) -> None:
        """Refuses a context whose bootstrap certificate no longer proves its principal."""
        certificate = x509.load_der_x509_certificate(certificate_der)
        subject = certificate.subject.rfc4514_string()
        try:
            principal = self._trusted_certificate(certificate, trusted, config, now)
        except (FailedAuthenticationError, FailedCheckError) as refused:
            log.warning("refused a security context of %r: its bootstrap certificate %r is no "
                        "longer accepted: %s", username, subject, refused.message)
            raise BadContextTokenError(_CONTEXT_CREDENTIALS_GONE) from None
        mapped = self._certificate_users.user_for(certificate, config)
        stands_for = principal.user_id if mapped is None else mapped.user_id
        if stands_for != user_id:
            # The mapping was removed (or made, or moved to another user) since the bootstrap:
            # the certificate no longer proves whom the context stands for.
            log.warning("refused a security context of %r: its bootstrap certificate %r is "
                        "%s", username, subject,
                        "no longer mapped to that user" if mapped is None
                        else f"now mapped to the user {mapped.username!r}")
            raise BadContextTokenError(_CONTEXT_CREDENTIALS_GONE)

    def _local_user_allowed(
        self, user: UserRecord, config: ConfigSnapshot, now: datetime
    ) -> UserRecord:
        """A local user a token names may have a token only as a signed-in user could: active,
        not locked, with a role the policy allows. A principal that is no local user passes."""
        if user.user_id.startswith(
            (SAML_USER_PREFIX, X509_USER_PREFIX, KERBEROS_USER_PREFIX, "anonymous:")
        ):
            return user
        if not user.active or (user.locked_until is not None and user.locked_until > now):
            log.warning("refused a token to %r: the account is %s", user.username,
                        "disabled" if not user.active else "locked")
            raise FailedAuthenticationError(_BAD_CREDENTIALS)
        return self._with_allowed_role(user, config)

    def _kerberos_user(self, principal: str, config: ConfigSnapshot) -> UserRecord:
        """The local user whose name is the principal's without its realm, when the realm is
        the service's own (a trusted realm's ``alice`` is not this realm's); else the principal
        itself."""
        name, _, realm = principal.rpartition("@")
        service_realm = principal_realm(config.security.service_principal or "")
        if name and realm and realm == service_realm:
            user = self._users.get(name, config.version)
            if user is not None:
                return user
        return UserRecord(user_id=f"{KERBEROS_USER_PREFIX}{principal}", username=principal,
                          password_hash="")

    @staticmethod
    def _with_allowed_role(user: UserRecord, config: ConfigSnapshot) -> UserRecord:
        allowed = set(config.security.allowed_roles)
        if allowed and not allowed.intersection(user.roles):
            # The caller learns only that they are refused; which roles the policy wants is for
            # the administrator, in the server log, not for whoever is probing the STS.
            log.warning(
                "refused a token to %r: the security policy allows only the roles %s",
                user.username,
                ", ".join(sorted(allowed)),
            )
            raise AuthenticationError(
                "You are not authorised to obtain tokens from this STS. Ask an administrator "
                "if you need access."
            )
        return user

    def _verify(self, token: UsernameToken, config: ConfigSnapshot, now: datetime,
                fresh: FreshState | None = None) -> UserRecord:
        digest = token.password_type == ns.PASSWORD_DIGEST
        if digest and not config.password_digest.allowed:
            # Refused before the user is looked up: the answer says nothing about the user.
            log.info(
                "A PasswordDigest UsernameToken was refused: the administrator has not allowed "
                "PasswordDigest on this STS (allowPasswordDigest is off, so no password is "
                "stored reversibly)."
            )
            raise InvalidSecurityError(_DIGEST_NOT_ALLOWED)
        user = self._users.get(token.username, config.version, fresh)
        proved = None
        if digest:
            ok = self._verify_digest(token, user, config, now)
        elif user is None:
            # An unknown user still costs one hash, so timing does not tell users apart.
            verify_no_user(token.password or "")
            ok = False
        else:
            ok = self._credentials.verify(user, token.password or "")
            proved = token.password if ok else None
        try:
            return settle_sign_in(
                self._store, user, ok, config.lockout, now, service="STS",
                proved_password=proved, digest_allowed=config.password_digest.allowed,
                attempted_username=token.username,
            )
        except SignInRefused as refused:
            if refused.locked_by_administrator:
                raise AuthenticationError(
                    "The account is locked by an administrator. Ask an administrator to unlock it."
                ) from None
            if refused.locked_until is not None:
                raise AuthenticationError(
                    "The account is locked after repeated failed sign-ins. Try again after "
                    f"{refused.locked_until:%Y-%m-%d %H:%M:%S} UTC or ask an administrator to "
                    "unlock it."
                ) from None
            raise AuthenticationError(_BAD_CREDENTIALS) from None

    def _verify_digest(
        self, token: UsernameToken, user: UserRecord | None, config: ConfigSnapshot, now: datetime
    ) -> bool:
        skew = config.tokens.clock_skew_seconds
        check_username_token_freshness(token, now=now, skew_seconds=skew)
        # The same work whoever asks: one decryption (of a dummy when there is nothing to
        # unseal), one digest and one constant-time comparison.
        password = self._store.users.unseal_password(user)
        matched = password_matches(token, _DUMMY_PASSWORD if password is None else password)
        if password is None:
            if user is not None:
                log.info(
                    "PasswordDigest sign-in of user %r failed: no reversible copy of the "
                    "password is stored yet. It is taken at the user's next PasswordText or "
                    "admin API sign-in, or when the password is next set.", user.username,
                )
            return False
        if not matched:
            return False
        if token.nonce is None:  # check_username_token_freshness refuses this already
            return False
        # A nonce is remembered for as long as its Created could still pass the freshness check.
        remembered_until = (token.created or now) + timedelta(seconds=2 * skew)
        if not self._store.logins.remember_nonce(token.nonce, remembered_until):
            raise InvalidSecurityError(
                "This UsernameToken nonce was already used (a replayed message). "
                "Send a fresh nonce and Created with every request."
            )
        return True
