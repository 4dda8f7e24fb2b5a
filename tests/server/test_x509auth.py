"""X.509 client authentication: which certificates the trusted keystore vouches for, and when."""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import AuthenticationError
from stsdesk.core.wssec import FailedAuthenticationError, TokenKind, WsseInvalidTokenError
from stsdesk.server.model import LOCKED_BY_ADMINISTRATOR, UserRecord
from stsdesk.server.sts.authenticate import Authenticator
from stsdesk.server.sts.x509auth import authenticate_certificate

NOW = dt.datetime.now(dt.UTC)


def _cert(name: str, *, issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None = None,
          ca: bool | None = False, days: int = 30) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer[0].subject if issuer else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - dt.timedelta(days=1))
               .not_valid_after(NOW + dt.timedelta(days=days)))
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256()), key


CA = _cert("Client CA", ca=True, days=365)
LEAF = _cert("leaf", issuer=CA)


def test_a_certificate_in_the_trust_store_is_its_own_subject():
    user = authenticate_certificate(LEAF[0], [LEAF[0]], NOW)
    assert user.username == "CN=leaf"
    assert user.user_id.startswith("x509:") and user.roles == () and user.claims == {}


def test_a_certificate_issued_by_a_trusted_ca_is_accepted():
    assert authenticate_certificate(LEAF[0], [CA[0]], NOW).username == "CN=leaf"


@pytest.mark.parametrize("ca", [False, None])
def test_a_trusted_certificate_that_is_not_a_ca_does_not_vouch_for_others(ca):
    # A relying party's or another client's certificate in the trust store, used as an issuer.
    not_a_ca = _cert("Not A CA", ca=ca)
    issued = _cert("issued-by-leaf", issuer=not_a_ca)
    with pytest.raises(FailedAuthenticationError, match="not trusted"):
        authenticate_certificate(issued[0], [not_a_ca[0]], NOW)


def test_a_certificate_claiming_a_trusted_issuer_but_signed_by_another_key_is_refused():
    impostor_ca = _cert("Client CA", ca=True)  # same name as the trusted CA, another key
    issued = _cert("forged", issuer=impostor_ca)
    with pytest.raises(FailedAuthenticationError, match="not trusted"):
        authenticate_certificate(issued[0], [CA[0]], NOW)


def test_expired_and_not_yet_valid_certificates_are_refused():
    with pytest.raises(FailedAuthenticationError, match="expired"):
        authenticate_certificate(LEAF[0], [LEAF[0]], NOW + dt.timedelta(days=60))
    with pytest.raises(FailedAuthenticationError, match="not valid yet"):
        authenticate_certificate(LEAF[0], [LEAF[0]], NOW - dt.timedelta(days=5))


def test_no_trusted_keystore_means_no_client_certificate_is_trusted():
    with pytest.raises(FailedAuthenticationError, match="no trusted keystore"):
        authenticate_certificate(LEAF[0], [], NOW)


# -- a SAML supporting token beside an X.509 signature (scenarios 33, 34) ---------------------

def _saml_supporting_policy(signed: bool) -> SimpleNamespace:
    group = SimpleNamespace(signed=signed)
    token = SimpleNamespace(token_type=ns.TOKEN_SAML20)
    return SimpleNamespace(
        initiator_token=None,
        protection_token=None,
        supporting_of=lambda kind: (group, token) if kind is TokenKind.ISSUED else None,
    )


def test_only_a_signed_saml_assertion_speaks_when_the_policy_wants_it_signed():
    # The engine saw an assertion, but the message signature covers none: the unsigned one is
    # not authenticated, even if another signed part made the request look well formed.
    authenticator = Authenticator(SimpleNamespace(), SimpleNamespace(), SimpleNamespace())
    unsigned = etree.Element(f"{{{ns.SAML2}}}Assertion")
    inbound = SimpleNamespace(signer_certificate=None, saml_assertions=(unsigned,),
                              signed_saml_assertions=())
    with pytest.raises(WsseInvalidTokenError, match="no SAML 2.0 assertion"):
        authenticator.authenticate_secured(inbound, _saml_supporting_policy(True), None, NOW,
                                           (), ())


@pytest.mark.parametrize("change", [
    {"active": False},
    {"locked_until": NOW + dt.timedelta(minutes=5)},
    {"locked_until": LOCKED_BY_ADMINISTRATOR},
])
def test_a_disabled_or_locked_local_user_named_by_a_token_is_refused(change):
    authenticator = Authenticator(SimpleNamespace(), SimpleNamespace(), SimpleNamespace())
    config = SimpleNamespace(security=SimpleNamespace(allowed_roles=()))
    user = UserRecord(user_id="0b6f", username="alice", password_hash="", **change)
    with pytest.raises(FailedAuthenticationError, match="user name or password is wrong"):
        authenticator._local_user_allowed(user, config, NOW)


def test_a_local_user_named_by_a_token_needs_an_allowed_role():
    authenticator = Authenticator(SimpleNamespace(), SimpleNamespace(), SimpleNamespace())
    config = SimpleNamespace(security=SimpleNamespace(allowed_roles=("auditors",)))
    user = UserRecord(user_id="0b6f", username="alice", password_hash="", roles=("signers",))
    with pytest.raises(AuthenticationError, match="not authorised"):
        authenticator._local_user_allowed(user, config, NOW)
    allowed = dataclasses.replace(user, roles=("auditors",))
    assert authenticator._local_user_allowed(allowed, config, NOW) is allowed
