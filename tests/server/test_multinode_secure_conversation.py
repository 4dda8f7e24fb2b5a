"""Two real `stsdesk serve` processes on one PostgreSQL database share security contexts: a
context node A issued protects a token request to node B, and B's cancellation holds on A.

Everything goes over the wire as in production: the administrator applies scenario 11 and
imports the client's certificate through A's admin API; the client (``tests.helpers.sc_client``,
independent of the engine) bootstraps on A and moves to B.
"""

from __future__ import annotations

import requests
from cryptography import x509
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.soap import parse_fault
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from tests.helpers import certfactory
from tests.helpers import sc_client as sc
from tests.helpers import wss_client as wc
from tests.server import test_multinode
from tests.server.test_multinode import API, AUDIENCE, SAML20, STS, Node

pytestmark = test_multinode.pytestmark
two_nodes = test_multinode.two_nodes  # the same two `stsdesk serve` processes, for this module

CONTENT_TYPE = "application/soap+xml; charset=utf-8"


def post(node: Node, envelope: bytes, action: str | None = None) -> requests.Response:
    content_type = CONTENT_TYPE + (f'; action="{action}"' if action else "")
    return requests.post(node.base + STS, data=envelope, verify=node.verify, timeout=30,
                         headers={"Content-Type": content_type})


def token_rst() -> etree._Element:
    return build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=SAML20,
                         key_type=KeyType.BEARER, applies_to=AUDIENCE)


def test_a_context_issued_on_one_node_protects_requests_to_the_other(
    two_nodes: tuple[Node, Node, object],
) -> None:
    a, b, _ = two_nodes
    client = certfactory.issue("sc-multinode-client")
    imported = a.api("POST", f"{API}/keystores/certs", json={
        "alias": "sc-multinode-client", "certificate": certfactory.pem(client.certificate).decode()})
    assert imported.status_code == 201, imported.text
    application = a.api("POST", f"{API}/applications", json={
        "name": "sc-multinode", "inboundProtocolConfiguration": {"wsTrust": {"audience": AUDIENCE}},
    })
    assert application.status_code in (201, 409), application.text  # 409: another test made it
    applied = a.api("PUT", f"{API}/sts/security", json={
        "scenarioId": "scenario11", "trustedKeystores": ["wso2carbon.jks"],
        "privateKeystore": "wso2carbon.jks"})
    assert applied.status_code == 200, applied.text
    service = x509.load_pem_x509_certificate(
        b.api("GET", f"{API}/keystores/certs/public").content)
    try:
        entropy = sc.new_entropy()
        sent = wc.asymmetric_request(sc.sct_request(entropy), client_key=client.private_key,
                                     client_cert=client.certificate, service_cert=service,
                                     include_bst=False)
        answer = post(a, sent.envelope, sc.ACTION)
        assert answer.status_code == 200, answer.text[:1000]
        context = sc.read_context(wc.check_response(
            answer.content, service_cert=service, client_key=client.private_key).body, entropy)

        on_b = post(b, sc.secured(token_rst(), context, sign=True, encrypt=True).envelope)
        assert on_b.status_code == 200, on_b.text[:1000]
        token = wc.check_response(on_b.content, session_key=context.key).body
        name_id = token.find(f".//{{{ns.SAML2}}}NameID")
        assert name_id is not None and "sc-multinode-client" in name_id.text

        cancel = sc.secured(sc.control_request("cancel", context.identifier), context,
                            sign=True, encrypt=True)
        assert post(b, cancel.envelope, sc.ACTIONS["cancel"]).status_code == 200
        refused = post(a, sc.secured(token_rst(), context, sign=True, encrypt=True).envelope)
        assert refused.status_code == 400
        code, reason = parse_fault(refused.content)
        assert code == f"{{{ns.WSC_2005}}}BadContextToken" and "cancelled" in reason
    finally:
        a.api("PUT", f"{API}/sts/security", json={"scenarioId": "scenario1",
                                                   "allowedRoles": ["admin"]})
