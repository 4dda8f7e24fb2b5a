"""The test client's logic against a real embedded STS over HTTPS: every option, then V/R/C."""

from __future__ import annotations

import hashlib
import itertools
import socket
import threading

import pytest
from cryptography.hazmat.primitives import serialization

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.soap import SoapVersion
from stsdesk.core.tokeninfo import ProofKind, SignatureStatus
from stsdesk.core.wstrust import KeyType, RequestType, TokenType, TrustVersion
from stsdesk.services.errors import InputError
from stsdesk.services.tls import TrustPolicy, fetch_certificate
from stsdesk.services.token_keys import ClientKeyPairError
from stsdesk.services.token_session import (
    ClientKeyPair,
    ProofSource,
    TokenRequestOptions,
    TokenSession,
    load_client_key_pair,
)
from stsdesk.services.trust_client import MASK, Credentials, RequestCancelledError
from tests.e2e import conftest as e2e
from tests.e2e.conftest import ADMIN_PASSWORD, RP_ENCRYPTED, RP_HOK, RP_PLAIN

# The e2e suite's server (relying parties, users, claims), started once for this module too.
live_sts = e2e.live_sts


def _options(live, **changes) -> TokenRequestOptions:
    values = dict(
        endpoint=live.endpoint,
        username="admin",
        password=ADMIN_PASSWORD,
        applies_to=RP_PLAIN,
        tls=TrustPolicy(ca_file=str(live.ca_file)),
    )
    values.update(changes)
    return TokenRequestOptions(**values)


def _session(live, **changes) -> TokenSession:
    return TokenSession(
        _options(live, **changes),
        trusted={"wso2carbon": live.signing_certificate},
        known={"rp-cert": live.rp_identity.certificate},
    )


COMBOS = list(
    itertools.product(
        (SoapVersion.SOAP11, SoapVersion.SOAP12),
        (TrustVersion.WST_2005, TrustVersion.WST_13),
        (TokenType.SAML11, TokenType.SAML20),
    )
)


@pytest.mark.parametrize(("soap", "trust", "token_type"), COMBOS)
def test_bearer_issue_in_every_version_decodes_valid(live_sts, soap, trust, token_type):
    with _session(live_sts, soap_version=soap, trust_version=trust, token_type=token_type) as s:
        result = s.issue()
    assert result.ok, (result.fault_code, result.fault_reason, result.error)
    decoded = result.decoded
    assert decoded.signature.status is SignatureStatus.VALID, decoded.signature.reason
    assert decoded.signature.trusted_alias == "wso2carbon"
    assert decoded.version.value == ("1.1" if token_type is TokenType.SAML11 else "2.0")
    assert decoded.subject.name_id == "admin"
    assert decoded.conditions.audiences == (RP_PLAIN,)
    assert decoded.validity().state.value == "valid"
    assert result.proof.source is ProofSource.NONE
    assert result.exchange.status == 200
    assert result.exchange.elapsed_seconds > 0
    assert ADMIN_PASSWORD not in result.exchange.request_xml
    assert MASK in result.exchange.request_xml
    assert "RequestSecurityToken" in result.exchange.request_xml
    assert "RequestedSecurityToken" in result.exchange.response_xml
    assert s.current is result and s.history == (result,)


@pytest.mark.parametrize("entropy", [False, True])
@pytest.mark.parametrize("token_type", [TokenType.SAML11, TokenType.SAML20])
def test_symmetric_proof_key_matches_what_the_relying_party_sees(live_sts, entropy, token_type):
    session = _session(
        live_sts, key_type=KeyType.SYMMETRIC, client_entropy=entropy, applies_to=RP_HOK,
        token_type=token_type,
    )
    session.private_keys = (live_sts.rp_identity.private_key,)
    with session:
        result = session.issue()
    assert result.ok, (result.fault_code, result.fault_reason)
    proof = result.proof
    assert proof.source is (ProofSource.COMPUTED if entropy else ProofSource.SERVER)
    assert proof.size_bits == 256
    assert proof.matches_relying_party is True
    assert proof.key_sha256 == hashlib.sha256(proof.key).hexdigest()
    assert proof.key.hex() not in repr(proof)
    hok = result.decoded.holder_of_key
    assert hok.kind is ProofKind.SYMMETRIC and hok.recipient_alias == "rp-cert"
    assert "rp-cert" in proof.relying_party_view


def test_symmetric_without_the_relying_party_key_cannot_compare(live_sts):
    with _session(live_sts, key_type=KeyType.SYMMETRIC, applies_to=RP_HOK) as session:
        result = session.issue()
    assert result.ok
    assert result.proof.source is ProofSource.SERVER
    assert result.proof.matches_relying_party is None


