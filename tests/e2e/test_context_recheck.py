"""A security context stands for the certificate that obtained it only while that certificate
would still be accepted: over real HTTPS, with real keys, a context bootstrapped with a
CA-issued client certificate (scenario 11) is refused once the CA's CRL revokes the
certificate, once the CA that vouched for it expires, and once the certificate's mapping to a
user is removed (or made); the caller learns only that the context no longer holds, the log
says why. A context (and its renewal) ends no later than its certificate.

Everything is configured through the admin API and SCIM as an administrator would; requests
are built by ``tests.helpers.sc_client`` and ``wss_client``, apart from the engine.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from argon2 import PasswordHasher
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.soap import parse_fault
from stsdesk.server import passwords
from stsdesk.server.master_secret import ENV_VAR
from stsdesk.server.model import RelyingParty
from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from tests.e2e.test_certificate_trust import PATCH, SCIM, crl_of, der_b64
from tests.e2e.test_message_security import RP, issued_assertion, rst, subject_of
from tests.helpers import certfactory
from tests.helpers import sc_client as sc
from tests.helpers import wss_client as wc

ADMIN = ("admin", "Adm1n-ctxcheck-e2e")
API = "/api/server/v1"
CONTENT_TYPE = "application/soap+xml; charset=utf-8"
BAD_CONTEXT = f"{{{ns.WSC_2005}}}BadContextToken"
NO_LONGER = "no longer stands for its holder"


@dataclass
class Sts:
    server: BackgroundServer
    admin: requests.Session
    ca: certfactory.Issued  # a client CA in the trust store

    @property
    def endpoint(self) -> str:
        return self.server.url + "/services/wso2carbon-sts"

    @property
    def service_certificate(self) -> x509.Certificate:
        return self.server.bootstrap.keystore.signing_identity("wso2carbon").certificate

    def call(self, method: str, path: str, body: object = None, *,
             status: int | None = None) -> requests.Response:
        base = self.server.url + (path if path.startswith("/scim2") else API + path)
        answer = self.admin.request(method, base, json=body, timeout=30,
                                    verify=str(self.server.ca_file))
        if status is not None:
            assert answer.status_code == status, answer.text
        return answer

    def post(self, envelope: bytes, action: str | None = None) -> requests.Response:
        content_type = CONTENT_TYPE + (f'; action="{action}"' if action else "")
        return requests.post(self.endpoint, data=envelope, timeout=30,
                             verify=str(self.server.ca_file),
                             headers={"Content-Type": content_type})


@pytest.fixture(scope="module")
def sts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sts]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher",
                      PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        patch.setenv(ENV_VAR, "the keystore password of the ctxcheck STS")
        server = BackgroundServer(ServerSettings(
            data_dir=tmp_path_factory.mktemp("ctxcheck-sts"), port=0, admin_password=ADMIN[1]))
        server.start()
        try:
            store = server.bootstrap.store
            app_id = store.applications.create("ctxcheck-rp")
            store.applications.set_relying_party(
                app_id, RelyingParty("", "", RP, encrypt_token=False))
            ca = certfactory.issue("Ctxcheck Client CA", ca=True, path_length=0)
            with requests.Session() as admin:
                admin.auth = ADMIN
                sts = Sts(server, admin, ca)
                sts.call("POST", "/keystores/certs", {
                    "alias": "ctxcheck-client-ca",
                    "certificate": ca.certificate.public_bytes(Encoding.PEM).decode()},
                    status=201)
                sts.call("PUT", "/sts/security", {
                    "scenarioId": "scenario11", "trustedKeystores": ["wso2carbon.jks"],
                    "privateKeystore": "wso2carbon.jks"}, status=200)
                yield sts
        finally:
            server.stop()


@pytest.fixture
def no_crls(sts: Sts) -> Iterator[None]:
    yield
    for crl in sts.call("GET", "/keystores/crls", status=200).json():
        sts.call("DELETE", f"/keystores/crls/{crl['id']}", status=204)


def bootstrap(sts: Sts, client: certfactory.Issued) -> sc.Context:
    """A context obtained with an RST/SCT signed by ``client`` (scenario 11's bootstrap)."""
    entropy = sc.new_entropy()
    sent = wc.asymmetric_request(sc.sct_request(entropy), client_key=client.private_key,  # type: ignore[arg-type]
                                 client_cert=client.certificate,
                                 service_cert=sts.service_certificate)
    answer = sts.post(sent.envelope, sc.ACTION)
    assert answer.status_code == 200, answer.text[:800]
    checked = wc.check_response(answer.content, service_cert=sts.service_certificate,
                                client_key=client.private_key)  # type: ignore[arg-type]
    return sc.read_context(checked.body, entropy)


def token_request(sts: Sts, context: sc.Context) -> requests.Response:
    return sts.post(sc.secured(rst(), context, sign=True, encrypt=True).envelope)


def control(sts: Sts, kind: str, context: sc.Context) -> requests.Response:
    sent = sc.secured(sc.control_request(kind, context.identifier), context, sign=True,
                      encrypt=True)
    return sts.post(sent.envelope, sc.ACTIONS[kind])


def subject(sts: Sts, answer: requests.Response, context: sc.Context) -> str:
    assert answer.status_code == 200, answer.text[:800]
    return subject_of(issued_assertion(
        wc.check_response(answer.content, session_key=context.key).body))


def refused(answer: requests.Response) -> str:
    """The reason of a BadContextToken fault, checked to say nothing of why."""
    assert answer.status_code in (400, 500), answer.text[:600]
    code, reason = parse_fault(answer.content)
    assert code == BAD_CONTEXT, reason
    assert NO_LONGER in reason
    for detail in ("revoked", "expired", "mapped", "CN="):
        assert detail not in reason  # the why is for the administrator's log
    return reason


def test_a_context_whose_certificate_is_revoked_since_is_refused_on_every_use(
    sts: Sts, no_crls: None, caplog: pytest.LogCaptureFixture
) -> None:
    client, other = (certfactory.issue(name, issuer=sts.ca)
                     for name in ("revoked-laptop", "good-laptop"))
    context, kept = bootstrap(sts, client), bootstrap(sts, other)
    assert subject(sts, token_request(sts, context), context) == "CN=revoked-laptop"
    assert control(sts, "renew", context).status_code == 200

    sts.call("POST", "/keystores/crls", {"crl": crl_of(sts.ca, client.certificate)},
             status=201)

    with caplog.at_level(logging.WARNING, logger="stsdesk.server.sts"):
        refused(token_request(sts, context))
    assert any("bootstrap certificate 'CN=revoked-laptop'" in r.getMessage()
               and "revoked" in r.getMessage() for r in caplog.records)
    for kind in ("renew", "amend", "cancel"):
        refused(control(sts, kind, context))
    # The CA's other certificate keeps its context; a new bootstrap with the revoked one fails.
    assert subject(sts, token_request(sts, kept), kept) == "CN=good-laptop"
    entropy = sc.new_entropy()
    again = wc.asymmetric_request(sc.sct_request(entropy), client_key=client.private_key,  # type: ignore[arg-type]
                                  client_cert=client.certificate,
                                  service_cert=sts.service_certificate)
    code, _ = parse_fault(sts.post(again.envelope, sc.ACTION).content)
    assert code == f"{{{ns.WSSE}}}FailedCheck"
    entries = sts.call("GET", "/audit-logs?limit=30", status=200).json()["entries"]
    assert ("sts.certificate.revoked", "CN=revoked-laptop") in [
        (e["action"], e["target"]) for e in entries]


def test_a_context_ends_no_later_than_the_certificate_it_was_obtained_with(sts: Sts) -> None:
    now = dt.datetime.now(dt.UTC)
    brief = certfactory.issue("brief-laptop", issuer=sts.ca,
                              not_before=now - dt.timedelta(minutes=5),
                              not_after=now + dt.timedelta(seconds=4))
    context = bootstrap(sts, brief)
    ends = brief.certificate.not_valid_after_utc
    # The context ends when its certificate does, not an hour later; so does a renewal.
    assert dt.datetime.fromisoformat(context.expires.replace("Z", "+00:00")) <= ends
    renewed = control(sts, "renew", context)
    assert renewed.status_code == 200, renewed.text[:600]
    body = wc.check_response(renewed.content, session_key=context.key).body
    assert dt.datetime.fromisoformat(
        body.findtext(f".//{{{ns.WSU}}}Expires").replace("Z", "+00:00")) <= ends
    assert subject(sts, token_request(sts, context), context) == "CN=brief-laptop"
    _sleep_until(ends)
    code, reason = parse_fault(token_request(sts, context).content)
    assert code == BAD_CONTEXT and "expired" in reason


def test_a_context_ends_when_the_ca_that_vouched_for_its_certificate_expires(
    sts: Sts, caplog: pytest.LogCaptureFixture
) -> None:
    now = dt.datetime.now(dt.UTC)
    brief_ca = certfactory.issue("Brief Client CA", ca=True, path_length=0,
                                 not_before=now - dt.timedelta(minutes=5),
                                 not_after=now + dt.timedelta(seconds=5))
    sts.call("POST", "/keystores/certs", {
        "alias": "ctxcheck-brief-ca",
        "certificate": brief_ca.certificate.public_bytes(Encoding.PEM).decode()}, status=201)
    try:
        laptop = certfactory.issue("vouched-laptop", issuer=brief_ca)  # valid for long
        context = bootstrap(sts, laptop)
        assert subject(sts, token_request(sts, context), context) == "CN=vouched-laptop"
        _sleep_until(brief_ca.certificate.not_valid_after_utc)
        with caplog.at_level(logging.WARNING, logger="stsdesk.server.sts"):
            refused(token_request(sts, context))
        assert any("bootstrap certificate 'CN=vouched-laptop'" in r.getMessage()
                   and "not trusted" in r.getMessage() for r in caplog.records)
    finally:
        sts.call("DELETE", "/keystores/certs/ctxcheck-brief-ca", status=204)


def _sleep_until(moment: dt.datetime) -> None:
    time.sleep(max(0.0, (moment - dt.datetime.now(dt.UTC)).total_seconds()) + 1.5)


def test_removing_a_certificate_mapping_ends_the_users_contexts(sts: Sts) -> None:
    laptop = certfactory.issue("dana-laptop", issuer=sts.ca)
    dana = sts.call("POST", "/scim2/Users", {
        "schemas": [SCIM], "userName": "dana", "password": "Mapped-user-Pa55",
        "x509Certificates": [{"value": der_b64(laptop.certificate)}]}, status=201).json()
    context = bootstrap(sts, laptop)
    assert subject(sts, token_request(sts, context), context) == "dana"

    sts.call("PATCH", f"/scim2/Users/{dana['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "x509Certificates", "value": []}]}, status=200)

    refused(token_request(sts, context))
    refused(control(sts, "renew", context))
    # The certificate itself is still trusted: a new context stands for its subject.
    fresh = bootstrap(sts, laptop)
    assert subject(sts, token_request(sts, fresh), fresh) == "CN=dana-laptop"


def test_mapping_a_certificate_after_the_bootstrap_ends_the_subjects_context(sts: Sts) -> None:
    laptop = certfactory.issue("erin-laptop", issuer=sts.ca)
    context = bootstrap(sts, laptop)
    assert subject(sts, token_request(sts, context), context) == "CN=erin-laptop"
    sts.call("POST", "/scim2/Users", {
        "schemas": [SCIM], "userName": "erin", "password": "Mapped-user-Pa55",
        "x509Certificates": [{"value": der_b64(laptop.certificate)}]}, status=201)
    # The certificate now stands for erin: the context obtained as its subject does not.
    refused(token_request(sts, context))
    fresh = bootstrap(sts, laptop)
    assert subject(sts, token_request(sts, fresh), fresh) == "erin"


def test_a_context_stays_usable_while_its_certificate_holds(sts: Sts) -> None:
    laptop = certfactory.issue("steady-laptop", issuer=sts.ca)
    context = bootstrap(sts, laptop)
    for _ in range(2):
        assert subject(sts, token_request(sts, context), context) == "CN=steady-laptop"
    renewed = control(sts, "renew", context)
    assert renewed.status_code == 200, renewed.text[:600]
    body = wc.check_response(renewed.content, session_key=context.key).body
    assert body.findtext(f".//{{{ns.WSC_2005}}}Identifier") == context.identifier
    cancelled = control(sts, "cancel", context)
    assert cancelled.status_code == 200, cancelled.text[:600]
    assert etree.fromstring(cancelled.content) is not None
