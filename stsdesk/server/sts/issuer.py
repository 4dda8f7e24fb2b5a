"""Minting a token for an authenticated user: relying party, claims, proof key, sign, encrypt."""

from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from stsdesk.core import claims as local_claims
from stsdesk.core.certificates import load_certificate
from stsdesk.core.errors import (
    InvalidRequestError,
    InvalidSecurityTokenError,
    RequestFailedError,
)
from stsdesk.core.psha1 import computed_key
from stsdesk.core.saml import (
    PASSWORD_AUTHN_11,
    PASSWORD_AUTHN_20,
    AssertionSpec,
    Bearer,
    Confirmation,
    HolderOfKeyPublic,
    HolderOfKeySymmetric,
    SamlAttribute,
    SamlVersion,
    encrypt_assertion_text,
    new_assertion_id,
    write_signed_assertion,
)
from stsdesk.core.tokentypes import TokenType
from stsdesk.core.wstrust import (
    BinarySecretProof,
    ClaimRequest,
    ComputedKeyProof,
    EncryptedKeyProof,
    IssuedToken,
    KeyType,
    Proof,
    SecurityTokenRequest,
)
from stsdesk.core.xmldsig import DigestAlgorithm, SignatureAlgorithm
from stsdesk.core.xmlenc import BlockEncryption, KeyTransport, encrypt_key
from stsdesk.server.keystore import KeyStore
from stsdesk.server.model import ConfigSnapshot, IssuedTokenRecord, RelyingParty, UserRecord

__all__ = ["TokenIssuer", "Minted", "DEFAULT_KEY_SIZE"]

log = logging.getLogger("stsdesk.server.sts")

DEFAULT_KEY_SIZE = 256
_KEY_SIZES = range(128, 513)

_KEY_TYPES = {
    "Bearer": KeyType.BEARER,
    "SymmetricKey": KeyType.SYMMETRIC,
    "PublicKey": KeyType.PUBLIC,
}


@dataclass(frozen=True)
class Minted:
    """A token ready for the RSTR and the record the STS keeps of it."""

    issued: IssuedToken
    record: IssuedTokenRecord


