"""The double's HTTPS server on loopback: authentication, validation, dispatch and the call log."""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.xmlparse import XmlInputError, parse_xml
from tests.helpers import certfactory
from tests.helpers.wso2_schema import request_problems
from tests.wso2double import rest_ops, soap_ops
from tests.wso2double.contracts import contract
from tests.wso2double.profiles import VERSIONS, DoubleProfile
from tests.wso2double.state import DoubleState

__all__ = ["Call", "Wso2Double", "SUPER_TENANT"]

SUPER_TENANT = "carbon.super"
_API = "/api/server/v1"


@dataclass(frozen=True)
class Call:
    """One request as the double received it (``operation`` for SOAP, else the path)."""

    method: str
    path: str
    operation: str = ""
    body: Any = None  # the JSON, or the SOAP wrapper element
    status: int = 0


@dataclass
class Wso2Double:
    """Start with ``with Wso2Double("5.11") as double:``; ``double.url`` is https://127.0.0.1:N."""

    version: str = "5.11"
    tenant: str = SUPER_TENANT
    username: str = "admin"
    password: str = "Wso2-double-Passw0rd"
    state: DoubleState = field(default_factory=DoubleState)
    # False plays an admin without /permission/protected/server-admin (ServerAdmin refuses).
    server_admin_allowed: bool = True
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.profile: DoubleProfile = VERSIONS[self.version]
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.tls = certfactory.issue("localhost", dns_names=["localhost"],
                                     ip_addresses=["127.0.0.1"], server_auth=True)

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> Wso2Double:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, folder: Path | None = None) -> None:
        import tempfile

        folder = folder or Path(tempfile.mkdtemp(prefix="wso2-double-"))
        cert = certfactory.write_pem(folder / "tls.pem", self.tls.certificate)
        key = folder / "tls.key"
        from cryptography.hazmat.primitives import serialization

        key.write_bytes(self.tls.private_key.private_bytes(  # type: ignore[union-attr]
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True,
                                        name=f"wso2-double-{self.version}")
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the double first"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def sha256(self) -> str:
        import hashlib

        return hashlib.sha256(self.tls.der).hexdigest()

    @property
    def signed_in_user(self) -> str:
        return self.username if self.tenant == SUPER_TENANT else f"{self.username}@{self.tenant}"

    def operations(self) -> list[str]:
        """The SOAP operations called so far, in order (``Service.operation``)."""
        return [c.operation for c in self.calls if c.operation]

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)


