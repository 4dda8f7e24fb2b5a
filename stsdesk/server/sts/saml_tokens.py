"""SAML tokens presented to the STS (scenarios 31-34): trusted, valid, not cancelled; and whom
they name.

An assertion is accepted when it is within its Conditions, its AudienceRestriction (if any)
names an audience this STS serves, and either

- it is signed by this STS (one of its signing keys, active or previous), names this STS as its
  issuer and the STS's record of it is active; the new token is issued for the user it names:
  that local user with their roles and claims when there is one and the token was issued to
  them (the caller refuses a disabled or locked one), else the name alone; or
- it is signed with the key of a trust-store certificate the administrator trusts as a SAML
  issuer (``/sts/saml-issuers``), names exactly the issuer that certificate was trusted for,
  and is restricted (AudienceRestriction) to this STS or one of its relying parties exactly.
  Its subject is a federated principal, as WSO2 treats a user from a federated identity
  provider without just-in-time provisioning: the new token names the subject, with no local
  user's roles or claims, even when a local user has the same name; another issuer may not
  speak for this STS's own users.

Assertions signed by any other key, even one in the trusted keystore, are refused: that
keystore also holds client and relying-party certificates, and nothing ties their keys to an
issuer name, so trusting them would let any client sign an assertion naming any user.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from cryptography import x509
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.audiences import ANY_AUDIENCE
from stsdesk.core.errors import InvalidSecurityTokenError
from stsdesk.core.saml import verify_assertion
from stsdesk.core.samlreader import AssertionReading, read_assertion
from stsdesk.core.wssec import FailedAuthenticationError, WsseInvalidTokenError
from stsdesk.server.model import ConfigSnapshot, TokenStatus, UserRecord
from stsdesk.server.storage.store import Store
from stsdesk.server.sts.directory import UserDirectory

__all__ = ["SamlTokenAuthenticator", "SAML_USER_PREFIX", "OTHER_ISSUERS_REFUSED"]

log = logging.getLogger("stsdesk.server.sts")

OTHER_ISSUERS_REFUSED = (
    "SAML tokens from other issuers are not accepted on this STS: present a SAML token this "
    "STS issued, or one from an issuer the administrator trusts."
)

SAML_USER_PREFIX = "saml:"
_TOKEN_TYPES = {
    ns.TOKEN_SAML20: f"{{{ns.SAML2}}}Assertion",
    ns.TOKEN_SAML20_URN: f"{{{ns.SAML2}}}Assertion",
    ns.TOKEN_SAML11: f"{{{ns.SAML11}}}Assertion",
    ns.TOKEN_SAML10_URN: f"{{{ns.SAML11}}}Assertion",
}


class SamlTokenAuthenticator:
    """Decides whether a presented assertion is trusted now, and for whom it speaks."""

    def __init__(self, store: Store, users: UserDirectory) -> None:
        self._store = store
        self._users = users

    def authenticate(
        self, assertions: Sequence[etree._Element], token_type: str | None,
        config: ConfigSnapshot, now: datetime, *,
        own_certificates: Sequence[x509.Certificate],
        trusted_certificates: Sequence[x509.Certificate],
    ) -> UserRecord:
        wanted = _TOKEN_TYPES.get(token_type or "")
        found = [a for a in assertions if wanted is None or a.tag == wanted]
        if not found:
            kind = "SAML 1.1" if wanted == f"{{{ns.SAML11}}}Assertion" else "SAML 2.0"
            raise WsseInvalidTokenError(
                f"The request carries no {kind} assertion; the security policy requires one "
                "issued by this STS or a trusted issuer."
            )
        if len(found) > 1:
            raise WsseInvalidTokenError(
                f"The request carries {len(found)} SAML assertions; present exactly one."
            )
        assertion = found[0]
        subject, foreign_issuer, issued_to = self._check(
            assertion, config, now, own_certificates, trusted_certificates)
        if foreign_issuer is not None:
            return UserRecord(user_id=f"{SAML_USER_PREFIX}{foreign_issuer}!{subject}",
                              username=subject, password_hash="")
        user = self._users.get(subject, config.version)
        if issued_to is not None and (user is None or user.user_id != issued_to):
            # This STS issued the token to someone else than the local user of that name (a
            # trusted issuer's subject, a certificate, another realm's principal), or to a
            # local user since renamed or deleted: it never speaks for the local user.
            return UserRecord(
                user_id=issued_to if ":" in issued_to else f"{SAML_USER_PREFIX}{subject}",
                username=subject, password_hash="")
        if user is not None:
            # Whether this user may have a token now (active, not locked, an allowed role) is
            # the caller's sign-in rule; a disabled user is never replaced by the bare name.
            return user
        return UserRecord(user_id=f"{SAML_USER_PREFIX}{subject}", username=subject,
                          password_hash="")

    def _check(
        self, assertion: etree._Element, config: ConfigSnapshot, now: datetime,
        own: Sequence[x509.Certificate], trusted: Sequence[x509.Certificate],
    ) -> tuple[str, str | None, str | None]:
        """The subject, the issuer's name when a trusted issuer other than this STS signed
        the assertion (None: this STS did), and whom this STS issued it to (when it did and
        its record says)."""
        reading = read_assertion(assertion)
        subject = reading.subject.name_id if reading.subject is not None else None
        if not subject:
            raise WsseInvalidTokenError("The SAML assertion names no subject.")
        skew = timedelta(seconds=config.tokens.clock_skew_seconds)
        issuers = _issuer_certificates(config)
        try:
            verified = verify_assertion(
                assertion, trusted_certificates=[*own, *issuers, *trusted])
        except InvalidSecurityTokenError as exc:
            raise FailedAuthenticationError(
                f"The SAML assertion is not from a trusted issuer: {exc.message}"
            ) from exc
        foreign = None
        if verified.certificate not in own:
            foreign = _foreign_issuer(verified.certificate, reading.issuer, issuers, now)
        if foreign is not None:
            self._check_validity(reading, now, skew, config, foreign=True)
            return subject, foreign, None
        if verified.certificate not in own:
            # Signed by a certificate of the trusted keystore (a client's or a relying party's):
            # its key proves nothing about who may speak for users of this STS.
            log.warning(
                "refused a SAML assertion issued by %r and signed by %s: %s",
                reading.issuer, verified.certificate.subject.rfc4514_string(),
                OTHER_ISSUERS_REFUSED,
            )
            raise FailedAuthenticationError(OTHER_ISSUERS_REFUSED)
        if reading.issuer != config.resident_idp.issuer:
            raise FailedAuthenticationError(
                "The SAML assertion is signed with this STS's key but names another issuer."
            )
        record = self._store.tokens.get(reading.assertion_id or "")
        if record is None or record.status is not TokenStatus.ACTIVE:
            raise FailedAuthenticationError(
                "The SAML assertion is not an active token of this STS (it was cancelled, "
                "renewed or never issued here)."
            )
        self._check_validity(reading, now, skew, config, foreign=False)
        return subject, None, record.user_id

    @staticmethod
    def _check_validity(reading: AssertionReading, now: datetime, skew: timedelta,
                        config: ConfigSnapshot, *, foreign: bool) -> None:
        conditions = reading.conditions
        if conditions is not None and conditions.not_before is not None and (
            conditions.not_before - skew > now
        ):
            raise FailedAuthenticationError("The SAML assertion is not valid yet.")
        if conditions is None or conditions.not_on_or_after is None or (
            conditions.not_on_or_after + skew <= now
        ):
            raise FailedAuthenticationError(
                "The SAML assertion has expired (or states no end of validity); request a new "
                "token."
            )
        audiences = conditions.audiences
        if foreign and not audiences:
            # Another issuer's assertion without an AudienceRestriction could have been issued
            # to any of its relying parties, which could replay it here.
            raise FailedAuthenticationError(
                "The SAML assertion from a trusted issuer names no audience; its issuer must "
                "restrict it (AudienceRestriction) to this STS or one of its relying parties."
            )
        if audiences and not any(_served(audience, config, exact=foreign)
                                 for audience in audiences):
            raise FailedAuthenticationError(
                "The SAML assertion is restricted to audiences this STS does not serve; present "
                "a token issued for this STS or one of its relying parties."
            )


def _served(audience: str, config: ConfigSnapshot, *, exact: bool = False) -> bool:
    """The audience is this STS (its issuer name) or a relying party it issues tokens for, by
    the same rule that picks a relying party for an AppliesTo; ``exact``: a relying party's own
    audience, never the ``*`` entry (another issuer's token must name this STS's parties)."""
    if not audience:
        return False
    if audience == config.resident_idp.issuer:
        return True
    if exact:
        # "*" is the fallback entry's marker, not an audience: as an assertion's audience it
        # would say "any party", and match that entry.
        return audience != ANY_AUDIENCE and any(
            party.audience == audience for party in config.relying_parties)
    return config.relying_party_for(audience) is not None


def _issuer_certificates(config: ConfigSnapshot) -> dict[x509.Certificate, str]:
    """The certificates of the trusted SAML issuers, each with the issuer name it speaks for."""
    found: dict[x509.Certificate, str] = {}
    for item in config.saml_issuers:
        der = config.trusted_certificates.get(item.certificate_alias)
        if der is not None:
            found[_certificate(der)] = item.issuer
    return found


@lru_cache(maxsize=256)
def _certificate(der: bytes) -> x509.Certificate:
    return x509.load_der_x509_certificate(der)


def _foreign_issuer(certificate: x509.Certificate, issuer: str | None,
                    issuers: dict[x509.Certificate, str], now: datetime) -> str | None:
    """The issuer name when ``certificate`` is a trusted issuer's; FailedAuthenticationError
    when it is one but the assertion names another issuer than it was trusted for."""
    trusted_for = issuers.get(certificate)
    if trusted_for is None:
        return None
    if issuer != trusted_for:
        log.warning("refused a SAML assertion naming the issuer %r, signed by the certificate "
                    "trusted for %r", issuer, trusted_for)
        raise FailedAuthenticationError(
            "The SAML assertion is signed by a trusted issuer's key but names another issuer."
        )
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise FailedAuthenticationError(
            "The SAML assertion's issuer certificate is not valid now; the administrator must "
            "trust the issuer's current certificate."
        )
    return trusted_for
