"""Scenarios 2-8 over real HTTPS: X.509-signed, encrypted and EncryptedKey-protected requests.

The requests are built by ``tests.helpers.wss_client`` (python-xmlsec and ``cryptography``
directly, as a Rampart client lays them out), applied through the admin API as an
administrator would, and every answer is decrypted and its signature checked by the same
independent helper, never by the engine under test.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.certificates import SigningIdentity
from stsdesk.core.saml import signature_position
from stsdesk.core.soap import SoapVersion, parse_fault
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.core.xmldsig import sign_enveloped
from stsdesk.server.model import RelyingParty, TokenStatus
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.trust_client import Credentials, TrustClient
from tests.helpers import live_server
from tests.helpers import wss_client as wc

ADMIN = ("admin", "Adm1n-msgsec-e2e")
ALICE = ("alice", "Al1ce-signs-and-encrypts")
RP = "https://rp.example.org/msgsec"
SAML2 = "{urn:oasis:names:tc:SAML:2.0:assertion}"


def _certificate(name: str, *, issuer: SigningIdentity | None = None, ca: bool = False,
                 days: int = 30, start_days_ago: int = 1) -> SigningIdentity:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Clients")])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=start_days_ago))
        .not_valid_after(now - dt.timedelta(days=start_days_ago) + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    cert = builder.sign(issuer.private_key if issuer else key, hashes.SHA256())
    return SigningIdentity(private_key=key, certificate=cert)


@dataclass(frozen=True)
class Applied:
    """What the applied policy, as the WSDL publishes it, asks of a client (read with XPath
    here, apart from the engine's own policy model)."""

    sha256: bool
    derived: str | None  # the WS-SecureConversation namespace for derived keys, or None
    encrypted_body: bool
    encrypt_signature: bool
    signed_supporting: bool

    @property
    def suite(self) -> wc.Suite:
        return wc.Suite.basic256_sha256() if self.sha256 else wc.Suite.basic256()

    @classmethod
    def read(cls, wsdl: bytes) -> Applied:
        root = etree.fromstring(wsdl)

        def has(name: str) -> bool:
            return bool(root.xpath(f"//*[local-name()='{name}']"))
        sp = {etree.QName(e).namespace for e in root.xpath("//*[local-name()='AlgorithmSuite']")}
        derived = None
        if has("RequireDerivedKeys"):
            derived = wc.WSC if ns.SP_12 in sp else wc.WSC_2005
        return cls(sha256=has("Basic256Sha256"), derived=derived,
                   encrypted_body=bool(root.xpath(
                       "//*[local-name()='EncryptedParts']/*[local-name()='Body']")),
                   encrypt_signature=has("EncryptSignature"),
                   signed_supporting=has("SignedSupportingTokens"))


@dataclass
class Sts(live_server.OwnSts):
    client: SigningIdentity  # in the trust store
    ca_issued: SigningIdentity  # issued by a CA that is in the trust store
    stranger: SigningIdentity  # nowhere in the trust store
    expired: SigningIdentity  # in the trust store, expired
    policy: Applied | None = None  # the applied policy's demands, read from the WSDL

    def apply(self, scenario: str, **extra) -> None:
        body = {"scenarioId": scenario, "trustedKeystores": ["wso2carbon.jks"],
                "privateKeystore": "wso2carbon.jks", **extra}
        answer = self.admin.put(self.server.url + "/api/server/v1/sts/security", json=body,
                                timeout=30, verify=str(self.server.ca_file))
        assert answer.status_code == 200, answer.text
        wsdl = self.admin.get(self.endpoint + "?wsdl", timeout=30,
                              verify=str(self.server.ca_file))
        assert wsdl.status_code == 200
        self.policy = Applied.read(wsdl.content)

    def signed(self, signer: SigningIdentity | None = None, *,
               certificate: x509.Certificate | None = None,
               encrypt_for: x509.Certificate | None = None,
               assertion: etree._Element | None = None, **options: Any) -> wc.Sent:
        """An RST signed as a WSO2 client signs it under the applied asymmetric policy (its
        algorithm suite unless ``suite`` is given): by ``signer`` (the trusted client unless
        said), sending ``certificate`` (the signer's unless said); encrypted for
        ``encrypt_for`` (as the policy says of the signature) when given; ``assertion`` as a
        supporting token, signed when the policy asks. ``options`` go to asymmetric_request."""
        signer = signer or self.client
        assert self.policy is not None, "apply a scenario first"
        options.setdefault("suite", self.policy.suite)
        if encrypt_for is not None:
            options.update(service_cert=encrypt_for,
                           encrypt_signature=self.policy.encrypt_signature)
        if assertion is not None:
            options.update(assertion=assertion, sign_assertion=self.policy.signed_supporting)
        return wc.asymmetric_request(rst(), client_key=signer.private_key,  # type: ignore[arg-type]
                                     client_cert=certificate or signer.certificate, **options)


@pytest.fixture(scope="module")
def sts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sts]:
    with live_server.running_sts(tmp_path_factory.mktemp("msgsec-sts"), ADMIN[1]) as server:
        store = server.bootstrap.store
        store.roles.create("signers")
        store.users.create(ALICE[0], ALICE[1], roles=["signers"])
        live_server.add_relying_party(store, "msgsec-rp", RP)
        client = _certificate("client-one")
        ca = _certificate("Example Client CA", ca=True, days=365)
        ca_issued = _certificate("client-two", issuer=ca)
        expired = _certificate("client-expired", days=2, start_days_ago=10)
        for alias, identity in (("client-one", client), ("client-ca", ca),
                                ("client-expired", expired)):
            store.keys.add_trusted_certificate(alias, identity.certificate.public_bytes(
                Encoding.DER))
        with live_server.admin_session(ADMIN) as admin:
            yield Sts(server, admin, client, ca_issued, _certificate("stranger"), expired)