def test_public_key_token_bound_to_client_certificate_and_encrypted(live_sts):
    client = ClientKeyPair(
        live_sts.client_identity.certificate, live_sts.client_identity.private_key
    )
    session = _session(
        live_sts, key_type=KeyType.PUBLIC, client_certificate=client, applies_to=RP_ENCRYPTED
    )
    session.private_keys = (live_sts.rp_identity.private_key,)
    with session:
        result = session.issue()
    assert result.ok, (result.fault_code, result.fault_reason)
    assert result.decoded.encryption.decrypted
    assert result.decoded.encryption.recipient_alias == "rp-cert"
    assert result.decoded.signature.status is SignatureStatus.VALID
    assert result.decoded.holder_of_key.kind is ProofKind.PUBLIC
    assert result.proof.source is ProofSource.CLIENT_CERTIFICATE
    assert result.proof.matches_relying_party is True
    assert "trusted-client" in result.proof.relying_party_view


def test_issue_validate_renew_cancel_cycle(live_sts):
    with _session(live_sts, token_type=TokenType.SAML11) as session:
        issued = session.issue()
        assert issued.ok
        validated = session.validate()
        assert validated.ok and validated.valid is True, validated.status_reason
        renewed = session.renew()
        assert renewed.ok, renewed.fault_reason
        assert renewed.decoded.assertion_id != issued.decoded.assertion_id
        assert renewed.decoded.signature.status is SignatureStatus.VALID
        assert session.current is renewed
        cancelled = session.cancel()
        assert cancelled.ok and cancelled.cancelled
        after = session.validate()
        assert after.valid is False
        assert "cancelled" in after.status_reason
        # the first token was replaced by the renewal
        session.use(issued)
        assert session.validate().valid is False
    actions = [r.action for r in session.history]
    assert actions == [
        RequestType.ISSUE, RequestType.VALIDATE, RequestType.RENEW, RequestType.CANCEL,
        RequestType.VALIDATE, RequestType.VALIDATE,
    ]
    assert "valid" in session.history[1].summary
    assert "refused" not in session.history[0].summary


def test_encrypted_token_is_validated_and_cancelled_by_reference(live_sts):
    with _session(live_sts, applies_to=RP_ENCRYPTED) as session:
        issued = session.issue()
        assert issued.ok
        assert not issued.decoded.readable
        assert issued.decoded.signature.status is SignatureStatus.NOT_CHECKED
        assert "'rp-cert'" in issued.decoded.encryption.reason
        validated = session.validate()
        assert validated.valid is True, validated.status_reason
        assert "by reference" in validated.status_reason
        assert "SecurityTokenReference" in validated.exchange.request_xml
        with pytest.raises(InvalidRequestError, match="encrypted for the relying party"):
            session.renew()
        assert session.cancel().cancelled


def test_encrypted_token_renewed_once_decrypted(live_sts):
    session = _session(live_sts, applies_to=RP_ENCRYPTED)
    session.private_keys = (live_sts.rp_identity.private_key,)
    with session:
        issued = session.issue()
        assert issued.decoded.readable
        renewed = session.renew()
    assert renewed.ok, renewed.fault_reason
    assert renewed.decoded.encryption.decrypted


def test_wrong_password_is_a_fault_and_no_token_in_hand(live_sts):
    with _session(live_sts, password="not-the-password") as session:
        result = session.issue()
    assert not result.ok
    assert result.fault_name == "FailedAuthentication"
    assert result.fault_reason
    assert result.exchange.status >= 400
    assert "not-the-password" not in result.exchange.request_xml
    assert session.current is None and session.history == (result,)
    assert "refused (FailedAuthentication)" in result.summary
    with pytest.raises(InvalidRequestError, match="no token in hand"):
        session.validate()


def test_password_digest_masked_nonce_shown(live_sts):
    with e2e.password_digest_allowed(live_sts, Credentials("admin", ADMIN_PASSWORD)), \
            _session(live_sts, password_digest=True) as session:
        result = session.issue()
    assert result.ok
    request = result.exchange.request_xml
    assert MASK in request and "PasswordDigest" in request and "Nonce" in request


def test_wso2_claims_and_lifetime(live_sts):
    options = dict(
        trust_version=TrustVersion.WST_2005,
        soap_version=SoapVersion.SOAP11,
        addressing_namespace=ns.WSA_2004,
        claims_dialect=ns.WSO2_CLAIMS,
        dialect_in_trust_namespace=True,
        claims=("http://wso2.org/claims/givenname", "http://wso2.org/claims/emailaddress"),
        lifetime_seconds=60,
    )
    with _session(live_sts, **options) as session:
        result = session.issue()
    assert result.ok, result.fault_reason
    values = {a.claim_uri: a.values for a in result.decoded.attributes}
    assert values == {
        "http://wso2.org/claims/givenname": ("Ada",),
        "http://wso2.org/claims/emailaddress": ("admin@example.org",),
    }
    conditions = result.decoded.conditions
    assert (conditions.not_on_or_after - conditions.not_before).total_seconds() == 60


