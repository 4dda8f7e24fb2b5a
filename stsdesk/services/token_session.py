"""The STS test client without Qt: request a token with any options, then Validate, Renew, Cancel."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import CryptoError, InvalidRequestError, StsError
from stsdesk.core.psha1 import computed_key
from stsdesk.core.secconv_client import ClientContext
from stsdesk.core.soap import SoapVersion
from stsdesk.core.tokeninfo import DecodedToken, PrivateKey, decode_token
from stsdesk.core.tokeninput import extract_token
from stsdesk.core.wssec.client_request import SecuredRequest
from stsdesk.core.wstrust import (
    ClaimRequest,
    KeyType,
    RequestType,
    TokenType,
    TrustResponse,
    TrustVersion,
    build_request,
    token_type_uri,
)
from stsdesk.core.xmlenc import decrypt_key
from stsdesk.services.message_security import (
    MessageSecurity,
    ResponseVerdict,
    SecuredExchange,
    judge_response,
    secure,
)
from stsdesk.services.secure_conversation import ContextStep, cancel_context, obtain_context
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.token_keys import ClientKeyPair, load_client_key_pair
from stsdesk.services.trust_client import (
    Credentials,
    RequestCancelledError,
    TrustClient,
    TrustClientError,
    TrustExchange,
    pretty_xml,
)

__all__ = [
    "ClientKeyPair", "load_client_key_pair", "TokenRequestOptions", "ProofSource",
    "ProofKeyInfo", "ExchangeView", "TokenResult", "TokenSession", "DEFAULT_KEY_SIZE",
    "ENTROPY_BYTES",
]

logger = logging.getLogger("stsdesk.services.token_session")

DEFAULT_KEY_SIZE = 256  # bits; WSO2's and this STS's default symmetric proof key
ENTROPY_BYTES = 32  # client entropy sent for a computed key
_ASSERTIONS = {f"{{{ns.SAML2}}}Assertion", f"{{{ns.SAML11}}}Assertion"}


@dataclass(frozen=True)
class TokenRequestOptions:
    """Everything the test client can ask for; checked when made."""

    endpoint: str
    username: str
    password: str = field(repr=False, default="")
    soap_version: SoapVersion = SoapVersion.SOAP12
    trust_version: TrustVersion = TrustVersion.WST_13
    token_type: TokenType = TokenType.SAML20
    key_type: KeyType = KeyType.BEARER
    client_entropy: bool = False  # SymmetricKey: send entropy and get a computed key
    key_size: int = DEFAULT_KEY_SIZE
    client_certificate: ClientKeyPair | None = None  # PublicKey, or UseKey for EncryptedKey
    applies_to: str | None = None
    claims_dialect: str | None = None
    claims: tuple[str, ...] = ()
    dialect_in_trust_namespace: bool = False  # WSO2's client writes wst:Dialect
    lifetime_seconds: int | None = None
    password_digest: bool = False
    tls: TrustPolicy = field(default_factory=TrustPolicy)
    timeout_seconds: float = 30.0
    addressing_namespace: str | None = ns.WSA_2005  # None: no WS-Addressing headers
    # The applied scenario's message security (2-8, 31-34); None: a UsernameToken over HTTPS.
    message_security: MessageSecurity | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.endpoint or "")
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise InvalidRequestError(
                f"The STS address {self.endpoint[:200]!r} is not an http(s) URL; give one such "
                "as https://localhost:9443/services/wso2carbon-sts."
            )
        security = self.message_security
        if not self.username and (security is None or security.needs_username):
            raise InvalidRequestError("Give the user name to request the token as.")
        if self.token_type is TokenType.STATUS:
            raise InvalidRequestError("Request a SAML 1.1 or SAML 2.0 token.")
        if self.key_type is KeyType.PUBLIC and self.client_certificate is None:
            raise InvalidRequestError(
                "A PublicKey token is bound to the client's certificate; choose the client "
                "certificate and its private key."
            )
        if self.client_entropy and self.key_type is not KeyType.SYMMETRIC:
            raise InvalidRequestError(
                "Client entropy only makes sense with the SymmetricKey key type; choose it, or "
                "turn client entropy off."
            )
        if self.key_size <= 0 or self.key_size % 8:
            raise InvalidRequestError(
                f"The key size {self.key_size} is not a positive multiple of 8 bits; 256 is usual."
            )
        if self.lifetime_seconds is not None and self.lifetime_seconds <= 0:
            raise InvalidRequestError("The requested lifetime must be a positive number of seconds.")
        if self.timeout_seconds <= 0:
            raise InvalidRequestError("The time-out must be a positive number of seconds.")
        if any(not claim.strip() for claim in self.claims):
            raise InvalidRequestError("A requested claim is empty; give each claim's URI.")


class ProofSource(StrEnum):
    """How the client came to hold its proof key."""

    NONE = "none"  # bearer: no key
    SERVER = "server"  # the STS made it and sent it (BinarySecret)
    COMPUTED = "computed"  # P_SHA1 of the client's and the STS's entropy
    ENCRYPTED = "encrypted for the client"  # an EncryptedKey for the client's certificate
    CLIENT_CERTIFICATE = "client certificate"  # PublicKey: the client's own key pair
    MISSING = "missing"  # SymmetricKey asked for, but the answer holds no usable proof


@dataclass(frozen=True)
class ProofKeyInfo:
    source: ProofSource
    description: str  # how it was made, as a sentence
    size_bits: int | None
    relying_party_view: str  # what the relying party will see in the token
    matches_relying_party: bool | None  # the client's key equals the one in the token
    key: bytes | None = field(default=None, repr=False)
    key_sha256: str | None = None  # a fingerprint of the key, safe to show


@dataclass(frozen=True)
class ExchangeView:
    """The HTTP exchange: the password masked; both messages pretty-printed for display and
    as the exact bytes (what copying and saving give, so signatures still verify)."""

    status: int
    elapsed_seconds: float
    response_headers: Mapping[str, str]
    request_xml: str
    response_xml: str
    request_bytes: bytes = field(default=b"", repr=False)
    response_bytes: bytes = field(default=b"", repr=False)

    @classmethod
    def of(cls, exchange: TrustExchange) -> ExchangeView:
        return cls(
            status=exchange.status,
            elapsed_seconds=exchange.elapsed_seconds,
            response_headers=dict(exchange.response_headers),
            request_xml=pretty_xml(exchange.request_for_display()),
            response_xml=pretty_xml(exchange.response_bytes),
            request_bytes=exchange.request_for_display(),
            response_bytes=bytes(exchange.response_bytes),
        )


@dataclass(frozen=True)
class TokenResult:
    """One request of the session and what came back."""

    action: RequestType
    started_at: dt.datetime
    options: TokenRequestOptions = field(repr=False, compare=False)
    exchange: ExchangeView | None = field(default=None, repr=False)
    fault_code: str | None = None  # Clark notation, e.g. {...200512}FailedAuthentication
    fault_reason: str | None = None
    error: str | None = None  # no answer: unreachable, TLS, time-out
    response: TrustResponse | None = field(default=None, repr=False, compare=False)
    token: etree._Element | None = field(default=None, repr=False, compare=False)
    decoded: DecodedToken | None = field(default=None, repr=False, compare=False)
    proof: ProofKeyInfo | None = None
    status_code: str | None = None  # Validate
    status_reason: str | None = None
    cancelled: bool = False  # Cancel: the STS confirmed it
    warnings: tuple[str, ...] = ()
    # The claims this token was requested with (Issue, and Renew of such a token); empty when
    # the request named none and the service provider's configured claims applied.
    requested_claims: tuple[str, ...] = ()
    # The request as secured and the verdict on the answer's security (message security only).
    security: SecuredExchange | None = field(default=None, repr=False, compare=False)
    # A SecureConversation policy (9-15): the context obtained before this request, or
    # cancelled after it, and what the STS answered.
    context_steps: tuple[ContextStep, ...] = field(default=(), repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.exchange is not None and self.fault_code is None and self.error is None

    @property
    def fault_name(self) -> str | None:
        """The fault's local name, e.g. ``FailedAuthentication``."""
        return etree.QName(self.fault_code).localname if self.fault_code else None

    @property
    def valid(self) -> bool | None:
        """Validate's answer: True, False, or None when this was not a Validate."""
        if self.status_code is None:
            return None
        return self.status_code.endswith("/status/valid")

    @property
    def claims_not_issued(self) -> tuple[str, ...] | None:
        """The requested claims the token does not carry, in the order they were requested.

        An STS leaves out a claim the user has no value for (WSO2 IS does, and so does this
        one), so a token can come back with fewer attributes than asked for. None when that
        cannot be told: no token, or one that could not be read (encrypted without the key).
        """
        if not self.requested_claims:
            return ()
        decoded = self.decoded
        if decoded is None or not decoded.readable:
            return None
        issued = {attribute.claim_uri for attribute in decoded.attributes}
        return tuple(claim for claim in self.requested_claims if claim not in issued)

    @property
    def summary(self) -> str:
        """One line for the history list."""
        when = self.started_at.strftime("%H:%M:%S")
        what = f"{when} {self.action.value}"
        if self.error:
            return f"{what}: failed ({self.error})"
        if self.fault_code:
            return f"{what}: refused ({self.fault_name})"
        if self.valid is not None:
            return f"{what}: {'valid' if self.valid else 'invalid'}"
        if self.cancelled:
            return f"{what}: cancelled"
        if self.decoded is not None:
            return f"{what}: {self.decoded.form.value}, signature {self.decoded.signature.status}"
        return f"{what}: done"


