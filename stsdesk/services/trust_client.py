"""The STS test client: sends one WS-Trust request over HTTPS and reports what came back."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import requests
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import StsError
from stsdesk.core.soap import SoapVersion, build_envelope, parse_envelope, parse_fault
from stsdesk.core.wssecurity import build_security_header
from stsdesk.core.wstrust import (
    RequestType,
    TrustResponse,
    TrustVersion,
    parse_response,
    request_action,
)

__all__ = ["TrustClient", "TrustExchange", "Credentials", "TrustClientError"]


class TrustClientError(Exception):
    """The STS could not be reached or answered something that is not SOAP."""


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


class TrustClient:
    """Speaks WS-Trust to one endpoint; keeps one HTTPS connection alive between requests."""

    def __init__(self, endpoint: str, *, verify: str | bool = True, timeout: float = 30.0) -> None:
        self._endpoint = endpoint
        self._verify = verify
        self._timeout = timeout
        self._session = requests.Session()

    def close(self) -> None:
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
    ) -> TrustExchange:
        action = request_action(trust_version, request_type)
        headers: list[etree._Element] = []
        if addressing_namespace:
            headers.extend(_addressing_headers(addressing_namespace, action, self._endpoint))
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
        return self.post(body, soap_version=soap_version, action=action)

    def post(self, body: bytes, *, soap_version: SoapVersion, action: str | None) -> TrustExchange:
        http_headers = {"Content-Type": soap_version.content_type}
        if soap_version is SoapVersion.SOAP11:
            http_headers["SOAPAction"] = f'"{action or ""}"'
        elif action:
            http_headers["Content-Type"] += f'; action="{action}"'
        started = time.perf_counter()
        try:
            answer = self._session.post(
                self._endpoint,
                data=body,
                headers=http_headers,
                verify=self._verify,
                timeout=self._timeout,
            )
        except requests.exceptions.SSLError as exc:
            raise TrustClientError(
                f"The TLS certificate of {self._endpoint} is not trusted: {exc}. Pin the server's "
                "certificate or give a CA file."
            ) from exc
        except requests.RequestException as exc:
            raise TrustClientError(
                f"The STS at {self._endpoint} could not be reached: {exc}"
            ) from exc
        elapsed = time.perf_counter() - started
        return _exchange(answer, body, elapsed)


def _addressing_headers(namespace: str, action: str, to: str) -> list[etree._Element]:
    # ADFS/WCF endpoints dispatch on WS-Addressing; WSO2 answers with RelatesTo when it is there.
    def element(name: str, text: str) -> etree._Element:
        node = etree.Element(f"{{{namespace}}}{name}", nsmap={"wsa": namespace})
        node.text = text
        return node

    reply_to = etree.Element(f"{{{namespace}}}ReplyTo", nsmap={"wsa": namespace})
    anonymous = "/anonymous" if namespace == ns.WSA_2005 else "/role/anonymous"
    etree.SubElement(reply_to, f"{{{namespace}}}Address").text = namespace + anonymous
    return [
        element("Action", action),
        element("MessageID", f"urn:uuid:{uuid.uuid4()}"),
        element("To", to),
        reply_to,
    ]


def _exchange(answer: requests.Response, sent: bytes, elapsed: float) -> TrustExchange:
    content = answer.content
    common = dict(
        status=answer.status_code,
        elapsed_seconds=elapsed,
        request_bytes=sent,
        response_bytes=content,
        response_headers=dict(answer.headers),
    )
    try:
        message = parse_envelope(content, content_type=answer.headers.get("content-type"))
    except StsError as exc:
        raise TrustClientError(
            f"The STS answered HTTP {answer.status_code} with something that is not a SOAP "
            f"message ({exc.message})."
        ) from exc
    if etree.QName(message.body).localname == "Fault":
        code, reason = parse_fault(message.body)
        return TrustExchange(response=None, fault_code=code, fault_reason=reason, **common)
    return TrustExchange(response=parse_response(message.body), **common)
