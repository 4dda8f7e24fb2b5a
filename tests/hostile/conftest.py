"""One live STS for the hostile suite, its captured log, and the three checks every test makes."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from stsdesk.core.certificates import SigningIdentity, generate_self_signed
from stsdesk.core.soap import SoapVersion, build_envelope, parse_fault
from stsdesk.core.wssecurity import build_security_header
from stsdesk.core.wstrust import RequestType, TrustVersion, build_request, request_action
from stsdesk.server.model import RelyingParty
from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from stsdesk.server.storage.store import Store
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.trust_client import Credentials, TrustClient

ADMIN_PASSWORD = "H0stile-admin-secret"
RP = "https://rp.example.org/hostile"
RP_HOK = "https://rp.example.org/hostile-hok"
WST13 = TrustVersion.WST_13
API = "/api/server/v1"


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        self.lines.append(text)


@dataclass
class Hostile:
    server: BackgroundServer
    settings: ServerSettings
    store: Store
    endpoint: str
    base_url: str
    ca_file: Path
    rp_identity: SigningIdentity
    client_identity: SigningIdentity
    log: _Collector
    secrets: list[bytes] = field(default_factory=list)

    def client(self) -> TrustClient:
        return TrustClient(self.endpoint, trust=TrustPolicy(ca_file=str(self.ca_file)))

    def post(self, body: bytes, content_type: str, **headers: str) -> requests.Response:
        return requests.post(self.endpoint, data=body, verify=str(self.ca_file), timeout=30,
                             headers={"Content-Type": content_type, **headers})

    def api(self, method: str, path: str, *, auth=("admin", ADMIN_PASSWORD), **kwargs):
        kwargs.setdefault("timeout", 30)
        return requests.request(method, self.base_url + path, auth=auth,
                                verify=str(self.ca_file), **kwargs)

    def issue(self, credentials: Credentials | None = None, **options):
        """A normal Issue through the project's own client (the "still serving" probe)."""
        options.setdefault("applies_to", RP)
        rst = build_request(WST13, RequestType.ISSUE, **options)
        with self.client() as client:
            return client.send(rst, trust_version=WST13, request_type=RequestType.ISSUE,
                               soap_version=SoapVersion.SOAP12,
                               credentials=credentials or Credentials("admin", ADMIN_PASSWORD))

    def envelope(self, rst=None, *, soap=SoapVersion.SOAP12, header=True, **security):
        rst = rst if rst is not None else build_request(WST13, RequestType.ISSUE, applies_to=RP)
        headers = []
        if header:
            security.setdefault("username", "admin")
            security.setdefault("password", ADMIN_PASSWORD)
            headers.append(build_security_header(soap, **security))
        return build_envelope(soap, rst, headers=headers)

    @staticmethod
    def content_type(soap=SoapVersion.SOAP12, request_type=RequestType.ISSUE) -> str:
        action = request_action(WST13, request_type)
        if soap is SoapVersion.SOAP12:
            return f'{soap.content_type}; action="{action}"'
        return soap.content_type

    def soap_headers(self, soap=SoapVersion.SOAP12, request_type=RequestType.ISSUE):
        headers = {}
        if soap is SoapVersion.SOAP11:
            headers["SOAPAction"] = f'"{request_action(WST13, request_type)}"'
        return headers

    # -- the three checks ---------------------------------------------------------------

    def assert_fault(self, answer: requests.Response, local_name: str, *words: str,
                     status: int = 400) -> str:
        """The answer is a SOAP fault with subcode ``local_name``; its reason names ``words``."""
        assert answer.status_code == status, answer.content[:500]
        code, reason = parse_fault(answer.content)
        assert code.endswith("}" + local_name), (code, reason)
        for word in words:
            assert word in reason, reason
        self.assert_nothing_secret(answer.content)
        self.assert_still_serving()
        return reason

    def assert_still_serving(self) -> None:
        exchange = self.issue()
        assert exchange.ok, (exchange.fault_code, exchange.fault_reason)

    def assert_nothing_secret(self, *texts: bytes | str) -> None:
        """No secret in the given response bodies nor anywhere in the server's log so far."""
        haystacks = [t.encode() if isinstance(t, str) else t for t in texts]
        haystacks.append("\n".join(self.log.lines).encode())
        for haystack in haystacks:
            for secret in self.secrets:
                assert secret not in haystack
            assert b"Traceback" not in haystack
            assert b"PRIVATE KEY" not in haystack


def _secrets_of(settings: ServerSettings, server: BackgroundServer) -> list[bytes]:
    master = settings.master_secret_path.read_text().strip().encode()
    key = server.bootstrap.keystore.signing_identity("wso2carbon").private_key
    der = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    # A leaked key would show in PEM (base64); any 48-byte run of its base64 gives it away.
    b64 = base64.b64encode(der)
    return [ADMIN_PASSWORD.encode(), master, b64[100:148], b64[-200:-152]]


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    collector = _Collector()
    collector.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(collector)
    previous_level = root.level
    root.setLevel(logging.DEBUG)
    data_dir = tmp_path_factory.mktemp("hostile-data")
    settings = ServerSettings(data_dir=data_dir, port=0, admin_password=ADMIN_PASSWORD)
    server = BackgroundServer(settings)
    server.start()
    store = server.bootstrap.store
    rp_identity = generate_self_signed("rp.example.org")
    client_identity = generate_self_signed("trusted-client")
    store.keys.add_trusted_certificate(
        "rp-cert", rp_identity.certificate.public_bytes(Encoding.DER)
    )
    store.keys.add_trusted_certificate(
        "client-cert", client_identity.certificate.public_bytes(Encoding.DER)
    )
    app_id = store.applications.create("hostile")
    store.applications.set_relying_party(app_id, RelyingParty("", "hostile", RP))
    hok_id = store.applications.create("hostile-hok")
    store.applications.set_relying_party(
        hok_id, RelyingParty("", "hostile-hok", RP_HOK, certificate_alias="rp-cert",
                             encrypt_token=False)
    )
    store.users.set_claims("admin", {"http://wso2.org/claims/emailaddress": "admin@example.org"})
    try:
        yield Hostile(
            server=server, settings=settings, store=store,
            endpoint=server.url + "/services/wso2carbon-sts", base_url=server.url,
            ca_file=server.ca_file, rp_identity=rp_identity, client_identity=client_identity,
            log=collector, secrets=_secrets_of(settings, server),
        )
    finally:
        server.stop()
        root.removeHandler(collector)
        root.setLevel(previous_level)
