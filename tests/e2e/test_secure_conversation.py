"""Scenarios 9-15 over real HTTPS: a security context obtained under the bootstrap policy, token
requests protected with keys derived from it, and its renewal, amendment and cancellation.

Requests are built and answers checked by ``tests.helpers.sc_client`` and ``wss_client``
(python-xmlsec and ``cryptography`` directly), never by the engine under test; the context's
key is computed by the client from the two entropies in the answer.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest
import requests
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from sqlalchemy import update

from stsdesk.core import ns
from stsdesk.core.soap import parse_fault
from stsdesk.server.master_secret import ENV_VAR
from stsdesk.server.storage import schema
from tests.e2e.test_message_security import (
    ADMIN,
    ALICE,
    RP,
    Sts,
    _certificate,
    issued_assertion,
    rst,
    subject_of,
)
from tests.helpers import live_server
from tests.helpers import sc_client as sc
from tests.helpers import wss_client as wc

CONTENT_TYPE = "application/soap+xml; charset=utf-8"
KEYSTORE_PASSWORD = "one keystore password for both SecureConversation nodes"
BAD_CONTEXT = f"{{{ns.WSC_2005}}}BadContextToken"
UNKNOWN_SOURCE = f"{{{ns.WSC_2005}}}UnknownDerivationSource"
# What the SecureConversation policy (outside the bootstrap) asks of each request.
PROTECTION = {
    "scenario9": (True, False), "scenario10": (False, True), "scenario11": (True, True),
    "scenario12": (True, False), "scenario13": (True, True), "scenario14": (False, True),
    "scenario15": (True, True),
}


@pytest.fixture(scope="module")
def sts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sts]:
    with pytest.MonkeyPatch.context() as patch:
        # Every node of a cluster shares the keystore password (the master secret).
        patch.setenv(ENV_VAR, KEYSTORE_PASSWORD)
        with live_server.running_sts(tmp_path_factory.mktemp("sc-sts"), ADMIN[1]) as server:
            store = server.bootstrap.store
            store.roles.create("signers")
            store.users.create(ALICE[0], ALICE[1], roles=["signers"])
            live_server.add_relying_party(store, "sc-rp", RP)
            client = _certificate("sc-client")
            store.keys.add_trusted_certificate(
                "sc-client", client.certificate.public_bytes(Encoding.DER))
            with live_server.admin_session(ADMIN) as admin:
                yield Sts(server, admin, client, client, _certificate("sc-stranger"), client)


def post(url: str, sts: Sts, envelope: bytes, action: str | None = None) -> requests.Response:
    content_type = CONTENT_TYPE + (f'; action="{action}"' if action else "")
    return requests.post(url, data=envelope, timeout=30, verify=str(sts.server.ca_file),
                         headers={"Content-Type": content_type})


def fault(answer: requests.Response) -> tuple[str, str]:
    assert answer.status_code in (400, 500), answer.text[:600]
    return parse_fault(answer.content)


def apply(sts: Sts, scenario: str) -> None:
    extra = {"allowedRoles": ["signers"]} if scenario in ("scenario14", "scenario15") else {}
    sts.apply(scenario, **extra)


def bootstrap(sts: Sts, scenario: str, *, url: str | None = None) -> sc.Context:
    """An RST/SCT secured as the scenario's bootstrap policy asks, and the context it gives."""
    entropy = sc.new_entropy()
    body = sc.sct_request(entropy)
    number = int(scenario.removeprefix("scenario"))
    if number <= 11:  # X.509 bootstrap: signed with the client's key, Body encrypted
        sent = wc.asymmetric_request(body, client_key=sts.client.private_key,
                                     client_cert=sts.client.certificate,
                                     service_cert=sts.service_certificate, include_bst=False)
    else:  # anonymous (12, 13) or UsernameToken (14, 15): an EncryptedKey for the STS
        sent = wc.symmetric_request(body, service_cert=sts.service_certificate,
                                    encrypt_body=True,
                                    username=ALICE if number >= 14 else None)
    answer = post(url or sts.endpoint, sts, sent.envelope, sc.ACTION)
    assert answer.status_code == 200, answer.text[:800]
    if number <= 11:
        checked = wc.check_response(answer.content, service_cert=sts.service_certificate,
                                    client_key=sts.client.private_key)
    else:
        checked = wc.check_response(answer.content, session_key=sent.session_key)
        assert checked.confirmations == [wc.base64.b64encode(sent.signature_value).decode()]
    assert checked.body_was_encrypted  # the context's entropy never travels in the clear
    return sc.read_context(checked.body, entropy)


def token_request(sts: Sts, scenario: str, context: sc.Context, *, url: str | None = None,
                  **options) -> requests.Response:
    sign, encrypt = PROTECTION[scenario]
    sent = sc.secured(rst(), context, sign=sign, encrypt=encrypt, **options)
    return post(url or sts.endpoint, sts, sent.envelope)


