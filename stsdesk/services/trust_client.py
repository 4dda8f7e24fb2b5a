"""The STS test client: sends one WS-Trust request over HTTPS and reports what came back."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from lxml import etree
from urllib3.exceptions import InsecureRequestWarning

from stsdesk.core import ns
from stsdesk.core.errors import StsError
from stsdesk.core.soap import (
    SoapVersion,
    addressing_headers,
    build_envelope,
    parse_envelope,
    parse_fault,
)
from stsdesk.core.wssecurity import build_security_header
from stsdesk.core.wstrust import (
    RequestType,
    TrustResponse,
    TrustVersion,
    parse_response,
    request_action,
)
from stsdesk.core.xmlparse import parse_xml
from stsdesk.core.xmlutil import pretty
from stsdesk.services.abortable import ConnectionCutter
from stsdesk.services.errors import RequestCancelledError, TrustClientError
from stsdesk.services.tls import TrustPolicy, make_session

__all__ = [
    "TrustClient", "TrustExchange", "Credentials", "TrustClientError", "RequestCancelledError",
    "mask_secrets", "pretty_xml", "MASK",
]

MASK = "********"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    digest: bool = False


@dataclass(frozen=True)
class TrustExchange:
    """One request and its answer, as the test client shows them."""

    status: int
    elapsed_seconds: float
    request_bytes: bytes
    response_bytes: bytes
    response_headers: dict[str, str]
    response: TrustResponse | None
    fault_code: str | None = None
    fault_reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.response is not None

    def request_for_display(self) -> bytes:
        """The request as sent, with the password masked."""
        return mask_secrets(self.request_bytes)


class TrustClient:
    """Speaks WS-Trust to one endpoint; keeps one HTTPS connection alive between requests."""

    def __init__(
        self,
        endpoint: str,
        *,
        trust: TrustPolicy | None = None,
        timeout: float = 30.0,
    ) -> None:
        """``trust`` None: the system's certificate authorities decide."""
        trust = trust or TrustPolicy()
        self._endpoint = endpoint
        self._timeout = timeout
        self._insecure = trust.insecure
        self._session = make_session(trust)
        self._cutter = ConnectionCutter()
        self._cutter.install(self._session)
        # Passed on every request, so that REQUESTS_CA_BUNDLE cannot override the trust chosen.
        self._verify = self._session.verify

    def close(self) -> None:
        self._session.close()

    def abort(self) -> None:
        """Close the client and cut the connection of a request in flight (any thread): a
        worker blocked waiting for the answer ends now, not at the time-out."""
        self._cutter.cut()
        self._session.close()

    def __enter__(self) -> TrustClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(
        self,
        rst: etree._Element,
        *,
        trust_version: TrustVersion,
        request_type: RequestType,
        soap_version: SoapVersion = SoapVersion.SOAP12,
        credentials: Credentials | None = None,
        addressing_namespace: str | None = ns.WSA_2005,
        cancel_event: threading.Event | None = None,
        secure: Callable[[bytes], bytes] | None = None,
        open_response: Callable[[bytes], bytes] | None = None,
    ) -> TrustExchange:
        """``secure`` turns the envelope into the one sent (message security); ``open_response``
        turns the answer as received into the one read (decrypted)."""
        action = request_action(trust_version, request_type)
        headers: list[etree._Element] = []
        if addressing_namespace:
            # ADFS/WCF endpoints dispatch on WS-Addressing; WSO2 answers with RelatesTo.
            headers.extend(addressing_headers(addressing_namespace, action=action,
                                              to=self._endpoint, reply_to_anonymous=True))
        if credentials is not None:
            headers.append(
                build_security_header(
                    soap_version,
                    username=credentials.username,
                    password=credentials.password,
                    digest=credentials.digest,
                )
            )
        body = build_envelope(soap_version, rst, headers=headers)
        if secure is not None:
            body = secure(body)
        return self.post(body, soap_version=soap_version, action=action, cancel_event=cancel_event,
                         open_response=open_response)

    def post(
        self,
        body: bytes,
        *,
        soap_version: SoapVersion,
        action: str | None,
        cancel_event: threading.Event | None = None,
        open_response: Callable[[bytes], bytes] | None = None,
    ) -> TrustExchange:
        """Send ``body``; ``cancel_event`` set before or during the call cancels it.

        A request already on the wire ends when :meth:`abort` cuts its connection (else the
        time-out bounds it); its answer is dropped and :class:`RequestCancelledError` raised.
        """
        http_headers = {"Content-Type": soap_version.content_type}
        if soap_version is SoapVersion.SOAP11:
            http_headers["SOAPAction"] = f'"{action or ""}"'
        elif action:
            http_headers["Content-Type"] += f'; action="{action}"'
        _check_cancelled(cancel_event)
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                if self._insecure:
                    # The person chose to skip TLS checks and was warned; urllib3 need not repeat it.
                    warnings.simplefilter("ignore", InsecureRequestWarning)
                answer = self._session.post(
                    self._endpoint,
                    data=body,
                    headers=http_headers,
                    verify=self._verify,
                    timeout=self._timeout,
                )
        except requests.exceptions.SSLError as exc:
            _check_cancelled(cancel_event)  # cut by abort() mid-handshake: not a TLS problem
            raise TrustClientError(
                f"The TLS certificate of {self._endpoint} is not trusted: {exc}. Pin the server's "
                "certificate or give a CA file."
            ) from exc
        except requests.Timeout as exc:
            raise TrustClientError(
                f"The STS at {self._endpoint} did not answer within {self._timeout:g} seconds; "
                "check that it runs, or allow a longer time-out."
            ) from exc
        except requests.RequestException as exc:
            _check_cancelled(cancel_event)  # cut by abort(): say cancelled, not unreachable
            raise TrustClientError(
                f"The STS at {self._endpoint} could not be reached: {exc}"
            ) from exc
        elapsed = time.perf_counter() - started
        _check_cancelled(cancel_event)
        return _exchange(answer, body, elapsed, open_response)