class TokenIssuer:
    """Turns an Issue request from an authenticated user into a signed (maybe encrypted) token."""

    def __init__(self, keystore: KeyStore) -> None:
        self._keystore = keystore

    # -- Issue -------------------------------------------------------------------------------

    def issue(
        self, request: SecurityTokenRequest, user: UserRecord, config: ConfigSnapshot, now: datetime
    ) -> Minted:
        party = self.relying_party(request.applies_to, config)
        token_type = request.token_type or TokenType(party.token_type)
        if token_type is TokenType.STATUS:
            raise InvalidRequestError(
                "An Issue request cannot ask for the RSTR/Status token type; ask for SAML 1.1 or 2.0."
            )
        key_type = request.key_type or _KEY_TYPES.get(party.key_type, KeyType.BEARER)
        not_before, expires = self.lifetime(request, party, config, now)
        values = _user_claim_values(user)
        attributes = self._attributes(request, party, user, values)
        confirmation, proof, key_size = self._confirmation(request, key_type, party, config)
        version = SamlVersion.SAML11 if token_type is TokenType.SAML11 else SamlVersion.SAML20
        spec = AssertionSpec(
            version=version,
            assertion_id=new_assertion_id(),
            issuer=config.resident_idp.issuer,
            issue_instant=now,
            not_before=not_before,
            not_on_or_after=expires,
            subject_name=self._subject(party, user, values),
            name_id_format=party.name_id_format,
            audiences=(request.applies_to,) if request.applies_to else (),
            authn_instant=now,
            authn_method=PASSWORD_AUTHN_11 if version is SamlVersion.SAML11 else PASSWORD_AUTHN_20,
            attributes=attributes,
            confirmation=confirmation,
        )
        token = self.mint(spec, party, config)
        issued = IssuedToken(
            token=token,
            token_type=token_type,
            token_id=spec.assertion_id,
            applies_to=request.applies_to,
            created=not_before,
            expires=expires,
            proof=proof,
            key_size=key_size,
        )
        renewing = request.renewing
        record = IssuedTokenRecord(
            token_id=spec.assertion_id,
            token_type=token_type,
            subject=user.username,
            audience=request.applies_to,
            issued_at=now,
            expires_at=expires,
            renew_allowed=renewing.allow if renewing else True,
            renew_after_expiry=renewing.ok if renewing else False,
            user_id=user.user_id,
        )
        return Minted(issued, record)

    def mint(self, spec: AssertionSpec, party: RelyingParty, config: ConfigSnapshot) -> bytes:
        """Write, sign and (when the relying party wants it) encrypt an assertion: the token as
        UTF-8 text, for the RSTR.

        The assertion is written and signed as text and encrypted from those bytes; no tree of
        it is ever built.
        """
        identity = self._keystore.signing_identity(config.signing_alias)
        signed = write_signed_assertion(
            spec,
            identity,
            signature_algorithm=SignatureAlgorithm(party.signature_algorithm),
            digest_algorithm=DigestAlgorithm(party.digest_algorithm),
        )
        certificate = self.encryption_certificate(party, config)
        if certificate is None:
            return signed
        return encrypt_assertion_text(
            signed,
            spec.version,
            certificate,
            block=BlockEncryption(party.encryption_algorithm),
            key_transport=KeyTransport(party.key_transport_algorithm),
        )

    # -- the parts -----------------------------------------------------------------------------

    @staticmethod
    def relying_party(applies_to: str | None, config: ConfigSnapshot) -> RelyingParty:
        party = config.relying_party_for(applies_to)
        if party is not None:
            return party
        if applies_to is None:
            raise InvalidRequestError(
                "The request has no AppliesTo. Name the relying party (its endpoint address) in "
                "wsp:AppliesTo, as registered in a service provider's WS-Trust configuration."
            )
        raise InvalidRequestError(
            f"No service provider has the WS-Trust audience {applies_to!r}. Register it in a "
            "service provider's WS-Trust configuration (or add a '*' entry) and try again."
        )

    @staticmethod
    def encryption_certificate(
        party: RelyingParty, config: ConfigSnapshot
    ) -> x509.Certificate | None:
        if not party.encrypt_token or not party.certificate_alias:
            return None
        return _party_certificate(party, config)

    @staticmethod
    def lifetime(
        request: SecurityTokenRequest, party: RelyingParty, config: ConfigSnapshot, now: datetime
    ) -> tuple[datetime, datetime]:
        """(not before, not on or after) for a new or renewed token: the request's Lifetime
        within the server's maximum, else the relying party's or the server's default."""
        settings = config.tokens
        default = party.token_lifetime_seconds or settings.default_lifetime_seconds
        maximum = settings.max_lifetime_seconds
        created = request.lifetime_created or now
        if request.lifetime_expires is None:
            lifetime = default
        else:
            lifetime = int((request.lifetime_expires - created).total_seconds())
        if lifetime <= 0:
            raise InvalidRequestError(
                "The requested Lifetime ends before it starts; ask for an Expires after Created."
            )
        if lifetime > maximum:
            raise InvalidRequestError(
                f"The requested lifetime of {lifetime} seconds exceeds this STS's maximum of "
                f"{maximum} seconds; ask for a shorter wst:Lifetime."
            )
        skew = settings.clock_skew_seconds
        if abs((created - now).total_seconds()) > skew:
            raise InvalidRequestError(
                "The requested Lifetime's Created is too far from the STS's clock; leave it out "
                "or check the client's clock."
            )
        # A token starts now: a requested start in the past within the skew is not back-dated.
        return now, now + timedelta(seconds=lifetime)

    @staticmethod
    def _attributes(
        request: SecurityTokenRequest,
        party: RelyingParty,
        user: UserRecord,
        values: dict[str, tuple[str, ...]],
    ) -> tuple[SamlAttribute, ...]:
        if request.claims:
            wanted = request.claims
            dialect = request.claims_dialect
        else:
            wanted = tuple(
                ClaimRequest(c.uri, optional=not c.mandatory) for c in party.requested_claims
            )
            dialect = None
        # As WSO2 IS does: a requested claim the user has no value for (or that no local claim
        # answers) is left out of the token, never a fault, whether the request or the service
        # provider asked for it and whether or not it was marked optional.
        attributes = []
        left_out = []
        for claim in wanted:
            local = local_claims.local_claim_for(dialect, claim.uri)
            found = values.get(local) if local else None
            if found:
                attributes.append(SamlAttribute(claim.uri, found))
            else:
                left_out.append(claim.uri)
        if left_out:
            # Claim names only: their values (if any) never reach the log.
            log.info(
                "Token for %r (service provider %r): requested claims left out, the user has no "
                "value for them or no local claim answers them: %s",
                user.username, party.name, _names_for_log(left_out),
            )
        return tuple(attributes)

    @staticmethod
    def _subject(
        party: RelyingParty, user: UserRecord, values: dict[str, tuple[str, ...]]
    ) -> str:
        if party.subject_claim_uri:
            value = values.get(party.subject_claim_uri)
            if value:
                return value[0]
        return user.username

    def _confirmation(
        self,
        request: SecurityTokenRequest,
        key_type: KeyType,
        party: RelyingParty,
        config: ConfigSnapshot,
    ) -> tuple[Confirmation, Proof | None, int | None]:
        if key_type is KeyType.BEARER:
            return Bearer(), None, None
        if key_type is KeyType.PUBLIC:
            return HolderOfKeyPublic(_trusted_use_key(request, config)), None, None
        key_size = request.key_size or DEFAULT_KEY_SIZE
        if key_size not in _KEY_SIZES or key_size % 8:
            raise InvalidRequestError(
                f"A symmetric proof key of {key_size} bits is not offered; ask for 128 to 512 bits "
                "in steps of 8 (256 is usual)."
            )
        certificate = _party_certificate(party, config)
        proof: Proof
        if request.client_entropy is not None:
            issuer_entropy = secrets.token_bytes(key_size // 8)
            key = computed_key(request.client_entropy, issuer_entropy, key_size)
            proof = ComputedKeyProof(issuer_entropy)
        else:
            key = secrets.token_bytes(key_size // 8)
            proof = self._proof_for_client(key, request, config)
        return HolderOfKeySymmetric(encrypt_key(key, certificate)), proof, key_size

    @staticmethod
    def _proof_for_client(
        key: bytes, request: SecurityTokenRequest, config: ConfigSnapshot
    ) -> Proof:
        if config.security.proof_key_type.value == "BinarySecret":
            return BinarySecretProof(key)
        if request.use_key_certificate is None:
            raise InvalidRequestError(
                "The STS hands out proof keys as EncryptedKey, which needs the client's certificate "
                "in UseKey. Send UseKey, send client entropy, or ask an administrator to set the "
                "proof key type to BinarySecret."
            )
        client = _read_certificate(request.use_key_certificate)
        return EncryptedKeyProof(encrypt_key(key, client))


_LOGGED_CLAIMS = 20
_LOGGED_NAME_LENGTH = 200


def _names_for_log(uris: list[str]) -> str:
    # Requested claim URIs are the client's text: quoted (so no line breaks reach the log),
    # cut short and counted, so a hostile request cannot flood the log.
    shown = ", ".join(repr(uri[:_LOGGED_NAME_LENGTH]) for uri in uris[:_LOGGED_CLAIMS])
    more = len(uris) - _LOGGED_CLAIMS
    return f"{shown} and {more} more" if more > 0 else shown


def _user_claim_values(user: UserRecord) -> dict[str, tuple[str, ...]]:
    values: dict[str, tuple[str, ...]] = {
        uri: (value,) for uri, value in user.claims.items() if value
    }
    values.setdefault(local_claims.USERNAME, (user.username,))
    if user.roles:
        values.setdefault(local_claims.ROLE, tuple(user.roles))
    return values


def _party_certificate(party: RelyingParty, config: ConfigSnapshot) -> x509.Certificate:
    alias = party.certificate_alias
    der = config.trusted_certificates.get(alias) if alias else None
    if der is None:
        raise RequestFailedError(
            f"The service provider {party.name!r} has no usable certificate (alias "
            f"{alias or 'not set'}), which holder-of-key and encrypted tokens need. Import the "
            "relying party's certificate into the trust store and choose its alias."
        )
    return _trust_store_certificate(der)


@functools.lru_cache(maxsize=256)
def _trust_store_certificate(der: bytes) -> x509.Certificate:
    # A relying party's certificate is parsed once, not on every token encrypted for it; the
    # key is its bytes, so a replaced certificate is simply another entry.
    return load_certificate(der)


def _read_certificate(der: bytes) -> x509.Certificate:
    try:
        return load_certificate(der)
    except InvalidRequestError as exc:
        raise InvalidSecurityTokenError(
            "The certificate in UseKey could not be read; send an X.509 certificate."
        ) from exc


def _trusted_use_key(request: SecurityTokenRequest, config: ConfigSnapshot) -> bytes:
    if request.use_key_certificate is None:
        raise InvalidRequestError(
            "A PublicKey token binds to the client's certificate, but the request has no "
            "UseKey with one. Add wst:UseKey with the client's X.509 certificate."
        )
    presented = _read_certificate(request.use_key_certificate)
    der = presented.public_bytes(Encoding.DER)
    for trusted in config.trusted_certificates.values():
        if secrets.compare_digest(trusted, der):
            return der
    raise InvalidSecurityTokenError(
        f"The client certificate in UseKey ({presented.subject.rfc4514_string()}) is not trusted "
        "by this STS. Import it into the trust store first."
    )
