"""The test client's security contexts (scenarios 9-15): one obtained under the bootstrap policy
before the first token request, and cancelled at the STS when it is no longer wanted.

Blocking (HTTPS): called by the TokenSession on its worker thread. The bootstrap request is
secured with the keys the person gave for the scenario (the client's key pair for 9-11,
nothing for 12-13, the user's UsernameToken for 14-15) and its answer judged like any other.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError, StsError
from stsdesk.core.secconv_client import (
    ClientContext,
    build_context_cancel_request,
    build_context_issue_request,
    read_context_cancelled,
    read_issued_context,
)
from stsdesk.core.soap import SoapVersion, addressing_headers, build_envelope, parse_envelope
from stsdesk.core.wssec.client_request import SecuredRequest
from stsdesk.services.message_security import (
    MessageSecurity,
    ResponseVerdict,
    SecuredExchange,
    judge_response,
    secure,
)
from stsdesk.services.trust_client import TrustClient, TrustExchange

__all__ = ["ContextStep", "obtain_context", "cancel_context", "ENTROPY_BYTES"]

log = logging.getLogger("stsdesk.services.secure_conversation")

ENTROPY_BYTES = 32  # the client's half of the context's key


@dataclass(frozen=True)
class ContextStep:
    """One message about the context (its issue or its cancellation) as sent and answered."""

    operation: str  # "Issue" or "Cancel"
    exchange: TrustExchange | None = field(repr=False)  # None: nothing came back
    security: SecuredExchange | None = field(repr=False)
    context: ClientContext | None = None  # what the STS issued (Issue only)
    error: str | None = None  # why there is no context (or the cancellation failed)

    @property
    def ok(self) -> bool:
        return self.error is None

    def lines(self) -> list[str]:
        """What the test client shows about this step, one line each."""
        if self.error is not None:
            return [f"✘ Security context {self.operation.lower()}: {self.error}"]
        if self.context is not None:
            expires = self.context.expires.isoformat() if self.context.expires else "?"
            how = "computed from both entropies" if self.context.computed else "sent by the STS"
            head = (f"✔ Security context {self.context.identifier} ({self.context.bits}-bit key "
                    f"{how}, expires {expires})")
        else:
            head = "✔ Security context cancelled at the STS"
        verdict = self.security.verdict if self.security is not None else None
        return [head] + ([f"  bootstrap answer: {line}" for line in verdict.lines()]
                         if verdict is not None and self.operation == "Issue" else [])


class _Opener:
    """Judges and decrypts one answer as the TrustClient reads it."""

    def __init__(self, security: MessageSecurity, sent: SecuredRequest) -> None:
        self.security, self.sent = security, sent
        self.verdict: ResponseVerdict | None = None
        self.clear = b""

    def __call__(self, answer: bytes) -> bytes:
        self.verdict, self.clear = judge_response(answer, self.security, self.sent)
        return self.clear

    def outcome(self) -> SecuredExchange:
        return SecuredExchange(self.sent, self.verdict, self.clear)


def _send(client: TrustClient, endpoint: str, action: str, security: MessageSecurity,
          envelope_body: bytes, *, username: str | None, password: str | None,
          soap_version: SoapVersion, cancel_event: threading.Event | None,
          context: ClientContext | None) -> tuple[TrustExchange, _Opener]:
    sent = secure(envelope_body, security, username=username, password=password,
                  context=context)
    opener = _Opener(security, sent)
    exchange = client.post(sent.envelope, soap_version=soap_version, action=action,
                           cancel_event=cancel_event, open_response=opener)
    return exchange, opener


def _envelope(rst_action: str, endpoint: str, soap_version: SoapVersion,
              addressing_namespace: str | None, rst: etree._Element) -> bytes:
    # The STS tells a context request from a token request by its action: WS-Addressing
    # always names it, whatever the test client's addressing choice for token requests.
    headers = addressing_headers(addressing_namespace or ns.WSA_2005, action=rst_action,
                                 to=endpoint, reply_to_anonymous=True)
    return build_envelope(soap_version, rst, headers=headers)


def obtain_context(client: TrustClient, endpoint: str, security: MessageSecurity, *,
                   username: str | None, password: str | None,
                   soap_version: SoapVersion = SoapVersion.SOAP12,
                   addressing_namespace: str | None = ns.WSA_2005,
                   cancel_event: threading.Event | None = None) -> ContextStep:
    """Ask the STS for a security context under ``security``'s bootstrap policy.

    The step's ``context`` is None when none was issued; its ``error`` says why (a fault, an
    answer that did not pass the verdict, or one that could not be read). Raises
    InvalidRequestError before sending when a key the bootstrap needs is missing, and the
    TrustClient's errors when the STS cannot be reached."""
    bootstrap = security.bootstrap()
    entropy = os.urandom(ENTROPY_BYTES)
    action = ns.WSC_2005_ACTION_ISSUE
    body = _envelope(action, endpoint, soap_version, addressing_namespace,
                     build_context_issue_request(entropy))
    exchange, opener = _send(client, endpoint, action, bootstrap, body, username=username,
                             password=password, soap_version=soap_version,
                             cancel_event=cancel_event, context=None)
    outcome = opener.outcome()
    if not exchange.ok:
        return ContextStep("Issue", exchange, outcome, error=(
            f"the STS refused it: {exchange.fault_code or 'HTTP ' + str(exchange.status)}: "
            f"{exchange.fault_reason or ''}".rstrip(": ")))
    verdict = outcome.verdict
    if verdict is not None and not verdict.ok:
        # An answer whose protection fails carries a key the client cannot trust.
        return ContextStep("Issue", exchange, outcome, error=(
            "the answer's security did not pass: " + "; ".join(verdict.problems)))
    try:
        message = parse_envelope(outcome.clear_response, content_type=soap_version.content_type)
        context = read_issued_context(message.body, entropy)
    except StsError as exc:
        return ContextStep("Issue", exchange, outcome, error=exc.message)
    log.info("security context %s obtained from %s", context.identifier, endpoint)
    return ContextStep("Issue", exchange, outcome, context=context)