def rst() -> etree._Element:
    return build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                         key_type=KeyType.BEARER, applies_to=RP)


def issued_assertion(body: etree._Element) -> etree._Element:
    found = body.find(f".//{SAML2}Assertion")
    assert found is not None, etree.tostring(body)[:400]
    return found


def subject_of(assertion: etree._Element) -> str:
    return "".join(assertion.find(f"{SAML2}Subject/{SAML2}NameID").itertext())


def fault(answer: requests.Response) -> tuple[str, str]:
    assert answer.status_code in (400, 500), answer.text[:300]
    return parse_fault(answer.content)


# -- scenario 2: the client signs, the STS answers signed -----------------------------------

def test_scenario2_a_signed_request_gets_a_token_for_the_certificate_subject(sts):
    sts.apply("scenario2")
    sent = sts.signed()
    answer = sts.post(sent.envelope)
    assert answer.status_code == 200, answer.text[:600]
    checked = wc.check_response(answer.content, service_cert=sts.service_certificate)
    assert not checked.body_was_encrypted
    body_id = etree.fromstring(answer.content).find(f"{{{ns.SOAP12}}}Body").get(
        f"{{{ns.WSU}}}Id")
    assert body_id in checked.signed_ids
    assert subject_of(issued_assertion(checked.body)) == (
        sts.client.certificate.subject.rfc4514_string())


def test_scenario2_a_certificate_issued_by_a_trusted_ca_is_accepted(sts):
    sts.apply("scenario2")
    sent = sts.signed(sts.ca_issued)
    answer = sts.post(sent.envelope)
    assert answer.status_code == 200, answer.text[:600]


@pytest.mark.parametrize("who", ["stranger", "expired"])
def test_scenario2_untrusted_or_expired_certificates_are_refused(sts, who):
    sts.apply("scenario2")
    identity = getattr(sts, who)
    sent = sts.signed(identity)
    code, reason = fault(sts.post(sent.envelope))
    assert code == f"{{{ns.WSSE}}}FailedAuthentication"
    assert ("expired" if who == "expired" else "not trusted") in reason


def test_scenario2_an_altered_body_fails_the_signature_check(sts):
    sts.apply("scenario2")
    sent = sts.signed()
    altered = sent.envelope.replace(RP.encode(), b"https://rp.example.org/other")
    code, reason = fault(sts.post(altered))
    assert code == f"{{{ns.WSSE}}}FailedCheck"
    assert "does not verify" in reason


def test_scenario2_a_body_re_signed_with_another_key_is_refused(sts):
    sts.apply("scenario2")
    # The stranger signs, but claims to be the trusted client by sending its certificate.
    sent = sts.signed(sts.stranger, certificate=sts.client.certificate)
    code, _ = fault(sts.post(sent.envelope))
    assert code == f"{{{ns.WSSE}}}FailedCheck"


