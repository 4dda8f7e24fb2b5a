"""The WS-Trust service: one SOAP request in, one SOAP response or fault out."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError, RequestFailedError, StsError
from stsdesk.core.own_policy import OWN_POLICY_ID
from stsdesk.core.rstr import build_cancel_response, build_issue_response, build_validate_response
from stsdesk.core.secconv import context_operation
from stsdesk.core.secconv import response_action as context_response_action
from stsdesk.core.soap import SoapMessage, SoapVersion, build_fault, build_response, parse_envelope
from stsdesk.core.wssecurity import claimed_username
from stsdesk.core.wstrust import RequestType, SecurityTokenRequest, parse_request, response_action
from stsdesk.core.xmlparse import DEFAULT_LIMITS, XmlLimits
from stsdesk.server.errors import ServerError, fault_for
from stsdesk.server.keystore import KeyStore
from stsdesk.server.model import ConfigSnapshot, UserRecord
from stsdesk.server.passwords import CredentialCache
from stsdesk.server.storage.hotpath import FastReads
from stsdesk.server.storage.journal import WAIT_SECONDS
from stsdesk.server.storage.store import Store
from stsdesk.server.sts.authenticate import SCENARIOS_ENFORCED, Authenticator
from stsdesk.server.sts.issuer import TokenIssuer
from stsdesk.server.sts.kerberos import scenario_enforceable
from stsdesk.server.sts.lifecycle import TokenLifecycle
from stsdesk.server.sts.message_security import MessageSecurity, policy_model
from stsdesk.server.sts.secure_conversation import SecureConversation, bootstrap_policy

__all__ = [
    "TrustService", "SoapReply", "Answer", "soap_version_of", "fault_reply", "INTERNAL_ERROR",
]

log = logging.getLogger("stsdesk.server.sts")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SoapReply:
    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Answer:
    """The reply to one request and, for a new token, the commit it must wait for.

    A new token's record is committed by the token journal together with the records of the
    requests answered at the same moment; ``durable`` is done once it is. The reply may go out
    only then, so Validate, Renew and Cancel anywhere know every token a client holds; if the
    commit fails, ``if_not_durable`` makes the fault to send instead.
    """

    reply: SoapReply
    durable: Future[None] | None = None
    if_not_durable: Callable[[BaseException], SoapReply] | None = None

    def wait(self) -> SoapReply:
        """The reply to send, once it may be sent (blocks the calling thread)."""
        if self.durable is None:
            return self.reply
        try:
            self.durable.result(timeout=WAIT_SECONDS)
        except Exception as error:  # noqa: BLE001 - the fault says what the client may do
            return self._instead(error)
        return self.reply

    def when_settled(self, deliver: Callable[[SoapReply], None]) -> None:
        """Call ``deliver`` with the reply to send once it may be sent, without waiting for it.

        At once when there is nothing to commit; otherwise from the thread that completes the
        commit (the token journal's), with the reply or, if the commit failed, the fault.
        """
        if self.durable is None:
            deliver(self.reply)
            return

        def committed(durable: Future[None]) -> None:
            error = durable.exception()
            deliver(self.reply if error is None else self._instead(error))

        self.durable.add_done_callback(committed)

    def too_late(self) -> SoapReply:
        """The reply for a client that has waited too long for the commit: a fault, never a
        token whose record may not be committed."""
        if self.durable is None:
            return self.reply
        return self._instead(TimeoutError("the token's record was not committed in time"))

    def _instead(self, error: BaseException) -> SoapReply:
        assert self.if_not_durable is not None
        return self.if_not_durable(error)


class TrustService:
    """Parses, authenticates, dispatches and answers WS-Trust requests; safe to share."""

    def __init__(
        self,
        store: Store,
        keystore: KeyStore,
        credentials: CredentialCache,
        *,
        signing_certificates: Callable[[], Iterable[x509.Certificate]],
        clock: Callable[[], datetime] = utc_now,
        limits: XmlLimits = DEFAULT_LIMITS,
    ) -> None:
        self._store = store
        self._reads = FastReads(store.engine, store.logins.state)
        self._clock = clock
        self._limits = limits
        self._authenticator = Authenticator(store, credentials, self._reads)
        self._security = MessageSecurity(store, keystore)
        self._conversations = SecureConversation(store)
        self._signing_certificates = signing_certificates
        self._issuer = TokenIssuer(keystore)
        self._lifecycle = TokenLifecycle(store, self._issuer, signing_certificates)

    def close(self) -> None:
        """Release the connections the fast reads keep (at shutdown)."""
        self._reads.close()

    @staticmethod
    def refuse(error: StsError, *, content_type: str | None) -> SoapReply:
        """A fault for a request refused before it was read (too large, say)."""
        return fault_reply(soap_version_of(content_type), error, ns.WST_13, None)

    def handle(
        self, body: bytes, *, content_type: str | None, soap_action: str | None
    ) -> SoapReply:
        """The reply to one request, once it may be sent (blocks while a new token's record
        is committed)."""
        return self.answer(body, content_type=content_type, soap_action=soap_action).wait()

    def answer(
        self, body: bytes, *, content_type: str | None, soap_action: str | None
    ) -> Answer:
        """Answer one request without waiting for a new token's commit (see :class:`Answer`):
        for the event loop, which answers other requests meanwhile."""
        version = soap_version_of(content_type)
        message: SoapMessage | None = None
        trust_namespace = ns.WST_13
        try:
            message = parse_envelope(
                body, content_type=content_type, soap_action=soap_action, limits=self._limits
            )
            version = message.version
            trust_namespace = _trust_namespace(message.body)
            # The configuration version and the login state of the user the message names, in
            # one read: both must be as committed now (another worker may have changed them).
            fresh = self._reads.fresh_state(claimed_username(message))
            config = self._store.snapshot(fresh.config_version)
            _require_enforceable(config)
            now = self._clock()
            inbound = None
            proving: x509.Certificate | None = None  # the client certificate a bootstrap proved
            contexts = self._conversations.lookup(now)
            if self._security.applies(config):
                # The body may be encrypted: the message is checked and decrypted before the
                # request in it is read.
                inbound = self._security.inbound(message, config, now, contexts)
                message = inbound.message
            trust_namespace = _trust_namespace(message.body)
            operation = context_operation(message.action)
            if operation is not None and (
                inbound is None or bootstrap_policy(policy_model(config.security)) is None
            ):
                raise InvalidRequestError(
                    "This STS issues security contexts only under a SecureConversation "
                    "scenario (9 to 15), and the applied security scenario is not one."
                )
            request = None if operation is not None else parse_request(
                message.body, action=message.action)
            if inbound is None:
                # Every operation, not only Issue, is protected by the applied security scenario.
                user = self._authenticator.authenticate(message, config, now, fresh)
            elif inbound.context is not None:
                # Protected with a security context: the user its bootstrap proved.
                # The certificate that obtained it is checked again (trust, validity,
                # revocation, mapping) on every use.
                user_id, username = contexts.principal(inbound)
                user = self._authenticator.authenticate_context(
                    user_id, username, config, now,
                    certificate_der=contexts.certificate(inbound),
                    trusted=self._security.trusted_certificates(config))
            else:
                secured_model = self._security.model_for(config, message.action)
                user = self._authenticator.authenticate_secured(
                    inbound, secured_model, config, now,
                    self._security.trusted_certificates(config),
                    tuple(self._signing_certificates()),
                )
                proving = self._authenticator.certificate_proving(inbound, secured_model)
            if operation is not None:
                assert inbound is not None
                reply_body: etree._Element | bytes = self._conversations.answer(
                    operation, message.body, inbound, user, policy_model(config.security),
                    config, now, certificate=proving)
                durable: Future[None] | None = None
                action = context_response_action(operation)
            else:
                assert request is not None
                reply_body, durable = self._dispatch(request, user, config, now)
                action = response_action(request.version, request.request_type)
            envelope = build_response(message, reply_body, action=action)
            if inbound is not None:
                envelope = self._security.secure(envelope, config, inbound, now)
            reply = SoapReply(200, version.content_type, envelope)
            if durable is None:
                return Answer(reply)
            instead = functools.partial(_commit_fault, version, trust_namespace, message)
            return Answer(reply, durable, instead)
        except StsError as error:
            log.info("fault %s: %s", error.fault_local_name, error.message)
            return Answer(fault_reply(version, error, trust_namespace, message))
        except Exception as error:
            fault = fault_for(error) if isinstance(error, ServerError) else None
            if fault is not None:
                log.warning("fault %s: %s", fault.fault_local_name, fault.message)
                return Answer(fault_reply(version, fault, trust_namespace, message))
            # A bug, or a server error for the administrator: log it, tell the caller nothing
            # of its insides.
            log.exception("unexpected error while answering a WS-Trust request")
            return Answer(fault_reply(version, INTERNAL_ERROR, trust_namespace, message))

    def _dispatch(
        self, request: SecurityTokenRequest, user: UserRecord, config: ConfigSnapshot,
        now: datetime,
    ) -> tuple[bytes, Future[None] | None]:
        if request.request_type is RequestType.ISSUE:
            minted = self._issuer.issue(request, user, config, now)
            # The RSTR is written before the record is queued, so a request whose values no
            # RSTR can carry leaves no record. (The envelope and its message security come
            # after; a failure there leaves a record of a token nobody received, harmless.)
            response = build_issue_response(request.version, minted.issued, context=request.context)
            return response, self._store.tokens.submit(minted.record)
        if request.request_type is RequestType.VALIDATE:
            verdict = self._lifecycle.validate(request, config, now)
            return build_validate_response(
                request.version, valid=verdict.valid, reason=verdict.reason, context=request.context
            ), None
        if request.request_type is RequestType.RENEW:
            minted = self._lifecycle.renew(request, config, now)
            return build_issue_response(
                request.version,
                minted.issued,
                context=request.context,
                request_type=RequestType.RENEW,
            ), None
        self._lifecycle.cancel(request, config)
        return build_cancel_response(request.version, context=request.context), None


# What a client is told of a bug or a server error: the details are in the server log only.
INTERNAL_ERROR = RequestFailedError(
    "The STS could not process the request because of an internal error. "
    "The administrator can find the details in the server log."
)


def _commit_fault(
    version: SoapVersion, trust_namespace: str, message: SoapMessage, error: BaseException
) -> SoapReply:
    """The fault for a token whose record could not be committed: the token is never sent."""
    fault = fault_for(error) if isinstance(error, ServerError) else None
    if isinstance(error, StsError):  # the database is unavailable or busy
        fault = error
    if fault is not None:
        log.warning("fault %s: %s", fault.fault_local_name, fault.message)
        return fault_reply(version, fault, trust_namespace, message)
    log.error("could not commit an issued token's record", exc_info=error)
    return fault_reply(version, INTERNAL_ERROR, trust_namespace, message)


def _require_enforceable(config: ConfigSnapshot) -> None:
    policy = config.security
    if policy.enabled and not scenario_enforceable(policy.scenario_id) and not (
            policy.scenario_id == OWN_POLICY_ID and policy.policy_document is not None):
        raise RequestFailedError(
            f"The applied security scenario {policy.scenario_id} cannot be enforced by this STS; "
            f"it issues no tokens until an administrator applies one of "
            f"{', '.join(sorted(SCENARIOS_ENFORCED))}."
        )


_WST_2005_TAG = f"{{{ns.WST_2005}}}"


def _trust_namespace(body: etree._Element) -> str:
    # The tag's prefix, not etree.QName: read twice for every request.
    return ns.WST_2005 if body.tag.startswith(_WST_2005_TAG) else ns.WST_13


def soap_version_of(content_type: str | None) -> SoapVersion:
    """The SOAP version a request's Content-Type names, for answering one that cannot be read."""
    if content_type and "application/soap+xml" in content_type.lower():
        return SoapVersion.SOAP12
    return SoapVersion.SOAP11


def fault_reply(
    version: SoapVersion, error: StsError, trust_namespace: str, message: SoapMessage | None
) -> SoapReply:
    """The fault answering ``error``, with the HTTP status SOAP over HTTP gives it."""
    # SOAP 1.1 over HTTP answers every fault with 500; SOAP 1.2 tells the sender's from ours.
    status = 500 if version is SoapVersion.SOAP11 or not error.sender else 400
    body = build_fault(version, error, trust_namespace=trust_namespace, request=message)
    return SoapReply(status, version.content_type, body)
