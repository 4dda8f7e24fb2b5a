"""The test client under WS-SecureConversation (9-15) against a real embedded STS over HTTPS: a
security context obtained under the bootstrap policy with the keys the scenario asks for, the
token request protected with keys derived from it, the verdict on the answer, and the context
reused for the token's Validate and cancelled with the token."""

from __future__ import annotations

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.wssec.header_report import Check
from stsdesk.services.message_security import MessageSecurity
from stsdesk.services.secure_conversation import cancel_context
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.token_session import TokenRequestOptions, TokenSession
from stsdesk.services.trust_client import TrustClient
from tests.services.conftest import ADMIN_PASSWORD
from tests.services.test_message_security import (  # noqa: F401 - fixtures
    RP,
    admin,
    apply,
    client_key,
    p12,
    security_for,
    service_certificate,
)

_SCT = f"{{{ns.WSC_2005}}}SecurityContextToken"
_DKT = f"{{{ns.WSC_2005}}}DerivedKeyToken"
_XENC_KEY = "{http://www.w3.org/2001/04/xmlenc#}EncryptedKey"
_BST = f"{{{ns.WSSE}}}BinarySecurityToken"
_USERNAME = f"{{{ns.WSSE}}}UsernameToken"


def options(server, security: MessageSecurity, **changes) -> TokenRequestOptions:
    values = {"endpoint": server.url + "/services/wso2carbon-sts", "username": "admin",
              "password": ADMIN_PASSWORD, "tls": TrustPolicy(ca_file=str(server.ca_file)),
              "message_security": security, "applies_to": RP, **changes}
    return TokenRequestOptions(**values)


def header_tags(envelope: bytes) -> list[str]:
    security = etree.fromstring(envelope).find(f".//{{{ns.WSSE}}}Security")
    assert security is not None
    return [child.tag for child in security]


@pytest.mark.parametrize("scenario, subject", [
    ("scenario9", "test-client-signer"),
    ("scenario10", "test-client-signer"),
    ("scenario11", "test-client-signer"),
    ("scenario12", "wso2.anonymous.user"),
    ("scenario13", "wso2.anonymous.user"),
    ("scenario14", "admin"),
    ("scenario15", "admin"),
])
def test_a_token_under_a_context_from_the_bootstrap(server, admin, p12,  # noqa: F811
                                                   scenario, subject):
    apply(admin, scenario)
    security = security_for(admin, p12)
    assert security.uses_context
    with TokenSession(options(server, security)) as session:
        result = session.issue()
        assert result.ok, (result.fault_code, result.fault_reason, result.error)
        # The context came first, under the bootstrap policy and its keys.
        (step,) = result.context_steps
        assert step.ok and step.context is not None
        assert step.context.identifier.startswith("urn:uuid:") and step.context.bits == 256
        assert step.security.verdict.ok, step.security.verdict.lines()
        bootstrap_sent = header_tags(step.exchange.request_bytes)
        number = int(scenario.removeprefix("scenario"))
        if number <= 11:  # signed with the client's key, for the STS's key
            assert f"{{{ns.DS}}}Signature" in bootstrap_sent and _XENC_KEY in bootstrap_sent
        else:  # a key wrapped for the STS; 14 adds the user's UsernameToken
            assert _XENC_KEY in bootstrap_sent
            assert (_USERNAME in bootstrap_sent) is (number >= 14)
        # The token request is protected with keys derived from the context, nothing else.
        sent = header_tags(result.exchange.request_bytes)
        assert _SCT in sent and sent.count(_DKT) == 2  # one to sign, one to encrypt
        assert _XENC_KEY not in sent and _BST not in sent and _USERNAME not in sent
        assert subject in (result.decoded.subject.name_id or "")
        verdict = result.security.verdict
        assert verdict.ok, "\n".join(verdict.lines())
        assert verdict.report.signatures and all(
            s.status is Check.VALID and "security context" in s.key
            for s in verdict.report.signatures), verdict.lines()
        assert session.context == step.context


def test_the_context_serves_validate_and_goes_with_the_cancelled_token(server, admin, p12):  # noqa: F811
    apply(admin, "scenario9")
    security = security_for(admin, p12)
    opts = options(server, security)
    with TokenSession(opts) as session:
        issued = session.issue()
        assert issued.ok, issued.fault_reason
        context = session.context
        validated = session.validate()
        assert validated.ok and validated.valid is True, validated.fault_reason
        assert validated.context_steps == ()  # no second bootstrap: the same context
        assert validated.security.verdict.ok, validated.security.verdict.lines()
        cancelled = session.cancel()
        assert cancelled.ok and cancelled.cancelled
        (step,) = cancelled.context_steps
        assert step.operation == "Cancel" and step.ok, step.error
        assert session.context is None
    # The STS itself forgot it: cancelling it again is refused.
    with TrustClient(opts.endpoint, trust=opts.tls) as client:
        again = cancel_context(client, opts.endpoint, security, context)
    assert not again.ok and "BadContextToken" in again.error and "cancelled" in again.error


def test_the_same_settings_loaded_again_keep_the_context(server, admin, p12):  # noqa: F811
    apply(admin, "scenario9")
    with TokenSession(options(server, security_for(admin, p12))) as session:
        assert session.issue().ok
        context = session.context
        # The page reads the key pair from its file again for each request.
        again = session.issue(options(server, security_for(admin, p12)))
        assert again.ok and again.context_steps == ()
        assert session.context == context


def test_other_settings_get_a_new_context_and_the_old_one_is_cancelled(server, admin, p12):  # noqa: F811
    apply(admin, "scenario12")
    first = security_for(admin, p12)
    with TokenSession(options(server, first)) as session:
        assert session.issue().ok
        old = session.context
        result = session.issue(options(server, first, username="someone-else"))
        assert result.ok, result.fault_reason
        cancelled, obtained = result.context_steps
        assert cancelled.operation == "Cancel" and cancelled.ok, cancelled.error
        assert obtained.context.identifier != old.identifier


def test_a_wrong_password_gets_no_context_and_says_why(server, admin, p12):  # noqa: F811
    apply(admin, "scenario14")
    with TokenSession(options(server, security_for(admin, p12), password="wrong")) as session:
        result = session.issue()
    assert not result.ok and result.error.startswith("No security context")
    assert "FailedAuthentication" in result.error
    assert result.exchange is not None  # the refused bootstrap is there to read
    assert session.context is None


def test_without_the_client_key_no_bootstrap_is_sent(server, admin):  # noqa: F811
    apply(admin, "scenario9")
    security = MessageSecurity.for_scenario("scenario9",
                                            service_certificate=service_certificate(admin))
    assert security.needs_client_certificate and security.needs_service_certificate
    with TokenSession(options(server, security)) as session, pytest.raises(
        InvalidRequestError, match="client certificate"
    ):
        session.issue()