def test_scenario2_an_unsigned_body_is_refused(sts):
    sts.apply("scenario2")
    sent = sts.signed(sign_body=False)
    code, reason = fault(sts.post(sent.envelope))
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"
    assert "SOAP Body is not signed" in reason


def test_scenario2_a_wrapped_signature_does_not_smuggle_a_second_body(sts):
    sts.apply("scenario2")
    sent = sts.signed()
    env = etree.fromstring(sent.envelope)
    body = env.find(f"{{{ns.SOAP12}}}Body")
    # The signed Body moves into a header; a forged Body takes its place with the same Id.
    wrapper = etree.SubElement(env.find(f"{{{ns.SOAP12}}}Header"), "{urn:x}Wrapper")
    wrapper.append(copy.deepcopy(body))
    forged = body[0]
    forged.find(f".//{{{ns.WSA_2005}}}Address").text = "https://evil.example.org/"
    code, reason = fault(sts.post(etree.tostring(env)))
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"
    assert "appears more than once" in reason


def test_scenario2_a_replayed_message_is_refused(sts):
    sts.apply("scenario2")
    sent = sts.signed()
    assert sts.post(sent.envelope).status_code == 200
    code, reason = fault(sts.post(sent.envelope))
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"
    assert "already received" in reason


def test_scenario2_a_timestamp_without_expires_lives_for_the_ttl_and_is_not_replayed(sts):
    """Without wsu:Expires, Created bounds the message's life (skew + WSS4J's 300 s TTL); a fresh
    one is accepted once and its replay refused."""
    sts.apply("scenario2")
    stale = sts.signed(
        expires=False,
        # ten minutes (and a second) ago: past the default 300 s skew plus the 300 s TTL
        now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10, seconds=1))
    code, reason = fault(sts.post(stale.envelope))
    assert code == f"{{{ns.WSSE}}}MessageExpired"
    assert "no Expires" in reason
    fresh = sts.signed(expires=False)
    assert sts.post(fresh.envelope).status_code == 200
    code, reason = fault(sts.post(fresh.envelope))
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"
    assert "already received" in reason


def test_scenario2_a_username_token_alone_is_not_enough(sts):
    sts.apply("scenario2")
    envelope = wc.envelope(rst())
    code, reason = fault(sts.post(etree.tostring(envelope)))
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"
    assert "no wsse:Security header" in reason


# -- scenario 5: signed and encrypted both ways -----------------------------------------------

def test_scenario5_sign_and_encrypt_both_ways(sts):
    sts.apply("scenario5")
    sent = sts.signed(encrypt_for=sts.service_certificate)
    assert RP.encode() not in sent.envelope
    answer = sts.post(sent.envelope)
    assert answer.status_code == 200, answer.text[:600]
    assert b"Assertion" not in answer.content  # the answer's body is encrypted
    checked = wc.check_response(answer.content, service_cert=sts.service_certificate,
                                client_key=sts.client.private_key)
    assert checked.body_was_encrypted
    assert subject_of(issued_assertion(checked.body)) == (
        sts.client.certificate.subject.rfc4514_string())


def test_scenario5_an_unencrypted_body_is_refused(sts):
    sts.apply("scenario5")
    sent = sts.signed()
    code, reason = fault(sts.post(sent.envelope))
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"
    assert "not encrypted" in reason


def test_scenario5_a_tampered_ciphertext_is_refused(sts):
    sts.apply("scenario5")
    sent = sts.signed(encrypt_for=sts.service_certificate)
    env = etree.fromstring(sent.envelope)
    cipher = env.find(f"{{{ns.SOAP12}}}Body//{{{ns.XENC}}}CipherValue")
    raw = bytearray(base64.b64decode(cipher.text))
    raw[40] ^= 0x01  # a bit in the second block: CBC garbles the plaintext it covers
    cipher.text = base64.b64encode(bytes(raw)).decode()
    code, _ = fault(sts.post(etree.tostring(env)))
    assert code == f"{{{ns.WSSE}}}FailedCheck"


def test_scenario5_a_key_encrypted_for_another_certificate_is_refused(sts):
    sts.apply("scenario5")
    sent = sts.signed(encrypt_for=sts.stranger.certificate)
    code, reason = fault(sts.post(sent.envelope))
    assert code in (f"{{{ns.WSSE}}}FailedCheck", f"{{{ns.WSSE}}}SecurityTokenUnavailable")
    assert "key" not in reason.lower() or "private" not in reason.lower()