def _handler_for(double: Wso2Double) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet tests
            return

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        # -- plumbing ----------------------------------------------------------------------

        def _send(self, answer: rest_ops.Answer) -> None:
            body = answer.body
            if body is None:
                data = b""
            elif isinstance(body, bytes):
                data = body
            elif isinstance(body, str):
                data = body.encode("utf-8")
            else:
                data = json.dumps(body).encode("utf-8")
            self.send_response(answer.status)
            if data:
                self.send_header("Content-Type", answer.content_type)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authenticated(self) -> bool:
            header = self.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return False
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                return False
            return (secrets.compare_digest(user, double.signed_in_user)
                    and secrets.compare_digest(password, double.password))

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not self._authenticated():
                double.record(Call(method, parts.path, status=401))
                self._send(rest_ops.Answer(401, None, headers={
                    "WWW-Authenticate": 'Basic realm="WSO2 Identity Server"'}))
                return
            path = parts.path
            if path.startswith("/services/"):
                self._send(self._soap(path[len("/services/"):], raw))
                return
            prefix = "" if double.tenant == SUPER_TENANT else f"/t/{double.tenant}"
            if prefix and not path.startswith(prefix + "/"):
                self._send(rest_ops.Answer(401))  # another tenant's path: WSO2 refuses
                return
            path = path[len(prefix):]
            answer = self._rest(method, path, query, raw, root=prefix + _API)
            double.record(Call(method, path, body=_json_or_none(raw), status=answer.status))
            self._send(answer)

        def _rest(self, method: str, path: str, query: dict[str, str], raw: bytes,
                  root: str) -> rest_ops.Answer:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                return rest_ops.Answer(400, {"code": "UE-10000", "message": "Invalid JSON"})
            try:
                if path.startswith(_API + "/"):
                    problems = request_problems(method, path, body)
                    if problems:
                        raise rest_ops.RestError(400, "UE-10000", "Invalid Request",
                                                 "; ".join(problems))
                    with double._lock:
                        return rest_ops.handle_rest(method, path[len(_API):], query, body,
                                                    double.state, double.profile,
                                                    double.tenant == SUPER_TENANT, root)
                if path.startswith("/scim2/"):
                    with double._lock:
                        return rest_ops.handle_scim(method, path[len("/scim2/"):], query, body,
                                                    double.state)
            except (rest_ops.RestError, rest_ops.ScimError) as error:
                return error.answer
            return rest_ops.Answer(404)

        def _soap(self, service: str, raw: bytes) -> rest_ops.Answer:
            if service not in soap_ops.SERVICES or (
                    service in soap_ops.CONNECTOR_SERVICES and not double.profile.connector):
                return _fault("The service cannot be found for the endpoint reference (EPR) "
                              f"/services/{service}", "Client")
            if service == "ServerAdmin" and not double.server_admin_allowed:
                return _fault("Access Denied. User admin does not have permission "
                              "/permission/protected/server-admin")
            wsdl, namespace = soap_ops.SERVICES[service](double.profile)
            try:
                envelope = parse_xml(raw)
            except XmlInputError as exc:
                return _fault(f"Invalid SOAP message: {exc}", "Client")
            body = envelope.find(f"{{{ns.SOAP11}}}Body")
            if envelope.tag != f"{{{ns.SOAP11}}}Envelope" or body is None or len(body) != 1:
                return _fault("The message is not a SOAP 1.1 envelope with one body element",
                              "Client")
            wrapper = body[0]
            operation = etree.QName(wrapper).localname
            document = contract(wsdl)
            action = (self.headers.get("SOAPAction") or "").strip('"')
            double.record(Call("POST", f"/services/{service}", f"{service}.{operation}",
                               wrapper))
            if document.actions.get(operation) != action:
                return _fault(f"The endpoint reference (EPR) for the Operation not found is "
                              f"/services/{service} and the WSA Action = {action}", "Client")
            if etree.QName(wrapper).namespace != namespace:
                return _fault(f"namespace mismatch require {namespace} found "
                              f"{etree.QName(wrapper).namespace}", "Client")
            problems = document.problems(wrapper)
            if problems:
                return _fault(f"Unexpected subelement: {problems[0]}", "Client")
            try:
                with double._lock:
                    answer = soap_ops.handle(service, operation, wrapper, double.state,
                                             double.profile, namespace)
            except soap_ops.SoapFault as fault:
                return _fault(fault.reason, fault.code)
            if answer is None:
                return rest_ops.Answer(202) if operation in _IN_ONLY else _envelope(None)
            return _envelope(answer)

    return Handler


# Operations WSDL marks in-only on the legacy STS (no answer body: HTTP 202).
_IN_ONLY = {"addTrustedService", "removeTrustedService", "setProofKeyType"}


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _envelope(content: etree._Element | None) -> rest_ops.Answer:
    root = etree.Element(f"{{{ns.SOAP11}}}Envelope", nsmap={"soapenv": ns.SOAP11})
    body = etree.SubElement(root, f"{{{ns.SOAP11}}}Body")
    if content is not None:
        body.append(content)
    return rest_ops.Answer(200, etree.tostring(root, xml_declaration=True, encoding="utf-8"),
                           "text/xml; charset=UTF-8")


def _fault(reason: str, code: str = "Server") -> rest_ops.Answer:
    root = etree.Element(f"{{{ns.SOAP11}}}Envelope", nsmap={"soapenv": ns.SOAP11})
    body = etree.SubElement(root, f"{{{ns.SOAP11}}}Body")
    fault = etree.SubElement(body, f"{{{ns.SOAP11}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"soapenv:{code}"
    etree.SubElement(fault, "faultstring").text = reason
    etree.SubElement(fault, "detail")
    return rest_ops.Answer(500, etree.tostring(root, xml_declaration=True, encoding="utf-8"),
                           "text/xml; charset=UTF-8")