def test_requested_claims_the_user_has_no_value_for_are_shown_as_not_issued(live_sts):
    given, email, phone = (f"http://wso2.org/claims/{name}"
                           for name in ("givenname", "emailaddress", "telephone"))
    live_sts.store.users.create("svc-nomail", "Svc-n0mail-pass", roles=["admin"],
                                claims={given: "Grace"})
    options = dict(
        username="svc-nomail", password="Svc-n0mail-pass", trust_version=TrustVersion.WST_2005,
        soap_version=SoapVersion.SOAP11, claims_dialect=ns.WSO2_CLAIMS,
        dialect_in_trust_namespace=True, claims=(phone, given, email),
    )
    with _session(live_sts, **options) as session:
        issued = session.issue()
        assert issued.ok, issued.fault_reason
        assert [a.claim_uri for a in issued.decoded.attributes] == [given]
        assert issued.requested_claims == (phone, given, email)
        assert issued.claims_not_issued == (phone, email)
        renewed = session.renew()
    assert renewed.ok, renewed.fault_reason
    assert renewed.claims_not_issued == (phone, email)


def test_not_issued_claims_of_an_encrypted_token_are_unknown_without_the_key(live_sts):
    claims = ("http://wso2.org/claims/emailaddress", "http://wso2.org/claims/mobile")
    with _session(live_sts, applies_to=RP_ENCRYPTED, claims=claims,
                  claims_dialect=ns.WSO2_CLAIMS) as session:
        result = session.issue()
    assert result.ok and not result.decoded.readable
    assert result.claims_not_issued is None
    with TokenSession(
        _options(live_sts, applies_to=RP_ENCRYPTED, claims=claims, claims_dialect=ns.WSO2_CLAIMS),
        trusted={"wso2carbon": live_sts.signing_certificate},
        private_keys=[live_sts.rp_identity.private_key],
    ) as session:
        opened = session.issue()
    assert opened.decoded.readable
    assert opened.claims_not_issued == ("http://wso2.org/claims/mobile",)


def test_tls_pinned_wrong_pin_insecure_and_untrusted(live_sts):
    der = fetch_certificate(live_sts.endpoint)
    pin = hashlib.sha256(der).hexdigest()
    with _session(live_sts, tls=TrustPolicy(pinned_sha256=pin.upper())) as session:
        assert session.issue().ok
    with _session(live_sts, tls=TrustPolicy(pinned_sha256="00" * 32)) as session:
        failed = session.issue()
    assert not failed.ok and failed.error
    with _session(live_sts, tls=TrustPolicy(insecure=True)) as session:
        insecure = session.issue()
    assert insecure.ok
    assert any("TLS certificate checks are OFF" in w for w in insecure.warnings)
    with _session(live_sts, tls=TrustPolicy()) as session:
        untrusted = session.issue()
    assert untrusted.error and "not trusted" in untrusted.error
    with pytest.raises(InputError, match="one way"):
        TrustPolicy(ca_file="x", insecure=True)
    with pytest.raises(InputError, match="64 hex digits"):
        TrustPolicy(pinned_sha256="abc")


def test_cancel_event_stops_the_request(live_sts):
    event = threading.Event()
    event.set()
    session = TokenSession(_options(live_sts), cancel_event=event)
    with session, pytest.raises(RequestCancelledError):
        session.issue()
    assert session.history == ()


def test_unreachable_and_silent_servers_give_an_error_result():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with TokenSession(TokenRequestOptions(f"https://127.0.0.1:{port}/sts", "admin", "x")) as s:
        result = s.issue()
    assert result.error and "could not be reached" in result.error
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        options = TokenRequestOptions(f"http://127.0.0.1:{port}/sts", "admin", "x",
                                      timeout_seconds=0.3)
        with TokenSession(options) as s:
            result = s.issue()
    assert result.error and "did not answer within 0.3 seconds" in result.error


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"endpoint": "ftp://host/x"}, r"not an http\(s\) URL"),
        ({"username": ""}, "user name"),
        ({"key_type": KeyType.PUBLIC}, "client certificate"),
        ({"client_entropy": True}, "SymmetricKey"),
        ({"key_size": 100}, "multiple of 8"),
        ({"lifetime_seconds": 0}, "lifetime"),
        ({"token_type": TokenType.STATUS}, "SAML 1.1 or SAML 2.0"),
        ({"claims": ("",)}, "claim is empty"),
    ],
)
def test_options_are_checked(changes, words):
    values = dict(endpoint="https://localhost:9443/services/wso2carbon-sts", username="admin")
    values.update(changes)
    with pytest.raises(InvalidRequestError, match=words):
        TokenRequestOptions(**values)
    assert "s3cret-pw" not in repr(TokenRequestOptions("https://h/x", "u", "s3cret-pw"))


def test_client_key_pair_must_match(live_sts):
    cert_pem = live_sts.client_identity.certificate_pem()
    key_pem = live_sts.client_identity.private_key_pem()
    pair = load_client_key_pair(cert_pem, key_pem)
    assert pair.certificate == live_sts.client_identity.certificate
    other = live_sts.rp_identity.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ClientKeyPairError, match="does not belong"):
        load_client_key_pair(cert_pem, other)