# -- scenarios 3, 4, 6, 7, 8: the symmetric binding -------------------------------------------
# The applied policies require derived keys (WS-SecureConversation 1.3 with WS-SecurityPolicy
# 1.2); the answer is protected with keys derived from the request's EncryptedKey.

SYMMETRIC = {
    "scenario3": {},
    "scenario4": {},
    "scenario6": {},
    "scenario7": {"username": ALICE},
    "scenario8": {"username": ALICE},
}
ROLES = {"scenario7": ["signers"], "scenario8": ["signers"]}


def symmetric(sts, scenario: str, **overrides) -> wc.Sent:
    """A request for the applied symmetric scenario, protected as its policy asks."""
    policy = sts.policy
    options = {"derived": policy.derived, "encrypt_body": policy.encrypted_body,
               "encrypt_signature": policy.encrypt_signature, **SYMMETRIC[scenario],
               **overrides}
    return wc.symmetric_request(rst(), service_cert=sts.service_certificate,
                                suite=policy.suite, **options)


@pytest.mark.parametrize("scenario", sorted(SYMMETRIC))
def test_symmetric_scenarios_issue_and_protect_the_answer_with_the_request_key(sts, scenario):
    sts.apply(scenario, **({"allowedRoles": ROLES[scenario]} if scenario in ROLES else {}))
    sent = symmetric(sts, scenario)
    if sts.policy.encrypted_body:
        assert RP.encode() not in sent.envelope
    answer = sts.post(sent.envelope)
    assert answer.status_code == 200, answer.text[:600]
    envelope = etree.fromstring(answer.content)
    derived = envelope.find(f".//{{{sts.policy.derived}}}DerivedKeyToken")
    assert (derived is not None) == (sts.policy.derived is not None)
    checked = wc.check_response(answer.content, session_key=sent.session_key)
    assert checked.body_was_encrypted == sts.policy.encrypted_body
    subject = subject_of(issued_assertion(checked.body))
    assert subject == ("alice" if "username" in SYMMETRIC[scenario] else "wso2.anonymous.user")


@pytest.mark.parametrize("scenario", ["scenario7", "scenario8"])
def test_symmetric_username_scenarios_refuse_a_missing_or_wrong_username_token(sts, scenario):
    sts.apply(scenario, allowedRoles=ROLES[scenario])
    code, reason = fault(sts.post(symmetric(sts, scenario, username=None).envelope))
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"
    assert "no wsse:UsernameToken" in reason
    wrong = symmetric(sts, scenario, username=(ALICE[0], "not-her-password"))
    code, reason = fault(sts.post(wrong.envelope))
    assert code.endswith("FailedAuthentication")
    assert "not-her-password" not in reason


def test_symmetric_a_tampered_body_and_a_replay_are_refused(sts):
    sts.apply("scenario6")
    sent = symmetric(sts, "scenario6")
    env = etree.fromstring(sent.envelope)
    cipher = env.find(f"{{{ns.SOAP12}}}Body//{{{ns.XENC}}}CipherValue")
    raw = bytearray(base64.b64decode(cipher.text))
    raw[-20] ^= 0x01
    cipher.text = base64.b64encode(bytes(raw)).decode()
    code, _ = fault(sts.post(etree.tostring(env)))
    assert code == f"{{{ns.WSSE}}}FailedCheck"
    fresh = symmetric(sts, "scenario6")
    assert sts.post(fresh.envelope).status_code == 200
    code, reason = fault(sts.post(fresh.envelope))
    assert "already received" in reason


# -- scenarios 33 and 34: an X.509 client presents a SAML token for its user -------------------

def _token_for_alice(sts, token_type: str, key_type: KeyType = KeyType.BEARER,
                     applies_to: str = RP, credentials: tuple[str, str] = ALICE,
                     ) -> tuple[etree._Element, bytes | None]:
    """A token issued under scenario 1 (UsernameToken over HTTPS) to alice (or ``credentials``)."""
    sts.apply("scenario1", allowedRoles=["signers"])
    request = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=token_type,
                            key_type=key_type, applies_to=applies_to)
    trust = TrustPolicy(ca_file=str(sts.server.ca_file))
    with TrustClient(sts.endpoint, trust=trust) as client:
        exchange = client.send(request, trust_version=TrustVersion.WST_13,
                               request_type=RequestType.ISSUE, soap_version=SoapVersion.SOAP12,
                               credentials=Credentials(*credentials))
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    return copy.deepcopy(exchange.response.token), exchange.response.proof_secret


