"""Validate, Renew and Cancel: what happens to a token after it was issued."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import (
    InvalidRequestError,
    InvalidSecurityTokenError,
    UnableToRenewError,
)
from stsdesk.core.saml import AssertionSpec, assertion_id_of, new_assertion_id, verify_assertion
from stsdesk.core.samlreader import read_assertion_spec
from stsdesk.core.tokentypes import TokenType
from stsdesk.core.wstrust import IssuedToken, SecurityTokenRequest
from stsdesk.server.model import ConfigSnapshot, IssuedTokenRecord, TokenStatus
from stsdesk.server.storage.store import Store
from stsdesk.server.sts.issuer import Minted, TokenIssuer

__all__ = ["TokenLifecycle", "Verdict"]

_ASSERTIONS = {f"{{{ns.SAML2}}}Assertion", f"{{{ns.SAML11}}}Assertion"}
_ENCRYPTED = {f"{{{ns.SAML2}}}EncryptedAssertion", f"{{{ns.XENC}}}EncryptedData"}
_STR = f"{{{ns.WSSE}}}SecurityTokenReference"


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str


@dataclass(frozen=True)
class _Target:
    token_id: str
    assertion: etree._Element | None  # None when the client sent only a reference


class TokenLifecycle:
    """The stored life of issued tokens: status checks, renewal and cancellation."""

    def __init__(
        self,
        store: Store,
        issuer: TokenIssuer,
        signing_certificates: Callable[[], Iterable[x509.Certificate]],
    ) -> None:
        self._store = store
        self._issuer = issuer
        # A callable returning the certificates whose signatures this STS accepts as its own
        # (every signing key it holds, so tokens survive a signing-key roll-over).
        self._signing_certificates = signing_certificates

    # -- Validate ------------------------------------------------------------------------------

    def validate(
        self, request: SecurityTokenRequest, config: ConfigSnapshot, now: datetime
    ) -> Verdict:
        target = _read_target(request.target, "ValidateTarget")
        if target.assertion is not None:
            problem = self._signature_problem(target.assertion, config)
            if problem:
                return Verdict(False, problem)
        record = self._store.tokens.get(target.token_id)
        if record is None:
            return Verdict(False, "The token was not issued by this STS (its ID is unknown here).")
        problem = _status_problem(record, now, config.tokens.clock_skew_seconds)
        if problem:
            return Verdict(False, problem)
        how = "" if target.assertion is not None else " (checked by reference: status and lifetime)"
        return Verdict(
            True, f"The token is valid until {record.expires_at:%Y-%m-%dT%H:%M:%SZ}{how}."
        )

    # -- Renew ---------------------------------------------------------------------------------

    def renew(self, request: SecurityTokenRequest, config: ConfigSnapshot, now: datetime) -> Minted:
        target = _read_target(request.target, "RenewTarget")
        if target.assertion is None:
            raise InvalidRequestError(
                "Renew needs the token itself in RenewTarget, not a reference to it."
            )
        problem = self._signature_problem(target.assertion, config)
        if problem:
            raise InvalidSecurityTokenError(problem)
        record = self._store.tokens.get(target.token_id)
        if record is None:
            raise InvalidSecurityTokenError(
                "The token was not issued by this STS; it cannot be renewed here."
            )
        if record.status is TokenStatus.CANCELLED:
            raise UnableToRenewError("The token was cancelled; request a new token instead.")
        if record.status is TokenStatus.RENEWED:
            raise UnableToRenewError(
                "The token was already renewed; renew the newest token, or request a new one."
            )
        if not record.renew_allowed:
            raise UnableToRenewError(
                'The token was issued with Renewing Allow="false"; request a new token instead.'
            )
        if record.expires_at <= now and not record.renew_after_expiry:
            raise UnableToRenewError(
                'The token has expired and was not issued with Renewing OK="true"; request a new token.'
            )
        old = read_assertion_spec(target.assertion)
        audience = old.audiences[0] if old.audiences else None
        party = self._issuer.relying_party(audience, config)
        # A renewed token gets its lifetime by the same rule as a new one.
        not_before, expires = self._issuer.lifetime(request, party, config, now)
        spec: AssertionSpec = dataclasses.replace(
            old,
            assertion_id=new_assertion_id(),
            issuer=config.resident_idp.issuer,
            issue_instant=now,
            not_before=not_before,
            not_on_or_after=expires,
        )
        token = self._issuer.mint(spec, party, config)
        token_type = TokenType(record.token_type)
        issued = IssuedToken(
            token=token,
            token_type=token_type,
            token_id=spec.assertion_id,
            applies_to=audience,
            created=spec.not_before,
            expires=spec.not_on_or_after,
        )
        renewed = dataclasses.replace(
            record,
            token_id=spec.assertion_id,
            issued_at=now,
            expires_at=spec.not_on_or_after,
            status=TokenStatus.ACTIVE,
            replaced_by=None,
        )
        # Claim the old token first: of two concurrent renewals only one may succeed.
        claimed = self._store.tokens.set_status(
            record.token_id,
            TokenStatus.RENEWED,
            replaced_by=spec.assertion_id,
            expected=TokenStatus.ACTIVE,
        )
        if not claimed:
            raise UnableToRenewError(
                "The token was renewed or cancelled at the same moment; renew the newest token."
            )
        self._store.tokens.save(renewed)
        return Minted(issued, renewed)

    # -- Cancel --------------------------------------------------------------------------------

    def cancel(self, request: SecurityTokenRequest, config: ConfigSnapshot) -> None:
        target = _read_target(request.target, "CancelTarget")
        if target.assertion is not None:
            problem = self._signature_problem(target.assertion, config)
            if problem:
                raise InvalidSecurityTokenError(problem)
        if self._store.tokens.get(target.token_id) is None:
            raise InvalidSecurityTokenError(
                "The token was not issued by this STS (its ID is unknown here); nothing was cancelled."
            )
        self._store.tokens.set_status(target.token_id, TokenStatus.CANCELLED)

    # -- shared checks -------------------------------------------------------------------------

    def _signature_problem(self, assertion: etree._Element, config: ConfigSnapshot) -> str | None:
        trusted: list[x509.Certificate] = list(self._signing_certificates())
        try:
            verify_assertion(assertion, trusted_certificates=trusted)
        except InvalidSecurityTokenError as exc:
            return exc.message
        issuer = _issuer_of(assertion)
        if issuer != config.resident_idp.issuer:
            return f"The token names the issuer {issuer!r}, but this STS is {config.resident_idp.issuer!r}."
        return None


def _read_target(target: etree._Element | None, where: str) -> _Target:
    if target is None:
        raise InvalidRequestError(
            f"The request has no {where} holding the token; put the token in it."
        )
    tag = target.tag
    if tag in _ASSERTIONS:
        return _Target(assertion_id_of(target), target)
    if tag == _STR:
        identifier = target.find(f"{{{ns.WSSE}}}KeyIdentifier")
        if identifier is None or not (identifier.text or "").strip():
            raise InvalidRequestError(
                f"The SecurityTokenReference in {where} has no KeyIdentifier with the token's ID."
            )
        return _Target(identifier.text.strip(), None)
    if tag in _ENCRYPTED:
        raise InvalidRequestError(
            "The token is encrypted for the relying party, so the STS cannot read it. Send its "
            "reference instead (the RequestedAttachedReference from the token response)."
        )
    raise InvalidRequestError(
        f"{where} holds {etree.QName(tag).localname!r}, which is not a SAML 1.1 or 2.0 assertion "
        "or a SecurityTokenReference to one."
    )


def _issuer_of(assertion: etree._Element) -> str | None:
    if assertion.tag == f"{{{ns.SAML2}}}Assertion":
        element = assertion.find(f"{{{ns.SAML2}}}Issuer")
        return (element.text or "").strip() if element is not None else None
    return assertion.get("Issuer")


def _status_problem(record: IssuedTokenRecord, now: datetime, skew: int) -> str | None:
    if record.status is TokenStatus.CANCELLED:
        return "The token was cancelled."
    if record.status is TokenStatus.RENEWED:
        return "The token was renewed; only the renewed token is valid now."
    if record.issued_at - timedelta(seconds=skew) > now:
        return "The token is not valid yet."
    if record.expires_at <= now:
        return f"The token expired at {record.expires_at:%Y-%m-%dT%H:%M:%SZ}."
    return None