def _check_cancelled(cancel_event: threading.Event | None) -> None:
    if cancel_event is not None and cancel_event.is_set():
        raise RequestCancelledError("The request was cancelled.")


def mask_secrets(message: bytes) -> bytes:
    """``message`` with every wsse:Password replaced by a mask, for showing and saving.

    Digest passwords are masked too (a digest with its nonce allows guessing the password
    offline); nonces and timestamps stay visible.
    """
    try:
        root = parse_xml(bytes(message))
    except StsError:
        return b"(the message is not XML and is not shown, in case it holds a password)"
    for password in root.iter(f"{{{ns.WSSE}}}Password"):
        for child in list(password):
            password.remove(child)
        password.text = MASK
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def pretty_xml(message: bytes) -> str:
    """``message`` indented for reading; text as it is when it is not XML."""
    try:
        root = parse_xml(bytes(message))
    except StsError:
        return bytes(message).decode("utf-8", "replace")
    return pretty(root)


def _exchange(answer: requests.Response, sent: bytes, elapsed: float,
              open_response: Callable[[bytes], bytes] | None = None) -> TrustExchange:
    content = answer.content
    common: dict[str, Any] = dict(
        status=answer.status_code,
        elapsed_seconds=elapsed,
        request_bytes=sent,
        response_bytes=content,
        response_headers=dict(answer.headers),
    )
    try:
        readable = open_response(content) if open_response is not None else content
        message = parse_envelope(readable, content_type=answer.headers.get("content-type"))
    except StsError as exc:
        raise TrustClientError(
            f"The STS answered HTTP {answer.status_code} with something that is not a SOAP "
            f"message ({exc.message})."
        ) from exc
    if etree.QName(message.body).localname == "Fault":
        code, reason = parse_fault(message.body)
        return TrustExchange(response=None, fault_code=code, fault_reason=reason, **common)
    return TrustExchange(response=parse_response(message.body), **common)