def _signed_by_stranger(assertion: etree._Element, stranger: SigningIdentity) -> etree._Element:
    forged = copy.deepcopy(assertion)
    for signature in forged.findall(f"{{{ns.DS}}}Signature"):
        forged.remove(signature)
    id_attribute = "ID" if forged.tag == f"{SAML2}Assertion" else "AssertionID"
    sign_enveloped(forged, stranger, id_attribute=id_attribute,
                   position=signature_position(forged))
    return forged


SUPPORTING = {"scenario33": ns.TOKEN_SAML20, "scenario34": ns.TOKEN_SAML11}


@pytest.mark.parametrize("scenario", sorted(SUPPORTING))
def test_saml_supporting_token_scenarios_issue_for_the_user_the_token_names(sts, scenario):
    assertion, _ = _token_for_alice(sts, SUPPORTING[scenario])
    sts.apply(scenario)

    def send(token: etree._Element) -> requests.Response:
        sent = sts.signed(encrypt_for=sts.service_certificate, assertion=token)
        return sts.post(sent.envelope)

    answer = send(assertion)
    assert answer.status_code == 200, answer.text[:600]
    checked = wc.check_response(answer.content, service_cert=sts.service_certificate,
                                client_key=sts.client.private_key)
    assert subject_of(issued_assertion(checked.body)) == ALICE[0]

    code, reason = fault(send(_signed_by_stranger(assertion, sts.stranger)))
    assert code == f"{{{ns.WSSE}}}FailedAuthentication"
    assert "not from a trusted issuer" in reason


def test_a_cancelled_saml_token_is_refused(sts):
    assertion, _ = _token_for_alice(sts, ns.TOKEN_SAML20)
    sts.server.bootstrap.store.tokens.set_status(assertion.get("ID"), TokenStatus.CANCELLED)
    sts.apply("scenario33")
    sent = sts.signed(encrypt_for=sts.service_certificate, assertion=assertion)
    code, reason = fault(sts.post(sent.envelope))
    assert code == f"{{{ns.WSSE}}}FailedAuthentication"
    assert "cancelled" in reason


def _supporting_request(sts, assertion: etree._Element) -> requests.Response:
    """Under the applied scenario 33/34: the trusted client signs and presents ``assertion``."""
    sent = sts.signed(encrypt_for=sts.service_certificate, assertion=assertion)
    return sts.post(sent.envelope)


def test_an_assertion_signed_by_a_trusted_client_certificate_is_refused(sts):
    # The scenario 33 client's certificate is in the trusted keystore; its key must not let it
    # vouch for any user, least of all the administrator.
    assertion, _ = _token_for_alice(sts, ns.TOKEN_SAML20)
    name_id = assertion.find(f"{SAML2}Subject/{SAML2}NameID")
    name_id.text = ADMIN[0]
    sts.apply("scenario33")
    code, reason = fault(_supporting_request(sts, _signed_by_stranger(assertion, sts.client)))
    assert code == f"{{{ns.WSSE}}}FailedAuthentication"
    assert "SAML tokens from other issuers are not accepted on this STS" in reason


def test_an_assertion_for_a_disabled_user_is_refused(sts):
    store = sts.server.bootstrap.store
    carol = ("carol", "Car0l-is-disabled-later")
    store.users.create(carol[0], carol[1], roles=["signers"])
    assertion, _ = _token_for_alice(sts, ns.TOKEN_SAML20, credentials=carol)
    store.users.update(store.users.get(carol[0]).user_id, active=False)
    sts.apply("scenario33")
    code, reason = fault(_supporting_request(sts, assertion))
    assert code == f"{{{ns.WSSE}}}FailedAuthentication"
    assert "user name or password is wrong" in reason


def test_an_assertion_for_a_user_without_an_allowed_role_is_refused(sts):
    store = sts.server.bootstrap.store
    if "auditors" not in store.roles.names():
        store.roles.create("auditors")
    assertion, _ = _token_for_alice(sts, ns.TOKEN_SAML20)
    sts.apply("scenario33", allowedRoles=["auditors"])
    _, reason = fault(_supporting_request(sts, assertion))
    assert "not authorised" in reason


# -- scenarios 31 and 32: the client proves the key of a holder-of-key token from this STS ----

PROTECTION = {"scenario31": ns.TOKEN_SAML20, "scenario32": ns.TOKEN_SAML11}