class TokenSession:
    """The test client's state: the requests made, and the token in hand.

    One session may be driven from a worker thread while the GUI reads ``history``; setting
    ``cancel_event`` cancels what is about to be sent, and drops an answer still on its way
    (the time-out bounds how long that takes) with :class:`RequestCancelledError`.
    """

    def __init__(
        self,
        options: TokenRequestOptions,
        *,
        trusted: Mapping[str, x509.Certificate] | None = None,
        known: Mapping[str, x509.Certificate] | None = None,
        private_keys: Sequence[PrivateKey] = (),
        cancel_event: threading.Event | None = None,
    ) -> None:
        self.options = options
        self.trusted = dict(trusted or {})
        self.known = dict(known or {})
        self.private_keys = tuple(private_keys)
        self.cancel_event = cancel_event or threading.Event()
        self._history: list[TokenResult] = []
        self._current: TokenResult | None = None
        self._lock = threading.Lock()
        self._client: TrustClient | None = None
        self._client_key: tuple[str, TrustPolicy, float] | None = None
        # The cancel event of the request this thread is making (see abandon()).
        self._call = threading.local()
        # A SecureConversation policy's context, kept for the requests that follow the first
        # (Validate, Renew, Cancel, further tokens): one bootstrap, many messages, as WS-SC
        # intends. Cancelled at the STS with the token in hand, or when the session closes or
        # the settings change.
        self._context: _HeldContext | None = None

    # -- state --------------------------------------------------------------------------------

    @property
    def history(self) -> tuple[TokenResult, ...]:
        with self._lock:
            return tuple(self._history)

    @property
    def current(self) -> TokenResult | None:
        """The result whose token Validate, Renew and Cancel act on."""
        with self._lock:
            return self._current

    def use(self, result: TokenResult) -> None:
        """Reopen ``result`` from the history: its token becomes the token in hand."""
        if result.token is None:
            raise InvalidRequestError("That request brought no token; choose one that did.")
        with self._lock:
            self._current = result
        self.options = result.options

    def close(self) -> None:
        """Cancel the security context still held (best effort) and close the connection."""
        held, self._context = self._context, None
        if held is not None and self._client is not None:
            self._cancel_held(held, self._client, self.cancel_event)
        if self._client is not None:
            self._client.close()
            self._client = None

    def abandon(self) -> None:
        """Stop waiting for the request in flight, at once (call from any thread).

        Its answer, whenever it comes, is dropped and never enters the history; its connection
        is cut, so the worker waiting on it ends at once; the next request opens a new one
        with a fresh cancel event, so it cannot share a connection with, or be revived by,
        the abandoned one.
        """
        with self._lock:
            abandoned = self.cancel_event
            self.cancel_event = threading.Event()
            client, self._client, self._client_key = self._client, None, None
        abandoned.set()
        if client is not None:
            client.abort()  # a worker blocked on the answer ends now, not at the time-out

    def __enter__(self) -> TokenSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- actions ------------------------------------------------------------------------------

    def issue(self, options: TokenRequestOptions | None = None) -> TokenResult:
        """Request a new token; on success it becomes the token in hand."""
        if options is not None:
            self.options = options
        opts = self.options
        entropy = os.urandom(ENTROPY_BYTES) if opts.client_entropy else None
        use_key = None
        if opts.client_certificate is not None and opts.key_type is not KeyType.BEARER:
            use_key = opts.client_certificate.certificate_der()
        rst = build_request(
            opts.trust_version,
            RequestType.ISSUE,
            token_type=token_type_uri(opts.trust_version, opts.token_type),
            key_type=opts.key_type,
            applies_to=opts.applies_to,
            addressing_namespace=opts.addressing_namespace or ns.WSA_2005,
            claims=[ClaimRequest(uri) for uri in opts.claims],
            claims_dialect=opts.claims_dialect if (opts.claims or opts.claims_dialect) else None,
            dialect_in_trust_namespace=opts.dialect_in_trust_namespace,
            lifetime_seconds=opts.lifetime_seconds,
            client_entropy=entropy,
            key_size=opts.key_size if opts.key_type is KeyType.SYMMETRIC else None,
            use_key_certificate=use_key,
        )
        result = replace(self._send(RequestType.ISSUE, rst, opts), requested_claims=opts.claims)
        if result.ok and result.token is not None:
            result = _replace_proof(result, self._proof(result, entropy))
            self._remember(result, in_hand=True)
        else:
            self._remember(result)
        return result

    def validate(self) -> TokenResult:
        """Ask the STS whether the token in hand is valid."""
        held, opts = self._in_hand()
        rst = build_request(
            opts.trust_version,
            RequestType.VALIDATE,
            token_type=token_type_uri(opts.trust_version, TokenType.STATUS),
            target=self._target(held, by_value_required=False),
        )
        result = self._send(RequestType.VALIDATE, rst, opts)
        self._remember(result)
        return result

    def renew(self) -> TokenResult:
        """Renew the token in hand; the renewed token becomes the token in hand."""
        held, opts = self._in_hand()
        rst = build_request(
            opts.trust_version,
            RequestType.RENEW,
            token_type=token_type_uri(opts.trust_version, opts.token_type),
            target=self._target(held, by_value_required=True),
        )
        # A renewed token carries the claims of the token renewed.
        result = replace(
            self._send(RequestType.RENEW, rst, opts), requested_claims=held.requested_claims
        )
        if result.ok and result.token is not None:
            # The renewed token keeps the subject confirmation, so the proof key stays the same.
            result = _replace_proof(result, held.proof)
            self._remember(result, in_hand=True)
        else:
            self._remember(result)
        return result

    def cancel(self) -> TokenResult:
        """Cancel the token in hand at the STS."""
        held, opts = self._in_hand()
        rst = build_request(
            opts.trust_version,
            RequestType.CANCEL,
            target=self._target(held, by_value_required=False),
        )
        result = self._send(RequestType.CANCEL, rst, opts)
        if result.ok and result.cancelled:
            # The token the context was wanted for is gone: so is the context's purpose.
            with self._lock:
                kept, self._context = self._context, None
                client = self._client
            if kept is not None and client is not None:
                step = self._cancel_held(kept, client, self.cancel_event)
                if step is not None:
                    result = replace(result, context_steps=result.context_steps + (step,))
        self._remember(result)
        return result

    @property
    def context(self) -> ClientContext | None:
        """The security context the session holds (9-15), if any."""
        held = self._context
        return held.context if held is not None else None

    # -- the parts ----------------------------------------------------------------------------

    def _in_hand(self) -> tuple[TokenResult, TokenRequestOptions]:
        held = self.current
        if held is None or held.token is None:
            raise InvalidRequestError("There is no token in hand yet; request a token first.")
        return held, held.options

    def _target(self, held: TokenResult, *, by_value_required: bool) -> etree._Element:
        token = held.token
        if token is not None and token.tag in _ASSERTIONS:
            return token
        decoded = held.decoded
        if by_value_required:
            if decoded is not None and decoded.assertion is not None:
                # Decrypted with a key the person gave: the signed assertion itself can go.
                return decoded.assertion
            raise InvalidRequestError(
                "Renew needs the token itself, but the token in hand is encrypted for the "
                "relying party. Add the relying party's private key so it can be decrypted, or "
                "request a new token."
            )
        token_id = (held.response.attached_reference if held.response else None) or (
            decoded.assertion_id if decoded is not None else None
        )
        if not token_id:
            raise InvalidRequestError(
                "The token in hand is encrypted and the STS gave no reference to it, so it "
                "cannot be named; request a new token."
            )
        return _reference(token_id, held.options.token_type)

    def _trust_client(self, opts: TokenRequestOptions) -> TrustClient:
        key = (opts.endpoint, opts.tls, opts.timeout_seconds)
        if self._client is None or self._client_key != key:
            self.close()
            self._client = TrustClient(opts.endpoint, trust=opts.tls, timeout=opts.timeout_seconds)
            self._client_key = key
        return self._client

    def _send(
        self, action: RequestType, rst: etree._Element, opts: TokenRequestOptions
    ) -> TokenResult:
        started = dt.datetime.now(dt.UTC)
        warnings = tuple(w for w in (opts.tls.warning,) if w)
        credentials: Credentials | None = Credentials(opts.username, opts.password,
                                                      digest=opts.password_digest)
        if opts.message_security is not None:
            credentials = None  # the scenario's tokens are in the secured header instead
        with self._lock:
            cancel_event = self.cancel_event
            client = self._trust_client(opts)
        self._call.cancel_event = cancel_event
        steps: tuple[ContextStep, ...] = ()
        context = None
        if opts.message_security is not None and opts.message_security.uses_context:
            try:
                context, steps = self._context_for(opts, client, cancel_event)
            except TrustClientError as exc:
                if cancel_event.is_set():
                    raise
                return TokenResult(action, started, opts, error=str(exc), warnings=warnings)
            if context is None:
                failed = steps[-1]
                view = ExchangeView.of(failed.exchange) if failed.exchange else None
                return TokenResult(action, started, opts, exchange=view, warnings=warnings,
                                   error=f"No security context: {failed.error}",
                                   security=failed.security, context_steps=steps)
        secured = _Securing(opts, context)
        logger.info("%s request to %s as %s", action.value, opts.endpoint, opts.username)
        try:
            exchange = client.send(
                rst,
                trust_version=opts.trust_version,
                request_type=action,
                soap_version=opts.soap_version,
                credentials=credentials,
                addressing_namespace=opts.addressing_namespace,
                cancel_event=cancel_event,
                secure=secured.secure if opts.message_security is not None else None,
                open_response=secured.open if opts.message_security is not None else None,
            )
        except TrustClientError as exc:
            if cancel_event.is_set():
                raise
            return TokenResult(action, started, opts, error=str(exc), warnings=warnings,
                               security=secured.outcome(), context_steps=steps)
        view = ExchangeView.of(exchange)
        if not exchange.ok:
            if context is not None and (exchange.fault_code or "").endswith(_CONTEXT_FAULTS):
                with self._lock:  # the STS no longer knows it: the next request gets a new one
                    self._context = None
            return TokenResult(
                action, started, opts, exchange=view, fault_code=exchange.fault_code,
                fault_reason=exchange.fault_reason, warnings=warnings,
                security=secured.outcome(), context_steps=steps,
            )
        response = exchange.response
        token = response.token if response is not None else None
        decoded = None
        notes = list(warnings)
        outcome = secured.outcome()
        if token is not None:
            try:
                decoded = self._decode_token(
                    token, response,
                    outcome.clear_response if outcome is not None else exchange.response_bytes)
            except StsError as exc:
                notes.append(f"The token could not be decoded: {exc.message}")
        return TokenResult(
            action, started, opts, exchange=view, response=response, token=token,
            decoded=decoded,
            status_code=response.status_code if response is not None else None,
            status_reason=response.status_reason if response is not None else None,
            cancelled=response.cancelled if response is not None else False,
            warnings=tuple(notes),
            security=outcome,
            context_steps=steps,
        )

    def _context_for(self, opts: TokenRequestOptions, client: TrustClient,
                     cancel_event: threading.Event) -> tuple[ClientContext | None,
                                                          tuple[ContextStep, ...]]:
        """The context to protect a request under ``opts``: the one held when it was made
        for the same STS and keys and has time left, else a new one (the old one cancelled)."""
        security = opts.message_security
        if security is None:  # pragma: no cover - only called with a SecureConversation policy
            raise InvalidRequestError("Choose the scenario's message security.")
        # Who and where, by value: the page loads the key pair afresh for each request, and
        # the same person asking again must not pay for (or leave behind) a new context.
        certificate = security.client.certificate if security.client is not None else None
        key = (opts.endpoint, opts.tls, security.policy, certificate, opts.username)
        with self._lock:
            held = self._context
        steps: list[ContextStep] = []
        if held is not None:
            fresh = held.context.expires is None or held.context.expires - _CONTEXT_MARGIN > (
                dt.datetime.now(dt.UTC))
            if held.key == key and fresh:
                return held.context, ()
            with self._lock:
                self._context = None
            if fresh:  # made for other settings: not wanted any more
                step = self._cancel_held(held, client, cancel_event)
                if step is not None:
                    steps.append(step)
        step = obtain_context(client, opts.endpoint, security, username=opts.username,
                              password=opts.password, soap_version=opts.soap_version,
                              addressing_namespace=opts.addressing_namespace,
                              cancel_event=cancel_event)
        steps.append(step)
        if step.context is not None:
            with self._lock:
                self._context = _HeldContext(step.context, key, opts)
        return step.context, tuple(steps)

    @staticmethod
    def _cancel_held(held: _HeldContext, client: TrustClient,
                     cancel_event: threading.Event) -> ContextStep | None:
        security = held.options.message_security
        if security is None:  # pragma: no cover - a context is only held with one
            return None
        try:
            return cancel_context(client, held.options.endpoint, security, held.context,
                                  soap_version=held.options.soap_version,
                                  addressing_namespace=held.options.addressing_namespace,
                                  cancel_event=cancel_event)
        except (TrustClientError, StsError) as exc:
            # It expires at the STS on its own; the person is told, nothing else is at stake.
            logger.info("The security context could not be cancelled: %s", exc)
            return ContextStep("Cancel", None, None, error=str(exc))

    def _decode_token(
        self,
        token: etree._Element,
        response: TrustResponse | None,
        response_bytes: bytes | None = None,
    ) -> DecodedToken:
        # The whole answer is read again so the token is checked inside its message (ID
        # uniqueness covers the envelope); a token alone is wrapped as it was received.
        source = response_bytes if response_bytes is not None else etree.tostring(token)
        extracted = extract_token(source)
        return decode_token(
            extracted, trusted=self.trusted, private_keys=self.private_keys, known=self.known
        )

    def _proof(self, result: TokenResult, entropy: bytes | None) -> ProofKeyInfo:
        opts = result.options
        response = result.response
        hok = result.decoded.holder_of_key if result.decoded is not None else None
        view = hok.relying_party_view if hok is not None else "the token could not be read"
        if opts.key_type is KeyType.BEARER or response is None:
            return ProofKeyInfo(ProofSource.NONE, "A bearer token has no proof key.", None, view,
                                None)
        if opts.key_type is KeyType.PUBLIC:
            cert = opts.client_certificate
            public = cert.certificate.public_key() if cert is not None else None
            bits = public.key_size if isinstance(public, rsa.RSAPublicKey) else None
            bound = hok is not None and hok.certificate is not None and cert is not None and (
                hok.certificate.der == cert.certificate_der()
            )
            return ProofKeyInfo(
                ProofSource.CLIENT_CERTIFICATE,
                "The client proves the private key of its own certificate.",
                bits, view, bound,
            )
        key: bytes | None = None
        if response.proof_secret is not None:
            key, source = response.proof_secret, ProofSource.SERVER
            how = "The STS made the key and sent it in the response (BinarySecret)."
        elif response.issuer_entropy is not None and entropy is not None:
            bits = response.key_size or opts.key_size
            key = computed_key(entropy, response.issuer_entropy, bits)
            source = ProofSource.COMPUTED
            how = (f"Computed (P_SHA1, {response.computed_key_algorithm or 'CK/PSHA1'}) from the "
                   "client's entropy and the STS's entropy.")
        elif response.proof_encrypted_key is not None:
            source = ProofSource.ENCRYPTED
            how = "The STS sent the key encrypted for the client's certificate (EncryptedKey)."
            if opts.client_certificate is not None:
                try:
                    key = decrypt_key(
                        response.proof_encrypted_key, opts.client_certificate.private_key
                    )
                except CryptoError as exc:
                    how += f" It could not be decrypted: {exc.message}"
        else:
            return ProofKeyInfo(
                ProofSource.MISSING,
                "The STS's answer holds no proof key, although SymmetricKey was asked for.",
                None, view, None,
            )
        matches = None
        if key is not None and hok is not None and hok.proof_key is not None:
            matches = hmac.compare_digest(key, hok.proof_key)
        return ProofKeyInfo(
            source, how, len(key) * 8 if key is not None else response.key_size, view, matches,
            key=key, key_sha256=hashlib.sha256(key).hexdigest() if key is not None else None,
        )

    def _remember(self, result: TokenResult, *, in_hand: bool = False) -> None:
        cancel_event = getattr(self._call, "cancel_event", None)
        with self._lock:
            if cancel_event is not None and cancel_event.is_set():
                # Abandoned while its answer was being read: the person has moved on.
                raise RequestCancelledError("The request was cancelled.")
            self._history.append(result)
            if in_hand:
                self._current = result


