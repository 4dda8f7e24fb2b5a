"""Two real `stsdesk serve` processes on one PostgreSQL database behave as one STS."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.soap import SoapVersion, build_envelope
from stsdesk.core.wssecurity import build_security_header
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request, request_action
from tests.server.test_postgres_store import Cluster
from tests.server.test_serve import Serve

pytestmark = pytest.mark.slow

PASSWORD = "Multi-node-admin-Passw0rd"
KEYSTORE_PASSWORD = "one keystore password for every node"
AUDIENCE = "https://multinode.example.org/service"
SAML20 = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0"
API = "/api/server/v1"
STS = "/services/wso2carbon-sts"


@dataclass
class Node:
    serve: Serve
    port: int
    data_dir: Path

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def verify(self) -> str:
        return str(self.data_dir / "tls" / "server.crt")

    def api(self, method: str, path: str, **kwargs: object) -> requests.Response:
        return requests.request(method, self.base + path, auth=("admin", PASSWORD),
                                verify=self.verify, timeout=20, **kwargs)  # type: ignore[arg-type]

    def trust(self, request_type: RequestType, *, target: etree._Element | None = None
              ) -> requests.Response:
        rst = build_request(
            TrustVersion.WST_13, request_type,
            token_type=SAML20 if request_type is RequestType.ISSUE else None,
            key_type=KeyType.BEARER if request_type is RequestType.ISSUE else None,
            applies_to=AUDIENCE if request_type is RequestType.ISSUE else None,
            target=target,
        )
        header = build_security_header(SoapVersion.SOAP12, username="admin", password=PASSWORD,
                                       timestamp_ttl=300)
        action = request_action(TrustVersion.WST_13, request_type)
        body = build_envelope(SoapVersion.SOAP12, rst, headers=[header])
        return requests.post(
            self.base + STS, data=body, verify=self.verify, timeout=20,
            headers={"Content-Type": f'{SoapVersion.SOAP12.content_type}; action="{action}"'},
        )


def assertion_of(response: requests.Response) -> etree._Element:
    assert response.status_code == 200, response.text[:2000]
    found = etree.fromstring(response.content).find(f".//{{{ns.SAML2}}}Assertion")
    assert found is not None, response.text[:2000]
    return found


def validate_status(response: requests.Response) -> str:
    assert response.status_code == 200, response.text[:2000]
    codes = etree.fromstring(response.content).xpath("//*[local-name()='Status']/*[local-name()='Code']/text()")
    assert len(codes) == 1
    return str(codes[0]).rsplit("/", 1)[-1]


def fault_reason(response: requests.Response) -> tuple[str, str]:
    root = etree.fromstring(response.content)
    subcodes = root.xpath("//*[local-name()='Subcode']/*[local-name()='Value']/text()")
    reason = "".join(root.xpath("//*[local-name()='Reason']/*[local-name()='Text']/text()"))
    return (str(subcodes[0]) if subcodes else ""), reason


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Node, Cluster]]:
    from tests.server.test_postgres_store import postgres_cluster

    cluster = postgres_cluster()
    if isinstance(cluster, str):
        pytest.skip(cluster)
    url = cluster.new_database()
    env = {
        "STSDESK_DATABASE_URL": url,
        "STSDESK_KEYSTORE_PASSWORD": KEYSTORE_PASSWORD,
        "STSDESK_ADMIN_PASSWORD": PASSWORD,
    }
    tmp = tmp_path_factory.mktemp("nodes")
    serves: list[Serve] = []
    try:
        # Started together: both migrate the empty database and race to make the signing key
        # and the admin user; exactly one of each must result.
        for name in ("a", "b"):
            serves.append(Serve.start(tmp, "--data-dir", str(tmp / name), "--port", "0", env=env))
        nodes = [Node(serve, serve.wait_ready(), tmp / name)
                 for serve, name in zip(serves, ("a", "b"), strict=True)]
        yield nodes[0], nodes[1], cluster
    finally:
        cluster.start()  # in case a test stopped it and failed before starting it again
        for serve in serves:
            serve.kill()


def test_nodes_name_themselves_and_share_one_signing_key(
    two_nodes: tuple[Node, Node, Cluster],
) -> None:
    a, b, _ = two_nodes
    health = [requests.get(n.base + "/health", verify=n.verify, timeout=10).json() for n in (a, b)]
    assert [h["status"] for h in health] == ["ok", "ok"]
    assert health[0]["node"] != health[1]["node"]
    assert health[0]["node"].endswith(f":{a.port}/{health[0]['pid']}")
    certs = [n.api("GET", f"{API}/keystores/certs/public") for n in (a, b)]
    assert certs[0].status_code == 200 and certs[0].content == certs[1].content


def test_admin_change_on_a_is_in_force_on_b_and_tokens_move_between_nodes(
    two_nodes: tuple[Node, Node, Cluster],
) -> None:
    a, b, _ = two_nodes
    # Before the relying party exists, B refuses the audience...
    refused = b.trust(RequestType.ISSUE)
    assert refused.status_code != 200 and AUDIENCE in fault_reason(refused)[1]
    # ...an administrator registers it through A...
    created = a.api("POST", f"{API}/applications", json={
        "name": "multinode", "inboundProtocolConfiguration": {"wsTrust": {"audience": AUDIENCE}},
    })
    assert created.status_code == 201, created.text
    # ...and B's next request sees it.
    token = assertion_of(b.trust(RequestType.ISSUE))
    assert validate_status(a.trust(RequestType.VALIDATE, target=token)) == "valid"
    renewed = assertion_of(a.trust(RequestType.RENEW, target=token))
    assert renewed.get("ID") != token.get("ID")
    assert validate_status(b.trust(RequestType.VALIDATE, target=token)) == "invalid"
    cancelled = b.trust(RequestType.CANCEL, target=renewed)
    assert cancelled.status_code == 200, cancelled.text[:2000]
    assert validate_status(a.trust(RequestType.VALIDATE, target=renewed)) == "invalid"


def test_config_patch_on_b_is_read_back_on_a(two_nodes: tuple[Node, Node, Cluster]) -> None:
    a, b, _ = two_nodes
    patched = b.api("PATCH", f"{API}/configs", json=[
        {"operation": "REPLACE", "path": "/idleSessionTimeoutPeriod", "value": "42"},
    ])
    assert patched.status_code in (200, 204), patched.text
    assert a.api("GET", f"{API}/configs").json()["idleSessionTimeoutPeriod"] == "42"


def test_node_without_its_database_answers_clearly_and_recovers(
    two_nodes: tuple[Node, Node, Cluster],
) -> None:
    a, b, cluster = two_nodes
    assert a.api("GET", f"{API}/configs").status_code == 200
    cluster.stop()
    try:
        down = a.api("GET", f"{API}/applications")
        assert down.status_code == 503
        assert "database is unavailable; retrying" in down.json()["description"]
        fault = b.trust(RequestType.ISSUE)
        assert fault.status_code == 500
        subcode, reason = fault_reason(fault)
        assert subcode.endswith("RequestFailed") and "database is unavailable" in reason
        assert "Traceback" not in fault.text
    finally:
        cluster.start()
    # Neither process restarted: both serve again once the database is back.
    deadline = time.monotonic() + 20
    while a.api("GET", f"{API}/applications").status_code != 200:
        assert time.monotonic() < deadline, "node A did not recover"
        time.sleep(0.2)
    assert assertion_of(b.trust(RequestType.ISSUE)) is not None
    assert a.serve.process.poll() is None and b.serve.process.poll() is None
