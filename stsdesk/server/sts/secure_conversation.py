"""WS-SecureConversation on the STS (scenarios 9-15): contexts issued, renewed, amended,
cancelled, and looked up for the requests their keys protect.

The RST/SCT arrives under the bootstrap policy, whose token (certificate, UsernameToken, or
none) proves the user; the context remembers that user, and a token request protected with
the context's key is answered for them. Contexts live in the database (``store.contexts``),
so a context issued by one node is accepted by every other node on it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.secconv import (
    ContextOperation,
    IssuedContext,
    build_context_cancelled,
    build_context_response,
    context_key,
    parse_context_request,
)
from stsdesk.core.wssec import InboundResult, PolicyModel, TokenKind
from stsdesk.core.wssec.errors import BadContextTokenError
from stsdesk.server.model import ConfigSnapshot, UserRecord
from stsdesk.server.storage.contexts import StoredContext
from stsdesk.server.storage.store import Store

__all__ = ["SecureConversation", "ContextLookup", "bootstrap_policy"]

log = logging.getLogger("stsdesk.server.sts")

_UNUSABLE = ("The security context {0!r} is {1}; obtain a new one with an RST/SCT request "
             "under the bootstrap policy.")


def bootstrap_policy(model: PolicyModel) -> PolicyModel | None:
    """The bootstrap policy of a SecureConversation policy, or None for any other policy."""
    token = model.protection_token
    if token is None or token.kind is not TokenKind.SECURE_CONVERSATION:
        return None
    if token.bootstrap is None:
        raise InvalidRequestError(
            "The applied SecureConversation policy has no sp:BootstrapPolicy, so no context "
            "can be issued under it."
        )
    return token.bootstrap


class SecureConversation:
    """Contexts for one STS node; safe to share between threads."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def lookup(self, now: datetime) -> ContextLookup:
        """What gives the engine the key of a live context, for one request."""
        return ContextLookup(self._store, now)

    def answer(self, operation: ContextOperation, body: etree._Element,
               inbound: InboundResult, user: UserRecord, model: PolicyModel,
               config: ConfigSnapshot, now: datetime, *,
               certificate: x509.Certificate | None = None) -> etree._Element:
        """The RSTR for a context request ``body`` (already verified and decrypted) from
        ``user`` (the bootstrap's, or the context's holder for Renew, Amend and Cancel).
        ``certificate`` is the client certificate that proved ``user`` at a bootstrap: the
        context keeps it, so that each use checks it again."""
        request = parse_context_request(body, operation)
        # How long a context lives (and a renewal extends it): the administrator's setting,
        # within the server's token maximum.
        tokens = config.tokens
        lifetime = timedelta(seconds=min(tokens.security_context_lifetime_seconds,
                                         tokens.max_lifetime_seconds))
        if operation is ContextOperation.ISSUE:
            lifetime = _within_certificate(lifetime, certificate, now)
            trust = model.options | _bootstrap_options(model)
            key = context_key(
                request,
                require_client_entropy="RequireClientEntropy" in trust,
                require_server_entropy="RequireServerEntropy" in trust,
                default_bits=_default_bits(model),
            )
            identifier = f"urn:uuid:{uuid.uuid4()}"
            self._store.contexts.add(identifier, key.key, user_id=user.user_id,
                                     username=user.username, created_at=now,
                                     expires_at=now + lifetime,
                                     certificate_der=None if certificate is None
                                     else certificate.public_bytes(Encoding.DER))
            log.info("issued security context %s to %r", identifier, user.username)
            return build_context_response(
                IssuedContext(identifier, _token_id(), now, now + lifetime, key),
                context=request.context)
        # Renew, Amend and Cancel came under the SecureConversation policy: the message was
        # protected with a context's key. Only that context may be changed by it.
        own = inbound.context.context if inbound.context is not None else None
        target = request.target if request.target is not None else own
        if target is None or target != own:
            raise BadContextTokenError(
                "The request names a security context other than the one whose key protects "
                "it; sign a Renew, Amend or Cancel with the key of the context it names."
            )
        if operation is ContextOperation.CANCEL:
            if not self._store.contexts.cancel(target, now):
                raise BadContextTokenError(_UNUSABLE.format(target[:80], "already cancelled"))
            log.info("cancelled security context %s of %r", target, user.username)
            return build_context_cancelled(context=request.context)
        if operation is ContextOperation.AMEND and (
            inbound.username_token is not None or inbound.saml_assertions
            or len(inbound.signature_values) > 1
        ):
            # An Amend adds the claims of further tokens to the context. This STS keeps the
            # bootstrap's claims only, so it says so rather than pretend the claims were added.
            raise InvalidRequestError(
                "This STS does not add claims to a security context: a context stands for the "
                "user its bootstrap proved. Obtain a new context with the new credentials."
            )
        stored = self._store.contexts.get(target)
        if stored is None:  # pragma: no cover - the engine looked it up a moment ago
            raise BadContextTokenError(_UNUSABLE.format(target[:80], "not known to this STS"))
        expires = stored.expires_at
        if operation is ContextOperation.RENEW:
            # WS-SecureConversation asks a Renew to re-authenticate the bootstrap's claims,
            # because the issuer need not remember them and they may expire before the
            # renewed context. This STS remembers them (the user, the certificate) and checks
            # them again on every use of the context, Renew included (authenticate_context),
            # so a Renew needs only the context's key, as Rampart and WSS4J clients send it;
            # and the renewed context ends no later than the bootstrap certificate does.
            proved = (None if stored.certificate_der is None
                      else x509.load_der_x509_certificate(stored.certificate_der))
            expires = now + _within_certificate(lifetime, proved, now)
            if not self._store.contexts.extend(target, expires):
                raise BadContextTokenError(_UNUSABLE.format(target[:80], "cancelled"))
            log.info("renewed security context %s of %r", target, user.username)
        return build_context_response(
            IssuedContext(target, _token_id(), stored.created_at, expires, None),
            context=request.context)


