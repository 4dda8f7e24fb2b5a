"""An administrator's own SecureConversation policy over real HTTPS: scenario 11 written in
WS-SecurityPolicy 1.2 with Basic256Sha256 and derived keys required, applied through the admin
API, then a context obtained under its bootstrap policy and a token request protected with keys
derived from that context; and a variant the engine cannot enforce, refused by name.

Requests are built and answers checked by the tests' own clients (``tests.helpers.sc_client``
and ``wss_client``: python-xmlsec and ``cryptography``), never by the engine under test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from lxml import etree

from stsdesk.core import ns
from tests.e2e.test_message_security import issued_assertion, rst, subject_of
from tests.e2e.test_secure_conversation import fault, post
from tests.e2e.test_secure_conversation import sts as sc_sts
from tests.helpers import sc_client as sc
from tests.helpers import wss_client as wc
from tests.helpers.data import DATA

OWN = (DATA / "own-policies" / "secure-conversation-sp12.xml").read_text(encoding="utf-8")
KEYSTORES = {"trustedKeystores": ["wso2carbon.jks"], "privateKeystore": "wso2carbon.jks"}
SHA256_DIGEST = "http://www.w3.org/2001/04/xmlenc#sha256"

sts = sc_sts  # the SecureConversation tests' server: a trusted client certificate, an RP


@pytest.fixture
def own_applied(sts) -> Iterator[object]:
    answer = sts.admin.put(sts.server.url + "/api/server/v1/sts/security", timeout=30,
                           verify=str(sts.server.ca_file),
                           json={"policyName": "Partner session (SP 1.2)", "policy": OWN,
                                 **KEYSTORES})
    assert answer.status_code == 200, answer.text
    assert answer.json()["scenarioId"] == "policyFromRegistry"
    yield sts


def bootstrap(sts) -> sc.Context:
    """An RST/SCT under the own bootstrap policy: signed with the client's key (RSA-SHA256,
    SHA-256 digests), Body encrypted for the STS."""
    entropy = sc.new_entropy()
    sent = wc.asymmetric_request(sc.sct_request(entropy), client_key=sts.client.private_key,
                                 client_cert=sts.client.certificate,
                                 service_cert=sts.service_certificate, include_bst=False,
                                 suite=wc.Suite.basic256_sha256())
    answer = post(sts.endpoint, sts, sent.envelope, sc.ACTION)
    assert answer.status_code == 200, answer.text[:800]
    checked = wc.check_response(answer.content, service_cert=sts.service_certificate,
                                client_key=sts.client.private_key)
    assert checked.body_was_encrypted
    return sc.read_context(checked.body, entropy)


def test_an_own_sp12_session_policy_issues_a_context_and_answers_requests_under_it(own_applied):
    sts = own_applied
    context = bootstrap(sts)
    assert context.identifier.startswith("urn:uuid:")
    sent = sc.secured(rst(), context, sign=True, encrypt=True, digest=SHA256_DIGEST)
    answer = post(sts.endpoint, sts, sent.envelope)
    assert answer.status_code == 200, answer.text[:800]
    checked = wc.check_response(answer.content, session_key=context.key)
    assert checked.body_was_encrypted
    envelope = etree.fromstring(answer.content)
    body_id = envelope.find(f"{{{ns.SOAP12}}}Body").get(f"{{{ns.WSU}}}Id")
    assert body_id in checked.signed_ids
    # The suite's SHA-256 digests, in the answer too.
    digests = envelope.xpath("//*[local-name()='DigestMethod']/@Algorithm")
    assert digests and set(digests) == {SHA256_DIGEST}
    # The answer's keys are derived from the context (WS-SecureConversation 1.3's
    # DerivedKeyToken, as a WS-SecurityPolicy 1.2 policy implies), naming it.
    derived = envelope.findall(f".//{{{ns.WSC_13}}}DerivedKeyToken")
    assert derived and all(
        d.find(f"{{{ns.WSSE}}}SecurityTokenReference/{{{ns.WSSE}}}Reference").get("URI")
        == context.identifier for d in derived)
    assert subject_of(issued_assertion(checked.body)) == (
        sts.client.certificate.subject.rfc4514_string())


def test_the_own_policy_is_held_to_what_it_says(own_applied):
    sts = own_applied
    context = bootstrap(sts)
    # It requires derived keys: the context's key itself is refused.
    code, reason = fault(post(sts.endpoint, sts, sc.secured(
        rst(), context, sign=True, encrypt=True, digest=SHA256_DIGEST, derived=False).envelope))
    assert code == f"{{{ns.WSSE}}}InvalidSecurity" and "derived" in reason
    # It names Basic256Sha256: SHA-1 digests are refused.
    code, _ = fault(post(sts.endpoint, sts, sc.secured(
        rst(), context, sign=True, encrypt=True).envelope))
    assert code == f"{{{ns.WSSE}}}UnsupportedAlgorithm"
    # A bootstrap without the client's signature is not what its bootstrap policy asks.
    unsigned = wc.symmetric_request(sc.sct_request(sc.new_entropy()),
                                    service_cert=sts.service_certificate, encrypt_body=True)
    assert post(sts.endpoint, sts, unsigned.envelope, sc.ACTION).status_code in (400, 500)


def test_a_variant_the_engine_cannot_enforce_is_refused_naming_the_assertion(sts):
    before = sts.admin.get(sts.server.url + "/api/server/v1/sts/security", timeout=30,
                           verify=str(sts.server.ca_file)).json()
    variant = OWN.replace("<sp:RequireDerivedKeys/>",
                          "<sp:RequireDerivedKeys/><sp:MustNotSendCancel/>", 1).replace(
        "<sp:Basic256Sha256/>", "<sp:Basic256Sha256Rsa15/>", 1)
    answer = sts.admin.put(sts.server.url + "/api/server/v1/sts/security", timeout=30,
                           verify=str(sts.server.ca_file),
                           json={"policyName": "Partner session, edited", "policy": variant,
                                 **KEYSTORES})
    assert answer.status_code == 400
    description = answer.json()["description"]
    assert "cannot enforce 2 of its assertions" in description
    assert ("sp:MustNotSendCancel at /wsp:Policy/wsp:ExactlyOne/wsp:All/sp:SymmetricBinding/"
            "wsp:Policy/sp:ProtectionToken/wsp:Policy/sp:SecureConversationToken/wsp:Policy/"
            "sp:MustNotSendCancel") in description
    assert "sp:Basic256Sha256Rsa15 at" in description and "sp:BootstrapPolicy/" in description
    after = requests.get(sts.server.url + "/api/server/v1/sts/security", timeout=30,
                         verify=str(sts.server.ca_file), auth=sts.admin.auth).json()
    assert after == before
