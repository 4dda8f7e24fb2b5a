"""PasswordDigest over HTTPS: refused until allowed, then usable per user after a sign-in."""

from __future__ import annotations

import logging

import pytest

from stsdesk.core import ns
from stsdesk.core.soap import SoapVersion
from stsdesk.core.wstrust import RequestType, TrustVersion, build_request
from stsdesk.server.model import PasswordDigestPolicy
from stsdesk.services.trust_client import Credentials
from tests.e2e.conftest import RP_PLAIN, LiveSts

USER = "digest-user"
PASSWORD = "D1gest-user-passw0rd"
NOT_ALLOWED = "PasswordDigest is not allowed on this STS"


@pytest.fixture
def digest_user(live_sts: LiveSts):
    store = live_sts.store
    if store.users.get(USER) is None:
        store.users.create(USER, PASSWORD, roles=["admin"])
    yield Credentials(USER, PASSWORD)
    store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=False))
    store.logins.unlock(USER)


def issue(live: LiveSts, credentials: Credentials):
    rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, applies_to=RP_PLAIN)
    with live.client() as client:
        return client.send(rst, trust_version=TrustVersion.WST_13,
                           request_type=RequestType.ISSUE, soap_version=SoapVersion.SOAP12,
                           credentials=credentials)


def digest_of(credentials: Credentials) -> Credentials:
    return Credentials(credentials.username, credentials.password, digest=True)


def test_off_by_default_and_refused_with_a_reason(live_sts, digest_user, caplog):
    assert live_sts.store.config.get_password_digest_policy().allowed is False
    with caplog.at_level(logging.INFO, logger="stsdesk.server.sts"):
        known = issue(live_sts, digest_of(digest_user))
        unknown = issue(live_sts, Credentials("nobody-at-all", "x", digest=True))
    for exchange in (known, unknown):  # the same answer whoever asks
        assert exchange.fault_code == f"{{{ns.WSSE}}}InvalidSecurity"
        assert NOT_ALLOWED in exchange.fault_reason
        assert "PasswordText" in exchange.fault_reason
    assert "allowPasswordDigest is off" in caplog.text
    assert PASSWORD not in caplog.text
    # Refused before any password check: no failed sign-in was counted.
    assert live_sts.store.users.get(USER).failed_attempts == 0
    assert issue(live_sts, digest_user).ok  # PasswordText is unaffected


def test_allowed_it_works_from_the_next_password_sign_in(live_sts, digest_user, caplog):
    store = live_sts.store
    store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    with caplog.at_level(logging.INFO, logger="stsdesk.server.sts"):
        before = issue(live_sts, digest_of(digest_user))
    # No copy yet: it fails as a wrong password would, and the log tells the administrator why.
    assert before.fault_code == f"{{{ns.WST_13}}}FailedAuthentication"
    assert "user name or password is wrong" in before.fault_reason
    assert "no reversible copy" in caplog.text and repr(USER) in caplog.text
    assert store.users.get(USER).password_sealed is None
    assert issue(live_sts, digest_user).ok  # the next PasswordText sign-in stores it
    assert store.users.get(USER).password_sealed is not None
    after = issue(live_sts, digest_of(digest_user))
    assert after.ok, (after.fault_code, after.fault_reason)
    wrong = issue(live_sts, Credentials(USER, "not-the-password", digest=True))
    assert wrong.fault_code == f"{{{ns.WST_13}}}FailedAuthentication"


def test_turning_it_off_deletes_the_copies_and_refuses_again(live_sts, digest_user):
    store = live_sts.store
    store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    assert issue(live_sts, digest_user).ok
    assert issue(live_sts, digest_of(digest_user)).ok
    store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=False))
    assert store.users.count_sealed_passwords() == 0
    refused = issue(live_sts, digest_of(digest_user))
    assert NOT_ALLOWED in refused.fault_reason
    # On again: the old copy is gone, so it waits for the next sign-in once more.
    store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    again = issue(live_sts, digest_of(digest_user))
    assert again.fault_code == f"{{{ns.WST_13}}}FailedAuthentication"


def test_a_password_set_while_allowed_works_at_once(live_sts, digest_user):
    store = live_sts.store
    store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    store.users.set_password(USER, PASSWORD)
    exchange = issue(live_sts, digest_of(digest_user))
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