_CONTEXT_MARGIN = dt.timedelta(seconds=30)  # a context this close to its end is not reused
# Faults that say the STS no longer has the context (WS-SecureConversation 2005/02 section 9).
_CONTEXT_FAULTS = ("}BadContextToken", "}UnknownDerivationSource")


@dataclass(frozen=True)
class _HeldContext:
    context: ClientContext
    key: tuple[object, ...]  # what it was obtained for: endpoint, message security, user
    options: TokenRequestOptions = field(repr=False)


class _Securing:
    """One request's message security: secures the envelope, then judges and opens the answer
    (called by the TrustClient on the worker thread, in that order)."""

    def __init__(self, options: TokenRequestOptions,
                 context: ClientContext | None = None) -> None:
        self._options = options
        self._context = context
        self._sent: SecuredRequest | None = None
        self._verdict: ResponseVerdict | None = None
        self._clear = b""

    def secure(self, envelope: bytes) -> bytes:
        security = self._options.message_security
        if security is None:  # pragma: no cover - only passed when there is one
            return envelope
        self._sent = secure(envelope, security, username=self._options.username,
                            password=self._options.password, context=self._context)
        return self._sent.envelope

    def open(self, answer: bytes) -> bytes:
        security = self._options.message_security
        if security is None or self._sent is None:  # pragma: no cover - see secure()
            return answer
        self._verdict, self._clear = judge_response(answer, security, self._sent)
        return self._clear

    def outcome(self) -> SecuredExchange | None:
        if self._sent is None:
            return None
        return SecuredExchange(self._sent, self._verdict, self._clear)


def _replace_proof(result: TokenResult, proof: ProofKeyInfo | None) -> TokenResult:
    return replace(result, proof=proof)


def _reference(token_id: str, token_type: TokenType) -> etree._Element:
    reference = etree.Element(f"{{{ns.WSSE}}}SecurityTokenReference", nsmap={"wsse": ns.WSSE})
    identifier = etree.SubElement(reference, f"{{{ns.WSSE}}}KeyIdentifier")
    identifier.set(
        "ValueType", ns.SAML2_ID if token_type is TokenType.SAML20 else ns.SAML11_ASSERTION_ID
    )
    identifier.text = token_id
    return reference