def encrypt_for(sts) -> x509.Certificate | None:
    return sts.service_certificate if sts.policy.encrypted_body else None


@pytest.fixture(scope="module")
def sts_audience(sts) -> str:
    """A relying party that is this STS itself: proof keys are encrypted for its certificate."""
    store = sts.server.bootstrap.store
    store.keys.add_trusted_certificate("sts-self", sts.service_certificate.public_bytes(
        Encoding.DER))
    app_id = store.applications.create("sts-self")
    store.applications.set_relying_party(app_id, RelyingParty(
        "", "", sts.endpoint, certificate_alias="sts-self", encrypt_token=False))
    return sts.endpoint


@pytest.mark.parametrize("scenario", sorted(PROTECTION))
def test_holder_of_key_scenarios_sign_with_the_tokens_proof_key(sts, sts_audience, scenario):
    assertion, proof = _token_for_alice(sts, PROTECTION[scenario], KeyType.SYMMETRIC,
                                        applies_to=sts_audience)
    assert proof is not None
    sts.apply(scenario)
    sent = wc.holder_of_key_request(rst(), assertion=assertion, proof_key=proof,
                                    service_cert=encrypt_for(sts), suite=sts.policy.suite)
    answer = sts.post(sent.envelope)
    assert answer.status_code == 200, answer.text[:600]
    checked = wc.check_response(answer.content, service_cert=sts.service_certificate,
                                session_key=proof)
    assert subject_of(issued_assertion(checked.body)) == ALICE[0]

    # The same token with a proof key the client does not hold: the signature fails.
    wrong = wc.holder_of_key_request(rst(), assertion=assertion, proof_key=bytes(32),
                                     service_cert=encrypt_for(sts), suite=sts.policy.suite)
    code, _ = fault(sts.post(wrong.envelope))
    assert code == f"{{{ns.WSSE}}}FailedCheck"

    # The token re-signed by an issuer the STS does not trust: refused though the key is right.
    forged = wc.holder_of_key_request(rst(), assertion=_signed_by_stranger(assertion, sts.stranger),
                                      proof_key=proof, service_cert=encrypt_for(sts),
                                      suite=sts.policy.suite)
    code, reason = fault(sts.post(forged.envelope))
    assert code == f"{{{ns.WSSE}}}FailedAuthentication"
    assert "not from a trusted issuer" in reason


def test_the_administrators_suite_choice_is_what_the_sts_enforces(sts):
    sts.apply("scenario2", algorithmSuite="Basic256Sha256")
    assert sts.policy.sha256  # the WSDL publishes the chosen suite ...
    weak = sts.signed(suite=wc.Suite.basic256())
    code, reason = fault(sts.post(weak.envelope))  # ... and SHA-1 digests are refused
    assert code == f"{{{ns.WSSE}}}UnsupportedAlgorithm"
    assert "sha256" in reason
    strong = sts.signed()
    assert sts.post(strong.envelope).status_code == 200
    sts.apply("scenario2")  # WSO2's Basic256 again: the SHA-1 client is served
    again = sts.signed(suite=wc.Suite.basic256())
    assert sts.post(again.envelope).status_code == 200


def test_the_replay_cache_remembers_a_signature_while_its_timestamp_can_pass():
    """Created + TTL + skew without Expires, Expires + skew with it (whichever is later), never
    less than now + 2 x skew: a replay cannot outlive its entry."""
    from types import SimpleNamespace

    from stsdesk.core.wssecurity import Timestamp
    from stsdesk.server.sts.message_security import MessageSecurity

    remembered: list[dt.datetime] = []
    logins = SimpleNamespace(remember_nonce=lambda _n, until: remembered.append(until) or True)
    security = MessageSecurity(SimpleNamespace(logins=logins), keystore=None)
    now = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)

    def window(timestamp: Timestamp | None) -> dt.datetime:
        result = SimpleNamespace(timestamp=timestamp, signature_values=(b"sig",),
                                 request_key=None)
        security._refuse_replay(result, now, 300)
        return remembered[-1]

    assert window(None) == now + dt.timedelta(seconds=600)
    created = now + dt.timedelta(seconds=200)  # a client clock ahead, within the skew
    assert window(Timestamp(created, None)) == created + dt.timedelta(seconds=600)
    assert window(Timestamp(now, now + dt.timedelta(hours=1))) == now + dt.timedelta(
        hours=1, seconds=300)