def expected_subject(sts: Sts, scenario: str) -> str:
    number = int(scenario.removeprefix("scenario"))
    if number <= 11:
        return sts.client.certificate.subject.rfc4514_string()
    return ALICE[0] if number >= 14 else "wso2.anonymous.user"  # WSO2's anonymous user


@pytest.mark.parametrize("scenario", sorted(PROTECTION, key=lambda s: int(s[8:])))
def test_a_context_from_the_bootstrap_protects_token_requests(sts, scenario):
    apply(sts, scenario)
    context = bootstrap(sts, scenario)
    assert context.identifier.startswith("urn:uuid:")
    answer = token_request(sts, scenario, context)
    assert answer.status_code == 200, answer.text[:800]
    # The answer is protected with keys the STS derived from the context (its own nonces).
    checked = wc.check_response(answer.content, session_key=context.key)
    sign, encrypt = PROTECTION[scenario]
    assert checked.body_was_encrypted is encrypt
    body_id = etree.fromstring(answer.content).find(f"{{{ns.SOAP12}}}Body").get(
        f"{{{ns.WSU}}}Id")
    assert (body_id in checked.signed_ids) is sign
    derived = etree.fromstring(answer.content).findall(
        f".//{{{ns.WSC_2005}}}DerivedKeyToken")
    assert derived and all(
        d.find(f"{{{ns.WSSE}}}SecurityTokenReference/{{{ns.WSSE}}}Reference").get("URI")
        == context.identifier for d in derived)
    assert subject_of(issued_assertion(checked.body)) == expected_subject(sts, scenario)


def test_the_context_key_itself_and_a_reference_by_identifier_are_accepted(sts):
    apply(sts, "scenario11")
    context = bootstrap(sts, "scenario11")
    assert token_request(sts, "scenario11", context, derived=False).status_code == 200
    answer = token_request(sts, "scenario11", context, include_token=False)
    assert answer.status_code == 200, answer.text[:800]


def test_renew_amend_and_cancel_then_the_context_is_refused(sts):
    apply(sts, "scenario11")
    context = bootstrap(sts, "scenario11")

    def control(kind: str) -> etree._Element:
        sent = sc.secured(sc.control_request(kind, context.identifier), context, sign=True,
                          encrypt=True)
        answer = post(sts.endpoint, sts, sent.envelope, sc.ACTIONS[kind])
        assert answer.status_code == 200, answer.text[:800]
        action = etree.fromstring(answer.content).xpath(
            "//*[local-name()='Action']/text()")
        checked = wc.check_response(answer.content, session_key=context.key)
        return checked.body, action

    renewed, _ = control("renew")
    assert renewed.findtext(f".//{{{ns.WSC_2005}}}Identifier") == context.identifier
    assert renewed.findtext(f".//{{{ns.WSU}}}Expires") >= context.expires
    assert renewed.find(f"{{{sc.WST}}}RequestedProofToken") is None  # the key stays
    amended, _ = control("amend")
    assert amended.findtext(f".//{{{ns.WSC_2005}}}Identifier") == context.identifier
    assert token_request(sts, "scenario11", context).status_code == 200
    cancelled, _ = control("cancel")
    assert cancelled.find(f"{{{sc.WST}}}RequestedTokenCancelled") is not None

    code, reason = fault(token_request(sts, "scenario11", context))
    assert code == BAD_CONTEXT and "cancelled" in reason
    code, _ = fault(token_request(sts, "scenario11", context, include_token=False))
    assert code == UNKNOWN_SOURCE


def test_an_amend_with_further_tokens_is_refused_not_pretended(sts):
    apply(sts, "scenario11")
    context = bootstrap(sts, "scenario11")
    sent = sc.secured(sc.control_request("amend", context.identifier), context, sign=True,
                      encrypt=True)
    env = etree.fromstring(sent.envelope)
    security = env.find(f".//{{{wc.WSSE}}}Security")
    token = etree.SubElement(security, f"{{{wc.WSSE}}}UsernameToken")
    etree.SubElement(token, f"{{{wc.WSSE}}}Username").text = ALICE[0]
    etree.SubElement(token, f"{{{wc.WSSE}}}Password").text = ALICE[1]
    code, reason = fault(post(sts.endpoint, sts, etree.tostring(env), sc.ACTIONS["amend"]))
    assert code.endswith("InvalidRequest") and "does not add claims" in reason
    # The context itself is untouched.
    assert token_request(sts, "scenario11", context).status_code == 200