def cancel_context(client: TrustClient, endpoint: str, security: MessageSecurity,
                   context: ClientContext, *, soap_version: SoapVersion = SoapVersion.SOAP12,
                   addressing_namespace: str | None = ns.WSA_2005,
                   cancel_event: threading.Event | None = None) -> ContextStep:
    """Cancel ``context`` at the STS, in a request protected with its own key (only its holder
    may cancel it). Raises the TrustClient's errors when the STS cannot be reached."""
    if not security.uses_context:
        raise InvalidRequestError("Only a SecureConversation policy has a context to cancel.")
    action = ns.WSC_2005_ACTION_CANCEL
    body = _envelope(action, endpoint, soap_version, addressing_namespace,
                     build_context_cancel_request(context.identifier))
    exchange, opener = _send(client, endpoint, action, security, body, username=None,
                             password=None, soap_version=soap_version,
                             cancel_event=cancel_event, context=context)
    outcome = opener.outcome()
    if not exchange.ok:
        return ContextStep("Cancel", exchange, outcome, error=(
            f"the STS refused it: {exchange.fault_code}: {exchange.fault_reason}"))
    try:
        message = parse_envelope(outcome.clear_response, content_type=soap_version.content_type)
        cancelled = read_context_cancelled(message.body)
    except StsError as exc:
        return ContextStep("Cancel", exchange, outcome, error=exc.message)
    if not cancelled:
        return ContextStep("Cancel", exchange, outcome,
                           error="the answer does not confirm the cancellation")
    log.info("security context %s cancelled at %s", context.identifier, endpoint)
    return ContextStep("Cancel", exchange, outcome)