class ContextLookup:
    """The contexts one request used: their keys for the engine (a context that is unknown,
    cancelled or expired is refused), and whom the one that protected it stands for."""

    def __init__(self, store: Store, now: datetime) -> None:
        self._store = store
        self._now = now
        self._found: dict[str, StoredContext] = {}

    def __call__(self, identifier: str) -> bytes:
        shown = identifier[:80]
        stored = self._store.contexts.get(identifier)
        if stored is None:
            raise BadContextTokenError(_UNUSABLE.format(shown, "not known to this STS"))
        if stored.cancelled_at is not None:
            raise BadContextTokenError(_UNUSABLE.format(shown, "cancelled"))
        if stored.expires_at <= self._now:
            raise BadContextTokenError(_UNUSABLE.format(
                shown, f"expired (at {stored.expires_at:%Y-%m-%d %H:%M:%S} UTC)"))
        self._found[identifier] = stored
        return stored.key

    def principal(self, inbound: InboundResult) -> tuple[str, str]:
        """The (user id, user name) of the context whose key protected the message."""
        context = inbound.context
        stored = self._found.get(context.context or "") if context is not None else None
        if stored is None:  # pragma: no cover - the engine found it through this lookup
            raise BadContextTokenError("The message's security context is not known.")
        return stored.user_id, stored.username

    def certificate(self, inbound: InboundResult) -> bytes | None:
        """The client certificate (DER) the bootstrap of the context that protected the
        message proved, if it proved one."""
        context = inbound.context
        stored = self._found.get(context.context or "") if context is not None else None
        return None if stored is None else stored.certificate_der


def _within_certificate(lifetime: timedelta, certificate: x509.Certificate | None,
                        now: datetime) -> timedelta:
    """``lifetime``, shortened so that a context ends no later than the certificate that
    obtained it (an expired certificate proves nobody)."""
    if certificate is None:
        return lifetime
    return max(timedelta(0), min(lifetime, certificate.not_valid_after_utc - now))


def _token_id() -> str:
    return f"sct-{uuid.uuid4().hex}"


def _bootstrap_options(model: PolicyModel) -> frozenset[str]:
    bootstrap = bootstrap_policy(model)
    return bootstrap.options if bootstrap is not None else frozenset()


def _default_bits(model: PolicyModel) -> int:
    suite = model.algorithm_suite
    return suite.encryption_key_bits if suite is not None else 256