def test_an_unknown_context_is_refused(sts):
    apply(sts, "scenario9")
    forged = sc.Context("urn:uuid:" + os.urandom(8).hex(), os.urandom(32), "")
    code, reason = fault(token_request(sts, "scenario9", forged))
    assert code == BAD_CONTEXT and "not known" in reason
    assert forged.identifier[:20] in reason
    code, _ = fault(token_request(sts, "scenario9", forged, include_token=False))
    assert code == UNKNOWN_SOURCE


def test_a_known_context_with_the_wrong_key_fails_the_check(sts):
    apply(sts, "scenario9")
    context = bootstrap(sts, "scenario9")
    guessed = sc.Context(context.identifier, os.urandom(32), context.expires)
    code, _ = fault(token_request(sts, "scenario9", guessed))
    assert code == f"{{{ns.WSSE}}}FailedCheck"


def test_a_tampered_body_is_refused(sts):
    apply(sts, "scenario9")
    context = bootstrap(sts, "scenario9")
    sent = sc.secured(rst(), context, sign=True, encrypt=False)
    tampered = sent.envelope.replace(RP.encode(), b"https://rp.example.org/elsewhere")
    code, reason = fault(post(sts.endpoint, sts, tampered))
    assert code == f"{{{ns.WSSE}}}FailedCheck" and "does not verify" in reason


def test_an_expired_context_is_refused(sts):
    apply(sts, "scenario13")
    context = bootstrap(sts, "scenario13")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with sts.server.bootstrap.store.engine.begin() as conn:  # time passes
        conn.execute(update(schema.security_contexts).where(
            schema.security_contexts.c.identifier == context.identifier).values(expires_at=past))
    code, reason = fault(token_request(sts, "scenario13", context))
    assert code == BAD_CONTEXT and "expired" in reason


def test_without_a_context_a_request_is_refused(sts):
    apply(sts, "scenario12")
    # Secured as the bootstrap asks, but sent as a token request: the context is missing.
    sent = wc.symmetric_request(rst(), service_cert=sts.service_certificate, encrypt_body=True)
    code, reason = fault(post(sts.endpoint, sts, sent.envelope))
    assert code == f"{{{ns.WSSE}}}InvalidSecurity" and "security context" in reason
    # An RST/SCT without the bootstrap's protection gets no context.
    bare = etree.tostring(wc.envelope(sc.sct_request(sc.new_entropy())))
    code, _ = fault(post(sts.endpoint, sts, bare, sc.ACTION))
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"


def test_a_context_cannot_cancel_another_one(sts):
    apply(sts, "scenario11")
    mine, theirs = bootstrap(sts, "scenario11"), bootstrap(sts, "scenario11")
    sent = sc.secured(sc.control_request("cancel", theirs.identifier), mine, sign=True,
                      encrypt=True)
    code, reason = fault(post(sts.endpoint, sts, sent.envelope, sc.ACTIONS["cancel"]))
    assert code == BAD_CONTEXT and "other than the one" in reason
    assert token_request(sts, "scenario11", theirs).status_code == 200


def test_a_disabled_user_loses_the_contexts_they_hold(sts):
    apply(sts, "scenario15")
    context = bootstrap(sts, "scenario15")
    store = sts.server.bootstrap.store
    user = store.users.get(ALICE[0])
    assert token_request(sts, "scenario15", context).status_code == 200
    store.users.update(user.user_id, active=False)
    try:
        code, _ = fault(token_request(sts, "scenario15", context))
        assert code == f"{{{ns.WSSE}}}FailedAuthentication"
    finally:
        store.users.update(user.user_id, active=True)


def test_a_context_issued_by_one_node_is_accepted_by_another(sts, tmp_path_factory):
    """Two STS instances on one database (each with its own data directory and TLS
    certificate): the context the first issued protects requests to the second, and a
    cancellation on the second is seen by the first."""
    apply(sts, "scenario11")
    database = sts.server.bootstrap.store.engine.url.render_as_string(hide_password=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_VAR, KEYSTORE_PASSWORD)
        with live_server.running_sts(tmp_path_factory.mktemp("sc-second-node"), ADMIN[1],
                                     database_url=database) as second:
            other = Sts(second, sts.admin, sts.client, sts.client, sts.stranger, sts.client)
            context = bootstrap(sts, "scenario11")
            answer = token_request(other, "scenario11", context)
            assert answer.status_code == 200, answer.text[:800]
            assert subject_of(issued_assertion(wc.check_response(
                answer.content, session_key=context.key).body)) == expected_subject(
                    sts, "scenario11")
            sent = sc.secured(sc.control_request("cancel", context.identifier), context,
                              sign=True, encrypt=True)
            assert post(other.endpoint, other, sent.envelope, sc.ACTIONS["cancel"]).status_code == 200
            code, _ = fault(token_request(sts, "scenario11", context))
            assert code == BAD_CONTEXT
